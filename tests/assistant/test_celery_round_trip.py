from __future__ import annotations

import os

import pytest

from assistant.tasks import ping


@pytest.mark.django_db(transaction=True)
def test_a_task_runs_in_a_real_worker_process_through_redis(celery_worker):
    result = ping.delay("hello").get(timeout=60)

    assert result["payload"] == "hello"
    # The answer came from another process: the worker's pool child, not this test.
    assert result["pid"] != os.getpid()
