"""Ingest: files -> meetings -> passages -> store, skipping what has not changed."""

from __future__ import annotations

import datetime as dt
import glob
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .chunker import chunk_meeting, embedding_text
from .errors import InputError, SynthError
from .lexical import build_postings
from .locking import owner_alive, owner_id, release_owner
from .models import IngestReport, Meeting, MeetingRecord
from .readers import EXTENSIONS, ReadOptions, content_hash, format_of, meeting_id_for, read_meeting
from .teams import FUNCTIONS

STDIN = "-"
PENDING_LEASE = dt.timedelta(hours=6)  # how long a pending write of another host's process is trusted


@dataclass
class SourceFile:
    """One thing to ingest: a path as the person wrote it, or standard input."""

    source: str
    path: Path | None  # None for standard input

    @property
    def identity(self) -> str:
        return str(self.path.resolve()) if self.path else "<stdin>"


def expand_paths(arguments: list[str], report: IngestReport, skip: Path | None = None) -> list[SourceFile]:
    """Files, directories (recursively, hidden ones skipped), globs and '-' for standard input.

    A path that does not exist is an error line; in directories, files of other types are
    counted as ignored (and listed with -v).
    """
    found: list[SourceFile] = []
    seen: set[str] = set()
    skip_resolved = skip.resolve() if skip else None

    def add(path: Path, source: str) -> None:
        key = str(path.resolve())
        if key not in seen:
            seen.add(key)
            found.append(SourceFile(source, path))

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
                            report.warnings.append(f"{child}: ignored (synth reads {', '.join(sorted(EXTENSIONS))})")
            elif path.exists() or path.is_symlink():
                add(path, match)
            else:
                report.errors.append(f"{match}: no such file or directory")
                report.failed += 1
    return found


class Ingestor:
    """Stores meetings: the embedder and the store are given, so tests and benchmarks share them."""

    def __init__(self, store, embedder, options: ReadOptions):
        self.store = store
        self.embedder = embedder
        self.options = options
        self._versions = {r.meeting_id: r.version for r in store.meeting_records()}
        self.stored: list[tuple[Meeting, MeetingRecord]] = []  # what this run stored, for extraction

    def ingest(
        self,
        files: list[SourceFile],
        report: IngestReport,
        progress: Callable[[SourceFile], None] | None = None,
        stdin: bytes | None = None,
    ) -> IngestReport:
        """Ingest each file; a bad file is reported and the rest go on."""
        if files:
            self._finish_interrupted()
        for item in files:
            report.files += 1
            try:
                self._ingest_one(item, report, stdin)
            except InputError as exc:
                report.failed += 1
                report.errors.append(str(exc))
            except OSError as exc:
                report.failed += 1
                report.errors.append(f"{item.source}: cannot read ({exc.strerror or exc})")
            if progress:
                progress(item)
        return report

    def _finish_interrupted(self) -> None:
        """Remove what an ingest that died (killed, crashed, lost its server) wrote but never
        committed: the passages of a version no meeting record names."""
        for entry in self.store.pending_writes():
            if self._alive(entry):
                continue
            meeting_id, version = entry["meeting_id"], entry["version"]
            if self.store.meeting_version(meeting_id) != version:
                self.store.remove_version(meeting_id, version)
            else:  # it died after its commit: its old versions are left to remove
                self._remove_old_versions(meeting_id, version, entry["owner"])
            self.store.unmark_pending(meeting_id, version)

    def _remove_old_versions(self, meeting_id: str, version: str, owner: str) -> None:
        """The passages and insights of a meeting's versions before `version`, unless another
        live process is writing one (a server with several writers)."""
        writing = tuple(
            e["version"]
            for e in self.store.pending_writes()
            if e["meeting_id"] == meeting_id and e["owner"] != owner and self._alive(e)
        )
        self.store.remove_stale_passages(meeting_id, version, also_keep=writing)
        self.store.remove_stale_insights(meeting_id, None)

    def _alive(self, entry: dict) -> bool:
        """Whether the process that recorded a pending write may still be writing it. On an
        embedded store this process is the only writer; on a server, a process on this host is
        asked, and one elsewhere is trusted for PENDING_LEASE."""
        if not self.store.server:
            return False
        alive = owner_alive(entry["owner"])
        if alive is None:
            started = dt.datetime.fromisoformat(entry["started"])
            return dt.datetime.now(dt.UTC) - started < PENDING_LEASE
        return alive

    def _ingest_one(self, item: SourceFile, report: IngestReport, stdin: bytes | None) -> None:
        if item.path is None:
            data = stdin if stdin is not None else sys.stdin.buffer.read()
            fmt, mtime = "sniff", None
        else:
            fmt = format_of(item.path)
            if fmt is None:
                raise InputError(
                    item.source,
                    f"unsupported file type {item.path.suffix or '(no extension)'!r}; "
                    f"synth reads {', '.join(sorted(EXTENSIONS))}",
                )
            if item.path.is_dir():
                raise InputError(item.source, "is a directory")
            data = item.path.read_bytes()
            mtime = item.path.stat().st_mtime
            # Unchanged: same id and same content hash. No parse, no embedding.
            meeting_id = meeting_id_for(item.identity, item.path.stem)
            if self._versions.get(meeting_id) == content_hash(data, self.options, meeting_id):
                report.unchanged += 1
                return
        meeting = read_meeting(
            data, item.source, self.options, identity=item.identity, fmt=fmt, mtime=mtime, warnings=report.warnings
        )
        if self._versions.get(meeting.meeting_id) == meeting.content_hash or (
            self.store.server and self.store.meeting_version(meeting.meeting_id) == meeting.content_hash
        ):
            report.unchanged += 1  # (on a server, another process may have stored it meanwhile)
            return
        count = self.store_meeting(meeting)
        report.meetings += 1
        report.passages += count
        report.stored.append(meeting.meeting_id)

    def store_meeting(self, meeting: Meeting) -> int:
        """Write a meeting's new version, commit it, then drop the old one. Returns passages stored."""
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
        vectors = self.embedder.embed([embedding_text(p.text) for p in passages] + [meeting.title])
        # Recorded before writing, so a later run can remove what an interruption leaves behind.
        # One turn of the data lock for the whole meeting: searches wait for one meeting at most.
        owner = owner_id()
        try:
            with self.store.changing():
                self.store.mark_pending(meeting.meeting_id, meeting.content_hash, owner)
                self.store.write_passages(passages, vectors[:-1], record)
                self.store.commit_meeting(record, build_postings([p.text for p in passages]), vectors[-1])
                # Old versions go, unless another process committed another one meanwhile (its
                # clean-up decides) or is writing one now (a server with several writers).
                if self.store.meeting_version(meeting.meeting_id) == meeting.content_hash:
                    self._remove_old_versions(meeting.meeting_id, meeting.content_hash, owner)
                self.store.unmark_pending(meeting.meeting_id, meeting.content_hash)
        finally:
            release_owner(owner)  # an abandoned write is left to the clean-up
        self._versions[meeting.meeting_id] = meeting.content_hash
        self.stored.append((meeting, record))
        return len(passages)


def parse_date_option(value: str | dt.date | None, what: str = "--date") -> dt.date | None:
    """A YYYY-MM-DD option value, or a clear error. A date is returned as it is: the CLI parses
    dates now, and the brief and report still call this until they take dates."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SynthError(f"{what} {value!r} is not a date: write YYYY-MM-DD") from None
