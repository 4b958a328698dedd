"""Slack replies re-rendered when their readers lose (or regain) access to a source.

Slack keeps its own copy of every reply, outside the product, so the display-time re-check of
assistant.readable cannot reach it. Instead, when access changes (a document's rules change or it is
deleted, a person leaves a group or is deactivated), the replies concerned are rendered again from
the stored answer as their readers may see it now, and edited in place with chat.update. A periodic
sweep catches any change no signal saw. Slash-command replies are ephemeral: Slack shows them to
the asker for that session only and they cannot be edited afterwards.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.models import Message
from assistant.readable import EVERYONE, answers_for_reader
from assistant.slack import formatting
from assistant.slack.answering import channel_answers_are_org_wide, reply_text, slack_client
from assistant.slack.models import SlackEvent

logger = logging.getLogger(__name__)

# reply_ts values that name no message Slack lets us edit.
NOT_EDITABLE = ("", "posted", "response_url")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def reply_readers(event: SlackEvent) -> Any:
    """Who reads a reply: everyone for an org-wide channel answer, else the person who asked."""
    if channel_answers_are_org_wide(event):
        return EVERYONE
    # A channel answer with the asker's access is read by the channel; the asker's access is the
    # most it was ever allowed to show.
    return event.message.conversation.owner  # type: ignore[union-attr]


def slack_replies_rerender(*, user_id: int | None = None, client: WebClient | None = None) -> int:
    """Edit the posted replies whose readers' access changed (of one asker, or all); how many."""
    events = (
        SlackEvent.objects.filter(status=SlackEvent.Status.ANSWERED, message__isnull=False)
        .exclude(reply_ts__in=NOT_EDITABLE)
        .exclude(kind=SlackEvent.Kind.COMMAND)
        .select_related("message__conversation__owner")
        .order_by("pk")
    )
    if user_id is not None:
        events = events.filter(message__conversation__owner_id=user_id)
    by_readers: dict[Any, list[SlackEvent]] = defaultdict(list)
    for event in events:
        by_readers[reply_readers(event)].append(event)
    edited = 0
    for readers, group in by_readers.items():
        messages: list[Message] = [e.message for e in group]  # type: ignore[misc]
        readable = answers_for_reader(readers, messages)
        for event in group:
            message = event.message
            assert message is not None
            shown = readable[message.pk]
            citations = shown.citations if message.status == Message.Status.COMPLETE else []
            text = formatting.answer_text(shown.content, citations)
            digest = _digest(text)
            if digest == (event.reply_digest or _digest(reply_text(message))):
                continue
            client = client or slack_client()
            try:
                client.chat_update(channel=event.channel_id, ts=event.reply_ts, text=text)
            except (SlackApiError, OSError):
                # The next sweep tries again: the digest still names what Slack shows.
                logger.warning("could not re-render Slack reply of event %s", event.pk)
                continue
            SlackEvent.objects.filter(pk=event.pk).update(reply_digest=digest)
            edited += 1
    return edited
