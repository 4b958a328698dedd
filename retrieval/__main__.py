"""Command line: ``python -m retrieval train-reranker --out DIR``.

Needs the database (the embedded one by default, under ASSISTANT_VAR_DIR): the corpus is ingested
through the product's services and the hard negatives come from its own first stage.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

SHARED_ENTERPRISE = Path("../shared/eval/enterprise")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m retrieval``."""
    from retrieval.reranker_training import Settings

    defaults = Settings()
    parser = argparse.ArgumentParser(prog="python -m retrieval")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser(
        "train-reranker",
        help="train the second-stage reranker, report leave-one-company-out figures, write it",
    )
    train.add_argument("--out", type=Path, required=True, help="folder for the weights and card")
    train.add_argument("--corpus", type=Path, default=SHARED_ENTERPRISE, help="company folders")
    train.add_argument("--queries", type=Path, help="questions (default: CORPUS/queries.jsonl)")
    train.add_argument("--layers", type=int, default=defaults.layers)
    train.add_argument("--max-tokens", type=int, default=defaults.max_tokens)
    train.add_argument("--epochs", type=float, default=defaults.epochs)
    train.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--threads", type=int, default=defaults.threads)
    train.add_argument(
        "--skip-loco", action="store_true", help="train the final model only (no figures)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistant.settings")
    import django

    django.setup()
    from retrieval.reranker_training import Settings
    from retrieval.reranker_training import main as train_main

    args = build_parser().parse_args(argv)
    queries = args.queries or args.corpus / "queries.jsonl"
    if not args.corpus.is_dir() or not queries.is_file():
        print(f"no company folders at {args.corpus} or no questions at {queries}", file=sys.stderr)
        return 2
    settings = Settings(
        layers=args.layers,
        max_tokens=args.max_tokens,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        seed=args.seed,
        threads=args.threads,
    )
    command = "python -m retrieval " + shlex.join(sys.argv[1:] if argv is None else argv)
    train_main(
        out=args.out,
        corpus=args.corpus,
        queries=queries,
        settings=settings,
        command=command,
        skip_loco=args.skip_loco,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
