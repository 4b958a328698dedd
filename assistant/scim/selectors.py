"""Reads of provisioning: accounts and directory groups, as SCIM resources.

Every account is a SCIM User, so an identity provider matching on `userName` finds the people
who already have a local account instead of creating them twice. Only the groups the directory
provisioned are SCIM Groups: a group staff made by hand becomes one when the directory creates
a group of the same name, and stops being one when the directory deletes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import scim2_models as scim
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Prefetch, QuerySet

from assistant.identity.models import DirectoryAccount, DirectoryGroup
from assistant.scim import resources

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def users() -> QuerySet[Any]:
    """Every account, with what its SCIM representation needs."""
    return (
        get_user_model()
        .objects.select_related("directory_account")
        .prefetch_related(
            Prefetch(
                "groups",
                queryset=directory_groups().order_by("name"),
                to_attr="scim_groups",
            )
        )
        .order_by("pk")
    )


def directory_groups() -> QuerySet[Group]:
    """The groups the directory provisioned."""
    return Group.objects.filter(directory_group__isnull=False).select_related("directory_group")


def groups() -> QuerySet[Group]:
    """Directory groups, with their members' ids."""
    user_model = get_user_model()
    return (
        directory_groups()
        .prefetch_related(
            Prefetch("user_set", queryset=user_model.objects.only("pk").order_by("pk"))
        )
        .order_by("pk")
    )


def _pk(resource_id: str) -> int | None:
    return int(resource_id) if resource_id.isdigit() and len(resource_id) < 19 else None


def user_get(*, resource_id: str) -> User:
    """The account with this SCIM id; NotFoundException when there is none."""
    pk = _pk(resource_id)
    user = users().filter(pk=pk).first() if pk is not None else None
    if user is None:
        raise scim.NotFoundException(detail=f"No user has id {resource_id!r}")
    return user  # type: ignore[no-any-return]


def group_get(*, resource_id: str) -> Group:
    """The directory group with this SCIM id; NotFoundException when there is none."""
    pk = _pk(resource_id)
    group = groups().filter(pk=pk).first() if pk is not None else None
    if group is None:
        raise scim.NotFoundException(detail=f"No group has id {resource_id!r}")
    return group


def _meta(kind: str, location: str, created: Any, modified: Any) -> scim.Meta:
    return scim.Meta(resource_type=kind, location=location, created=created, last_modified=modified)


def _account(user: Any) -> DirectoryAccount | None:
    try:
        return user.directory_account  # type: ignore[no-any-return]
    except DirectoryAccount.DoesNotExist:
        return None


def user_resource(user: User, *, base_url: str) -> resources.User:
    """An account as the SCIM User this service publishes."""
    account = _account(user)
    memberships = getattr(user, "scim_groups", None)
    if memberships is None:
        memberships = list(directory_groups().filter(user=user).order_by("name"))
    name = (
        resources.Name(given_name=user.first_name or None, family_name=user.last_name or None)
        if user.first_name or user.last_name
        else None
    )
    location = f"{base_url}Users/{user.pk}"
    return resources.User(
        id=str(user.pk),
        external_id=account.external_id if account else None,
        user_name=user.get_username(),
        name=name,
        active=user.is_active,
        emails=[resources.Email(value=user.email, type="work")] if user.email else None,
        groups=[
            resources.GroupMembership.model_validate(
                {
                    "value": str(group.pk),
                    "$ref": f"{base_url}Groups/{group.pk}",
                    "display": group.name,
                    "type": "direct",
                }
            )
            for group in memberships
        ]
        or None,
        meta=_meta(
            "User",
            location,
            user.date_joined,
            (account.last_provisioned_at if account else None) or user.date_joined,
        ),
    )


def group_resource(group: Group, *, base_url: str) -> resources.Group:
    """A directory group as the SCIM Group this service publishes."""
    directory: DirectoryGroup = group.directory_group  # type: ignore[attr-defined]
    member_ids = [member.pk for member in group.user_set.all()]  # type: ignore[attr-defined]
    return resources.Group(
        id=str(group.pk),
        external_id=directory.external_id,
        display_name=group.name,
        members=[
            resources.GroupMember.model_validate(
                {"value": str(pk), "$ref": f"{base_url}Users/{pk}", "type": "User"}
            )
            for pk in member_ids
        ]
        or None,
        meta=_meta(
            "Group", f"{base_url}Groups/{group.pk}", directory.created_at, directory.created_at
        ),
    )


def user_as_input(user: User) -> Any:
    """An account in the full core schema, for PATCH operations to apply to."""
    account = _account(user)
    return resources.InputUser(
        id=str(user.pk),
        external_id=account.external_id if account else None,
        user_name=user.get_username(),
        name=scim.Name(given_name=user.first_name or None, family_name=user.last_name or None)
        if user.first_name or user.last_name
        else None,
        active=user.is_active,
        emails=[scim.Email(value=user.email, type=scim.Email.Type.work, primary=True)]
        if user.email
        else None,
    )


def group_as_input(group: Group) -> scim.Group:
    """A directory group in the full core schema, for PATCH operations to apply to."""
    directory: DirectoryGroup = group.directory_group  # type: ignore[attr-defined]
    member_ids = group.user_set.order_by("pk").values_list("pk", flat=True)  # type: ignore[attr-defined]
    return scim.Group(
        id=str(group.pk),
        external_id=directory.external_id,
        display_name=group.name,
        members=[scim.GroupMember.model_validate({"value": str(pk)}) for pk in member_ids] or None,
    )
