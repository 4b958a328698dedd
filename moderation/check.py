"""The entry point: run the policy's detectors on a text and decide by the policy."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping

from moderation.features import TextFeatures
from moderation.pii import redact
from moderation.policy import POLICY_ENV, Policy, load_policy
from moderation.registry import run_detector
from moderation.verdict import Action, PiiSpan, Stage, Verdict


@functools.cache
def _policy_for(env_value: str) -> Policy:
    return load_policy(env_value or None)


def active_policy() -> Policy:
    """The policy from $MODERATION_POLICY, or the default; re-read when the variable changes."""
    return _policy_for(os.environ.get(POLICY_ENV, "").strip())


def check(text: str, *, stage: Stage | str, policy: Policy | None = None) -> Verdict:
    """Moderate one text at one stage and return the verdict."""
    stage = Stage(stage)
    policy = policy or active_policy()
    features = TextFeatures(text)
    scores: dict[str, float] = {}
    spans: list[PiiSpan] = []
    errors: list[str] = []
    for name in policy.detectors:
        try:
            detection = run_detector(name, text, features, stage, timeout_s=policy.timeout_s)
        except TimeoutError:
            errors.append(f"{name}: timed out after {policy.timeout_s:g}s")
            continue
        except Exception as exc:  # a broken detector must not become a silent allow
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        for category, score in detection.scores.items():
            scores[str(category)] = max(scores.get(str(category), 0.0), float(score))
        spans.extend(detection.pii)
    return decide(text, stage=stage, policy=policy, scores=scores, pii=spans, errors=errors)


def decide(
    text: str,
    *,
    stage: Stage,
    policy: Policy,
    scores: Mapping[str, float],
    pii: Iterable[PiiSpan] = (),
    errors: Iterable[str] = (),
) -> Verdict:
    """Apply a stage's rules to detector scores; the strictest action wins."""
    rules = policy.stage(stage)
    errors = tuple(errors)
    pii = tuple(sorted(set(pii), key=lambda s: (s.start, s.end)))
    action, rule_text = Action.ALLOW, None
    triggered: list[str] = []
    decisions: dict[str, Action] = {}
    for category, rule in rules.rules.items():
        score = scores.get(category)
        if score is None:
            continue
        decided = rule.decide(score)
        if decided is Action.ALLOW:
            continue
        triggered.append(category)
        decisions[category] = decided
        if decided.severity > action.severity:
            limit = rule.threshold if decided is rule.action else rule.flag_threshold
            action = decided
            rule_text = f"{stage}.{category}: {decided} (score {score:.2f} >= {limit:.2f})"
    if errors and rules.on_error.severity > action.severity:
        action = rules.on_error
        rule_text = f"{stage}.on_error: {rules.on_error} ({len(errors)} detector error(s))"
    redacted = redact(text, pii) if action is Action.REDACT else None
    return Verdict(
        stage=stage,
        action=action,
        scores=dict(scores),
        categories=tuple(triggered),
        decisive=tuple(c for c in triggered if decisions[c] is action),
        pii=pii,
        rule=rule_text,
        redacted_text=redacted,
        errors=errors,
    )


def warm_up() -> None:
    """Load the models now (e.g. at worker start) instead of on the first message."""
    check("warm up", stage=Stage.INPUT)
