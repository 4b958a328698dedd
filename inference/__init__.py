"""Local mixture-of-experts inference: demo checkpoint, engine, OpenAI-compatible server, client.

Importing this package stays light (no torch): the engine and server load on first use.
"""

from __future__ import annotations

from inference.client import (
    Completion,
    ContextLengthError,
    InferenceClient,
    InferenceError,
    count_tokens,
)
from inference.fake import FakeChatModel

__all__ = [
    "Completion",
    "ContextLengthError",
    "FakeChatModel",
    "InferenceClient",
    "InferenceError",
    "count_tokens",
]
