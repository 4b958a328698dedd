"""Writes of provisioning: accounts and directory groups, from SCIM resources.

Each write is one transaction that either happens whole or not at all: everything a request
could be refused for (a taken name, an unknown member, a malformed value) is checked before the
first row changes, and a refusal raised later still rolls everything back. Accounts go through the
identity core (`account_provisioned`, `account_deactivate`, `account_reactivate`,
`account_delete`), so provisioning looks the same in the identity log as sign-in does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import scim2_models as scim
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from assistant.identity.models import DirectoryAccount, DirectoryGroup, IdentityEvent, Source
from assistant.identity.services import (
    account_deactivate,
    account_delete,
    account_provisioned,
    account_reactivate,
    directory_account_claim,
    identity_event_record,
)
from assistant.identity.signals import directory_writes
from assistant.scim import resources, selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Column sizes of django.contrib.auth and the identity core.
USERNAME_MAX = 150
NAME_MAX = 150
EMAIL_MAX = 254
EXTERNAL_ID_MAX = 255
GROUP_NAME_MAX = 150

Row = TypeVar("Row")


def _text(value: str | None, *, attribute: str, limit: int) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise scim.InvalidValueException(detail=f"{attribute} is longer than {limit} characters")
    return text


def _external_id(value: str | None) -> str | None:
    # externalId is case-exact and the directory's own: kept as sent, only empty means none.
    if not value:
        return None
    if len(value) > EXTERNAL_ID_MAX:
        raise scim.InvalidValueException(
            detail=f"externalId is longer than {EXTERNAL_ID_MAX} characters"
        )
    return value


@contextmanager
def _unique_or_conflict(what: str) -> Iterator[None]:
    """A unique constraint hit by a concurrent request is the same 409 as one found beforehand."""
    try:
        yield
    except IntegrityError as exc:
        raise scim.UniquenessException(detail=f"{what} is already taken") from exc


def _pk(resource_id: str) -> int | None:
    return int(resource_id) if resource_id.isdigit() and len(resource_id) < 19 else None


def _patched(
    resource_id: str,
    patch: scim.PatchOp[Any],
    *,
    taken: str,
    lock: Callable[[str], Row],
    as_input: Callable[[Row], Any],
    update: Callable[[Row, Any], None],
) -> Row:
    """Lock a row, apply PATCH operations to it in the full core schema, and write it back.

    `taken` names the unique attributes, for the 409 of a concurrent request.
    """
    with _unique_or_conflict(taken), transaction.atomic():
        row = lock(resource_id)
        patched = as_input(row)
        patch.patch(patched, scim_policy=resources.POLICY)
        update(row, patched)
    return row


# --- Accounts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFields:
    """What an account keeps of a SCIM User."""

    username: str
    first_name: str
    last_name: str
    email: str
    # None: left as it is (a PUT without `active` does not deactivate anyone).
    active: bool | None
    external_id: str | None


def _chosen_email(emails: list[Any] | None) -> str:
    """The one address an account keeps: the primary one, else the work one, else the first."""
    entries = [entry for entry in emails or [] if entry.value]
    if not entries:
        return ""
    chosen = next(
        (entry for entry in entries if entry.primary),
        next((entry for entry in entries if str(entry.type or "").lower() == "work"), entries[0]),
    )
    return _text(chosen.value, attribute="emails.value", limit=EMAIL_MAX)


def account_fields(resource: Any) -> AccountFields:
    """Read and check the attributes of a SCIM User that an account keeps."""
    username = _text(resource.user_name, attribute="userName", limit=USERNAME_MAX)
    if not username:
        raise scim.InvalidValueException(detail="userName is required")
    name = resource.name
    return AccountFields(
        username=username,
        first_name=_text(
            name.given_name if name else "", attribute="name.givenName", limit=NAME_MAX
        ),
        last_name=_text(
            name.family_name if name else "", attribute="name.familyName", limit=NAME_MAX
        ),
        email=_chosen_email(resource.emails),
        active=resource.active,
        external_id=_external_id(resource.external_id),
    )


def _check_account_unique(fields: AccountFields, *, pk: int | None = None) -> None:
    others = get_user_model().objects.all()
    if pk is not None:
        others = others.exclude(pk=pk)
    # userName is not case-exact (RFC 7643 §4.1.1): "Alice" is taken when "alice" exists.
    if others.filter(username__iexact=fields.username).exists():
        raise scim.UniquenessException(detail=f"userName {fields.username!r} is already taken")
    holders = DirectoryAccount.objects.filter(external_id=fields.external_id)
    if pk is not None:
        holders = holders.exclude(user_id=pk)
    if fields.external_id and holders.exists():
        raise scim.UniquenessException(
            detail=f"externalId {fields.external_id!r} is already another user's"
        )


def _account_provision(user: User, fields: AccountFields, *, created: bool) -> None:
    """The directory's side of a write: claim, externalId, the log, and (de)activation."""
    account = directory_account_claim(user=user, source=Source.SCIM)
    if account.external_id != fields.external_id:
        account.external_id = fields.external_id
        account.save(update_fields=["external_id"])
    account_provisioned(user=user, created=created, source=Source.SCIM)
    if fields.active is False and user.is_active:
        account_deactivate(user=user, source=Source.SCIM)
    elif fields.active is True and not user.is_active:
        account_reactivate(user=user, source=Source.SCIM)


