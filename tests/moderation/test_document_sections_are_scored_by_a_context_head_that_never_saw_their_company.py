"""Out of fold, a document section is scored by a context head trained on other companies only:
sections of one company share boilerplate, so scoring them beside their siblings' training made
the clean-section figure (and the drop threshold chosen on it) look better than on a new company."""

from __future__ import annotations

import numpy as np

from moderation.datasets import Example
from moderation.training import (
    Item,
    Sets,
    clean_sections_dropped,
    document_items,
    fold_of,
    folds_of,
)
from tests.conftest import SHARED


def _section(company: str, n: int) -> list[Item]:
    section = f"{company}/file.md#{n}"
    return [
        Item(Example(f"text {n}", group=section), "documents", company, None, False),
        Item(Example(f"heading {n}", kind="heading", group=section), "document-headings",
             company, None, False),
    ]  # fmt: skip


def test_each_company_has_a_fold_of_its_own_and_other_items_keep_theirs() -> None:
    companies = ["Aventro Motors", "Velvera Technologies", "Zeta"]
    items = [it for c in companies for n in range(3) for it in _section(c, n)]
    items.append(Item(Example("a question"), "workplace", "wp-17", frozenset(), False))

    folds = folds_of(items)

    by_company = {
        c: {int(f) for it, f in zip(items, folds, strict=True) if it.group == c} for c in companies
    }
    assert all(len(f) == 1 for f in by_company.values()), by_company
    assert len({f.pop() for f in by_company.values()}) == 3
    assert folds[-1] == fold_of("wp-17")


def test_the_training_companies_sections_fall_in_one_fold_per_company() -> None:
    items = document_items(SHARED / "eval" / "enterprise")
    folds = folds_of(items)

    companies = {it.group for it in items}
    assert companies == {"Aventro Motors", "Velvera Technologies"}  # ZX Bank is held out
    per_company = {c: set(folds[[it.group == c for it in items]].tolist()) for c in companies}
    assert [len(f) for f in per_company.values()] == [1, 1]
    assert per_company["Aventro Motors"] != per_company["Velvera Technologies"]


def test_a_sections_text_and_heading_count_as_one_section() -> None:
    items = _section("Aventro Motors", 0) + _section("Aventro Motors", 1)
    sets = Sets.of(items)
    # The heading of section 0 and the text of section 1 are dropped: two sections of two.
    assert clean_sections_dropped(items, np.array([0, 1, 1, 0]), sets) == 1.0
    # Text and heading of section 0: one section of two, though both rows share the company.
    assert clean_sections_dropped(items, np.array([1, 1, 0, 0]), sets) == 0.5
