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
# Small file limits make the hostile-file tests quick; the worker processes inherit them.
os.environ.setdefault("RETRIEVAL_MAX_FILE_BYTES", str(4 * 1024 * 1024))
os.environ.setdefault("RETRIEVAL_MAX_UNCOMPRESSED_BYTES", str(32 * 1024 * 1024))

# Under pytest-xdist each worker process is a run of its own (database, Redis database, demo-model
# port); the processes it starts inherit what it chose, so they do not choose again. The run ids of
# one session's workers are consecutive from their common parent's pid, so their Redis databases
# (below: 1 + run % 15) differ for up to 15 workers.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER and os.environ.get("ASSISTANT_TEST_WORKER") != _XDIST_WORKER:
    os.environ["ASSISTANT_TEST_WORKER"] = _XDIST_WORKER
    os.environ["ASSISTANT_TEST_RUN"] = str(
        int(os.environ.get("ASSISTANT_TEST_RUN", os.getppid())) + 1 + int(_XDIST_WORKER[2:])
    )
    os.environ.pop("INFERENCE_URL", None)

if "INFERENCE_URL" not in os.environ:
    # Every process of a test run (this one, the worker, the web server) reaches the demo model on
    # this port once a test starts it with the `model_server` fixture.
    with socket.socket() as _sock:
        _sock.bind(("127.0.0.1", 0))
        os.environ["INFERENCE_URL"] = f"http://127.0.0.1:{_sock.getsockname()[1]}"

from assistant.settings import *  # noqa: E402, F403

# Test runs started side by side (several terminals, CI retries) each get their own database and
# Redis database, so one run's worker never executes another run's tasks.
# Child processes (worker, web server) inherit the run id, so they land on the same ones.
_RUN = int(os.environ.setdefault("ASSISTANT_TEST_RUN", str(os.getpid())))
DATABASES["default"]["TEST"] = {"NAME": f"test_assistant_{_RUN}"}  # noqa: F405
REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + f"/{1 + _RUN % 15}"  # noqa: F405
CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
