from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation import Action, PolicyError, Stage, active_policy, default_policy, load_policy


def test_the_default_policy_blocks_harm_flags_advice_and_redacts_pii_at_output() -> None:
    policy = default_policy()
    assert policy.stage(Stage.INPUT).rules["violence_and_threats"].action is Action.BLOCK
    assert policy.stage(Stage.INPUT).rules["health"].action is Action.FLAG
    assert policy.stage(Stage.INPUT).rules["pii"].action is Action.FLAG
    assert policy.stage(Stage.INPUT).rules["jailbreak"].action is Action.BLOCK
    assert policy.stage(Stage.CONTEXT).rules["prompt_injection"].action is Action.BLOCK
    assert policy.stage(Stage.OUTPUT).rules["pii"].action is Action.REDACT


def test_a_toml_file_changes_only_what_it_lists(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        "timeout_s = 0.5\n"
        "[stages.input.rules.health]\naction = 'block'\nthreshold = 0.8\n"
        "[stages.output]\non_error = 'flag'\n"
    )
    policy = load_policy(path)
    assert policy.timeout_s == 0.5
    health = policy.stage("input").rules["health"]
    assert (health.action, health.threshold) == (Action.BLOCK, 0.8)
    assert policy.stage("output").on_error is Action.FLAG
    assert policy.stage("input").rules["sexual"] == default_policy().stage("input").rules["sexual"]


def test_the_environment_variable_names_a_json_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policy.json"
    path.write_text(
        json.dumps({"stages": {"input": {"rules": {"financial": {"action": "allow"}}}}})
    )
    monkeypatch.setenv("MODERATION_POLICY", str(path))
    assert load_policy().stage("input").rules["financial"].action is Action.ALLOW
    assert active_policy().stage("input").rules["financial"].action is Action.ALLOW
    monkeypatch.delenv("MODERATION_POLICY")
    assert active_policy().stage("input").rules["financial"].action is Action.FLAG


@pytest.mark.parametrize(
    "bad",
    [
        {"stages": {"input": {"rules": {"weather": {"action": "block"}}}}},
        {"stages": {"lunch": {}}},
        {"stages": {"input": {"rules": {"sexual": {"action": "shout"}}}}},
        {"stages": {"input": {"rules": {"sexual": {"threshold": 3}}}}},
        {"stages": {"output": {"rules": {"sexual": {"action": "redact"}}}}},
        {"colour": "blue"},
    ],
)
def test_mistakes_in_a_policy_are_reported_not_ignored(bad: dict) -> None:
    with pytest.raises(PolicyError):
        load_policy(bad)
