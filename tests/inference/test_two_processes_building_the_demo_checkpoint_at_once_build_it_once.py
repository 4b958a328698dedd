"""`make run` and the suite's parallel processes may all find the demo checkpoint missing at once:
one builds it, the others wait and use it, and nobody replaces it under a process reading it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inference.upcycle import is_built
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_two_builds_started_together_build_once_and_leave_a_whole_checkpoint(tmp_path: Path):
    out = tmp_path / "demo"
    command = [sys.executable, "-m", "inference", "build-demo", "--out", str(out)]
    builders = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [b.communicate(timeout=300)[0].decode() for b in builders]

    assert [b.returncode for b in builders] == [0, 0], outputs
    said = sorted("already built" in text for text in outputs)
    assert said == [False, True], outputs
    assert is_built(out)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in {"demo", "demo.lock"}]
    assert leftovers == [], leftovers
