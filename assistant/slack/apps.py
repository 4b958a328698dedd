from __future__ import annotations

from django.apps import AppConfig


class SlackConfig(AppConfig):
    name = "assistant.slack"
    label = "slack"
    verbose_name = "Slack"

    def ready(self) -> None:
        from assistant.slack import signals

        signals.connect()
