"""How synth's commands grow with the store: brief, report, search, ingest and the check, on
stores of 35, 100 and 300 meetings (issue 19).

    python bench/scale.py build            # the stores, once (offline, with extraction and check)
    python bench/scale.py show --label build    # the build's steps: passages/s, extraction, check, size
    python bench/scale.py measure [--label before|after] [--sizes 35,100,300]
    python bench/scale.py show --label before   # the tables of an earlier measurement again
    python bench/scale.py repack --sizes 35,100,300  # stores built before insights were packed, rewritten as now
    python bench/scale.py same-new [--runs 2]   # one and the same new meeting into an empty store and each size
    python bench/scale.py collector [--runs 3]  # the cycle collector's share of an ingest, a brief, a report

The meetings are QMSum transcripts (the 35 val meetings, then the 162 train meetings in an order
drawn with a fixed seed, then relabelled copies of those: new speaker names, the turns in a
rotated order of blocks, so no copy is a byte duplicate), one every three days from 2026-01-01
in that order, so each store is the first meetings of the next. The vision and roster are
bench/volume.py's (the remote-control vision; AMI roles as functions, and the copies' people).
The stores grow on one store, built offline with extraction and the automatic check; each size
is copied under a temporary name, then renamed. The build records per step passages per second
of the ingest, extraction seconds per meeting, the check's seconds and the store's size.

`measure` prints per size: wall seconds and peak memory of `brief` (the last 14 days) and
`report` in a new process, and both in process; search in a new process (median of 3) and in
process (p50, and the part spent reading meeting records); on a copy of the store, the unchanged
meetings ingested again, one new meeting with extraction and check, then `check --all`; the
store's size and what takes it (SQLite tables, HNSW files). Each figure has the machine's load
average beside it, a growth exponent fitted over the sizes (log-log least squares) and the value
extrapolated by it to 1,000 and 20,000 meetings. Once: ingest passages/s against the raw
embedding of the same passages. Read the ratios more than the seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    CACHE,
    EVALDATA,
    ROOT,
    Timer,
    load_queries,
    qmsum_val_markdown,
    run_measured,
    run_timed,
    store_space,
    table,
)

VISION = ROOT / "bench" / "data" / "volume" / "vision.md"
ROLES = {
    "product": "Project Manager",
    "engineering": "Industrial Designer",
    "design": "User Interface",
    "marketing": "Marketing",
}
# the copies' speakers: each AMI role becomes a person of the same function; others get a suffix
RENAMED = {"Project Manager": "Paula Moreno", "Industrial Designer": "Ivan Dorsey", "User Interface": "Uma Lindqvist"}
RENAMED["Marketing"] = "Marco Feld"
ROSTER = {team: [role, RENAMED[role]] for team, role in ROLES.items()}
SIZES = (35, 100, 300)
QMSUM_TRAIN = 162
BLOCKS = 4  # a copy's turns in this many blocks, rotated by one
START = dt.date(2026, 1, 1)
STEP_DAYS = 3
EXTRAPOLATE = (1_000, 20_000)
EMBED_MEETINGS = 5  # the meetings whose passages measure the embedding's throughput
SPARE = 1  # meetings converted beyond the largest store: the "one new meeting"


def train_markdown(count: int) -> list[Path]:
    """`count` QMSum train meetings in an order drawn with a fixed seed, converted once."""
    out = CACHE / f"qmsum_train{count}_scale_md"
    if not (out / "order.txt").exists():
        rows = [json.loads(r) for r in (EVALDATA / "qmsum" / "index.jsonl").read_text().splitlines() if r.strip()]
        pool = sorted(r["meeting_id"] for r in rows if r["split"] == "train")
        chosen = random.Random("synth-scale").sample(pool, count)
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(EVALDATA / "qmsum_to_md.py"), "--out-dir", str(out), *chosen],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (out / "order.txt").write_text("\n".join(chosen))
    return [out / f"{name}.md" for name in (out / "order.txt").read_text().split()]


def relabelled(path: Path) -> str:
    """A copy of a meeting that is not a byte duplicate: new speaker names, blocks of turns rotated."""
    head, *turns = path.read_text().split("\n\n")
    size = max(1, len(turns) // BLOCKS)
    rotated = turns[size:] + turns[:size]
    renamed = [
        re.sub(r"^\*\*([^*]+):\*\*", lambda m: f"**{RENAMED.get(m[1], m[1] + '-2')}:**", turn) for turn in rotated
    ]
    return "\n\n".join([head.replace(path.stem, f"{path.stem}-r2"), *renamed])


def copies(sources: list[Path], count: int) -> list[Path]:
    """`count` relabelled copies of the first sources, written once."""
    out = CACHE / "scale_copies_md"
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for path in sources[:count]:
        target = out / f"{path.stem}-r2.md"
        if not target.exists():
            target.write_text(relabelled(path))
        made.append(target)
    return made


def dated_meetings() -> list[Path]:
    """Every meeting of the bench with front matter (title = its id, one every three days)."""
    out = CACHE / "scale_md"
    sources = sorted(qmsum_val_markdown().glob("*.md"))
    sources += train_markdown(QMSUM_TRAIN)
    sources += copies(sources, max(SIZES) + SPARE - len(sources))
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for n, path in enumerate(sources):
        date = START + dt.timedelta(days=STEP_DAYS * n)
        target = out / f"{n:03d}-{path.name}"
        if not target.exists():
            target.write_text(f"---\ntitle: {path.stem}\ndate: {date.isoformat()}\n---\n{path.read_text()}")
        files.append(target)
    return files


def store_path(size: int) -> Path:
    return CACHE / f"scale_store_{size}"


def disk_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def publish(work: Path, size: int) -> None:
    """Copy the growing store to its size's name: to a temporary name first, renamed when complete."""
    final = store_path(size)
    partial = final.with_name(final.name + ".copying")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(work, partial)
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)


