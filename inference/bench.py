"""`python -m inference bench`: memory bandwidth, the decode bound it implies, and what we reach."""

from __future__ import annotations

import json
import os
import platform
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from inference.engine import Delta, Engine, Event, Finished
from inference.experts import experts_run
from inference.gemv import PRODUCT_KINDS, timed_products
from inference.gemv import available as gemv_available
from inference.loading import in_passing_thread, weight_bytes_per_token
from inference.sampling import SamplingParams

PROMPT_TEXT = (
    "The quarterly report covers revenue, hiring, office moves and the new travel policy. "
)
# One opening per concurrent stream. Identical greedy streams would route every row of a batch to
# the same two experts per layer and read a quarter of the weights a real batch reads.
STREAM_TEXTS = (
    PROMPT_TEXT,
    "Write a short note to the facilities team about the broken heating on the third floor. ",
    "Explain how expense claims for client dinners are approved and when they are paid. ",
    "Summarise the security training: phishing, passwords, lost laptops and visitors. ",
    "List the steps to onboard a new engineer, from the laptop order to the first review. ",
    "Describe the parental leave policy, how to request it and who covers the work. ",
    "Draft a reply to a customer whose invoice shows the wrong VAT number and address. ",
    "Compare the two office locations on rent, commute times, meeting rooms and parking. ",
)


BANDWIDTH_METHOD = (
    "dst.copy_(src) of a 1 GiB fp32 tensor (far larger than the last-level cache), all cores; "
    "counted as 1 GiB read + 1 GiB written per copy; best of 5 copies after an untimed one, "
    "over 3 fresh allocations"
)


