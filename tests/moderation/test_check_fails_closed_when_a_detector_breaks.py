from __future__ import annotations

import pytest

from moderation import Action, Stage, check, load_policy

RAISES = "tests.moderation.fake_detectors:explode"
SLOW = "tests.moderation.fake_detectors:slow"


@pytest.mark.parametrize("stage", [Stage.INPUT, Stage.CONTEXT, Stage.OUTPUT])
def test_a_detector_that_raises_blocks_by_default_at_every_stage(stage: Stage) -> None:
    policy = load_policy({"detectors": [RAISES]})
    verdict = check("What is our holiday policy?", stage=stage, policy=policy)
    assert verdict.action is Action.BLOCK
    assert verdict.errors == (
        "tests.moderation.fake_detectors:explode: RuntimeError: model file is corrupt",
    )
    assert verdict.rule == f"{stage}.on_error: block (1 detector error(s))"


def test_a_detector_that_times_out_is_an_error_too() -> None:
    policy = load_policy({"detectors": [SLOW], "timeout_s": 0.05})
    verdict = check("What is our holiday policy?", stage="input", policy=policy)
    assert verdict.blocked
    assert "timed out" in verdict.errors[0]


def test_the_policy_decides_what_an_error_means() -> None:
    policy = load_policy({"detectors": [RAISES], "stages": {"output": {"on_error": "flag"}}})
    verdict = check("Fine text.", stage="output", policy=policy)
    assert verdict.action is Action.FLAG
    assert verdict.errors


def test_an_unknown_detector_name_is_an_error_not_a_silent_allow() -> None:
    verdict = check("hello", stage="input", policy=load_policy({"detectors": ["nope"]}))
    assert verdict.blocked
    assert "unknown detector" in verdict.errors[0]