def build_step(app, files: list[Path]) -> dict[str, float]:
    """Ingest `files` in three timed phases: passages, extraction, the automatic check."""
    got: dict[str, float] = {"meetings": len(files), "load": os.getloadavg()[0]}
    with Timer() as t:
        report = app.ingest([str(p) for p in files], extract=False)
    got.update(ingest_s=t.seconds, passages=report.passages, passages_per_s=report.passages / t.seconds)
    with Timer() as t:
        app.ingest([], check=False)  # the meetings left pending above
    got.update(extract_s=t.seconds, extract_s_per_meeting=t.seconds / len(files))
    with Timer() as t:
        app.check()  # what ingest runs after extraction: the new insights only
    got["check_s"] = t.seconds
    return got


def build(resume: bool = False) -> None:
    """The stores, growing on one store: the first 35 meetings, copied, the next 65 on top, and so on.
    `resume`: go on from a build that was stopped, after the largest size it published (the
    meetings it stored since are skipped by ingest, so the step's timings then count less work)."""
    from synth.app import Synth
    from synth.config import Settings

    files = dated_meetings()
    work = CACHE / "scale_store_building"
    out = CACHE / "scale_out_build"
    out.mkdir(parents=True, exist_ok=True)
    steps: dict[int, dict[str, float]] = {}
    done = 0
    if resume and work.exists() and (out / "results.json").exists():
        steps = {int(k): v for k, v in json.loads((out / "results.json").read_text()).items()}
        done = max(size for size in steps if store_path(size).exists())
        app = Synth(Settings(store=work, offline=True))
    else:
        shutil.rmtree(work, ignore_errors=True)
        roster = Path(tempfile.mkdtemp()) / "roster.yaml"
        roster.write_text("".join(f"{team}: [{', '.join(names)}]\n" for team, names in ROSTER.items()))
        app = Synth(Settings(store=work, offline=True))
        app.set_roster(roster)
        app.set_vision(VISION)
    for size in (s for s in SIZES if s > done):
        steps[size] = build_step(app, files[done:size])
        steps[size]["store_mb"] = disk_mb(work)
        print(f"built {size} meetings: {steps[size]}", flush=True)
        (out / "results.json").write_text(json.dumps(steps, indent=1))
        publish(work, size)
        done = size
    shutil.rmtree(work, ignore_errors=True)


