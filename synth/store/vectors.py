"""The insights' statement vectors of a store folder, kept in a file beside Chroma's database so
that the check and the digest of one new meeting read every insight's vector in one step
instead of asking Chroma for each (8,530 vectors at 300 meetings: 0.3 to 0.5 s from Chroma).

An extraction run's vectors never change (a new extraction is a new run), so the file is a
sequence of blocks, one per run: its insights' stored ids and their vectors. A block is
appended when a run is first read with its vectors, and is used only when its ids are exactly
the run's (its pack's) and its checksum holds; anything else is read from Chroma as before. The
file is rewritten without the runs no meeting shows any more when they are most of it, and
removed when a meeting is forgotten. Nothing in it is trusted without checks: a JSON header per
block (no pickle), its shape and checksum verified; a block that does not hold together ends
the read (what follows it is read from Chroma, and the next writer cuts it off).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

FILE = "synth-vectors.bin"
MAGIC = b"synth-vectors 1\n"
ALIGN = 8


class Block(NamedTuple):
    """One run's vectors: its insights' stored ids and a float32 row for each, in that order."""

    ids: list[str]
    vectors: npt.NDArray[np.float32]


class Kept(NamedTuple):
    """What the file holds: the runs' blocks by run (a later block of a run replaces an
    earlier one), and where the last whole block ends (0: no file, or not one of ours)."""

    blocks: dict[str, Block]
    end: int


def path_of(folder: str | Path) -> Path:
    return Path(folder) / FILE


def load(folder: str | Path) -> Kept:
    """What the file holds; nothing when there is no file or it cannot be read."""
    try:
        with open(path_of(folder), "rb") as f:
            # one buffer, writable (rows as Chroma gives them), that every block's rows view
            data = bytearray(os.fstat(f.fileno()).st_size)
            del data[f.readinto(data) :]  # a file cut short meanwhile: what was read
    except OSError:
        return Kept({}, 0)
    blocks, end = _blocks(data)
    return Kept(dict(blocks), end)


def _blocks(data: bytes | bytearray) -> tuple[list[tuple[str, Block]], int]:
    """The whole blocks of a file's bytes that hold together, and where the last of them ends."""
    import numpy as np

    if not data.startswith(MAGIC):
        return [], 0
    found: list[tuple[str, Block]] = []
    at = end = len(MAGIC)
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 8], "little")
        try:
            header = json.loads(data[at + 8 : at + 8 + size])
            run, ids, dim, crc = str(header["run"]), [str(i) for i in header["ids"]], int(header["dim"]), header["crc"]
        except (ValueError, KeyError, TypeError):
            break
        start = _padded(at + 8 + size)
        stop = start + 4 * dim * len(ids)
        if dim <= 0 or stop > len(data) or zlib.crc32(data[start:stop]) != crc:
            break
        found.append(
            (run, Block(ids, np.frombuffer(data, dtype="<f4", count=dim * len(ids), offset=start).reshape(-1, dim)))
        )
        at = end = _padded(stop)
    return found, end


def append(folder: str | Path, blocks: dict[str, Block], keep: set[str] | None = None, end: int = 0) -> None:
    """Add `blocks` to the file. `keep`: the runs every meeting shows now, when the file holds
    more runs outside it than in it: it is written again with only those (and `blocks`).
    `end`: where the reader found the whole blocks to end (`Kept.end`): when the file still
    ends there, the blocks are added without reading it again. A folder that cannot be written
    (a read-only backup) keeps no file; a failure leaves the file as it was or a tail the next
    read stops at."""
    if not blocks and keep is None:
        return
    target = path_of(folder)
    if not os.access(folder, os.W_OK):
        return
    # private, as the database is; one writer at a time (readers of a folder may append too)
    with contextlib.suppress(OSError), os.fdopen(os.open(target, os.O_RDWR | os.O_CREAT, 0o600), "r+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        if keep is None and end and os.fstat(f.fileno()).st_size == end:
            f.seek(end)
            f.write(b"".join(_encoded(run, block) for run, block in blocks.items()))
            return
        data = f.read()
        held, end = _blocks(data)
        if keep is not None:
            _rewrite(target, [(r, b) for r, b in held if r in keep and r not in blocks] + list(blocks.items()))
            return
        if not blocks:
            return
        f.seek(end if end else 0)
        f.truncate()
        f.write((b"" if end else MAGIC) + b"".join(_encoded(run, block) for run, block in blocks.items()))


def _rewrite(target: Path, blocks: list[tuple[str, Block]]) -> None:
    temporary = target.with_name(f"{FILE}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(MAGIC + b"".join(_encoded(run, block) for run, block in blocks))
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def remove(folder: str | Path) -> None:
    """Remove the file (a meeting forgotten: its ids name it)."""
    with contextlib.suppress(OSError):
        path_of(folder).unlink(missing_ok=True)


def _encoded(run: str, block: Block) -> bytes:
    import numpy as np

    rows = np.ascontiguousarray(block.vectors, dtype="<f4")
    data = rows.tobytes()
    header = json.dumps(
        {"run": run, "ids": block.ids, "dim": int(rows.shape[1]) if rows.ndim == 2 else 0, "crc": zlib.crc32(data)},
        separators=(",", ":"),
    ).encode()
    head = len(header).to_bytes(8, "little") + header
    return head + b"\0" * (_padded(len(head)) - len(head)) + data + b"\0" * (_padded(len(data)) - len(data))


def _padded(n: int) -> int:
    return -(-n // ALIGN) * ALIGN
