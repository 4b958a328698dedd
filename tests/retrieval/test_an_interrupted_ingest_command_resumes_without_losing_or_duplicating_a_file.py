"""`manage.py ingest --wait --in-process` killed halfway (SIGKILL, or Ctrl-C) and run again: every
file ends as exactly one ready document with its chunks, none lost, none stored twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval.models import AccessCount, Chunk, ChunkTerms, CorpusStatistic, Document
from tests.conftest import ROOT, child_env

FILES = 24


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"note-{i:02}.md").write_text(
            f"# Note {i}\n\nParcel {i} leaves the depot on day {i}; courier number {i * 7}."
        )
    return folder


def ingest(folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "manage.py", "ingest", str(folder), "--org-wide",
            "--wait", "--in-process", "--batch", "3",
        ],
        cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_until_ready(count: int, process: subprocess.Popen[str], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Document.objects.filter(status="ready").count() >= count:
            return
        if process.poll() is not None:
            raise AssertionError(f"the command ended early:\n{process.communicate()[0]}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"fewer than {count} documents ready within {timeout} s")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT], ids=["sigkill", "ctrl-c"])
def test_an_interrupted_ingest_command_resumes_without_losing_or_duplicating_a_file(folder, signum):
    first = ingest(folder)
    wait_until_ready(FILES // 3, first)
    first.send_signal(signum)
    output = first.communicate(timeout=120)[0]
    ready_before = Document.objects.filter(status="ready").count()
    assert ready_before < FILES, "the command finished before it was interrupted"
    if signum == signal.SIGINT:
        assert first.returncode == 130, output
        assert "Run the same command again to resume" in output
        # A clean stop leaves nothing half-done and blames no file.
        assert set(Document.objects.values_list("status", flat=True)) <= {"ready", "queued"}

    second = ingest(folder)
    output = second.communicate(timeout=300)[0]

    assert second.returncode == 0, output
    assert f"{ready_before} already stored" in output
    documents = list(Document.objects.order_by("original_filename"))
    assert [d.original_filename for d in documents] == [f"note-{i:02}.md" for i in range(FILES)]
    for document in documents:
        assert document.status == "ready", document.error
        chunks = list(Chunk.objects.filter(document=document).order_by("ordinal"))
        assert [c.ordinal for c in chunks] == list(range(document.chunk_count))
        assert document.chunk_count >= 1
        assert {c.version for c in chunks} == {document.version} == {1}
    total = Chunk.objects.count()
    assert ChunkTerms.objects.count() == total
    statistics = CorpusStatistic.objects.get()
    assert (statistics.chunk_count, statistics.document_count) == (total, FILES)
    assert AccessCount.objects.get(principals=["*"]).chunk_count == total
