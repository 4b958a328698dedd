"""The moderation policy: per stage and category, what to do above which score."""

from __future__ import annotations

import functools
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from moderation.categories import (
    ADVICE_CATEGORIES,
    ALL_CATEGORIES,
    HARM_CATEGORIES,
    Category,
)
from moderation.verdict import Action, Stage

POLICY_ENV = "MODERATION_POLICY"


class PolicyError(ValueError):
    """A policy file or mapping that cannot be understood."""


@dataclass(frozen=True)
class Rule:
    """What one category does at one stage.

    Scores at or above ``threshold`` take ``action``; scores at or above ``flag_threshold``
    (when set, and lower) are flagged, so borderline texts are recorded without being refused.
    """

    action: Action
    threshold: float = 0.5
    flag_threshold: float | None = None

    def decide(self, score: float) -> Action:
        """The action this rule takes for a score."""
        if score >= self.threshold:
            return self.action
        if self.flag_threshold is not None and score >= self.flag_threshold:
            return Action.FLAG
        return Action.ALLOW


@dataclass(frozen=True)
class StagePolicy:
    """The rules of one stage and what to do when a detector fails there."""

    rules: Mapping[str, Rule]
    on_error: Action = Action.BLOCK


@dataclass(frozen=True)
class Policy:
    """The whole policy: which detectors run, their time limit, and the rules of each stage."""

    stages: Mapping[Stage, StagePolicy]
    detectors: tuple[str, ...] = ("pii", "classifier", "injection", "llm_guard")
    timeout_s: float = 5.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def stage(self, stage: Stage | str) -> StagePolicy:
        """The rules for one stage."""
        return self.stages[Stage(stage)]


# The built-in thresholds below are the fallback; the default policy merges over them the
# thresholds that training chose out of fold and wrote beside the weights
# (moderation/weights/policy.json; the choice rule is in moderation/README.md, "Calibration").
CALIBRATED_POLICY = "policy.json"
_HARM_BLOCK = 0.5
_HARM_FLAG = 0.28
_ADVICE_FLAG = 0.5
_ATTACK = 0.5


def _default_stages() -> dict[Stage, StagePolicy]:
    harm = {
        str(c): Rule(Action.BLOCK, threshold=_HARM_BLOCK, flag_threshold=_HARM_FLAG)
        for c in HARM_CATEGORIES
    }
    advice = {str(c): Rule(Action.FLAG, threshold=_ADVICE_FLAG) for c in ADVICE_CATEGORIES}
    return {
        Stage.INPUT: StagePolicy(
            rules={
                **harm,
                **advice,
                Category.PII: Rule(Action.FLAG, threshold=0.5),
                Category.JAILBREAK: Rule(Action.BLOCK, threshold=_ATTACK),
                Category.PROMPT_INJECTION: Rule(Action.BLOCK, threshold=_ATTACK),
            },
            on_error=Action.BLOCK,
        ),
        # Retrieved passages are company documents: their topics are not the user's intent,
        # so only attacks hidden in them matter. BLOCK here means "drop the passage".
        Stage.CONTEXT: StagePolicy(
            rules={
                **{str(c): Rule(Action.FLAG, threshold=0.9) for c in HARM_CATEGORIES},
                Category.PII: Rule(Action.FLAG, threshold=0.5),
                Category.JAILBREAK: Rule(Action.BLOCK, threshold=_ATTACK),
                Category.PROMPT_INJECTION: Rule(Action.BLOCK, threshold=_ATTACK),
            },
            on_error=Action.BLOCK,
        ),
        Stage.OUTPUT: StagePolicy(
            rules={
                **harm,
                **{str(c): Rule(Action.ALLOW, threshold=1.0) for c in ADVICE_CATEGORIES},
                Category.PII: Rule(Action.REDACT, threshold=0.5),
            },
            on_error=Action.BLOCK,
        ),
    }


@functools.cache
def _calibrated() -> Mapping[str, Any]:
    ref = resources.files("moderation.weights").joinpath(CALIBRATED_POLICY)
    if not ref.is_file():
        return {}
    with resources.as_file(ref) as path:
        return _read_file(path)


