"""`make run`'s supervisor: one instance at a time, and a dead child ends the run with an error."""

from __future__ import annotations

import fcntl
import subprocess
import sys

import pytest

from tests.conftest import ROOT, child_env


def run_devstack(var_dir, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.devstack"],
        cwd=ROOT,
        env=child_env(ASSISTANT_VAR_DIR=str(var_dir), INFERENCE_URL="http://127.0.0.1:9", **env),
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_second_run_says_one_is_already_running(tmp_path):
    lock_path = tmp_path / "run" / "stack.lock"
    lock_path.parent.mkdir(parents=True)
    with lock_path.open("w") as held:
        held.write("4242")
        held.flush()
        fcntl.flock(held, fcntl.LOCK_EX)

        result = run_devstack(tmp_path)

    assert result.returncode == 1
    assert "already running (pid 4242)" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_crashed_child_is_reported_and_the_run_exits_non_zero(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "demo-seeded").write_text("already")

    # An unusable address makes the web server exit at once.
    result = run_devstack(tmp_path, WEB_HOST="256.0.0.1", WEB_PORT="8765")

    assert result.returncode == 1
    assert "web exited with code" in result.stderr
