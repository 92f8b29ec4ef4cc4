"""Taking turns on an embedded store, across processes.

Chroma's embedded store is not safe for several processes at once: a process that reads while
another writes gets errors ("Error finding id"), and a process keeps what it loaded when it
opened the store. So every process of a store takes locks (`fcntl.flock` on files in the store
folder, released by the system when a process dies, even by SIGKILL):

- the writer lock, held by a command that changes the store (ingest, extract, check, ...) from
  before it opens the store until it ends: writers take turns, and each opens the store after
  the previous one finished, so it sees everything that one wrote;
- the data lock, which a reading command holds shared from before it opens the store until it
  ends (so it sees one state of the store), and a writer holds exclusively only while it writes
  (one meeting at a time), so searches run between a writer's meetings;
- a turnstile that a writer holds while it waits for the data lock, so a stream of searches
  cannot keep a writer waiting forever;
- a long-reader mark: a reader that has held the data lock for LONG_AFTER seconds (the facts of
  a brief or a report on a large store) also holds this lock shared. A writer that finds one
  inside does not hold the turnstile while it waits for it, so searches that start meanwhile
  pass the waiting writer and the long reader instead of waiting for both; the writer takes the
  turnstile again when the long readers are gone, or after YIELD_FOR seconds at most.

A Chroma server needs none of this: the server orders the requests, and synth's writes are
made safe for concurrent processes by the store's commit protocol (see meetings.py).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import fcntl
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

WRITER_FILE = "synth-writer.lock"
DATA_FILE = "synth-data.lock"
TURN_FILE = "synth-turn.lock"
LONG_FILE = "synth-long.lock"
LONG_AFTER = 0.5  # seconds a reader holds the data lock before it counts as a long reader
YIELD_FOR = 60.0  # seconds at most a waiting writer lets new readers pass long readers
POLL = 0.02  # seconds between a waiting writer's tries
GENERATION_FILE = "synth-generation"

_registry: dict[str, StoreLocks] = {}
_registry_guard = threading.Lock()


_active_owners: set[str] = set()


def owner_id() -> str:
    """A new writer in this process, as pending writes record it: host, process id and a
    number; `release_owner` says it finished."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _active_owners.add(owner)
    return owner


def release_owner(owner: str) -> None:
    _active_owners.discard(owner)


