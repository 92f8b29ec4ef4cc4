"""The lexical index of a store folder, kept in a file beside Chroma's database so that a new
process reads it (memory-mapped) instead of every meeting's postings.

The file holds the index's arrays and the meeting records it was built from, under the store's
change token of that moment. A reader uses it as the current index only when the token it reads
from the store is the file's; otherwise the file is a base to update (a version's postings never
change, so its arrays stay right for as long as a record names it). Nothing in the file is
trusted without checks: a JSON header (no pickle) whose shapes, offsets and bounds are verified
against the file; anything wrong and the file is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..lexical import LexicalIndex, Vocabulary
from ..models import MeetingRecord
from . import codec

if TYPE_CHECKING:
    import numpy as np

FILE = "synth-lexicon.bin"
MAGIC = b"synth-lexicon 1\n"
ALIGN = 8
# the arrays, in file order, with their type
ARRAYS = {
    "starts": "<i8",
    "lengths": "<i4",
    "term_offsets": "<i8",
    "term_blob": "|u1",
    "term_starts": "<i8",
    "passages": "<i4",
    "counts": "<i4",
}


class Saved(NamedTuple):
    """What a lexicon file holds: the change token it was written under, the meeting records
    (oldest first), how many passages the store held and the index of those records."""

    token: str | None
    records: list[MeetingRecord]
    passages: int
    lexical: LexicalIndex


def path_of(folder: str | Path) -> Path:
    return Path(folder) / FILE


def save(folder: str | Path, saved: Saved) -> None:
    """Write the file in one step (a temporary file renamed over it); a folder that cannot be
    written (a read-only backup) keeps no file."""
    index = saved.lexical
    arrays = {
        "starts": index.starts,
        "lengths": index.lengths,
        "term_offsets": index.vocabulary.offsets,
        "term_blob": index.vocabulary.blob,
        "term_starts": index.term_starts,
        "passages": index.passages,
        "counts": index.counts,
    }
    layout, offset = {}, 0
    for name, dtype in ARRAYS.items():
        layout[name] = [offset, len(arrays[name])]
        offset += _padded(len(arrays[name]) * _itemsize(dtype))
    header = json.dumps(
        {
            "token": saved.token,
            "passages": saved.passages,
            "versions": index.versions,
            "records": [codec.record_metadata(r) for r in saved.records],
            "arrays": layout,
        },
        separators=(",", ":"),
    ).encode()
    body_start = _padded(len(MAGIC) + 8 + len(header))
    target = path_of(folder)
    if not os.access(folder, os.W_OK):
        return
    temporary = target.with_name(f"{FILE}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        # private, as the database is: it holds the meetings' words
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(MAGIC + len(header).to_bytes(8, "little") + header)
            out.write(b"\0" * (body_start - out.tell()))
            for name, dtype in ARRAYS.items():
                data = arrays[name].astype(dtype, copy=False).tobytes()
                out.write(data + b"\0" * (_padded(len(data)) - len(data)))
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def load(folder: str | Path) -> Saved | None:
    """The file's contents, checked; None when there is no file or it does not hold together."""
    try:
        return _read(path_of(folder))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _read(path: Path) -> Saved | None:
    import numpy as np

    with open(path, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            return None
        header = json.loads(f.read(int.from_bytes(f.read(8), "little")))
        body_start = _padded(f.tell())
    size = path.stat().st_size
    arrays: dict[str, np.ndarray] = {}
    for name, dtype in ARRAYS.items():
        offset, length = (int(x) for x in header["arrays"][name])
        if offset < 0 or length < 0 or body_start + offset + length * _itemsize(dtype) > size:
            return None
        arrays[name] = (
            # a plain array over the mapped pages: np.memmap's own slicing costs more per call
            np.memmap(path, dtype=dtype, mode="r", offset=body_start + offset, shape=(length,)).view(np.ndarray)
            if length
            else np.zeros(0, dtype=dtype)
        )
    versions = [str(v) for v in header["versions"]]
    records = [codec.record_from_metadata(m) for m in header["records"]]
    if not _consistent(arrays, versions, records):
        return None
    index = LexicalIndex(
        versions,
        arrays["starts"],
        arrays["lengths"],
        Vocabulary(arrays["term_blob"], arrays["term_offsets"]),
        arrays["term_starts"],
        arrays["passages"],
        arrays["counts"],
    )
    token = header["token"]
    return Saved(str(token) if token is not None else None, records, int(header["passages"]), index)


def _consistent(arrays: dict[str, np.ndarray], versions: list[str], records: list[MeetingRecord]) -> bool:
    """Whether the arrays make an index of these records: every offset in bounds and in order."""
    import numpy as np

    starts, lengths, passages = arrays["starts"], arrays["lengths"], arrays["passages"]
    term_starts, term_offsets = arrays["term_starts"], arrays["term_offsets"]
    shapes = (
        len(starts) == len(versions) + 1
        and [r.version for r in records] == versions
        and len(term_offsets) == len(term_starts) >= 1
        and starts[0] == 0 == term_starts[0] == term_offsets[0]
        and starts[-1] == len(lengths)
        and term_starts[-1] == len(passages) == len(arrays["counts"])
        and term_offsets[-1] == len(arrays["term_blob"])
    )
    if not shapes:
        return False
    sizes = np.diff(starts)
    ordered = all(bool((np.diff(a) >= 0).all()) for a in (starts, term_starts, term_offsets))
    return (
        ordered
        and sizes.tolist() == [r.passages for r in records]
        and (not len(passages) or (int(passages.min()) >= 0 and int(passages.max()) < len(lengths)))
        and (not len(lengths) or int(lengths.min()) >= 0)
        and (not len(passages) or int(arrays["counts"].min()) >= 1)
    )


def _itemsize(dtype: str) -> int:
    return int(dtype[-1])


def _padded(n: int) -> int:
    return -(-n // ALIGN) * ALIGN