def _account_update(user: User, fields: AccountFields) -> None:
    _check_account_unique(fields, pk=user.pk)
    changed = [
        attribute
        for attribute, value in (
            ("username", fields.username),
            ("first_name", fields.first_name),
            ("last_name", fields.last_name),
            ("email", fields.email),
        )
        if getattr(user, attribute) != value
    ]
    for attribute in changed:
        setattr(user, attribute, getattr(fields, attribute))
    if changed:
        user.save(update_fields=changed)
    _account_provision(user, fields, created=False)


def _locked_user(resource_id: str) -> User:
    pk = _pk(resource_id)
    user = (
        get_user_model().objects.select_for_update().filter(pk=pk).first()
        if pk is not None
        else None
    )
    if user is None:
        raise scim.NotFoundException(detail=f"No user has id {resource_id!r}")
    return user  # type: ignore[no-any-return]


def scim_user_create(*, resource: Any) -> User:
    """Create an account (with no usable password: people sign in through the directory)."""
    fields = account_fields(resource)
    with _unique_or_conflict("userName or externalId"), transaction.atomic():
        _check_account_unique(fields)
        user = get_user_model().objects.create_user(
            username=fields.username,
            email=fields.email,
            password=None,
            first_name=fields.first_name,
            last_name=fields.last_name,
        )
        _account_provision(user, fields, created=True)
    return user  # type: ignore[no-any-return]


def scim_user_replace(*, resource_id: str, resource: Any) -> User:
    """Replace an account's attributes with those of `resource` (PUT)."""
    fields = account_fields(resource)
    with _unique_or_conflict("userName or externalId"), transaction.atomic():
        user = _locked_user(resource_id)
        _account_update(user, fields)
    return user


def _account_patched(user: User, patched: Any) -> None:
    """Write a patched User back; a patch may not leave `active` unset."""
    if patched.active is None:
        raise scim.MutabilityException(
            detail="active cannot be removed; replace it with false to deactivate the account"
        )
    _account_update(user, account_fields(patched))


def scim_user_patch(*, resource_id: str, patch: scim.PatchOp[Any]) -> User:
    """Apply PATCH operations to an account, read and written under one lock."""
    return _patched(
        resource_id,
        patch,
        taken="userName or externalId",
        lock=_locked_user,
        as_input=selectors.user_as_input,
        update=_account_patched,
    )


def scim_user_delete(*, resource_id: str) -> None:
    """Delete an account: the identity core deactivates it first, so its documents stay."""
    with transaction.atomic():
        user = _locked_user(resource_id)
        account_delete(user=user, source=Source.SCIM)


# --- Groups ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupFields:
    """What a directory group keeps of a SCIM Group."""

    name: str
    external_id: str | None
    member_ids: frozenset[int]


def _member_id(member: Any) -> int:
    if str(member.type or "").lower() == "group":
        raise scim.InvalidValueException(
            detail="Groups cannot be members of groups here; list the people instead"
        )
    value = str(member.value or "")
    pk = _pk(value)
    if pk is None:
        raise scim.InvalidValueException(detail=f"No user has id {value!r}")
    return pk


def group_fields(resource: Any) -> GroupFields:
    """Read and check the attributes of a SCIM Group, members included (they must exist)."""
    name = _text(resource.display_name, attribute="displayName", limit=GROUP_NAME_MAX)
    if not name:
        raise scim.InvalidValueException(detail="displayName is required")
    member_ids = frozenset(_member_id(member) for member in resource.members or [])
    found = set(get_user_model().objects.filter(pk__in=member_ids).values_list("pk", flat=True))
    missing = sorted(member_ids - found)
    if missing:
        raise scim.InvalidValueException(
            detail=f"No user has id {', '.join(repr(str(pk)) for pk in missing)}"
        )
    return GroupFields(
        name=name, external_id=_external_id(resource.external_id), member_ids=member_ids
    )


