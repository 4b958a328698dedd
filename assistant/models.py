"""Conversations, messages with their traces, feedback and the moderation audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Surface(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    SLACK = "slack", "Slack"
    CLI = "cli", "Command line"


class Conversation(models.Model):
    """A thread of questions and answers; visible only to its owner."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True)
    surface = models.CharField(max_length=10, choices=Surface.choices, default=Surface.WEB)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["owner", "-updated_at"])]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class Message(models.Model):
    """One turn. Assistant turns carry their citations and the full trace of how they were made."""

    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Status(models.TextChoices):
        COMPLETE = "complete", "Complete"
        NOTHING_FOUND = "nothing_found", "Nothing found"
        REFUSED = "refused", "Refused by moderation"
        STOPPED = "stopped", "Stopped"
        ERROR = "error", "Error"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    content = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPLETE)
    citations = models.JSONField(default=list, blank=True)
    trace = models.JSONField(default=dict, blank=True)
    model = models.CharField(max_length=200, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    total_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # A turn an API client sent as the history of its request: kept as the conversation's context,
    # but neither asked nor answered here, so the audit's traces and usage figures leave it out.
    imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"


class Feedback(models.Model):
    """A thumbs up or down, with an optional comment, on an answer."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    rating = models.SmallIntegerField(choices=[(1, "Helpful"), (-1, "Not helpful")])
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_feedback_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.rating:+d} on message {self.message_id}"


class ModerationEvent(models.Model):
    """A moderation verdict that did something (flag, block, redact) or failed, for the audit log."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    surface = models.CharField(max_length=10, choices=Surface.choices)
    stage = models.CharField(max_length=10)
    action = models.CharField(max_length=10)
    categories = models.JSONField(default=list)
    rule = models.CharField(max_length=200, blank=True)
    verdict = models.JSONField(default=dict)
    # Redacted and truncated: the audit log must not become a second copy of sensitive text.
    excerpt = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.stage} {self.action} {','.join(self.categories)}"
