"""Files parsed one after another by one warm sandbox process give what each gives parsed alone."""

from __future__ import annotations

from pathlib import Path

from retrieval.parsers import ParseError, Section, format_for
from retrieval.parsers.sandbox import Sandbox, parse_sandboxed
from tests.conftest import SHARED

DOCUMENTS = SHARED / "eval" / "documents"
ZX_BANK = SHARED / "eval" / "enterprise" / "ZX Bank"
# Formats interleaved and repeated, and a file that fails, so a reply that reached the wrong
# request or state left behind by an earlier file would show.
FILES = [
    DOCUMENTS / "pdf" / "fake-memo.pdf",
    DOCUMENTS / "codeblock.md",
    DOCUMENTS / "handbook-1p.docx",
    DOCUMENTS / "pdf" / "password.pdf",
    DOCUMENTS / "fake-html-cp1252.html",
    DOCUMENTS / "pdf" / "multi-column-2p.pdf",
    DOCUMENTS / "eml" / "family-day.eml",
    DOCUMENTS / "sample-presentation.pptx",
    DOCUMENTS / "2023-half-year-analyses-by-segment.xlsx",
    DOCUMENTS / "fake.docx",
    ZX_BANK / "md" / "ATM Locations at Major Movie Theaters.md",
    DOCUMENTS / "simple-table.md",
]
LIMITS = {"timeout": 60, "memory_mb": 1024, "max_uncompressed": 200 * 1024 * 1024}


def outcome(parse, path: Path) -> list[Section] | str:
    try:
        return parse(path, format_for(path.name))
    except ParseError as error:
        return f"failed: {error}"


def test_files_parsed_one_after_another_in_one_sandbox_read_as_each_parsed_alone():
    alone = [outcome(lambda p, f: parse_sandboxed(p, f, **LIMITS), path) for path in FILES]

    together, processes = [], set()
    with Sandbox(**LIMITS) as sandbox:
        for path in FILES:
            together.append(outcome(sandbox.parse, path))
            processes.add(sandbox.pid)

    assert together == alone
    assert len(processes) == 1, "one warm process parsed the whole batch"
    assert alone[3] == "failed: The PDF is encrypted with a password; upload an unprotected copy."
    assert all(isinstance(result, list) and result for i, result in enumerate(alone) if i != 3)
