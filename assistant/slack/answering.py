"""Answering a recorded Slack question with the right access, and posting the reply to Slack."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from assistant.inflight import TooManyAnswers, answer_slot
from assistant.models import Conversation, Message, Surface
from assistant.pipeline import MODEL_DOWN, ChatModel, answer
from assistant.slack import formatting
from assistant.slack.models import SlackEvent
from assistant.slack.selectors import slack_asker_for

logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """Something outside this process failed; the task tries again later."""


class ReplyFailed(RetryLater):
    """Slack did not accept a reply."""


class AnswerFailed(RetryLater):
    """The pipeline could not produce an answer (the model server down, for example)."""


def org_wide_retriever(*, user: Any, query: str, k: int) -> list[Any]:
    """Search restricted in SQL to org-wide documents: what everyone in a channel may read."""
    from retrieval.access import ORG_WIDE, principals_for
    from retrieval.search import SearchOptions, search_with

    # An inactive or anonymous asker reads nothing, not even org-wide documents.
    if not principals_for(user):
        return []
    return search_with(principals=[ORG_WIDE], query=query, k=k, options=SearchOptions.configured())


def channel_answers_are_org_wide(event: SlackEvent) -> bool:
    """Whether this question is answered where others can read it, from org-wide documents only."""
    return event.kind == SlackEvent.Kind.MENTION and settings.SLACK_CHANNEL_SCOPE == "org_wide"


def event_claim(*, event_id: int, hold: timedelta) -> SlackEvent | None:
    """Take an unanswered event for `hold`; None when it is done or another worker holds it."""
    now = timezone.now()
    # One conditional UPDATE: of any number of copies of the task (redelivered, re-queued by the
    # reconciler), exactly one matches the row; the others find it answering or done.
    taken = (
        SlackEvent.objects.filter(pk=event_id)
        .filter(
            Q(status__in=[SlackEvent.Status.RECEIVED, SlackEvent.Status.QUEUED])
            | Q(status=SlackEvent.Status.ANSWERING, claimed_until__lt=now)
        )
        .update(status=SlackEvent.Status.ANSWERING, claimed_at=now, claimed_until=now + hold)
    )
    return SlackEvent.objects.filter(pk=event_id).first() if taken else None


def event_release(*, event: SlackEvent, error: str = "", retry_at: datetime | None = None) -> None:
    """Let a retry (or a redelivery) take the event again, due at `retry_at` (default now)."""
    # Only while still ours: a claim that expired may have passed to another worker.
    SlackEvent.objects.filter(
        pk=event.pk, status=SlackEvent.Status.ANSWERING, claimed_at=event.claimed_at
    ).update(
        status=SlackEvent.Status.QUEUED,
        queued_at=retry_at or timezone.now(),
        claimed_until=None,
        error=error[:2000],
    )


def event_fail(*, event_id: int, error: str) -> None:
    """Give up on an event after the last retry."""
    SlackEvent.objects.filter(pk=event_id).update(
        status=SlackEvent.Status.FAILED, claimed_until=None, error=error[:2000]
    )


def conversation_for(event: SlackEvent, user: Any) -> Conversation | None:
    """The asker's conversation in the same Slack thread, so follow-ups keep their context."""
    if not event.thread_ts:
        return None
    earlier = (
        SlackEvent.objects.filter(
            team_id=event.team_id,
            slack_user_id=event.slack_user_id,
            channel_id=event.channel_id,
            thread_ts=event.thread_ts,
            kind=event.kind,
            message__conversation__owner=user,
        )
        .exclude(pk=event.pk)
        .select_related("message__conversation")
        .order_by("-received_at")
        .first()
    )
    return earlier.message.conversation if earlier and earlier.message else None


def slack_client() -> WebClient:
    """The bot's Web API client."""
    return WebClient(
        token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_BASE_URL, timeout=15
    )


def response_url_allowed(url: str) -> bool:
    """Whether a response_url points at Slack (or at the configured stand-in), never elsewhere."""
    target = urlsplit(url)
    api = urlsplit(settings.SLACK_API_BASE_URL)
    if target.scheme == "https" and target.hostname == "hooks.slack.com":
        return True
    return (target.scheme, target.netloc) == (api.scheme, api.netloc)


def _respond(event: SlackEvent, text: str) -> None:
    if not response_url_allowed(event.response_url):
        raise ReplyFailed(f"response_url outside Slack: {event.response_url!r}")
    result = WebhookClient(event.response_url, timeout=15).send(
        text=text, response_type="ephemeral", replace_original=False
    )
    if result.status_code != 200:
        raise ReplyFailed(f"response_url answered {result.status_code}: {result.body[:200]}")


