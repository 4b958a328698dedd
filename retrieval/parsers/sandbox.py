"""Parsing in child processes with time and memory limits, so a hostile file cannot hurt the worker.

A `Sandbox` starts one process, ``python -m retrieval.parsers.sandbox``, and sends it the files to
parse one after another over a pipe. That process never reads a file itself: for each one it forks
a child, which lowers its own limits (address space, CPU time, no file writes) before touching the
file, parses it and writes the sections back as JSON. A crash, a timeout or an exhausted limit
ends only that child, and the file alone fails; the next file gets a fresh child with fresh limits,
forked from the warm process, which parses nothing itself: no file's parse runs where another's
did, so what one file does to its process (a corrupted heap, a changed global) cannot touch the
next file's text.

Forking from one warm process spares each file the interpreter's start and the imports (about
60 ms of CPU), which for small documents was a large share of the whole ingestion.

Frames from the warm process to the parent: one line of JSON (how the file's child ended, its
stderr, the length of its reply), then the reply's bytes.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from retrieval.parsers import FORMATS, Format, ParseError, Section, parse_in_process

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
EXIT_MEMORY = 3
# What the warm process keeps of a child's stderr for the log.
STDERR_KEPT = 2000
# Wall-clock time a file's child may take beyond its CPU limit (waiting for a busy core, I/O).
WALL_GRACE = 5
# How long the parent waits beyond that for the warm process (its start under load, the reply).
REPLY_GRACE = 25


class Sandbox:
    """A warm sandbox process that parses files one after another, each in its own limited child.

    Use it as a context manager; the process starts with the first file and is started again after
    anything ends it (a Ctrl-C, a stuck reply), so one bad file never fails the files after it.
    """

    def __init__(self, *, timeout: int, memory_mb: int, max_uncompressed: int) -> None:
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.max_uncompressed = max_uncompressed
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The warm process's id while it runs."""
        return self._process.pid if self._process is not None else None

    def parse(self, path: Path, fmt: Format) -> list[Section]:
        """Sections of `path`, parsed in a limited child; ParseError with a readable reason otherwise."""
        extension = next(ext for ext, f in FORMATS.items() if f == fmt)
        request = json.dumps({"extension": extension, "path": str(path)}).encode() + b"\n"
        try:
            process = self._started()
            assert process.stdin is not None
            process.stdin.write(request)
            process.stdin.flush()
            header, body = _receive(process, deadline=self.timeout + WALL_GRACE + REPLY_GRACE)
        except TimeoutError:
            self.close()
            raise ParseError(
                f"Reading the {fmt.name} took longer than {self.timeout} s; gave up."
            ) from None
        except (BrokenPipeError, EOFError):
            # The warm process ended (a Ctrl-C reaches it too): the next file starts another.
            self.close()
            raise ParseError(f"The {fmt.name} parser failed on this file.") from None
        return _sections(header, body, fmt, timeout=self.timeout, memory_mb=self.memory_mb)

    def close(self) -> None:
        """End the warm process, if it runs."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        try:
            # Closing its input ends it between files; it may be in the middle of one.
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self.close()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONHASHSEED": "0",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "RETRIEVAL_MAX_UNCOMPRESSED_BYTES": str(self.max_uncompressed),
        }
        command = [
            sys.executable, "-m", "retrieval.parsers.sandbox",
            str(self.memory_mb), str(self.timeout),
        ]  # fmt: skip
        # The warm process's own stderr carries only its own faults, never a file's text: a
        # file's child writes to a pipe of its own, relayed in the frame and logged here.
        self._process = subprocess.Popen(
            command, env=env, cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            bufsize=0,
        )  # fmt: skip
        return self._process


def parse_sandboxed(
    path: Path, fmt: Format, *, timeout: int, memory_mb: int, max_uncompressed: int
) -> list[Section]:
    """Sections of one file, parsed in a sandbox of its own; see `Sandbox.parse`."""
    with Sandbox(timeout=timeout, memory_mb=memory_mb, max_uncompressed=max_uncompressed) as box:
        return box.parse(path, fmt)


def _receive(process: subprocess.Popen[bytes], *, deadline: float) -> tuple[dict[str, Any], bytes]:
    """One frame from the warm process: TimeoutError past `deadline` seconds, EOFError if it ended."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    ends = time.monotonic() + deadline
    data = bytearray()
    header: dict[str, Any] | None = None
    while True:
        if header is None and (newline := data.find(b"\n")) >= 0:
            header = json.loads(data[:newline])
            del data[: newline + 1]
        if header is not None and len(data) >= header["length"]:
            return header, bytes(data)
        remaining = ends - time.monotonic()
        if remaining <= 0 or not _readable(fd, remaining):
            raise TimeoutError
        piece = os.read(fd, 1 << 20)
        if not piece:
            raise EOFError
        data += piece