def owner_alive(owner: str) -> bool | None:
    """Whether the writer named by `owner_id()` may still be writing; None when it is a process
    on another host (no way to ask)."""
    host, pid, _ = (owner.split(":") + ["", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return None
    if int(pid) == os.getpid():
        return owner in _active_owners
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def for_store(folder: Path) -> StoreLocks:
    """The locks of a store folder; one object per folder in a process, so that two parts of one
    command never wait for each other."""
    key = str(Path(folder).resolve())
    with _registry_guard:
        if key not in _registry:
            _registry[key] = StoreLocks(Path(key))
        return _registry[key]


@atexit.register
def _close_lock_files() -> None:
    """At exit, close the lock files (their locks would go with the process anyway), so that
    Python does not report them as unclosed files."""
    with _registry_guard:
        for locks in _registry.values():
            for handle in locks._files.values():
                handle.close()
            locks._files.clear()


def wrote_in_this_process() -> bool:
    """Whether this process took the writer lock of any store folder."""
    with _registry_guard:
        return any(locks.wrote for locks in _registry.values())


class StoreLocks:
    """The writer lock, the data lock and the turnstile of one store folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._files: dict[str, TextIO] = {}
        self.writing = False  # this process holds the writer lock
        self.wrote = False  # this process has held it
        self._reading = 0
        self._exclusive = 0
        self._marker: threading.Timer | None = None  # marks this process a long reader
        self._long = False  # this process holds the long-reader mark
        self._mark_guard = threading.Lock()
        self.seen: str | None = None  # the generation this process's open store has seen

    def generation(self) -> str:
        """A counter each write bumps: a process whose store saw an older one must reopen it."""
        try:
            return (self.folder / GENERATION_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return "0"

    def _bump(self) -> None:
        value = str(int(self.generation() or 0) + 1)
        temporary = self.folder / f"{GENERATION_FILE}.tmp"
        temporary.write_text(value, encoding="utf-8")
        os.replace(temporary, self.folder / GENERATION_FILE)
        self.seen = value

    def _file(self, name: str) -> TextIO:
        if name not in self._files:
            # held open for the life of the process: a lock lives as long as its open file
            self._files[name] = open(self.folder / name, "a+", encoding="utf-8")  # noqa: SIM115
            os.chmod(self.folder / name, 0o600)
        return self._files[name]

    # --- the writer lock ----------------------------------------------------------------------

    def acquire_writer(self, command: str, on_wait: Callable[[str], None] | None = None) -> None:
        """Become the one writer of the store, waiting (and saying so) while another one is."""
        if self.writing:
            return
        if self._reading:
            raise RuntimeError("release the read lock before taking the writer lock")
        handle = self._file(WRITER_FILE)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait(f"waiting for another synth to finish writing to {self.folder} ({self._holder(handle)})")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        handle.write(f"pid {os.getpid()}, synth {command}, since {started}\n")
        handle.flush()
        self.writing = self.wrote = True

    @staticmethod
    def _holder(handle) -> str:
        handle.seek(0)
        return handle.read(200).strip() or "pid unknown"

    def release_writer(self) -> None:
        if self.writing:
            handle = self._file(WRITER_FILE)
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
            self.writing = False

    # --- the data lock ------------------------------------------------------------------------

    def acquire_read(self) -> None:
        """Hold the data lock shared (until `release_read`); a waiting writer goes first."""
        if self.writing:
            return  # a writer's reads need no lock: no one else writes
        if self._reading == 0:
            with contextlib.suppress(OSError):  # a reader that cannot mark itself reads as before
                self._file(LONG_FILE)  # opened here, not in the timer's thread
            turn = self._file(TURN_FILE)
            fcntl.flock(turn, fcntl.LOCK_SH)
            fcntl.flock(turn, fcntl.LOCK_UN)
            fcntl.flock(self._file(DATA_FILE), fcntl.LOCK_SH)
            self._start_marker(LONG_AFTER)
        self._reading += 1

    def release_read(self) -> None:
        if self._reading:
            self._reading -= 1
            if self._reading == 0:
                self._unmark()
                fcntl.flock(self._file(DATA_FILE), fcntl.LOCK_UN)

    def _start_marker(self, delay: float) -> None:
        self._marker = threading.Timer(delay, self._mark_long)
        self._marker.daemon = True
        self._marker.start()

    def _mark_long(self) -> None:
        """A reader still inside after LONG_AFTER: say so to writers (see the module docstring)."""
        with self._mark_guard:
            long = self._files.get(LONG_FILE)
            if not self._reading or self._long or long is None:
                return
            try:
                fcntl.flock(long, fcntl.LOCK_SH | fcntl.LOCK_NB)
                self._long = True
            except BlockingIOError:  # a writer is looking right now: try again soon
                self._start_marker(POLL)

    def _unmark(self) -> None:
        with self._mark_guard:
            if self._marker is not None:
                self._marker.cancel()
                self._marker = None
            if self._long:
                fcntl.flock(self._files[LONG_FILE], fcntl.LOCK_UN)
                self._long = False

    @property
    def reading(self) -> bool:
        return self._reading > 0

    @contextlib.contextmanager
    def one_write(self):
        """The writer lock and the data lock for one write, for a store used outside a command."""
        self.acquire_writer("library write")
        try:
            with self.exclusive():
                yield
        finally:
            self.release_writer()

    @contextlib.contextmanager
    def exclusive(self):
        """A context in which the writer changes the store: no reader is inside. It bumps the
        generation, so other processes know to reopen the store."""
        if not self.writing:
            raise RuntimeError("a write to an embedded store outside the writer lock")
        if self._exclusive == 0:
            self._enter()
        self._exclusive += 1
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            self._exclusive -= 1
            if self._exclusive == 0:
                try:
                    self._bump()
                except OSError as exc:
                    if not failed:  # else the write's own error says what happened (a full disk, say)
                        raise _bump_error(self.folder, exc) from None
                finally:
                    fcntl.flock(self._file(DATA_FILE), fcntl.LOCK_UN)
                    fcntl.flock(self._file(TURN_FILE), fcntl.LOCK_UN)

    def _enter(self) -> None:
        """Take the turnstile and the data lock; while a long reader is inside, wait for it
        without the turnstile, so new readers pass (for YIELD_FOR seconds at most)."""
        turn, data = self._file(TURN_FILE), self._file(DATA_FILE)
        yield_until = time.monotonic() + YIELD_FOR
        while True:
            fcntl.flock(turn, fcntl.LOCK_EX)
            if time.monotonic() >= yield_until:
                fcntl.flock(data, fcntl.LOCK_EX)
                return
            while not self._try(data):
                if self._long_reader_inside():
                    break
                time.sleep(POLL)
            else:
                return
            fcntl.flock(turn, fcntl.LOCK_UN)
            while self._long_reader_inside() and time.monotonic() < yield_until:
                time.sleep(POLL)

    def _long_reader_inside(self) -> bool:
        try:
            long = self._file(LONG_FILE)
        except OSError:  # no mark file (a full disk): no reader could have marked itself
            return False
        if not self._try(long):
            return True
        fcntl.flock(long, fcntl.LOCK_UN)
        return False

    @staticmethod
    def _try(handle: TextIO) -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def _bump_error(folder: Path, exc: OSError) -> Exception:
    """The error for a write whose generation counter could not be written (a full disk)."""
    from ..errors import StoreError
    from .client import disk_full

    said = disk_full(folder, exc) or f"cannot write {folder / GENERATION_FILE}: {exc.strerror or exc}"
    return StoreError(f"recording a write failed in the store at {folder}: {said}")
