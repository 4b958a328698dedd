"""End-to-end answer evaluation on the enterprise format (companies of documents + questions).

Each company's folder is ingested through the product's own services, readable by one group; each
question is asked through the answering pipeline as a member of that company's group only, so the
figures include access control, moderation, prompting, generation and citation checking.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.files import File
from django.db import connection

from assistant.models import Surface
from assistant.pipeline import ChatModel, answer, conversation_start
from retrieval.ingestion import document_ingest
from retrieval.models import Document
from retrieval.search import search
from retrieval.services import DuplicateDocument, document_create, document_set_access


@dataclass(frozen=True)
class Question:
    """A question of the set with the files that support its answer."""

    company: str
    text: str
    supporting: frozenset[str]


def load_questions(path: Path, *, limit: int = 0) -> list[Question]:
    """Questions from a JSONL file; `limit` keeps an even spread of that many."""
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    questions = [
        Question(
            company=row["company"],
            text=row["query"],
            supporting=frozenset(fact["filename"] for fact in row.get("supporting_facts", [])),
        )
        for row in rows
    ]
    if limit and limit < len(questions):
        step = len(questions) / limit
        questions = [questions[int(i * step)] for i in range(limit)]
    return questions


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def company_member(company: str) -> User:
    """A user who belongs to the company's evaluation group only."""
    group, _ = Group.objects.get_or_create(name=f"eval {company}")
    user, _ = User.objects.get_or_create(username=f"eval-{_slug(company)}"[:150])
    user.groups.set([group])
    return user


def ingest_company(
    corpus: Path, company: str, *, form: str, progress: Callable[[str], None]
) -> dict[str, int]:
    """Ingest one form (md, html, docx, pdf, pptx) of a company's documents for its group.

    Returns each file's name (as `_stem` spells it) with the document holding its bytes. A file
    whose bytes were uploaded before under another name is that document: the product stores
    identical files once ("Personal Loan" and "Personal Loan Information" are one file).
    """
    group, _ = Group.objects.get_or_create(name=f"eval {company}")
    folder = corpus / company / form
    documents: dict[str, int] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            try:
                # Ingested right below, in this process: a worker given the same document would
                # claim a newer run and leave this one to stop before the document is ready.
                document = document_create(
                    file=File(handle, name=path.name),
                    groups=[group],
                    filename=path.name,
                    enqueue=False,
                )
            except DuplicateDocument as duplicate:
                document = duplicate.existing
                if not document.allowed_groups.filter(pk=group.pk).exists():
                    # The same file in two companies' folders: both groups may read it.
                    document = document_set_access(
                        document=document,
                        org_wide=document.org_wide,
                        groups=[*document.allowed_groups.all(), group],
                        users=document.allowed_users.all(),
                    )
        if document.status != Document.Status.READY:
            document_ingest(document_id=document.pk)
        documents[_stem(path.name)] = document.pk
    progress(
        f"{company}: {len(documents)} files, {len(set(documents.values()))} documents ({form})"
    )
    return documents


def ingest_corpus(
    corpus: Path, companies: list[str], *, form: str, progress: Callable[[str], None]
) -> dict[int, set[str]]:
    """Ingest every company's files; each document with the names of the files it holds."""
    names: dict[int, set[str]] = {}
    for company in companies:
        files = ingest_company(corpus, company, form=form, progress=progress)
        for name, document_id in files.items():
            names.setdefault(document_id, set()).add(name)
    return names


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _stem(name: str) -> str:
    # The question file names some files with other spacing or case than the files on disk
    # ("Aventro Awards & Recognitions" for "Aventro  Awards & Recognitions.md").
    return " ".join(Path(name).stem.split()).casefold()


def evaluate_ranking(
    *,
    corpus: Path,
    queries: Path,
    form: str = "md",
    limit: int = 0,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Retrieval alone, no model: where the first supporting file ranks for each question.

    Each question is searched through the product's `search` as a member of its company only, as
    `evaluate_answers` does. hit@1 is the share whose top passage comes from a supporting file
    (what the answer's citations mostly follow); hit@5 counts the top five passages.
    """
    questions = load_questions(queries, limit=limit)
    companies = sorted({q.company for q in questions})
    names = ingest_corpus(corpus, companies, form=form, progress=progress)
    members = {company: company_member(company) for company in companies}
    at1 = at5 = 0
    reciprocal = 0.0
    latency: list[float] = []
    for question in questions:
        supporting = {_stem(name) for name in question.supporting}
        t0 = time.monotonic()
        top = search(user=members[question.company], query=question.text, k=10)
        latency.append((time.monotonic() - t0) * 1000)
        ranks = [
            i for i, p in enumerate(top, start=1) if names.get(p.document_id, set()) & supporting
        ]
        at1 += bool(ranks and ranks[0] == 1)
        at5 += bool(ranks and ranks[0] <= 5)
        reciprocal += 1 / ranks[0] if ranks else 0.0
    n = len(questions) or 1
    return {
        "questions": len(questions),
        "form": form,
        "hit@1": round(at1 / n, 4),
        "hit@5": round(at5 / n, 4),
        "mrr@10": round(reciprocal / n, 4),
        "search_ms_p50": round(statistics.median(latency), 1) if latency else None,
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

    def shown(document_id: int) -> str:
        return " | ".join(sorted(names.get(document_id, set())))

    def ask(question: Question) -> dict[str, Any]:
        user = members[question.company]
        supporting = {_stem(name) for name in question.supporting}
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
                "retrieved": [shown(p.document_id) for p in top],
                "answer": result.text,
                "status": result.message.status,
                "cited": sorted(shown(d) for d in documents),
                "message_id": result.message.pk,
            },
        }

    def ask_in_thread(question: Question) -> dict[str, Any]:
        try:
            return ask(question)
        finally:
            connection.close()  # each worker thread has its own database connection

    hits = cited = cited_total = cited_supporting = 0
    ttft: list[float] = []
    total: list[float] = []
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(details.open("w", encoding="utf-8")) if details else None
        if concurrency > 1:
            pool = stack.enter_context(ThreadPoolExecutor(concurrency))
            results: Iterator[dict[str, Any]] = pool.map(ask_in_thread, questions)
        else:
            results = map(ask, questions)
        for index, result in enumerate(results, start=1):
            hits += result["hit"]
            cited += result["documents"] > 0
            cited_total += result["documents"]
            cited_supporting += result["supporting_cited"]
            if out is not None:
                out.write(json.dumps(result["record"], ensure_ascii=False) + "\n")
                out.flush()
            if result["ttft_ms"] is not None:
                ttft.append(result["ttft_ms"])
            if result["total_ms"] is not None:
                total.append(result["total_ms"])
            if index % 10 == 0 or index == len(questions):
                progress(f"{index}/{len(questions)} questions, {time.monotonic() - started:.0f} s")

    n = len(questions) or 1
    return {
        "questions": len(questions),
        "form": form,
        "concurrency": max(1, concurrency),
        "hit@5": round(hits / n, 4),
        "citation_precision": round(cited_supporting / cited_total, 4) if cited_total else 0.0,
        "cited_share": round(cited / n, 4),
        "ttft_ms_p50": round(statistics.median(ttft), 1) if ttft else None,
        "ttft_ms_p95": round(_percentile(ttft, 0.95), 1) if ttft else None,
        "total_ms_p50": round(statistics.median(total), 1) if total else None,
        "total_ms_p95": round(_percentile(total, 0.95), 1) if total else None,
    }
