"""synth never harms what it was pointed at (issue 16): one bad file never stops a batch, a folder
that is not a store is neither read as one nor changed, and `--out` never replaces what it does
not own. Fast: the memory store and the hash embedder, or commands that stop before Chroma."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from fakes import HashEmbedder, MemoryStore
from testkit import run_on

from synth.app import Synth
from synth.config import Settings
from synth.errors import NoStoreError, NotAStoreError, StoreError, SynthError
from synth.outfile import write_atomic

GOOD = "---\ntitle: Pricing council\ndate: 2026-10-02\n---\n\nDana: Vega Labs wants annual billing in euros.\n"


def memory_app(tmp_path: Path, **settings) -> Synth:
    return Synth(
        Settings(store=tmp_path / "store", offline=True, **settings), embedder=HashEmbedder(), store=MemoryStore()
    )


def hostile_folder(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A folder of everyday mistakes around one good note; for each bad file, what its failure
    line must say (after its name)."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "good.md").write_text(GOOD)
    expected = {}
    (notes / "typo-date.md").write_text("---\ntitle: Sync\ndate: 2026-02-30\n---\nAna: We ship in April.\n")
    expected["typo-date.md:3"] = "not a date"
    (notes / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    expected["deep.json"] = "nested too deeply"
    (notes / "loop.md").symlink_to("loop.md")
    expected["loop.md"] = "symbolic links"
    (notes / "aliases.md").write_text(
        "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n---\nAna: hi\n"
    )
    expected["aliases.md:2"] = "anchors"
    os.mkfifo(notes / "pipe.md")
    expected["pipe.md"] = "FIFO"
    (notes / "zero.md").symlink_to("/dev/zero")
    expected["zero.md"] = "device"
    (notes / "huge.txt").write_text("Ana: " + "word " * 300_000)  # 1.5 MB, over the 1 MB limit below
    expected["huge.txt"] = "more than the limit"
    (notes / "sub").mkdir()
    (notes / "sub" / "up").symlink_to("..")  # a folder loop: not followed
    return notes, expected


def test_one_bad_file_never_stops_the_batch(tmp_path):
    notes, expected = hostile_folder(tmp_path)
    name = os.fsencode(notes) + b"/caf\xe9 notes.md"  # latin-1 bytes: not a UTF-8 name
    with open(name, "wb") as handle:
        handle.write(b"Ana: The name of this file is not UTF-8.\n")
    app = memory_app(tmp_path, max_file_mb=1)
    report = app.ingest([str(notes)])
    assert report.failed == len(expected), report.errors
    for where, why in expected.items():
        [line] = [e for e in report.errors if f"/notes/{where}:" in e]
        assert why in line, line
    assert not any("unexpected" in e.lower() for e in report.errors)
    stored = {r.source.rsplit("/", 1)[-1] for r in app.meetings()}
    assert stored == {"good.md", "caf\\xe9 notes.md"}  # the name shown as the bytes it is
    assert [h.source for h in app.search("annual billing euros", k=1)] == [str(notes / "good.md")]


def test_an_impossible_year_is_a_warning_and_the_file_date_is_used(tmp_path):
    note = tmp_path / "old.md"
    note.write_text("---\ndate: 0001-01-01\n---\nAna: We ship next week.\n")
    os.utime(note, (1_790_000_000, 1_790_000_000))  # 2026-09-21
    app = memory_app(tmp_path)
    report = app.ingest([str(note)])
    assert report.meetings == 1 and not report.failed
    assert [r.date for r in app.meetings()] == ["2026-09-21"]
    assert any("outside 1900-2199" in w for w in report.warnings)


def test_roster_aliases_are_refused(tmp_path):
    roster = tmp_path / "roster.yaml"
    roster.write_text("a: &a [Ana, Ana, Ana]\nsales: *a\n")
    with pytest.raises(SynthError, match="anchors"):
        memory_app(tmp_path).set_roster(roster)


# --- a folder that is not a store ----------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[int, int, float]]:
    """Every path under `folder` (itself included) with its mode, size and time."""
    paths = [folder, *folder.rglob("*")]
    return {str(p): (p.lstat().st_mode, p.lstat().st_size, p.lstat().st_mtime) for p in paths}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder of someone's files, shared like /tmp (sticky, writable by all)."""
    folder = tmp_path / "examples"
    folder.mkdir()
    (folder / "vision.md").write_text("# Vision\n")
    (folder / "meetings").mkdir()
    os.chmod(folder, 0o1777)
    return folder


