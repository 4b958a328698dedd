"""Compiling this package's C files into a shared library, once per source text and flags."""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """Where compiled libraries are kept between processes."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "inference-kernels"


def compiler() -> str | None:
    """The C compiler to use ($CC, else cc), or None when there is none."""
    return shutil.which(os.environ.get("CC", "cc"))


def read_sources(names: Sequence[str]) -> dict[str, str]:
    """The text of each of this package's files `names`, by name."""
    package = resources.files(__package__)
    return {name: (package / name).read_text(encoding="utf-8") for name in names}


def compile_library(
    sources: Sequence[str], flags: Sequence[str], *, name: str
) -> ctypes.CDLL | None:
    """The shared library built from this package's files `sources` (the .c files compiled, the
    headers beside them) with `flags`, or None when there is no C compiler or the build fails.

    The library is kept under a hash of the sources and flags, so each process after the first
    loads it without compiling.
    """
    compiler_path = compiler()
    if compiler_path is None:
        log.info("no C compiler found; using torch instead of the %s library", name)
        return None
    texts = read_sources(sources)
    key = "".join(f"{file}\0{text}\0" for file, text in texts.items()) + " ".join(flags)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    library = cache_dir() / f"{name}-{digest}.so"
    try:
        if not library.exists():
            library.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=library.parent) as tmp:
                # Compiled from a copy, so what is built is exactly what was hashed, wherever the
                # package itself is installed.
                for file, text in texts.items():
                    (Path(tmp) / file).write_text(text, encoding="utf-8")
                built = Path(tmp) / f"{name}.so"
                c_files = [str(Path(tmp) / file) for file in texts if file.endswith(".c")]
                done = subprocess.run(
                    [compiler_path, *flags, *c_files, "-o", str(built), "-lm"],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                if done.stderr.strip():
                    log.warning("the %s library compiled with messages:\n%s", name, done.stderr)
                os.replace(built, library)  # atomic, so concurrent processes never see half
        return ctypes.CDLL(str(library))  # CDLL releases the GIL during calls
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        log.warning("could not build the %s library (%s); using torch\n%s", name, exc, detail)
        return None