def _readable(fd: int, timeout: float) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(timeout))


def _sections(
    header: dict[str, Any], body: bytes, fmt: Format, *, timeout: int, memory_mb: int
) -> list[Section]:
    """The sections in a file's frame, or the ParseError its child's ending means."""
    stderr = str(header.get("stderr", ""))
    if header.get("timed_out"):
        raise ParseError(f"Reading the {fmt.name} took longer than {timeout} s; gave up.")
    if header.get("exit") == EXIT_MEMORY or header.get("too_long"):
        raise ParseError(f"Reading the {fmt.name} needed more than {memory_mb} MB of memory.")
    number = header.get("signal")
    if number is not None:
        if number in (signal.SIGXCPU, signal.SIGKILL):
            raise ParseError(f"Reading the {fmt.name} took longer than {timeout} s; gave up.")
        raise ParseError(
            f"The {fmt.name} parser crashed on this file ({signal.Signals(number).name})."
        )
    try:
        reply = json.loads(body)
    except ValueError:
        # The parser's output may quote the file: it goes to the server log, not the reason.
        logger.warning("the %s parser failed: %s", fmt.name, stderr)
        raise ParseError(f"The {fmt.name} parser failed on this file.") from None
    if "error" in reply:
        if stderr:
            logger.warning("the %s parser: %s", fmt.name, stderr)
        raise ParseError(str(reply["error"]))
    return [Section.from_json(item) for item in reply["sections"]]


# The warm process.


