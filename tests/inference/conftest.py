"""Fixtures for the inference tests: tiny random MoE checkpoints, the demo model, a live server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from inference.engine import Engine
from inference.upcycle import DEFAULT_OUT, build_demo, gguf_path

REPO = Path(__file__).resolve().parents[2]
VOCAB = 49152  # the SmolLM2 tokenizer's, which the tiny models reuse


def tiny_config(arch: str) -> Any:
    """A two-layer random-weight config of one MoE architecture, small enough for tests."""
    import transformers as tf

    common: dict[str, Any] = dict(
        vocab_size=VOCAB,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
        tie_word_embeddings=False,
    )
    if arch == "mixtral":
        return tf.MixtralConfig(
            intermediate_size=96, num_local_experts=4, num_experts_per_tok=2, **common
        )
    if arch == "qwen2_moe":
        return tf.Qwen2MoeConfig(
            intermediate_size=96,
            moe_intermediate_size=48,
            shared_expert_intermediate_size=96,
            num_experts=4,
            num_experts_per_tok=2,
            decoder_sparse_step=1,
            **common,
        )
    if arch == "qwen3_moe":
        return tf.Qwen3MoeConfig(
            intermediate_size=96,
            moe_intermediate_size=48,
            num_experts=4,
            num_experts_per_tok=2,
            head_dim=16,
            **common,
        )
    if arch == "olmoe":
        return tf.OlmoeConfig(intermediate_size=48, num_experts=4, num_experts_per_tok=2, **common)
    if arch == "granitemoe":
        return tf.GraniteMoeConfig(
            intermediate_size=48, num_local_experts=4, num_experts_per_tok=2, **common
        )
    raise ValueError(arch)


ARCHITECTURES = ["mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "granitemoe"]


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SmolLM2 tokenizer (with its chat template), read from the GGUF once."""
    from transformers import AutoTokenizer

    path = gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    out = tmp_path_factory.mktemp("tokenizer")
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def make_tiny_model(
    tmp_path_factory: pytest.TempPathFactory, tokenizer_dir: Path
) -> Callable[[str], Path]:
    """Save a tiny random checkpoint of an architecture (cached per session) and return its path."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    made: dict[str, Path] = {}

    def make(arch: str) -> Path:
        if arch not in made:
            torch.manual_seed(0)
            model = AutoModelForCausalLM.from_config(tiny_config(arch))
            # Random init gives near-identical experts in places; spread them so routing matters.
            for name, param in model.named_parameters():
                if "experts" in name:
                    param.data.normal_(0.0, 0.2)
            out = tmp_path_factory.mktemp(f"tiny-{arch}")
            model.save_pretrained(out)
            AutoTokenizer.from_pretrained(str(tokenizer_dir)).save_pretrained(out)
            made[arch] = out
        return made[arch]

    return make


@pytest.fixture(scope="session")
def tiny_mixtral(make_tiny_model: Callable[[str], Path]) -> Path:
    """A tiny random Mixtral whose experts differ."""
    return make_tiny_model("mixtral")


@pytest.fixture
def tiny_engine(tiny_mixtral: Path) -> Iterator[Engine]:
    """A fresh engine over the tiny Mixtral (fresh, so its counters belong to one test)."""
    engine = Engine(tiny_mixtral, max_batch=8, max_context=256)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def demo_model() -> Path:
    """The upcycled demo checkpoint in its usual place, built on first use."""
    return build_demo(REPO / DEFAULT_OUT).path


@pytest.fixture(scope="session")
def demo_engine(demo_model: Path) -> Iterator[Engine]:
    """One engine over the demo checkpoint for the whole session (loading takes seconds)."""
    engine = Engine(demo_model, max_batch=8, max_context=2048)
    yield engine
    engine.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A uvicorn server running the app in a background thread."""

    def __init__(self, engine: Engine, *, api_key: str | None = None) -> None:
        import uvicorn

        from inference.server import create_app

        self.engine = engine
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(engine, model_name="tiny-moe", api_key=api_key)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def http_server(tiny_engine: Engine) -> Iterator[LiveServer]:
    """The tiny Mixtral behind a real HTTP server on a free local port."""
    with LiveServer(tiny_engine) as server:
        yield server


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll until `condition()` holds or the timeout passes; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# A prompt long enough for prefill's own products (more rows than a decode batch).
PREFILL_IDS = [(37 * i + 11) % 4000 for i in range(96)]


def reference_last_logits(checkpoint: Path, ids: list[int]) -> torch.Tensor:
    """The last token's logits from transformers' own fp32 forward (eager experts)."""
    from transformers import AutoModelForCausalLM

    reference = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32).eval()
    reference.config._experts_implementation = "eager"
    with torch.inference_mode():
        return reference(input_ids=torch.tensor([ids])).logits[0, -1]


def prefill_last_logits(engine: Engine, ids: list[int]) -> torch.Tensor:
    """The last token's logits of the engine's prefill of `ids` into slot 0."""
    from inference.kvcache import prefill_mask

    with torch.inference_mode():
        engine._cache.prepare_prefill(slot=0, start=0, length=len(ids))
        return engine._forward(
            torch.tensor([ids]), torch.arange(len(ids))[None], prefill_mask(0, len(ids))
        )[0]
