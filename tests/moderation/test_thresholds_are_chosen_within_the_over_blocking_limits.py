from __future__ import annotations

import numpy as np

from moderation.datasets import Example
from moderation.training import LIMITS, Item, Scores, Sets, calibrate, figures


def _items(source: str, n: int, *, unsafe: bool, kind: str = "") -> list[Item]:
    cats = frozenset({"violence_and_threats"}) if unsafe else frozenset()
    return [
        Item(
            Example(f"{source} {unsafe} {i}", cats, unsafe=unsafe, kind=kind),
            source,
            f"{source}{unsafe}{i}",
            cats,
            unsafe,
        )
        for i in range(n)
    ]


def test_calibration_keeps_legitimate_workplace_blocking_under_its_limit() -> None:
    rng = np.random.default_rng(0)
    items = (
        _items("workplace", 300, unsafe=False, kind="question")
        + _items("workplace", 100, unsafe=True, kind="question")
        + _items("xstest", 50, unsafe=False)
        + _items("xstest", 50, unsafe=True)
        + _items("openai", 200, unsafe=False)
        + _items("openai", 100, unsafe=True)
        + _items("harmbench", 100, unsafe=True)
        + _items("injections", 100, unsafe=False)
        + _items("injections", 100, unsafe=True)
    )
    unsafe = np.array([it.example.unsafe and it.source != "injections" for it in items])
    # Overlapping score distributions: no threshold separates them, so the limits must bind.
    violence = np.clip(
        np.where(unsafe, rng.normal(0.7, 0.15, len(items)), rng.normal(0.3, 0.15, len(items))), 0, 1
    )
    harm = np.zeros((len(items), 5))
    harm[:, 2] = violence
    injection = np.array(
        [0.9 if it.source == "injections" and it.example.unsafe else 0.1 for it in items]
    )
    scores = Scores(
        harm=harm,
        advice=np.zeros((len(items), 3)),
        injection=injection,
        context=injection,
        jailbreak=np.zeros(len(items)),
        pii=np.zeros(len(items)),
    )
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
