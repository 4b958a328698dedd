"""In the middle of a batch, a file whose parse crashes, runs out of CPU time or out of memory fails
alone with its reason; the same warm sandbox process goes on and the files after it parse."""

from __future__ import annotations

import os
import random
import signal
import string
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from retrieval.parsers import ParseError, Section, format_for
from retrieval.parsers.sandbox import Sandbox
from tests.retrieval.conftest import docx

# The batch's good files, each of a format the bad files share, and what each reads as.
NEIGHBOURS = {
    "rota.md": (b"# Rota\n\nAnna takes the Monday desk.", [(("Rota",), "Anna takes the Monday desk.")]),
    "menu.txt": (b"Soup on Tuesdays.", [((), "Soup on Tuesdays.")]),
    "memo.docx": (docx(["Parking moves to level 2.", "From May."]), [((), "Parking moves to level 2.\nFrom May.")]),
}  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("batch")
    for name, (content, _) in NEIGHBOURS.items():
        (folder / name).write_bytes(content)
    # Many short lines: under 4 MB on disk, far more than 64 MB to hold as sections and JSON.
    (folder / "lines.md").write_bytes(b"ab\n" * 1_300_000)
    # 30,000 random paragraphs: seconds of CPU to parse.
    rng = random.Random(0)
    paragraphs = ["".join(rng.choices(string.ascii_letters + " ", k=200)) for _ in range(30_000)]
    (folder / "heavy.docx").write_bytes(docx(paragraphs))
    return folder


def crash_while_parsing(sandbox: Sandbox, path: Path) -> list[Section]:
    """Parse `path`, and end the file's child with SIGSEGV meanwhile, as a crash in a C library
    would end it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsing = pool.submit(sandbox.parse, path, format_for(path.name))
        children = Path(f"/proc/{sandbox.pid}/task/{sandbox.pid}/children")
        while not parsing.done():
            pids = children.read_text().split()
            if pids:
                os.kill(int(pids[0]), signal.SIGSEGV)
                break
            time.sleep(0.01)
        return parsing.result()


CASES = {
    "crash": ("heavy.docx", {"timeout": 120, "memory_mb": 2048}, r"DOCX parser crashed on this file \(SIGSEGV\)"),
    "cpu time": ("heavy.docx", {"timeout": 1, "memory_mb": 2048}, "took longer than 1 s"),
    "memory": ("lines.md", {"timeout": 120, "memory_mb": 64}, "needed more than 64 MB of memory"),
}  # fmt: skip


def read(sandbox: Sandbox, path: Path) -> list[tuple[tuple[str, ...], str]]:
    return [(s.headings, s.text) for s in sandbox.parse(path, format_for(path.name))]


@pytest.mark.parametrize("case", CASES)
def test_a_file_that_crashes_or_breaks_a_limit_mid_batch_fails_alone_and_the_next_files_parse(
    folder, case
):
    bad, limits, reason = CASES[case]
    expected = [sections for _, sections in NEIGHBOURS.values()]

    with Sandbox(**limits, max_uncompressed=200 * 1024 * 1024) as sandbox:
        before = [read(sandbox, folder / name) for name in NEIGHBOURS]
        process = sandbox.pid
        with pytest.raises(ParseError, match=reason):
            if case == "crash":
                crash_while_parsing(sandbox, folder / bad)
            else:
                sandbox.parse(folder / bad, format_for(bad))
        after = [read(sandbox, folder / name) for name in NEIGHBOURS]
        assert sandbox.pid == process, "the warm process outlived the bad file"

    assert before == expected
    assert after == expected
