"""Services queue tasks by their registered names; a web or command process finds them all the same.

Only a Celery worker imports every task module at start-up. A process that never did (the web
server taking an upload or a Slack event, a management command) must still reach each task, with
the queue its decorator declares.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, child_env

PROGRAM = """
import sys
import django
django.setup()
from assistant.slack.dispatch import SLACK_EVENT_ANSWER
from retrieval.dispatch import INGEST_DOCUMENT, registered_task
assert "retrieval.tasks" not in sys.modules and "assistant.slack.tasks" not in sys.modules
for name in (INGEST_DOCUMENT, SLACK_EVENT_ANSWER):
    task = registered_task(name)
    print(task.name, task.queue)
"""


def test_each_dispatched_task_is_found_by_name_with_its_queue():
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "retrieval.tasks.ingest_document ingest",
        "assistant.slack.tasks.slack_event_answer default",
    ]