def stamp(got: dict[str, float], key: str, value: float) -> None:
    """A measurement and the machine's load average when it ended (shown beside it)."""
    got[key] = value
    got[f"{key}@load"] = os.getloadavg()[0]


def measure_size(size: int, files: list[Path], outputs: Path) -> dict[str, float]:
    store = store_path(size)
    if not store.exists():
        sys.exit(f"no store at {store}: run `python bench/scale.py build` first")
    synth = [sys.executable, "-m", "synth", "--store", str(store), "--offline"]
    as_of = START + dt.timedelta(days=STEP_DAYS * (size - 1))
    since = as_of - dt.timedelta(days=14)
    got: dict[str, float] = {"load": os.getloadavg()[0]}

    wall, rss, out = run_timed([*synth, "brief", "--as-of", as_of.isoformat(), "--since", since.isoformat()])
    (outputs / f"brief-{size}.md").write_text(out)
    stamp(got, "brief_s", wall)
    got.update(brief_mb=rss, brief_kb=len(out.encode()) / 1024)
    html = outputs / f"report-{size}.html"
    wall, rss, _ = run_timed([*synth, "report", "--until", as_of.isoformat(), "--out", str(html)])
    stamp(got, "report_s", wall)
    got["report_mb"] = rss

    queries = [q["query"] for q in load_queries(qmsum_val_markdown())]
    walls = [run_timed([*synth, "search", q, "--json"])[0] for q in queries[:3]]
    stamp(got, "search_new_s", statistics.median(walls))
    measure_in_process(store, as_of, since, queries, got)
    print(f"{size} meetings so far: {got}", file=sys.stderr, flush=True)
    measure_writes(size, files, got)
    got.update({f"disk: {part}": mb for part, mb in store_space(store).items()})
    got["store_mb"] = disk_mb(store)
    return got


