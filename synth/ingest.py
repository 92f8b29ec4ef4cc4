"""Ingest: files -> meetings -> passages -> store, skipping what has not changed."""

from __future__ import annotations

import datetime as dt
import errno
import glob
import os
import random
import stat
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .chunker import chunk_meeting, embedding_text
from .citations import ARCHIVE_SEPARATOR
from .errors import InputError, SynthError
from .lexical import build_postings
from .models import IngestReport, Meeting, MeetingRecord, Passage
from .readers import EXTENSIONS, ReadOptions, content_hash, format_of, meeting_id_for, read_meeting
from .readers.archive import OVER_LIMIT, check_expanded_size, list_members, open_zip, read_member
from .redact import shortened
from .store.locking import owner_id, release_owner
from .teams import FUNCTIONS
from .text import escaped_name

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .store import Store

STDIN = "-"
EMBED_SPAN = 256  # texts embedded in one call when a folder is ingested (several meetings' passages)
MAX_FILE_BYTES = 20_000_000  # the default limit per file (Settings.max_file_mb)


@dataclass
class SourceFile:
    """One thing to ingest: a path as the person wrote it, or standard input."""

    source: str
    path: Path | None  # None for standard input; the archive for a member of a zip
    member: str | None = None  # the path inside the zip archive
    member_mtime: float | None = None

    @property
    def identity(self) -> str:
        if self.path is None:
            return "<stdin>"
        if self.member is not None:
            return f"{_resolved(self.path)}{ARCHIVE_SEPARATOR}{self.member}"
        return _resolved(self.path)

    @property
    def name(self) -> PurePosixPath | Path | None:
        """The file's own name (a member's path inside its archive)."""
        return PurePosixPath(self.member) if self.member is not None else self.path


@dataclass
class Prepared:
    """A meeting read and chunked, waiting for its vectors."""

    meeting: Meeting
    record: MeetingRecord
    passages: list[Passage]
    texts: list[str]  # what is embedded: each passage's embedding text, then the title


