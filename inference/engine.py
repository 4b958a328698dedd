"""The generation engine: one scheduler thread that continuously batches every running request."""

from __future__ import annotations

import inspect
import itertools
import logging
import os
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from inference import gemv
from inference.attention import use_decode_attention
from inference.decode import LeanDecoder
from inference.experts import use_sparse_topk, use_weights_dtype
from inference.kvcache import SlotKVCache, decode_mask, packed_prefill_mask, prefill_mask
from inference.loading import (
    context_length,
    eos_token_ids,
    in_passing_thread,
    load_model,
    resolve_decode_dtype,
    resolve_dtype,
    resolve_prefill_dtype,
    tune_allocator,
    use_fused_rms_norm,
)
from inference.sampling import SamplingParams, TextStream, apply_penalties, sample_token

log = logging.getLogger(__name__)

PREFILL_CHUNK = 512
# With nothing decoding, a prompt goes in chunks this long: its first chunk's attention then
# runs SDPA's causal kernel over the whole prompt (memory stays bounded for long contexts).
IDLE_PREFILL_CHUNK = 2048


class ContextLengthError(ValueError):
    """The prompt does not fit in the model's context window."""


@dataclass(frozen=True)
class Delta:
    """A piece of generated text."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The end of a generation, with its token counts."""

    reason: str  # "stop", "length" or "cancelled"
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Failed:
    """Generation broke; the message says why."""

    message: str


Event = Delta | Finished | Failed


@dataclass(frozen=True)
class GenerationResult:
    """A whole reply, as a non-streaming caller sees it."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


@dataclass
class EngineStats:
    """Counters that show what the scheduler did (tests read them instead of timing)."""

    decode_steps: int = 0
    tokens_generated: int = 0
    max_batch_seen: int = 0
    requests_finished: int = 0
    requests_cancelled: int = 0
    joined_running_batch: int = 0
    prompts_prefilled_together: int = 0  # prompts whose prefill shared one forward with others
    active: int = 0
    waiting: int = 0


class GenerationHandle:
    """A submitted request: iterate it for events, or cancel it."""

    def __init__(
        self,
        request_id: int,
        prompt_ids: list[int],
        params: SamplingParams,
        on_event: Callable[[Event], None] | None,
    ) -> None:
        self.id = request_id
        self.prompt_ids = prompt_ids
        self.params = params
        self._events: queue.Queue[Event] = queue.Queue()
        self._on_event = on_event or self._events.put
        self._cancelled = threading.Event()
        self.done = threading.Event()

    def cancel(self) -> None:
        """Ask the engine to stop this generation at the next step."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._cancelled.is_set()

    def emit(self, event: Event) -> None:
        """Deliver an event to whoever consumes this request (called by the scheduler)."""
        if isinstance(event, Finished | Failed):
            self.done.set()
        self._on_event(event)

    def events(self) -> Iterator[Event]:
        """Yield events until the generation ends (only for handles without on_event)."""
        while True:
            event = self._events.get()
            yield event
            if isinstance(event, Finished | Failed):
                return


@dataclass
class _Sequence:
    handle: GenerationHandle
    stream: TextStream
    generator: torch.Generator | None
    position: int = 0  # tokens already in the KV cache
    last_token: int = 0
    generated: int = 0
    finish: str | None = field(default=None)
    # How often each token id was generated, for requests with frequency or presence penalties.
    counts: torch.Tensor | None = None


@dataclass
class _Prefill:
    handle: GenerationHandle
    slot: int
    done: int = 0  # prompt tokens already in the KV cache


