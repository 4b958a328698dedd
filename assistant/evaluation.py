"""End-to-end answer evaluation on the enterprise format (companies of documents + questions).

Each company's folder is ingested through the product's own services (retrieval.enterprise),
readable by one group; each question is asked through the answering pipeline as a member of that company's group only, so the
figures include access control, moderation, prompting, generation and citation checking.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

from assistant.models import Surface
from assistant.pipeline import ChatModel, answer, conversation_start
from retrieval.enterprise import Question, company_member, ingest_corpus, load_questions, stem
from retrieval.search import search


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _files(names: dict[int, set[str]], document_id: int) -> str:
    """The names of the files a document holds, as the details show them."""
    return " | ".join(sorted(names.get(document_id, set())))


def _ask(
    question: Question, *, user: Any, names: dict[int, set[str]], chat_model: ChatModel | None
) -> dict[str, Any]:
    """Ask one question as `user`: whether search found it, what the answer cited, its times."""
    supporting = {stem(name) for name in question.supporting}
    top = search(user=user, query=question.text, k=5)
    conversation = conversation_start(user=user, question=question.text, surface=Surface.CLI)
    result = answer(
        user=user,
        question=question.text,
        conversation=conversation,
        surface=Surface.CLI,
        chat_model=chat_model,
    )
    documents = {c["document_id"] for c in result.citations}
    return {
        "hit": any(names.get(p.document_id, set()) & supporting for p in top),
        "documents": len(documents),
        "supporting_cited": sum(1 for d in documents if names.get(d, set()) & supporting),
        "ttft_ms": result.message.ttft_ms,
        "total_ms": result.message.total_ms,
        "record": {
            "company": question.company,
            "question": question.text,
            "supporting": sorted(supporting),
            "retrieved": [_files(names, p.document_id) for p in top],
            "answer": result.text,
            "status": result.message.status,
            "cited": sorted(_files(names, d) for d in documents),
            "message_id": result.message.pk,
        },
    }


@dataclass
class _Tally:
    """Running counts over the answered questions, and the figures they give."""

    hits: int = 0
    cited: int = 0
    cited_total: int = 0
    cited_supporting: int = 0
    ttft: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)

    def add(self, result: dict[str, Any]) -> None:
        self.hits += result["hit"]
        self.cited += result["documents"] > 0
        self.cited_total += result["documents"]
        self.cited_supporting += result["supporting_cited"]
        if result["ttft_ms"] is not None:
            self.ttft.append(result["ttft_ms"])
        if result["total_ms"] is not None:
            self.total.append(result["total_ms"])

    def figures(self, *, questions: int, form: str, concurrency: int) -> dict[str, Any]:
        n = questions or 1
        ttft, total = self.ttft, self.total
        return {
            "questions": questions,
            "form": form,
            "concurrency": max(1, concurrency),
            "hit@5": round(self.hits / n, 4),
            "citation_precision": (
                round(self.cited_supporting / self.cited_total, 4) if self.cited_total else 0.0
            ),
            "cited_share": round(self.cited / n, 4),
            "ttft_ms_p50": round(statistics.median(ttft), 1) if ttft else None,
            "ttft_ms_p95": round(_percentile(ttft, 0.95), 1) if ttft else None,
            "total_ms_p50": round(statistics.median(total), 1) if total else None,
            "total_ms_p95": round(_percentile(total, 0.95), 1) if total else None,
        }


def evaluate_answers(
    *,
    corpus: Path,
    queries: Path,
    form: str = "md",
    limit: int = 0,
    concurrency: int = 1,
    chat_model: ChatModel | None = None,
    progress: Callable[[str], None] = print,
    details: Path | None = None,
) -> dict[str, Any]:
    """Ingest, ask every question as its company's member, and compute the figures.

    With `concurrency` above 1, that many questions are asked at once (the model server batches
    them), so the whole set takes a fraction of the time; the answers are the same with greedy
    decoding, but the times then include waiting for the other questions and are reported under
    that load. With `details`, one JSON line per question is written there, in question order:
    the question, its supporting files, the top five retrieved files, the answer, the cited files
    and the message id (whose trace holds the draft before citation checking).
    """
    questions = load_questions(queries, limit=limit)
    companies = sorted({q.company for q in questions})
    names = ingest_corpus(corpus, companies, form=form, progress=progress)
    members = {company: company_member(company) for company in companies}

    def ask(question: Question) -> dict[str, Any]:
        return _ask(question, user=members[question.company], names=names, chat_model=chat_model)

    def ask_in_thread(question: Question) -> dict[str, Any]:
        try:
            return ask(question)
        finally:
            connection.close()  # each worker thread has its own database connection

    tally = _Tally()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(details.open("w", encoding="utf-8")) if details else None
        if concurrency > 1:
            pool = stack.enter_context(ThreadPoolExecutor(concurrency))
            results: Iterator[dict[str, Any]] = pool.map(ask_in_thread, questions)
        else:
            results = map(ask, questions)
        for index, result in enumerate(results, start=1):
            tally.add(result)
            if out is not None:
                out.write(json.dumps(result["record"], ensure_ascii=False) + "\n")
                out.flush()
            if index % 10 == 0 or index == len(questions):
                progress(f"{index}/{len(questions)} questions, {time.monotonic() - started:.0f} s")
    return tally.figures(questions=len(questions), form=form, concurrency=concurrency)
