"""`synth watch`: a real temporary folder, real file-system events (watchdog), and the store kept
current: each new or changed file ingested once it settles, deletions reported or forgotten, one
watcher per store, a killed watcher leaving nothing half-stored.

Fast tier: the watcher on the fake store and the hash embedder, driven in a thread; the batches it
tells arrive on a queue (no sleeping to synchronise). Slow tier: `synth watch` on the real store,
in process and as a subprocess."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import assert_each_meeting_once_and_complete
from fakes import HashEmbedder, MemoryStore
from testkit import EXAMPLES, run_on

from synth.app import Synth
from synth.config import Settings
from synth.errors import ConfigError
from synth.watch import Batch, FolderWatcher, WatchLock, is_candidate

NOTE = """---
title: {title}
date: 2026-09-{day:02d}
team: product
---

**Sam Ortiz:** We decided to build an enterprise tier with single sign-on for fleets of 500 technicians.

**Dana Whitfield:** Keller Mechanical is blocked because the Google Calendar sync fails on their account.
"""
MORE = "\n**Lena Fischer:** The mobile app works offline in basements, technicians told us it saved their day.\n"


def fake_app(tmp_path: Path) -> Synth:
    return Synth(Settings(store=tmp_path / "store", offline=True), embedder=HashEmbedder(), store=MemoryStore())


class Running:
    """A watcher running in a thread; its batches arrive on `batches`."""

    def __init__(self, watcher: FolderWatcher):
        self.watcher = watcher
        self.batches: queue.Queue[Batch] = queue.Queue()
        watcher.on_batch = self.batches.put
        watcher.start()
        self.thread = threading.Thread(target=watcher.run, daemon=True)
        self.thread.start()

    def next(self, what: str) -> Batch:
        try:
            return self.batches.get(timeout=30)
        except queue.Empty:
            raise AssertionError(f"no batch within 30 s: {what}") from None

    def stop(self) -> None:
        self.watcher.stop()
        self.thread.join(timeout=30)
        self.watcher.close()
        assert not self.thread.is_alive()


def test_a_file_is_not_read_while_it_is_still_being_written(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    watcher = FolderWatcher(fake_app(tmp_path), [notes], settle=0)
    path = notes / "sync.md"
    path.write_text(NOTE.format(title="Sync", day=8))
    watcher.touched(path)  # the event of the first half
    with path.open("a") as file:
        file.write(MORE)  # the writer goes on before the file settled
    assert watcher.due() == []  # its size changed since its last event: it waits again
    watcher.touched(path)
    assert watcher.due() == [path]
    assert watcher.due() == []  # taken once


def test_only_meeting_files_count():
    assert is_candidate(Path("notes/sync.md")) and is_candidate(Path("calls/acme.vtt"))
    for name in (".sync.md", "sync.md.tmp", "sync.md.part", "~sync.md", "sync.md~", "sync.md.swp", "photo.png"):
        assert not is_candidate(Path("notes") / name), name


def test_each_change_is_ingested_once_and_deletions_forgotten(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    app = fake_app(tmp_path)
    stored: list[str] = []
    running = Running(FolderWatcher(app, [notes], settle=0.2, forget_deleted=True, on_file=stored.append))
    try:
        assert running.next("catch-up").files == []

        # appears, grows while it is written, then closes
        path = notes / "sync.md"
        with path.open("w") as file:
            file.write(NOTE.format(title="Sync", day=8))
            file.flush()
            file.write(MORE)
        batch = running.next("a new file")
        assert batch.files == [str(path)] and batch.report.meetings == 1, batch
        (record,) = app.meetings()
        assert record.turns == 3  # the whole file, not its first half

        # written under a temporary name, then renamed into place
        temporary = notes / ".standup.md.tmp"
        temporary.write_text(NOTE.format(title="Standup", day=10))
        temporary.rename(notes / "standup.md")
        batch = running.next("a file renamed into place")
        assert batch.files == [str(notes / "standup.md")] and batch.report.meetings == 1

        # changed: stored again, still one meeting for the file
        path.write_text(NOTE.format(title="Sync", day=8).replace("500", "900"))
        batch = running.next("a changed file")
        assert batch.report.meetings == 1
        assert len(app.meetings()) == 2
        assert app.search("fleets of 900 technicians", k=1)[0].source == str(path)

        # a bad file gets its line; the watcher goes on
        (notes / "broken.docx").write_bytes(b"this is not a docx")
        batch = running.next("a bad file")
        assert batch.report.failed == 1 and any("broken.docx" in line for line in batch.error_lines())

        path.unlink()
        batch = running.next("a deleted file")
        assert batch.deleted == [str(path)] and batch.forgotten == [record.meeting_id]
        assert [r.title for r in app.meetings()] == ["Standup"]
    finally:
        running.stop()
    assert running.batches.empty()  # nothing was ingested twice
    sync, standup = str(notes / "sync.md"), str(notes / "standup.md")
    assert stored == [sync, standup, sync, str(notes / "broken.docx")]  # each file told once per change


def test_polling_sees_new_files_where_events_do_not_arrive(tmp_path):
    notes = tmp_path / "notes"
    (notes / "calls").mkdir(parents=True)
    app = fake_app(tmp_path)
    running = Running(FolderWatcher(app, [notes], settle=0.1, poll=True, poll_interval=0.1))
    try:
        assert running.watcher.mode == "polling"
        assert running.next("catch-up").files == []
        (notes / "calls" / "sync.md").write_text(NOTE.format(title="Polled sync", day=9))
        batch = running.next("a file found by polling")
        assert batch.report.meetings == 1 and [r.title for r in app.meetings()] == ["Polled sync"]
    finally:
        running.stop()


def test_one_watcher_per_store(tmp_path):
    first = WatchLock(tmp_path / "store")
    first.acquire()
    try:
        with pytest.raises(ConfigError, match=rf"already watching .* \(pid {os.getpid()}, since"):
            WatchLock(tmp_path / "store").acquire()
    finally:
        first.release()
    second = WatchLock(tmp_path / "store")
    second.acquire()  # free again once the first let go
    second.release()


# --- slow: the real store -----------------------------------------------------------------------


@pytest.mark.slow
def test_watch_once_catches_up_and_forgets_deleted(tmp_path):
    notes = tmp_path / "notes"
    shutil.copytree(EXAMPLES / "meetings", notes)
    store = tmp_path / "store"
    first = run_on(store, "watch", str(notes), "--once", offline=True)
    assert first.exit_code == 0, first.output
    assert re.search(r"10 files: 10 stored, 0 unchanged, 0 failed; \d+ insights", first.output), first.output
    again = run_on(store, "watch", str(notes), "--once", offline=True)
    assert "10 files: 0 stored, 10 unchanged" in again.output
    gone = notes / "2026-09-29-marketing-planning.txt"
    gone.unlink()
    kept = run_on(store, "watch", str(notes), "--once", offline=True)
    assert f"1 deleted, still stored (--forget-deleted forgets them): {gone}" in kept.output
    forgot = run_on(store, "watch", str(notes), "--once", "--forget-deleted", offline=True)
    assert f"1 deleted, forgotten: {gone}" in forgot.output
    assert_each_meeting_once_and_complete(store, expected=9)


def start_watch(store: Path, notes: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "synth", "--store", str(store), "--offline", "watch", str(notes), "--settle", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_a_killed_watcher_leaves_nothing_half_stored_and_sigterm_stops_cleanly(tmp_path):
    notes = tmp_path / "notes"
    shutil.copytree(EXAMPLES / "meetings", notes)
    store = tmp_path / "store"
    watcher = start_watch(store, notes)
    deadline = time.monotonic() + 60
    while not (store / "chroma.sqlite3").exists():  # it has started writing
        assert watcher.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(watcher.pid, signal.SIGKILL)
    watcher.communicate(timeout=30)
    assert watcher.returncode == -signal.SIGKILL

    # a new watcher takes over, finishes what was interrupted, and each meeting is stored once
    watcher = start_watch(store, notes)
    try:
        line = watcher.stdout.readline()  # the catch-up's line
        assert re.search(r"10 files: \d+ stored", line), line + watcher.stderr.read()
        second = run_on(store, "watch", str(notes), "--once", offline=True)
        assert second.exit_code == 1 and f"pid {watcher.pid}" in second.output
        (notes / "2026-10-20-product-sync.md").write_text(NOTE.format(title="Product sync", day=20))
        line = watcher.stdout.readline()
        assert "1 file: 1 stored" in line, line
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    assert "stopping after the current file" in err and "Traceback" not in err
    assert_each_meeting_once_and_complete(store, expected=11)


def test_a_name_with_a_newline_is_not_taken_for_deleted_and_is_forgotten_when_it_is(tmp_path):
    """Stored names have their control characters escaped (`a\\nb.md`); the watcher must match
    them to the real file, or catching up would forget and re-read it every time."""
    notes = tmp_path / "notes"
    notes.mkdir()
    app = fake_app(tmp_path)
    odd = notes / "sync\nnotes.md"
    odd.write_text(NOTE.format(title="Sync", day=8))
    app.ingest([str(odd)])
    (record,) = app.meetings()
    assert "\n" not in record.source

    batch = FolderWatcher(app, [notes], settle=0, forget_deleted=True).catch_up()
    assert batch.forgotten == [] and batch.report.meetings == 0  # present and unchanged
    assert [r.meeting_id for r in app.meetings()] == [record.meeting_id]

    odd.unlink()
    batch = FolderWatcher(app, [notes], settle=0, forget_deleted=True).catch_up()
    assert batch.forgotten == [record.meeting_id]
    assert app.meetings() == []