def measure_in_process(store: Path, as_of: dt.date, since: dt.date, queries: list[str], got: dict) -> None:
    """Brief, report and search in one process: the work itself, without starting Python."""
    from synth.app import Synth
    from synth.config import Settings
    from synth.store import meetings as meetings_module

    app = Synth(Settings(store=store, offline=True))
    brief_in, report_in = [], []
    for _ in range(2):  # the better of two
        with Timer() as t:
            app.brief(since=since, as_of=as_of, prose=False)
        brief_in.append(t.seconds)
        with Timer() as t:
            app.report(until=as_of)
        report_in.append(t.seconds)
    stamp(got, "brief_in_s", min(brief_in))
    stamp(got, "report_in_s", min(report_in))
    app.search(queries[0])  # warm: the model and the store opened
    refresh = [0.0]
    original = meetings_module.MeetingRepo.records

    def timed_all(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            refresh[0] += time.perf_counter() - start

    meetings_module.MeetingRepo.records = timed_all  # type: ignore[method-assign]
    times = []
    for q in queries[:40]:
        with Timer() as t:
            app.search(q, k=10)
        times.append(t.seconds * 1000)
    meetings_module.MeetingRepo.records = original  # type: ignore[method-assign]
    stamp(got, "search_p50_ms", statistics.median(times))
    got["refresh_ms"] = refresh[0] * 1000 / len(times)


def measure_writes(size: int, files: list[Path], got: dict) -> None:
    """On a copy of the store: the unchanged meetings ingested again, one new meeting (with
    extraction and the check), then `check --all`."""
    copy = Path(tempfile.mkdtemp(prefix="synth-scale-")) / "store"
    shutil.copytree(store_path(size), copy)
    synth = [sys.executable, "-m", "synth", "--store", str(copy), "--offline"]
    try:
        wall, rss, _ = run_timed([*synth, "ingest", *map(str, files[:size])])
        stamp(got, "reingest_s", wall)
        got["reingest_mb"] = rss
        wall, rss, _ = run_timed([*synth, "ingest", str(files[size])])
        stamp(got, "one_new_s", wall)
        got["one_new_mb"] = rss
        wall, rss, _ = run_timed([*synth, "check", "--all"])
        stamp(got, "check_all_s", wall)
        got["check_all_mb"] = rss
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


def embedding_rate(files: list[Path]) -> dict[str, float]:
    """Ingest (`--no-extract`, in process, the model loaded) against the raw embedding of the same
    passages' texts, on the first meetings."""
    from synth.app import Synth
    from synth.config import Settings

    folder = Path(tempfile.mkdtemp(prefix="synth-embed-"))
    try:
        app = Synth(Settings(store=folder / "store", offline=True))
        app.embedder.embed(["warm the model and its optimised graph"] * 16)
        got: dict[str, float] = {}
        with Timer() as t:
            report = app.ingest([str(p) for p in files[:EMBED_MEETINGS]], extract=False)
        stamp(got, "ingest_passages_per_s", report.passages / t.seconds)
        with app._session(write=False):
            store = app.store(create=False)
            ids = store._passages.get(include=[])["ids"]
            texts = [p.text for p in store.meetings.passages(ids).values()]
        with Timer() as t:
            app.embedder.embed(texts)
        stamp(got, "raw_passages_per_s", len(texts) / t.seconds)
        got.update(passages=len(texts), meetings=EMBED_MEETINGS)
        return got
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def growth(sizes: list[int], values: list[float]) -> float | None:
    """The exponent b of value ~ size**b, by least squares on the logs (None without two sizes)."""
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values) if v > 0]
    if len(points) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    spread = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / spread if spread else None


def growth_row(label: str, fmt: str, sizes: list[int], values: list[float], loads: list[float | None]) -> list[str]:
    """A row: the value at each size (with the load beside it), the exponent, and the value
    extrapolated from the largest size to 1,000 and 20,000 meetings by that exponent."""
    cells = [fmt.format(v) + (f" ({load:.1f})" if load is not None else "") for v, load in zip(values, loads)]
    b = growth(sizes, values)
    if b is None:
        return [label, *cells, "-", "-", "-"]
    ahead = [fmt.format(values[-1] * (n / sizes[-1]) ** b) for n in EXTRAPOLATE]
    return [label, *cells, f"{b:.2f}", *ahead]


def growth_table(results: dict[int, dict], names: list[tuple[str, str, str]]) -> str:
    sizes = sorted(results)
    rows = [
        growth_row(label, fmt, sizes, [results[s][key] for s in sizes], [results[s].get(f"{key}@load") for s in sizes])
        for key, label, fmt in names
        if all(key in results[s] for s in sizes)
    ]
    head = ["what", *[f"{s} meetings (load)" for s in sizes], "exponent", *[f"at {n:,}" for n in EXTRAPOLATE]]
    return table(head, rows)


