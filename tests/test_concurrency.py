"""Several synth processes on one store folder: ingests take turns, searches run meanwhile, and
an ingest killed with SIGKILL at any moment leaves only complete meetings."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import assert_each_meeting_once_and_complete
from testkit import EXAMPLES

from synth.app import Synth
from synth.config import Settings

pytestmark = pytest.mark.slow  # processes that share a real store


def synth(store: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "SYNTH_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "synth", "--store", str(store), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def wait_for_writer(store: Path, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Wait until `process` holds the store's writer lock (the lock file names its pid), which it
    takes before it opens the store. False if it ended first."""
    lock = store / "synth-writer.lock"
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if lock.exists() and lock.read_text().startswith(f"pid {process.pid},"):
            return True
        assert time.monotonic() < deadline, "the ingest never took the writer lock"
        time.sleep(0.02)
    return False


def flocks_on(path: Path, waiting: bool) -> set[int]:
    """The processes that hold a flock on `path`, or (`waiting`) that the kernel holds waiting for
    one: Linux's /proc/locks lists a holder as `N: FLOCK ... pid dev:inode ...` and a waiter as
    `N: -> FLOCK ... pid dev:inode ...`."""
    inode = f":{path.stat().st_ino}"
    pids = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if waiting == (len(fields) > 1 and fields[1] == "->"):
            fields = fields[1:] if waiting else fields
            if len(fields) > 5 and fields[5].endswith(inode):
                pids.add(int(fields[4]))
    return pids


def blocked_on(path: Path) -> set[int]:
    return flocks_on(path, waiting=True)


def meeting_copies(folder: Path, copies: int, tag: str) -> Path:
    """The example meetings, `copies` times over, with file names of their own."""
    folder.mkdir(parents=True)
    for n in range(copies):
        for source in sorted((EXAMPLES / "meetings").iterdir()):
            shutil.copy(source, folder / f"{source.stem}-{tag}{n}{source.suffix}")
    return folder


def test_two_ingests_take_turns_and_searches_run_meanwhile(tmp_path):
    store = tmp_path / "store"
    first = meeting_copies(tmp_path / "first", 3, "a")
    second = meeting_copies(tmp_path / "second", 1, "b")
    shutil.copy(next(first.iterdir()), second / "shared.md")  # the same meeting text under a new name
    overlap = sorted(first.iterdir())[0]
    a = synth(store, "ingest", str(first))
    assert wait_for_writer(store, a), "the first ingest never took the writer lock"
    b = synth(store, "ingest", str(second), str(overlap))
    searches = []
    while a.poll() is None or b.poll() is None:
        search = synth(store, "search", "technicians losing signal offline", "--json", "--k", "3")
        out, err = search.communicate(timeout=120)
        searches.append((search.returncode, out, err))
    out_a, err_a = a.communicate()
    out_b, err_b = b.communicate()
    assert a.returncode == 0 and b.returncode == 0, (err_a, err_b)
    assert "waiting for another synth to finish writing" in err_b and f"pid {a.pid}" in err_b
    assert len(searches) >= 2
    for code, out, err in searches:
        assert code == 0, err
        hits = json.loads(out)
        assert len({(h["meeting_id"], h["start_line"]) for h in hits}) == len(hits), [
            (h["meeting_id"], h["start_line"], h["end_line"], h["score"], h["text"][:60]) for h in hits
        ]
    assert any(json.loads(out) for _, out, _ in searches)
    assert_each_meeting_once_and_complete(store, expected=30 + 10 + 1)


def test_sigkill_at_random_moments_leaves_only_complete_meetings(tmp_path):
    store = tmp_path / "store"
    folder = meeting_copies(tmp_path / "meetings", 1, "k")
    files = sorted(folder.iterdir())
    notes = [f for f in files if f.suffix == ".md"]
    rng = random.Random(20261122)
    kills = rounds = 0
    while kills < 8:
        rounds += 1
        assert rounds <= 30, f"only {kills} of {rounds} ingests were still running when killed"
        # changed files, so that kills also land while a new version replaces an old one
        for changed in rng.sample(notes, 3):
            with open(changed, "a", encoding="utf-8") as handle:
                handle.write(f"\n**Sam Ortiz:** One more note for round {rounds}, about pricing.\n")
        process = synth(store, "ingest", str(folder))
        # the kill lands at a random moment of the store work, counted from when the ingest holds
        # the writer lock, so a slow start (imports, a loaded machine) does not eat the interval
        if wait_for_writer(store, process):
            time.sleep(rng.uniform(0.0, 2.5))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.communicate()
        if (store / "chroma.sqlite3").exists():
            assert_each_meeting_once_and_complete(store)
            listing = synth(store, "meetings", "--json")
            out, err = listing.communicate(timeout=120)
            assert listing.returncode == 0, err
            assert len(json.loads(out)) <= len(files)
    final = synth(store, "ingest", str(folder))
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    records = assert_each_meeting_once_and_complete(store, expected=len(files))
    assert {r.extraction for r in records} == {"done"}
    app = Synth(Settings(store=store, offline=True))
    with app._session(write=False):
        total = app.store(create=False).meetings.count_passages()
    assert total == sum(r.passages for r in records)  # nothing orphaned
    hits = app.search("pricing", k=20)
    assert len({(h.meeting_id, h.start_line) for h in hits}) == len(hits)


