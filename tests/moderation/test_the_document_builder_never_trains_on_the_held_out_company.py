from __future__ import annotations

from pathlib import Path

import pytest

from moderation import injected_documents

TEXT = "# Opening an Account\n\nBring a passport and a recent utility bill to any branch of the bank.\n"


def test_training_reads_every_company_but_the_held_out_one_and_evaluation_only_that_one(
    tmp_path: Path,
) -> None:
    for company in ("Aventro Motors", injected_documents.HELD_OUT_COMPANY):
        (tmp_path / company / "md").mkdir(parents=True)
        (tmp_path / company / "md" / "Accounts.md").write_text(TEXT)

    training = injected_documents.training_examples(tmp_path)
    assert {d.section.company for d in training} == {"Aventro Motors"}

    held_out = injected_documents.evaluation_examples(tmp_path, split="held-out")
    assert {d.section.company for d in held_out} == {injected_documents.HELD_OUT_COMPANY}
    assert len(held_out) == 2

    everything = injected_documents.evaluation_examples(tmp_path, split="all")
    assert {d.section.company for d in everything} == {
        "Aventro Motors",
        injected_documents.HELD_OUT_COMPANY,
    }


def test_the_held_out_split_refuses_a_corpus_without_the_held_out_company(tmp_path: Path) -> None:
    (tmp_path / "Aventro Motors" / "md").mkdir(parents=True)
    (tmp_path / "Aventro Motors" / "md" / "Accounts.md").write_text(TEXT)
    with pytest.raises(ValueError, match="held-out"):
        injected_documents.evaluation_examples(tmp_path, split="held-out")
