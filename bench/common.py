"""Shared set-up for the benchmarks: the QMSum val meetings as markdown, and stores built once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("SYNTH_BENCH_CACHE", ROOT / "bench" / ".cache"))
EVALDATA = Path(os.environ.get("SYNTH_EVALDATA", ROOT.parent / "shared" / "evaldata"))
sys.path.insert(0, str(ROOT))


def qmsum_val_markdown() -> Path:
    """Convert the 35 QMSum val meetings with the evaldata converter (once)."""
    out = CACHE / "qmsum_val_md"
    if not (out / "queries.jsonl").exists():
        converter = EVALDATA / "qmsum_to_md.py"
        if not converter.exists():
            sys.exit(f"evaldata not found at {EVALDATA}: set SYNTH_EVALDATA")
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(converter), "--split", "val", "--out-dir", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out


def qmsum_train_sample_markdown() -> Path:
    """35 meetings of the QMSum train split, in val's mix of domains (20 product, 9 academic, 6
    committee), drawn with a fixed seed: a check that what was tuned on val holds elsewhere."""
    out = CACHE / "qmsum_train35_md"
    if not (out / "queries.jsonl").exists():
        import random

        rows = [json.loads(row) for row in (EVALDATA / "qmsum" / "index.jsonl").read_text().splitlines() if row.strip()]
        train = [r for r in rows if r["split"] == "train"]
        chosen = []
        for domain, count in (("Product", 20), ("Academic", 9), ("Committee", 6)):
            pool = sorted(r["meeting_id"] for r in train if r["domain"] == domain)
            chosen += random.Random(f"synth-{domain}").sample(pool, count)
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, str(EVALDATA / "qmsum_to_md.py"), "--out-dir", str(out), *chosen],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out


def load_queries(folder: Path) -> list[dict]:
    rows = [json.loads(row) for row in (folder / "queries.jsonl").read_text().splitlines() if row.strip()]
    return [q for q in rows if q["type"] == "specific" and q["gold_turns_in_md"]]


def load_turns(folder: Path) -> dict[str, list[dict]]:
    turns = {}
    for path in sorted(folder.glob("*.turns.jsonl")):
        turns[path.name[: -len(".turns.jsonl")]] = [
            json.loads(row) for row in path.read_text().splitlines() if row.strip()
        ]
    return turns


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in row] for row in [headers] + rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [" | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def store_space(folder: Path) -> dict[str, float]:
    """What takes a store folder's space, in MB: Chroma's SQLite tables (indexes counted with their
    table, the full-text index as one), each collection's HNSW files, and the rest."""
    import sqlite3

    database = folder / "chroma.sqlite3"
    space: dict[str, float] = {}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        owners = dict(db.execute("SELECT name, tbl_name FROM sqlite_master"))
        for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owners.get(name, name)
            table = "embedding_fulltext_search (all)" if table.startswith("embedding_fulltext_search") else table
            space[f"sqlite: {table}"] = space.get(f"sqlite: {table}", 0) + size / 1e6
        collections = dict(db.execute("SELECT s.id, c.name FROM segments s JOIN collections c ON s.collection = c.id"))
    for part in folder.iterdir():
        if part.is_dir():
            size = sum(f.stat().st_size for f in part.rglob("*") if f.is_file()) / 1e6
            space[f"hnsw: {collections.get(part.name, part.name)}"] = size
    files = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6
    space["other files (sqlite free pages, locks)"] = files - sum(space.values())
    return space


def run_timed(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of a new process, and its output (all of stdout, the end of
    stderr). A failed command stops the bench: its timing would not be a measurement."""
    wall, rss, _, output = run_measured(args)
    return wall, rss, output


def run_measured(args: list[str]) -> tuple[float, float, float, str]:
    """`run_timed`, and the CPU seconds the process used (user and system, all its threads): a
    second view of the same run, on a machine whose other jobs make wall time move."""
    code = (
        "import resource, subprocess, sys, time; t=time.perf_counter(); "
        "p=subprocess.run(sys.argv[1:], capture_output=True, text=True); w=time.perf_counter()-t; "
        "u=resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(w, u.ru_maxrss/1024, u.ru_utime+u.ru_stime, p.returncode); "
        "sys.stderr.write(p.stdout+p.stderr[-500:])"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    wall, rss, cpu, returncode = out.stdout.split()
    if returncode != "0":
        sys.exit(f"{' '.join(args[:6])}... exited {returncode}: {out.stderr[-800:]}")
    return float(wall), float(rss), float(cpu), out.stderr
