"""Concurrent ingests and searches on one store: throughput, search latency under load, and the
count of meetings lost or duplicated (which must be zero).

    python bench/concurrency.py [--ingesters 4] [--searchers 8] [--backend folder|server|both]

The 35 QMSum val meetings are split into as many overlapping parts as there are ingest
processes (each part also holds the first 3 files of the next part, so the same meeting is
ingested by two processes at once). Each ingest is `synth --offline ingest --no-extract PART` in
a new process (reading, embedding, writing: what the locks and the commit protocol guard; with
`--extract`, also the offline extraction and the check, which on 2 cores under 8 searchers takes
over 20 minutes); each searcher runs `synth --offline search` in a new process, one QMSum query
after another, until every ingest has finished. Then every meeting is counted: visible once,
with exactly its passages.

Backends: `folder` is the embedded store (processes take turns through its locks); `server` is
a `chroma run` server on 127.0.0.1 that every process uses at once.

    python bench/concurrency.py --behind STORE [--reader report|brief] [--new MEETING.md]

Readers behind readers (issue 19): on a copy of STORE (a scale store, bench/scale.py), a long
`report` (or `brief`) runs; once it holds the data lock, an ingest of one new meeting (with
extraction and the check) starts and waits to write; meanwhile searches run one after another,
in a new process each and in one process that stays open, until both have ended. Printed: each
search's latency (the target: under 2 s) beside what the ingest was doing at the time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

from common import CACHE, load_queries, qmsum_val_markdown, table

from synth.app import Synth
from synth.config import Settings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
            return process, url
        except OSError:
            time.sleep(0.1)
    raise SystemExit("chroma run did not start")


def run(backend: str, ingesters: int, searchers: int, files: list[Path], queries: list[str], extract: bool) -> dict:
    work = CACHE / f"concurrency_{backend}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    server = None
    location = ["--store", str(work / "store")]
    settings = Settings(store=work / "store", offline=True)
    if backend == "server":
        server, url = start_server(work / "chroma")
        location = ["--chroma-url", url]
        settings = Settings(store=work / "unused", chroma_url=url, offline=True)
    size = -(-len(files) // ingesters)
    parts = []
    for n in range(ingesters):
        part = files[n * size : (n + 1) * size] + files[((n + 1) % ingesters) * size :][:3]
        parts.append(sorted({str(p) for p in part}))
    base = [sys.executable, "-m", "synth", "--offline", *location]
    env = {**os.environ, "SYNTH_JOBS": "1"}
    try:
        start = time.perf_counter()
        ingests = [
            subprocess.Popen(
                [*base, "ingest", *([] if extract else ["--no-extract"]), *part],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for part in parts
        ]
        latencies: list[float] = []
        failures = 0
        searches: list[tuple[subprocess.Popen, float]] = []
        asked = 0
        while any(p.poll() is None for p in ingests) or searches:
            for process, began in list(searches):
                if process.poll() is not None:
                    searches.remove((process, began))
                    process.communicate()
                    if process.returncode == 0:
                        latencies.append(time.perf_counter() - began)
                    else:
                        failures += 1
            while len(searches) < searchers and any(p.poll() is None for p in ingests):
                query = queries[asked % len(queries)]
                asked += 1
                searches.append(
                    (
                        subprocess.Popen(
                            [*base, "search", query, "--k", "5"],
                            env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE,
                            text=True,
                        ),
                        time.perf_counter(),
                    )
                )
            time.sleep(0.02)
        wall = time.perf_counter() - start
        outputs = [p.communicate() for p in ingests]
        codes = [p.returncode for p in ingests]
        waited = sum("waiting for another synth" in err for _, err in outputs)
        app = Synth(settings)
        records = app.meetings()
        sources = Counter(Path(r.source).name for r in records)
        expected = {Path(f).name for part in parts for f in part}
        with app._session(write=False):
            store = app.store(create=False)
            visible = store.meetings.count_passages()
            complete = 0
            for record in records:
                complete += store.meetings.passage_versions(record.meeting_id).get(record.version) == record.passages
        return {
            "backend": backend,
            "wall": wall,
            "ingest_codes": codes,
            "waited": waited,
            "meetings": len(records),
            "expected": len(expected),
            "lost": len(expected - set(sources)),
            "duplicated": sum(c - 1 for c in sources.values()),
            "incomplete": len(records) - complete,
            "passages": sum(r.passages for r in records),
            "orphans": visible - sum(r.passages for r in records),
            "searches": len(latencies),
            "search_failures": failures,
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p99": percentile(latencies, 0.99) if latencies else float("nan"),
            "submitted": sum(len(p) for p in parts),
        }
    finally:
        if server is not None:
            server.kill()
            server.wait()


def idle_search(backend_result_store: list[str], queries: list[str]) -> float:
    times = []
    for query in queries[:5]:
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "synth", "--offline", *backend_result_store, "search", query, "--k", "5"],
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - began)
    return statistics.median(times)


SEARCHER = """
import sys, time
from synth.app import Synth
from synth.config import Settings
from synth.store import locking
app = Synth(Settings(store=sys.argv[1], offline=True))
app.embedder.embed(["warm"])
waited = [0.0]
take = locking.StoreLocks.acquire_read
def timed_take(self):
    start = time.perf_counter()
    take(self)
    waited[0] += time.perf_counter() - start