MEASURED = [
    ("brief_s", "brief, last 14 days (s)", "{:.1f}"),
    ("brief_mb", "brief peak memory (MB)", "{:.0f}"),
    ("brief_kb", "brief size (KB)", "{:.0f}"),
    ("brief_in_s", "  brief in process, better of 2 (s)", "{:.2f}"),
    ("report_s", "report (s)", "{:.1f}"),
    ("report_in_s", "  report in process, better of 2 (s)", "{:.2f}"),
    ("report_mb", "report peak memory (MB)", "{:.0f}"),
    ("search_new_s", "search, new process, median of 3 (s)", "{:.2f}"),
    ("search_p50_ms", "search in process p50 (ms)", "{:.1f}"),
    ("refresh_ms", "  of which reading meeting records (ms)", "{:.1f}"),
    ("reingest_s", "re-ingest of the unchanged meetings (s)", "{:.1f}"),
    ("one_new_s", "ingest one new meeting, extraction and check (s)", "{:.1f}"),
    ("one_new_mb", "  its peak memory (MB)", "{:.0f}"),
    ("check_all_s", "check --all (s)", "{:.1f}"),
    ("check_all_mb", "  its peak memory (MB)", "{:.0f}"),
    ("store_mb", "store on disk (MB)", "{:.0f}"),
]
BUILT = [
    ("passages", "passages of the step's new meetings", "{:.0f}"),
    ("passages_per_s", "ingest --no-extract (passages/s)", "{:.1f}"),
    ("extract_s_per_meeting", "offline extraction (s per meeting)", "{:.1f}"),
    ("check_s", "automatic check after the step (s)", "{:.1f}"),
    ("check_s_per_meeting", "  per new meeting (s)", "{:.2f}"),
    ("store_mb", "store on disk (MB)", "{:.0f}"),
    ("mb_per_meeting", "  per meeting (MB)", "{:.2f}"),
]


def space_table(results: dict[int, dict]) -> str:
    sizes = sorted(results)
    parts = sorted(
        {k for s in sizes for k in results[s] if k.startswith("disk: ")}, key=lambda k: -results[sizes[-1]].get(k, 0)
    )
    rows = [
        [part[6:], *[f"{results[s].get(part, 0):.1f}" for s in sizes]]
        for part in parts
        if results[sizes[-1]].get(part, 0) >= 0.05
    ]
    return table(["what takes the space (MB)", *[f"{s} meetings" for s in sizes]], rows)


def show_build() -> None:
    steps = {int(k): v for k, v in json.loads((CACHE / "scale_out_build" / "results.json").read_text()).items()}
    for size, step in steps.items():
        step["check_s_per_meeting"] = step["check_s"] / step["meetings"]
        step["mb_per_meeting"] = step["store_mb"] / size
        for key in ("passages_per_s", "extract_s_per_meeting", "check_s", "check_s_per_meeting"):
            step.setdefault(f"{key}@load", step["load"])  # the build notes the load once per step
    print("\nthe build, per step (the store size at the step's end; load average at its start)\n")
    print(growth_table(steps, BUILT))