def _check_group_unique(fields: GroupFields, *, group: Group | None) -> None:
    namesakes = Group.objects.filter(name=fields.name)
    if group is not None:
        namesakes = namesakes.exclude(pk=group.pk)
    if namesakes.exists():
        raise scim.UniquenessException(detail=f"displayName {fields.name!r} is already taken")
    if (
        fields.external_id
        and DirectoryGroup.objects.filter(external_id=fields.external_id)
        .exclude(group=group)
        .exists()
    ):
        raise scim.UniquenessException(
            detail=f"externalId {fields.external_id!r} is already another group's"
        )


def group_members_set(*, group: Group, user_ids: frozenset[int]) -> None:
    """Make a directory group's members exactly `user_ids`, logging each person it changes.

    Every member becomes directory-managed: the directory now owns their groups, so a local
    edit of them would be undone by its next write.
    """
    current = set(group.user_set.values_list("pk", flat=True))  # type: ignore[attr-defined]
    added, removed = user_ids - current, current - user_ids
    claimed = set(
        DirectoryAccount.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True)
    )
    unclaimed = user_ids - claimed
    people = get_user_model().objects.in_bulk(unclaimed | added | removed)
    for pk in sorted(unclaimed):
        directory_account_claim(user=people[pk], source=Source.SCIM)
    with directory_writes():
        if removed:
            group.user_set.remove(*removed)  # type: ignore[attr-defined]
        if added:
            group.user_set.add(*added)  # type: ignore[attr-defined]
    for pk in sorted(added | removed):
        identity_event_record(
            user=people[pk],
            kind=IdentityEvent.Kind.GROUPS_CHANGED,
            source=Source.SCIM,
            detail={
                "added": [group.name] if pk in added else [],
                "removed": [group.name] if pk in removed else [],
            },
        )


def _group_update(group: Group, fields: GroupFields) -> None:
    _check_group_unique(fields, group=group)
    if group.name != fields.name:
        group.name = fields.name
        group.save(update_fields=["name"])
    directory = DirectoryGroup.objects.get(group=group)
    if directory.external_id != fields.external_id:
        directory.external_id = fields.external_id
        directory.save(update_fields=["external_id"])
    group_members_set(group=group, user_ids=fields.member_ids)


def _locked_group(resource_id: str) -> Group:
    pk = _pk(resource_id)
    group = (
        Group.objects.select_for_update()
        .filter(pk=pk, directory_group__isnull=False)
        .select_related("directory_group")
        .first()
        if pk is not None
        else None
    )
    if group is None:
        raise scim.NotFoundException(detail=f"No group has id {resource_id!r}")
    return group


def scim_group_create(*, resource: Any) -> Group:
    """Create a directory group, or take over the hand-made group of the same name."""
    with _unique_or_conflict("displayName or externalId"), transaction.atomic():
        fields = group_fields(resource)
        group = Group.objects.select_for_update().filter(name=fields.name).first()
        if group is not None and DirectoryGroup.objects.filter(group=group).exists():
            raise scim.UniquenessException(detail=f"displayName {fields.name!r} is already taken")
        _check_group_unique(fields, group=group)
        if group is None:
            group = Group.objects.create(name=fields.name)
        DirectoryGroup.objects.create(group=group, external_id=fields.external_id)
        group_members_set(group=group, user_ids=fields.member_ids)
    return group


def scim_group_replace(*, resource_id: str, resource: Any) -> Group:
    """Replace a directory group's name, externalId and members (PUT)."""
    with _unique_or_conflict("displayName or externalId"), transaction.atomic():
        group = _locked_group(resource_id)
        _group_update(group, group_fields(resource))
    return group


def scim_group_patch(*, resource_id: str, patch: scim.PatchOp[Any]) -> Group:
    """Apply PATCH operations to a directory group, read and written under one lock."""
    return _patched(
        resource_id,
        patch,
        taken="displayName or externalId",
        lock=_locked_group,
        as_input=selectors.group_as_input,
        update=lambda group, patched: _group_update(group, group_fields(patched)),
    )


def scim_group_delete(*, resource_id: str) -> None:
    """Delete a directory group: everyone leaves it at once, and it stops being the directory's.

    The group itself is deleted unless documents are shared with it or it carries permissions:
    those rules stay as staff set them (and in the access log), with nobody in the group.
    """
    from retrieval.models import Document

    with transaction.atomic():
        group = _locked_group(resource_id)
        group_members_set(group=group, user_ids=frozenset())
        DirectoryGroup.objects.filter(group=group).delete()
        if not (
            Document.objects.filter(allowed_groups=group).exists() or group.permissions.exists()
        ):
            group.delete()