def printable(name: str) -> str:
    """A path as text that can be printed and stored: bytes of a name that are not UTF-8 (kept by
    Python as lone surrogates) shown as \\xNN, control characters as escapes (`a\\nb.md`)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return escaped_name(name)


def _resolved(path: Path) -> str:
    """The absolute path with symlinks followed; a symlink loop is a read error of its file."""
    try:
        return str(path.resolve())
    except RuntimeError:  # Python 3.11 says "Symlink loop" this way; later ones raise OSError
        raise OSError(errno.ELOOP, "too many levels of symbolic links") from None


def describe_failure(exc: BaseException) -> str:
    """An unexpected failure while reading one file, in a few words (the file is named by the caller)."""
    if isinstance(exc, RecursionError):
        return "it is nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "it needs more memory than there is"
    text = shortened(str(exc).splitlines()[0], 200) if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def expand_paths(arguments: list[str], report: IngestReport, skip: Path | None = None) -> list[SourceFile]:
    """Files, directories (recursively, hidden ones skipped), globs and '-' for standard input.

    A path that does not exist is an error line; in directories, files of other types are
    counted as ignored (and listed with -v).
    """
    found: list[SourceFile] = []
    seen: set[str] = set()
    skip_resolved = skip.resolve() if skip else None

    def add(path: Path, source: str) -> None:
        source = printable(source)
        try:
            key = _resolved(path)
            if key in seen:
                return
            seen.add(key)
            if format_of(path) == "zip" and path.is_file():
                add_members(path, source)
                return
        except Exception as exc:  # one path that cannot be looked at is that path's failure line
            report.errors.append(f"{source}: cannot be read ({_reason(exc)})")
            report.failed += 1
            return
        found.append(SourceFile(source, path))

    def add_members(path: Path, source: str) -> None:
        """A zip export read like a folder: each member a file of its own, cited archive!/member."""
        try:
            members = list_members(path, source)
        except InputError as exc:
            report.errors.append(str(exc))
            report.failed += 1
            return
        for member in members:
            kind = format_of(PurePosixPath(member.name))
            if kind is None or kind == "zip":
                report.ignored += 1
                why = (
                    "archives inside archives are not read"
                    if kind == "zip"
                    else f"synth reads {', '.join(sorted(EXTENSIONS))}"
                )
                report.warnings.append(f"{printable(member.source(source))}: ignored ({why})")
                continue
            shown = printable(member.source(source))  # a member's name may hold a newline too
            found.append(SourceFile(shown, path, member=member.name, member_mtime=member.mtime))

    for argument in arguments:
        if argument == STDIN:
            found.append(SourceFile("<stdin>", None))
            continue
        matches = sorted(glob.glob(argument, recursive=True)) if glob.has_magic(argument) else [argument]
        if not matches:
            report.errors.append(f"{argument}: no file matches this pattern")
            report.failed += 1
            continue
        for match in matches:
            path = Path(match)
            if path.is_dir():
                for root, dirs, files in os.walk(path):
                    root_path = Path(root)
                    dirs[:] = sorted(
                        d
                        for d in dirs
                        if not d.startswith(".")
                        and (skip_resolved is None or (root_path / d).resolve() != skip_resolved)
                    )
                    for name in sorted(files):
                        if name.startswith("."):
                            continue
                        child = root_path / name
                        if format_of(child):
                            add(child, str(child))
                        else:
                            report.ignored += 1
                            report.warnings.append(
                                f"{printable(str(child))}: ignored (synth reads {', '.join(sorted(EXTENSIONS))})"
                            )
            elif path.exists() or path.is_symlink():
                add(path, match)
            else:
                report.errors.append(f"{printable(match)}: no such file or directory")
                report.failed += 1
    return found


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return describe_failure(exc)


def _open_without_blocking(path: str, flags: int) -> int:
    """Open without waiting for a writer (a FIFO), so that its kind can be checked first."""
    return os.open(path, flags | os.O_NONBLOCK)


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))
    return next((name for test, name in kinds if test(mode)), "a socket or special file")


def _too_large(size: int, limit: int) -> str:
    return f"is {size / 1e6:.1f} MB, " + OVER_LIMIT.format(limit / 1e6)


CLAIM_TRIES = 5  # times a worker on a server marks its claim when another marks the same meeting at once
CLAIM_BACKOFF = (0.05, 0.25)  # seconds (range, times the try) a worker waits after stepping back


class Ingestor:
    """Stores meetings: the embedder and the store are given, so tests and benchmarks share them.
    The store's meetings repository writes each one (see store/meetings.py for the protocol)."""

    def __init__(self, store: Store, embedder: Embedder, options: ReadOptions, max_bytes: int = MAX_FILE_BYTES):
        self.max_bytes = max_bytes  # a file larger than this is refused before it is read
        self.store = store
        self.embedder = embedder
        self.options = options
        self._versions = {r.meeting_id: r.version for r in store.meetings.records()}
        self.stored: list[tuple[Meeting, MeetingRecord]] = []  # what this run stored, for extraction
        self._claims: dict[tuple[str, str], str] = {}  # (meeting, version) -> this run's claim's owner
        self._archives: dict[Path, zipfile.ZipFile] = {}  # zip exports open while their members are read

    def ingest(
        self,
        files: list[SourceFile],
        report: IngestReport,
        progress: Callable[[SourceFile], None] | None = None,
        stdin: bytes | None = None,
    ) -> IngestReport:
        """Ingest each file; a bad file is reported and the rest go on.

        Meetings are read until they hold about EMBED_SPAN passages, embedded together (the
        model works in batches of similar length, which files of their own would leave
        half-full), then stored and committed one meeting at a time, as alone."""
        if files:
            self.store.meetings.finish_interrupted()
        waiting: list[Prepared] = []
        read: list[SourceFile] = []  # files read since the last store, told to `progress` once stored
        try:
            for item in files:
                report.files += 1
                meeting = self._read_safely(item, report, stdin)
                if meeting is not None and self._claim(meeting, report):
                    waiting.append(self.prepare(meeting))
                read.append(item)
                if sum(len(w.texts) for w in waiting) >= EMBED_SPAN:
                    self._store_waiting(waiting, read, report, progress)
            self._store_waiting(waiting, read, report, progress)
        finally:
            for archive in self._archives.values():
                archive.close()
            self._archives.clear()
            self._drop_claims()
        return report

    def _read_safely(self, item: SourceFile, report: IngestReport, stdin: bytes | None) -> Meeting | None:
        """The file's meeting; None when it is unchanged or cannot be read (then a failure line).
        Whatever goes wrong while reading one file is that file's failure line (by file, not by
        kind of exception); what goes wrong while storing it is the store's, and stops the batch
        (a full disk does not get better at the next file)."""
        try:
            return self._read_one(item, report, stdin)
        except InputError as exc:
            report.errors.append(str(exc))
        except Exception as exc:
            report.errors.append(f"{item.source}: cannot be read ({_reason(exc)})")
        report.failed += 1
        return None

    def _claim(self, meeting: Meeting, report: IngestReport) -> bool:
        """On a Chroma server, where several synth processes may ingest the same folder (workers
        draining one queue), take a meeting version before embedding it: False, and a line,
        when another live process took it first. The claim is a pending-write record of this
        writer's own, which storing the version keeps until it is committed and then removes
        (see store/meetings.py); a claim of a process that died is cleared by the next ingest,
        like any interrupted write.

        Each writer marks its own record, then looks: it goes on only if it sees no other live
        claim. Of two that mark at once at most one goes on: the store orders the writes, so the
        later to mark sees the earlier's mark, which stays until that one has committed (and then
        the version is stored: the later counts it unchanged). When both see each other, both
        step back and try again after a random pause."""
        if not self.store.server:
            return True  # an embedded store has one writer at a time (the writer lock)
        meetings, key = self.store.meetings, (meeting.meeting_id, meeting.content_hash)
        left = f"{meeting.source}: another synth is storing this meeting now; left to it"
        for attempt in range(CLAIM_TRIES):
            if self._claimed_by_another(key):
                report.warnings.append(left)
                return False
            owner = owner_id()
            meetings.mark_pending(*key, owner)
            if not self._claimed_by_another(key, owner):
                break
            meetings.unmark_pending(*key, owner)
            release_owner(owner)
            time.sleep(random.uniform(*CLAIM_BACKOFF) * (attempt + 1))
        else:
            report.warnings.append(f"{meeting.source}: other synth processes kept claiming this meeting; left to them")
            return False
        # another process may have stored it, and dropped its claim, since this one read the file:
        # a writer commits before it drops its claim, so past our own claim the commit is visible
        if meetings.version_of(meeting.meeting_id) == meeting.content_hash:
            meetings.unmark_pending(*key, owner)
            release_owner(owner)
            report.unchanged += 1
            return False
        self._claims[key] = owner
        return True

    def _drop_claims(self) -> None:
        """Let go of the claims of meetings this run did not store (it stopped on an error): a
        long-lived process (`synth watch`) would otherwise keep them from every other worker."""
        claims, self._claims = self._claims, {}
        for (meeting_id, version), owner in claims.items():
            try:
                self.store.meetings.unmark_pending(meeting_id, version, owner)
            except SynthError:
                pass  # the store is unreachable: the claim's owner is let go below, so it reads as dead
            finally:
                release_owner(owner)

    def _claimed_by_another(self, key: tuple[str, str], mine: str | None = None) -> bool:
        """Whether a live process other than `mine` holds the pending write of this meeting version."""
        meetings = self.store.meetings
        return any(
            (e.meeting_id, e.version) == key and e.owner != mine and meetings._alive(e)
            for e in meetings.pending_writes()
        )

    def _store_waiting(
        self,
        waiting: list[Prepared],
        read: list[SourceFile],
        report: IngestReport,
        progress: Callable[[SourceFile], None] | None,
    ) -> None:
        """Embed the waiting meetings in one call, then store each; empties both lists."""
        vectors = self.embedder.embed([text for w in waiting for text in w.texts])
        start = 0
        for prepared in waiting:
            self._write(prepared, vectors[start : start + len(prepared.texts)])
            start += len(prepared.texts)
            report.meetings += 1
            report.passages += len(prepared.passages)
            report.stored.append(prepared.record.meeting_id)
        if progress:
            for item in read:
                progress(item)
        waiting.clear()
        read.clear()

    def _archive(self, path: Path, source: str) -> zipfile.ZipFile:
        """A zip export, opened once for all its members (its limits were checked when listed)."""
        if path not in self._archives:
            self._archives[path] = open_zip(path, source.split(ARCHIVE_SEPARATOR)[0], check=False)
        return self._archives[path]

    def _read_one(self, item: SourceFile, report: IngestReport, stdin: bytes | None) -> Meeting | None:
        """The file's meeting, or None when it is stored already and unchanged."""
        if item.path is None:
            data = stdin if stdin is not None else sys.stdin.buffer.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:
                raise InputError(item.source, "holds " + OVER_LIMIT.format(self.max_bytes / 1e6))
            fmt, mtime = "sniff", None
        else:
            name = item.name
            assert name is not None
            found = format_of(Path(name.name))
            if found is None:
                raise InputError(
                    item.source,
                    f"unsupported file type {name.suffix or '(no extension)'!r}; "
                    f"synth reads {', '.join(sorted(EXTENSIONS))}",
                )
            if item.path.is_dir():
                raise InputError(item.source, "is a directory")
            fmt = found
            if item.member is not None:
                data = read_member(self._archive(item.path, item.source), item.member, item.source, self.max_bytes)
                mtime = item.member_mtime
            else:
                data, mtime = self._read_file(item)
            if fmt == "docx":  # its parts decompressed count against the limit, checked before any is
                check_expanded_size(data, item.source, self.max_bytes)
            # Unchanged: same id and same content hash. No parse, no embedding.
            meeting_id = meeting_id_for(item.identity, name.stem)
            if self._versions.get(meeting_id) == content_hash(data, self.options, meeting_id):
                report.unchanged += 1
                return None
        meeting = read_meeting(
            data, item.source, self.options, identity=item.identity, fmt=fmt, mtime=mtime, warnings=report.warnings
        )
        if self._versions.get(meeting.meeting_id) == meeting.content_hash or (
            self.store.server and self.store.meetings.version_of(meeting.meeting_id) == meeting.content_hash
        ):
            report.unchanged += 1  # (on a server, another process may have stored it meanwhile)
            return None
        return meeting

    def _read_file(self, item: SourceFile) -> tuple[bytes, float]:
        """A regular file's bytes and time, read only when it is one and not larger than the limit:
        a FIFO would wait forever (holding the writer lock), /dev/zero never ends."""
        assert item.path is not None
        with open(item.path, "rb", opener=_open_without_blocking) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputError(item.source, f"is {_file_kind(info.st_mode)}, not a regular file; skipped")
            if info.st_size > self.max_bytes:
                raise InputError(item.source, _too_large(info.st_size, self.max_bytes))
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:  # it grew while being read
            raise InputError(item.source, _too_large(len(data), self.max_bytes))
        return data, info.st_mtime

    def store_meeting(self, meeting: Meeting) -> int:
        """Write a meeting's new version, commit it, then drop the old one. Returns passages stored."""
        prepared = self.prepare(meeting)
        self._write(prepared, self.embedder.embed(prepared.texts))
        return len(prepared.passages)

    def prepare(self, meeting: Meeting) -> Prepared:
        """A meeting's passages, record and the texts to embed (its passages, then its title)."""
        passages = chunk_meeting(meeting)
        speakers = list(dict.fromkeys(t.speaker for t in meeting.turns if t.speaker))
        teams = sorted(
            {meeting.speaker_teams.get(s, "unknown") for s in speakers} | ({meeting.team} if meeting.team else set())
        )
        record = MeetingRecord(
            meeting_id=meeting.meeting_id,
            title=meeting.title,
            date=meeting.date.isoformat(),
            team=meeting.team,
            attendees=meeting.attendees,
            speakers=speakers,
            teams=[t for t in teams if t in FUNCTIONS],
            speaker_teams=meeting.speaker_teams,
            source=meeting.source,
            format=meeting.format,
            version=meeting.content_hash,
            passages=len(passages),
            turns=len(meeting.turns),
            ingested_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        )
        texts = [embedding_text(p.text) for p in passages] + [meeting.title]
        return Prepared(meeting, record, passages, texts)

    def _write(self, prepared: Prepared, vectors: list[list[float]]) -> None:
        """Store one prepared meeting with its vectors (one per text): one commit of its own."""
        record, passages = prepared.record, prepared.passages
        owner = self._claims.pop((record.meeting_id, record.version), None)
        self.store.meetings.write_version(
            record, passages, vectors[:-1], build_postings([p.text for p in passages]), vectors[-1], owner=owner
        )
        self._versions[record.meeting_id] = record.version
        self.stored.append((prepared.meeting, record))


def parse_date_option(value: str | dt.date | None, what: str = "--date") -> dt.date | None:
    """A YYYY-MM-DD option value, or a clear error. A date is returned as it is: the CLI parses
    dates now, and the brief and report still call this until they take dates."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SynthError(f"{what} {value!r} is not a date: write YYYY-MM-DD") from None
