"""What `synth check` costs as the store grows: the check of one new meeting and `check --all`, on
copies of stores of increasing size (issue 19).

    python bench/check_scale.py STORE [STORE ...] [--no-all] [--out FILE.json]

Each store (a synth store with insights and a vision, e.g. bench/scale.py's QMSum stores) is
copied to a temporary folder first; nothing is written into it. For each, in a new process:

- one new meeting: the check of the newest meeting's insights, as after its ingest (the check
  state is taken as it was before that meeting: every other meeting checked, the vision too);
- all: `check --all`, every insight against the vision and each other.

Printed per store: meetings and insights; for each check its wall seconds (reading the store
included, nothing written), the pairs judged, the insight vectors read from the store, the
nearest-neighbour queries, the flags it raises (as if none were stored), and the peak memory of its process. With
--out the rows are also written as JSON, with the ids of the flags each check would write and
delete, to compare two versions of synth on the same stores. The machine's load average is
printed beside each store: read the ratios more than the seconds.

The same file runs against an older synth (PYTHONPATH=that checkout): where the check has no
counter of vectors read, it read them all, and that count is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import table


def measure(mode: str, store: Path) -> dict:
    """One check on `store` (already a copy), in this process: what `main` prints a row of."""
    from synth.app import Synth
    from synth.check import CheckState, run_check
    from synth.config import Settings
    from synth.inputs import check_inputs

    app = Synth(Settings(store=store, offline=True))
    opened = app.store(create=False)
    records = opened.meetings.records()
    start = time.perf_counter()
    # as if no flag were stored: the flags written are every flag the check raises, to compare
    inputs = dataclasses.replace(check_inputs(opened), flags=[])
    if mode == "one":
        newest = max((r for r in records if r.extraction_run), key=lambda r: (r.date, r.meeting_id))
        runs = {m: run for m, run in inputs.runs.items() if m != newest.meeting_id}
        inputs = dataclasses.replace(inputs, state=CheckState(vision=inputs.state.vision, runs=runs))
    result = run_check(inputs, everything=mode == "all")
    seconds = time.perf_counter() - start
    source = getattr(inputs, "vectors", None)
    return {
        "meetings": len(records),
        "insights": len(inputs.insights),
        "seconds": seconds,
        "pairs": result.report.pairs,
        "checked": result.report.insights_checked,
        # an older synth read every insight's vector before checking
        "vectors_read": getattr(source, "vectors_read", len(inputs.insights)),
        "queries": getattr(source, "queries", 0),
        "put": sorted(f.id for f in result.put),
        "delete": sorted(result.delete),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measured(mode: str, store: Path) -> dict:
    """`measure` in a new process, on a fresh copy of `store`."""
    work = Path(tempfile.mkdtemp(prefix="synth-check-scale-"))
    try:
        copy = work / "store"
        shutil.copytree(store, copy, ignore=shutil.ignore_patterns("*.lock"))
        out = subprocess.run(
            [sys.executable, __file__, "--measure", mode, str(copy)], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            sys.exit(f"check {mode} on {store} failed: {out.stderr[-1500:]}")
        return json.loads(out.stdout.splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", nargs="+", type=Path)
    parser.add_argument("--no-all", action="store_true", help="only the check of one new meeting")
    parser.add_argument("--out", type=Path, help="also write the rows (with flag ids) as JSON")
    parser.add_argument("--measure", choices=["one", "all"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.stores[0])))
        return
    rows, saved = [], []
    for store in args.stores:
        load = os.getloadavg()[0]
        one = measured("one", store)
        every = None if args.no_all else measured("all", store)
        saved.append({"store": str(store), "load": load, "one": one, "all": every})
        row = [one["meetings"], one["insights"], f"{load:.1f}"]
        for got in (one, every):
            if got is None:
                row += ["-"] * 6
                continue
            row += [
                f"{got['seconds']:.2f}",
                got["pairs"],
                got["vectors_read"],
                got["queries"],
                len(got["put"]),
                f"{got['peak_mb']:.0f}",
            ]
        rows.append(row)
        print(f"{store}: done", file=sys.stderr, flush=True)
    heads = ["meetings", "insights", "load"]
    for name in ("new meeting", "all"):
        heads += [f"{name}: s", "pairs", "vectors read", "queries", "flags", "peak MB"]
    print(table(heads, rows))
    if args.out:
        args.out.write_text(json.dumps(saved, indent=1))


if __name__ == "__main__":
    main()
