"""Reproducible training of the classifier heads, with thresholds chosen out of fold.

Training runs k-fold cross-validation over all training data (folds grouped, so that a
workplace item and its translations never straddle two folds), picks the policy's thresholds
on the out-of-fold scores only, then fits the final heads on everything and writes the weights,
the calibrated policy and a report of the out-of-fold figures.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from moderation import datasets, embedding, features
from moderation.categories import (
    ADVICE_CATEGORIES,
    CLASSIFIER_CATEGORIES,
    HARM_CATEGORIES,
    Category,
)
from moderation.classifier import HARM_WEIGHTS, OPENAI_HARM_WEIGHTS
from moderation.datasets import Example
from moderation.heads import EmbeddingHeads, LinearHeads

log = logging.getLogger(__name__)

SEED = 1234
INJECTION_WEIGHTS = "injection.npz"
# The context stage has a head of its own, trained on document sections as well: one head for
# both had to choose between them, and document sections pulled direct-injection recall to 0.29.
CONTEXT_INJECTION_WEIGHTS = "context-injection.npz"
POLICY_FILE = "policy.json"
REPORT_FILE = "training-report.json"
# Chosen earlier among a dozen settings on the held-out OpenAI half (docs/BENCHMARKS.md).
C_EMBEDDING = 1.0
C_CHARS = 4.0
# The injection heads' weight of the embedding head. The harm heads choose theirs per label, out
# of fold, from BLEND_GRID (`harm_blends`): character n-grams carry the workplace set's
# criminal requests and hurt the OpenAI set's hate and violence (2026-12-07 twelfth).
BLEND = 0.5
BLEND_GRID = np.round(np.arange(0.0, 1.01, 0.1), 1)
# HarmBench requests are phrased unlike the chat messages of the other sets; full weight
# pulled the heads towards "sounds like a request" and cost precision on real messages.
HARMBENCH_WEIGHT = 0.5
# The workplace set is the register the assistant is used in; its items count this many times.
WORKPLACE_WEIGHT = 3.0
# The OpenAI set's texts (real comments and chat, with OpenAI's own category labels) in the harm
# heads. Out of fold, weights 1 / 2 / 3 / 4 gave OpenAI AUPRC 0.750 / 0.776 / 0.785 / 0.786 (hate
# 0.556 / 0.592 / 0.610 / 0.619), and each step cost HarmBench blocked recall (73.2% / 72.3% /
# 70.2% / 68.1%) and the translated workplace requests' flags; 2 is where the gain flattens, and
# there the English workplace figures, XSTest and injection F1 did not move (2026-12-07 thirteenth).
OPENAI_WEIGHT = 2.0
# The OpenAI-set heads (`_fit_openai`): logistic heads on the embedding alone, trained on the
# OpenAI set's training half only, mixed into each harm category by a share chosen out of fold
# (`openai_shares`). They are less regularised than the main heads (C 10 against C_EMBEDDING 1;
# C 3, 10 and 30 were tried out of fold on 2026-12-08: 0.805, 0.809 and 0.802 OpenAI AUPRC).
OPENAI_HEAD_C = 10.0
# Texts of the harm sets are plain negatives for the injection head (an injection rule runs on
# every question), at this weight, so they do not drown the injection set's own negatives.
INJECTION_NEGATIVE_WEIGHT = 0.25
# Document sections (clean and injected) outnumber the injection set eight to one. At weight
# 0.3 clean sections scored higher, the 2% limit pushed the threshold to 0.73 and fewer injected
# sections were caught out of fold (73% against 90% at full weight), with no gain in F1.
DOCUMENT_WEIGHT = 1.0
# Label of the any-harm head stored beside the per-category heads.
HARMFUL = "harmful"
FOLDS = 5
FOLD_SALT = "moderation-fold:"
# A second, independent fold split: its out-of-fold harm scores guard the block thresholds.
GUARD_SALT = "moderation-guard-fold:"
SEED_FILES = {
    "seeds": "examples.jsonl",
    "hard-negatives": "workplace-negatives.jsonl",
    # Harmful workplace requests and answer sentences beside legitimate ones on the same topics.
    "contrast": "workplace-contrast.jsonl",
    # Injuries, first aid and accidents described plainly, as incident reports and safety notes
    # put them: harm negatives only, at the workplace set's weight (see _SEED_WEIGHTS).
    "injury-negatives": "injury-negatives.jsonl",
}
# OpenAI's violence label covers injuries described in detail (a car crash, a building collapse),
# so the violence head blocked incident reports and first-aid notes: "The chef's knife slipped and
# she needs stitches" scored 0.87 (moderation/data/workplace-probe). These seeds teach the harm
# heads otherwise, at the workplace set's weight; the injection heads do not read them (as plain
# negatives there they cost injection F1, 2026-12-07 thirteenth).
_SEED_WEIGHTS = {"injury-negatives": WORKPLACE_WEIGHT}
_HARM_ONLY_SEEDS = frozenset({"injury-negatives"})
# The workplace set's later lists (`source` "written:list-<x>": five writers, each from a short
# brief, without sight of the first set; moderation/data/workplace/README.md) train the harm heads
# at this weight, and not the injection heads. Out of fold, four of them at the first set's weight
# of 3 cost OpenAI AUPRC 0.775 -> 0.764 and hate 0.595 -> 0.548 (at 1: 0.770, 0.579); read by the
# injection heads, their jailbreak requests cost injection F1 0.880 -> 0.856 (2026-12-07
# fifteenth). They count in the flag limits and the recall objectives of the calibration, but
# not in the block limit (`Sets.workplace_first_legitimate`, see LIMITS).
WORKPLACE_LIST_WEIGHT = 1.0
# Written lists outside the workplace register (moderation/data/written/README.md): prompts that
# only sound alarming beside their harmful twins ("prompts"), and chat and comment messages,
# hateful, harassing or violent beside heated, profane and violence-related ones that break no
# rule ("comments"). Harm heads only, at this weight; each kind's legitimate items have a block
# limit of their own (`Sets.comments_legitimate`, `Sets.prompts_legitimate`, LIMITS), and no
# workplace limit or objective reads them. Out of fold, at weight 1 / 2:
# hate AUPRC 0.571 -> 0.607 / 0.611, violence 0.245 -> 0.293 / 0.314, but workplace harmful
# flagged or blocked 90.7% -> 89.8% / 86.7% (2026-12-07 seventeenth).
WRITTEN_LIST_WEIGHT = 1.0
# Written injection lists (moderation/data/written/README.md): messages that try to hijack the
# assistant beside ordinary ones in the same words, in five languages; the injection heads only
# (input, and context, which reads every input item too), at this weight.
INJECTION_LIST_WEIGHT = 1.0
# A workplace request for someone's personal data (doxxing a coworker, pulling payroll records)
# has no harm head of its own; it is taught as the criminal misuse of data it is.
WORKPLACE_HARM_LABELS = {str(Category.PII): str(Category.DANGEROUS_AND_CRIMINAL_CONTENT)}


@dataclass(frozen=True)
class TrainingData:
    """Paths of the data sets the heads are trained from (their training halves are used)."""

    openai: Path
    injections: Path
    harmbench: Path
    xstest: Path | None = None
    workplace: Path | None = None  # a workplace JSONL file or the folder of them
    # The enterprise corpus folder (<company>/md/*.md): its sections, clean and with one
    # inserted instruction, teach the injection head (every company but the held-out one).
    documents: Path | None = None
    # A folder of documents of other kinds (.docx, .html, .md, .txt): their passages are clean
    # negatives of the context head (moderation/clean_documents.py; the held-out one never read).
    clean_documents: Path | None = None
    # Written lists in the workplace format, outside its register (the folder or one file):
    # prompts and comments train the harm heads only, an injection list the injection heads only
    # (`_written_item`).
    written: Path | None = None


@dataclass(frozen=True)
class Item:
    """One training text, where it came from and what each head learns from it."""

    example: Example
    source: str  # openai, harmbench, injections, xstest, workplace, seeds, hard-negatives,
    # documents (a section's text, clean or injected), document-headings (its title and location)
    group: str  # the fold key: a workplace item and its translations share one
    harm: frozenset[str] | None  # labels for the harm/advice heads; None: not trained on
    injection: bool | None  # label for the injection head; None: not trained on
    weight: float = 1.0


def seed_examples(name: str = "seeds") -> list[Example]:
    """Hand-written examples kept with the source (provenance in moderation/README.md)."""
    ref = resources.files("moderation.seeds").joinpath(SEED_FILES[name])
    with resources.as_file(ref) as path:
        return list(datasets.read_seeds(path))


def fit_heads(
    labels: Sequence[str],
    texts: list[str],
    targets: dict[str, np.ndarray],
    vectors: np.ndarray,
    weights: np.ndarray | None = None,
    counts: Any = None,
) -> LinearHeads:
    """Fit one logistic head per label on embeddings and one on character n-grams."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    if counts is None:
        counts = features.char_counts(texts)
    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
    idf = tfidf.idf_.astype(np.float32)
    chars = features.char_tfidf(counts, idf)
    emb_coef, emb_bias, char_coef, char_bias = [], [], [], []
    for label in labels:
        y = targets[label]
        lr = LogisticRegression(C=C_EMBEDDING, max_iter=5000, class_weight="balanced")
        lr.fit(vectors, y, sample_weight=weights)
        emb_coef.append(lr.coef_[0])
        emb_bias.append(lr.intercept_[0])
        lr = LogisticRegression(C=C_CHARS, max_iter=5000, class_weight="balanced")
        lr.fit(chars, y, sample_weight=weights)
        char_coef.append(lr.coef_[0])
        char_bias.append(lr.intercept_[0])
    return LinearHeads(
        labels=tuple(labels),
        emb_coef=np.array(emb_coef, dtype=np.float32),
        emb_bias=np.array(emb_bias, dtype=np.float32),
        char_coef=np.array(char_coef, dtype=np.float32),
        char_bias=np.array(char_bias, dtype=np.float32),
        idf=idf,
        blend=BLEND,
    )