def _post(client: WebClient, event: SlackEvent, text: str) -> str:
    # No unfurling: Slack's servers would fetch the source links and show previews of them.
    # slack_sdk leaves out arguments that are None, so a DM without a thread gets a plain message.
    response = client.chat_postMessage(
        channel=event.channel_id,
        text=text,
        mrkdwn=True,
        unfurl_links=False,
        unfurl_media=False,
        thread_ts=event.thread_ts or None,
    )
    return str(response.get("ts") or "")


def _post_privately(client: WebClient, event: SlackEvent, text: str) -> None:
    client.chat_postEphemeral(
        channel=event.channel_id,
        user=event.slack_user_id,
        text=text,
        thread_ts=event.thread_ts or None,
    )


def _deliver(client: WebClient, event: SlackEvent, text: str) -> None:
    """Post `text` where the asker will read it, once."""
    if event.reply_ts:
        return
    if event.kind == SlackEvent.Kind.COMMAND:
        _respond(event, text)
        event.reply_ts = "response_url"
    else:
        event.reply_ts = _post(client, event, text) or "posted"
    SlackEvent.objects.filter(pk=event.pk).update(reply_ts=event.reply_ts)


def _finish(event: SlackEvent, status: str) -> None:
    SlackEvent.objects.filter(pk=event.pk).update(
        status=status, answered_at=timezone.now(), claimed_until=None, error=""
    )


def event_answer(
    *, event: SlackEvent, client: WebClient | None = None, chat_model: ChatModel | None = None
) -> None:
    """Answer a claimed event as its asker's account and post the reply; RetryLater to try again."""
    client = client or slack_client()
    try:
        asker = slack_asker_for(team_id=event.team_id, slack_user_id=event.slack_user_id)
        if asker is None:
            # In a channel only the asker sees the instructions; elsewhere the reply is private.
            if event.kind == SlackEvent.Kind.MENTION:
                _post_privately(client, event, formatting.LINK_INSTRUCTIONS)
            else:
                _deliver(client, event, formatting.LINK_INSTRUCTIONS)
            _finish(event, SlackEvent.Status.UNLINKED)
            return
        if not event.text:
            _deliver(client, event, formatting.HELP)
            _finish(event, SlackEvent.Status.ANSWERED)
            return

        org_wide = channel_answers_are_org_wide(event)
        message = event.message
        if message is None:
            try:
                with answer_slot(asker.user):
                    result = answer(
                        user=asker.user,
                        question=event.text,
                        conversation=conversation_for(event, asker.user),
                        surface=Surface.SLACK,
                        chat_model=chat_model,
                        retriever=org_wide_retriever if org_wide else None,
                    )
            except TooManyAnswers as exc:
                # The asker hears why; asking again once an answer is done is up to them.
                _deliver(client, event, str(exc))
                _finish(event, SlackEvent.Status.ANSWERED)
                return
            except Exception as exc:
                logger.exception("answering Slack event %s failed", event.pk)
                raise AnswerFailed(f"{type(exc).__name__}: {exc}") from exc
            if (
                result.message.status == Message.Status.ERROR
                and result.message.content == MODEL_DOWN
            ):
                # The model was unreachable: try again later rather than post "try again later".
                raise AnswerFailed(str(result.message.trace.get("error", result.message.content)))
            message = result.message
            event.message = message
            SlackEvent.objects.filter(pk=event.pk).update(message=message)
        already_posted = bool(event.reply_ts)
        _deliver(client, event, reply_text(message))
        if org_wide and not already_posted:
            _offer_private_answer(client, event)
        _finish(event, SlackEvent.Status.ANSWERED)
    except SlackApiError as exc:
        raise ReplyFailed(f"Slack answered {exc.response.get('error')!r}") from exc
    except OSError as exc:
        raise ReplyFailed(f"Slack unreachable: {exc}") from exc


def event_apologise(*, event_id: int, client: WebClient | None = None) -> None:
    """Tell the asker we gave up (best effort): silence would look like being ignored."""
    event = SlackEvent.objects.filter(pk=event_id).first()
    if event is None or event.reply_ts:
        return
    try:
        _deliver(client or slack_client(), event, formatting.SORRY)
    except (RetryLater, SlackApiError, OSError):
        logger.warning("could not apologise for Slack event %s", event_id)


def reply_text(message: Message) -> str:
    """The mrkdwn reply for an answer: its text, and its sources when it has any."""
    citations = message.citations if message.status == Message.Status.COMPLETE else []
    return formatting.answer_text(message.content, citations)


def _offer_private_answer(client: WebClient, event: SlackEvent) -> None:
    # Best effort: the answer is already in the channel, and reposting it would be worse.
    try:
        _post_privately(client, event, formatting.private_offer(event.text))
    except (SlackApiError, OSError):
        logger.warning("could not offer a private answer for Slack event %s", event.pk)
