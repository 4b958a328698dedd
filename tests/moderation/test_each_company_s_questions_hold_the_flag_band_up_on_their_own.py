from __future__ import annotations

import numpy as np

from moderation.datasets import Example
from moderation.training import LIMITS, Item, Sets, calibrate, figures, worst_company_rate
from tests.moderation.synthetic_population import population, with_rows


def _with_questions(items, scores, company: str, low: float, high: float, n: int):
    """The population and ``n`` of a company's own questions that the violence head scores from
    ``low`` to ``high``."""
    extra = [
        Item(
            Example(f"{company} question {i}", kind="question"),
            "questions",
            company,
            frozenset(),
            False,
        )
        for i in range(n)
    ]
    return items + extra, with_rows(scores, 2, np.linspace(low, high, n))


def test_each_company_s_questions_hold_the_flag_band_up_on_their_own() -> None:
    items, _, scores = population(0)
    # A retailer's questions score low; a bank's ("How do I report card fraud?") score like the
    # middle of the harmful items. Pooled, the bank's share hides under the retailer's.
    items, scores = _with_questions(items, scores, "Retailer", 0.05, 0.3, 200)
    items, scores = _with_questions(items, scores, "Bank", 0.4, 0.6, 40)
    sets = Sets.of(items)
    assert set(sets.question_company[sets.enterprise_questions]) == {"Retailer", "Bank"}

    old = LIMITS["company_questions_flagged"]
    try:
        LIMITS["company_questions_flagged"] = 1.0
        pooled = calibrate(scores, sets)
    finally:
        LIMITS["company_questions_flagged"] = old
    held = calibrate(scores, sets)

    pooled_hit = pooled.flagged(scores, sets)
    assert pooled_hit[sets.enterprise_questions].mean() <= LIMITS["enterprise_questions_flagged"]
    assert worst_company_rate(pooled_hit, sets) > LIMITS["company_questions_flagged"]

    assert held.flag["violence_and_threats"] > pooled.flag["violence_and_threats"]
    held_hit = held.flagged(scores, sets)
    assert worst_company_rate(held_hit, sets) <= LIMITS["company_questions_flagged"]
    assert figures(items, scores, sets, held)["company_questions_flagged"] == worst_company_rate(
        held_hit, sets
    )
