"""`make run`: prepare the database and start every process of the product in one terminal.

Each child's output is shown with a coloured prefix. Ctrl-C stops them all; a child that dies on its
own is reported and takes the others down, so the command exits non-zero instead of hanging.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
COLOURS = ("\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m")
RESET = "\033[0m"


@dataclass(frozen=True)
class Child:
    """A process of the stack."""

    name: str
    argv: list[str]


def children(*, with_model: bool, model_dir: Path, host: str, port: int) -> list[Child]:
    """The processes `make run` starts."""
    stack = [
        Child(
            "web",
            [
                PYTHON, "-m", "uvicorn", "assistant.asgi:application",
                "--host", host, "--port", str(port), "--no-access-log",
            ],
        ),
        Child(
            "worker",
            [
                PYTHON, "-m", "celery", "-A", "assistant", "worker",
                "-Q", "default,ingest", "--concurrency", os.environ.get("WORKER_CONCURRENCY", "2"),
                "--loglevel", "INFO", "--hostname", "worker@%h",
            ],
        ),
        Child(
            "beat",
            [
                PYTHON, "-m", "celery", "-A", "assistant", "beat", "--loglevel", "INFO",
                "--schedule", str(_var() / "celerybeat-schedule"),
            ],
        ),
    ]  # fmt: skip
    if with_model:
        stack.append(
            Child(
                "model",
                [
                    PYTHON, "-m", "inference", "serve", "--model", str(model_dir),
                    "--host", "127.0.0.1", "--port", "8001",
                ],
            )
        )  # fmt: skip
    return stack


def _var() -> Path:
    from assistant.embedded import var_dir

    return var_dir()


def _pump(name: str, colour: str, stream: IO[bytes], lock: threading.Lock) -> None:
    prefix = f"{colour}{name:>6} |{RESET} " if sys.stdout.isatty() else f"{name:>6} | "
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        with lock:
            sys.stdout.write(prefix + line + "\n")
            sys.stdout.flush()


def _step(title: str, argv: list[str]) -> None:
    print(f"==> {title}", flush=True)
    result = subprocess.run(argv, cwd=ROOT)
    if result.returncode != 0:
        print(f"error: '{title}' failed with exit code {result.returncode}", file=sys.stderr)
        raise SystemExit(result.returncode)


def _stop(procs: dict[str, subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs.values():
        remaining = max(0.0, deadline - time.monotonic())
        try:
            proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _hold_lock(var: Path) -> IO[str] | None:
    """The stack's lock file, locked and holding this pid; None when another run holds it.

    The lock lasts as long as the returned file stays open.
    """
    lock_file = (var / "run").joinpath("stack.lock")
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_file.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "?"
        print(
            f"error: `make run` is already running (pid {owner}); stop it first.", file=sys.stderr
        )
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _prepare(var: Path) -> tuple[bool, Path]:
    """Migrate, seed the demo data and build the demo model once; (serve a model?, its folder)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistant.settings")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # Importing settings validates the environment and starts the embedded services, which this
    # process then holds for the children's whole life.
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018

    _step("migrating the database", [PYTHON, "manage.py", "migrate", "--noinput"])
    seeded = var / "run" / "demo-seeded"
    if not seeded.exists():
        _step("loading demo data", [PYTHON, "manage.py", "seed_demo"])
        seeded.write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))

    with_model = not os.environ.get("INFERENCE_URL")
    model_dir = var / "models" / "smollm2-moe"
    if with_model and (ROOT / "inference" / "__main__.py").exists():
        _step(
            "building the demo model (once)",
            [PYTHON, "-m", "inference", "build-demo", "--out", str(model_dir)],
        )
    else:
        with_model = False
    return with_model, model_dir


def _start(stack: list[Child]) -> dict[str, subprocess.Popen[bytes]]:
    """Start the children, each with a thread that shows its output under its prefix."""
    lock = threading.Lock()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for index, child in enumerate(stack):
        proc = subprocess.Popen(
            child.argv,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: Ctrl-C reaches us, we stop them in order
        )
        procs[child.name] = proc
        assert proc.stdout is not None
        threading.Thread(
            target=_pump,
            args=(child.name, COLOURS[index % len(COLOURS)], proc.stdout, lock),
            daemon=True,
        ).start()
    return procs


def _supervise(procs: dict[str, subprocess.Popen[bytes]], stopping: threading.Event) -> int:
    """Wait until `stopping` is set or a child dies; the exit code is 1 if one died."""
    exit_code = 0
    while not stopping.is_set():
        for name, proc in procs.items():
            code = proc.poll()
            if code is not None:
                print(
                    f"error: {name} exited with code {code}; stopping the others",
                    file=sys.stderr,
                    flush=True,
                )
                exit_code = 1
                stopping.set()
                break
        stopping.wait(0.5)
    return exit_code


def main() -> int:
    """Run the whole stack in the foreground until Ctrl-C or a child dies."""
    var = _var()
    held = _hold_lock(var)  # the lock lasts while this function holds the file
    if held is None:
        return 1
    with_model, model_dir = _prepare(var)

    host, port = os.environ.get("WEB_HOST", "127.0.0.1"), int(os.environ.get("WEB_PORT", "8000"))
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    procs = _start(children(with_model=with_model, model_dir=model_dir, host=host, port=port))
    print(f"==> serving http://{host}:{port}/  (Ctrl-C stops everything)", flush=True)
    exit_code = _supervise(procs, stopping)

    print("==> stopping", flush=True)
    _stop(procs)
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
