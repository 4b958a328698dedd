"""Copies of an event's task that claim it at the same moment: exactly one gets it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from assistant.slack.answering import event_claim
from assistant.slack.models import SlackEvent
from tests.slack.conftest import unique

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8


def claim_all_at_once(event_id: int) -> list[SlackEvent | None]:
    start = threading.Barrier(COPIES)
    results: list[SlackEvent | None] = [None] * COPIES

    def claim(n: int) -> None:
        try:
            start.wait()
            results[n] = event_claim(event_id=event_id, hold=timedelta(minutes=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def new_event(**fields: object) -> SlackEvent:
    return SlackEvent.objects.create(
        dedupe_key=unique("event:EvRace"),
        kind=SlackEvent.Kind.DM,
        team_id="T0TEST",
        slack_user_id="U0RACE",
        text="hello?",
        **fields,
    )


@pytest.mark.parametrize("status", ["received", "queued"])
def test_only_one_of_many_simultaneous_claims_wins(status):
    event = new_event(status=status)

    winners = [r for r in claim_all_at_once(event.pk) if r is not None]

    assert len(winners) == 1
    event.refresh_from_db()
    assert event.status == "answering" and event.claimed_at and event.claimed_until


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over_by_one_copy():
    long_ago = timezone.now() - timedelta(hours=1)
    event = new_event(status="answering", claimed_at=long_ago, claimed_until=long_ago)

    winners = [r for r in claim_all_at_once(event.pk) if r is not None]

    assert len(winners) == 1
    assert winners[0].claimed_until > timezone.now()


@pytest.mark.parametrize("status", ["answered", "unlinked", "failed"])
def test_a_finished_event_is_never_claimed_again(status):
    event = new_event(status=status)

    assert [r for r in claim_all_at_once(event.pk) if r is not None] == []
