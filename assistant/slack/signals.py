"""Access changes that may leave a posted Slack reply showing what its readers lost.

Receivers only queue the re-render (assistant.slack.rerender) after the change commits; the
periodic sweep covers a change whose task was lost.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from retrieval.models import Document, DocumentAccessChange

logger = logging.getLogger(__name__)


def _queue(user_id: int | None = None) -> None:
    if not settings.SLACK_ENABLED:
        return

    def send() -> None:
        from assistant.slack.tasks import rerender_slack_replies

        try:
            rerender_slack_replies.delay(user_id)
        except Exception:
            # The broker is down: the periodic sweep re-renders these replies later.
            logger.warning("could not queue a re-render of Slack replies", exc_info=True)

    transaction.on_commit(send)


def _document_access_changed(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        _queue()


def _document_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _queue()


def _groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action not in ("post_remove", "post_clear"):
        return
    if not reverse:
        _queue(instance.pk)
    elif pk_set:
        for user_id in pk_set:
            _queue(user_id)
    else:
        # A group emptied at once: whose replies are concerned is no longer known.
        _queue()


def _user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        _queue(instance.pk)


def connect() -> None:
    """Connect the receivers (from the app's ready())."""
    user_model = get_user_model()
    post_save.connect(_document_access_changed, sender=DocumentAccessChange, weak=False)
    post_delete.connect(_document_deleted, sender=Document, weak=False)
    m2m_changed.connect(_groups_changed, sender=user_model.groups.through, weak=False)
    post_save.connect(_user_saved, sender=user_model, weak=False)
