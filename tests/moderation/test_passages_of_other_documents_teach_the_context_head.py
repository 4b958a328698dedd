"""Documents of other kinds (rulebooks, filings, web pages) are cut into passages that teach the
context head what clean text looks like, and what an instruction inserted into it looks like; the
held-out handbook is never read for training."""

from __future__ import annotations

import logging

import docx
import numpy as np

from moderation import clean_documents, training

RULE = "Mobile storage media must be encrypted and staff must lock their screens when they leave. "


def _docx(path, paragraphs):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))


def _folder(tmp_path):
    _docx(tmp_path / "rules.docx", [RULE * 4, RULE * 4, "Page 2"])
    (tmp_path / "filing.html").write_text(
        "<html><script>var tracking = 'do not read this script text at all';</script>"
        f"<p>{'The company reported revenue growth in every segment this year. ' * 12}</p></html>",
        encoding="utf-8",
    )
    (tmp_path / "notes.md").write_text(f"# Notes\n\n{RULE * 3}\n\n{RULE * 3}", encoding="utf-8")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    _docx(tmp_path / clean_documents.HELD_OUT_DOCUMENT, [RULE * 5])
    _docx(tmp_path / "handbook-1p.docx", [RULE * 5])
    return tmp_path


def test_passages_are_distinct_runs_of_paragraphs_of_about_120_words():
    short = ["first half of a rule " * 12, "second half of a rule " * 12]  # 60 + 60 words
    long_a, long_b = "alpha " * 130, "beta " * 130
    chunks = clean_documents.chunks([*short, long_a, long_b, long_a, "Page 2"])
    # Two short paragraphs make one passage; a repeated passage counts once; a tail is dropped.
    assert chunks == [" ".join(short), long_a, long_b]
    assert all(len(c.split()) >= clean_documents.CHUNK_WORDS for c in chunks)


def test_training_never_reads_the_held_out_handbook_or_its_first_page(tmp_path):
    folder = _folder(tmp_path)

    train = clean_documents.passages(folder, split="train")
    held_out = clean_documents.passages(folder, split="held-out")

    assert {p.document for p in train} == {"rules.docx", "filing.html", "notes.md"}
    assert {p.document for p in held_out} == {clean_documents.HELD_OUT_DOCUMENT}
    assert not any("tracking" in p.text for p in train)  # scripts are not text


def test_a_file_that_cannot_be_parsed_is_skipped_and_named(tmp_path, caplog):
    folder = _folder(tmp_path)
    (folder / "broken.docx").write_bytes(b"not a zip file")
    with caplog.at_level(logging.WARNING):
        found = clean_documents.passages(folder, split="train")
    assert "broken.docx" in caplog.text
    assert {p.document for p in found} == {"rules.docx", "filing.html", "notes.md"}


def test_each_file_is_a_fold_and_only_the_context_head_reads_its_passages(tmp_path, monkeypatch):
    items = training.other_document_items(_folder(tmp_path))
    clean = [it for it in items if it.source == "clean-documents"]
    copies = [it for it in items if it.source == "injected-documents"]
    # Each passage clean, and once with one inserted instruction, both in the passage's file fold.
    assert len(clean) == len(copies) == len(items) // 2
    assert all(it.injection is False and it.harm is None for it in clean)
    assert all(it.injection is True and it.harm is None for it in copies)
    for passage, copy in zip(clean, copies, strict=True):
        assert copy.group == passage.group and copy.example.group == passage.example.group
        assert copy.example.text != passage.example.text
    folds = training.folds_of(items)
    assert all(f == training.fold_of(it.group) for it, f in zip(items, folds, strict=True))

    texts = [it.example.text for it in items]

    class Feats:
        vectors = np.zeros((len(texts), 4))
        counts = np.zeros((len(texts), 4))

    Feats.texts = texts
    monkeypatch.setattr(training, "fit_heads", lambda labels, texts, *rest: texts)
    rows = np.arange(len(items))
    assert training._fit_injection(items, rows, Feats) == []
    assert training._fit_injection(items, rows, Feats, context=True) == texts
