"""`synth watch`: keep the store current with folders of meeting notes.

File-system events (watchdog: inotify, FSEvents, ...; or polling, for network drives where events
do not arrive) mark a file as pending; a pending file is ingested once it has settled: no event
for `settle` seconds and the same size and modification time as at its last event, so a file
still being written is never read half-way. Settled files are ingested as one batch through
`Synth.ingest` (which extracts and checks, as `synth ingest` does) and the batch is told in one
line; a bad file gets its own line and the watcher goes on. A deleted file is reported, and with
`forget_deleted` its meeting is forgotten. Temporary and hidden files (`.x.swp`, `x.tmp`,
`x.part`, `~x`) are not meetings: a file renamed into place is ingested under its final name.

One watcher per store folder: `synth-watch.lock` in the folder, held with flock (released by the
system if the watcher dies) and naming the watcher's pid. This module sits with the CLI (a face):
it only calls `Synth`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .errors import ConfigError, SynthError
from .ingest import printable
from .readers import format_of

if TYPE_CHECKING:
    from .app import Synth
    from .models import IngestReport

LOCK_FILE = "synth-watch.lock"
TEMPORARY_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".swx", "~")


@dataclass
class Batch:
    """What one batch did: the files ingested, their report, the deletions seen (and forgotten)."""

    files: list[str] = field(default_factory=list)
    report: IngestReport | None = None
    deleted: list[str] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False

    def line(self) -> str:
        """The batch in one line (its bad files follow, one line each: see `error_lines`)."""
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        parts = []
        if self.files and self.report is not None:
            r = self.report
            insights = sum(r.insights.values())
            parts.append(
                f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}: {r.meetings} stored, "
                f"{r.unchanged} unchanged, {r.failed} failed; {insights} insights; "
                f"{r.new_flags} new flags ({r.open_flags} open)"
            )
        if self.deleted:
            gone = "forgotten" if self.forgotten else "still stored (--forget-deleted forgets them)"
            parts.append(f"{len(self.deleted)} deleted, {gone}: {', '.join(self.deleted)}")
        if self.interrupted:
            parts.append("stopped after the current file")
        return f"{stamp} " + "; ".join(parts or ["nothing to do"])

    def error_lines(self) -> list[str]:
        return [f"  error: {e}" for e in (self.report.errors if self.report else [])] + [
            f"  error: {e}" for e in self.errors
        ]


def is_candidate(path: Path) -> bool:
    """A file synth would read as a meeting: a known extension, not hidden, not a temporary file."""
    name = path.name
    if name.startswith((".", "~")) or name.lower().endswith(TEMPORARY_SUFFIXES):
        return False
    return format_of(path) is not None


class WatchLock:
    """The store's one watcher: an exclusive flock on STORE/synth-watch.lock, naming the pid."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK_FILE
        self._file: TextIO | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ConfigError(
                f"another synth watch is already watching {self.path.parent} ({holder}); one watcher per store"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, since {dt.datetime.now().replace(microsecond=0).isoformat()}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # the lock goes with the file
            self._file = None


class Stop(Exception):
    """Raised between two files of a batch when the watcher is asked to stop."""


class FolderWatcher:
    """Watches folders (or single files) and ingests what settles, through `Synth`."""

    def __init__(
        self,
        app: Synth,
        paths: list[str | Path],
        settle: float = 1.0,
        forget_deleted: bool = False,
        poll: bool = False,
        on_batch: Callable[[Batch], None] | None = None,
        poll_interval: float = 1.0,
        on_file: Callable[[str], None] | None = None,
    ):
        self.app = app
        self.roots = [Path(p).resolve() for p in paths]
        for root in self.roots:
            if not root.exists():
                raise ConfigError(f"{root}: no such folder or file to watch")
        if settle < 0:
            raise ConfigError("--settle must be 0 or more seconds")
        self.settle = settle
        self.forget_deleted = forget_deleted
        self.poll = poll
        self.poll_interval = poll_interval
        self.on_batch = on_batch
        self.on_file = on_file  # told each file as soon as it is stored (searchable), before extraction
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self._guard = threading.Lock()
        self._pending: dict[Path, tuple[float, tuple[int, int] | None]] = {}  # path -> (last event, its stat)
        self._deleted: set[Path] = set()
        self._ingested: dict[Path, tuple[int, int]] = {}  # path -> its stat when last ingested
        self._store = Path(app.settings.store).resolve()
        self.observer: Any = None
        self.mode = "polling" if poll else "events"

    # --- events ---------------------------------------------------------------------------------

    def _watched(self, path: Path) -> bool:
        if self._store == path or self._store in path.parents:
            return False
        if any(part.startswith(".") for part in path.parts[1:]):
            return False
        return any(root == path or (root.is_dir() and root in path.parents) for root in self.roots)

    def touched(self, path: str | Path) -> None:
        """A file was created, changed or moved here: ingest it once it has settled."""
        path = Path(path)
        if not (is_candidate(path) and self._watched(path)):
            return
        with self._guard:
            self._pending[path] = (time.monotonic(), _signature(path))
            self._deleted.discard(path)
        self.wake.set()

    def removed(self, path: str | Path) -> None:
        """A file was deleted or moved away."""
        path = Path(path)
        if not (is_candidate(path) and self._watched(path)):
            return
        with self._guard:
            self._pending.pop(path, None)
            self._deleted.add(path)
        self.wake.set()

    def start(self) -> None:
        """Start the observer (events, or polling when asked or when events cannot be had)."""
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.is_directory:
                    if event.event_type in ("created", "moved"):  # a folder moved in: its files are new
                        target = event.dest_path if event.event_type == "moved" else event.src_path
                        for child in _files_under(Path(os.fsdecode(target))):
                            watcher.touched(child)
                    return
                source = os.fsdecode(event.src_path)
                if event.event_type in ("created", "modified", "closed"):
                    watcher.touched(source)
                elif event.event_type == "deleted":
                    watcher.removed(source)
                elif event.event_type == "moved":
                    watcher.removed(source)
                    watcher.touched(os.fsdecode(event.dest_path))

        def schedule(observer: Any) -> None:
            for root in self.roots:
                folder = root if root.is_dir() else root.parent
                observer.schedule(Handler(), str(folder), recursive=root.is_dir())
            observer.start()

        if not self.poll:
            try:
                observer = Observer()
                schedule(observer)
                self.observer = observer
                return
            except OSError:  # no inotify watches left, or a file system without events
                self.mode = "polling (events unavailable)"
        observer = PollingObserver(timeout=self.poll_interval)
        schedule(observer)
        self.observer = observer

    def close(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=10)
            self.observer = None

    # --- batches --------------------------------------------------------------------------------

    def catch_up(self) -> Batch:
        """What changed while nobody watched: every file now (ingest skips the unchanged ones), and
        the stored meetings of these folders whose file is gone."""
        files = sorted({f for root in self.roots for f in _files_under(root) if is_candidate(f) and self._watched(f)})
        try:
            records = self.app.meetings()
        except SynthError:  # no store yet: nothing stored can be gone
            records = []
        present = {printable(str(f.resolve())) for f in files}  # as stored: odd names escaped
        with self._guard:
            for record in records:
                source = _resolved(record.source)
                if record.source in present or source is None:
                    continue
                if self._watched(source) and not source.exists():
                    self._deleted.add(source)
        return self._process(files)

    def due(self) -> list[Path]:
        """Pending files that have settled: quiet for `settle` seconds, same size and time as at
        their last event (else they are still being written, and wait again)."""
        now = time.monotonic()
        ready = []
        with self._guard:
            for path, (last, signature) in list(self._pending.items()):
                if now - last < self.settle:
                    continue
                current = _signature(path)
                if current is None:
                    del self._pending[path]  # gone before it settled: its deletion says so
                elif current != signature:
                    self._pending[path] = (now, current)  # written since its last event
                else:
                    del self._pending[path]
                    if self._ingested.get(path) != current:  # a late event of a file already read: nothing new
                        ready.append(path)
                        self._ingested[path] = current
        return sorted(ready)

    def _process(self, files: list[Path]) -> Batch:
        batch = Batch(files=[str(f) for f in files])
        with self._guard:
            deleted = sorted(p for p in self._deleted if not p.exists())
            self._deleted.clear()
            for path in deleted:
                self._ingested.pop(path, None)
            for path in files:
                if (signature := _signature(path)) is not None:
                    self._ingested.setdefault(path, signature)  # the catch-up's files
        if files:
            try:
                batch.report = self.app.ingest([str(f) for f in files], on_files=self._stop_between_files)
            except Stop:
                batch.interrupted = True
            except SynthError as exc:
                batch.errors.append(str(exc))
        if deleted:
            batch.deleted = [str(p) for p in deleted]
            self._forget(deleted, batch)
        return batch

    def _stop_between_files(self, files: list[Any]) -> Callable[[Any], None]:
        def after_each(item: Any) -> None:
            if self.on_file:
                self.on_file(item.source)
            if self.stop_event.is_set():
                raise Stop()

        return after_each

    def _forget(self, deleted: list[Path], batch: Batch) -> None:
        if not self.forget_deleted:
            return
        gone = set(deleted)
        gone_names = {printable(str(p)) for p in deleted}  # a stored name has its odd characters escaped
        try:
            records = self.app.meetings()
        except SynthError as exc:
            batch.errors.append(str(exc))
            return
        for record in records:
            if record.source in gone_names or _resolved(record.source) in gone:
                try:
                    self.app.forget(record.meeting_id)
                    batch.forgotten.append(record.meeting_id)
                except SynthError as exc:
                    batch.errors.append(str(exc))

    def _tell(self, batch: Batch) -> None:
        if self.on_batch:
            self.on_batch(batch)

    def run(self, max_batches: int | None = None, once: bool = False) -> int:
        """Catch up, then ingest what settles until stopped (`stop_event`, or `max_batches`
        batches after the catch-up). Returns how many batches ran, the catch-up included."""
        self._tell(self.catch_up())
        batches = 1
        if once:
            return batches
        tick = max(0.05, min(0.5, self.settle / 4 if self.settle else 0.05))
        while not self.stop_event.is_set() and (max_batches is None or batches <= max_batches):
            self.wake.wait(timeout=tick)
            self.wake.clear()
            ready = self.due()
            with self._guard:
                has_deletions = bool(self._deleted)
            if ready or has_deletions:
                self._tell(self._process(ready))
                batches += 1
        return batches

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _resolved(source: str) -> Path | None:
    if source.startswith("<"):
        return None
    with contextlib.suppress(OSError, RuntimeError):
        return Path(source).resolve()
    return None


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            yield Path(folder) / name