@functools.cache
def default_policy() -> Policy:
    """The built-in policy with the calibrated thresholds shipped beside the weights."""
    return _merge(Policy(stages=_default_stages()), _calibrated())


def _parse_rule(where: str, raw: Any, base: Rule | None) -> Rule:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: expected a table, got {type(raw).__name__}")
    unknown = set(raw) - {"action", "threshold", "flag_threshold"}
    if unknown:
        raise PolicyError(f"{where}: unknown keys {sorted(unknown)}")
    try:
        action = Action(raw["action"]) if "action" in raw else (base.action if base else None)
    except ValueError as exc:
        raise PolicyError(f"{where}.action: {exc}") from None
    if action is None:
        raise PolicyError(f"{where}: 'action' is required for a new rule")
    threshold = float(raw.get("threshold", base.threshold if base else 0.5))
    flag = raw.get("flag_threshold", base.flag_threshold if base else None)
    flag = None if flag is None else float(flag)
    if not 0.0 <= threshold <= 1.0 or (flag is not None and not 0.0 <= flag <= 1.0):
        raise PolicyError(f"{where}: thresholds must lie in [0, 1]")
    return Rule(action=action, threshold=threshold, flag_threshold=flag)


def _merge(base: Policy, raw: Mapping[str, Any]) -> Policy:
    unknown = set(raw) - {"detectors", "timeout_s", "stages", "extra"}
    if unknown:
        raise PolicyError(f"unknown top-level keys {sorted(unknown)}")
    stages = dict(base.stages)
    for stage_name, stage_raw in (raw.get("stages") or {}).items():
        try:
            stage = Stage(stage_name)
        except ValueError:
            raise PolicyError(f"unknown stage {stage_name!r}") from None
        if not isinstance(stage_raw, Mapping):
            raise PolicyError(f"stages.{stage_name}: expected a table")
        unknown = set(stage_raw) - {"on_error", "rules"}
        if unknown:
            raise PolicyError(f"stages.{stage_name}: unknown keys {sorted(unknown)}")
        current = stages[stage]
        rules = dict(current.rules)
        for cat, rule_raw in (stage_raw.get("rules") or {}).items():
            if cat not in {str(c) for c in ALL_CATEGORIES}:
                raise PolicyError(f"stages.{stage_name}.rules: unknown category {cat!r}")
            rule = _parse_rule(f"stages.{stage_name}.rules.{cat}", rule_raw, rules.get(cat))
            if rule.action is Action.REDACT and cat != Category.PII:
                raise PolicyError(f"stages.{stage_name}.rules.{cat}: only pii can be redacted")
            rules[cat] = rule
        on_error = current.on_error
        if "on_error" in stage_raw:
            try:
                on_error = Action(stage_raw["on_error"])
            except ValueError as exc:
                raise PolicyError(f"stages.{stage_name}.on_error: {exc}") from None
        stages[stage] = StagePolicy(rules=rules, on_error=on_error)
    policy = replace(base, stages=stages)
    if "detectors" in raw:
        policy = replace(policy, detectors=tuple(str(d) for d in raw["detectors"]))
    if "timeout_s" in raw:
        policy = replace(policy, timeout_s=float(raw["timeout_s"]))
    if "extra" in raw:
        policy = replace(policy, extra=dict(raw["extra"]))
    return policy


def _read_file(path: Path) -> Mapping[str, Any]:
    try:
        if path.suffix.lower() == ".toml":
            with path.open("rb") as fh:
                return tomllib.load(fh)
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise PolicyError(f"cannot read policy {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise PolicyError(f"{path}: the policy must be an object")
    return data


def load_policy(source: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> Policy:
    """Build a policy from a JSON/TOML file, a mapping, or (None) $MODERATION_POLICY or the default.

    Whatever is given is merged over the default policy, so a file only lists what it changes.
    """
    if source is None:
        env = os.environ.get(POLICY_ENV, "").strip()
        if not env:
            return default_policy()
        source = env
    raw = source if isinstance(source, Mapping) else _read_file(Path(source))
    return _merge(default_policy(), raw)
