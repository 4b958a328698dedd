from __future__ import annotations

import numpy as np

from moderation.datasets import Example
from moderation.training import LIMITS, Item, Scores, Sets, Thresholds, calibrate


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


def _scores(harm: np.ndarray, injection: np.ndarray) -> Scores:
    n = len(harm)
    return Scores(
        harm=harm,
        advice=np.zeros((n, 3)),
        injection=injection,
        context=injection,
        jailbreak=np.zeros(n),
        pii=np.zeros(n),
    )


def test_a_harmless_text_that_the_second_split_scores_higher_keeps_the_block_threshold_above_it() -> (
    None
):
    rng = np.random.default_rng(1)
    items = (
        _items("workplace", 300, unsafe=False, kind="question")
        + _items("workplace", 100, unsafe=True, kind="question")
        + _items("xstest", 50, unsafe=False)
        + _items("xstest", 50, unsafe=True)
        + _items("openai", 200, unsafe=False)
        + _items("openai", 100, unsafe=True)
        + _items("injections", 100, unsafe=False)
        + _items("injections", 100, unsafe=True)
    )
    unsafe = np.array([it.example.unsafe and it.source != "injections" for it in items])
    harm = np.zeros((len(items), 5))
    harm[:, 2] = np.clip(
        np.where(unsafe, rng.normal(0.7, 0.15, len(items)), rng.normal(0.3, 0.15, len(items))), 0, 1
    )
    # The second split scores every harmless text a little higher, as a head trained on other
    # data may.
    guard = harm.copy()
    guard[~unsafe, 2] = np.clip(guard[~unsafe, 2] + 0.05, 0, 1)
    injection = np.array(
        [0.9 if it.source == "injections" and it.example.unsafe else 0.1 for it in items]
    )
    scores, sets = _scores(harm, injection), Sets.of(items)

    plain = calibrate(scores, sets)
    guarded = calibrate(scores, sets, guard=guard)
    same = calibrate(scores, sets, guard=harm.copy())

    assert guarded.block["violence_and_threats"] > plain.block["violence_and_threats"]
    assert same.block == plain.block
    blocked = Thresholds(guarded.block, guarded.block, guarded.injection).blocked(
        _scores(guard, injection), sets
    )
    assert blocked[sets.xstest_safe].mean() <= LIMITS["xstest_safe_blocked"]
    assert blocked[sets.workplace_legitimate].mean() <= LIMITS["workplace_legitimate_blocked"]
    assert blocked[sets.harmless].mean() <= LIMITS["harmless_blocked"]
