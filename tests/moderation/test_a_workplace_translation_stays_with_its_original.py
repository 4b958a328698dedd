from __future__ import annotations

from pathlib import Path

from moderation.datasets import read_workplace
from moderation.training import fold_of

WORKPLACE = Path(__file__).resolve().parents[2] / "moderation" / "data" / "workplace"


def test_translations_share_the_split_side_and_fold_of_their_english_item() -> None:
    items = list(read_workplace(WORKPLACE))
    english = {ex.group: ex for ex in items if ex.lang == "en"}
    translations = [ex for ex in items if ex.lang != "en"]
    assert len(translations) == 4 * 114

    for ex in translations:
        original = english[ex.group]
        assert ex.held_out() == original.held_out()
        assert fold_of(ex.group) == fold_of(original.group)
        assert (ex.unsafe, ex.kind, ex.domain) == (original.unsafe, original.kind, original.domain)
    # The split is by English id, not by text: both halves hold translated items.
    sides = {ex.held_out() for ex in translations}
    assert sides == {True, False}
