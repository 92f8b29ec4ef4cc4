"""How synth's commands grow with the store: brief, report, search, the check after one new
meeting, on stores of 35, 100 and 300 meetings (issue 19).

    python bench/scale.py build            # the stores, once (offline, with extraction and check)
    python bench/scale.py measure [--label before|after] [--sizes 35,100,300]
    python bench/scale.py show --label before   # the table of an earlier measurement again

The meetings are QMSum transcripts (the 35 val meetings, then the 162 train meetings in an order
drawn with a fixed seed, then relabelled copies of those: new speaker names, the turns in a
rotated order of blocks, so no copy is a byte duplicate), one every three days from 2026-01-01
in that order, so each store is the first meetings of the next. The build records, per step,
passages per second of the ingest, extraction seconds per meeting, the automatic check's
seconds and the store's size on disk (`show --label build`). The vision and roster are bench/volume.py's (the remote-control vision; AMI roles
as functions). Each store is built once, offline, with extraction and the automatic check, and
copied before anything that writes. Printed per size: wall seconds and peak memory of `brief`
(the last 14 days) and `report` in a new process; search in a new process (median of 3) and in
process (p50, and the part spent refreshing the store's view); ingesting one new meeting with
extraction and check (and the check's own seconds); and the ratios between sizes. The machine's
load average is printed beside each size: read the ratios more than the seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CACHE, EVALDATA, ROOT, Timer, load_queries, qmsum_val_markdown, table

VISION = ROOT / "bench" / "data" / "volume" / "vision.md"
ROLES = {"product": "Project Manager", "engineering": "Industrial Designer", "design": "User Interface", "marketing": "Marketing"}
# the copies' speakers: each AMI role becomes a person of the same function; others get a suffix
RENAMED = {"Project Manager": "Paula Moreno", "Industrial Designer": "Ivan Dorsey", "User Interface": "Uma Lindqvist"}
RENAMED["Marketing"] = "Marco Feld"
ROSTER = {team: [role, RENAMED[role]] for team, role in ROLES.items()}
SIZES = (35, 100, 300)
QMSUM_TRAIN = 162
BLOCKS = 4  # a copy's turns in this many blocks, rotated by one
START = dt.date(2026, 1, 1)
STEP_DAYS = 3
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
        re.sub(r"^\*\*([^*]+):\*\*", lambda m: f"**{RENAMED.get(m[1], m[1] + '-2')}:**", turn)
        for turn in rotated
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


def build() -> None:
    """The stores, growing on one store: the first 35 meetings, copied, the next 65 on top, and so on."""
    from synth.app import Synth
    from synth.config import Settings

    files = dated_meetings()
    work = CACHE / "scale_store_building"
    shutil.rmtree(work, ignore_errors=True)
    roster = Path(tempfile.mkdtemp()) / "roster.yaml"
    roster.write_text("".join(f"{team}: [{', '.join(names)}]\n" for team, names in ROSTER.items()))
    app = Synth(Settings(store=work, offline=True))
    app.set_roster(roster)
    app.set_vision(VISION)
    done = 0
    steps: dict[int, dict[str, float]] = {}
    out = CACHE / "scale_out_build"
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        steps[size] = build_step(app, files[done:size])
        steps[size]["store_mb"] = disk_mb(work)
        print(f"built {size} meetings: {steps[size]}", flush=True)
        (out / "results.json").write_text(json.dumps(steps, indent=1))
        publish(work, size)
        done = size
    shutil.rmtree(work, ignore_errors=True)


def run_timed(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of a new process, and its output."""
    code = (
        "import resource, subprocess, sys, time; t=time.perf_counter(); "
        "p=subprocess.run(sys.argv[1:], capture_output=True, text=True); w=time.perf_counter()-t; "
        "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024, p.returncode); "
        "sys.stderr.write(p.stdout+p.stderr[-500:])"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    wall, rss, returncode = out.stdout.split()
    if returncode != "0":
        sys.exit(f"{' '.join(args[:6])}... exited {returncode}: {out.stderr[-800:]}")
    return float(wall), float(rss), out.stderr


def measure_size(size: int, files: list[Path], outputs: Path) -> dict[str, float]:
    from synth.app import Synth
    from synth.config import Settings
    from synth.store import meetings as meetings_module

    store = store_path(size)
    if not store.exists():
        sys.exit(f"no store at {store}: run `python bench/scale.py build` first")
    synth = [sys.executable, "-m", "synth", "--store", str(store), "--offline"]
    as_of = START + dt.timedelta(days=STEP_DAYS * (size - 1))
    since = as_of - dt.timedelta(days=14)
    got: dict[str, float] = {"load": os.getloadavg()[0]}

    wall, rss, out = run_timed([*synth, "brief", "--as-of", as_of.isoformat(), "--since", since.isoformat()])
    (outputs / f"brief-{size}.md").write_text(out)
    got.update(brief_s=wall, brief_mb=rss, brief_kb=len(out.encode()) / 1024)
    html = outputs / f"report-{size}.html"
    wall, rss, _ = run_timed([*synth, "report", "--until", as_of.isoformat(), "--out", str(html)])
    got.update(report_s=wall, report_mb=rss)

    queries = [q["query"] for q in load_queries(qmsum_val_markdown())]
    walls = [run_timed([*synth, "search", q, "--json"])[0] for q in queries[:3]]
    got["search_new_s"] = statistics.median(walls)

    app = Synth(Settings(store=store, offline=True))
    brief_in, report_in = [], []
    for _ in range(2):  # in process, the better of two: the work itself, without starting Python
        with Timer() as t:
            app.brief(since=since, as_of=as_of, prose=False)
        brief_in.append(t.seconds)
        with Timer() as t:
            app.report(until=as_of)
        report_in.append(t.seconds)
    got.update(brief_in_s=min(brief_in), report_in_s=min(report_in))
    meetings = app.store().meetings
    if hasattr(meetings, "change_token") and meetings.change_token() is None:
        with app.store().changing():  # a store written before the change token: write one, as an ingest would
            meetings._changed()
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
    got["search_p50_ms"] = statistics.median(times)
    got["refresh_ms"] = refresh[0] * 1000 / len(times)

    print(f"{size} meetings so far: {got}", file=sys.stderr, flush=True)
    copy = Path(tempfile.mkdtemp(prefix="synth-scale-")) / "store"
    shutil.copytree(store, copy)
    new = files[size]
    wall, rss, out = run_timed([*synth[:4], str(copy), "--offline", "ingest", str(new)])
    got.update(one_new_s=wall, one_new_mb=rss)
    shutil.rmtree(copy.parent, ignore_errors=True)
    return got


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["build", "measure", "show"])
    parser.add_argument("--label", default="now")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    if args.what == "build":
        build()
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    outputs = CACHE / f"scale_out_{args.label}"
    outputs.mkdir(parents=True, exist_ok=True)
    if args.what == "show":  # the table of an earlier measurement
        results = {int(k): v for k, v in json.loads((outputs / "results.json").read_text()).items()}
    else:
        files = dated_meetings()
        results = {size: measure_size(size, files, outputs) for size in sizes}
        (outputs / "results.json").write_text(json.dumps(results, indent=1))
    rows = []
    names = [
        ("load", "load average at the start", "{:.2f}"),
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
        ("one_new_s", "ingest one new meeting, extraction and check (s)", "{:.1f}"),
        ("one_new_mb", "  its peak memory (MB)", "{:.0f}"),
    ]
    for key, label, fmt in names:
        row = [label, *[fmt.format(results[s][key]) for s in sizes]]
        if len(sizes) > 1:
            first, last = results[sizes[0]][key], results[sizes[-1]][key]
            row.append(f"{last / first:.2f}x" if first and key != "load" else "-")
        rows.append(row)
    head = ["what", *[f"{s} meetings" for s in sizes]] + (
        [f"{sizes[-1]}/{sizes[0]} (store x{sizes[-1] / sizes[0]:.1f})"] if len(sizes) > 1 else []
    )
    print(f"\n{args.label}: {os.cpu_count()} cores, offline; outputs in {outputs}\n")
    print(table(head, rows))


if __name__ == "__main__":
    main()
