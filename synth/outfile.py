"""Writing an output file (`--out`) so that a reader never sees half of it."""

from __future__ import annotations

from pathlib import Path

from .errors import SynthError


def write_atomic(path: Path, text: str, name: str | None = None) -> None:
    """Write `text` to `path` through a temporary file beside it and a rename: the file is the
    old one or the whole new one, never a part. `name` is how errors call the file."""
    name = name or str(path)
    if path.is_dir():
        raise SynthError(f"{name}: is a folder; give a file name")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SynthError(f"{name}: cannot write ({exc.strerror or exc})") from None