HARM_LABELS = [str(c) for c in CLASSIFIER_CATEGORIES] + [HARMFUL]
INJECTION_LABELS = [str(Category.PROMPT_INJECTION)]
_HARM_NAMES = frozenset(str(c) for c in HARM_CATEGORIES)
_ATTACKS = frozenset({str(Category.PROMPT_INJECTION), str(Category.JAILBREAK)})
_HARM_SETS = frozenset({"openai", "harmbench", "xstest"})
_INJECTION_WEIGHTS = {
    **dict.fromkeys(_HARM_SETS, INJECTION_NEGATIVE_WEIGHT),
    "documents": DOCUMENT_WEIGHT,
    "document-headings": DOCUMENT_WEIGHT,
}


def _harm_targets(labels: Sequence[frozenset[str]]) -> dict[str, np.ndarray]:
    out = {
        label: np.array([int(label in ls) for ls in labels], dtype=np.int64)
        for label in HARM_LABELS
    }
    out[HARMFUL] = np.array([int(bool(ls & _HARM_NAMES)) for ls in labels], dtype=np.int64)
    return out


class Features:
    """Embeddings and character counts of every training text, computed once."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors = embedding.embed_batch(texts)
        self.counts = features.char_counts(texts).tocsr()


def _fit_harm(
    items: Sequence[Item],
    rows: np.ndarray,
    feats: Features,
    blends: dict[str, float] | None = None,
) -> LinearHeads:
    rows = np.array([i for i in rows if items[i].harm is not None], dtype=np.int64)
    labels = [items[i].harm or frozenset() for i in rows]
    weights = np.array([items[i].weight for i in rows])
    heads = fit_heads(
        HARM_LABELS,
        [feats.texts[i] for i in rows],
        _harm_targets(labels),
        feats.vectors[rows],
        weights,
        feats.counts[rows],
    )
    if blends is None:
        return heads
    return replace(heads, blend=np.array([blends[label] for label in HARM_LABELS], np.float32))


_OPENAI_LABELS = [str(c) for c in HARM_CATEGORIES] + [HARMFUL]


def _fit_openai(
    items: Sequence[Item],
    rows: np.ndarray,
    feats: Features,
    shares: dict[str, float] | None = None,
) -> EmbeddingHeads:
    """The OpenAI-set heads, fitted on the OpenAI items among ``rows`` (the harm category heads
    and the any-harm head, embedding columns only). A label no such item carries gets a head
    that scores every text 0 and, in `openai_shares`, no share."""
    from sklearn.linear_model import LogisticRegression

    rows = np.array([i for i in rows if items[i].source == "openai"], dtype=np.int64)
    targets = _harm_targets([items[i].harm or frozenset() for i in rows])
    x = feats.vectors[rows]
    coef = np.zeros((len(_OPENAI_LABELS), feats.vectors.shape[1]), dtype=np.float32)
    bias = np.full(len(_OPENAI_LABELS), -30.0, dtype=np.float32)
    for j, label in enumerate(_OPENAI_LABELS):
        y = targets[label]
        if 0 < y.sum() < len(y):
            lr = LogisticRegression(C=OPENAI_HEAD_C, max_iter=5000, class_weight="balanced")
            lr.fit(x, y)
            coef[j], bias[j] = lr.coef_[0], lr.intercept_[0]
    share = np.array([(shares or {}).get(label, 0.0) for label in _OPENAI_LABELS], np.float32)
    return EmbeddingHeads(labels=tuple(_OPENAI_LABELS), coef=coef, bias=bias, share=share)


def _openai_scores(rows: np.ndarray, feats: Features, heads: EmbeddingHeads) -> np.ndarray:
    """Harm category scores (rows x 5) of the OpenAI-set heads, `combine_harm`d."""
    p = heads.probabilities(feats.vectors[rows])
    harmful = p[:, _OPENAI_LABELS.index(HARMFUL)]
    return np.stack([(harmful + p[:, j]) / 2.0 for j in range(len(HARM_CATEGORIES))], axis=1)


def openai_shares(items: Sequence[Item], scores: Scores) -> dict[str, float]:
    """Each harm category's share of the OpenAI-set heads: the value of BLEND_GRID whose mix of
    the out-of-fold scores (`Scores.openai` into `Scores.harm`) gives the highest average
    precision for that category over every item with harm labels, at the items' training weights
    (the rule `harm_blends` follows). A category no OpenAI item carries gets none."""
    from sklearn.metrics import average_precision_score

    if scores.openai is None:
        return {}
    rows = np.array([i for i, it in enumerate(items) if it.harm is not None], dtype=np.int64)
    weights = np.array([items[i].weight for i in rows])
    shares = {}
    for j, category in enumerate(str(c) for c in HARM_CATEGORIES):
        y = np.array([int(category in (items[i].harm or ())) for i in rows])
        carried = any(it.source == "openai" and category in (it.harm or ()) for it in items)
        if not carried or not y.any():
            shares[category] = 0.0
            continue
        precision = [
            average_precision_score(
                y,
                (1 - b) * scores.harm[rows, j] + b * scores.openai[rows, j],
                sample_weight=weights,
            )
            for b in BLEND_GRID
        ]
        shares[category] = float(BLEND_GRID[int(np.argmax(precision))])
    return shares


def harm_blends(items: Sequence[Item], feats: Features, folds: int = FOLDS) -> dict[str, float]:
    """Each harm label's blend: the weight of its embedding head, from BLEND_GRID, that gives the
    highest out-of-fold average precision for that label over every item with harm labels (each
    at its training weight). The heads are fitted once per fold; only the blend is chosen."""
    from sklearn.metrics import average_precision_score

    rows = np.array([i for i, it in enumerate(items) if it.harm is not None], dtype=np.int64)
    fold = folds_of(items, folds)[rows]
    emb = np.zeros((len(rows), len(HARM_LABELS)), dtype=np.float32)
    char = np.zeros_like(emb)
    for k in range(folds):
        test = fold == k
        heads = _fit_harm(items, rows[~test], feats)
        emb[test], char[test] = heads.parts_batch(
            feats.vectors[rows[test]], feats.counts[rows[test]]
        )
    targets = _harm_targets([items[i].harm or frozenset() for i in rows])
    weights = np.array([items[i].weight for i in rows])
    blends = {}
    for j, label in enumerate(HARM_LABELS):
        precision = [
            average_precision_score(
                targets[label], b * emb[:, j] + (1 - b) * char[:, j], sample_weight=weights
            )
            for b in BLEND_GRID
        ]
        blends[label] = float(BLEND_GRID[int(np.argmax(precision))])
    return blends


# Passages the context head reads and the input head does not.
_DOCUMENT_SOURCES = frozenset(
    {"documents", "document-headings", "clean-documents", "injected-documents"}
)
# Items whose fold is their company (see `folds_of`): document sections, and the questions asked
# about a company's documents with the passages that answer them. (Clean passages of other
# documents are folded by file, with `fold_of`, apart from the companies.)
_COMPANY_SOURCES = frozenset({"documents", "document-headings", "questions", "answers"})


def _fit_injection(
    items: Sequence[Item], rows: np.ndarray, feats: Features, *, context: bool = False
) -> LinearHeads:
    """The input head (questions) or, with ``context``, the head for retrieved passages."""
    rows = np.array(
        [
            i
            for i in rows
            if items[i].injection is not None
            and (context or items[i].source not in _DOCUMENT_SOURCES)
            # A company's questions are not passages, and they include the document set's
            # held-out company: the context head never reads them.
            and not (context and items[i].source == "questions")
        ],
        dtype=np.int64,
    )
    y = np.array([int(bool(items[i].injection)) for i in rows], dtype=np.int64)
    weights = np.array([_INJECTION_WEIGHTS.get(items[i].source, 1.0) for i in rows])
    return fit_heads(
        INJECTION_LABELS,
        [feats.texts[i] for i in rows],
        {INJECTION_LABELS[0]: y},
        feats.vectors[rows],
        weights,
        feats.counts[rows],
    )


def collect(data: TrainingData, *, limit: int | None = None) -> tuple[list[Item], dict[str, int]]:
    """Every training item (the training halves; HarmBench and the seeds whole).

    ``limit`` keeps only the first N items of each source, for quick development runs.
    XSTest's unsafe prompts have no category: they are given the one a first model, trained
    on the other items, finds most likely (they are a plain negative for the injection head).
    """
    items: list[Item] = []

    def add(source: str, new: Sequence[Item]) -> None:
        items.extend(new[:limit] if limit is not None else new)

    add(
        "openai",
        [
            Item(ex, "openai", ex.text, ex.categories, False, OPENAI_WEIGHT)
            for ex in datasets.read_openai(data.openai)
            if not ex.held_out()
        ],
    )
    add(
        "harmbench",
        [
            Item(ex, "harmbench", ex.text, ex.categories, False, HARMBENCH_WEIGHT)
            for ex in datasets.read_harmbench(data.harmbench)
        ],
    )
    add(
        "injections",
        [
            Item(ex, "injections", ex.text, None if ex.unsafe else frozenset(), ex.unsafe)
            for ex in datasets.read_injections(data.injections)
            if not ex.held_out()
        ],
    )
    for name in SEED_FILES:
        harm_only = name in _HARM_ONLY_SEEDS
        add(
            name,
            [
                Item(
                    ex,
                    name,
                    ex.text,
                    None if ex.categories & _ATTACKS else ex.categories,
                    None if harm_only or ex.categories - _ATTACKS else bool(ex.categories),
                    _SEED_WEIGHTS.get(name, 1.0),
                )
                for ex in seed_examples(name)
            ],
        )
    # The workplace set and the written lists share its format (their training halves).
    for name, path, item_of in (
        ("workplace", data.workplace, _workplace_item),
        ("written", data.written, _written_item),
    ):
        if path is not None:
            add(name, [item_of(ex) for ex in datasets.read_workplace(path) if not ex.held_out()])
    if data.xstest is not None:
        xs = [ex for ex in datasets.read_xstest(data.xstest) if not ex.held_out()]
        if limit is not None:
            xs = xs[:limit]
        feats = Features([it.example.text for it in items])
        first = _fit_harm(items, np.arange(len(items)), feats)
        unsafe = [ex for ex in xs if ex.unsafe]
        raw = first.score_arrays_batch(
            embedding.embed_batch([ex.text for ex in unsafe]),
            features.char_counts([ex.text for ex in unsafe]),
        )
        harm_rows = [HARM_LABELS.index(str(c)) for c in HARM_CATEGORIES]
        guessed = {
            ex.text: HARM_LABELS[harm_rows[int(np.argmax(p[harm_rows]))]]
            for ex, p in zip(unsafe, raw, strict=True)
        }
        for ex in xs:
            labels = frozenset({guessed[ex.text]}) if ex.unsafe else frozenset()
            items.append(Item(ex, "xstest", ex.text, labels, False))
    if data.documents is not None:
        # Last, after the XSTest labels are guessed from everything else.
        add("documents", document_items(data.documents))
        add("questions", question_items(data.documents))
    if data.clean_documents is not None:
        add("other-documents", other_document_items(data.clean_documents))
    counts: dict[str, int] = {}
    for it in items:
        counts[it.source] = counts.get(it.source, 0) + 1
    return items, counts


def document_items(corpus: Path) -> list[Item]:
    """Sections of the training companies, clean and injected, and their headings (clean).

    Their fold group is their company (see `folds_of`): the context head is scored out of fold on
    a company it was not trained on, as it will be used. The section's id stays on the example, so
    a clean section and its heading still count as one section.
    """
    from moderation import injected_documents

    injection = str(Category.PROMPT_INJECTION)
    out: list[Item] = []
    for doc in injected_documents.training_examples(corpus):
        group, company = doc.group, doc.section.company
        ex = Example(
            doc.text,
            frozenset({injection}) if doc.injected else frozenset(),
            unsafe=doc.injected,
            kind=doc.position or "clean",
            domain=doc.kind,
            group=group,
        )
        out.append(Item(ex, "documents", company, None, doc.injected))
        if not doc.injected:
            heading = Example(doc.section.heading, kind="heading", group=group)
            out.append(Item(heading, "document-headings", company, None, False))
    return out


def question_items(corpus: Path) -> list[Item]:
    """The training companies' questions (input) and the passages that answer them (output).

    Customers and staff ask a company's assistant how to apply for a loan, close an account, find
    a branch's phone number or reset a device: ordinary questions that share words with fraud and
    doxxing requests. They are taught as harmless, at input, and the passages that answer them as
    harmless answers, at output. Their fold group is their company, as for document sections, so
    the thresholds are chosen on the questions of a company the heads never saw. Every company's
    questions are read, the document set's held-out company included: the folds keep each
    company's figures honest, and a bank's questions are what teach the heads that "How can I find
    the nearest ATM?" is not fraud.
    """
    path = Path(corpus) / "queries.jsonl"
    if not path.is_file():
        return []
    out: list[Item] = []
    seen: set[str] = set()
    for row in datasets.read_enterprise_questions(path):
        for text, source, stage in [(row.question, "questions", "question")] + [
            (fact, "answers", "answer") for fact in row.answers
        ]:
            if text in seen:
                continue
            seen.add(text)
            ex = Example(text, kind=stage, domain=row.company)
            # An answer is checked at output, where the injection rule does not run.
            out.append(
                Item(ex, source, row.company, frozenset(), False if stage == "question" else None)
            )
    return out


def other_document_items(folder: Path) -> list[Item]:
    """Passages of documents of other kinds (e-mails, spreadsheets, slides, PDFs, web pages, a
    filing), for the context head only: each clean, and a copy with one inserted instruction.

    The copy is made as for the companies' sections (`injected_documents.instruction_for`, seen
    templates only, the passage cropped to ``TRAINING_WORDS`` words first). A file's passages and
    their copies share its fold (group ``file:<name>``), so the thresholds are chosen, and the
    figures measured, on files the head never saw; each passage keeps its own id, so it counts
    once as a section.
    """
    from moderation import clean_documents, injected_documents

    injection = frozenset({str(Category.PROMPT_INJECTION)})
    out: list[Item] = []
    for i, passage in enumerate(clean_documents.passages(folder, split="train")):
        group, fold = f"{passage.document}#{i}", f"file:{passage.document}"
        ex = Example(passage.text, kind="clean", domain=passage.document, group=group)
        out.append(Item(ex, "clean-documents", fold, None, False))
        choice = injected_documents.instruction_for(group, seen_only=True)
        text = injected_documents.insert(
            injected_documents.crop(passage.text, injected_documents.TRAINING_WORDS),
            str(choice["instruction"]),
            str(choice["position"]),
        )
        copy = Example(
            text,
            injection,
            unsafe=True,
            kind=str(choice["position"]),
            domain=passage.document,
            group=group,
        )
        out.append(Item(copy, "injected-documents", fold, None, True))
    return out


def _later_list(ex: Example) -> bool:
    """Whether a workplace item comes from one of the later lists (`source` "written:list-<x>")."""
    return ex.source.startswith("written:")


def _written_item(ex: Example) -> Item:
    """An item of a written list: "comments" when its `source` is "written:comments-<x>",
    "injection-list" when it is "written:injections-<x>", else "prompts". The first two kinds
    train the harm heads only, at WRITTEN_LIST_WEIGHT; an injection list trains the injection
    heads only (its legitimate messages are their negatives), at INJECTION_LIST_WEIGHT."""
    if ex.source.startswith("written:injections"):
        return Item(
            ex,
            "injection-list",
            ex.group,
            None,
            bool(ex.categories & _ATTACKS),
            INJECTION_LIST_WEIGHT,
        )
    source = "comments" if ex.source.startswith("written:comments") else "prompts"
    harm = frozenset(WORKPLACE_HARM_LABELS.get(c, c) for c in ex.categories) - _ATTACKS
    return Item(ex, source, ex.group, harm, None, WRITTEN_LIST_WEIGHT)


def _workplace_item(ex: Example) -> Item:
    harm = frozenset(WORKPLACE_HARM_LABELS.get(c, c) for c in ex.categories) - _ATTACKS
    # A jailbreak-only request has no harm label: the injection head learns it instead.
    only_attack = bool(ex.categories) and not harm
    if _later_list(ex):  # harm heads only
        return Item(
            ex, "workplace", ex.group, None if only_attack else harm, None, WORKPLACE_LIST_WEIGHT
        )
    return Item(
        ex,
        "workplace",
        ex.group,
        None if only_attack else harm,
        bool(ex.categories & _ATTACKS),
        WORKPLACE_WEIGHT,
    )


def fold_of(group: str, folds: int = FOLDS, salt: str = FOLD_SALT) -> int:
    """The fold of a group: a salted hash, so the assignment is stable and needs no shuffle."""
    digest = hashlib.sha256((salt + group).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % folds


def folds_of(items: Sequence[Item], folds: int = FOLDS, salt: str = FOLD_SALT) -> np.ndarray:
    """Each item's fold: `fold_of` its group, except a company's document sections, questions and
    answers (`_COMPANY_SOURCES`), whose companies are spread
    over the folds in name order (one company per fold while there are enough folds), so that no
    two companies can share a fold by chance and each is scored by a head that never saw it.

    Sections of one company share its boilerplate (help blocks, contact lines, how-to steps): with
    sections spread over the folds, a head was scored on the siblings of what it was trained on.
    """
    companies = sorted({it.group for it in items if it.source in _COMPANY_SOURCES})
    spread = {c: i * folds // len(companies) for i, c in enumerate(companies)}
    return np.array(
        [
            spread[it.group] if it.source in _COMPANY_SOURCES else fold_of(it.group, folds, salt)
            for it in items
        ]
    )


@dataclass
class Scores:
    """Scores of every item as the shipped detectors would give them (one text each)."""

    harm: np.ndarray  # (N, 5) harm category scores (mean of any-harm and category head)
    advice: np.ndarray  # (N, 3)
    injection: np.ndarray  # (N,) max of the input head and the patterns
    context: np.ndarray  # (N,) max of the context head and the patterns
    jailbreak: np.ndarray  # (N,) patterns
    pii: np.ndarray  # (N,) 1.0 when a PII span is found
    # (N, 5) the OpenAI-set heads' harm category scores; `harm` holds them mixed in once
    # `mixed` has been applied (None: not computed)
    openai: np.ndarray | None = None

    def mixed(self, shares: dict[str, float]) -> Scores:
        """The same scores with the OpenAI-set heads' scores mixed into ``harm`` at ``shares``."""
        if self.openai is None:
            return self
        return replace(self, harm=mix_openai(self.harm, self.openai, shares))


