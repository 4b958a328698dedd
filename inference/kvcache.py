"""A slot-based KV cache so sequences of different lengths decode together in one batch."""

from __future__ import annotations

import torch


def prefill_mask(start: int, length: int) -> torch.Tensor:
    """Causal mask (1, 1, length, start + length) for a chunk written from position `start`."""
    queries = torch.arange(start, start + length).unsqueeze(1)
    return (torch.arange(start + length).unsqueeze(0) <= queries)[None, None]


def packed_prefill_mask(lengths: list[int]) -> torch.Tensor:
    """Mask (1, 1, T, T) for whole prompts packed into one row: each token sees only the earlier
    tokens of its own prompt (a block-diagonal causal mask)."""
    prompt = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))
    index = torch.arange(prompt.shape[0])
    same = prompt.unsqueeze(1) == prompt.unsqueeze(0)
    return (same & (index.unsqueeze(0) <= index.unsqueeze(1)))[None, None]


def decode_mask(positions: torch.Tensor) -> torch.Tensor:
    """Mask (rows, 1, 1, longest) letting each row see its own tokens up to its position."""
    keys = torch.arange(int(positions.max()) + 1)
    return (keys.unsqueeze(0) <= positions.unsqueeze(1))[:, None, None, :]


class SlotKVCache:
    """Per-layer key/value buffers shaped (slots, kv_heads, capacity, head_dim).

    Each running sequence owns one slot. Active sequences are kept in slots 0..n-1 (the engine
    compacts on finish) so a decode step attends over a plain view of the buffer, with no gather.
    Buffers are allocated on first use, from the shapes the model's attention layers hand over,
    which keeps this independent of how each architecture names its head counts.
    """

    def __init__(
        self,
        *,
        slots: int,
        max_length: int,
        initial_capacity: int = 256,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.slots = slots
        # Storage dtype; None keeps what the attention layers hand over. bf16 halves what a decode
        # step reads from a long conversation's cache; attention still computes in fp32.
        self.dtype = dtype
        self.max_length = max_length
        self.capacity = min(initial_capacity, max_length)
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        # Set by `prepare` before every forward pass.
        self._rows: torch.Tensor | None = None
        self._slot = 0
        self._start = 0
        self._positions: torch.Tensor | None = None
        self._single: int | None = None  # the position of a one-row decode step
        self._packed: list[tuple[int, int, int]] | None = None  # (slot, offset, length) per prompt
        self._length = 0

    # -- the part transformers' attention layers call -------------------------------------------

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, layer_idx: int, *args, **kwargs
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store this step's keys/values for `layer_idx` and return everything to attend over."""
        while len(self.keys) <= layer_idx:
            self.keys.append(self._alloc(key_states))
            self.values.append(self._alloc(value_states))
        keys, values = self.keys[layer_idx], self.values[layer_idx]
        if self._packed is not None:  # whole prompts in one row: each into its own slot
            for slot, offset, length in self._packed:
                keys[slot, :, :length] = key_states[0, :, offset : offset + length]
                values[slot, :, :length] = value_states[0, :, offset : offset + length]
            return key_states, value_states  # attended with a block-diagonal mask
        if self._positions is not None:  # decode: one new token per active row
            n = key_states.shape[0]
            if self._single is not None and n == 1:
                keys[0, :, self._single] = key_states[0, :, 0]
                values[0, :, self._single] = value_states[0, :, 0]
                return keys[:1, :, : self._length], values[:1, :, : self._length]
            rows = self._rows
            keys[rows, :, self._positions] = key_states[:, :, 0].to(keys.dtype)
            values[rows, :, self._positions] = value_states[:, :, 0].to(values.dtype)
            return keys[:n, :, : self._length], values[:n, :, : self._length]
        slot, start, q = self._slot, self._start, key_states.shape[2]
        keys[slot, :, start : start + q] = key_states[0]
        values[slot, :, start : start + q] = value_states[0]
        return keys[slot : slot + 1, :, : start + q], values[slot : slot + 1, :, : start + q]

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """Length the next token would be written at (only meaningful to transformers' defaults)."""
        return self._length

    # -- the part the engine calls --------------------------------------------------------------

    def prepare_prefill(self, *, slot: int, start: int, length: int) -> None:
        """Next forward writes `length` tokens of one sequence into `slot` from position `start`."""
        self._ensure_capacity(start + length)
        self._positions = self._packed = None
        self._slot, self._start = slot, start
        self._length = start + length

    def prepare_decode(self, positions: torch.Tensor) -> None:
        """Next forward writes one token per row 0..n-1 at the given positions."""
        longest = int(positions.max()) + 1
        self._ensure_capacity(longest)
        self._packed = None
        self._rows = torch.arange(positions.shape[0])
        self._positions = positions
        self._length = longest
        # One row: its position as an int, so each layer's write is a plain slice copy (~3 us)
        # instead of an advanced-index put (~13 us, twice per layer).
        self._single = int(positions[0]) if positions.shape[0] == 1 else None

    def prepare_packed(self, *, first_slot: int, lengths: list[int]) -> None:
        """Next forward is whole prompts packed into one row, the i-th going to slot first_slot+i."""
        self._ensure_capacity(max(lengths))
        self._positions = None
        offsets = [sum(lengths[:i]) for i in range(len(lengths))]
        self._packed = [
            (first_slot + i, offset, length)
            for i, (offset, length) in enumerate(zip(offsets, lengths, strict=True))
        ]
        self._length = sum(lengths)

    def move(self, src: int, dst: int) -> None:
        """Copy a sequence from slot `src` into slot `dst` (used to keep active rows contiguous)."""
        for keys, values in zip(self.keys, self.values, strict=True):
            keys[dst].copy_(keys[src])
            values[dst].copy_(values[src])

    def _alloc(self, like: torch.Tensor) -> torch.Tensor:
        _, heads, _, dim = like.shape
        return torch.zeros(self.slots, heads, self.capacity, dim, dtype=self.dtype or like.dtype)

    def _ensure_capacity(self, needed: int) -> None:
        if needed > self.max_length:
            raise ValueError(f"sequence of {needed} tokens exceeds the cache's {self.max_length}")
        if needed <= self.capacity:
            return
        # Doubling keeps the number of reallocations logarithmic in the longest sequence.
        new_capacity = min(self.max_length, max(needed, self.capacity * 2))
        for store in (self.keys, self.values):
            for i, old in enumerate(store):
                grown = torch.zeros(*old.shape[:2], new_capacity, old.shape[3], dtype=old.dtype)
                grown[:, :, : self.capacity] = old
                store[i] = grown
        self.capacity = new_capacity
