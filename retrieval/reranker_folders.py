"""Reranker model folders: where the shipped one lives, its manifest, and the check of a setting.

Below `retrieval.conf` and `retrieval.rerank`, both of which use it: checking RETRIEVAL_RERANKER
reads files only, never a model, so the settings can run it at start-up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parent / "weights" / "reranker"
MANIFEST = "reranker.json"
SHIPPED_FORMAT = "minilm-cross-encoder"


class RerankerError(Exception):
    """A reranker setting or model that cannot be used; the message is one line."""


def read_manifest(folder: Path) -> dict[str, Any]:
    """The shipped format's manifest, checked; RerankerError names what is wrong."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RerankerError(f"{path} cannot be read: {type(error).__name__}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SHIPPED_FORMAT:
        raise RerankerError(f"{path} is not a {SHIPPED_FORMAT} manifest")
    for key in ("layers", "max_tokens", "weights"):
        if key not in manifest:
            raise RerankerError(f"{path} lacks {key!r}")
    return manifest


def check_setting(value: str) -> str:
    """RETRIEVAL_RERANKER checked without loading a model: `off`, `default` or a model folder.

    Returns the value to store (`off`, `default` or an absolute path); raises RerankerError with
    one line when the folder holds no usable model. Cheap: run by the settings at start-up.
    """
    spec = value.strip()
    if spec.lower() == "off":
        return "off"
    if spec.lower() == "default":
        if not (SHIPPED / MANIFEST).is_file():
            raise RerankerError(f"RETRIEVAL_RERANKER=default: no shipped model in {SHIPPED}")
        _check_safetensors(SHIPPED / str(read_manifest(SHIPPED)["weights"]))
        return "default"
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise RerankerError(f"RETRIEVAL_RERANKER={spec!r} is not off, default or a model folder")
    folder = folder.resolve()
    if (folder / MANIFEST).is_file():
        manifest = read_manifest(folder)
        _check_safetensors(folder / str(manifest["weights"]))
        return str(folder)
    config = folder / "config.json"
    try:
        architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, ValueError, AttributeError):
        raise RerankerError(
            f"RETRIEVAL_RERANKER={spec!r}: no {MANIFEST} and no readable config.json there"
        ) from None
    if not any(str(name).endswith("ForSequenceClassification") for name in architectures):
        raise RerankerError(f"RETRIEVAL_RERANKER={spec!r} is not a cross-encoder (config.json)")
    weights = [folder / name for name in ("model.safetensors", "pytorch_model.bin")]
    present = [path for path in weights if path.is_file()]
    if not present:
        raise RerankerError(f"RETRIEVAL_RERANKER={spec!r} holds no model weights")
    if present[0].suffix == ".safetensors":
        _check_safetensors(present[0])
    return str(folder)


def _check_safetensors(path: Path) -> None:
    """Read a safetensors file's header and check its size against it (a cut file fails)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            names = list(handle.keys())
            if names:
                handle.get_slice(names[-1])
        header = path.read_bytes()[:8] if path.stat().st_size >= 8 else b""
        declared = 8 + int.from_bytes(header, "little") if header else 0
        payload = json.loads(path.read_bytes()[8:declared]) if declared else {}
        end = max(
            (
                int(meta["data_offsets"][1])
                for name, meta in payload.items()
                if name != "__metadata__"
            ),
            default=0,
        )
        if path.stat().st_size < declared + end:
            raise ValueError("the file is shorter than its header says")
    except Exception as error:  # a broken file raises many kinds of error
        raise RerankerError(
            f"{path} is not a readable model file ({error})".splitlines()[0]
        ) from None