READING_COMMANDS = [
    ["search", "crawl spaces", "--json"],
    ["ask", "what did sales hear about QuickBooks?", "--json"],
    ["meetings", "--json"],
    ["insights", "--json"],
    ["flags", "--json"],
]


def test_reading_commands_wait_while_a_writer_changes_the_store(example_app):
    """A writer holds the data lock exclusively while it writes a meeting; a reading command that
    starts meanwhile must not read the half-written store, so it waits, then answers."""
    import fcntl

    from synth.store.locking import DATA_FILE

    if not Path("/proc/locks").exists():
        pytest.skip("needs Linux's /proc/locks to see who waits for a lock")
    store = example_app.settings.store
    with open(store / DATA_FILE, "a+") as data:
        fcntl.flock(data, fcntl.LOCK_EX)
        readers = [synth(store, *command) for command in READING_COMMANDS]
        # the readiness signal: every reader is queued by the kernel on the data lock; one that
        # read without the lock would end before it ever got there
        deadline = time.monotonic() + 120
        while {r.pid for r in readers} - blocked_on(store / DATA_FILE):
            if any(r.poll() is not None for r in readers) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        still_waiting = [r.poll() is None and r.pid in blocked_on(store / DATA_FILE) for r in readers]
        fcntl.flock(data, fcntl.LOCK_UN)
    outputs = [r.communicate(timeout=120) for r in readers]
    assert still_waiting == [True] * len(READING_COMMANDS), [
        (c[0], o[1][-300:]) for c, o, w in zip(READING_COMMANDS, outputs, still_waiting) if not w
    ]
    for command, reader, (out, err) in zip(READING_COMMANDS, readers, outputs):
        assert reader.returncode == 0, (command, err[-500:])
        assert json.loads(out), command


LONG_READER = """
import sys
from synth.app import Synth
from synth.config import Settings
app = Synth(Settings(store=sys.argv[1], offline=True))
with app._session(write=False):  # a long reading step, as a brief's facts on a large store
    app.store(create=False).meetings.records()
    print("inside", flush=True)
    sys.stdin.readline()
"""

WAITING_WRITER = """
import sys
from synth.app import Synth
from synth.config import Settings
from synth.store import locking
looked = locking.StoreLocks._long_reader_inside
def told(self):  # says when this writer first finds a long reader inside
    inside = looked(self)
    if inside and not getattr(self, "told", False):
        self.told = True
        print("waiting", flush=True)
    return inside
locking.StoreLocks._long_reader_inside = told
app = Synth(Settings(store=sys.argv[1], offline=True))
app.set_roster(sys.argv[2])
print("wrote", flush=True)
"""


def test_a_search_passes_a_long_reader_that_a_writer_waits_for(example_app, tmp_path):
    """A reader inside for long (a brief's facts on a large store) and a writer waiting for it:
    a search that starts meanwhile runs at once, instead of queueing behind the writer until the
    long reader ends; the writer writes as soon as the long reader leaves."""
    from synth.store.locking import LONG_FILE, TURN_FILE

    if not Path("/proc/locks").exists():
        pytest.skip("needs Linux's /proc/locks to see who holds and who waits for a lock")
    store = example_app.settings.store
    roster = tmp_path / "roster.yaml"
    roster.write_text("design: [Rosa Long]\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    reader = subprocess.Popen([sys.executable, "-c", LONG_READER, str(store)], env=env, **pipes)
    writer = None
    try:
        assert reader.stdout and reader.stdin
        assert reader.stdout.readline().strip() == "inside", reader.communicate()[1][-800:]
        while reader.pid not in flocks_on(store / LONG_FILE, waiting=False):  # marked a long reader after a moment
            assert reader.poll() is None
            time.sleep(0.05)
        writer = subprocess.Popen([sys.executable, "-c", WAITING_WRITER, str(store), str(roster)], env=env, **pipes)
        assert writer.stdout
        assert writer.stdout.readline().strip() == "waiting", writer.communicate()[1][-800:]
        search = synth(store, "search", "crawl spaces", "--json", "--k", "3")
        while search.poll() is None:
            assert search.pid not in blocked_on(store / TURN_FILE), "the search queued behind the waiting writer"
            time.sleep(0.05)
        out, err = search.communicate()
        assert search.returncode == 0, err[-800:]
        assert json.loads(out)
        assert reader.poll() is None and writer.poll() is None  # both still there: the search passed them
        reader.stdin.write("leave\n")
        reader.stdin.flush()
        assert reader.wait(timeout=120) == 0
        assert writer.stdout.readline().strip() == "wrote", writer.communicate()[1][-800:]
        assert writer.wait(timeout=120) == 0
        assert example_app.roster() == {"Rosa Long": "design"}  # written once the long reader left
    finally:
        for process in (reader, writer):
            if process is not None:
                if process.poll() is None:
                    process.kill()
                process.communicate()  # and its pipes closed