locking.StoreLocks.acquire_read = timed_take
print("ready", flush=True)
for query in sys.stdin:
    start, waited[0] = time.perf_counter(), 0.0
    app.search(query.strip(), k=5)
    print(time.perf_counter() - start, waited[0], flush=True)
"""


def lock_state(folder: Path, pid: int) -> str:
    """What `pid` does with the store's data lock, from Linux's /proc/locks: holding (READ or
    WRITE), waiting, or nothing."""
    from synth.store.locking import DATA_FILE, TURN_FILE

    inodes = {f":{(folder / name).stat().st_ino}": name for name in (DATA_FILE, TURN_FILE) if (folder / name).exists()}
    states = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        waiting = len(fields) > 1 and fields[1] == "->"
        fields = [fields[0], *fields[2:]] if waiting else fields
        if len(fields) > 5 and fields[4] == str(pid) and fields[5][fields[5].rfind(":") :] in inodes:
            name = inodes[fields[5][fields[5].rfind(":") :]].split(".")[0].split("-")[1]
            states.append(f"{'waits' if waiting else 'holds'} {name} {fields[3]}")
    return ", ".join(sorted(states)) or "-"


def wait_until(check, process: subprocess.Popen, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} never happened: {process.communicate()[1][-800:]}")
        time.sleep(0.05)


def behind(source: Path, reader: str, new: Path, queries: list[str]) -> None:
    """A search while a long reader runs and an ingest waits behind it."""
    work = CACHE / "concurrency_behind"
    shutil.rmtree(work, ignore_errors=True)
    store = work / "store"
    shutil.copytree(source, store)
    base = [sys.executable, "-m", "synth", "--offline", "--store", str(store)]
    quiet = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    searcher = subprocess.Popen([sys.executable, "-c", SEARCHER, str(store)], stdin=subprocess.PIPE, **quiet)
    assert searcher.stdout and searcher.stdin
    searcher.stdout.readline()
    idle = [statistics.median(fresh_search(base, q) for q in queries[:3])]
    idle += [statistics.median(times) for times in zip(*(kept_search(searcher, q) for q in queries[:3]))]
    start = time.perf_counter()
    far = "2100-01-01"
    args = (
        ["report", "--until", far, "--out", str(work / "report.html")]
        if reader == "report"
        else ["brief", "--as-of", far, "--since", "2000-01-01"]
    )
    long_reader = subprocess.Popen([*base, *args], **quiet)
    wait_until(
        lambda: "holds data READ" in lock_state(store, long_reader.pid),
        long_reader,
        f"the {reader} holding the data lock",
    )
    held = time.perf_counter() - start
    ingest = subprocess.Popen([*base, "ingest", str(new)], **quiet)
    seen = {"reader": 0.0, "ingest waits": 0.0, "ingest holds": 0.0}
    sampler = threading.Thread(target=sample_locks, args=(store, long_reader, ingest, seen))
    sampler.start()
    wait_until(
        lambda: (store / "synth-writer.lock").read_text().startswith(f"pid {ingest.pid},"),
        ingest,
        "the ingest taking the writer lock",
    )
    fresh: list[float] = []  # new-process searches, one after another in a thread of their own
    running = lambda: long_reader.poll() is None or ingest.poll() is None  # noqa: E731
    thread = threading.Thread(target=fresh_searches, args=(base, queries, running, fresh))
    thread.start()
    rows = []
    while running():
        reader_state, ingest_state = lock_state(store, long_reader.pid), lock_state(store, ingest.pid)
        kept, waited = kept_search(searcher, queries[len(rows) % len(queries)])
        rows.append(
            [
                f"{time.perf_counter() - start:.1f}",
                reader_state if long_reader.poll() is None else "ended",
                ingest_state if ingest.poll() is None else "ended",
                f"{kept:.2f}",
                f"{waited:.2f}",
            ]
        )
        time.sleep(0.25)
    ends = [f"{p.returncode}" for p in (long_reader, ingest)]
    searcher.stdin.close()
    searcher.wait()
    sampler.join()
    thread.join()
    head = [
        "s since the reader started",
        f"{reader} (data lock)",
        "ingest (data lock)",
        "search (s)",
        "  lock wait (s)",
    ]
    print(table(head, rows))
    print(
        f"\n{reader} took the data lock {held:.1f} s after it started; exit codes: {reader} {ends[0]}, "
        f"ingest {ends[1]}; sampled every 0.1 s: {reader} held the data lock {seen['reader']:.1f} s, "
        f"the ingest waited for it {seen['ingest waits']:.1f} s and held it {seen['ingest holds']:.1f} s"
    )
    for name, values, at_idle in (
        ("in the open process", [float(r[3]) for r in rows], idle[1]),
        ("  its wait for the data lock", [float(r[4]) for r in rows], idle[2]),
        ("in a new process each", fresh, idle[0]),
    ):
        print(
            f"search {name}: {len(values)} searches, median {statistics.median(values):.2f} s, "
            f"max {max(values):.2f} s, {sum(v > 2 for v in values)} over 2 s (idle: {at_idle:.2f} s)"
        )
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")


def sample_locks(store: Path, reader: subprocess.Popen, ingest: subprocess.Popen, seen: dict[str, float]) -> None:
    """Add up, every 0.1 s until both end, how long the reader held the data lock and how long the
    ingest waited for it and held it."""
    last = time.perf_counter()
    while reader.poll() is None or ingest.poll() is None:
        reading, state = lock_state(store, reader.pid), lock_state(store, ingest.pid)
        now = time.perf_counter()
        seen["reader"] += (now - last) * ("holds data" in reading)
        seen["ingest waits"] += (now - last) * ("waits data" in state)
        seen["ingest holds"] += (now - last) * ("holds data" in state)
        last = now
        time.sleep(0.1)


def fresh_search(base: list[str], query: str) -> float:
    """One `synth search` in a new process, timed (s)."""
    began = time.perf_counter()
    subprocess.run([*base, "search", query, "--k", "5"], capture_output=True, check=True)
    return time.perf_counter() - began


def fresh_searches(base: list[str], queries: list[str], running, times: list[float]) -> None:
    while running():
        times.append(fresh_search(base, queries[-1 - len(times) % len(queries)]))


def kept_search(searcher: subprocess.Popen, query: str) -> tuple[float, float]:
    """One search in the open searcher, timed (s), and the part spent waiting for the data lock."""
    assert searcher.stdin and searcher.stdout
    searcher.stdin.write(query.replace("\n", " ") + "\n")
    searcher.stdin.flush()
    kept, waited = map(float, searcher.stdout.readline().split())
    return kept, waited


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--behind", type=Path, help="a store to copy: search while a long reader runs and an ingest waits"
    )
    parser.add_argument("--reader", choices=["report", "brief"], default="report")
    parser.add_argument(
        "--new", type=Path, help="the meeting the ingest adds (default: the first QMSum val meeting, renamed)"
    )
    parser.add_argument("--ingesters", type=int, default=4)
    parser.add_argument("--searchers", type=int, default=8)
    parser.add_argument("--backend", choices=["folder", "server", "both"], default="both")
    parser.add_argument("--extract", action="store_true", help="ingest with the offline extraction and the check")
    args = parser.parse_args()
    folder = qmsum_val_markdown()
    files = sorted(folder.glob("*.md"))
    queries = [q["query"] for q in load_queries(folder)][:200]
    if args.behind:
        new = args.new or CACHE / "concurrency_new_meeting.md"
        if not args.new:
            new.write_text(files[0].read_text().replace("**", "**New ", 1))
        behind(args.behind, args.reader, new, queries)
        return
    backends = ["folder", "server"] if args.backend == "both" else [args.backend]
    rows = []
    for backend in backends:
        r = run(backend, args.ingesters, args.searchers, files, queries, args.extract)
        idle = (
            idle_search(["--store", str(CACHE / "concurrency_folder" / "store")], queries)
            if backend == "folder"
            else None
        )
        rows.append(
            [
                backend,
                f"{args.ingesters} x ingest{' (with extraction)' if args.extract else ''}, {args.searchers} x search",
                f"{r['wall']:.0f} s",
                f"{r['expected'] / r['wall'] * 60:.1f} meetings/min, {r['passages'] / r['wall']:.1f} passages/s",
                f"{r['searches']} ok / {r['search_failures']} failed",
                f"{r['p50']:.2f} s / {r['p99']:.2f} s" + (f" (idle {idle:.2f} s)" if idle else ""),
                f"{r['meetings']} of {r['expected']} ({r['submitted']} submitted)",
                f"{r['lost']} / {r['duplicated']} / {r['incomplete']} / {r['orphans']}",
                f"{r['ingest_codes']} waited: {r['waited']}",
            ]
        )
        if r["lost"] or r["duplicated"] or r["incomplete"] or any(r["ingest_codes"]):
            print(f"FAILED on {backend}: {r}", file=sys.stderr)
    print(
        table(
            [
                "backend",
                "load",
                "wall",
                "ingest throughput",
                "searches",
                "search p50 / p99 (new process)",
                "meetings stored",
                "lost / duplicated / incomplete / orphan passages",
                "ingest exit codes",
            ],
            rows,
        )
    )
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
