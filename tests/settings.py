"""Settings for the suite: the product's settings on a separate var/ folder.

The suite gets its own embedded PostgreSQL and Redis (var/test), so it never touches the data of a
running `make run`. This must happen before the product settings import, which starts them.
"""

import os
import socket
from pathlib import Path

os.environ.setdefault(
    "ASSISTANT_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test")
)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

if "INFERENCE_URL" not in os.environ:
    # Every process of a test run (this one, the worker, the web server) reaches the demo model on
    # this port once a test starts it with the `model_server` fixture.
    with socket.socket() as _sock:
        _sock.bind(("127.0.0.1", 0))
        os.environ["INFERENCE_URL"] = f"http://127.0.0.1:{_sock.getsockname()[1]}"

from assistant.settings import *  # noqa: F403
