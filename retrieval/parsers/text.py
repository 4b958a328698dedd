"""Decoding bytes that claim to be text, shared by the text-like formats."""

from __future__ import annotations

from retrieval.parsers import ParseError


def decode_text(data: bytes, *, what: str) -> str:
    """Bytes as text: UTF-8 (with or without BOM), else Windows-1252; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise ParseError(f"The file is named as {what} but contains binary data.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows-1252 is what older office tools write; it decodes almost any byte sequence.
        return data.decode("cp1252", errors="replace")
