"""Settings for the suite: the product's settings on a separate var/ folder.

The suite gets its own embedded PostgreSQL and Redis (var/test), so it never touches the data of a
running `make run`. This must happen before the product settings import, which starts them.
"""

import os
from pathlib import Path

os.environ.setdefault(
    "ASSISTANT_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test")
)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.settings import *  # noqa: F403
