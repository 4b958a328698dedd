"""Parsing in a child process with time and memory limits, so a hostile file cannot hurt the worker.

The parent runs ``python -m retrieval.parsers.sandbox`` with the file's path; the child lowers its
own limits (address space, CPU time, no file writes) before touching the file, parses, and prints the
sections as JSON. A crash, a timeout or an exhausted limit ends only the child.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from retrieval.parsers import FORMATS, Format, ParseError, Section, parse_in_process

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
EXIT_MEMORY = 3


def parse_sandboxed(
    path: Path, fmt: Format, *, timeout: int, memory_mb: int, max_uncompressed: int
) -> list[Section]:
    """Sections of `path`, parsed in a limited child; ParseError with a readable reason otherwise."""
    extension = next(ext for ext, f in FORMATS.items() if f == fmt)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(PROJECT_ROOT),
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "RETRIEVAL_MAX_UNCOMPRESSED_BYTES": str(max_uncompressed),
    }
    command = [
        sys.executable, "-m", "retrieval.parsers.sandbox",
        extension, str(path), str(memory_mb), str(timeout),
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, env=env, cwd=PROJECT_ROOT, capture_output=True, timeout=timeout + 5
        )
    except subprocess.TimeoutExpired:
        raise ParseError(f"Reading the {fmt.name} took longer than {timeout} s; gave up.") from None
    if done.returncode == EXIT_MEMORY:
        raise ParseError(f"Reading the {fmt.name} needed more than {memory_mb} MB of memory.")
    if done.returncode < 0:
        number = -done.returncode
        if number in (signal.SIGXCPU, signal.SIGKILL):
            raise ParseError(f"Reading the {fmt.name} took longer than {timeout} s; gave up.")
        raise ParseError(
            f"The {fmt.name} parser crashed on this file ({signal.Signals(number).name})."
        )
    try:
        reply = json.loads(done.stdout)
    except ValueError:
        # The parser's output may quote the file: it goes to the server log, not the reason.
        logger.warning(
            "the %s parser failed: %s", fmt.name, done.stderr.decode(errors="replace")[-2000:]
        )
        raise ParseError(f"The {fmt.name} parser failed on this file.") from None
    if "error" in reply:
        if done.stderr:
            logger.warning(
                "the %s parser: %s", fmt.name, done.stderr.decode(errors="replace")[-2000:]
            )
        raise ParseError(str(reply["error"]))
    return [Section.from_json(item) for item in reply["sections"]]


def _limit(memory_mb: int, seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    # Parsers only read: a file bomb cannot fill the disk, and no core files are left behind.
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str]) -> int:
    """Child side: limit, parse, print JSON."""
    extension, path, memory_mb, seconds = argv
    _limit(int(memory_mb), int(seconds))
    fmt = FORMATS[extension]
    try:
        sections = parse_in_process(Path(path), fmt)
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
    sys.exit(main(sys.argv[1:]))
