"""Command line: `python -m inference build-demo | serve | bench`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from inference.upcycle import DEFAULT_OUT


def _build_demo(args: argparse.Namespace) -> int:
    from inference.upcycle import build_demo

    result = build_demo(args.out, force=args.force)
    if result.built:
        print(f"built the demo MoE checkpoint in {result.path} ({result.seconds:.0f} s)")
    else:
        print(f"demo MoE checkpoint already built in {result.path}; nothing to do")
    return 0


KERNEL_THREADS_HELP = (
    "threads of the decode kernel (default: all cores; helpers yield to busy cores)"
)


def _serve(args: argparse.Namespace) -> int:
    api_key = os.environ.get("INFERENCE_API_KEY", "").strip() or None
    if api_key is None and os.environ.get("ASSISTANT_ENV") == "production":
        # Checked before the model loads: without a key the server answers anyone who reaches it.
        print(
            "configuration error: INFERENCE_API_KEY must be set when ASSISTANT_ENV=production",
            file=sys.stderr,
        )
        return 2

    import uvicorn

    from inference.engine import Engine
    from inference.server import create_app

    engine = Engine(
        args.model,
        dtype=args.dtype,
        max_batch=args.max_batch,
        max_context=args.max_context,
        threads=args.threads,
        kernel_threads=args.kernel_threads,
        prefill_dtype=args.prefill_dtype,
        decode_dtype=args.decode_dtype,
    )
    name = args.served_model_name or Path(args.model).resolve().name
    app = create_app(engine, model_name=name, api_key=api_key)
    print(
        f"serving {name} on http://{args.host}:{args.port}/v1"
        f" (prefill {engine.prefill_dtype}, decode weights {engine.decode_dtype})",
        flush=True,
    )
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    finally:
        engine.close()
    return 0


def _bench(args: argparse.Namespace) -> int:
    from inference.bench import report, run_bench, write_json

    model = Path(args.model)
    if model == DEFAULT_OUT:
        from inference.upcycle import build_demo

        build_demo(model)
    result = run_bench(
        model,
        tokens=args.tokens,
        repeats=args.repeats,
        threads=args.threads,
        kernel_threads=args.kernel_threads,
    )
    print(report(result))
    if args.json:
        write_json(result, Path(args.json))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run a subcommand."""
    parser = argparse.ArgumentParser(prog="python -m inference", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build-demo", help="build the upcycled SmolLM2 MoE checkpoint (once)")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT)
    build.add_argument("--force", action="store_true", help="rebuild even if already built")
    build.set_defaults(func=_build_demo)

    serve = sub.add_parser("serve", help="serve a checkpoint with the OpenAI HTTP protocol")
    serve.add_argument("--model", default=str(DEFAULT_OUT))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--served-model-name", default=None)
    serve.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    serve.add_argument("--max-batch", type=int, default=8)
    serve.add_argument("--max-context", type=int, default=None)
    serve.add_argument("--threads", type=int, default=None)
    serve.add_argument("--kernel-threads", type=int, default=None, help=KERNEL_THREADS_HELP)
    serve.add_argument(
        "--prefill-dtype",
        default="auto",
        choices=["auto", "float32", "bfloat16", "int8"],
        help="weights of prompt prefill products (auto: bfloat16 where the CPU has native bf16, "
        "else float32; int8: int8 weights and activations, faster where the CPU has VNNI, with "
        "the looser tolerance in docs/BENCHMARKS.md)",
    )
    serve.add_argument(
        "--decode-dtype",
        default="auto",
        choices=["auto", "float32", "bfloat16"],
        help="weights decode reads (auto: bfloat16 where the decode kernel builds; activations "
        "stay fp32; bfloat16 makes prefill bfloat16 too)",
    )
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=_serve)

    bench = sub.add_parser("bench", help="measure bandwidth, decode speed and time to first token")
    bench.add_argument("--model", default=str(DEFAULT_OUT))
    bench.add_argument("--json", default=None, help="also write the figures to this JSON file")
    bench.add_argument("--tokens", type=int, default=128)
    bench.add_argument("--repeats", type=int, default=5)
    bench.add_argument("--threads", type=int, default=None)
    bench.add_argument("--kernel-threads", type=int, default=None, help=KERNEL_THREADS_HELP)
    bench.set_defaults(func=_bench)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
