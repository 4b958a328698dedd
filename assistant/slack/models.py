"""Slack identities linked to product accounts, pending link requests, and received events."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SlackLink(models.Model):
    """A Slack user (in one workspace) acting as a product account."""

    team_id = models.CharField(max_length=32)
    slack_user_id = models.CharField(max_length=32)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slack_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team_id", "slack_user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team_id", "slack_user_id"], name="slack_link_one_account_per_slack_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id}/{self.slack_user_id} → {self.user_id}"


class LinkRequest(models.Model):
    """A one-time, expiring invitation to link a Slack user, issued by `/ask link`.

    Only a hash of the token is stored: a copy of the database does not let anyone link themselves.
    """

    team_id = models.CharField(max_length=32)
    slack_user_id = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"link request for {self.team_id}/{self.slack_user_id}"


class SlackEvent(models.Model):
    """A question received from Slack, stored once per delivery key, and where its answer stands."""

    class Kind(models.TextChoices):
        MENTION = "mention", "Channel mention"
        DM = "dm", "Direct message"
        COMMAND = "command", "Slash command"

    class Status(models.TextChoices):
        # Stored, but its answer task is not known to have reached the broker.
        RECEIVED = "received", "Received"
        # The answer task is on the broker (or a retry of it is due at queued_at).
        QUEUED = "queued", "Queued"
        # A worker claimed it and holds it until claimed_until.
        ANSWERING = "answering", "Answering"
        ANSWERED = "answered", "Answered"
        UNLINKED = "unlinked", "Sent link instructions"
        FAILED = "failed", "Failed"

    # Slack's event_id for events, the trigger_id for slash commands: redeliveries share it.
    dedupe_key = models.CharField(max_length=128, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    team_id = models.CharField(max_length=32)
    slack_user_id = models.CharField(max_length=32)
    channel_id = models.CharField(max_length=32, blank=True)
    # The message to thread under (mentions); empty for DMs and commands.
    thread_ts = models.CharField(max_length=32, blank=True)
    text = models.TextField()
    response_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    # Set once the answer exists, so a retried post never asks the model twice.
    message = models.ForeignKey(
        "assistant.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The reply's timestamp in Slack once posted: a retry after a later step fails never reposts it.
    reply_ts = models.CharField(max_length=32, blank=True)
    # sha256 of the reply's text as last re-rendered for access (empty: as first posted).
    reply_digest = models.CharField(max_length=64, blank=True)
    # A worker holds the event until then; a redelivery after a crash may take it over afterwards.
    claimed_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    # When the answer task was last sent to the broker (or its delayed retry falls due): the
    # reconciler sends it again once it has waited SLACK_RECONCILE_AFTER past this unanswered.
    queued_at = models.DateTimeField(null=True, blank=True)
    # When a worker last claimed it (the start of the answering state).
    claimed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["team_id", "slack_user_id", "channel_id", "thread_ts"],
                name="slack_event_thread",
            ),
            # The reconciler's scan: only unanswered events, so the index stays small.
            models.Index(
                fields=["status"],
                name="slack_event_unanswered",
                condition=models.Q(status__in=["received", "queued", "answering"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key} ({self.status})"
