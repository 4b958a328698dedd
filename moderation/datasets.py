"""Readers for the public moderation data sets used to train and evaluate, and the split."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from moderation.categories import Category

# OpenAI moderation labels (Markov et al. 2022) mapped onto our categories.
OPENAI_LABELS: dict[str, tuple[Category, ...]] = {
    "S": (Category.SEXUAL,),
    "S3": (Category.SEXUAL,),
    "H": (Category.HATE_AND_DISCRIMINATION,),
    "H2": (Category.HATE_AND_DISCRIMINATION, Category.VIOLENCE_AND_THREATS),
    "HR": (Category.HATE_AND_DISCRIMINATION,),
    "V": (Category.VIOLENCE_AND_THREATS,),
    "V2": (Category.VIOLENCE_AND_THREATS,),
    "SH": (Category.SELFHARM,),
}

# HarmBench semantic categories; copyright and misinformation have no counterpart here.
HARMBENCH_CATEGORIES: dict[str, Category] = {
    "chemical_biological": Category.DANGEROUS_AND_CRIMINAL_CONTENT,
    "cybercrime_intrusion": Category.DANGEROUS_AND_CRIMINAL_CONTENT,
    "illegal": Category.DANGEROUS_AND_CRIMINAL_CONTENT,
    "harmful": Category.DANGEROUS_AND_CRIMINAL_CONTENT,
    "harassment_bullying": Category.HATE_AND_DISCRIMINATION,
}

SPLIT_SALT = "moderation-split:"


def is_held_out(text: str) -> bool:
    """The deterministic half never trained on: first byte of sha256(salt + text) is odd.

    The salt matters: the published dev files were themselves cut by a plain hash of the text,
    so an unsalted hash puts every row on one side.
    """
    return hashlib.sha256((SPLIT_SALT + text).encode("utf-8")).digest()[0] % 2 == 1


@dataclass(frozen=True)
class Example:
    """One labelled text; ``categories`` empty means harmless."""

    text: str
    categories: frozenset[str] = field(default_factory=frozenset)
    unsafe: bool = False
    kind: str = ""
    # Workplace set only: its domain, language and English id (an item and its translations
    # share the id, so they fall on the same side of every split and in the same fold), and the
    # row's `source` ("written", "translated:<id>", or "written:<list>" for a later list).
    domain: str = ""
    lang: str = ""
    group: str = ""
    source: str = ""

    def held_out(self) -> bool:
        """Whether this example is on the held-out side of the split (by group when it has one)."""
        return is_held_out(self.group or self.text)


def read_openai(path: Path | str) -> Iterator[Example]:
    """OpenAI moderation samples; missing labels count as 0."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            cats = {str(c) for key, cs in OPENAI_LABELS.items() if row.get(key) == 1 for c in cs}
            yield Example(row["prompt"], frozenset(cats), unsafe=bool(cats))


def read_xstest(path: Path | str) -> Iterator[Example]:
    """XSTest prompts: ``unsafe`` is the label; ``kind`` is the prompt type."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                yield Example(row["prompt"], unsafe=row["label"] == "unsafe", kind=row["type"])


def read_injections(path: Path | str) -> Iterator[Example]:
    """Prompt-injection texts (label 1 = injection)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                unsafe = int(row["label"]) == 1
                cats = frozenset({str(Category.PROMPT_INJECTION)}) if unsafe else frozenset()
                yield Example(row["text"], cats, unsafe=unsafe)


def read_harmbench(path: Path | str) -> Iterator[Example]:
    """HarmBench behaviours that map onto one of our harm categories."""
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            cat = HARMBENCH_CATEGORIES.get(row["SemanticCategory"])
            if cat is not None:
                yield Example(row["Behavior"], frozenset({str(cat)}), unsafe=True, kind="harmbench")


WORKPLACE_LABELS = ("legitimate", "harmful")
WORKPLACE_KINDS = ("question", "answer")


def workplace_files(path: Path | str) -> list[Path]:
    """The workplace JSONL files: the file given, or every ``*.jsonl`` of the folder given."""
    path = Path(path)
    return sorted(path.glob("*.jsonl")) if path.is_dir() else [path]


def read_workplace(path: Path | str) -> Iterator[Example]:
    """The workplace set (a file or its folder); ``unsafe`` is ``label == "harmful"``.

    ``kind`` is ``question`` or ``answer``; ``group`` is the English id the item translates
    (its own id for an English item).
    """
    for file in workplace_files(path):
        with open(file, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                label, kind = row["label"], row["kind"]
                if label not in WORKPLACE_LABELS or kind not in WORKPLACE_KINDS:
                    raise ValueError(f"{file}:{number}: bad label {label!r} or kind {kind!r}")
                source = str(row.get("source", ""))
                group = source.split(":", 1)[1] if source.startswith("translated:") else row["id"]
                yield Example(
                    row["text"],
                    frozenset(row.get("categories", [])),
                    unsafe=label == "harmful",
                    kind=kind,
                    domain=row["domain"],
                    lang=row.get("lang", "en"),
                    group=group,
                    source=source,
                )


def read_seeds(path: Path | str) -> Iterator[Example]:
    """Hand-written examples kept with the source (``{"text", "categories"}`` per line)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                cats = frozenset(row.get("categories", []))
                yield Example(row["text"], cats, unsafe=bool(cats), kind="seed")


@dataclass(frozen=True)
class EnterpriseQuestion:
    """A question of the enterprise evaluation set, its company and the passages that answer it."""

    company: str
    question: str
    answers: tuple[str, ...]


def read_enterprise_questions(path: Path | str) -> Iterator[EnterpriseQuestion]:
    """``queries.jsonl`` of an enterprise corpus: ``company``, ``query`` and ``supporting_facts``
    (each with the ``text`` of a passage that answers it)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                facts = tuple(
                    str(f["text"]).strip()
                    for f in row.get("supporting_facts", [])
                    if str(f.get("text", "")).strip()
                )
                yield EnterpriseQuestion(str(row["company"]), str(row["query"]).strip(), facts)
