"""Speed and memory of synth on the 35 QMSum val meetings.

    python bench/speed.py

Prints one table: `synth --help` wall time; ingest of the 35 meetings into a new store
(passages per second, and the ratio to the raw embedding throughput of the same passages,
the floor set by the model); re-ingest of the unchanged meetings (seconds, embeddings
computed); `synth search` in a new process (wall); in-process search p50/p95; peak memory
(max RSS) of ingest and of search.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys

from common import CACHE, ROOT, Timer, load_queries, qmsum_val_markdown, run_timed, table


def main():
    started_load = os.getloadavg()[0]
    folder = qmsum_val_markdown()
    synth = [sys.executable, "-m", "synth"]
    env_store = str(CACHE / "speed_store")
    shutil.rmtree(env_store, ignore_errors=True)
    rows = []

    helps = sorted(run_timed([*synth, "--help"])[0] for _ in range(5))
    rows.append(["synth --help (median of 5)", f"{statistics.median(helps):.3f} s", "target < 0.2 s"])

    files = [str(p) for p in sorted(folder.glob("*.md"))]
    # storing and indexing alone (--no-extract), then the offline extraction of the same meetings
    wall, rss_ingest, err = run_timed([*synth, "--store", env_store, "--offline", "ingest", "--no-extract", *files])
    summary = [line for line in err.splitlines() if line.startswith("Ingested")]
    passages = int(summary[0].split("(")[1].split()[0]) if summary else 0
    rows.append(
        [
            "ingest 35 meetings, new store, --no-extract",
            f"{wall:.1f} s",
            f"{passages} passages, {passages / wall:.1f} passages/s",
        ]
    )
    wall_x, rss_extract, err_x = run_timed([*synth, "--store", env_store, "--offline", "extract", "--all"])
    found = [line for line in err_x.splitlines() if line.startswith("Insights")]
    rows.append(
        [
            "offline extraction of the 35 (extract --all)",
            f"{wall_x:.1f} s",
            f"{wall_x / 35:.1f} s per meeting; {found[0].split(').')[0] + ')' if found else err_x[-200:]}",
        ]
    )

    # the floor: the model alone over exactly the same passage texts, in this process
    sys.path.insert(0, str(ROOT))
    from synth.app import Synth
    from synth.chunker import chunk_meeting, embedding_text
    from synth.config import Settings
    from synth.embeddings import Embedder, get_embedder
    from synth.readers import ReadOptions, read_meeting

    texts = []
    for path in files:
        with open(path, "rb") as file:
            data = file.read()
        meeting = read_meeting(data, path, ReadOptions())
        texts += [embedding_text(p.text) for p in chunk_meeting(meeting)] + [meeting.title]
    embedder = get_embedder()
    with Timer() as t:
        embedder.embed(texts)
    raw = len(texts) / t.seconds
    rows.append(["raw embedding of the same texts", f"{t.seconds:.1f} s", f"{raw:.1f} texts/s"])
    rows.append(["ingest time / raw embedding time", f"{wall / t.seconds:.2f}x", "target within 1.3x"])

    wall2, _, err2 = run_timed([*synth, "--store", env_store, "--offline", "ingest", *files])
    unchanged = [line for line in err2.splitlines() if line.startswith("Ingested")]
    rows.append(["re-ingest unchanged (new process)", f"{wall2:.2f} s", unchanged[0] if unchanged else err2[-200:]])
    app = Synth(Settings(store=env_store))
    before = Embedder.calls
    with Timer() as t2:
        report = app.ingest(files)
    rows.append(
        [
            "re-ingest unchanged (in process)",
            f"{t2.seconds:.3f} s",
            f"{report.unchanged} unchanged, {Embedder.calls - before} embeddings",
        ]
    )

    queries = [q["query"] for q in load_queries(folder)]
    walls, rss_search = [], 0.0
    for q in queries[:9]:
        w, rss_search, _ = run_timed([*synth, "--store", env_store, "search", q, "--json"])
        walls.append(w)
    rows.append(
        [
            "synth search, new process (median of 9)",
            f"{statistics.median(walls):.2f} s",
            f"target < 1.5 s; fastest {min(walls):.2f} s, slowest {max(walls):.2f} s",
        ]
    )
    app.search(queries[0])  # warm
    times = []
    for q in queries:
        with Timer() as t3:
            app.search(q, k=10)
        times.append(t3.seconds * 1000)
    times.sort()
    rows.append(
        [
            "search in process p50 / p95",
            f"{times[len(times) // 2]:.1f} / {times[int(len(times) * 0.95)]:.1f} ms",
            f"{len(times)} queries, target p50 < 50 ms",
        ]
    )
    rows.append(
        [
            "peak memory: ingest / extract / search",
            f"{rss_ingest:.0f} / {rss_extract:.0f} / {rss_search:.0f} MB",
            "max RSS of the process",
        ]
    )
    print(
        f"\nmachine: {os.cpu_count()} cores, load average {started_load:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end (other work on the machine shows in the walls)\n"
    )
    print(table(["what", "measured", "notes"], rows))


if __name__ == "__main__":
    main()