def same_new(sizes: list[int], runs: int) -> None:
    """One meeting, the same for every size (the first spare one, dated after every store's
    meetings), ingested with extraction and the check in a new process into an empty store and
    into a copy of each store, `runs` times each, the sizes in turn (empty, 35, 100, 300, empty,
    35...) so that a change in the machine's load falls on all of them: the target is at most
    twice the empty store's. Wall and CPU seconds (CPU counts the idle spinning of OpenBLAS's
    threads too: compare its ratios, not its seconds with wall's)."""
    files = dated_meetings()
    new = files[max(SIZES)]
    order = [0, *sizes]
    walls: dict[int, list[float]] = {size: [] for size in order}
    cpus: dict[int, list[float]] = {size: [] for size in order}
    peaks: dict[int, list[float]] = {size: [] for size in order}
    loads: dict[int, list[float]] = {size: [] for size in order}
    for _ in range(runs):
        for size in order:
            work = Path(tempfile.mkdtemp(prefix="synth-same-new-"))
            try:
                if size:
                    shutil.copytree(store_path(size), work / "store", ignore=shutil.ignore_patterns("*.lock"))
                loads[size].append(os.getloadavg()[0])
                wall, rss, cpu, _ = run_measured(
                    [sys.executable, "-m", "synth", "--store", str(work / "store"), "--offline", "ingest", str(new)]
                )
                walls[size].append(wall)
                cpus[size].append(cpu)
                peaks[size].append(rss)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    rows: list[list[str]] = []
    empty_wall, empty_cpu = statistics.median(walls[0]), statistics.median(cpus[0])
    for size in order:
        wall, cpu = statistics.median(walls[size]), statistics.median(cpus[size])
        rows.append(
            [
                f"{size} meetings" if size else "empty",
                " / ".join(f"{w:.2f}" for w in walls[size]),
                f"{wall:.2f}",
                f"{wall / empty_wall:.2f}",
                f"{cpu:.2f}",
                f"{cpu / empty_cpu:.2f}",
                f"{max(peaks[size]):.0f}",
                f"{statistics.median(loads[size]):.1f}",
            ]
        )
    print(f"\none new meeting ({new.name}), extraction and check, new process (medians):\n")
    print(table(["store", "wall runs (s)", "wall (s)", "x empty", "CPU (s)", "CPU x empty", "peak MB", "load"], rows))
    grown = [(size, statistics.median(cpus[size]) - empty_cpu) for size in sizes]
    exponent = growth([size for size, _ in grown], [extra for _, extra in grown])
    if len(grown) >= 2 and all(extra > 0 for _, extra in grown) and exponent is not None:
        at_1000 = grown[-1][1] * (1000 / grown[-1][0]) ** exponent
        print(
            f"\nCPU beyond the empty store's: {', '.join(f'{extra:.2f} s at {size}' for size, extra in grown)}; "
            f"fitted exponent {exponent:.2f}: {at_1000:.2f} s at 1,000 meetings, "
            f"{(empty_cpu + at_1000) / empty_cpu:.2f} times the empty store's "
            f"(linear from {grown[-1][0]}: {(empty_cpu + grown[-1][1] * 1000 / grown[-1][0]) / empty_cpu:.2f})"
        )


def collector(sizes: list[int], runs: int) -> None:
    """What Python's cycle collector costs in process, on a copy of each store: one new meeting
    ingested with extraction and check, the brief of the last 14 days and the report, with the
    collector paused as synth pauses it (synth/collector.py) and never paused, in turn, `runs`
    times each: its passes (all generations), their seconds, and each step's wall seconds."""
    import contextlib
    import gc

    import synth.collector
    from synth.app import Synth
    from synth.config import Settings

    spent = [0, 0.0]
    started = [0.0]

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[0] += 1
            spent[1] += time.perf_counter() - started[0]

    gc.callbacks.append(watch)
    pausing = synth.collector.paused
    new = dated_meetings()[max(SIZES)]
    rows: list[list[str]] = []
    for size in sizes:
        as_of = START + dt.timedelta(days=STEP_DAYS * size)  # the new meeting's day
        found: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
        for _ in range(runs):
            for way in ("paused", "never paused"):
                synth.collector.paused = pausing if way == "paused" else contextlib.nullcontext
                work = Path(tempfile.mkdtemp(prefix="synth-collector-"))
                try:
                    shutil.copytree(store_path(size), work / "store", ignore=shutil.ignore_patterns("*.lock"))
                    app = Synth(Settings(store=work / "store", offline=True))
                    since = as_of - dt.timedelta(days=14)
                    steps: list[tuple[str, Callable[[], object]]] = [
                        ("ingest", functools.partial(app.ingest, [str(new)])),
                        ("brief", functools.partial(app.brief, since=since, as_of=as_of, prose=False)),
                        ("report", functools.partial(app.report, until=as_of)),
                    ]
                    for step, call in steps:
                        gc.collect()
                        spent[:] = [0, 0.0]
                        start = time.perf_counter()
                        call()
                        found.setdefault((step, way), []).append((spent[0], spent[1], time.perf_counter() - start))
                finally:
                    synth.collector.paused = pausing
                    shutil.rmtree(work, ignore_errors=True)
        for (step, way), got in found.items():
            rows.append(
                [
                    f"{size} meetings",
                    step,
                    way,
                    f"{statistics.median(g[0] for g in got):.0f}",
                    f"{statistics.median(g[1] for g in got):.3f}",
                    f"{statistics.median(g[2] for g in got):.2f}",
                ]
            )
    gc.callbacks.remove(watch)
    print(f"\nthe cycle collector in process (medians of {runs}; gc.collect() before each step):\n")
    print(table(["store", "step", "collector", "passes", "collector s", "wall s"], rows))