READERS = [
    ["status"],
    ["meetings"],
    ["insights"],
    ["flags"],
    ["vision", "show"],
    ["brief", "--since", "2026-09-01"],
    ["report", "--since", "2026-09-01", "--out", "OUT"],
]


def with_out(args: list[str], folder: Path) -> list[str]:
    return [str(folder / "report.html") if a == "OUT" else a for a in args]


@pytest.mark.parametrize("args", READERS)
def test_a_reading_command_on_a_folder_that_is_not_a_store_changes_nothing(checkout, args):
    before = snapshot(checkout)
    result = run_on(checkout, *with_out(args, checkout.parent), offline=True)
    assert result.exit_code == 1, result.output
    assert f"{checkout} is not a synth store (run `synth ingest` to create one)" in result.output
    assert snapshot(checkout) == before  # no database, no lock file, and still sticky and 0777


@pytest.mark.parametrize("args", READERS)
def test_a_reading_command_on_a_file_says_it_is_a_file(tmp_path, args):
    path = tmp_path / "notes.md"
    path.write_text(GOOD)
    result = run_on(path, *with_out(args, tmp_path), offline=True)
    assert result.exit_code == 1 and "is a file, not a store folder" in result.output, result.output
    assert path.read_text() == GOOD


def test_search_and_ask_on_an_empty_folder_create_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    os.chmod(empty, 0o755)
    app = Synth(Settings(store=empty, offline=True), embedder=HashEmbedder())
    for call in (lambda: app.search("billing"), lambda: app.ask("what about billing?"), app.meetings):
        with pytest.raises(NoStoreError):
            call()
    assert list(empty.iterdir()) == [] and stat.S_IMODE(empty.stat().st_mode) == 0o755
    missing = tmp_path / "missing"
    assert Synth(Settings(store=missing, offline=True)).status().store.exists is False
    assert not missing.exists()


def test_a_writer_refuses_a_folder_of_other_files_unless_told(checkout, tmp_path):
    note = tmp_path / "note.md"
    note.write_text(GOOD)
    before = snapshot(checkout)
    result = run_on(checkout, "ingest", str(note), offline=True)
    assert result.exit_code == 1 and "--init-store" in result.output, result.output
    assert snapshot(checkout) == before
    with pytest.raises(NotAStoreError, match="not a synth store and holds other files"):
        Synth(Settings(store=checkout, offline=True), embedder=HashEmbedder()).set_roster(note)
    assert snapshot(checkout) == before


def test_a_store_that_disappears_is_an_error_not_a_new_store(tmp_path):
    """The session looks again at every command: an open store whose folder went is not read."""
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "chroma.sqlite3").write_bytes(b"")  # a store, as far as looking goes
    app = Synth(Settings(store=folder, offline=True), embedder=HashEmbedder())
    app.session._store = MemoryStore()  # what an earlier command of this process opened
    (folder / "chroma.sqlite3").unlink()
    folder.rmdir()
    with pytest.raises(NoStoreError):
        app.meetings()
    assert not folder.exists()


def test_a_read_only_store_is_refused_to_writers_with_a_clear_message(tmp_path, monkeypatch):
    import errno

    from synth.store import locking

    folder = tmp_path / "backup"
    folder.mkdir()

    def read_only(self, name):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(locking.StoreLocks, "_file", read_only)
    note = tmp_path / "note.md"
    note.write_text(GOOD)
    with pytest.raises(StoreError, match="is read-only: synth can search and read it"):
        Synth(Settings(store=folder, offline=True), embedder=HashEmbedder()).ingest([str(note)])


