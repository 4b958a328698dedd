from __future__ import annotations

from moderation.training import LIMITS, Sets, calibrate, figures
from tests.moderation.synthetic_population import population


def test_calibration_keeps_legitimate_workplace_blocking_under_its_limit() -> None:
    # Overlapping score distributions: no threshold separates them, so the limits must bind.
    items, _, scores = population(0)
    sets = Sets.of(items)

    chosen = calibrate(scores, sets)
    oof = figures(items, scores, sets, chosen)

    assert oof["workplace_legitimate_blocked"] <= LIMITS["workplace_legitimate_blocked"]
    assert oof["xstest_safe_blocked"] <= LIMITS["xstest_safe_blocked"]
    assert oof["workplace_legitimate_flagged"] <= LIMITS["workplace_legitimate_flagged"]
    # The limits bind: the threshold sits where blocking one more legitimate item would break them.
    assert 0.5 < chosen.block["violence_and_threats"] < 0.95
    assert chosen.flag["violence_and_threats"] < chosen.block["violence_and_threats"]
    assert oof["workplace_harmful_flagged_or_blocked"] > oof["workplace_harmful_blocked"] > 0.5
    assert oof["injection_f1"] == 1.0