def mix_openai(harm: np.ndarray, openai: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """Harm category scores (N, 5) with the OpenAI-set heads' mixed in, as `classifier.mix` does."""
    share = np.array([shares.get(str(c), 0.0) for c in HARM_CATEGORIES])
    return (1.0 - share) * harm + share * openai


def score_items(
    items: Sequence[Item], rows: np.ndarray, feats: Features, harm: LinearHeads, inj: LinearHeads
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Harm, advice and injection-head scores of some items under the given heads."""
    h, a = _harm_scores(rows, feats, harm)
    i = inj.score_arrays_batch(feats.vectors[rows], feats.counts[rows])[:, 0]
    return h, a, i


def _harm_scores(
    rows: np.ndarray, feats: Features, harm: LinearHeads
) -> tuple[np.ndarray, np.ndarray]:
    from moderation.classifier import combine

    raw = harm.score_arrays_batch(feats.vectors[rows], feats.counts[rows])
    combined = [combine(dict(zip(harm.labels, r.tolist(), strict=True))) for r in raw]
    h = np.array([[c[str(cat)] for cat in HARM_CATEGORIES] for c in combined])
    a = np.array([[c[str(cat)] for cat in ADVICE_CATEGORIES] for c in combined])
    return h, a


def guard_harm(
    items: list[Item],
    feats: Features,
    folds: int = FOLDS,
    blends: dict[str, float] | None = None,
    shares: dict[str, float] | None = None,
) -> np.ndarray:
    """Harm scores of every item out of fold under a second, independent split (`GUARD_SALT`).

    Two heads trained on different four fifths score an unseen text a few hundredths apart
    (standard deviation 0.02-0.05 by category, measured 2026-12-07). A block threshold chosen
    where harmless texts sit just below it on one split blocks them on the other: the choice
    rule counts a harmless text as blocked when either split's score would block it.
    ``shares``: the OpenAI-set heads' shares (`openai_shares`), mixed in as the product does.
    """
    fold = folds_of(items, folds, GUARD_SALT)
    harm = np.zeros((len(items), len(HARM_CATEGORIES)))
    for k in range(folds):
        train_rows, test_rows = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        log.info("guard fold %d/%d", k + 1, folds)
        heads = _fit_harm(items, train_rows, feats, blends)
        harm[test_rows] = _harm_scores(test_rows, feats, heads)[0]
        if shares and any(shares.values()):
            openai = _openai_scores(test_rows, feats, _fit_openai(items, train_rows, feats))
            harm[test_rows] = mix_openai(harm[test_rows], openai, shares)
    return harm


def out_of_fold(
    items: list[Item],
    feats: Features,
    folds: int = FOLDS,
    blends: dict[str, float] | None = None,
) -> Scores:
    """Scores of every item by heads trained on the other folds only (harm heads blended by
    ``blends``, see `harm_blends`). ``openai`` holds the OpenAI-set heads' scores, not yet mixed
    into ``harm`` (`openai_shares`, `Scores.mixed`)."""
    from moderation.injection import INJECTION_PATTERNS, JAILBREAK_PATTERNS, pattern_score
    from moderation.pii import find_pii
    from moderation.privacy import asks_for_personal_data

    n = len(items)
    fold = folds_of(items, folds)
    harm = np.zeros((n, len(HARM_CATEGORIES)))
    advice = np.zeros((n, len(ADVICE_CATEGORIES)))
    head = np.zeros(n)
    context = np.zeros(n)
    openai = np.zeros((n, len(HARM_CATEGORIES)))
    has_documents = any(it.source in _DOCUMENT_SOURCES for it in items)
    for k in range(folds):
        train_rows, test_rows = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        log.info(
            "fold %d/%d: %d training items, %d scored",
            k + 1,
            folds,
            len(train_rows),
            len(test_rows),
        )
        h, a, i = score_items(
            items,
            test_rows,
            feats,
            _fit_harm(items, train_rows, feats, blends),
            _fit_injection(items, train_rows, feats),
        )
        harm[test_rows], advice[test_rows], head[test_rows] = h, a, i
        openai[test_rows] = _openai_scores(test_rows, feats, _fit_openai(items, train_rows, feats))
        context[test_rows] = (
            _fit_injection(items, train_rows, feats, context=True).score_arrays_batch(
                feats.vectors[test_rows], feats.counts[test_rows]
            )[:, 0]
            if has_documents
            else i
        )
    texts = [it.example.text for it in items]
    jailbreak = np.array([pattern_score(t, JAILBREAK_PATTERNS) for t in texts])
    patterns = np.array([pattern_score(t, INJECTION_PATTERNS) for t in texts])
    return Scores(
        harm=harm,
        advice=advice,
        injection=np.maximum.reduce([head, patterns, jailbreak]),
        context=np.maximum.reduce([context, patterns, jailbreak]),
        jailbreak=jailbreak,
        pii=np.array(
            [
                1.0 if find_pii(t) or (asked and asks_for_personal_data(t)) else 0.0
                for t, asked in zip(texts, Sets.of(items).input_stage, strict=True)
            ]
        ),
        openai=openai,
    )


# ---- calibration: the choice rule -------------------------------------------------------------
#
# All limits are checked on out-of-fold scores of the training data, a little inside the targets
# (the same scores choose and measure, so the choice is a little optimistic about itself).
LIMITS = {
    "injection_workplace_legitimate_blocked": 0.005,
    # At 1.5%, with the OpenAI set at weight 2, the violence block threshold fell to 0.65 and
    # blocked "Apply firm pressure to a bleeding wound..." and a fire-blanket question out of
    # fold; a limit met out of fold is exceeded by about a point on unseen items of the same sets
    # (2026-12-07 third), and blocking ordinary work is the worse failure. It reads the first
    # set only: the later lists pair harmful and legitimate texts in the same words on purpose
    # (a threat beside the report of one), and with their legitimate items in this limit the
    # violence threshold rose to 0.89, where "I will kill you." (0.85) and "How do I build a pipe
    # bomb to hurt my coworkers?" (0.83) were only flagged (2026-12-07 fifteenth). Their blocked
    # share is reported apart, out of fold and on the sealed lists.
    "workplace_legitimate_blocked": 0.005,
    "xstest_safe_blocked": 0.04,
    "harmless_blocked": 0.05,
    # Heated, profane or violence-related messages that break no rule (the written comment
    # lists): blocked at most this often. A block limit only, apart from `harmless_blocked` (the
    # injection limit and the choice's ratio of recall to harmless items do not read them):
    # flagging one only records it (2026-12-07 seventeenth).
    "comments_legitimate_blocked": 0.05,
    # The prompt lists' alarming-but-fine prompts: none blocked. Without this limit the selfharm
    # block threshold fell to 0.64, where "How can I help a friend who I think is self-harming?"
    # and "What should I do if someone tells me they want to end their life?" were blocked out of
    # fold (2026-12-07 seventeenth); at 1% (none of 75) it stops at 0.70.
    "prompts_legitimate_blocked": 0.01,
    "workplace_legitimate_flagged": 0.12,
    "messages_flagged": 0.10,
    # 1% before document sections were trained on; at 1% the choice fell to 0.72, where the
    # out-of-fold injection F1 was 0.41 (README, "Indirect injection in documents").
    "injection_harmless_blocked": 0.02,
    # The context head's two thresholds: drop a passage, or quote it inert (marked as data).
    "documents_clean_dropped": 0.015,
    "documents_clean_quoted": 0.10,
    # The training companies' own questions (input) and the passages that answer them (output).
    "enterprise_blocked": 0.005,
    "enterprise_questions_flagged": 0.10,
    # The same, each company apart: pooled, a bank's questions (ATMs, card fraud, closing an
    # account) were flagged 15% out of fold under cover of two other companies' 1%. At 10% each the
    # hate flag band rose to 0.46 and XSTest's unsafe prompts flagged fell from 89% to 84%
    # (2026-12-07 nineteenth).
    "company_questions_flagged": 0.12,
}
CHOICE_RULE = (
    "Out-of-fold scores only. (1a) prompt_injection threshold at input: the highest F1 "
    "on the injection set's training half while at most "
    "{injection_workplace_legitimate_blocked:.1%} of legitimate workplace questions and "
    "{injection_harmless_blocked:.0%} of harmless OpenAI/injection-set texts are blocked. "
    "(1b) The context head's drop threshold: the lowest that drops at most "
    "{documents_clean_dropped:.1%} of the training companies' clean document sections (text or "
    "heading), and at most as many of the clean passages of other documents (scored by heads "
    "that never saw their file); its quote threshold: the lowest that quotes or drops at most "
    "{documents_clean_quoted:.0%} of all of them. (2) Per-category block thresholds (shared by input "
    "and output): greedy, each step lowers the one threshold that adds the most blocked harmful "
    "items per harmless item newly blocked, maximising the mean blocked recall over OpenAI "
    "positives, HarmBench, XSTest unsafe and workplace harmful items, while legitimate items of "
    "the workplace set's first set (not its later lists) blocked <= "
    "{workplace_legitimate_blocked:.1%}, XSTest safe prompts blocked <= "
    "{xstest_safe_blocked:.0%}, harmless OpenAI/injection-set texts blocked <= "
    "{harmless_blocked:.0%}, the comment lists' ordinary messages blocked <= "
    "{comments_legitimate_blocked:.0%}, the prompt lists' alarming-but-fine prompts blocked <= "
    "{prompts_legitimate_blocked:.0%} and the training companies' questions and answer passages blocked "
    "<= {enterprise_blocked:.1%} (each scored by heads that never saw its company); in these "
    "limits a harmless text counts as blocked when its score under either of two independent fold "
    "splits would block it, so no threshold sits just above harmless texts that a head trained "
    "on other data scores a few hundredths higher. (3) Flag "
    "bands the same way for flagged-or-blocked recall, while legitimate workplace items flagged "
    "(harm, attack or pii rule) <= {workplace_legitimate_flagged:.0%}, the injection set's "
    "harmless messages flagged <= {messages_flagged:.0%} and the companies' questions flagged <= "
    "{enterprise_questions_flagged:.0%}, each company's <= {company_questions_flagged:.0%} "
    "(OpenAI's harmless texts are often crude; flagging one "
    "only records it)."
).format(**LIMITS)
GRID = np.round(np.arange(0.20, 0.96, 0.01), 2)


@dataclass
class Sets:
    """Boolean masks over the items: which population each belongs to."""

    input_stage: np.ndarray
    workplace_legitimate: np.ndarray
    workplace_harmful: np.ndarray
    # The first set's legitimate items (not the later lists'): the block limit reads these.
    workplace_first_legitimate: np.ndarray
    xstest_safe: np.ndarray
    xstest_unsafe: np.ndarray
    openai_positive: np.ndarray
    harmbench: np.ndarray
    harmless: np.ndarray  # OpenAI negatives and the injection set's harmless texts
    # The comment lists' ordinary messages (heated, profane, about violence): a block limit only.
    comments_legitimate: np.ndarray
    # The prompt lists' alarming-but-fine prompts (self-harm support among them): the same.
    prompts_legitimate: np.ndarray
    messages: np.ndarray  # the injection set's harmless texts: everyday questions and requests
    injection_set: np.ndarray
    injection_positive: np.ndarray
    document_clean: np.ndarray  # a section's clean text (the pipeline's passage text)
    document_injected: np.ndarray
    document_heading: np.ndarray  # a clean section's heading, checked beside its text
    enterprise_questions: np.ndarray  # a company's own questions (input)
    question_company: np.ndarray  # the company of each of those questions ("" elsewhere)
    enterprise_answers: np.ndarray  # the passages that answer them (output)
    other_documents: np.ndarray  # passages of documents of other kinds, clean or injected

    @classmethod
    def of(cls, items: Sequence[Item]) -> Sets:
        def mask(pred: Callable[[Item], bool]) -> np.ndarray:
            return np.array([pred(it) for it in items], dtype=bool)

        return cls(
            input_stage=mask(
                lambda it: (
                    it.source != "answers"
                    and (it.source != "workplace" or it.example.kind == "question")
                )
            ),
            workplace_legitimate=mask(
                lambda it: it.source == "workplace" and not it.example.unsafe
            ),
            workplace_harmful=mask(lambda it: it.source == "workplace" and it.example.unsafe),
            workplace_first_legitimate=mask(
                lambda it: (
                    it.source == "workplace"
                    and not it.example.unsafe
                    and not _later_list(it.example)
                )
            ),
            xstest_safe=mask(lambda it: it.source == "xstest" and not it.example.unsafe),
            xstest_unsafe=mask(lambda it: it.source == "xstest" and it.example.unsafe),
            openai_positive=mask(lambda it: it.source == "openai" and it.example.unsafe),
            harmbench=mask(lambda it: it.source == "harmbench"),
            harmless=mask(
                lambda it: it.source in ("openai", "injections") and not it.example.unsafe
            ),
            comments_legitimate=mask(lambda it: it.source == "comments" and not it.example.unsafe),
            prompts_legitimate=mask(lambda it: it.source == "prompts" and not it.example.unsafe),
            messages=mask(lambda it: it.source == "injections" and not it.example.unsafe),
            injection_set=mask(lambda it: it.source == "injections"),
            injection_positive=mask(lambda it: it.source == "injections" and it.example.unsafe),
            document_clean=mask(
                lambda it: it.source in ("documents", "clean-documents") and not it.example.unsafe
            ),
            document_injected=mask(lambda it: it.source == "documents" and it.example.unsafe),
            document_heading=mask(lambda it: it.source == "document-headings"),
            enterprise_questions=mask(lambda it: it.source == "questions"),
            question_company=np.array(
                [it.group if it.source == "questions" else "" for it in items], dtype=object
            ),
            enterprise_answers=mask(lambda it: it.source == "answers"),
            other_documents=mask(lambda it: it.source in ("clean-documents", "injected-documents")),
        )

    def positives(self) -> list[np.ndarray]:
        return [self.openai_positive, self.harmbench, self.xstest_unsafe, self.workplace_harmful]


def _rate(hit: np.ndarray, mask: np.ndarray) -> float:
    return float(hit[mask].mean()) if mask.any() else 0.0


def worst_company_rate(hit: np.ndarray, sets: Sets) -> float:
    """The highest share of ``hit`` among one company's questions (0 without questions)."""
    companies = {str(c) for c in sets.question_company[sets.enterprise_questions]}
    return max((_rate(hit, sets.question_company == c) for c in companies), default=0.0)


def clean_sections_dropped(
    items: Sequence[Item], attack: np.ndarray, sets: Sets, within: np.ndarray | None = None
) -> float:
    """Share of clean sections whose text or heading the attack rule drops at context (of
    those ``within`` a mask, where given)."""
    dropped: dict[str, bool] = {}
    clean = sets.document_clean | sets.document_heading
    for i in np.flatnonzero(clean if within is None else clean & within):
        item = items[int(i)]
        section = item.example.group or item.group  # a section's text and heading count as one
        dropped[section] = dropped.get(section, False) or bool(attack[i])
    return float(np.mean(list(dropped.values()))) if dropped else 0.0


@dataclass
class Thresholds:
    """The calibrated operating points."""

    block: dict[str, float]
    flag: dict[str, float]
    injection: float  # prompt_injection at input
    context_drop: float = 0.95  # prompt_injection at context: the passage is dropped
    context_quote: float = 0.95  # ... or quoted inert (flagged)

    def blocked(self, s: Scores, sets: Sets) -> np.ndarray:
        harm = np.zeros(len(s.injection), dtype=bool)
        for j, cat in enumerate(HARM_CATEGORIES):
            harm |= s.harm[:, j] >= self.block[str(cat)]
        attack = (s.injection >= self.injection) | (s.jailbreak >= 0.5)
        return harm | (sets.input_stage & attack)

    def dropped(self, s: Scores) -> np.ndarray:
        """Passages dropped at the context stage by the attack rules."""
        return (s.context >= self.context_drop) | (s.jailbreak >= 0.5)

    def quoted(self, s: Scores) -> np.ndarray:
        """Passages dropped or quoted inert at the context stage by the attack rules."""
        return self.dropped(s) | (s.context >= self.context_quote)

    def flagged(self, s: Scores, sets: Sets) -> np.ndarray:
        """Flag or stricter by a harm, attack or pii rule (advice flags not counted)."""
        hit = self.blocked(s, sets) | (s.pii >= 0.5)
        for j, cat in enumerate(HARM_CATEGORIES):
            hit |= s.harm[:, j] >= min(self.flag[str(cat)], self.block[str(cat)])
        return hit

    def any_action(self, s: Scores, sets: Sets) -> np.ndarray:
        """Any action at all, the advice categories' flags at input included."""
        return self.flagged(s, sets) | (sets.input_stage & (s.advice >= 0.5).any(axis=1))


def _greedy(
    start: dict[str, float],
    floor: dict[str, float],
    hits: Callable[[dict[str, float]], np.ndarray],
    feasible: Callable[[np.ndarray], bool],
    positives: list[np.ndarray],
    negatives: np.ndarray,
    guarded: Callable[[dict[str, float]], np.ndarray] | None = None,
) -> dict[str, float]:
    """Lower thresholds one at a time, best gain in recall per harmless item caught first.

    ``feasible`` judges ``guarded``'s hits where given (the limits), ``hits`` the objective.
    """

    def objective(hit: np.ndarray) -> float:
        return float(np.mean([_rate(hit, m) for m in positives if m.any()]))

    current = dict(start)
    hit = hits(current)
    while True:
        best: tuple[float, str, float] | None = None
        base_obj, base_neg = objective(hit), int(hit[negatives].sum())
        for cat, value in current.items():
            for t in GRID[(value > GRID) & (floor[cat] <= GRID)][::-1]:
                step = {**current, cat: float(t)}
                trial = hits(step)
                if not feasible(trial if guarded is None else guarded(step)):
                    break
                gain = objective(trial) - base_obj
                if gain <= 0:
                    continue
                ratio = gain / (1 + int(trial[negatives].sum()) - base_neg)
                if best is None or ratio > best[0]:
                    best = (ratio, cat, float(t))
        if best is None:
            return current
        current[best[1]] = best[2]
        hit = hits(current)


def calibrate(
    s: Scores, sets: Sets, items: Sequence[Item] = (), guard: np.ndarray | None = None
) -> Thresholds:
    """Choose the thresholds on out-of-fold scores by the rule in ``CHOICE_RULE``.

    ``guard``: harm scores of the same items out of fold under a second split (`guard_harm`);
    a text counts as blocked in the block limits when either split's score blocks it.
    """
    from sklearn.metrics import f1_score

    cats = [str(c) for c in HARM_CATEGORIES]
    y = sets.injection_positive[sets.injection_set]
    best_f1, t_inj = -1.0, 0.95
    wl_questions = sets.workplace_legitimate & sets.input_stage
    for t in GRID:
        attack = (s.injection >= t) | (s.jailbreak >= 0.5)
        f1 = float(f1_score(y, attack[sets.injection_set]))
        if (
            f1 > best_f1
            and _rate(attack, wl_questions) <= LIMITS["injection_workplace_legitimate_blocked"]
            and _rate(attack, sets.harmless) <= LIMITS["injection_harmless_blocked"]
        ):
            best_f1, t_inj = f1, float(t)
    context_drop = context_quote = float(GRID[-1])
    # The drop limit holds for the companies' sections and the other documents' passages apart:
    # pooled, a file of ordinary text that reads like orders to an assistant would be dropped
    # under cover of the many sections that are not.
    groups = [g for g in (~sets.other_documents, sets.other_documents) if g.any()]
    for t in GRID[::-1]:
        probe = Thresholds({}, {}, t_inj, float(t), float(t))
        dropped = probe.dropped(s)
        worst = max(clean_sections_dropped(items, dropped, sets, g) for g in groups)
        if worst <= LIMITS["documents_clean_dropped"]:
            context_drop = float(t)
        if clean_sections_dropped(items, dropped, sets) <= LIMITS["documents_clean_quoted"]:
            context_quote = float(t)
    negatives = sets.workplace_legitimate | sets.xstest_safe | sets.harmless
    enterprise = sets.enterprise_questions | sets.enterprise_answers
    negatives = negatives | enterprise

    def block_hits(block: dict[str, float]) -> np.ndarray:
        return Thresholds(block, block, t_inj).blocked(s, sets)

    def block_ok(hit: np.ndarray) -> bool:
        return (
            _rate(hit, sets.workplace_first_legitimate) <= LIMITS["workplace_legitimate_blocked"]
            and _rate(hit, sets.xstest_safe) <= LIMITS["xstest_safe_blocked"]
            and _rate(hit, sets.harmless) <= LIMITS["harmless_blocked"]
            and _rate(hit, sets.comments_legitimate) <= LIMITS["comments_legitimate_blocked"]
            and _rate(hit, sets.prompts_legitimate) <= LIMITS["prompts_legitimate_blocked"]
            and _rate(hit, enterprise) <= LIMITS["enterprise_blocked"]
        )

    either = s if guard is None else replace(s, harm=np.maximum(s.harm, guard))

    def block_guarded(block: dict[str, float]) -> np.ndarray:
        return Thresholds(block, block, t_inj).blocked(either, sets)

    top = dict.fromkeys(cats, float(GRID[-1]))
    block = _greedy(
        top,
        dict.fromkeys(cats, float(GRID[0])),
        block_hits,
        block_ok,
        sets.positives(),
        negatives,
        block_guarded,
    )

    def flag_hits(flag: dict[str, float]) -> np.ndarray:
        return Thresholds(block, flag, t_inj).flagged(s, sets)

    def flag_ok(hit: np.ndarray) -> bool:
        return (
            _rate(hit, sets.workplace_legitimate) <= LIMITS["workplace_legitimate_flagged"]
            and _rate(hit, sets.messages) <= LIMITS["messages_flagged"]
            and _rate(hit, sets.enterprise_questions) <= LIMITS["enterprise_questions_flagged"]
            and worst_company_rate(hit, sets) <= LIMITS["company_questions_flagged"]
        )

    flag = _greedy(
        block, dict.fromkeys(cats, float(GRID[0])), flag_hits, flag_ok, sets.positives(), negatives
    )
    return Thresholds(block, flag, t_inj, context_drop, min(context_quote, context_drop))


def injection_curve(items: Sequence[Item], s: Scores, sets: Sets) -> list[dict[str, float]]:
    """Every threshold of the grid with the figures the choice weighs (for the report)."""
    from sklearn.metrics import f1_score

    y = sets.injection_positive[sets.injection_set]
    wl_questions = sets.workplace_legitimate & sets.input_stage
    rows = []
    for t in GRID:
        attack = (s.injection >= t) | (s.jailbreak >= 0.5)
        row = {
            "threshold": float(t),
            "injection_f1": float(f1_score(y, attack[sets.injection_set])),
            "workplace_questions_blocked": _rate(attack, wl_questions),
            "harmless_blocked": _rate(attack, sets.harmless),
        }
        if sets.document_clean.any():
            dropped = (s.context >= t) | (s.jailbreak >= 0.5)
            row["documents_clean_dropped"] = clean_sections_dropped(items, dropped, sets)
            row["documents_injected_dropped"] = _rate(dropped, sets.document_injected)
        rows.append({k: round(v, 4) for k, v in row.items()})
    return rows


# ---- figures -----------------------------------------------------------------------------------

TARGETS: dict[str, tuple[str, float]] = {
    "openai_auprc": (">=", 0.85),
    "openai_hate_and_discrimination_auprc": (">=", 0.60),
    "openai_violence_and_threats_auprc": (">=", 0.60),
    "xstest_unsafe_flagged_or_blocked": (">=", 0.85),
    "xstest_safe_blocked": ("<=", 0.05),
    "injection_f1": (">=", 0.88),
    "workplace_legitimate_blocked": ("<=", 0.02),
    "workplace_legitimate_flagged": ("<=", 0.15),
    "workplace_harmful_flagged_or_blocked": (">=", 0.85),
    "documents_clean_dropped": ("<=", 0.02),
    "documents_injected_dropped_or_quoted": (">=", 0.80),
    # Ordinary questions about a company's documents are ordinary work: held to the workplace
    # set's limits.
    "enterprise_questions_blocked": ("<=", 0.02),
    "enterprise_questions_flagged": ("<=", 0.15),
    "company_questions_flagged": ("<=", 0.15),
}


def _group_value(ex: Example, key: str) -> str:
    """A workplace item's value for a per-group figure; ``list``: "first" or the later list."""
    if key == "list":
        return ex.source.split(":", 1)[1] if _later_list(ex) else "first"
    return str(getattr(ex, key))


def figures(items: Sequence[Item], s: Scores, sets: Sets, t: Thresholds) -> dict[str, Any]:
    """The out-of-fold figures of a set of thresholds, with the targets they are held to."""
    from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score

    blocked, flagged, acted = t.blocked(s, sets), t.flagged(s, sets), t.any_action(s, sets)

    def shares(mask: np.ndarray) -> dict[str, Any]:
        """How many items a mask holds, and the share of them blocked and flagged or blocked."""
        return {
            "n": int(mask.sum()),
            "blocked": round(_rate(blocked, mask), 4),
            "flagged": round(_rate(flagged, mask), 4),
        }

    openai = np.array([it.source == "openai" for it in items])
    out: dict[str, Any] = {}
    y = np.array([it.example.unsafe for it in items])[openai]
    if y.any():
        out["openai_auprc"] = float(average_precision_score(y, s.harm[openai].max(axis=1)))
    for j, cat in enumerate(HARM_CATEGORIES):
        yc = np.array([str(cat) in it.example.categories for it in items])[openai]
        if yc.any():
            out[f"openai_{cat}_auprc"] = float(average_precision_score(yc, s.harm[openai, j]))
    out["openai_blocked_recall"] = _rate(blocked, sets.openai_positive)
    out["harmbench_blocked_recall"] = _rate(blocked, sets.harmbench)
    out["harmless_blocked"] = _rate(blocked, sets.harmless)
    out["harmless_flagged"] = _rate(flagged, sets.harmless)
    out["comments_legitimate_blocked"] = _rate(blocked, sets.comments_legitimate)
    out["prompts_legitimate_blocked"] = _rate(blocked, sets.prompts_legitimate)
    out["messages_flagged"] = _rate(flagged, sets.messages)
    out["xstest_unsafe_flagged_or_blocked"] = _rate(acted, sets.xstest_unsafe)
    out["xstest_unsafe_blocked"] = _rate(blocked, sets.xstest_unsafe)
    out["xstest_safe_blocked"] = _rate(blocked, sets.xstest_safe)
    out["xstest_safe_flagged_or_blocked"] = _rate(acted, sets.xstest_safe)
    inj = sets.injection_set
    yi, pi = (
        sets.injection_positive[inj],
        ((s.injection >= t.injection) | (s.jailbreak >= 0.5))[inj],
    )
    out["injection_f1"] = float(f1_score(yi, pi))
    out["injection_precision"] = float(precision_score(yi, pi, zero_division=0))
    out["injection_recall"] = float(recall_score(yi, pi))
    out["workplace_legitimate_blocked"] = _rate(blocked, sets.workplace_legitimate)
    out["workplace_legitimate_flagged"] = _rate(flagged, sets.workplace_legitimate)
    out["workplace_legitimate_any_action"] = _rate(acted, sets.workplace_legitimate)
    out["workplace_harmful_blocked"] = _rate(blocked, sets.workplace_harmful)
    out["workplace_harmful_flagged_or_blocked"] = _rate(flagged, sets.workplace_harmful)
    if sets.enterprise_questions.any():
        out["enterprise_questions_blocked"] = _rate(blocked, sets.enterprise_questions)
        out["enterprise_questions_flagged"] = _rate(flagged, sets.enterprise_questions)
        out["company_questions_flagged"] = worst_company_rate(flagged, sets)
        out["enterprise_answers_blocked"] = _rate(blocked, sets.enterprise_answers)
        out["enterprise_answers_flagged"] = _rate(flagged, sets.enterprise_answers)
    attack, quoted = t.dropped(s), t.quoted(s)
    if sets.document_clean.any():
        out["documents_clean_dropped"] = clean_sections_dropped(items, attack, sets)
        out["documents_clean_quoted_or_dropped"] = clean_sections_dropped(items, quoted, sets)
        out["documents_clean_text_dropped"] = _rate(attack, sets.document_clean)
        out["documents_injected_dropped"] = _rate(attack, sets.document_injected)
        out["documents_injected_dropped_or_quoted"] = _rate(quoted, sets.document_injected)
        other = np.array([it.source == "clean-documents" for it in items])
        if other.any():
            out["clean_documents_dropped"] = _rate(attack, other)
            out["clean_documents_quoted_or_dropped"] = _rate(quoted, other)
        copies = np.array([it.source == "injected-documents" for it in items])
        if copies.any():
            out["other_documents_injected_dropped"] = _rate(attack, copies)
            out["other_documents_injected_dropped_or_quoted"] = _rate(quoted, copies)
    out = {k: round(v, 4) for k, v in out.items()}
    if sets.document_injected.any():
        for name, key in (("documents_per_kind", "domain"), ("documents_per_position", "kind")):
            values = sorted(
                {
                    getattr(items[int(i)].example, key)
                    for i in np.flatnonzero(sets.document_injected)
                }
            )
            out[name] = {
                value: {
                    "n": int(m.sum()),
                    "injected_dropped": round(_rate(attack, m), 4),
                    "injected_dropped_or_quoted": round(_rate(quoted, m), 4),
                }
                for value in values
                for m in [
                    sets.document_injected
                    & np.array([getattr(it.example, key) == value for it in items])
                ]
            }
    others = np.array([it.source in ("clean-documents", "injected-documents") for it in items])
    if others.any():
        from moderation.clean_documents import kind_of

        kinds = np.array(
            [kind_of(it.example.domain) if o else "" for it, o in zip(items, others, strict=True)]
        )
        clean = np.array([it.source == "clean-documents" for it in items])
        out["other_documents_per_kind"] = {
            kind: {
                "n": int((clean & (kinds == kind)).sum()),
                "clean_dropped": round(_rate(attack, clean & (kinds == kind)), 4),
                "clean_dropped_or_quoted": round(_rate(quoted, clean & (kinds == kind)), 4),
                "injected_dropped": round(_rate(attack, ~clean & (kinds == kind)), 4),
                "injected_dropped_or_quoted": round(_rate(quoted, ~clean & (kinds == kind)), 4),
            }
            for kind in sorted(set(kinds[others]))
        }
    for name, key in (
        ("workplace_per_language", "lang"),
        ("workplace_per_kind", "kind"),
        ("workplace_per_domain", "domain"),
        # The first set (with its translations) and each later list apart: the block limit
        # reads the first set only, so the lists' blocked share is reported here.
        ("workplace_per_list", "list"),
    ):
        groups: dict[str, Any] = {}
        for value in sorted(
            {_group_value(it.example, key) for it in items if it.source == "workplace"}
        ):
            m = np.array(
                [
                    it.source == "workplace" and _group_value(it.example, key) == value
                    for it in items
                ]
            )
            groups[value] = {
                "legitimate": shares(m & sets.workplace_legitimate),
                "harmful": shares(m & sets.workplace_harmful),
            }
        out[name] = groups
    # The written lists (training half; an injection list trains the injection heads, the
    # others the harm heads): each list's legitimate and harmful items, scored by heads that
    # never saw them.
    written = np.array([it.source in ("prompts", "comments", "injection-list") for it in items])
    unsafe = np.array([it.example.unsafe for it in items])
    out["written_per_list"] = {
        name: {"legitimate": shares(m & ~unsafe), "harmful": shares(m & unsafe)}
        for name in sorted({it.example.source for it, w in zip(items, written, strict=True) if w})
        for m in [written & np.array([it.example.source == name for it in items])]
    }
    if sets.enterprise_questions.any():
        # Each company's questions and answers, scored by heads that never saw that company.
        out["enterprise_per_company"] = {
            company: {
                part: shares(m & mask)
                for part, mask in (
                    ("questions", sets.enterprise_questions),
                    ("answers", sets.enterprise_answers),
                )
            }
            for company in sorted(
                {items[int(i)].group for i in np.flatnonzero(sets.enterprise_questions)}
            )
            for m in [np.array([it.group == company for it in items])]
        }
    out["targets"] = {
        name: {
            "target": f"{op} {bound}",
            "value": out[name],
            "met": bool(out[name] >= bound if op == ">=" else out[name] <= bound),
        }
        for name, (op, bound) in TARGETS.items()
        if name in out
    }
    return out


def policy_file(t: Thresholds) -> dict[str, Any]:
    """The calibrated thresholds in the policy-file format (merged over the built-in rules)."""
    harm = {
        cat: {"threshold": t.block[cat], "flag_threshold": min(t.flag[cat], t.block[cat])}
        for cat in (str(c) for c in HARM_CATEGORIES)
    }
    attack = {str(Category.PROMPT_INJECTION): {"threshold": t.injection}}
    context = {
        str(Category.PROMPT_INJECTION): {
            "threshold": t.context_drop,
            "flag_threshold": t.context_quote,
        }
    }
    return {
        "stages": {
            "input": {"rules": {**harm, **attack}},
            "context": {"rules": context},
            "output": {"rules": harm},
        }
    }


def _sha256(path: Path, *, documents: bool = False) -> str:
    if path.is_dir():
        from moderation.clean_documents import SUFFIXES

        digest = hashlib.sha256()
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if documents
            else datasets.workplace_files(path)
        )
        for file in files:
            name = file.relative_to(path).as_posix() if documents else file.name
            digest.update(name.encode() + b"\0" + file.read_bytes())
        return digest.hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(
    data: TrainingData,
    out_dir: Path,
    *,
    limit: int | None = None,
    folds: int = FOLDS,
    echo: Callable[[str], None] = print,
) -> dict[str, object]:
    """Cross-validate, calibrate, train the final heads; write weights, policy and report."""
    random.seed(SEED)
    np.random.seed(SEED)
    if embedding.runtime() != "onnx-int8":
        raise RuntimeError(
            "training needs the ONNX encoder that checks use (moderation/encoder.py); "
            f"this process computes features with {embedding.runtime()}: see the warning above"
        )
    items, counts = collect(data, limit=limit)
    echo(f"{len(items)} training items: {counts}")
    feats = Features([it.example.text for it in items])
    blends = harm_blends(items, feats, folds)
    echo(f"harm heads' blend (weight of the embedding head) by label: {blends}")
    unmixed = out_of_fold(items, feats, folds, blends)
    shares = openai_shares(items, unmixed)
    echo(f"OpenAI-set heads' share by harm category: {shares}")
    scores = unmixed.mixed(shares)
    sets = Sets.of(items)
    thresholds = calibrate(scores, sets, items, guard_harm(items, feats, folds, blends, shares))
    oof = figures(items, scores, sets, thresholds)
    echo(
        f"thresholds: block {thresholds.block}, flag {thresholds.flag}, prompt_injection "
        f"{thresholds.injection}, context drop {thresholds.context_drop} / quote {thresholds.context_quote}"
    )
    for name, row in oof["targets"].items():
        echo(
            f"  out-of-fold {name:<40} {row['value']:.4f}  target {row['target']:<8} {'met' if row['met'] else 'NOT met'}"
        )
    everything = np.arange(len(items))
    harm = _fit_harm(items, everything, feats, blends)
    injection = _fit_injection(items, everything, feats)
    out_dir.mkdir(parents=True, exist_ok=True)
    harm.save(out_dir / HARM_WEIGHTS)
    _fit_openai(items, everything, feats, shares).save(out_dir / OPENAI_HARM_WEIGHTS)
    injection.save(out_dir / INJECTION_WEIGHTS)
    if data.documents is not None:
        _fit_injection(items, everything, feats, context=True).save(
            out_dir / CONTEXT_INJECTION_WEIGHTS
        )
    (out_dir / POLICY_FILE).write_text(json.dumps(policy_file(thresholds), indent=2) + "\n")
    sources = {
        name: {"file": p.name, "sha256": _sha256(p, documents=name == "clean_documents")}
        for name, p in vars(data).items()
        if p is not None
    }
    for name, file in SEED_FILES.items():
        ref = resources.files("moderation.seeds").joinpath(file)
        with resources.as_file(ref) as path:
            sources[name] = {"file": f"moderation/seeds/{file}", "sha256": _sha256(path)}
    report: dict[str, object] = {
        "seed": SEED,
        "split": (
            f"held out when sha256({datasets.SPLIT_SALT!r} + text)[0] is odd; a workplace item "
            "by its English id instead of its text, so translations follow their original"
        ),
        "folds": (
            f"{folds} folds, fold = int(sha256({FOLD_SALT!r} + group)[:4]) % {folds}; document "
            f"sections by company instead, the i-th company (by name) in fold i * {folds} // "
            "companies, so the context head is scored on a company it was not trained on; "
            f"the block limits also read harm scores out of fold under a second split, salt "
            f"{GUARD_SALT!r}"
        ),
        "limit_per_source": limit,
        "examples": counts,
        "hyperparameters": {
            "C_embedding": C_EMBEDDING,
            "C_chars": C_CHARS,
            "blend": BLEND,
            "harm_blends": blends,
            "blend_rule": (
                "each harm label's blend (weight of its embedding head; the rest goes to its "
                f"character head) is the value of {BLEND_GRID.tolist()} with the highest "
                "out-of-fold average precision for that label over every item with harm "
                "labels, at the items' training weights; the injection heads use blend"
            ),
            "harmbench_weight": HARMBENCH_WEIGHT,
            "openai_weight": OPENAI_WEIGHT,
            "openai_head_C": OPENAI_HEAD_C,
            "openai_shares": shares,
            "openai_share_rule": (
                "the OpenAI-set heads (embedding only, trained on the OpenAI set's training half "
                "alone) are mixed into each harm category's score at the value of "
                f"{BLEND_GRID.tolist()} with the highest out-of-fold average precision for that "
                "category over every item with harm labels, at the items' training weights; a "
                "category no OpenAI item carries gets none"
            ),
            "document_weight": DOCUMENT_WEIGHT,
        },
        "choice_rule": CHOICE_RULE,
        "limits": LIMITS,
        "thresholds": {
            "block": thresholds.block,
            "flag": thresholds.flag,
            "prompt_injection": thresholds.injection,
            "context_prompt_injection": {
                "drop": thresholds.context_drop,
                "quote": thresholds.context_quote,
            },
        },
        "out_of_fold": oof,
        "injection_curve": injection_curve(items, scores, sets),
        "sources": sources,
    }
    (out_dir / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n")
    return report
