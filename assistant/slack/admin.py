"""Django admin for Slack links and received events."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from assistant.slack.models import SlackEvent, SlackLink


@admin.register(SlackLink)
class SlackLinkAdmin(admin.ModelAdmin):
    list_display = ("team_id", "slack_user_id", "user", "created_at")
    search_fields = ("slack_user_id", "user__username")
    raw_id_fields = ("user",)


@admin.register(SlackEvent)
class SlackEventAdmin(admin.ModelAdmin):
    list_display = ("dedupe_key", "kind", "slack_user_id", "status", "received_at", "answered_at")
    list_filter = ("kind", "status")
    # Questions can be sensitive: staff see the status, not an editable copy of the text.
    readonly_fields = [f.name for f in SlackEvent._meta.fields if f.name != "text"]
    exclude = ("text",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
