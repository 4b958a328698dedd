"""The enterprise evaluation format: folders of company documents and questions naming their files.

Each company's folder is ingested through the product's own services, readable by one group; each
question is searched as a member of that company's group only. `evaluate_ranking` measures the
ranking alone (no model); the answer evaluation (assistant.evaluation) and the reranker's training
(retrieval.reranker_training) read the same data through these functions.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.files import File

from retrieval.access import principals_for
from retrieval.ingestion import document_ingest
from retrieval.models import Document
from retrieval.search import SearchOptions, search_with
from retrieval.services import DuplicateDocument, document_create, document_set_access

# How much of each passage's text `evaluate_ranking(details=...)` writes.
DETAIL_TEXT_CHARS = 400


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
        documents[stem(path.name)] = document.pk
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


def stem(name: str) -> str:
    # The question file names some files with other spacing or case than the files on disk
    # ("Aventro Awards & Recognitions" for "Aventro  Awards & Recognitions.md").
    return " ".join(Path(name).stem.split()).casefold()


def rank_figures(ranks: list[int | None]) -> dict[str, float]:
    """hit@1, hit@5 and MRR@10 from each question's first relevant rank (None: not in the ten)."""
    n = len(ranks) or 1
    return {
        "hit@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "hit@5": round(sum(1 for r in ranks if r is not None and r <= 5) / n, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4),
    }


def evaluate_ranking(
    *,
    corpus: Path,
    queries: Path,
    form: str = "md",
    limit: int = 0,
    reranker: str = "default",
    progress: Callable[[str], None] = print,
    details: Path | None = None,
) -> dict[str, Any]:
    """Retrieval alone, no model: where the first supporting file ranks for each question.

    Each question is searched through the product's search as a member of its company only, as
    `evaluate_answers` does. hit@1 is the share whose top passage comes from a supporting file
    (what the answer's citations mostly follow); hit@5 counts the top five passages. Figures are
    given for the first stage alone and, unless `reranker` is off, with the second stage too, in
    the same run (overall and per company). `details` receives one JSON line per question: its
    supporting files and, per stage, the top five passages (file names, title, location, the start
    of the text, whether the passage is from a supporting file), for reading the misses.
    """
    from retrieval.rerank import check_setting

    spec = check_setting(reranker)
    questions = load_questions(queries, limit=limit)
    companies = sorted({q.company for q in questions})
    names = ingest_corpus(corpus, companies, form=form, progress=progress)
    principals = {company: principals_for(company_member(company)) for company in companies}
    stages = {"first_stage": "off"} | ({"reranked": spec} if spec != "off" else {})
    ranks: dict[str, list[int | None]] = {stage: [] for stage in stages}
    latency: dict[str, list[float]] = {stage: [] for stage in stages}
    lines: list[dict[str, Any]] = []
    for question in questions:
        supporting = {stem(name) for name in question.supporting}
        for stage, setting in stages.items():
            options = SearchOptions.configured(reranker=setting)
            t0 = time.monotonic()
            top = search_with(
                principals=principals[question.company], query=question.text, k=10, options=options
            )
            latency[stage].append((time.monotonic() - t0) * 1000)
            found = [
                i
                for i, p in enumerate(top, start=1)
                if names.get(p.document_id, set()) & supporting
            ]
            ranks[stage].append(found[0] if found else None)
            if details is not None:
                if stage == "first_stage":
                    lines.append(
                        {
                            "company": question.company,
                            "question": question.text,
                            # File names as matched: stems, case and spacing folded.
                            "supporting": sorted(supporting),
                        }
                    )
                lines[-1][stage] = [
                    {
                        "files": sorted(names.get(p.document_id, set())),
                        "title": p.title,
                        "location": p.location,
                        "text": p.text[:DETAIL_TEXT_CHARS],
                        "supporting": bool(names.get(p.document_id, set()) & supporting),
                    }
                    for p in top[:5]
                ]
    if details is not None:
        with open(details, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    figures: dict[str, Any] = {"questions": len(questions), "form": form, "reranker": spec}
    for stage in stages:
        figures[stage] = rank_figures(ranks[stage]) | {
            "search_ms_p50": round(statistics.median(latency[stage]), 1) if questions else None,
            "by_company": {
                company: rank_figures(
                    [
                        r
                        for r, q in zip(ranks[stage], questions, strict=True)
                        if q.company == company
                    ]
                )
                for company in companies
            },
        }
    return figures
