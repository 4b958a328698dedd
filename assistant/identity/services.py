"""Writes of identity: directory-managed accounts, their groups, deactivation, and their log.

Sign-in (OIDC) and provisioning (SCIM) both come through here, so an account's groups, its
deactivation and the log look the same whichever way the directory reached it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from assistant.identity.signals import directory_writes

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


def identity_event_record(
    *, user: Any, kind: str, source: str, detail: dict[str, Any] | None = None
) -> IdentityEvent:
    """Append one entry to the identity log."""
    return IdentityEvent.objects.create(
        user_id=getattr(user, "pk", None),
        username=user.get_username() if user is not None else "",
        kind=kind,
        source=source,
        detail=detail or {},
    )


def directory_account_claim(*, user: User, source: str) -> DirectoryAccount:
    """Mark `user` as managed by the directory (idempotent); the first source is kept."""
    account, _ = DirectoryAccount.objects.get_or_create(user=user, defaults={"source": source})
    return account


def is_directory_managed(user: Any) -> bool:
    """True when the directory sets this account's groups."""
    pk = getattr(user, "pk", None)
    return pk is not None and DirectoryAccount.objects.filter(user_id=pk).exists()


def directory_group_names(names: Iterable[str]) -> list[str]:
    """The product groups that directory group names stand for (only mapped ones with a map).

    OIDC_GROUP_MAP applies to every sign-in source (OIDC claims, SAML attributes).
    """
    mapping: dict[str, str] = settings.OIDC_GROUP_MAP
    if mapping:
        return sorted({mapping[name] for name in names if name in mapping})
    return sorted({name.strip() for name in names if name.strip()})


def unique_username(source: str) -> str:
    """A new username made from `source` (an email's local part, a login name), not yet taken."""
    base = re.sub(r"[^\w.@+-]+", "-", source.lower()).strip("-") or "user"
    base = base[:140]
    user_model = get_user_model()
    candidate, n = base, 1
    while user_model.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@dataclass(frozen=True)
class GroupChange:
    """Group names added to and removed from one account."""

    added: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def account_groups_set(*, user: User, names: Iterable[str], source: str) -> GroupChange:
    """Make the product groups of a directory-managed account exactly `names`.

    Groups that do not exist yet are created. A group no longer named is removed at once; access
    is read from the groups on every request, so the person's next question already follows.
    """
    wanted = sorted({n.strip() for n in names if n and n.strip()})
    with transaction.atomic():
        directory_account_claim(user=user, source=source)
        groups = [Group.objects.get_or_create(name=name)[0] for name in wanted]
        before = set(user.groups.values_list("name", flat=True))
        with directory_writes():
            user.groups.set(groups)
        change = GroupChange(
            added=sorted(set(wanted) - before), removed=sorted(before - set(wanted))
        )
        if change:
            identity_event_record(
                user=user,
                kind=IdentityEvent.Kind.GROUPS_CHANGED,
                source=source,
                detail={"added": change.added, "removed": change.removed},
            )
    return change


def account_local_groups_set(*, user: User, groups: Iterable[Group], actor: Any) -> GroupChange:
    """Staff set a local person's groups by hand (refused for directory-managed people)."""
    wanted = list(groups)
    with transaction.atomic():
        before = set(user.groups.values_list("name", flat=True))
        # The signal guard refuses this for a directory-managed account.
        user.groups.set(wanted)
        names = {g.name for g in wanted}
        change = GroupChange(added=sorted(names - before), removed=sorted(before - names))
        if change:
            identity_event_record(
                user=user,
                kind=IdentityEvent.Kind.GROUPS_CHANGED,
                source=Source.LOCAL,
                detail={
                    "added": change.added,
                    "removed": change.removed,
                    "by": actor.get_username(),
                },
            )
    return change


@dataclass(frozen=True)
class Deactivation:
    """What deactivating one account ended."""

    tokens_revoked: int
    slack_links_removed: int
    groups_removed: list[str]
    documents_transferred: int


def former_owner_successor() -> User | None:
    """The account that receives a deactivated person's documents (IDENTITY_DOCUMENTS_SUCCESSOR)."""
    username = getattr(settings, "IDENTITY_DOCUMENTS_SUCCESSOR", "")
    if not username:
        return None
    user_model = get_user_model()
    return user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()


