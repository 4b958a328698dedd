"""A process that dies mid-answer never gives its slot back; the slot expires on its own."""

from __future__ import annotations

import time

import pytest

from assistant import inflight
from assistant.inflight import TooManyAnswers, answer_slot


def test_an_unreleased_slot_stops_counting_once_it_expires(settings, alice, monkeypatch):
    settings.MAX_ANSWERS_IN_FLIGHT = 1
    monkeypatch.setattr(inflight, "slot_seconds", lambda: 0.5)
    answer_slot(alice)  # never released, as if its process had been killed

    with pytest.raises(TooManyAnswers):
        answer_slot(alice)
    time.sleep(1.0)

    answer_slot(alice).release()
