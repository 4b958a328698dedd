"""The result of a moderation check, as plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    """Where in the answering pipeline a text is checked."""

    INPUT = "input"
    CONTEXT = "context"
    OUTPUT = "output"


class Action(StrEnum):
    """What the pipeline should do with the text; ordered from mildest to strictest."""

    ALLOW = "allow"
    FLAG = "flag"
    REDACT = "redact"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        """Rank used to combine several rules: the strictest action wins."""
        return _SEVERITY[self]


_SEVERITY = {Action.ALLOW: 0, Action.FLAG: 1, Action.REDACT: 2, Action.BLOCK: 3}


@dataclass(frozen=True)
class PiiSpan:
    """A piece of personal or secret data found in a text, by character offsets."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Verdict:
    """What moderation decided about one text at one stage, with the evidence."""

    stage: Stage
    action: Action
    scores: dict[str, float] = field(default_factory=dict)
    # Every category at or above its flag band, and those whose rule took the verdict's action
    # (what a refusal names: a text blocked for violence is not "flagged for sexual" too).
    categories: tuple[str, ...] = ()
    decisive: tuple[str, ...] = ()
    pii: tuple[PiiSpan, ...] = ()
    rule: str | None = None
    redacted_text: str | None = None
    errors: tuple[str, ...] = ()
    # At output: the numbers ([n]) of the prompt's passages the text quotes, when that turned a
    # block for a harm category into a flag (see moderation.check.downgrade_supported).
    supported_by: tuple[int, ...] = ()

    @property
    def blocked(self) -> bool:
        """True when the text must not be used (refused at input/output, dropped at context)."""
        return self.action is Action.BLOCK

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form for the audit log (`supported_by` only when there is one)."""
        data: dict[str, Any] = {
            "stage": str(self.stage),
            "action": str(self.action),
            "scores": {name: round(float(score), 4) for name, score in self.scores.items()},
            "categories": list(self.categories),
            "decisive": list(self.decisive),
            "pii": [{"start": s.start, "end": s.end, "kind": s.kind} for s in self.pii],
            "rule": self.rule,
            "redacted_text": self.redacted_text,
            "errors": list(self.errors),
        }
        if self.supported_by:
            data["supported_by"] = list(self.supported_by)
        return data
