"""A calibrated policy file written by training beside the weights sets the default thresholds;
a user's policy file still overrides it. Without one, the built-in thresholds apply."""

from __future__ import annotations

import pytest

from moderation import policy as policy_module
from moderation.categories import HARM_CATEGORIES
from moderation.policy import default_policy, load_policy

HARM = {str(c): {"threshold": 0.61, "flag_threshold": 0.42} for c in HARM_CATEGORIES}
CALIBRATED = {
    "stages": {
        "input": {"rules": {**HARM, "prompt_injection": {"threshold": 0.57}}},
        "context": {"rules": {"prompt_injection": {"threshold": 0.57}}},
        "output": {"rules": HARM},
    }
}


@pytest.fixture
def fresh_defaults():
    default_policy.cache_clear()
    yield
    # Torn down before monkeypatch restores `_calibrated`: the next caller recomputes the default.
    default_policy.cache_clear()


def test_a_calibrated_policy_file_sets_the_default_thresholds(monkeypatch, fresh_defaults):
    monkeypatch.setattr(policy_module, "_calibrated", lambda: CALIBRATED)
    policy = default_policy()

    for stage in ("input", "output"):
        for category in (str(c) for c in HARM_CATEGORIES):
            rule = policy.stage(stage).rules[category]
            assert (rule.threshold, rule.flag_threshold) == (0.61, 0.42)
    for stage in ("input", "context"):
        assert policy.stage(stage).rules["prompt_injection"].threshold == 0.57
    # A policy file still overrides a calibrated value.
    custom = load_policy({"stages": {"input": {"rules": {"sexual": {"threshold": 0.99}}}}})
    assert custom.stage("input").rules["sexual"].threshold == 0.99
    assert custom.stage("output").rules["sexual"].threshold == 0.61


def test_without_a_calibrated_file_the_built_in_thresholds_apply(monkeypatch, fresh_defaults):
    monkeypatch.setattr(policy_module, "_calibrated", lambda: {})
    rule = default_policy().stage("input").rules["violence_and_threats"]

    assert (rule.threshold, rule.flag_threshold) == (0.5, 0.28)
