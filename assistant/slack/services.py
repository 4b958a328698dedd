"""Writes of the Slack surface: recording questions once, and linking Slack users to accounts.

Which account a Slack user asks as is a read: assistant.slack.selectors.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from assistant.slack.dispatch import slack_event_answer_send
from assistant.slack.formatting import plain_question
from assistant.slack.models import LinkRequest, SlackEvent, SlackLink

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

LINK_TTL = timedelta(minutes=15)
# Events re-queued per reconciliation at most; the next run takes the rest.
RECONCILE_BATCH = 500


@dataclass(frozen=True)
class Question:
    """A question addressed to the bot, as parsed from a Slack request."""

    dedupe_key: str
    kind: str
    team_id: str
    slack_user_id: str
    text: str
    channel_id: str = ""
    thread_ts: str = ""
    response_url: str = ""


def question_from_event(payload: dict[str, Any]) -> Question | None:
    """The question in an Events API callback, or None for events the bot does not answer."""
    event = payload.get("event") or {}
    event_id = payload.get("event_id")
    team_id = payload.get("team_id") or event.get("team") or ""
    user = event.get("user")
    # Bots (ourselves included) must never be answered, or two bots could talk forever; subtypes
    # are edits, deletions, joins and bot posts, none of them a new question.
    if not event_id or not team_id or not user or event.get("bot_id") or event.get("subtype"):
        return None
    bot_user_ids = {
        a.get("user_id") for a in payload.get("authorizations") or [] if a.get("is_bot")
    }
    if user in bot_user_ids:
        return None
    common = {
        "dedupe_key": f"event:{event_id}",
        "team_id": team_id,
        "slack_user_id": user,
        "channel_id": event.get("channel") or "",
        "text": plain_question(event.get("text") or "", drop_user_ids=bot_user_ids),
    }
    if event.get("type") == "app_mention":
        # Thread under the mention, or continue the thread it was written in.
        return Question(
            kind=SlackEvent.Kind.MENTION,
            thread_ts=event.get("thread_ts") or event.get("ts") or "",
            **common,
        )
    if event.get("type") == "message" and event.get("channel_type") == "im":
        return Question(kind=SlackEvent.Kind.DM, thread_ts=event.get("thread_ts") or "", **common)
    return None


def question_from_command(form: dict[str, str]) -> Question:
    """The question of `/ask <question>` (the caller has ruled out `help` and `link`)."""
    return Question(
        # Slack does not redeliver slash commands, but a proxy might; trigger_id is per invocation.
        dedupe_key=f"command:{form.get('trigger_id') or secrets.token_hex(16)}",
        kind=SlackEvent.Kind.COMMAND,
        team_id=form.get("team_id", ""),
        slack_user_id=form.get("user_id", ""),
        channel_id=form.get("channel_id", ""),
        text=plain_question(form.get("text", "")),
        response_url=form.get("response_url", ""),
    )


def slack_event_record(*, question: Question) -> SlackEvent | None:
    """Store a question once per delivery key and queue its answer; None for a repeat delivery."""
    try:
        with transaction.atomic():
            # Concurrent deliveries wait on the unique index; all but the first fail here.
            event = SlackEvent.objects.create(
                dedupe_key=question.dedupe_key,
                kind=question.kind,
                team_id=question.team_id,
                slack_user_id=question.slack_user_id,
                channel_id=question.channel_id,
                thread_ts=question.thread_ts,
                text=question.text,
                response_url=question.response_url,
            )
            transaction.on_commit(lambda: slack_event_enqueue(event_id=event.pk))
    except IntegrityError:
        return None
    return event


def slack_event_enqueue(*, event_id: int) -> bool:
    """Send an event's answer task to the broker; False (and logged) when the broker refused it."""
    try:
        slack_event_answer_send(event_id=event_id)
    except Exception:
        # The broker is down or unreachable. The event stays `received` and the reconciler sends
        # it later; the webhook must still acknowledge, or Slack would redeliver it again and again
        # and each redelivery would find it already recorded.
        logger.exception(
            "could not queue the answer to Slack event %s; the reconciler will", event_id
        )
        return False
    # A worker may already have claimed it; then it is past `queued` and this changes nothing.
    SlackEvent.objects.filter(pk=event_id, status=SlackEvent.Status.RECEIVED).update(
        status=SlackEvent.Status.QUEUED
    )
    return True


def slack_events_requeue_stuck(*, older_than: timedelta) -> list[int]:
    """Send again the answer tasks of events left unanswered for `older_than`; returns their ids.

    Covers a task that never reached the broker, a message the broker lost, a delayed retry that
    never came back, and a worker that died holding its claim. Sending a task twice is safe: the
    worker's claim (one conditional UPDATE) lets only one copy answer.
    """
    now = timezone.now()
    cutoff = now - older_than
    waiting = Q(status__in=[SlackEvent.Status.RECEIVED, SlackEvent.Status.QUEUED]) & (
        Q(queued_at__lt=cutoff) | Q(queued_at__isnull=True, received_at__lt=cutoff)
    )
    abandoned = Q(status=SlackEvent.Status.ANSWERING, claimed_until__lt=now)
    with transaction.atomic():
        # Reconcilers running at once skip each other's rows rather than both sending them.
        ids = list(
            SlackEvent.objects.select_for_update(skip_locked=True)
            .filter(waiting | abandoned)
            .order_by("received_at")
            .values_list("pk", flat=True)[:RECONCILE_BATCH]
        )
        SlackEvent.objects.filter(pk__in=ids, status=SlackEvent.Status.ANSWERING).update(
            status=SlackEvent.Status.QUEUED, claimed_until=None
        )
        # The next reconciliation waits a full `older_than` from this send.
        SlackEvent.objects.filter(pk__in=ids).update(queued_at=now)
        for event_id in ids:
            transaction.on_commit(partial(slack_event_enqueue, event_id=event_id))
    if ids:
        logger.warning("re-queued %d unanswered Slack event(s): %s", len(ids), ids)
    return ids


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_request_create(*, team_id: str, slack_user_id: str) -> str:
    """Issue a one-time link for a Slack user; returns its absolute URL (shown only to them)."""
    token = secrets.token_urlsafe(32)
    LinkRequest.objects.create(
        team_id=team_id,
        slack_user_id=slack_user_id,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + LINK_TTL,
    )
    return settings.PUBLIC_BASE_URL + reverse("slack:link", args=[token])


def link_request_get(*, token: str) -> LinkRequest:
    """The pending, unexpired request for a token; Http404 alike for unknown, used and expired."""
    request = LinkRequest.objects.filter(
        token_hash=_token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    if request is None:
        raise Http404(
            "This link is unknown, used or expired. Type /ask link in Slack for a new one."
        )
    return request


@transaction.atomic
def slack_link_confirm(*, token: str, user: User) -> SlackLink:
    """Use a link request: its Slack user now acts as `user` (replacing any earlier link)."""
    pending = link_request_get(token=token)
    # The row lock makes the token single-use even when the form is submitted twice at once.
    request = (
        LinkRequest.objects.select_for_update().filter(pk=pending.pk, used_at__isnull=True).first()
    )
    if request is None:
        raise Http404("This link has just been used.")
    request.used_at = timezone.now()
    request.save(update_fields=["used_at"])
    link, _ = SlackLink.objects.update_or_create(
        team_id=request.team_id, slack_user_id=request.slack_user_id, defaults={"user": user}
    )
    return link


def slack_link_remove(*, link_id: int) -> None:
    """Unlink a Slack user: their next question gets link instructions again."""
    SlackLink.objects.filter(pk=link_id).delete()
