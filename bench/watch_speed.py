"""Speed and memory of `synth watch`.

    python bench/watch_speed.py [--changes 100]

Prints one table: for the longest QMSum val meeting (about an hour of transcript), the time from
the file being written to its meeting being searchable, with the settle time shown apart; and the
resident memory of a `synth watch` process across N changes of a file (each one ingested,
extracted and checked), sampled after the first 10, half and all of them, with its peak.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, qmsum_val_markdown, table

SETTLE = 1.0


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def searchable_latency(work: Path) -> tuple[list[str], float, float]:
    sys.path.insert(0, str(ROOT))
    from synth.app import Synth
    from synth.config import Settings
    from synth.watch import FolderWatcher

    longest = max(qmsum_val_markdown().glob("*.md"), key=lambda p: p.stat().st_size)
    text = longest.read_text()
    notes = work / "latency-notes"
    notes.mkdir()
    app = Synth(Settings(store=work / "latency-store", offline=True))
    app.embedder.embed(["warm up"])  # the model loaded, as in a watcher that has been running
    done = threading.Event()
    stored_at: list[float] = []
    watcher = FolderWatcher(
        app,
        [notes],
        settle=SETTLE,
        on_batch=lambda b: done.set() if b.files else None,
        on_file=lambda source: stored_at.append(time.perf_counter()),
    )
    watcher.start()
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    time.sleep(0.5)  # let the catch-up batch of the empty folder pass
    target = notes / longest.name
    written = time.perf_counter()
    target.write_text(text)
    if not done.wait(timeout=900):
        raise SystemExit("the meeting was not ingested within 15 minutes")
    total = time.perf_counter() - written
    searchable = stored_at[0] - written
    phrase = max(text.split("\n"), key=len)[:200]  # its longest line: the meeting is the best hit
    if not any(hit.source == str(target) for hit in app.search(phrase, k=3)):
        raise SystemExit("ingested, but not found by a search for its own words")
    watcher.stop()
    thread.join(timeout=60)
    watcher.close()
    (record,) = app.meetings()
    about = f"{longest.name}: {len(text) // 1000} kB, {record.turns} turns, {record.passages} passages"
    return [about], searchable, total


def watcher_memory(work: Path, changes: int) -> list[list[str]]:
    notes = work / "memory-notes"
    notes.mkdir()
    note = ROOT / "examples" / "meetings" / "2026-09-08-product-sync.md"
    target = notes / note.name
    target.write_text(note.read_text())
    process = subprocess.Popen(
        [sys.executable, "-m", "synth", "--store", str(work / "memory-store"), "--offline", "watch", str(notes)]
        + ["--settle", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))},
    )
    assert process.stdout is not None
    process.stdout.readline()  # the catch-up
    samples = {}
    started = time.perf_counter()
    base = note.read_text()
    for n in range(1, changes + 1):
        target.write_text(base + f"\n**Sam Ortiz:** Change number {n}: we decided to revisit pricing.\n")
        line = process.stdout.readline()
        if "1 stored" not in line:
            raise SystemExit(f"change {n}: {line!r}")
        if n in (10, changes // 2, changes):
            samples[n] = rss_mb(process.pid)
    per_change = (time.perf_counter() - started) / changes
    peak = rss_mb(process.pid, "VmHWM")
    process.terminate()
    process.wait(timeout=60)
    rows = [[f"watcher RSS after {n} changes", f"{mb:.0f} MB", ""] for n, mb in samples.items()]
    growth = samples[changes] - samples[10]
    rows.append(["watcher peak RSS (VmHWM)", f"{peak:.0f} MB", f"growth from change 10 to {changes}: {growth:+.0f} MB"])
    rows.append(["per change: settle 0.2 s + ingest + extract + check", f"{per_change:.2f} s", ""])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="synth-watch-bench-"))
    try:
        about, searchable, total = searchable_latency(work)
        rows = [
            [
                "1-hour transcript: written -> searchable",
                f"{searchable:.1f} s",
                f"settle {SETTLE:.1f} s + read, chunk, embed, commit; {about[0]}",
            ],
            ["  -> its insights extracted and checked", f"{total:.1f} s", "offline extractor and checker"],
        ]
        rows += watcher_memory(work, args.changes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(["synth watch", "value", "note"], rows))
    print(f"\nload average at start {load:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