def test_a_new_store_folder_is_private_and_an_existing_one_keeps_its_mode(tmp_path):
    from synth.store.client import folder_state, make_folder

    new = tmp_path / "a" / "store"
    make_folder(new)
    assert stat.S_IMODE(new.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "README.md").write_text("the store goes here\n")
    (shared / ".gitignore").write_text("*\n")
    os.chmod(shared, 0o1777)
    assert folder_state(shared) == "empty"
    make_folder(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert folder_state(tmp_path / "nothing") == "missing" and folder_state(shared / "README.md") == "file"


# --- --out ----------------------------------------------------------------------------------------


def test_out_writes_through_a_symlink_and_keeps_permissions(tmp_path):
    target = tmp_path / "real" / "brief.md"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "brief.md"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["brief.md"]  # no temporary left


def test_out_writes_into_a_fifo_and_a_device_without_replacing_them(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomic(fifo, "brief text")
    reader.join(5)
    assert received == ["brief text"] and stat.S_ISFIFO(fifo.lstat().st_mode)
    write_atomic(Path("/dev/null"), "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_out_refuses_a_folder_and_a_socket(tmp_path):
    import socket

    with pytest.raises(SynthError, match="is a folder"):
        write_atomic(tmp_path, "x")
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(SynthError, match="not a regular file"):
            write_atomic(path, "x")
        assert stat.S_ISSOCK(path.lstat().st_mode)


@pytest.fixture
def read_only_mount(tmp_path):
    """A folder made read-only by a bind mount (as a mounted backup is); skipped where this
    process cannot mount (not root, no mount namespace)."""
    import subprocess

    folder = tmp_path / "backup"
    folder.mkdir()

    def mount(*args: str) -> bool:
        return subprocess.run(["mount", *args], capture_output=True).returncode == 0

    def unmount() -> None:
        # this process may still hold the store's files open (Chroma keeps its clients), and a
        # busy mount refuses a plain umount: detach it lazily, or it outlives the test and
        # pytest's removal of old temporary folders fails on it in a later session (read-only)
        subprocess.run(["umount", str(folder)], capture_output=True)
        if mounted():
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)

    def mounted() -> bool:  # os.path.ismount cannot see a bind mount of the same file system
        with open("/proc/self/mounts") as mounts:
            return any(line.split()[1] == str(folder) for line in mounts)

    def read_only() -> None:
        if not (mount("--bind", str(folder), str(folder)) and mount("-o", "remount,bind,ro", str(folder))):
            unmount()
            pytest.skip("cannot bind-mount a folder read-only here")

    yield folder, read_only
    unmount()
    assert not mounted(), f"{folder} is still mounted"


@pytest.mark.slow
def test_a_read_only_store_can_be_read_and_writers_say_it_is_read_only(read_only_mount, tmp_path):
    import tempfile

    folder, make_read_only = read_only_mount
    store = folder / "store"
    note = tmp_path / "note.md"
    note.write_text(GOOD)
    assert run_on(store, "ingest", str(note), offline=True).exit_code == 0
    make_read_only()
    before = snapshot(folder)
    for args in (["meetings"], ["search", "annual billing"], ["ask", "what does Vega Labs want?"], ["status"]):
        result = run_on(store, *args, offline=True)
        assert result.exit_code == 0, (args, result.output)
        assert "Vega Labs" in result.output or "1 meetings" in result.output or "meetings:" in result.output, args
    written = run_on(store, "ingest", str(note), offline=True)
    assert written.exit_code == 1 and "is read-only" in written.output, written.output
    assert snapshot(folder) == before
    from synth.store.client import remove_read_only_copies

    remove_read_only_copies()
    assert not list(Path(tempfile.gettempdir()).glob(f"synth-readonly-{os.getpid()}-*"))


# --- bounded work: headings --------------------------------------------------------------------

OLD_HEADING = r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$"  # cubic backtracking on long runs of spaces


@pytest.mark.parametrize(
    "line, expected",
    [
        ("# Title", (1, "Title")),
        ("   ## Pricing ##  ", (2, "Pricing")),
        ("#\u00a0Title\u00a0#", (1, "Title")),
        ("###### six", (6, "six")),
        ("####### seven", None),
        ("    # indented code", None),
        ("#hashtag", None),
        ("# C# #", (1, "C#")),
        ("# ", (1, "")),
    ],
)
def test_headings_are_read_as_the_markdown_pattern_reads_them(line, expected):
    import re

    from synth.readers.lines import heading_parts

    assert heading_parts(line) == expected
    old = re.match(OLD_HEADING, line)
    assert (old is None) == (expected is None) and (old is None or old.group("text").strip() == expected[1])


@pytest.mark.parametrize("space", [" ", "\u00a0"])
def test_a_heading_of_twenty_thousand_spaces_is_read_in_one_pass(tmp_path, space):
    """No timing: the old pattern needed about n**3 steps here (10**13), so the test would not end;
    heading_parts makes a fixed number of passes of string methods over the line."""
    from synth.vision import parse_vision

    padding = space * 20_000
    note = tmp_path / "notes.md"
    note.write_text(f"# Pricing council{padding}x\n\n## Decisions{padding}#\n\nDana: Annual billing in euros.\n")
    report = memory_app(tmp_path).ingest([str(note)])
    assert report.meetings == 1 and not report.failed
    vision = parse_vision(f"# Vision{padding}x\n\n## Principles{padding}\n\n- Works offline.\n", "vision.md")
    assert [s.text for s in vision.statements] == ["Works offline."]


# One process ingests into a full disk, says so, waits for a line (the test frees space), then
# ingests again: what a long-lived process (the MCP server, `watch`) does.
_INGEST_TWICE = """
import sys
from synth.app import Synth
from synth.config import Settings
from synth.errors import StoreError

app = Synth(Settings(store=sys.argv[1], offline=True))
try:
    app.ingest([sys.argv[2]])
except StoreError as exc:
    print("first:", exc, flush=True)
sys.stdin.readline()
report = app.ingest([sys.argv[2]])
print("second:", report.failed, "failed", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("size", ["300k", "1m"])  # full while writing passages, or while writing insights
def test_a_full_disk_is_said_plainly_and_the_next_run_in_the_same_process_completes(tmp_path, size):
    """Chroma says "Error in compaction: Failed to apply logs to the metadata segment"; synth
    says the disk is full, and once there is space the same command finishes the work, in the
    same process. Chroma's client of the folder was left unable to answer after the failed write,
    and the next ingest of the process waited forever; the next command now opens a new one."""
    import subprocess
    import sys

    from conftest import assert_each_meeting_once_and_complete
    from testkit import EXAMPLES

    disk = tmp_path / "disk"
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)]
    if subprocess.run(mount, capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    store = disk / "store"
    command = [sys.executable, "-c", _INGEST_TWICE, str(store), str(EXAMPLES / "meetings")]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline() if process.stdout else ""
        assert first.startswith("first:") and "the disk holding the store is full" in first, first
        assert "compaction" not in first
        subprocess.run(["mount", "-o", "remount,size=400m", str(disk)], check=True)
        try:
            second, _ = process.communicate("go\n", timeout=300)
        except subprocess.TimeoutExpired:
            pytest.fail("the second ingest in the same process did not finish in 300 s")
        assert process.returncode == 0 and second.strip() == "second: 0 failed", second
        assert_each_meeting_once_and_complete(store, 10)
    finally:
        process.kill()
        process.wait()
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_without_a_terminal_a_long_ingest_says_how_far_it_is(capsys, monkeypatch):
    from synth.cli import ingest

    advance = ingest._progress_lines(250)
    for _ in range(250):
        advance(None)
    assert capsys.readouterr().err.splitlines() == ["ingesting: 100 of 250 files", "ingesting: 200 of 250 files"]
    clock = iter([0.0, 11.0, 12.0])  # a slow file: a line after PROGRESS_SECONDS even before 100 files
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    slow = ingest._progress_lines(5)
    slow(None)
    slow(None)
    assert capsys.readouterr().err.splitlines() == ["ingesting: 1 of 5 files"]


@pytest.mark.slow
def test_a_reader_creates_no_collection_in_a_chroma_folder_of_someone_else(tmp_path):
    from synth.store.client import forget_client, persistent_client

    folder = tmp_path / "their-chroma"
    folder.mkdir()
    persistent_client(folder).get_or_create_collection("their_documents")  # with synth's client settings
    forget_client(str(folder))
    result = run_on(folder, "meetings", offline=True)
    assert result.exit_code == 1 and "is not a synth store" in result.output, result.output
    forget_client(str(folder))
    found = persistent_client(folder).list_collections()
    assert {c if isinstance(c, str) else c.name for c in found} == {"their_documents"}


# --- forget ---------------------------------------------------------------------------------------


def test_forget_removes_the_flags_that_quote_the_meeting_and_the_model_cache(tmp_path):
    from test_app_fast import STANDUP, SYNC, VISION

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "sync.md").write_text(SYNC)
    (notes / "standup.md").write_text(STANDUP)
    (tmp_path / "vision.md").write_text(VISION)
    app = memory_app(tmp_path)
    app.ingest([str(notes)])
    app.set_vision(tmp_path / "vision.md")
    sync = next(r for r in app.meetings() if r.title == "Product sync")
    quoting = [f for f in app.flags(status="all") if any(s.meeting_id == sync.meeting_id for s in f.sides)]
    assert quoting  # the enterprise tier with single sign-on against the non-goal
    store = app.store()
    store.cache.put("a-window", "single sign-on for fleets of 500 technicians")
    others = {f.id for f in app.flags(status="all")} - {f.id for f in quoting}

    record, passages, flags = app.forget("Product sync")
    assert (record.meeting_id, passages, flags) == (sync.meeting_id, sync.passages, len(quoting))
    assert {f.id for f in app.flags(status="all")} == others
    assert store.cache.get_many(["a-window"]) == {}
    assert not any("single sign-on" in i.statement for i in app.insights())


def test_a_vision_set_killed_after_its_commit_has_its_check_finished_by_the_next_run(tmp_path, monkeypatch):
    from test_app_fast import STANDUP, SYNC, VISION

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "sync.md").write_text(SYNC)
    (notes / "standup.md").write_text(STANDUP)
    (tmp_path / "vision.md").write_text(VISION)
    app = memory_app(tmp_path)
    app.ingest([str(notes)])

    def killed(self, store, *args, **kwargs):
        raise KeyboardInterrupt  # the process dies after the version is committed, before the check

    with monkeypatch.context() as patch:
        patch.setattr(Synth, "_check", killed)
        with pytest.raises(KeyboardInterrupt):
            app.set_vision(tmp_path / "vision.md")
    assert len(app.vision_history()) == 1 and not any(f.type == "vision_conflict" for f in app.flags(status="all"))
    vision, changed, report = app.set_vision(tmp_path / "vision.md")
    assert changed is False and report is not None
    assert any(f.type == "vision_conflict" for f in app.flags(status="all"))
    assert app.set_vision(tmp_path / "vision.md")[2] is None  # nothing owed any more


def test_an_ingest_killed_before_its_check_has_the_check_finished_by_the_next_ingest(tmp_path, monkeypatch):
    from test_app_fast import SYNC, VISION

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "sync.md").write_text(SYNC)
    (tmp_path / "vision.md").write_text(VISION)
    app = memory_app(tmp_path)
    app.set_vision(tmp_path / "vision.md")

    def killed(self, store, *args, **kwargs):
        raise KeyboardInterrupt  # the process dies after the meetings are committed, before the check

    with monkeypatch.context() as patch:
        patch.setattr(Synth, "_check", killed)
        with pytest.raises(KeyboardInterrupt):
            app.ingest([str(notes)])
    assert app.meetings() and not app.flags(status="all")
    again = app.ingest([str(notes)])
    assert again.meetings == 0 and again.new_flags > 0  # nothing new to store, the check owed is done
    assert any(f.type == "vision_conflict" for f in app.flags(status="all"))
    assert app.ingest([str(notes)]).new_flags == 0  # nothing owed any more


# A real kill: the child process dies by SIGKILL at the start of the check that follows its ingest.
_KILLED_AT_CHECK = """
import os, signal, sys
from synth.app import Synth
from synth.config import Settings

Synth._check = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
Synth(Settings(store=sys.argv[1], offline=True)).ingest([sys.argv[2]])
"""


@pytest.mark.slow
def test_an_ingest_killed_by_sigkill_before_its_check_is_checked_by_the_next_writer(tmp_path):
    import signal
    import subprocess
    import sys

    from testkit import EXAMPLES

    store = tmp_path / "store"
    assert run_on(store, "vision", "set", str(EXAMPLES / "vision.md"), offline=True).exit_code == 0
    child = subprocess.run([sys.executable, "-c", _KILLED_AT_CHECK, str(store), str(EXAMPLES / "meetings")])
    assert child.returncode == -signal.SIGKILL
    assert run_on(store, "flags", "--status", "all", offline=True).output.startswith("No flags")
    again = run_on(store, "ingest", str(EXAMPLES / "meetings"), offline=True)
    assert again.exit_code == 0 and "10 unchanged" in again.output, again.output
    assert "Checked:" in again.output and "new flags" in again.output, again.output
    assert "No flags" not in run_on(store, "flags", "--status", "all", offline=True).output
