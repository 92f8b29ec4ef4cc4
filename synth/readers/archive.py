"""Zip containers read safely: a .docx (a zip of XML parts) and a `.zip` export read like a folder.

Both go through the same limits, checked on the sizes the archive declares before anything is
decompressed (Python's zipfile never yields more than a member declares, so a member cannot
lie its way past them): at most MAX_MEMBERS entries, MAX_MEMBER_BYTES per member,
MAX_TOTAL_BYTES in all, and no member over 1 MiB that expands more than MAX_RATIO times.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..citations import ARCHIVE_SEPARATOR
from ..errors import InputError

MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200
# what a file over SYNTH_MAX_FILE_MB is told, whatever holds it
OVER_LIMIT = "more than the limit of {:g} MB per file (the setting SYNTH_MAX_FILE_MB raises it)"
_RATIO_FLOOR = 1024 * 1024  # small members may compress very well (a page of spaces); that is harmless


@dataclass(frozen=True)
class Member:
    """A file inside an archive: its path there, its size and its date."""

    name: str
    size: int
    mtime: float

    def source(self, archive: str) -> str:
        """How a citation names it: `export.zip!/path/in/zip`."""
        return f"{archive}{ARCHIVE_SEPARATOR}{self.name}"


def open_zip(data: bytes | Path, source: str, what: str = "zip archive", check: bool = True) -> zipfile.ZipFile:
    """Open a zip and check its limits; a broken or oversized archive is an InputError naming it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(source, f"is not a readable {what} ({exc})") from None
    if check:
        check_limits(archive, source)
    return archive


def check_limits(archive: zipfile.ZipFile, source: str) -> None:
    """Raise InputError when an archive would expand past the limits (a zip bomb, or simply too big)."""
    entries = archive.infolist()
    if len(entries) > MAX_MEMBERS:
        raise InputError(source, f"has {len(entries)} entries; synth reads archives of at most {MAX_MEMBERS}")
    total = 0
    for entry in entries:
        check_member(entry, source)
        total += entry.file_size
    if total > MAX_TOTAL_BYTES:
        raise InputError(
            source,
            f"expands to {total // (1024 * 1024)} MiB in all; the limit is {MAX_TOTAL_BYTES // (1024 * 1024)} MiB",
        )


def check_member(entry: zipfile.ZipInfo, source: str) -> None:
    """The limits of one member: its size, and how many times it expands."""
    if entry.file_size > MAX_MEMBER_BYTES:
        raise InputError(
            source,
            f"member {entry.filename!r} expands to {entry.file_size // (1024 * 1024)} MiB; "
            f"the limit is {MAX_MEMBER_BYTES // (1024 * 1024)} MiB per member",
        )
    if entry.file_size > _RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
        raise InputError(
            source,
            f"member {entry.filename!r} expands {entry.file_size // max(entry.compress_size, 1)} times "
            f"(more than {MAX_RATIO}): refusing a likely zip bomb",
        )


def check_expanded_size(data: bytes, source: str, limit: int) -> None:
    """Refuse a .docx (a zip of XML parts) whose members add up to more than `limit` bytes once
    decompressed, from the sizes its directory declares: nothing is decompressed to learn it."""
    with open_zip(data, source, ".docx file") as archive:
        total = sum(entry.file_size for entry in archive.infolist())
    if total > limit:
        raise InputError(source, f"expands to {total / 1e6:.1f} MB uncompressed, {OVER_LIMIT.format(limit / 1e6)}")


def list_members(path: Path, source: str) -> list[Member]:
    """The files of a zip export in their order, without folders, hidden files or macOS metadata."""
    with open_zip(path, source) as archive:
        members = []
        for entry in archive.infolist():
            name = entry.filename
            parts = PurePosixPath(name).parts
            if entry.is_dir() or not parts or any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue
            if name.startswith("/") or ".." in parts:
                continue  # a path that would climb out of the archive is never a meeting
            try:
                mtime = dt.datetime(*entry.date_time).timestamp()
            except ValueError:
                mtime = 0.0
            members.append(Member(name, entry.file_size, mtime))
        return members


def read_member(archive: Path | zipfile.ZipFile, name: str, source: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
    """One member's bytes, from the archive's path or from an archive already open (ingest keeps
    each archive open while it reads its members). The whole archive was checked when it was
    listed; this member's own limits are checked again, as the file may have changed since."""
    if isinstance(archive, zipfile.ZipFile):
        return _read_entry(archive, name, source, limit)
    with open_zip(archive, source.split(ARCHIVE_SEPARATOR)[0], check=False) as opened:
        return _read_entry(opened, name, source, limit)


def _read_entry(archive: zipfile.ZipFile, name: str, source: str, limit: int) -> bytes:
    try:
        entry = archive.getinfo(name)
        check_member(entry, source)
        if entry.file_size > limit:
            raise InputError(
                source, f"is {entry.file_size / 1e6:.1f} MB uncompressed, {OVER_LIMIT.format(limit / 1e6)}"
            )
        with archive.open(entry) as handle:
            return handle.read(MAX_MEMBER_BYTES + 1)
    except KeyError:
        raise InputError(source, "is no longer in the archive") from None
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        # a bad CRC, an unsupported compression method, an encrypted member
        raise InputError(source, f"cannot be read from the archive ({exc})") from None
