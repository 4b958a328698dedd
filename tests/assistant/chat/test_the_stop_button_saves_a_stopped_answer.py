"""Stop in a real browser: the fetch is aborted, the server closes the answer, which is kept as stopped."""

from __future__ import annotations

import re
import time

import pytest

from assistant.models import Message
from tests.assistant.chat.conftest import browser_sign_in, ingest_and_wait
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HANDBOOK = b"""# Travel policy

## Trains and flights

Trips under 600 km are made by train in second class. Longer trips may be flown in economy.
Receipts are submitted within 30 days through the expenses tool.
"""


def test_stopping_an_answer_keeps_it_as_stopped(
    celery_worker, model_server, web_server, alice, groups, browser_context
):
    ingest_and_wait(HANDBOOK, title="Travel policy", groups=[groups["HR"]])
    page = browser_context.new_page()
    browser_sign_in(page, "alice", PASSWORD)

    page.fill(
        "#question", "How do I travel for work, by train or by plane, and how are receipts handled?"
    )
    page.press("#question", "Enter")
    # The conversation exists once the first event arrived; the model has not answered yet.
    page.wait_for_url(re.compile(r"/conversations/\d+/$"))
    page.click("#stop")

    page.wait_for_selector(".msg.assistant .notice.stopped")
    assert page.is_hidden("#stop")
    assert page.is_enabled("#send")
    deadline = time.monotonic() + 90
    answer = None
    while time.monotonic() < deadline and answer is None:
        answer = Message.objects.filter(role=Message.Role.ASSISTANT).first()
        time.sleep(0.3)
    assert answer is not None
    assert answer.status == Message.Status.STOPPED
    assert answer.trace["stopped"] == "client closed the stream"

    page.reload()
    assert page.locator(".msg.assistant .notice.stopped").text_content() == "Stopped before the end"
