from __future__ import annotations

from retrieval.chunking import chunk_sections
from retrieval.parsers import Section


def count(texts):
    return [len(t.split()) for t in texts]


def split(text, size):
    words = text.split()
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]


def chunk(sections, max_tokens=20):
    return chunk_sections(sections, max_tokens=max_tokens, count_tokens=count, split_tokens=split)


def test_every_chunk_fits_the_budget_and_keeps_its_heading_path():
    long = "\n\n".join(f"Paragraph {i} has exactly six words." for i in range(10))
    drafts = chunk([Section(long, headings=("Handbook", "Leave", "Sick leave"))])

    assert len(drafts) > 1
    assert all(d.token_count <= 20 for d in drafts)
    assert {d.location for d in drafts} == {"Handbook › Leave › Sick leave"}
    assert [d.ordinal for d in drafts] == list(range(len(drafts)))


def test_sections_under_different_headings_or_pages_never_share_a_chunk():
    drafts = chunk(
        [
            Section("Intro words.", headings=("A",)),
            Section("Other words.", headings=("B",)),
            Section("Page text.", page=3),
            Section("Slide text.", headings=("Title",), page=4, page_label="slide"),
        ]
    )

    assert [d.location for d in drafts] == ["A", "B", "page 3", "slide 4 › Title"]


def test_a_sentence_longer_than_the_budget_is_cut_at_token_boundaries():
    drafts = chunk([Section(" ".join(["word"] * 50))], max_tokens=20)

    assert [d.token_count for d in drafts] == [20, 20, 10]