class Engine:
    """Loads a local MoE checkpoint and serves generations from one background scheduler."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        dtype: str = "auto",
        max_batch: int = 8,
        max_context: int | None = None,
        threads: int | None = None,
        decode_threads: int = 1,
        kernel_threads: int | None = None,
        prefill_dtype: str | None = None,
        decode_dtype: str = "float32",
        sparse_experts: bool = True,
        fast_decode: bool = True,
    ) -> None:
        # Prefill is compute-bound and uses every core. A decode step is ~250 small products
        # and ~2,000 tiny ops; with two threads each op opens an OpenMP parallel region, which
        # costs more than the work (and milliseconds when another process holds a core), while
        # one core alone nearly saturates memory bandwidth with the decode kernel.
        self.threads = threads or len(os.sched_getaffinity(0))
        self.decode_threads = max(1, min(decode_threads, self.threads))
        tune_allocator()
        self.model_path = Path(model_path)
        self.dtype = resolve_dtype(dtype)
        # Loading runs parallel torch ops; in the caller's thread they would leave it an OpenMP
        # pool that slows every prefill on the scheduler thread (see `in_passing_thread`).
        decode_attention = in_passing_thread(
            lambda: self._load(
                kernel_threads=kernel_threads,
                prefill_dtype=prefill_dtype,
                decode_dtype=decode_dtype,
                sparse_experts=sparse_experts,
                fast_decode=fast_decode,
            )
        )
        self.max_batch = max_batch
        self.context_length = min(max_context or 8192, context_length(self.model.config))
        self.eos_ids = eos_token_ids(self.model, self.tokenizer)
        self.stats = EngineStats()
        # With bf16 decode weights the cache is bf16 too (the same tolerance, half the bytes a
        # long conversation's decode step reads); with fp32 weights it keeps fp32. Only our
        # attention function knows to widen bf16 keys and values for the fp32 queries.
        bf16_cache = self.decode_dtype == "bfloat16" and decode_attention
        self.kv_dtype = "bfloat16" if bf16_cache else "float32"
        self._cache = SlotKVCache(
            slots=max_batch,
            max_length=self.context_length,
            dtype=torch.bfloat16 if self.kv_dtype == "bfloat16" else None,
        )
        # transformers 5 renamed the forward's `past_key_values` to `cache`.
        params = inspect.signature(self.model.forward).parameters
        self._cache_kwarg = "cache" if "cache" in params else "past_key_values"
        self._ids = itertools.count(1)
        self._incoming: queue.Queue[GenerationHandle | None] = queue.Queue()
        self._waiting: deque[GenerationHandle] = deque()
        self._active: list[_Sequence] = []
        self._prefilling: _Prefill | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="inference-engine", daemon=True)
        self._thread.start()

    def _load(
        self,
        *,
        kernel_threads: int | None,
        prefill_dtype: str | None,
        decode_dtype: str,
        sparse_experts: bool,
        fast_decode: bool,
    ) -> bool:
        """Load the checkpoint and switch it to the engine's kernels and dtypes; True when decode
        attention uses the engine's function (which reads a bf16 cache)."""
        torch.set_num_threads(self.threads)
        self.model, self.tokenizer = load_model(self.model_path, dtype=self.dtype)
        self.sparse_experts = sparse_experts and use_sparse_topk(self.model) > 0
        self.kernel_threads = 1
        self.prefill_dtype = "float32"
        self.decode_dtype = str(self.dtype).removeprefix("torch.")
        if fast_decode:
            # The decode kernel's products (not torch's small ops) may also use the other cores:
            # their helpers step aside when another process holds a core (inference/gemv.py).
            self.kernel_threads = kernel_threads or self.threads
            gemv.set_threads(self.kernel_threads)
            # Prefill products in bf16 where the CPU has native bf16 (~2x faster TTFT than
            # fp32), or int8 when asked (inference/int8.py); logits move within the tolerances
            # in docs/BENCHMARKS.md (see gemv.PREFILL_MIN_ROWS). bf16 decode weights halve the
            # bytes a step reads and serve a bf16 prefill too; an fp32 prefill keeps the fp32
            # weights beside them. Without a prefill dtype, prefill follows decode's weights.
            decode = resolve_decode_dtype(decode_dtype, self.dtype, kernel=gemv.available())
            if prefill_dtype is None:
                prefill_dtype = "bfloat16" if decode == torch.bfloat16 else "float32"
            low = resolve_prefill_dtype(prefill_dtype, self.dtype)
            if low == decode == torch.float32:
                low = None  # fp32 weights serve an fp32 prefill as they are
            self.decode_dtype = str(decode).removeprefix("torch.")
            self.prefill_dtype = str(low or decode).removeprefix("torch.")
            gemv.use_fast_linear(self.model, prefill_dtype=low, decode_dtype=decode)
            if self.sparse_experts:
                use_weights_dtype(self.model, decode_dtype=decode, prefill_dtype=low)
        decode_attention = use_decode_attention(self.model)
        use_fused_rms_norm(self.model)
        # Decode steps skip transformers' module stack where the architecture is one the lean
        # step knows (inference/decode.py); it needs the decode-aware attention's cache layout.
        self._lean = LeanDecoder.build(self.model) if fast_decode and decode_attention else None
        return decode_attention

    # -- public API ------------------------------------------------------------------------------

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of a chat rendered with the model's chat template, ready for a reply."""
        ids = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=False
        )
        if isinstance(ids, dict) or hasattr(ids, "keys"):
            ids = ids["input_ids"]
        return [int(i) for i in ids]

    def check_prompt(self, prompt_ids: list[int]) -> None:
        """Raise ContextLengthError when a prompt leaves no room for even one generated token."""
        if len(prompt_ids) >= self.context_length:
            raise ContextLengthError(
                f"the prompt is {len(prompt_ids)} tokens but the model's context window is "
                f"{self.context_length} tokens; shorten the conversation or the documents"
            )
        if not prompt_ids:
            raise ValueError("the prompt is empty")

    def submit(
        self,
        prompt_ids: list[int],
        params: SamplingParams | None = None,
        *,
        on_event: Callable[[Event], None] | None = None,
    ) -> GenerationHandle:
        """Queue a generation; it joins the running batch at the next decode step."""
        if self._closed:
            raise RuntimeError("the engine is closed")
        self.check_prompt(prompt_ids)
        handle = GenerationHandle(
            next(self._ids), list(prompt_ids), params or SamplingParams(), on_event
        )
        self._incoming.put(handle)
        return handle

    def stream(
        self, messages: list[dict[str, str]], params: SamplingParams | None = None
    ) -> Iterator[str]:
        """Yield the reply's text as it is generated; closing the iterator cancels generation."""
        handle = self.submit(self.prompt_ids(messages), params)
        try:
            for event in handle.events():
                if isinstance(event, Delta):
                    yield event.text
                elif isinstance(event, Failed):
                    raise RuntimeError(event.message)
        finally:
            handle.cancel()

    def complete(
        self, messages: list[dict[str, str]], params: SamplingParams | None = None
    ) -> GenerationResult:
        """Generate a whole reply."""
        return self.collect(self.submit(self.prompt_ids(messages), params))

    @staticmethod
    def collect(handle: GenerationHandle) -> GenerationResult:
        """Wait for a submitted generation and assemble its reply."""
        parts: list[str] = []
        for event in handle.events():
            if isinstance(event, Delta):
                parts.append(event.text)
            elif isinstance(event, Failed):
                raise RuntimeError(event.message)
            else:
                return GenerationResult(
                    "".join(parts), event.reason, event.prompt_tokens, event.completion_tokens
                )
        raise RuntimeError("generation ended without a result")

    @property
    def alive(self) -> bool:
        """True while the scheduler thread is serving."""
        return not self._closed and self._thread.is_alive()

    def close(self) -> None:
        """Stop the scheduler thread; running requests are cancelled."""
        self._closed = True
        self._incoming.put(None)
        self._thread.join(timeout=30)

    # -- scheduler -------------------------------------------------------------------------------

    def _run(self) -> None:
        with torch.inference_mode():
            while not self._closed:
                try:
                    self._step()
                except (
                    Exception
                ) as exc:  # keep serving: fail the affected requests, not the process
                    log.exception("generation step failed")
                    for seq in self._active:
                        seq.handle.emit(Failed(f"generation failed: {exc}"))
                    self._active.clear()
                    if self._prefilling is not None:
                        self._prefilling.handle.emit(Failed(f"generation failed: {exc}"))
                        self._prefilling = None
        for seq in self._active:
            self._finish(seq, "cancelled")
        if self._prefilling is not None:
            self._waiting.appendleft(self._prefilling.handle)
        for handle in self._waiting:
            handle.emit(Finished("cancelled", len(handle.prompt_ids), 0))

    def _step(self) -> None:
        self._drain_incoming(
            block=not self._active and not self._waiting and self._prefilling is None
        )
        self._drop_cancelled()
        self._admit()
        self.stats.active, self.stats.waiting = len(self._active), len(self._waiting)
        if self._active:
            self._decode()

    def _admit(self) -> None:
        """Prefill waiting prompts; while others decode, at most PREFILL_CHUNK tokens a step."""
        # Chunked prefill: a 1,000-token prompt arriving mid-generation costs the running
        # streams one chunk's delay per step instead of the whole prompt's.
        budget = PREFILL_CHUNK if self._active else sys.maxsize
        while budget > 0:
            if self._prefilling is None:
                group = self._take_short_prompts(min(budget, PREFILL_CHUNK))
                if len(group) > 1:
                    budget -= self._prefill_together(group)
                    continue
                if group:
                    handle = group[0]
                else:
                    if not self._waiting or len(self._active) >= self.max_batch:
                        return
                    handle = self._waiting.popleft()
                    if handle.cancelled:
                        self._cancel_waiting(handle)
                        continue
                if self._active:
                    self.stats.joined_running_batch += 1
                self._prefilling = _Prefill(handle, slot=len(self._active))
            budget -= self._prefill_chunk(self._prefilling, budget)

    def _cancel_waiting(self, handle: GenerationHandle) -> None:
        handle.emit(Finished("cancelled", len(handle.prompt_ids), 0))
        self.stats.requests_cancelled += 1

    def _take_short_prompts(self, limit: int) -> list[GenerationHandle]:
        """Waiting prompts, in order, that fit whole in `limit` tokens and the free slots."""
        group: list[GenerationHandle] = []
        tokens = 0
        while self._waiting and len(self._active) + len(group) < self.max_batch:
            handle = self._waiting[0]
            if handle.cancelled:
                self._waiting.popleft()
                self._cancel_waiting(handle)
                continue
            if tokens + len(handle.prompt_ids) > limit:
                break
            group.append(self._waiting.popleft())
            tokens += len(handle.prompt_ids)
        return group

    def _prefill_together(self, group: list[GenerationHandle]) -> int:
        """Prefill whole prompts in one forward, packed into one row; return their tokens.

        Short prompts arriving together (a burst of chat requests) are dominated by reading
        every expert's weights, which one forward does once for all of them instead of once each.
        """
        torch.set_num_threads(self.threads)
        lengths = [len(handle.prompt_ids) for handle in group]
        ids = [token for handle in group for token in handle.prompt_ids]
        positions = torch.cat([torch.arange(length) for length in lengths]).unsqueeze(0)
        last = torch.tensor(lengths).cumsum(0) - 1
        try:
            self._cache.prepare_packed(first_slot=len(self._active), lengths=lengths)
            output = self.model(
                input_ids=torch.tensor([ids]),
                position_ids=positions,
                attention_mask=packed_prefill_mask(lengths),
                use_cache=True,
                logits_to_keep=last,
                **{self._cache_kwarg: self._cache},
            )
        except Exception as exc:
            for handle in group:
                handle.emit(Failed(f"generation failed: {exc}"))
            raise
        logits = output.logits[0].float()
        self.stats.prompts_prefilled_together += len(group)
        for row, handle in enumerate(group):
            if self._active:
                self.stats.joined_running_batch += 1
            self._start_decoding(handle, logits[row])
        self._remove_finished()
        return len(ids)

    def _prefill_chunk(self, pending: _Prefill, budget: int) -> int:
        """Run the next chunk of a prompt; start decoding it when it is all in; return tokens."""
        handle = pending.handle
        if handle.cancelled:
            self._prefilling = None
            self._cancel_waiting(handle)
            return 0
        torch.set_num_threads(self.threads)
        ids, start = handle.prompt_ids, pending.done
        limit = PREFILL_CHUNK if self._active else IDLE_PREFILL_CHUNK
        chunk = ids[start : start + min(limit, budget)]
        q = len(chunk)
        self._cache.prepare_prefill(slot=pending.slot, start=start, length=q)
        positions = torch.arange(start, start + q).unsqueeze(0)
        logits = self._forward(torch.tensor([chunk]), positions, prefill_mask(start, q))
        pending.done += q
        if pending.done < len(ids):
            return q
        self._prefilling = None
        if pending.slot != len(self._active):
            # Decoding rows finished meanwhile; keep the active slots contiguous.
            self._cache.move(pending.slot, len(self._active))
        self._start_decoding(handle, logits[0])
        self._remove_finished()
        return q

    def _start_decoding(self, handle: GenerationHandle, logits: torch.Tensor) -> None:
        """A fully prefilled prompt joins the decoding batch (in the next slot) with its first token."""
        params = handle.params
        seq = _Sequence(
            handle=handle,
            stream=TextStream(self.tokenizer, params.stop),
            generator=params.generator(),
            position=len(handle.prompt_ids),
            counts=torch.zeros(logits.shape[-1]) if params.penalised else None,
        )
        self._active.append(seq)
        self._accept(seq, sample_token(logits, params, seq.generator))

    def _drain_incoming(self, *, block: bool) -> None:
        try:
            item = self._incoming.get(block=block)
            while True:
                if item is not None:
                    self._waiting.append(item)
                item = self._incoming.get_nowait()
        except queue.Empty:
            pass

    def _drop_cancelled(self) -> None:
        cancelled = [i for i, seq in enumerate(self._active) if seq.handle.cancelled]
        for index in reversed(cancelled):
            self._finish(self._active[index], "cancelled")
            self._remove(index)

    def _forward(self, input_ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor) -> Any:
        output = self.model(
            input_ids=input_ids,
            position_ids=positions,
            attention_mask=mask,
            use_cache=True,
            logits_to_keep=1,
            **{self._cache_kwarg: self._cache},
        )
        return output.logits[:, -1, :].float()

    def _decode(self) -> None:
        torch.set_num_threads(self.decode_threads)
        batch = len(self._active)
        self.stats.decode_steps += 1
        self.stats.max_batch_seen = max(self.stats.max_batch_seen, batch)
        where = [seq.position for seq in self._active]
        positions = torch.tensor(where)
        self._cache.prepare_decode(positions)
        if self._lean is not None:
            logits = self._lean([seq.last_token for seq in self._active], where, self._cache)
        else:
            input_ids = torch.tensor([[seq.last_token] for seq in self._active])
            logits = self._forward(input_ids, positions.unsqueeze(1), decode_mask(positions))
        greedy = torch.argmax(logits, dim=-1).tolist()
        for row, seq in enumerate(self._active):
            seq.position += 1
            params = seq.handle.params
            if seq.counts is not None:
                token = sample_token(
                    apply_penalties(logits[row], seq.counts, params), params, seq.generator
                )
            elif params.greedy:
                token = greedy[row]
            else:
                token = sample_token(logits[row], params, seq.generator)
            self._accept(seq, token)
        self._remove_finished()

    def _remove_finished(self) -> None:
        finished = [i for i, seq in enumerate(self._active) if seq.finish is not None]
        for index in reversed(finished):
            seq = self._active[index]
            self._finish(seq, seq.finish or "stop")
            self._remove(index)

    def _accept(self, seq: _Sequence, token: int) -> None:
        params = seq.handle.params
        seq.last_token = token
        seq.generated += 1
        if seq.counts is not None and token < seq.counts.shape[0]:
            seq.counts[token] += 1
        self.stats.tokens_generated += 1
        if token in self.eos_ids and not params.ignore_eos:
            seq.finish = "stop"
            return
        delta, hit_stop = seq.stream.push(token)
        if delta:
            seq.handle.emit(Delta(delta))
        if hit_stop:
            seq.finish = "stop"
        elif seq.generated >= params.max_tokens or seq.position + 1 >= self.context_length:
            seq.finish = "length"

    def _finish(self, seq: _Sequence, reason: str) -> None:
        if reason != "cancelled":
            rest = seq.stream.flush()
            if rest:
                seq.handle.emit(Delta(rest))
        if reason == "cancelled":
            self.stats.requests_cancelled += 1
        else:
            self.stats.requests_finished += 1
        seq.handle.emit(Finished(reason, len(seq.handle.prompt_ids), seq.generated))

    def _remove(self, index: int) -> None:
        last = len(self._active) - 1
        if index != last:
            # Keep active rows in slots 0..n-1 so decode attends over a view, not a gather.
            self._cache.move(last, index)
            self._active[index] = self._active[last]
        self._active.pop()
