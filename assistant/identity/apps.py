from __future__ import annotations

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "assistant.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from assistant.identity import signals

        signals.connect()
