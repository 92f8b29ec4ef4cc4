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
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ingesters", type=int, default=4)
    parser.add_argument("--searchers", type=int, default=8)
    parser.add_argument("--backend", choices=["folder", "server", "both"], default="both")
    parser.add_argument("--extract", action="store_true", help="ingest with the offline extraction and the check")
    args = parser.parse_args()
    folder = qmsum_val_markdown()
    files = sorted(folder.glob("*.md"))
    queries = [q["query"] for q in load_queries(folder)][:200]
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
