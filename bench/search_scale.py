"""Search at scale (issue 19): `synth search` in a new process and in process on the scale stores,
in wall time and in CPU time (on a shared machine the CPU time of the same work moves less than
its wall time).

    python bench/search_scale.py                              # the stores of bench/scale.py build
    python bench/search_scale.py --stores 35=DIR,100=DIR,300=DIR

Per store: a new process (`python -m synth search`, 5 rounds of 3 QMSum queries: median wall and
median CPU, user + system, of the process), in process (40 QMSum queries after one to warm: p50
wall and p50 CPU), and in process without the query's embedding (the vectors computed first: the
part that can grow with the store), then a growth exponent per row and the value extrapolated to
1,000 and 20,000 meetings. The synth measured is the one of this repository (common.py puts it
first on the import path; the new processes run in it). The embedder keeps the vectors of the
last texts it embedded and onnxruntime's first run of an input length costs more, so each
store's in-process pass runs after every query was embedded once and forgotten (a process that
has served queries for a while). Texts are embedded one at a time, as a search does: more than a
few at once load the model's optimised graph, which makes every later query faster. The first
search of a store without a lexicon file writes one (a store must be writable for that); run
once before measuring.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, load_queries, qmsum_val_markdown
from scale import growth_table, stamp, store_path

ROWS = [
    ("new_s", "search, new process, median of 15 (s)", "{:.2f}"),
    ("new_cpu_s", "its CPU, median (s)", "{:.2f}"),
    ("p50_ms", "search in process p50 (ms)", "{:.1f}"),
    ("p50_cpu_ms", "its CPU p50 (ms)", "{:.1f}"),
    ("bare_ms", "in process without the embedding, p50 (ms)", "{:.1f}"),
    ("bare_cpu_ms", "its CPU p50 (ms)", "{:.1f}"),
]


def new_process(store: Path, queries: list[str], got: dict) -> None:
    command = [sys.executable, "-m", "synth", "--store", str(store), "--offline", "search"]
    repo = ROOT  # `-m synth` imports from the working folder first
    walls, cpus = [], []
    for _ in range(5):
        for query in queries[:3]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([*command, query, "--json"], check=True, capture_output=True, cwd=repo)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    stamp(got, "new_s", statistics.median(walls))
    stamp(got, "new_cpu_s", statistics.median(cpus))


def in_process(store: Path, queries: list[str], got: dict) -> None:
    from synth.app import Synth
    from synth.config import Settings

    app = Synth(Settings(store=store, offline=True))
    app.search(queries[0])
    for query in queries[:40]:  # onnxruntime's first run of each input length costs more: all warm
        app.embedder.embed([query])
    app.embedder.__dict__.pop("_recent", None)  # the embedder keeps the vectors it made: forgotten
    walls, cpus = timed(lambda q, _: app.search(q, k=10), queries[:40])
    stamp(got, "p50_ms", statistics.median(walls))
    stamp(got, "p50_cpu_ms", statistics.median(cpus))

    def bare(query: str, vector: list[float]) -> None:
        with app._session(write=False):
            app.retriever.search_with_count(query, 10, None, vector)

    vectors = [app.embedder.embed([q])[0] for q in queries[:40]]  # one at a time, as a search embeds
    walls, cpus = timed(bare, queries[:40], vectors)
    stamp(got, "bare_ms", statistics.median(walls))
    stamp(got, "bare_cpu_ms", statistics.median(cpus))


def timed(search, queries: list[str], vectors: list | None = None) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each search."""
    walls, cpus = [], []
    for query, vector in zip(queries, vectors or [None] * len(queries)):
        cpu, start = time.process_time(), time.perf_counter()
        search(query, vector)
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", help="SIZE=DIR,... (default: the scale stores of 35, 100 and 300 meetings)")
    args = parser.parse_args()
    pairs = [s.split("=", 1) for s in args.stores.split(",")] if args.stores else [(n, None) for n in (35, 100, 300)]
    stores = {int(n): Path(d) if d else store_path(int(n)) for n, d in pairs}
    queries = [q["query"] for q in load_queries(qmsum_val_markdown())]
    results: dict[int, dict] = {}
    for size, store in sorted(stores.items()):
        got: dict[str, float] = {"load": os.getloadavg()[0]}
        new_process(store, queries, got)
        in_process(store, queries, got)
        results[size] = got
        print(f"{size} meetings: {got}", file=sys.stderr, flush=True)
    print(growth_table(results, ROWS))


if __name__ == "__main__":
    main()
