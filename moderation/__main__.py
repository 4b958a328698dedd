"""Command line: ``python -m moderation train|evaluate|check``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights"


def _train(args: argparse.Namespace) -> int:
    from moderation.training import TrainingData, train

    data = TrainingData(
        openai=args.openai,
        injections=args.injections,
        harmbench=args.harmbench,
        xstest=args.xstest,
        workplace=args.workplace,
        documents=args.documents,
        clean_documents=args.clean_documents,
        written=args.written,
    )
    report = train(data, args.out, limit=args.limit, folds=args.folds)
    print(f"report written to {args.out / 'training-report.json'}")
    if args.print_report:
        print(json.dumps(report, indent=2))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from moderation.evaluation import evaluate, format_report

    try:
        result = evaluate(args.dataset, args.format, split=args.split, limit=args.limit)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _check(args: argparse.Namespace) -> int:
    from moderation import check

    verdict = check(args.text, stage=args.stage)
    print(json.dumps(verdict.to_dict(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m moderation``."""
    parser = argparse.ArgumentParser(prog="python -m moderation")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="retrain the classifier heads from data given by path")
    train.add_argument("--openai", type=Path, required=True, help="OpenAI moderation .jsonl")
    train.add_argument("--injections", type=Path, required=True, help="prompt-injection .jsonl")
    train.add_argument("--harmbench", type=Path, required=True, help="HarmBench behaviours .csv")
    train.add_argument("--xstest", type=Path, help="XSTest .jsonl (its training half is used)")
    train.add_argument(
        "--workplace", type=Path, help="workplace set: a .jsonl file or its folder (training half)"
    )
    train.add_argument(
        "--written",
        type=Path,
        help="written lists in the workplace format, outside its register (a .jsonl file or "
        "their folder; training half): prompts and comments train the harm heads only, an "
        "injection list (source written:injections-<x>) the injection heads only",
    )
    train.add_argument(
        "--documents",
        type=Path,
        help="enterprise corpus folder (<company>/md/*.md): sections, clean and with an inserted "
        "instruction, for the injection head (the held-out company is never read)",
    )
    train.add_argument(
        "--clean-documents",
        type=Path,
        help="a folder of documents of other kinds (.eml, .xlsx, .pptx, .pdf, .docx, .html, .md, "
        ".txt; sub-folders too): their passages, clean and with an inserted instruction, teach "
        "the context head (the held-out document is never read)",
    )
    train.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    train.add_argument(
        "--limit", type=int, help="only the first N items of each source (development runs)"
    )
    train.add_argument("--print-report", action="store_true", help="print the whole report")
    train.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS, help="weights folder")
    train.set_defaults(func=_train)

    ev = sub.add_parser("evaluate", help="figures on a data set (held-out half by default)")
    ev.add_argument("--dataset", type=Path, required=True, help="a file (workplace: or folder)")
    ev.add_argument(
        "--format",
        choices=[
            "openai",
            "xstest",
            "injection",
            "workplace",
            "documents",
            "questions",
            "passages",
        ],
        required=True,
        help="documents: an enterprise corpus folder (<company>/md/*.md); held-out: its held-out "
        "company only. questions: an enterprise queries.jsonl (or its folder), --split all. "
        "passages: a folder of documents (.eml, .xlsx, .pptx, .pdf, .docx, .html, .md, .txt), "
        "each passage clean and with an inserted instruction; held-out: the held-out one",
    )
    ev.add_argument("--split", choices=["held-out", "all"], default="held-out")
    ev.add_argument("--limit", type=int, help="only the first N examples (smoke runs)")
    ev.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ev.set_defaults(func=_evaluate)

    chk = sub.add_parser("check", help="moderate one text and print the verdict")
    chk.add_argument("text")
    chk.add_argument("--stage", choices=["input", "context", "output"], default="input")
    chk.set_defaults(func=_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
