from __future__ import annotations

from pathlib import Path

from moderation.datasets import read_workplace
from moderation.training import (
    LIMITS,
    WORKPLACE_LIST_WEIGHT,
    WORKPLACE_WEIGHT,
    Sets,
    _workplace_item,
    calibrate,
    figures,
)
from tests.moderation.synthetic_population import population, with_scored

WORKPLACE = Path(__file__).resolve().parents[2] / "moderation" / "data" / "workplace"
_VECTORS = ("injection", "context", "jailbreak", "pii")


def test_later_lists_train_the_harm_heads_at_their_weight_and_the_first_set_trains_both() -> None:
    items = [_workplace_item(ex) for ex in read_workplace(WORKPLACE)]
    later = [it for it in items if it.example.source.startswith("written:list-")]
    first = [it for it in items if not it.example.source.startswith("written:")]
    assert {it.example.source for it in later} == {f"written:list-{x}" for x in "bdefhjm"}
    assert len(later) == 2134

    # A later list never reaches the injection heads, even its jailbreak requests.
    assert all(it.injection is None and it.weight == WORKPLACE_LIST_WEIGHT for it in later)
    assert any("jailbreak" in it.example.categories for it in later)
    # Its harmful items carry harm labels; a data request is taught as criminal misuse of data.
    doxxing = [it for it in later if it.example.categories == {"pii"}]
    assert doxxing and all(it.harm == {"dangerous_and_criminal_content"} for it in doxxing)

    # The first set (and its translations) trains the injection heads too, at its own weight.
    assert all(it.injection is not None and it.weight == WORKPLACE_WEIGHT for it in first)
    assert any(it.injection for it in first)


def test_the_block_limit_reads_the_first_set_and_the_flag_limit_reads_every_list() -> None:
    items, _, scores = population(0)
    before = calibrate(scores, Sets.of(items))

    # 20 legitimate items of a later list that the violence head scores like harmful ones.
    items, more = with_scored(items, scores, "workplace", "written:list-x", 2, 0.95, 0.95, 20)
    sets = Sets.of(items)
    after = calibrate(more, sets)

    # They do not move the block thresholds the first set's limit chose...
    assert after.block == before.block
    # ...but they are flagged items like any other: the flag band had to rise to make room.
    assert after.flag["violence_and_threats"] > before.flag["violence_and_threats"]
    flagged = after.flagged(more, sets)
    assert flagged[sets.workplace_legitimate].mean() <= LIMITS["workplace_legitimate_flagged"]
    # The lists' share is reported apart, since no block limit reads it.
    per_list = figures(items, more, sets, after)["workplace_per_list"]
    assert per_list["list-x"]["legitimate"]["n"] == 20
    assert per_list["list-x"]["legitimate"]["blocked"] == 1.0
    assert per_list["first"]["legitimate"]["n"] == 300
    assert per_list["first"]["legitimate"]["blocked"] <= LIMITS["workplace_legitimate_blocked"]