def serve(memory_mb: int, seconds: int) -> int:
    """Warm process: for each request line, parse the file in a forked child and send a frame."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    out = sys.stdout.buffer
    try:
        for line in sys.stdin.buffer:
            request = json.loads(line)
            fmt = FORMATS[request["extension"]]
            # Imported here, before the fork, so that each child of this format starts with it.
            importlib.import_module(fmt.module)
            header, body = _parse_in_child(Path(request["path"]), fmt, memory_mb, seconds)
            header["length"] = len(body)
            out.write(json.dumps(header).encode() + b"\n")
            out.write(body)
            out.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        # A Ctrl-C at the terminal, or a parent that died: the parent starts another if it needs one.
        return 130
    return 0


def _parse_in_child(
    path: Path, fmt: Format, memory_mb: int, seconds: int
) -> tuple[dict[str, Any], bytearray]:
    """Fork a child that parses `path` under the limits; how it ended, and what it wrote."""
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            os.close(out_read)
            os.close(err_read)
            code = _child(path, fmt, memory_mb, seconds, out=out_write, err=err_write)
        finally:
            # Never back into the warm process's loop, whatever happened.
            os._exit(code)
    os.close(out_write)
    os.close(err_write)
    ends = time.monotonic() + seconds + WALL_GRACE
    body, stderr = bytearray(), bytearray()
    try:
        # A reply larger than the child's whole memory was not built by a parser.
        over = _drain({out_read: body, err_read: stderr}, ends=ends, cap=memory_mb * 1024 * 1024)
    finally:
        os.close(out_read)
        os.close(err_read)
        status, timed_out = _reap(pid, ends=ends if not over else 0.0)
    header: dict[str, Any] = {"stderr": stderr[-STDERR_KEPT:].decode(errors="replace")}
    if over:
        header["too_long"] = True
    elif timed_out:
        header["timed_out"] = True
    elif os.WIFSIGNALED(status):
        header["signal"] = os.WTERMSIG(status)
    else:
        header["exit"] = os.WEXITSTATUS(status)
    return header, body


def _drain(buffers: dict[int, bytearray], *, ends: float, cap: int) -> bool:
    """Read the pipes into their buffers until they close or time runs out; True once the first
    holds more than `cap` bytes (the others keep only their last STDERR_KEPT bytes)."""
    first = next(iter(buffers))
    with selectors.DefaultSelector() as selector:
        for fd in buffers:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            remaining = ends - time.monotonic()
            if remaining <= 0:
                return False
            for key, _ in selector.select(remaining):
                fd = cast(int, key.fd)
                piece = os.read(fd, 1 << 20)
                if not piece:
                    selector.unregister(fd)
                    continue
                buffer = buffers[fd]
                buffer += piece
                if fd == first and len(buffer) > cap:
                    return True
                if fd != first and len(buffer) > 2 * STDERR_KEPT:
                    del buffer[:-STDERR_KEPT]
    return False


def _reap(pid: int, *, ends: float) -> tuple[int, bool]:
    """The child's wait status once it ends, killed if it is still there at `ends`; and whether
    it had to be killed."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, False
        if time.monotonic() >= ends:
            os.kill(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1], True
        # It closed its pipes, so it is exiting (or will be killed at `ends`).
        time.sleep(0.001)


# A file's child.


def _child(path: Path, fmt: Format, memory_mb: int, seconds: int, *, out: int, err: int) -> int:
    """In the forked child: see only the reply and stderr pipes, then parse; the exit status."""
    try:
        # No request pipe and no frame stream: only its own reply and stderr.
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in (null, out, err):
            os.close(fd)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        code = parse_one(path, fmt, memory_mb, seconds)
        sys.stdout.flush()
        sys.stderr.flush()
        return code
    except MemoryError:
        return EXIT_MEMORY
    except BaseException:
        # A Ctrl-C, or output it could not write: no reply, so the parent reports a failure.
        return 1


def _limit(memory_mb: int, seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    # Parsers only read: a file bomb cannot fill the disk, and no core files are left behind.
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def parse_one(path: Path, fmt: Format, memory_mb: int, seconds: int) -> int:
    """A file's child: limit, parse, print JSON; the exit status."""
    _limit(memory_mb, seconds)
    try:
        sections = parse_in_process(path, fmt)
        reply: dict[str, object] = {"sections": [s.as_json() for s in sections]}
    except MemoryError:
        return EXIT_MEMORY
    except ParseError as error:
        reply = {"error": str(error)}
    except RecursionError:
        reply = {"error": f"The {fmt.name} is nested too deeply to read."}
    except Exception as error:
        # libxml2 reports running out of memory as its own errors ("XPathEvalError: unknown
        # error"): a child that cannot find a few more megabytes right after such an error hit
        # its memory limit.
        try:
            bytearray(16 * 1024 * 1024)
            detail = f"{type(error).__name__}: {error}"[:2000]
        except MemoryError:
            return EXIT_MEMORY
        # The message may quote the file; the parent logs the child's stderr, not the reason.
        print(detail, file=sys.stderr)
        reply = {"error": f"The {fmt.name} cannot be read ({type(error).__name__})."}
    try:
        sys.stdout.write(json.dumps(reply))
    except MemoryError:
        return EXIT_MEMORY
    return 0


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1]), int(sys.argv[2])))
