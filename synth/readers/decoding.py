"""Bytes to text: UTF-8, UTF-8 with BOM, UTF-16 with BOM, then cp1252 with a warning."""

from __future__ import annotations

import codecs

from ..errors import InputError


def decode_text(data: bytes, source: str) -> tuple[str, list[str]]:
    """Decode a file's bytes; return the text and any warnings.

    Raises InputError for an empty file, a binary file, or bytes no supported encoding reads.
    """
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(source, f"has a UTF-16 byte order mark but is not valid UTF-16 ({exc.reason})") from exc
    else:
        if b"\x00" in data[:8192]:
            raise InputError(source, "is a binary file, not text (it contains NUL bytes)")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise InputError(source, "is not valid UTF-8, UTF-16 or cp1252 text", line=line) from None
            warnings.append(f"{source}:{line}: not valid UTF-8; read as cp1252 (Windows-1252)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(source, "is empty")
    if _looks_binary(text):
        raise InputError(source, "is a binary file, not text (too many control characters)")
    return text, warnings


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\t\f\v")
    return controls > max(8, len(sample) // 100)
