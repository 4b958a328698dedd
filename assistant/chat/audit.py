"""Reads for the staff audit pages: moderation events, answer traces and usage figures.

Staff see what the trace stores about retrieval (chunk and document ids, scores), never the text of
passages: being staff does not widen what someone may read. Answers, passage excerpts and redacted
output are therefore left out; the asker's own question is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Aggregate, Count, FloatField, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

import moderation
from assistant.models import Feedback, Message, ModerationEvent

STAGES = [str(s) for s in moderation.Stage]
ACTIONS = [str(a) for a in moderation.Action]
# Verdict fields that may quote document or answer text.
_TEXT_FIELDS = ("redacted_text",)


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile of an expression."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=float(fraction), **extra)


def moderation_events(*, stage: str = "", action: str = "") -> QuerySet[ModerationEvent]:
    """Moderation events, newest first, optionally of one stage and one action."""
    events = ModerationEvent.objects.select_related("user").order_by("-created_at", "-id")
    if stage:
        events = events.filter(stage=stage)
    if action:
        events = events.filter(action=action)
    return events


def answer_traces() -> QuerySet[Message]:
    """Answers with their trace figures, newest first (content and trace bodies deferred)."""
    return (
        Message.objects.filter(role=Message.Role.ASSISTANT, imported=False)
        .select_related("conversation__owner")
        .defer("content", "trace", "citations")
        .order_by("-created_at", "-id")
    )


def _without_text(verdict: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in verdict.items() if k not in _TEXT_FIELDS}


@dataclass(frozen=True)
class Trace:
    """What staff may see of how one answer was made."""

    message: Message
    question: str
    query: str
    retrieved: list[dict[str, Any]]
    prompt_passages: list[int]
    verdicts: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    citations_removed: list[dict[str, Any]]
    timings_ms: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def answer_trace(message_id: int) -> Trace:
    """The trace of one answer; Http404 when there is no such answer."""
    message = (
        Message.objects.filter(pk=message_id, role=Message.Role.ASSISTANT, imported=False)
        .select_related("conversation__owner")
        .first()
    )
    if message is None:
        raise Http404("No such answer.")
    trace = message.trace or {}
    checks = trace.get("moderation", {})
    verdicts: list[dict[str, Any]] = []
    if checks.get("input"):
        # The question is the asker's own text, so its redacted form may be shown.
        verdicts.append({"where": "question", **checks["input"]})
    for dropped in checks.get("context_dropped", []):
        verdicts.append(
            {"where": f"passage {dropped.get('chunk_id')} (dropped)", **_without_text(dropped)}
        )
    for flagged in checks.get("context_flagged", []):
        verdicts.append(
            {"where": f"passage {flagged.get('chunk_id')} (flagged)", **_without_text(flagged)}
        )
    for output in checks.get("output", []):
        verdicts.append({"where": "answer", **_without_text(output)})
    notes = [f"{key}: {trace[key]}" for key in ("stopped", "error") if trace.get(key)]
    return Trace(
        message=message,
        question=str(trace.get("question", "")),
        query=str(trace.get("query", "")),
        retrieved=list(trace.get("retrieved", [])),
        prompt_passages=list(trace.get("prompt_passages", [])),
        verdicts=verdicts,
        citations=[
            {k: c.get(k) for k in ("n", "chunk_id", "document_id", "support", "added")}
            for c in message.citations
        ],
        citations_removed=list(trace.get("citations_removed", [])),
        timings_ms=dict(trace.get("timings_ms", {})),
        notes=notes,
    )


@dataclass(frozen=True)
class Usage:
    """Usage figures over a period."""

    since: date
    questions_per_day: list[dict[str, Any]]
    questions: int
    answers_by_status: dict[str, int]
    ttft_p50: float | None
    ttft_p95: float | None
    total_p50: float | None
    total_p95: float | None
    thumbs_up: int
    thumbs_down: int

    @property
    def feedback_ratio(self) -> float | None:
        """Share of ratings that are thumbs up."""
        rated = self.thumbs_up + self.thumbs_down
        return self.thumbs_up / rated if rated else None

    @property
    def feedback_percent(self) -> int | None:
        """The feedback ratio as a whole percentage."""
        ratio = self.feedback_ratio
        return None if ratio is None else round(ratio * 100)


def usage_figures(*, days: int = 30) -> Usage:
    """Questions per day, latency percentiles and the feedback ratio over the last `days` days."""
    since = timezone.now() - timedelta(days=days)
    recent = Message.objects.filter(created_at__gte=since, imported=False)
    per_day: list[dict[str, Any]] = [
        dict(row)
        for row in recent.filter(role=Message.Role.USER)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(questions=Count("id"))
        .order_by("day")
    ]
    answers = recent.filter(role=Message.Role.ASSISTANT)
    latency = answers.aggregate(
        ttft_p50=Percentile("ttft_ms", 0.5),
        ttft_p95=Percentile("ttft_ms", 0.95),
        total_p50=Percentile("total_ms", 0.5),
        total_p95=Percentile("total_ms", 0.95),
    )
    by_status = {
        row["status"]: row["n"]
        for row in answers.values("status").annotate(n=Count("id")).order_by("status")
    }
    ratings = Feedback.objects.filter(created_at__gte=since).aggregate(
        up=Count("id", filter=Q(rating=1)), down=Count("id", filter=Q(rating=-1))
    )
    return Usage(
        since=since.date(),
        questions_per_day=per_day,
        questions=sum(row["questions"] for row in per_day),
        answers_by_status=by_status,
        thumbs_up=ratings["up"],
        thumbs_down=ratings["down"],
        **latency,
    )
