from __future__ import annotations

import json
from pathlib import Path

from moderation.categories import HARM_CATEGORIES
from moderation.policy import default_policy, load_policy

WEIGHTS = Path(__file__).resolve().parents[2] / "moderation" / "weights"


def test_the_shipped_policy_file_sets_the_default_harm_and_injection_thresholds() -> None:
    chosen = json.loads((WEIGHTS / "training-report.json").read_text())["thresholds"]
    policy = default_policy()

    for stage in ("input", "output"):
        for category in (str(c) for c in HARM_CATEGORIES):
            rule = policy.stage(stage).rules[category]
            assert rule.threshold == chosen["block"][category]
            assert rule.flag_threshold == min(chosen["flag"][category], chosen["block"][category])
    for stage in ("input", "context"):
        assert policy.stage(stage).rules["prompt_injection"].threshold == chosen["prompt_injection"]
    # A policy file still overrides a calibrated value.
    custom = load_policy({"stages": {"input": {"rules": {"sexual": {"threshold": 0.99}}}}})
    assert custom.stage("input").rules["sexual"].threshold == 0.99
    assert custom.stage("output").rules["sexual"].threshold == chosen["block"]["sexual"]
