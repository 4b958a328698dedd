"""Which accounts and groups the directory manages, and the log of what it did to them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class Source(models.TextChoices):
    """Where an account or a group comes from."""

    OIDC = "oidc", "Single sign-on (OIDC)"
    SAML = "saml", "Single sign-on (SAML)"
    SCIM = "scim", "Provisioning (SCIM)"
    LOCAL = "local", "Local"


class DirectoryAccount(models.Model):
    """An account the company's directory manages: its groups are set only from there.

    A person without one is local: staff manage their groups by hand.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_account"
    )
    # The first way the directory reached this account (sign-in or provisioning).
    source = models.CharField(max_length=8, choices=Source.choices)
    # The identity provider's `sub`, when sign-in matches on it.
    subject = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # SCIM's externalId (the directory's own id for the person).
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    last_provisioned_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.source})"


class DirectoryGroup(models.Model):
    """A group that the directory provisions (SCIM Groups); its members are set only from there."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="directory_group")
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.group)


class IdentityEvent(models.Model):
    """One thing the directory (or staff) did to an account: append-only, kept after deletion.

    The account is named by a plain id and a username snapshot, like the document access log, so
    deleting an account neither deletes nor rewrites its history.
    """

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        CREATED = "created", "Account created"
        UPDATED = "updated", "Account updated"
        GROUPS_CHANGED = "groups_changed", "Groups changed"
        DEACTIVATED = "deactivated", "Deactivated"
        REACTIVATED = "reactivated", "Reactivated"
        DELETED = "deleted", "Deleted"
        REFUSED = "refused", "Refused"

    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    # What changed: {"added": [...], "removed": [...]}, counts, or why a request was refused.
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user_id", "created_at"], name="identityevent_user_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.username or self.user_id} ({self.source})"

    @property
    def detail_label(self) -> str:
        """The detail in a few words, for the staff pages: "added: HR; removed: Sales"."""
        parts = []
        for key, value in (self.detail or {}).items():
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value) or "—"
            elif value is None or value == "":
                value = "—"
            parts.append(f"{key.replace('_', ' ')}: {value}")
        return "; ".join(parts)
