"""Evaluation of the moderation checks on public data sets: accuracy figures and latency."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from moderation import datasets
from moderation.categories import ATTACK_CATEGORIES, HARM_CATEGORIES, Category
from moderation.check import active_policy, check
from moderation.datasets import Example
from moderation.policy import Policy
from moderation.verdict import Action, Stage, Verdict

FORMATS: dict[str, Callable[[Path], Iterator[Example]]] = {
    "openai": datasets.read_openai,
    "xstest": datasets.read_xstest,
    "injection": datasets.read_injections,
    "workplace": datasets.read_workplace,
}
# Which categories count as "flagged" for each data set's binary label.
RELEVANT: dict[str, tuple[str, ...]] = {
    "openai": tuple(str(c) for c in HARM_CATEGORIES),
    "xstest": tuple(str(c) for c in HARM_CATEGORIES),
    "injection": tuple(str(c) for c in ATTACK_CATEGORIES),
    # Advice categories are left out: flagging a question about sick leave is by design, not
    # over-blocking (``any_action_rate`` counts them too).
    "workplace": tuple(str(c) for c in HARM_CATEGORIES + ATTACK_CATEGORIES + (Category.PII,)),
}
# The stage a workplace item is checked at, by its kind.
WORKPLACE_STAGES = {"question": Stage.INPUT, "answer": Stage.OUTPUT}
SPLITS = ("held-out", "all")
# Formats that are not a labelled file: ``documents`` reads an enterprise corpus folder and
# inserts instructions into its sections (moderation/injected_documents.py).
DOCUMENTS = "documents"
# ``questions`` reads an enterprise question set (``queries.jsonl``, or a corpus folder holding
# one): ordinary questions about a company's documents, and the passages that answer them.
QUESTIONS = "questions"
# ``passages`` reads a folder of documents of other kinds (moderation/clean_documents.py): every
# passage is clean, checked at the context stage.
PASSAGES = "passages"
FORMAT_NAMES = (*FORMATS, DOCUMENTS, QUESTIONS, PASSAGES)
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
    return _strictest(verdict, relevant, policy) is Action.BLOCK


def _strictest(verdict: Verdict, relevant: Sequence[str], policy: Policy) -> Action:
    """The strictest action the rules of the ``relevant`` categories take on a verdict."""
    rules = policy.stage(verdict.stage).rules
    decided = [rules[c].decide(verdict.scores.get(c, 0.0)) for c in relevant if c in rules]
    return max(decided, key=lambda a: a.severity, default=Action.ALLOW)


def _flags(verdict: Verdict, relevant: Sequence[str], policy: Policy) -> bool:
    return _strictest(verdict, relevant, policy) is not Action.ALLOW


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

    if fmt not in FORMAT_NAMES:
        raise ValueError(f"unknown format {fmt!r}; expected one of {sorted(FORMAT_NAMES)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    policy = policy or active_policy()
    if fmt == DOCUMENTS:
        return evaluate_documents(dataset_path, split=split, policy=policy, limit=limit)
    if fmt == QUESTIONS:
        return evaluate_questions(dataset_path, split=split, policy=policy, limit=limit)
    if fmt == PASSAGES:
        return evaluate_passages(dataset_path, split=split, policy=policy, limit=limit)
    examples = list(FORMATS[fmt](Path(dataset_path)))
    if split == "held-out":
        examples = [ex for ex in examples if ex.held_out()]
    if limit is not None:
        examples = examples[:limit]
    if fmt == "workplace":
        return evaluate_workplace(examples, dataset_path, split=split, policy=policy)
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


def _group_rates(
    pairs: Sequence[tuple[Example, Verdict]], policy: Policy
) -> dict[str, dict[str, Any]]:
    relevant = RELEVANT["workplace"]
    out: dict[str, dict[str, Any]] = {}
    for label, unsafe in (("legitimate", False), ("harmful", True)):
        vs = [v for ex, v in pairs if ex.unsafe is unsafe]
        if not vs:
            continue
        out[label] = {
            "n": len(vs),
            "blocked_rate": _rate(vs, lambda v: _blocks(v, relevant, policy)),
            "flagged_rate": _rate(vs, lambda v: _flags(v, relevant, policy)),
            "any_action_rate": _rate(vs, lambda v: v.action is not Action.ALLOW),
        }
    return out


def evaluate_workplace(
    examples: Sequence[Example], dataset_path: str | Path, *, split: str, policy: Policy
) -> dict[str, Any]:
    """Blocked and flagged rates of legitimate and harmful workplace items, overall and by group.

    Questions are checked at the input stage, answers at the output stage. ``flagged_rate``
    counts flag or stricter by a harm, attack or pii rule; ``any_action_rate`` also counts the
    advice categories' flags (by design at input: sick leave is ordinary work).
    """
    check("warm up", stage=Stage.INPUT, policy=policy)
    pairs: list[tuple[Example, Verdict]] = []
    latencies = []
    for ex in examples:
        verdict, ms = _timed_check(ex.text, WORKPLACE_STAGES[ex.kind], policy)
        pairs.append((ex, verdict))
        latencies.append(ms)
    result: dict[str, Any] = {
        "dataset": Path(dataset_path).name,
        "format": "workplace",
        "split": split,
        "n": len(pairs),
        "positives": sum(1 for ex, _ in pairs if ex.unsafe),
        **{
            f"{label}_{key}": value
            for label, figures in _group_rates(pairs, policy).items()
            for key, value in figures.items()
            if key != "n"
        },
        "errors": sum(1 for _, v in pairs if v.errors),
    }
    lat = _percentiles(latencies)
    result["latency_ms_p50"], result["latency_ms_p95"] = lat["p50"], lat["p95"]
    for name, key in (("per_domain", "domain"), ("per_language", "lang"), ("per_kind", "kind")):
        values = sorted({getattr(ex, key) for ex, _ in pairs})
        result[name] = {
            value: _group_rates([(ex, v) for ex, v in pairs if getattr(ex, key) == value], policy)
            for value in values
        }
    result["per_category"] = _workplace_categories(pairs, policy)
    return result


def _workplace_categories(
    pairs: Sequence[tuple[Example, Verdict]], policy: Policy
) -> dict[str, dict[str, Any]]:
    """For each labelled harm, the share of its harmful items blocked and flagged."""
    relevant = RELEVANT["workplace"]
    out: dict[str, dict[str, Any]] = {}
    for cat in sorted({c for ex, _ in pairs for c in ex.categories}):
        vs = [v for ex, v in pairs if cat in ex.categories]
        out[cat] = {
            "n": len(vs),
            "blocked_rate": _rate(vs, lambda v: _blocks(v, relevant, policy)),
            "flagged_rate": _rate(vs, lambda v: _flags(v, relevant, policy)),
        }
    return out


def evaluate_questions(
    dataset_path: str | Path, *, split: str, policy: Policy, limit: int | None = None
) -> dict[str, Any]:
    """A company's ordinary questions at input, and the passages that answer them at output.

    Every question and every answer passage is harmless by construction: the figures are how
    often they are blocked and flagged (flag or stricter by a harm, attack or pii rule), overall
    and per company, with each blocked text and the rule that blocked it. The development set's
    companies are all trained on (out of fold by company in training), so there is no held-out
    half: ``split="held-out"`` is refused, and ``"all"`` reads every question of the file.
    """
    if split != "all":
        raise ValueError(
            "the questions format has no held-out half: every company of the development set is "
            "trained on (the training report gives each company's figures out of fold); "
            "use --split all on another company's questions"
        )
    path = Path(dataset_path)
    if path.is_dir():
        path = path / "queries.jsonl"
    if not path.is_file():
        raise ValueError(f"{dataset_path}: no queries.jsonl")
    rows = list(datasets.read_enterprise_questions(path))
    if limit is not None:
        rows = rows[:limit]
    relevant = RELEVANT["workplace"]
    check("warm up", stage=Stage.INPUT, policy=policy)
    checked: list[tuple[str, str, str, Verdict]] = []  # company, kind, text, verdict
    latencies = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        texts = [("question", row.question)] + [("answer", fact) for fact in row.answers]
        for kind, text in texts:
            if (kind, text) in seen:
                continue
            seen.add((kind, text))
            verdict, ms = _timed_check(text, WORKPLACE_STAGES[kind], policy)
            checked.append((row.company, kind, text, verdict))
            latencies.append(ms)

    def rates(kind: str, company: str | None = None) -> dict[str, Any]:
        vs = [v for c, k, _, v in checked if k == kind and company in (None, c)]
        return {
            "n": len(vs),
            "blocked_rate": _rate(vs, lambda v: _blocks(v, relevant, policy)),
            "flagged_rate": _rate(vs, lambda v: _flags(v, relevant, policy)),
        }

    companies = sorted({c for c, _, _, _ in checked})
    result: dict[str, Any] = {
        "dataset": Path(dataset_path).name,
        "format": QUESTIONS,
        "split": split,
        "companies": companies,
        "n": len(checked),
        **{f"questions_{k}": v for k, v in rates("question").items()},
        **{f"answers_{k}": v for k, v in rates("answer").items()},
        "errors": sum(1 for *_, v in checked if v.errors),
    }
    lat = _percentiles(latencies)
    result["latency_ms_p50"], result["latency_ms_p95"] = lat["p50"], lat["p95"]
    result["per_company"] = {
        company: {"questions": rates("question", company), "answers": rates("answer", company)}
        for company in companies
    }
    result["blocked"] = [
        {"company": c, "kind": k, "text": text, "rule": v.rule}
        for c, k, text, v in checked
        if _blocks(v, relevant, policy)
    ]
    return result


def evaluate_passages(
    folder: str | Path, *, split: str, policy: Policy, limit: int | None = None
) -> dict[str, Any]:
    """Passages of a folder of documents, checked at the context stage as the pipeline does.

    Each passage is checked clean, and again with one inserted instruction (all templates, the
    whole passage; `injected_documents.instruction_for` keyed by the passage's id). The figures
    are the share dropped (blocked at context) and dropped or quoted inert (flagged by an attack
    rule), clean and injected, overall and per document, with every clean passage dropped and the
    rule that dropped it. ``split="held-out"`` reads only the held-out document.
    """
    from moderation import clean_documents, injected_documents

    found = clean_documents.passages(folder, split="held-out" if split == "held-out" else "all")
    if limit is not None:
        found = found[:limit]
    check("warm up", stage=Stage.CONTEXT, policy=policy)
    attacks = tuple(str(c) for c in ATTACK_CATEGORIES)
    rows: list[tuple[clean_documents.Passage, Verdict]] = []
    injected: dict[str, list[Verdict]] = {}
    latencies = []
    for i, passage in enumerate(found):
        verdict, ms = _timed_check(passage.text, Stage.CONTEXT, policy)
        rows.append((passage, verdict))
        latencies.append(ms)
        choice = injected_documents.instruction_for(f"{passage.document}#{i}")
        text = injected_documents.insert(
            passage.text, str(choice["instruction"]), str(choice["position"])
        )
        injected.setdefault(passage.document, []).append(
            _timed_check(text, Stage.CONTEXT, policy)[0]
        )

    def rates(
        selected: Sequence[tuple[clean_documents.Passage, Verdict]], copies: Sequence[Verdict]
    ) -> dict[str, Any]:
        vs = [v for _, v in selected]
        return {
            "n": len(vs),
            "dropped_rate": _rate(vs, lambda v: v.blocked),
            "quoted_or_dropped_rate": _rate(vs, lambda v: _flags(v, attacks, policy)),
            "injected_dropped_rate": _rate(copies, lambda v: v.blocked),
            "injected_quoted_or_dropped_rate": _rate(copies, lambda v: _flags(v, attacks, policy)),
        }

    documents = sorted({p.document for p, _ in rows})
    result: dict[str, Any] = {
        "dataset": Path(folder).name,
        "format": PASSAGES,
        "split": split,
        "documents": documents,
        **rates(rows, [v for vs in injected.values() for v in vs]),
        "errors": sum(1 for _, v in rows if v.errors),
    }
    lat = _percentiles(latencies)
    result["latency_ms_p50"], result["latency_ms_p95"] = lat["p50"], lat["p95"]
    result["per_document"] = {
        doc: rates([r for r in rows if r[0].document == doc], injected[doc]) for doc in documents
    }
    result["dropped"] = [
        {"document": p.document, "text": p.text[:200], "rule": v.rule} for p, v in rows if v.blocked
    ]
    return result


def evaluate_documents(
    corpus: str | Path, *, split: str, policy: Policy, limit: int | None = None
) -> dict[str, Any]:
    """Clean and injected corpus sections checked at the context stage, as the pipeline does.

    Each section is checked twice, clean and with one inserted instruction; its heading (title
    and heading path) is checked too, and the stricter verdict decides, as in the pipeline. A
    section is *dropped* when that verdict blocks, *flagged* when it flags or blocks for an
    attack category. ``split="held-out"`` reads only the company kept out of training.
    ``limit`` keeps the first N sections.
    """
    from moderation import injected_documents

    docs = injected_documents.evaluation_examples(corpus, split=split)
    if limit is not None:
        docs = docs[: 2 * limit]
    check("warm up", stage=Stage.CONTEXT, policy=policy)
    headings: dict[str, Verdict] = {}
    rows: list[tuple[injected_documents.DocumentExample, Verdict, str]] = []
    latencies = []
    for doc in docs:
        heading = doc.section.heading
        if heading not in headings:
            headings[heading] = check(heading, stage=Stage.CONTEXT, policy=policy)
        verdict, ms = _timed_check(doc.text, Stage.CONTEXT, policy)
        latencies.append(ms)
        part = "text"
        if headings[heading].action.severity > verdict.action.severity:
            verdict, part = headings[heading], "heading"
        rows.append((doc, verdict, part))
    attacks = tuple(str(c) for c in ATTACK_CATEGORIES)

    def rates(selected: Sequence[tuple[Any, Verdict, str]]) -> dict[str, Any]:
        vs = [v for _, v, _ in selected]
        return {
            "n": len(vs),
            "dropped_rate": _rate(vs, lambda v: v.blocked),
            "flagged_rate": _rate(vs, lambda v: _flags(v, attacks, policy)),
        }

    clean = [r for r in rows if not r[0].injected]
    injected = [r for r in rows if r[0].injected]
    result: dict[str, Any] = {
        "dataset": Path(corpus).name,
        "format": DOCUMENTS,
        "split": split,
        "companies": sorted({d.section.company for d in docs}),
        "n": len(rows),
        "positives": len(injected),
        **{f"clean_{k}": v for k, v in rates(clean).items() if k != "n"},
        **{f"injected_{k}": v for k, v in rates(injected).items() if k != "n"},
        "clean_dropped_by_heading": sum(1 for _, v, p in clean if v.blocked and p == "heading"),
        "errors": sum(1 for _, v, _ in rows if v.errors),
    }
    lat = _percentiles(latencies)
    result["latency_ms_p50"], result["latency_ms_p95"] = lat["p50"], lat["p95"]
    for name, key in (("per_position", "position"), ("per_kind", "kind")):
        values = sorted({getattr(d, key) for d, _, _ in injected})
        result[name] = {
            value: rates([r for r in injected if getattr(r[0], key) == value]) for value in values
        }
    result["per_template"] = {
        label: rates([r for r in injected if r[0].template_seen is seen])
        for label, seen in (("trained", True), ("evaluation_only", False))
    }
    result["per_company"] = {
        company: {
            "clean": rates([r for r in clean if r[0].section.company == company]),
            "injected": rates([r for r in injected if r[0].section.company == company]),
        }
        for company in result["companies"]
    }
    result["clean_dropped"] = [
        {
            "section": d.section.id,
            "heading": d.section.heading,
            "part": part,
            "rule": v.rule,
        }
        for d, v, part in clean
        if v.blocked
    ]
    result["injected_missed"] = [
        {
            "section": d.section.id,
            "kind": d.kind,
            "position": d.position,
            "instruction": d.instruction,
        }
        for d, v, _ in injected
        if not v.blocked
    ]
    return result


def _format_documents(result: dict[str, Any]) -> str:
    lines = [
        f"{result['dataset']} (documents, {result['split']}: {', '.join(result['companies'])}, "
        f"n={result['n']} = {result['positives']} injected + {result['n'] - result['positives']} clean)"
    ]
    keys = [
        "clean_dropped_rate",
        "clean_flagged_rate",
        "clean_dropped_by_heading",
        "injected_dropped_rate",
        "injected_flagged_rate",
        "latency_ms_p50",
        "latency_ms_p95",
        "errors",
    ]
    lines += [f"  {k:<30} {result[k]}" for k in keys]
    for group in ("per_position", "per_kind", "per_template"):
        lines.append(f"  injected sections {group.replace('_', ' ')} (dropped / flagged):")
        for name, f in result[group].items():
            lines.append(
                f"    {name:<20} n={f['n']:<5} {f['dropped_rate']:.3f} / {f['flagged_rate']:.3f}"
            )
    lines.append("  per company (clean dropped, injected dropped):")
    for name, f in result["per_company"].items():
        lines.append(
            f"    {name:<24} {f['clean']['dropped_rate']:.3f} (n={f['clean']['n']}), "
            f"{f['injected']['dropped_rate']:.3f} (n={f['injected']['n']})"
        )
    return "\n".join(lines)


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
    if result["format"] == DOCUMENTS:
        return _format_documents(result)
    if result["format"] == QUESTIONS:
        return _format_questions(result)
    if result["format"] == PASSAGES:
        return _format_passages(result)
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
        "legitimate_blocked_rate",
        "legitimate_flagged_rate",
        "legitimate_any_action_rate",
        "harmful_blocked_rate",
        "harmful_flagged_rate",
        "harmful_any_action_rate",
        "latency_ms_p50",
        "latency_ms_p95",
        "latency_100_words_ms_p50",
        "latency_100_words_ms_p95",
        "latency_100_words_ms_cpu_p50",
        "latency_100_words_ms_cpu_p95",
        "errors",
    ]
    lines += [f"  {k:<30} {result[k]}" for k in keys if k in result]
    for group in ("per_domain", "per_language", "per_kind"):
        if group not in result:
            continue
        lines.append(f"  {group.replace('_', ' ')} (blocked / flagged):")
        for name, by_label in result[group].items():
            cells = [
                f"{label} n={f['n']} {f['blocked_rate']:.3f} / {f['flagged_rate']:.3f}"
                for label, f in by_label.items()
            ]
            lines.append(f"    {name:<20} " + "   ".join(cells))
    lines.append("  per category:")
    for name, figures in result["per_category"].items():
        lines.append(f"    {name:<32} " + "  ".join(f"{k}={v}" for k, v in figures.items()))
    return "\n".join(lines)


def _format_questions(result: dict[str, Any]) -> str:
    lines = [
        f"{result['dataset']} (questions, {result['split']}, "
        f"{result['questions_n']} questions + {result['answers_n']} answer passages)"
    ]
    for key in (
        "questions_blocked_rate",
        "questions_flagged_rate",
        "answers_blocked_rate",
        "answers_flagged_rate",
        "latency_ms_p50",
        "latency_ms_p95",
        "errors",
    ):
        lines.append(f"  {key:<30} {result[key]}")
    lines.append("  per company (blocked / flagged):")
    for company, parts in result["per_company"].items():
        cells = [
            f"{kind} n={f['n']} {f['blocked_rate']:.3f} / {f['flagged_rate']:.3f}"
            for kind, f in parts.items()
        ]
        lines.append(f"    {company:<24} " + "   ".join(cells))
    if result["blocked"]:
        lines.append("  blocked:")
        for row in result["blocked"]:
            lines.append(f"    [{row['kind']}] {row['text'][:100]!r}: {row['rule']}")
    return "\n".join(lines)


def _format_passages(result: dict[str, Any]) -> str:
    lines = [f"{result['dataset']} (passages, {result['split']}, n={result['n']})"]
    for key in (
        "dropped_rate",
        "quoted_or_dropped_rate",
        "injected_dropped_rate",
        "injected_quoted_or_dropped_rate",
        "latency_ms_p50",
        "latency_ms_p95",
        "errors",
    ):
        lines.append(f"  {key:<30} {result[key]}")
    lines.append(
        "  per document (clean dropped / quoted or dropped; injected dropped / quoted or dropped):"
    )
    for doc, f in result["per_document"].items():
        lines.append(
            f"    {doc:<40} n={f['n']} {f['dropped_rate']:.3f} / {f['quoted_or_dropped_rate']:.3f};"
            f" {f['injected_dropped_rate']:.3f} / {f['injected_quoted_or_dropped_rate']:.3f}"
        )
    if result["dropped"]:
        lines.append("  dropped:")
        for row in result["dropped"]:
            lines.append(f"    {row['document']}: {row['text'][:90]!r}: {row['rule']}")
    return "\n".join(lines)
