from __future__ import annotations

from dataclasses import replace

import numpy as np

from moderation.training import LIMITS, Sets, Thresholds, calibrate
from tests.moderation.synthetic_population import population


def test_a_harmless_text_that_the_second_split_scores_higher_keeps_the_block_threshold_above_it() -> (
    None
):
    items, unsafe, scores = population(1, harmbench=False)
    # The second split scores every harmless text a little higher, as a head trained on other
    # data may.
    guard = scores.harm.copy()
    guard[~unsafe, 2] = np.clip(guard[~unsafe, 2] + 0.05, 0, 1)
    sets = Sets.of(items)

    plain = calibrate(scores, sets)
    guarded = calibrate(scores, sets, guard=guard)
    same = calibrate(scores, sets, guard=scores.harm.copy())

    assert guarded.block["violence_and_threats"] > plain.block["violence_and_threats"]
    assert same.block == plain.block
    blocked = Thresholds(guarded.block, guarded.block, guarded.injection).blocked(
        replace(scores, harm=guard), sets
    )
    assert blocked[sets.xstest_safe].mean() <= LIMITS["xstest_safe_blocked"]
    assert blocked[sets.workplace_legitimate].mean() <= LIMITS["workplace_legitimate_blocked"]
    assert blocked[sets.harmless].mean() <= LIMITS["harmless_blocked"]
