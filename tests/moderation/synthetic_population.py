"""A synthetic population of training items with overlapping harm scores, for the choice rule."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from moderation.datasets import Example
from moderation.training import Item, Scores


def items_of(source: str, n: int, *, unsafe: bool, kind: str = "") -> list[Item]:
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


def population(seed: int, *, harmbench: bool = True) -> tuple[list[Item], np.ndarray, Scores]:
    """Workplace, XSTest, OpenAI (and HarmBench) items and the injection set, with violence scores
    drawn from overlapping distributions, so no threshold separates them and the limits bind.

    Returns the items, the mask of harmful ones and their scores.
    """
    rng = np.random.default_rng(seed)
    items = (
        items_of("workplace", 300, unsafe=False, kind="question")
        + items_of("workplace", 100, unsafe=True, kind="question")
        + items_of("xstest", 50, unsafe=False)
        + items_of("xstest", 50, unsafe=True)
        + items_of("openai", 200, unsafe=False)
        + items_of("openai", 100, unsafe=True)
        + (items_of("harmbench", 100, unsafe=True) if harmbench else [])
        + items_of("injections", 100, unsafe=False)
        + items_of("injections", 100, unsafe=True)
    )
    unsafe = np.array([it.example.unsafe and it.source != "injections" for it in items])
    harm = np.zeros((len(items), 5))
    harm[:, 2] = np.clip(
        np.where(unsafe, rng.normal(0.7, 0.15, len(items)), rng.normal(0.3, 0.15, len(items))), 0, 1
    )
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
    return items, unsafe, scores


def with_scored(
    items: list[Item],
    scores: Scores,
    source: str,
    list_source: str,
    column: int,
    low: float,
    high: float,
    n: int,
) -> tuple[list[Item], Scores]:
    """The population and ``n`` legitimate items of a written list (`Item.source` ``source``,
    `Example.source` ``list_source``) that one harm head scores from ``low`` to ``high``."""
    extra = [
        Item(
            Example(f"{source} {i}", unsafe=False, kind="question", source=list_source),
            source,
            f"{source}-{i}",
            frozenset(),
            None,
        )
        for i in range(n)
    ]
    return items + extra, with_rows(scores, column, np.linspace(low, high, n))


def with_rows(scores: Scores, column: int, values: np.ndarray) -> Scores:
    """``scores`` and one row more per value: that harm head's score, every other score 0."""
    n = len(values)
    harm = np.zeros((n, 5))
    harm[:, column] = values
    return replace(
        scores,
        harm=np.vstack([scores.harm, harm]),
        advice=np.vstack([scores.advice, np.zeros((n, 3))]),
        **{
            k: np.concatenate([getattr(scores, k), np.zeros(n)])
            for k in ("injection", "context", "jailbreak", "pii")
        },
    )
