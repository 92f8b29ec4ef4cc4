"""Writing an output file (`--out`) so that a reader never sees half of it, and so that synth
never replaces what it does not own: a symlink is written through to its target, a FIFO or a
terminal is written into as a stream, other special files are refused."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from .errors import SynthError


def write_atomic(path: Path, text: str, name: str | None = None) -> None:
    """Write `text` to `path` through a temporary file beside it and a rename: the file is the
    old one or the whole new one, never a part. `name` is how errors call the file.

    A symlink is followed (its target gets the new text, the link stays); a FIFO or a character
    device (a terminal, /dev/null) is written into as a stream; any other file that is not a
    regular file is refused. A file that exists keeps its permissions."""
    name = name or str(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise SynthError(f"{name}: cannot write ({exc.strerror or exc})") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise SynthError(f"{name}: is a folder; give a file name")
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
            _write_stream(target, text, name)
            return
        if not stat.S_ISREG(info.st_mode):
            raise SynthError(f"{name}: is not a regular file (a socket or block device); give a file name")
    _replace(target, text, name, info.st_mode if info is not None else None)


def _write_stream(target: Path, text: str, name: str) -> None:
    """A FIFO or a device: written into, never replaced."""
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise SynthError(f"{name}: cannot write ({exc.strerror or exc})") from None


def _replace(target: Path, text: str, name: str, mode: int | None) -> None:
    """A regular file (or none yet): a new file of a name no one else can have chosen (created
    exclusively, so a planted symlink is not followed), renamed over it."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    created = False
    try:
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        created = True
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        if mode is not None:
            os.chmod(tmp, stat.S_IMODE(mode))  # the file it replaces keeps its permissions
        os.replace(tmp, target)
        created = False
    except OSError as exc:
        raise SynthError(f"{name}: cannot write ({exc.strerror or exc})") from None
    finally:
        if created:
            tmp.unlink(missing_ok=True)
