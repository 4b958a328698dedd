"""Evaluation of the moderation checks on public data sets: accuracy figures and latency."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moderation import datasets
from moderation.categories import ATTACK_CATEGORIES, HARM_CATEGORIES
from moderation.check import active_policy, check
from moderation.datasets import Example
from moderation.policy import Policy
from moderation.verdict import Action, Stage, Verdict

FORMATS: dict[str, Callable[[Path], Iterator[Example]]] = {
    "openai": datasets.read_openai,
    "xstest": datasets.read_xstest,
    "injection": datasets.read_injections,
}
# Which categories count as "flagged" for each data set's binary label.
RELEVANT: dict[str, tuple[str, ...]] = {
    "openai": tuple(str(c) for c in HARM_CATEGORIES),
    "xstest": tuple(str(c) for c in HARM_CATEGORIES),
    "injection": tuple(str(c) for c in ATTACK_CATEGORIES),
}
SPLITS = ("held-out", "all")
LATENCY_WORDS = 100


def recall_at_fpr(labels: Sequence[int], scores: Sequence[float], fpr: float = 0.05) -> float:
    """The best recall reachable while at most ``fpr`` of negatives are flagged."""
    from sklearn.metrics import roc_curve

    fprs, tprs, _ = roc_curve(labels, scores)
    return float(tprs[fprs <= fpr].max())


def _percentiles(ms: Sequence[float]) -> dict[str, float]:
    if not ms:
        return {"p50": 0.0, "p95": 0.0}
    q = np.percentile(np.array(ms), [50, 95])
    return {"p50": round(float(q[0]), 2), "p95": round(float(q[1]), 2)}


def _timed_check(text: str, stage: Stage, policy: Policy) -> tuple[Verdict, float]:
    start = time.perf_counter()
    verdict = check(text, stage=stage, policy=policy)
    return verdict, (time.perf_counter() - start) * 1000.0


def latency_100_words(texts: Sequence[str], policy: Policy, n: int = 200) -> dict[str, float]:
    """p50/p95 of single (unbatched) input checks on texts cut or padded to 100 words.

    Also reports the CPU time of this process per check (``cpu_p50``/``cpu_p95``): on a shared
    machine wall time measures the neighbours as much as the check.
    """
    words = " ".join(texts).split()
    if not words:
        return _percentiles([])
    samples = []
    for i in range(n):
        first = (i * 37) % max(1, len(words) - LATENCY_WORDS)
        chunk = (words[first:] + words)[:LATENCY_WORDS]
        samples.append(" ".join(chunk))
    check(samples[0], stage=Stage.INPUT, policy=policy)  # load models outside the timing
    wall: list[float] = []
    cpu: list[float] = []
    for text in samples:
        start = time.process_time()
        wall.append(_timed_check(text, Stage.INPUT, policy)[1])
        cpu.append((time.process_time() - start) * 1000.0)
    cpu_q = _percentiles(cpu)
    return {**_percentiles(wall), "cpu_p50": cpu_q["p50"], "cpu_p95": cpu_q["p95"]}


def _blocks(verdict: Verdict, relevant: Sequence[str], policy: Policy) -> bool:
    rules = policy.stage(verdict.stage).rules
    return any(
        c in rules and rules[c].decide(verdict.scores.get(c, 0.0)) is Action.BLOCK for c in relevant
    )


def evaluate(
    dataset_path: str | Path,
    fmt: str,
    *,
    split: str = "held-out",
    policy: Policy | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Check every example of a data set at the input stage and compute the figures.

    ``split="held-out"`` keeps only the half the shipped heads were not trained on.
    """
    from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {sorted(FORMATS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    policy = policy or active_policy()
    examples = list(FORMATS[fmt](Path(dataset_path)))
    if split == "held-out":
        examples = [ex for ex in examples if datasets.is_held_out(ex.text)]
    if limit is not None:
        examples = examples[:limit]
    relevant = RELEVANT[fmt]
    check(examples[0].text if examples else "warm up", stage=Stage.INPUT, policy=policy)
    verdicts, latencies = [], []
    for ex in examples:
        verdict, ms = _timed_check(ex.text, Stage.INPUT, policy)
        verdicts.append(verdict)
        latencies.append(ms)
    labels = [int(ex.unsafe) for ex in examples]
    scores = [max(v.scores.get(c, 0.0) for c in relevant) for v in verdicts]
    predicted = [int(_blocks(v, relevant, policy)) for v in verdicts]
    both = 0 < sum(labels) < len(labels)
    result: dict[str, Any] = {
        "dataset": Path(dataset_path).name,
        "format": fmt,
        "split": split,
        "n": len(examples),
        "positives": sum(labels),
        "auprc": round(float(average_precision_score(labels, scores)), 4) if both else None,
        "recall_at_fpr5": round(recall_at_fpr(labels, scores), 4) if both else None,
        "precision": round(float(precision_score(labels, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(labels, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(labels, predicted, zero_division=0)), 4),
        "errors": sum(1 for v in verdicts if v.errors),
    }
    lat = _percentiles(latencies)
    result["latency_ms_p50"], result["latency_ms_p95"] = lat["p50"], lat["p95"]
    words = {"p50": 0.0, "p95": 0.0, "cpu_p50": 0.0, "cpu_p95": 0.0}
    if examples:
        words = latency_100_words([ex.text for ex in examples], policy)
    for key, value in words.items():
        result[f"latency_100_words_ms_{key}"] = value
    result["per_category"] = _per_category(fmt, examples, verdicts, policy)
    if fmt == "xstest":
        safe = [v for ex, v in zip(examples, verdicts, strict=True) if not ex.unsafe]
        unsafe = [v for ex, v in zip(examples, verdicts, strict=True) if ex.unsafe]
        result["safe_blocked_rate"] = _rate(safe, lambda v: v.blocked)
        result["safe_flagged_rate"] = _rate(safe, lambda v: v.action is not Action.ALLOW)
        result["unsafe_flagged_rate"] = _rate(unsafe, lambda v: v.action is not Action.ALLOW)
        result["unsafe_blocked_rate"] = _rate(unsafe, lambda v: v.blocked)
    return result


def _rate(verdicts: Sequence[Verdict], pred: Callable[[Verdict], bool]) -> float:
    return round(sum(1 for v in verdicts if pred(v)) / len(verdicts), 4) if verdicts else 0.0


def _per_category(
    fmt: str, examples: Sequence[Example], verdicts: Sequence[Verdict], policy: Policy
) -> dict[str, dict[str, Any]]:
    from sklearn.metrics import average_precision_score

    out: dict[str, dict[str, Any]] = {}
    if fmt == "xstest":
        # XSTest has prompt types, not categories: report how each type is treated.
        for kind in sorted({ex.kind for ex in examples}):
            vs = [v for ex, v in zip(examples, verdicts, strict=True) if ex.kind == kind]
            out[kind] = {
                "n": len(vs),
                "blocked_rate": _rate(vs, lambda v: v.blocked),
                "flagged_rate": _rate(vs, lambda v: v.action is not Action.ALLOW),
            }
        return out
    for cat in RELEVANT[fmt]:
        labels = [int(cat in ex.categories) for ex in examples]
        if not any(labels):
            continue
        scores = [v.scores.get(cat, 0.0) for v in verdicts]
        blocked = [_blocks(v, (cat,), policy) for v in verdicts]
        hits = sum(1 for y, b in zip(labels, blocked, strict=True) if y and b)
        out[cat] = {
            "positives": sum(labels),
            "auprc": round(float(average_precision_score(labels, scores)), 4),
            "recall_at_fpr5": round(recall_at_fpr(labels, scores), 4),
            "blocked_recall": round(hits / sum(labels), 4),
        }
    return out


def format_report(result: dict[str, Any]) -> str:
    """A short human-readable summary of an evaluation result."""
    lines = [f"{result['dataset']} ({result['format']}, {result['split']}, n={result['n']})"]
    keys = [
        "auprc",
        "recall_at_fpr5",
        "precision",
        "recall",
        "f1",
        "safe_blocked_rate",
        "safe_flagged_rate",
        "unsafe_flagged_rate",
        "unsafe_blocked_rate",
        "latency_ms_p50",
        "latency_ms_p95",
        "latency_100_words_ms_p50",
        "latency_100_words_ms_p95",
        "latency_100_words_ms_cpu_p50",
        "latency_100_words_ms_cpu_p95",
        "errors",
    ]
    lines += [f"  {k:<30} {result[k]}" for k in keys if k in result]
    lines.append("  per category:")
    for name, figures in result["per_category"].items():
        lines.append(f"    {name:<32} " + "  ".join(f"{k}={v}" for k, v in figures.items()))
    return "\n".join(lines)
