"""The broker was down when an event arrived: it is still acknowledged, and the reconciler answers it once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.db import connection

from assistant.slack.models import SlackEvent
from assistant.slack.tasks import reconcile_slack_events
from tests.conftest import ROOT, child_env, free_port, stop_process, wait_for_http
from tests.slack.conftest import event_body, signed_headers, unique

pytestmark = pytest.mark.django_db(transaction=True)

UNANSWERED = {"received", "queued", "answering"}


@pytest.fixture
def web_without_broker(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The real web process, its broker (Redis) pointed at a port where nothing listens."""
    port, closed = free_port(), free_port()
    log_path = tmp_path / "web.log"
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "assistant.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        ],
        cwd=ROOT, env=child_env(REDIS_URL=f"redis://127.0.0.1:{closed}/0"),
        stdout=log_path.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/accounts/login/", proc, log_path, timeout=120)
    yield url, log_path
    stop_process(proc)


def reconcile_in_a_thread(_: int) -> list[int]:
    try:
        return reconcile_slack_events()
    finally:
        connection.close()


def test_an_event_whose_task_never_reached_the_broker_is_answered_once(
    fake_slack_server, slack_api, celery_worker, web_without_broker, settings
):
    url, log_path = web_without_broker
    channel = unique("D0NOBROKER")
    body = event_body(user="U0NOBROKER", text="hello?", kind="im", channel=channel)
    headers = {**signed_headers(body), "Content-Type": "application/json"}

    response = httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=30)

    # Acknowledged all the same, or Slack would redeliver it for hours.
    assert response.status_code == 200
    event = SlackEvent.objects.get(channel_id=channel)
    assert event.status == "received"
    assert "could not queue the answer" in log_path.read_text()

    # Every copy of the reconciler sends the task again: twice in a row, then two at once.
    settings.SLACK_RECONCILE_AFTER = 0
    assert reconcile_slack_events() == [event.pk]
    reconcile_slack_events()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(reconcile_in_a_thread, range(2)))

    slack_api.wait_for("chat.postMessage", channel=channel, timeout=60)
    deadline = time.monotonic() + 30
    while event.status in UNANSWERED and time.monotonic() < deadline:
        time.sleep(0.1)
        event.refresh_from_db()
    # The reconciler finds nothing left to send, and no copy still queued posts again.
    assert reconcile_slack_events() == []
    time.sleep(3)
    assert len(slack_api.posted("chat.postMessage", channel=channel)) == 1
    assert event.status == "unlinked" and event.reply_ts
