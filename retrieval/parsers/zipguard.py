"""Zip bomb checks for the Office formats, which are zip archives."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from retrieval.parsers import ParseError, damaged

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ENTRIES = 10_000
MAX_RATIO = 200
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def max_uncompressed() -> int:
    """The expansion limit, passed down to parsers through the environment by the sandbox."""
    return int(os.environ.get("RETRIEVAL_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_BYTES))


def check_archive(path: Path, *, what: str, required: str, max_bytes: int) -> None:
    """Refuse archives that are not `what`, or that expand beyond `max_bytes` (declared or real)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(OLE_MAGIC):
        raise ParseError(
            f"The file is an encrypted (password-protected) or legacy Office file, not a {what}; "
            "save it unprotected in the current format."
        )
    if not zipfile.is_zipfile(path):
        raise ParseError(f"The file is named as a {what} but is not one (not a zip archive).")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise ParseError(f"The {what} holds {len(entries)} parts; refusing a zip bomb.")
            if required not in {entry.filename for entry in entries}:
                raise ParseError(f"The file is a zip archive but not a {what}.")
            declared = sum(entry.file_size for entry in entries)
            if declared > max_bytes:
                raise ParseError(_too_big(what, declared, max_bytes))
            for entry in entries:
                if entry.compress_size and entry.file_size / entry.compress_size > MAX_RATIO:
                    raise ParseError(
                        f"The {what} compresses {entry.filename} {entry.file_size // max(entry.compress_size, 1)}"
                        f":1; refusing a likely zip bomb."
                    )
            # Declared sizes can lie: decompress in pieces and count what really comes out.
            actual = 0
            for entry in entries:
                with archive.open(entry) as member:
                    while piece := member.read(1 << 20):
                        actual += len(piece)
                        if actual > max_bytes:
                            raise ParseError(_too_big(what, actual, max_bytes))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise damaged(what, error) from None


def _too_big(what: str, size: int, limit: int) -> str:
    return (
        f"The {what} expands to more than {limit // (1024 * 1024)} MB "
        f"({size // (1024 * 1024)} MB or more); refusing a likely zip bomb."
    )
