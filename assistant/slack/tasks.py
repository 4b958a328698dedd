"""Celery tasks of the Slack surface: each takes an event id and answers it at most once."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from assistant.slack.answering import (
    RetryLater,
    event_answer,
    event_apologise,
    event_claim,
    event_fail,
    event_release,
)
from assistant.slack.dispatch import SLACK_EVENT_ANSWER
from assistant.slack.services import slack_events_requeue_stuck

logger = logging.getLogger(__name__)

TIME_LIMIT = 600
MAX_RETRIES = 6


@shared_task(
    name=SLACK_EVENT_ANSWER,
    bind=True,
    queue="default",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    time_limit=TIME_LIMIT,
    soft_time_limit=TIME_LIMIT - 30,
)
def slack_event_answer(self: Task, event_id: int) -> None:
    """Answer a stored Slack question and post the reply; retried with backoff on outside failures."""
    # Held past the hard time limit, so a redelivered copy cannot start while this one runs.
    event = event_claim(event_id=event_id, hold=timedelta(seconds=TIME_LIMIT + 60))
    if event is None:
        return
    try:
        event_answer(event=event)
    except RetryLater as exc:
        if self.request.retries >= MAX_RETRIES:
            event_fail(event_id=event_id, error=str(exc))
            event_apologise(event_id=event_id)
            logger.error("giving up on Slack event %s: %s", event_id, exc)
            return
        countdown = min(5 * 2**self.request.retries, 300)
        # Due then: should the retry's message be lost, the reconciler sends it after that.
        event_release(
            event=event, error=str(exc), retry_at=timezone.now() + timedelta(seconds=countdown)
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    except Exception as exc:
        event_fail(event_id=event_id, error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(queue="default", time_limit=120, soft_time_limit=100)
def reconcile_slack_events() -> list[int]:
    """Queue again the events unanswered for longer than SLACK_RECONCILE_AFTER seconds."""
    return slack_events_requeue_stuck(older_than=timedelta(seconds=settings.SLACK_RECONCILE_AFTER))


@shared_task(queue="default", time_limit=600, soft_time_limit=570)
def rerender_slack_replies(user_id: int | None = None) -> int:
    """Edit posted replies whose readers lost (or regained) access to a source; how many."""
    from assistant.slack.rerender import slack_replies_rerender

    return slack_replies_rerender(user_id=user_id)