def repack(size: int) -> None:
    """Rewrite the insights of a store built before their packing (one pack per extraction run,
    slim records) in the form an ingest writes now, in place: the same insights, vectors, runs
    and kept terms, so its digest and flags still hold. Measures the current form without
    building the stores again (extraction takes most of a build)."""
    from synth.app import Synth
    from synth.config import Settings

    store = Synth(Settings(store=store_path(size), offline=True)).store(create=False)
    done = 0
    for record in store.meetings.records():
        run = record.extraction_run
        if not run or store.insights._packs([run]):
            continue
        rows = store.insights.visible_with_vectors([record])
        store._insights.delete(ids=[row.id for row in rows])
        store.insights.write([row.insight for row in rows], [row.vector.tolist() for row in rows], run, record.version)
        kept = [(row.insight, row.kept_terms) for row in rows if row.kept_terms is not None]
        store.insights.keep_terms({record.meeting_id: run}, kept)
        done += 1
    print(f"{store_path(size)}: the insights of {done} extraction runs rewritten packed")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["build", "measure", "show", "repack", "same-new", "collector"])
    parser.add_argument("--runs", type=int, default=2, help="same-new, collector: runs per store")
    parser.add_argument("--resume", action="store_true", help="build: go on from a stopped build")
    parser.add_argument("--label", default="now")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    if args.what == "build":
        build(resume=args.resume)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.what == "repack":
        for size in sizes:
            repack(size)
        return
    if args.what == "same-new":
        same_new(sizes, args.runs)
        return
    if args.what == "collector":
        collector(sizes, args.runs)
        return
    outputs = CACHE / f"scale_out_{args.label}"
    outputs.mkdir(parents=True, exist_ok=True)
    if args.what == "show" and args.label == "build":
        show_build()
        return
    saved_file = outputs / "results.json"
    saved = json.loads(saved_file.read_text()) if saved_file.exists() else {}
    embedding = saved.pop("embedding", None)
    results = {int(k): v for k, v in saved.items()}  # sizes measured earlier under this label
    if args.what == "measure":  # the sizes asked for, measured again; the others kept
        files = dated_meetings()
        embedding = embedding or embedding_rate(files)
        for size in sizes:
            results[size] = measure_size(size, files, outputs)
            saved_file.write_text(json.dumps({**results, "embedding": embedding}, indent=1))
    if not results:
        sys.exit(f"nothing measured under the label {args.label!r} yet")
    results = dict(sorted(results.items()))
    print(f"\n{args.label}: {os.cpu_count()} cores, offline; load average beside each timing; outputs in {outputs}\n")
    print(growth_table(results, MEASURED))
    print()
    print(space_table(results))
    if embedding:
        e = embedding
        print(
            f"\nembedding, {e['passages']:.0f} passages of the first {e['meetings']:.0f} meetings: ingest --no-extract "
            f"{e['ingest_passages_per_s']:.1f} passages/s (load {e['ingest_passages_per_s@load']:.1f}), the raw model "
            f"{e['raw_passages_per_s']:.1f} passages/s (load {e['raw_passages_per_s@load']:.1f}): "
            f"ingest at {e['raw_passages_per_s'] / e['ingest_passages_per_s']:.2f}x the raw embedding's time"
        )


if __name__ == "__main__":
    main()