def memory_bandwidth_gb_s(size_mib: int = 1024, repeats: int = 5, allocations: int = 3) -> float:
    """Copy bandwidth of a large tensor (bytes read + bytes written per second), best of runs."""
    # The same copy runs at ~45 or ~75 GB/s on this VM depending on the allocation (likely
    # whether it got transparent huge pages); the bound uses the best the machine does.
    best = float("inf")
    for _ in range(allocations):
        src = torch.ones(size_mib * 1024 * 1024 // 4, dtype=torch.float32)
        dst = torch.empty_like(src)
        dst.copy_(src)  # the first copy also faults in dst's pages; it is not timed
        for _ in range(repeats):
            start = time.perf_counter()
            dst.copy_(src)
            best = min(best, time.perf_counter() - start)
        del src, dst
    return 2 * size_mib * 1024 * 1024 / best / 1e9


def read_bandwidth_gb_s(size_mib: int = 1024, repeats: int = 5) -> float:
    """Read-only bandwidth (a sum over a large tensor), best of runs; decode only reads weights."""
    src = torch.ones(size_mib * 1024 * 1024 // 4, dtype=torch.float32)
    src.sum()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        src.sum()
        best = min(best, time.perf_counter() - start)
    return src.numel() * src.element_size() / best / 1e9


def _timed(engine: Engine, prompt: list[int], params: SamplingParams) -> dict[str, float]:
    """Run one generation; return when its first token and its end arrived, and its tokens."""
    marks: dict[str, float] = {"submitted": time.perf_counter()}
    done = threading.Event()

    def on_event(event: Event) -> None:
        now = time.perf_counter()
        if isinstance(event, Delta):
            marks.setdefault("first", now)
        elif isinstance(event, Finished):
            marks.setdefault("first", now)
            marks["end"] = now
            marks["tokens"] = event.completion_tokens
            done.set()
        else:
            done.set()

    engine.submit(prompt, params, on_event=on_event)
    done.wait()
    return marks


def _prompt(engine: Engine, tokens: int, stream: int = 0) -> list[int]:
    text = STREAM_TEXTS[stream % len(STREAM_TEXTS)]
    ids = engine.tokenizer.encode(text * (tokens // 10 + 1), add_special_tokens=False)
    return list(ids[:tokens])


def decode_tok_s(engine: Engine, tokens: int) -> float:
    """Batch-1 decode rate after the first token."""
    marks = _timed(engine, _prompt(engine, 32), SamplingParams(max_tokens=tokens, ignore_eos=True))
    return (marks["tokens"] - 1) / (marks["end"] - marks["first"])


def concurrent_tok_s(engine: Engine, streams: int, tokens: int) -> float:
    """Aggregate generated tokens per second over `streams` requests running at once."""
    params = SamplingParams(max_tokens=tokens, ignore_eos=True)
    results: list[dict[str, float]] = []
    start = time.perf_counter()
    threads = [
        threading.Thread(
            target=lambda prompt: results.append(_timed(engine, prompt, params)),
            args=(_prompt(engine, 32, stream),),
        )
        for stream in range(streams)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(r["tokens"] for r in results) / (time.perf_counter() - start)


@dataclass(frozen=True)
class Steady:
    """A full batch decoding: its aggregate rate and where its decode steps went."""

    tok_s: float
    experts_per_layer: float  # experts a layer ran per decode step
    step_ms: float
    kernel_ms: dict[str, float]  # per step, by kind of product (gemv.PRODUCT_KINDS)

    @property
    def other_ms(self) -> float:
        """Per step, everything but the kernel: transformers' modules, routing, small ops."""
        return self.step_ms - sum(self.kernel_ms.values())


def steady_tok_s(engine: Engine, streams: int, seconds: float = 3.0) -> Steady:
    """Aggregate decode rate while `streams` requests all decode together (prefill excluded),
    the experts a layer ran per step, and the time a step spent in each kind of kernel product.

    The counterpart of `decode_tok_s` for a full batch: `concurrent_tok_s` also counts the time
    the prompts take to join, which batch 1's rate does not.
    """
    params = SamplingParams(max_tokens=4000, ignore_eos=True)
    handles = [
        engine.submit(_prompt(engine, 32, stream), params, on_event=lambda event: None)
        for stream in range(streams)
    ]
    try:
        deadline = time.perf_counter() + 120
        while engine.stats.active < streams and time.perf_counter() < deadline:
            time.sleep(0.005)
        with timed_products() as kernel_seconds:
            before, start = engine.stats.tokens_generated, time.perf_counter()
            steps_before = engine.stats.decode_steps
            experts_before = experts_run(engine.model)
            time.sleep(seconds)
            elapsed = time.perf_counter() - start
            rate = (engine.stats.tokens_generated - before) / elapsed
            steps = max(1, engine.stats.decode_steps - steps_before)
            kernel_ms = {kind: kernel_seconds[kind] * 1000 / steps for kind in PRODUCT_KINDS}
        runs, calls = (
            a - b for a, b in zip(experts_run(engine.model), experts_before, strict=True)
        )
        return Steady(
            tok_s=rate,
            experts_per_layer=runs / calls if calls else 0.0,
            step_ms=elapsed * 1000 / steps,
            kernel_ms=kernel_ms,
        )
    finally:
        for handle in handles:
            handle.cancel()
        while engine.stats.active and time.perf_counter() < deadline + 10:
            time.sleep(0.005)


def ttft_ms(engine: Engine, prompt_tokens: int, repeats: int) -> list[float]:
    """Time to first token for a prompt of `prompt_tokens`, one per repeat."""
    prompt = _prompt(engine, prompt_tokens)
    times = []
    for _ in range(repeats):
        marks = _timed(engine, prompt, SamplingParams(max_tokens=1))
        times.append((marks["first"] - marks["submitted"]) * 1000)
    return times


def _decode_rates(engine: Engine, tokens: int) -> dict[str, Any]:
    """Batch-1, 4- and 8-stream rates (medians of 3 runs), the experts a batch-8 step ran, and
    the median steady run at batch 1 and at 8 streams (for their step breakdowns)."""
    decode_tok_s(engine, 16)  # warm-up: first calls allocate caches and pick kernels
    concurrent_tok_s(engine, 8, 8)
    steady8 = [steady_tok_s(engine, 8) for _ in range(3)]
    steady1 = [steady_tok_s(engine, 1) for _ in range(3)]

    def median_run(runs: list[Steady]) -> Steady:
        return sorted(runs, key=lambda run: run.tok_s)[len(runs) // 2]

    return {
        "batch1": statistics.median(decode_tok_s(engine, tokens) for _ in range(3)),
        "streams4": statistics.median(concurrent_tok_s(engine, 4, tokens // 2) for _ in range(3)),
        "streams8": statistics.median(concurrent_tok_s(engine, 8, tokens // 2) for _ in range(3)),
        "steady8": statistics.median(run.tok_s for run in steady8),
        "experts8": statistics.mean(run.experts_per_layer for run in steady8),
        "steps": {"batch1": median_run(steady1), "streams8": median_run(steady8)},
    }


def _step_fields(steps: dict[str, Steady]) -> dict[str, float]:
    """Flat JSON fields of the step breakdowns: batch1_step_ms, batch1_step_experts_ms, ..."""
    fields: dict[str, float] = {}
    for name, run in steps.items():
        fields[f"{name}_step_ms"] = round(run.step_ms, 2)
        for kind, ms in run.kernel_ms.items():
            fields[f"{name}_step_{kind}_ms"] = round(ms, 2)
        fields[f"{name}_step_other_ms"] = round(run.other_ms, 2)
    return fields


def run_bench(
    model: Path,
    *,
    tokens: int = 128,
    repeats: int = 5,
    threads: int | None = None,
    kernel_threads: int | None = None,
) -> dict[str, Any]:
    """Measure everything the benchmark reports, in one process; rates are medians of 3 runs.

    The engine runs as `serve` runs it (decode and prefill dtypes `auto`). The same figures are
    then measured with the other decode weights (fp32 where `auto` chose bf16), whose engine
    also gives the TTFT of the other prefill dtype.
    """

    def make(decode: str, prefill: str) -> Engine:
        return Engine(
            model,
            max_batch=8,
            threads=threads,
            kernel_threads=kernel_threads,
            prefill_dtype=prefill,
            decode_dtype=decode,
        )

    engine = make("auto", "auto")
    try:
        # All cores copy, from a thread that ends with the copy and so leaves the engine's
        # thread the only OpenMP pool (see `in_passing_thread`).
        bandwidth = in_passing_thread(memory_bandwidth_gb_s)
        read_bandwidth = in_passing_thread(read_bandwidth_gb_s)
        per_token = weight_bytes_per_token(engine.model)
        rates = _decode_rates(engine, tokens)
        ttft = ttft_ms(engine, 1000, repeats)
    finally:
        engine.close()
    served = {"decode": engine.decode_dtype, "prefill": engine.prefill_dtype}
    if served["decode"] == "bfloat16":
        other = {"decode": "float32", "prefill": "float32"}
    else:
        other = {"decode": "bfloat16", "prefill": "bfloat16"}
    other_engine = make(other["decode"], other["prefill"])
    try:
        other_per_token = weight_bytes_per_token(other_engine.model)
        other_rates = _decode_rates(other_engine, tokens)
        ttft_other = ttft_ms(other_engine, 1000, repeats)
        other["decode"] = other_engine.decode_dtype
        other["prefill"] = other_engine.prefill_dtype
    finally:
        other_engine.close()
    ttft_by_dtype = {served["prefill"]: ttft, other["prefill"]: ttft_other}
    if "int8" not in ttft_by_dtype:
        # The opt-in int8 prefill, for its TTFT only.
        int8_engine = make("auto", "int8")
        try:
            ttft_by_dtype["int8"] = ttft_ms(int8_engine, 1000, repeats)
        finally:
            int8_engine.close()
    load = os.getloadavg()
    bound = bandwidth * 1e9 / per_token
    other_bound = bandwidth * 1e9 / other_per_token
    suffix = "_fp32_weights" if other["decode"] == "float32" else "_bf16_weights"
    result = {
        "model": str(model),
        "dtype": str(engine.dtype).removeprefix("torch."),
        "decode_dtype": served["decode"],
        "threads": engine.threads,
        "decode_threads": engine.decode_threads,
        "kernel_threads": engine.kernel_threads,
        "decode_kernel": "gemv" if gemv_available() else "torch",
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "load_average_1m": round(load[0], 2),
        "bandwidth_gb_s": round(bandwidth, 2),
        "bandwidth_method": BANDWIDTH_METHOD,
        "read_bandwidth_gb_s": round(read_bandwidth, 2),
        "bytes_per_token": per_token,
        "bound_tok_s": round(bound, 2),
        "batch1_tok_s": round(rates["batch1"], 2),
        "fraction_of_bound": round(rates["batch1"] / bound, 3),
        "streams4_tok_s": round(rates["streams4"], 2),
        "streams8_tok_s": round(rates["streams8"], 2),
        "streams8_vs_batch1": round(rates["streams8"] / rates["batch1"], 2),
        "streams8_steady_tok_s": round(rates["steady8"], 2),
        "streams8_steady_vs_batch1": round(rates["steady8"] / rates["batch1"], 2),
        "streams8_experts_per_layer": round(rates["experts8"], 2),
        **_step_fields(rates["steps"]),
        "prefill_dtype": served["prefill"],
        "ttft_1k_ms_p50": round(statistics.median(ttft), 1),
        "ttft_1k_ms_all": [round(t, 1) for t in ttft],
        "other_decode_dtype": other["decode"],
        f"bytes_per_token{suffix}": other_per_token,
        f"bound_tok_s{suffix}": round(other_bound, 2),
        f"batch1_tok_s{suffix}": round(other_rates["batch1"], 2),
        f"fraction_of_bound{suffix}": round(other_rates["batch1"] / other_bound, 3),
        f"streams8_tok_s{suffix}": round(other_rates["streams8"], 2),
        f"streams8_vs_batch1{suffix}": round(other_rates["streams8"] / other_rates["batch1"], 2),
        f"streams8_steady_tok_s{suffix}": round(other_rates["steady8"], 2),
        f"streams8_steady_vs_batch1{suffix}": round(
            other_rates["steady8"] / other_rates["batch1"], 2
        ),
    }
    for dtype, short in (("float32", "fp32"), ("bfloat16", "bf16"), ("int8", "int8")):
        if dtype in ttft_by_dtype:
            result[f"ttft_1k_ms_p50_{short}_prefill"] = round(
                statistics.median(ttft_by_dtype[dtype]), 1
            )
    return result


def report(result: dict[str, Any]) -> str:
    """Human-readable lines for the terminal."""
    return "\n".join(
        [
            f"model              {result['model']} ({result['dtype']}, decode weights"
            f" {result['decode_dtype']}, {result['threads']} threads,"
            f" {result['decode_threads']} for decode's small ops, {result['decode_kernel']} decode kernel"
            f" on up to {result['kernel_threads']})",
            f"memory bandwidth   {result['bandwidth_gb_s']:.1f} GB/s copy, read+written "
            f"({result['read_bandwidth_gb_s']:.1f} GB/s read-only sum)",
            f"  measured as      {result['bandwidth_method']}",
            f"weights per token  {result['bytes_per_token'] / 1e6:.1f} MB",
            f"decode bound       {result['bound_tok_s']:.1f} tok/s",
            f"batch 1 decode     {result['batch1_tok_s']:.1f} tok/s "
            f"({result['fraction_of_bound']:.0%} of the bound)",
            f"4 streams          {result['streams4_tok_s']:.1f} tok/s aggregate",
            f"8 streams          {result['streams8_tok_s']:.1f} tok/s aggregate "
            f"({result['streams8_vs_batch1']:.1f}x batch 1)",
            f"8 streams, steady  {result['streams8_steady_tok_s']:.1f} tok/s while all 8 decode "
            f"({result['streams8_steady_vs_batch1']:.1f}x batch 1; prompts' joining excluded;"
            f" {result['streams8_experts_per_layer']:.1f} experts run per layer and step)",
            *(
                f"{label}{result[f'{name}_step_ms']:.1f} ms: kernel "
                + " + ".join(
                    f"{result[f'{name}_step_{kind}_ms']:.1f} {kind}" for kind in PRODUCT_KINDS
                )
                + f", {result[f'{name}_step_other_ms']:.1f} ms the rest"
                for name, label in (
                    ("batch1", "step, batch 1      "),
                    ("streams8", "step, 8 streams    "),
                )
            ),
            f"TTFT, 1000 tokens  {result['ttft_1k_ms_p50']:.0f} ms p50 with {result['prefill_dtype']}"
            f" prefill ("
            + ", ".join(
                f"{result[key]:.0f} ms {key.split('_')[-2]}"
                for key in (
                    "ttft_1k_ms_p50_fp32_prefill",
                    "ttft_1k_ms_p50_bf16_prefill",
                    "ttft_1k_ms_p50_int8_prefill",
                )
                if key in result
            )
            + ")",
            *_other_lines(result),
            f"load average       {result['load_average_1m']:.2f} (1 min, at the end of the run)",
        ]
    )


def _other_lines(result: dict[str, Any]) -> list[str]:
    suffix = "_fp32_weights" if result["other_decode_dtype"] == "float32" else "_bf16_weights"
    name = result["other_decode_dtype"]
    return [
        f"with {name} decode weights ({result[f'bytes_per_token{suffix}'] / 1e6:.1f} MB a token,"
        f" bound {result[f'bound_tok_s{suffix}']:.1f} tok/s):",
        f"  batch 1          {result[f'batch1_tok_s{suffix}']:.1f} tok/s "
        f"({result[f'fraction_of_bound{suffix}']:.0%} of its bound)",
        f"  8 streams        {result[f'streams8_tok_s{suffix}']:.1f} tok/s aggregate "
        f"({result[f'streams8_vs_batch1{suffix}']:.1f}x), steady "
        f"{result[f'streams8_steady_tok_s{suffix}']:.1f} tok/s "
        f"({result[f'streams8_steady_vs_batch1{suffix}']:.1f}x)",
    ]


def write_json(result: dict[str, Any], out: Path) -> None:
    """Write the flat result object."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
