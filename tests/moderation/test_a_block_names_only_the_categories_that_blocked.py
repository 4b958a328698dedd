from __future__ import annotations

from moderation import Action, Stage
from moderation.check import decide
from moderation.policy import default_policy


def in_flag_band(stage: Stage, category: str) -> float:
    """A score the default policy flags but does not block for `category` at `stage`."""
    rule = default_policy().stage(stage).rules[category]
    assert rule.flag_threshold is not None and rule.flag_threshold < rule.threshold
    return (rule.flag_threshold + rule.threshold) / 2


def test_flagged_categories_are_recorded_but_only_the_blocking_one_is_decisive() -> None:
    verdict = decide(
        "text",
        stage=Stage.OUTPUT,
        policy=default_policy(),
        scores={
            "violence_and_threats": 0.99,
            "sexual": in_flag_band(Stage.OUTPUT, "sexual"),
            "selfharm": 0.0,
        },
    )
    assert verdict.action is Action.BLOCK
    assert set(verdict.categories) == {"violence_and_threats", "sexual"}
    assert verdict.decisive == ("violence_and_threats",)


def test_a_detector_error_blocks_without_naming_a_category() -> None:
    verdict = decide(
        "text",
        stage=Stage.INPUT,
        policy=default_policy(),
        scores={"sexual": in_flag_band(Stage.INPUT, "sexual")},
        errors=["harm: timed out after 2s"],
    )
    assert verdict.action is Action.BLOCK
    assert verdict.categories == ("sexual",)
    assert verdict.decisive == ()
