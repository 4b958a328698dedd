"""The entry point: run the policy's detectors on a text and decide by the policy."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence

from moderation.categories import HARM_CATEGORIES
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
    supported_by: Sequence[int] = (),
    capped: Collection[str] = (),
) -> Verdict:
    """Apply a stage's rules to detector scores; the strictest action wins.

    A category in `capped` flags where its rule would block: the text is supported by the
    passages numbered in `supported_by` (see `downgrade_supported`).
    """
    rules = policy.stage(stage)
    supported_note = ", ".join(f"[{n}]" for n in supported_by)
    capped_rule: str | None = None
    capped_score = 0.0
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
        if decided is Action.BLOCK and category in capped:
            decisions[category] = Action.FLAG
            action = max(action, Action.FLAG, key=lambda a: a.severity)
            if capped_rule is None or score > capped_score:
                capped_score = score
                capped_rule = (
                    f"{stage}.{category}: flag (supported by passage {supported_note}; "
                    f"score {score:.2f} >= {rule.threshold:.2f} would block)"
                )
            continue
        decisions[category] = decided
        if decided.severity > action.severity:
            limit = rule.threshold if decided is rule.action else rule.flag_threshold
            action = decided
            rule_text = f"{stage}.{category}: {decided} (score {score:.2f} >= {limit:.2f})"
    if action is Action.FLAG and capped_rule is not None:
        rule_text = capped_rule  # why a text that would have been blocked was let through
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
        supported_by=tuple(supported_by) if capped else (),
    )


# Share of a sentence's content words that must occur in one passage for the sentence to count
# as quoting or closely paraphrasing it, and the fewest content words a sentence needs for that:
# "Kill him." shares every word with many documents without quoting any of them.
SUPPORT_SHARE = 0.6
MIN_SUPPORTED_WORDS = 4

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_MARKER = re.compile(r"\[\d{1,2}\]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
_STOPWORDS = frozenset(
    (  # noqa: SIM905 - a word list reads best as text
        "a an and are as at be been but by can could did do does for from had has have he her his how "
        "i if in into is it its may might more most must no not of on or our she should so such than "
        "that the their them then there these they this those to under up was we were what when where "
        "which while who why will with would you your about also any all each per via"
    ).split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning (no stopwords, no one-letter tokens)."""
    return {
        w
        for w in (m.group(0).lower() for m in _WORD.finditer(text))
        if len(w) > 1 and w not in _STOPWORDS
    }


def supporting_passages(text: str, passages: Sequence[str]) -> tuple[int, ...]:
    """The numbers (from 1) of the passages that support `text`, or () when any sentence lacks one.

    Every sentence of `text` with content words must have at least `MIN_SUPPORTED_WORDS` of them,
    `SUPPORT_SHARE` of which occur in one passage; for each sentence the best such passage counts.
    A harmful sentence cannot ride along with a quoted one released in the same piece.
    """
    if not passages:
        return ()
    passage_words = [content_words(p) for p in passages]
    numbers: list[int] = []
    for sentence in _SENTENCE_END.split(_MARKER.sub(" ", text)):
        words = content_words(sentence)
        if not words:
            continue
        if len(words) < MIN_SUPPORTED_WORDS:
            return ()
        shares = [len(words & pw) / len(words) for pw in passage_words]
        best = max(range(len(shares)), key=lambda i: shares[i])
        if shares[best] < SUPPORT_SHARE:
            return ()
        if best + 1 not in numbers:
            numbers.append(best + 1)
    return tuple(numbers)


def downgrade_supported(
    verdict: Verdict, text: str, *, passages: Sequence[str], policy: Policy | None = None
) -> Verdict:
    """Flag instead of block an output text that quotes a passage the asker may read.

    Only a block decided by harm categories alone is downgraded: a safety procedure quoted from
    the company's own handbook is not dangerous advice, but personal data, injections and
    detector errors keep their action. The verdict's rule says which passage supported the text.
    """
    if verdict.action is not Action.BLOCK or verdict.errors or not verdict.decisive:
        return verdict
    if any(category not in HARM_CATEGORIES for category in verdict.decisive):
        return verdict
    numbers = supporting_passages(text, passages)
    if not numbers:
        return verdict
    return decide(
        text,
        stage=verdict.stage,
        policy=policy or active_policy(),
        scores=verdict.scores,
        pii=verdict.pii,
        errors=verdict.errors,
        supported_by=numbers,
        capped=verdict.decisive,
    )


def warm_up() -> None:
    """Load the models now (e.g. at worker start) instead of on the first message."""
    check("warm up", stage=Stage.INPUT)
