"""A search query's embedding through ONNX Runtime: the same model, a third of torch's time.

A query is one short text, so torch's per-operator overhead, not arithmetic, is most of its time:
MiniLM-L6 on a SciFact claim took 16.0 / 21.5 ms p50 / p95 on one torch thread, 7.5 / 11.5 ms
through ONNX Runtime on one thread (docs/BENCHMARKS.md, Retrieval). Search embeds its query beside
the database's work on two cores, so every millisecond of it is one the database does not get.

The ONNX graph is exported from the loaded sentence-transformers model itself (its own modules:
transformer, pooling, normalisation), once per model and library versions, into a cache folder;
nothing is downloaded. Each process checks the graph against torch on probe sentences before using
it, and any failure (no exporter, a model that does not export, a graph that disagrees) leaves
torch in charge, logged once. Documents are still embedded by torch in batches, where its overhead
is spread over many texts.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

# Bumped when the exported graph's shape changes, so an old cached file is not reused.
EXPORT_VERSION = 1
# A query embedding from the graph must match torch's this closely (cosine) on every probe.
AGREEMENT = 0.9999
PROBES = (
    "What does the travel policy say about booking economy class?",
    "Vitamin D deficiency is associated with an increased risk of fractures.",
    "how do I reset my VPN token",
)


class QueryEncoderError(Exception):
    """The ONNX query encoder could not be built or disagrees with torch."""


def cache_dir() -> Path:
    """Where exported query encoders are kept between processes."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "retrieval-query-encoder"


@dataclass
class OnnxQueryEncoder:
    """One model's exported graph and the tokenizer settings sentence-transformers uses for it."""

    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any
    max_length: int
    inputs: tuple[str, ...]
    # An InferenceSession may run on several threads; the fast tokenizer may not.
    lock: threading.Lock

    def embed(self, text: str) -> np.ndarray:
        """The unit-length embedding of `text`."""
        with self.lock:
            encoded = self.tokenizer(
                [text], truncation=True, max_length=self.max_length, return_tensors="np"
            )
        feeds = {name: np.asarray(encoded[name], dtype=np.int64) for name in self.inputs}
        vector = self.session.run(None, feeds)[0][0]
        return np.asarray(vector, dtype=np.float32)


def _digest(model: SentenceTransformer, location: str) -> str:
    import onnxruntime
    import torch

    files = sorted(Path(location).rglob("*")) if Path(location).is_dir() else []
    stamp = "".join(
        f"{path.relative_to(location)}\0{path.stat().st_size}\0{path.stat().st_mtime_ns}\0"
        for path in files
        if path.is_file()
    )
    key = "\0".join(
        [
            str(EXPORT_VERSION),
            location,
            stamp,
            torch.__version__,
            onnxruntime.__version__,
            repr(model),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _input_names(model: SentenceTransformer) -> tuple[str, ...]:
    encoded = model.tokenizer(["probe"], return_tensors="pt")
    return tuple(
        name for name in ("input_ids", "attention_mask", "token_type_ids") if name in encoded
    )


def _export(model: SentenceTransformer, inputs: tuple[str, ...], path: Path) -> None:
    """Write `model` (its own modules, normalised output) as an ONNX graph to `path`."""
    import torch

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            features = dict(zip(inputs, tensors, strict=True))
            embedding = self.model(features)["sentence_embedding"]
            return torch.nn.functional.normalize(embedding, dim=-1)

    example = model.tokenizer(["a probe sentence"], return_tensors="pt")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside its final name and moved there whole: a process that finds the file finds
    # all of it, and two processes exporting at once both end with the same file.
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        written = Path(tmp) / path.name
        # The tracer warns of every Python branch it freezes; the probes check the result instead.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Graph().eval(),
                tuple(example[name] for name in inputs),
                str(written),
                input_names=list(inputs),
                output_names=["embedding"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in inputs},
                opset_version=17,
                dynamo=False,
            )
        os.replace(written, path)


def build(model: SentenceTransformer, *, location: str, threads: int) -> OnnxQueryEncoder:
    """The ONNX encoder of `model`, exported on first use and checked against torch.

    QueryEncoderError when the exporter or runtime is missing, the export fails, or the graph's
    embeddings of the probe sentences differ from torch's.
    """
    try:
        import onnxruntime
    except ImportError as error:
        raise QueryEncoderError(f"onnxruntime is not installed ({error})") from error
    inputs = _input_names(model)
    path = cache_dir() / f"query-encoder-{_digest(model, location)}.onnx"
    try:
        if not path.exists():
            _export(model, inputs, path)
        options = onnxruntime.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # the exporter and runtime raise many types; all mean "use torch"
        raise QueryEncoderError(f"could not export or load {path}: {error}") from error
    encoder = OnnxQueryEncoder(
        session=session,
        # A copy of its own: torch's batches may use the model's tokenizer on another thread.
        tokenizer=copy.deepcopy(model.tokenizer),
        max_length=model.get_max_seq_length() or 512,
        inputs=inputs,
        lock=threading.Lock(),
    )
    expected = model.encode(
        list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    for probe, reference in zip(PROBES, expected, strict=True):
        agreement = float(np.dot(encoder.embed(probe), reference))
        if agreement < AGREEMENT:
            raise QueryEncoderError(
                f"the exported graph {path} disagrees with torch (cosine {agreement:.6f} on "
                f"{probe!r})"
            )
    return encoder