def account_deactivate(*, user: User, source: str) -> Deactivation:
    """Deactivate an account: everything it could do ends in one transaction, and is logged.

    Its sessions end (the session hash changes with the unusable password, and inactive accounts
    are refused on every request), its API tokens are revoked, its Slack links removed and its
    groups cleared. Its documents stay: they pass to IDENTITY_DOCUMENTS_SUCCESSOR when that is
    set, and otherwise stay owned by the inactive account, shown as a former employee's.
    """
    from assistant.api.models import ApiToken
    from assistant.slack.models import SlackLink
    from retrieval.services import documents_transfer_ownership

    now = timezone.now()
    with transaction.atomic():
        locked = type(user).objects.select_for_update().get(pk=user.pk)
        locked.is_active = False
        locked.set_unusable_password()
        locked.save(update_fields=["is_active", "password"])
        tokens = ApiToken.objects.filter(user=locked, revoked_at__isnull=True).update(
            revoked_at=now
        )
        slack, _ = SlackLink.objects.filter(user=locked).delete()
        groups = sorted(locked.groups.values_list("name", flat=True))
        with directory_writes():
            locked.groups.clear()
        successor = former_owner_successor()
        moved = 0
        if successor is not None and successor.pk != locked.pk and successor.is_active:
            moved = documents_transfer_ownership(
                from_user=locked, to_user=successor, actor_label=f"directory ({source})"
            )
        DirectoryAccount.objects.filter(user=locked).update(deactivated_at=now)
        result = Deactivation(
            tokens_revoked=tokens,
            slack_links_removed=slack,
            groups_removed=groups,
            documents_transferred=moved,
        )
        identity_event_record(
            user=locked,
            kind=IdentityEvent.Kind.DEACTIVATED,
            source=source,
            detail={
                "tokens_revoked": tokens,
                "slack_links_removed": slack,
                "groups_removed": groups,
                "documents_transferred": moved,
                "documents_to": successor.get_username() if moved and successor else None,
            },
        )
    user.refresh_from_db()
    return result


def account_reactivate(*, user: User, source: str) -> list[str]:
    """Let a deactivated account in again; returns the directory groups given back.

    Deactivation cleared every group. Memberships of provisioned (SCIM) groups that still exist
    come back, because directories do not resend memberships they believe still stand; groups
    from sign-in claims come back at the next sign-in.
    """
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(is_active=True)
        DirectoryAccount.objects.filter(user=user).update(deactivated_at=None)
        last = (
            IdentityEvent.objects.filter(user_id=user.pk, kind=IdentityEvent.Kind.DEACTIVATED)
            .order_by("-created_at", "-id")
            .first()
        )
        removed = (last.detail.get("groups_removed") if last is not None else None) or []
        restored = list(
            Group.objects.filter(name__in=removed, directory_group__isnull=False).order_by("name")
        )
        if restored:
            with directory_writes():
                user.groups.add(*restored)
        names = [g.name for g in restored]
        identity_event_record(
            user=user,
            kind=IdentityEvent.Kind.REACTIVATED,
            source=source,
            detail={"groups_restored": names} if names else {},
        )
    user.refresh_from_db()
    return names


def account_delete(*, user: User, source: str) -> None:
    """Delete an account the directory removed: deactivate first, so its documents stay."""
    from retrieval.services import documents_transfer_ownership

    with transaction.atomic():
        if user.is_active:
            account_deactivate(user=user, source=source)
        # Documents still owned (no successor is set) lose their owner with the account; the
        # access log records whose they were.
        documents_transfer_ownership(
            from_user=user, to_user=None, actor_label=f"directory ({source})"
        )
        identity_event_record(user=user, kind=IdentityEvent.Kind.DELETED, source=source)
        user.delete()


def account_signed_in(*, user: User, source: str = Source.OIDC) -> None:
    """Record a sign-in through the identity provider."""
    DirectoryAccount.objects.filter(user=user).update(last_sign_in_at=timezone.now())
    identity_event_record(user=user, kind=IdentityEvent.Kind.SIGNED_IN, source=source)


def account_provisioned(*, user: User, created: bool, source: str = Source.SCIM) -> None:
    """Record a provisioning write (creation or update) from the directory."""
    account = directory_account_claim(user=user, source=source)
    account.last_provisioned_at = timezone.now()
    account.save(update_fields=["last_provisioned_at"])
    kind = IdentityEvent.Kind.CREATED if created else IdentityEvent.Kind.UPDATED
    identity_event_record(user=user, kind=kind, source=source)
