"""Guard: the groups of directory-managed accounts change only through the directory.

Any other write (the admin's user form, a group's member list, a shell) is refused with
`DirectoryManaged`, whose message says why and where to change it instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models.signals import m2m_changed

_directory_writing: ContextVar[bool] = ContextVar("directory_writing", default=False)

MESSAGE = (
    "{who}'s groups come from the company's directory; change them there. "
    "Local group edits of directory-managed people are refused, or the next sign-in or "
    "provisioning would silently undo them."
)


class DirectoryManaged(PermissionDenied):
    """A local edit of a directory-managed person's groups."""

    @staticmethod
    def message_for(who: str) -> str:
        """Why the edit is refused, naming the people concerned."""
        return MESSAGE.format(who=who)


@contextmanager
def directory_writes() -> Iterator[None]:
    """Within this block, group memberships of directory-managed accounts may change."""
    token = _directory_writing.set(True)
    try:
        yield
    finally:
        _directory_writing.reset(token)


def managed_among(user_ids: set[int]) -> list[str]:
    """Usernames of the directory-managed accounts among these ids."""
    from assistant.identity.models import DirectoryAccount

    return list(
        DirectoryAccount.objects.filter(user_id__in=user_ids).values_list(
            "user__username", flat=True
        )
    )


def _refuse_local_edits(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    if action not in {"pre_add", "pre_remove", "pre_clear"} or _directory_writing.get():
        return
    if reverse:
        # group.user_set.add(...): the users are in pk_set (all members for a clear).
        user_ids = (
            set(pk_set or ())
            if action != "pre_clear"
            else set(instance.user_set.values_list("pk", flat=True))
        )
    else:
        user_ids = {instance.pk}
    managed = managed_among(user_ids)
    if managed:
        raise DirectoryManaged(DirectoryManaged.message_for(", ".join(sorted(managed))))


def connect() -> None:
    m2m_changed.connect(
        _refuse_local_edits,
        sender=get_user_model().groups.through,
        dispatch_uid="identity_refuse_local_group_edits",
    )
