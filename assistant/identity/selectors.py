"""Reads of identity for the staff people pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source


@dataclass(frozen=True)
class GroupRow:
    """One of a person's groups and where the membership comes from."""

    name: str
    source: str  # "directory" or "local"


@dataclass(frozen=True)
class PersonRow:
    """One person as the people page lists them."""

    id: int
    username: str
    email: str
    is_active: bool
    is_staff: bool
    source: str  # Source value: oidc, scim or local
    source_label: str
    groups: list[GroupRow]
    last_sign_in: datetime | None
    last_provisioned: datetime | None

    @property
    def managed(self) -> bool:
        """True when the directory sets this person's groups."""
        return self.source != Source.LOCAL


def _account(user: Any) -> DirectoryAccount | None:
    try:
        return user.directory_account  # type: ignore[no-any-return]
    except DirectoryAccount.DoesNotExist:
        return None


def person_row(user: Any) -> PersonRow:
    """A person with their groups, the source of each, and their last sign-in and provisioning."""
    account = _account(user)
    source = Source(account.source) if account is not None else Source.LOCAL
    membership = "directory" if account is not None else "local"
    return PersonRow(
        id=user.pk,
        username=user.get_username(),
        email=user.email,
        is_active=user.is_active,
        is_staff=user.is_staff,
        source=source.value,
        source_label=str(source.label),
        groups=[GroupRow(g.name, membership) for g in user.groups.all()],
        last_sign_in=(account.last_sign_in_at if account else None) or user.last_login,
        last_provisioned=account.last_provisioned_at if account else None,
    )


def people(*, query: str = "", source: str = "") -> QuerySet[Any]:
    """People, with their directory account and groups, by username; optionally filtered."""
    from django.contrib.auth.models import Group

    users = (
        get_user_model()
        .objects.select_related("directory_account")
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
        .order_by("username")
    )
    if query:
        users = users.filter(username__icontains=query) | users.filter(email__icontains=query)
    if source == Source.LOCAL:
        users = users.filter(directory_account__isnull=True)
    elif source in {Source.OIDC, Source.SAML, Source.SCIM}:
        users = users.filter(directory_account__source=source)
    return users


def identity_events(*, user_id: int | None = None) -> QuerySet[IdentityEvent]:
    """The identity log, newest first; one person's when `user_id` is given."""
    events = IdentityEvent.objects.all()
    if user_id is not None:
        events = events.filter(user_id=user_id)
    return events
