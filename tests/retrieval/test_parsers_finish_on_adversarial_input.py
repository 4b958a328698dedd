"""Markdown and plain-text parsing and chunking finish on any text of up to 100,000 characters.

Documents are untrusted: a heading pattern that backtracked took 7 s on one 2,000-space line. Each
call gets a CPU-time budget that only a hang would exceed.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from retrieval.chunking import chunk_sections
from retrieval.parsers import Section, format_for, parse_in_process
from retrieval.parsers.markdown import link_labels
from tests.budget import repeated_pieces, within_budget

PIECES = [
    "\n", " ", "\t", "#", "[", "]", "(", ")", "!", "1", ".", "*", "_", "`", "|", "<", ">", "=",
    "-", "~", "a", "Z", "# a", "```", "[a](", "![", "> ", "- ", "1. ", "  \n", "\n\n", "a. ",
]  # fmt: skip
MAX_LENGTH = 100_000


def parse(tmp_path, name: str, text: str) -> list[Section]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return within_budget(parse_in_process, path, format_for(name))


def chunk(sections: list[Section]) -> object:
    # Word counts stand in for the embedder's tokenizer: the chunker's own work is what is timed.
    return chunk_sections(
        sections,
        max_tokens=64,
        count_tokens=lambda texts: [len(text.split()) for text in texts],
        split_tokens=lambda text, n: (
            [" ".join(text.split()[i : i + n]) for i in range(0, len(text.split()), n)] or [text]
        ),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=repeated_pieces(PIECES, MAX_LENGTH))
def test_markdown_is_parsed_and_chunked_within_budget(tmp_path_factory, text):
    sections = parse(tmp_path_factory.mktemp("md"), "notes.md", text)
    within_budget(chunk, sections)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=repeated_pieces(PIECES, MAX_LENGTH))
def test_plain_text_is_parsed_and_chunked_within_budget(tmp_path_factory, text):
    sections = parse(tmp_path_factory.mktemp("txt"), "notes.txt", text)
    within_budget(chunk, sections)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=repeated_pieces(PIECES, MAX_LENGTH))
def test_link_labels_are_read_within_budget(text):
    within_budget(lambda: link_labels(text, images=True))


def test_a_heading_with_a_long_gap_is_read_whole(tmp_path):
    sections = parse(tmp_path, "gap.md", "# a" + " " * 2000 + "b\n\nBody text.")

    assert sections[0].headings == ("a" + " " * 2000 + "b",)
    assert sections[0].text == "Body text."


def test_closing_hashes_and_link_markup_leave_the_heading(tmp_path):
    text = "# Leave ##\nIntro.\n## [Parental](/p) *leave*   ###  \nTwenty weeks.\n"

    sections = parse(tmp_path, "leave.md", text)

    assert [s.headings for s in sections] == [("Leave",), ("Leave", "Parental leave")]
