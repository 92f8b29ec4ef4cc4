"""What `synth check` costs as the store grows: the check of one new meeting and `check --all`, on
copies of stores of increasing size (issue 19).

    python bench/check_scale.py STORE [STORE ...] [--no-all] [--out FILE.json]
    python bench/check_scale.py --ranks STORE [STORE ...]    # flagged pairs beyond the k nearest
    python bench/check_scale.py STORE --grow 300 OUT         # a bigger store of relabelled copies

Each store (a synth store with insights and a vision, e.g. bench/scale.py's QMSum stores) is
copied to a temporary folder first; nothing is written into it. For each, in a new process:

- one new meeting: the check of the newest meeting's insights, as after its ingest (the check
  state is taken as it was before that meeting: every other meeting checked, the vision too,
  every insight's terms kept as the checks after each ingest keep them);
- all: `check --all`, every insight against the vision and each other.

Printed per store: meetings and insights; for each check its wall seconds (reading the store
included, nothing written), the pairs judged, the insight vectors read from the store, the
nearest-neighbour queries and the neighbours they returned (ids and similarities, no vectors),
the flags it raises (as if none were stored), and the peak memory of its process. With --out
the rows are also written as JSON, with the ids of the flags each check would write and delete,
to compare two versions of synth on the same stores. The machine's load average is printed
beside each store: read the ratios more than the seconds.

The same file runs against an older synth (PYTHONPATH=that checkout): where the check has no
counter of vectors read, it read them all, and that count is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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
    keep_every_insights_terms(opened)
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
        "neighbours": getattr(source, "neighbours", 0),
        "put": sorted(f.id for f in result.put),
        "delete": sorted(result.delete),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def keep_every_insights_terms(store) -> None:
    """Keep every insight's terms, as the checks after each ingest would have: a store built by
    an older synth has none. Nothing to do for a synth that does not keep them."""
    from synth.check import insight_item
    from synth.store import insights

    if not hasattr(insights, "VisibleInsights"):
        return
    from synth.check.run import reader_fingerprint

    records = store.meetings.records()
    visible = insights.VisibleInsights(store.insights, records)
    runs = {r.meeting_id: r.extraction_run for r in records if r.extraction_run}
    terms = [(i, (reader_fingerprint(), insight_item(i, []).terms)) for i in visible.insights]
    store.insights.keep_terms(runs, terms)


def ranks(store: Path, ks: list[int]) -> str:
    """How far down its nearest neighbours each flagged insight pair of `check --all` lies (today's
    pairs, with every vector in memory): the table of how many fall outside the k nearest."""
    import numpy as np

    from synth.app import Synth
    from synth.check import flag_type, insight_item, judge_offline
    from synth.check.candidates import asks_of, candidate_pairs
    from synth.check.items import InsightPair, known_team
    from synth.check.neighbours import MemoryVectors
    from synth.config import Settings

    opened = Synth(Settings(store=store, offline=True)).store(create=False)
    rows = opened.insights.with_vectors([r.extraction_run for r in opened.meetings.records() if r.extraction_run])
    items = [insight_item(row.insight, row.vector) for row in rows]
    memory = MemoryVectors([i.insight for i in items], [i.vector for i in items])
    pairs = [p for p in candidate_pairs(items, items, [], 3, [], memory) if isinstance(p, InsightPair)]
    flagged = [p for p in pairs if flag_type(p.category, judge_offline(p).verdict)]
    position = {id(item): k for k, item in enumerate(items)}
    teams = sorted({i.insight.team for i in items if known_team(i.insight.team)})

    def rank(pair: InsightPair) -> int:
        """The better of the two sides' ranks of the other among their asks' scopes, by cosine."""
        best = len(items)
        for me, other in ((pair.a, pair.b), (pair.b, pair.a)):
            for ask in asks_of(me, teams):
                if not ask.scope.holds(other.insight):
                    continue
                near = memory.nearest([me.vector], len(items), ask.scope)[0].positions
                near = [k for k in near if k != position[id(me)]]
                best = min(best, near.index(position[id(other)]) + 1)
        return best

    found = {"judged": [rank(p) for p in pairs], "flagged": [rank(p) for p in flagged]}
    lines = [f"{store}: {len(items)} insights, {len(pairs)} insight pairs judged, {len(flagged)} flagged"]
    heads = ["k", "judged pairs beyond k", "flagged pairs beyond k"]
    body = [[k, *(int(np.sum(np.asarray(found[w]) > k)) for w in ("judged", "flagged"))] for k in ks]
    return "\n".join([*lines, table(heads, body)])


def grow(source: Path, meetings: int, out: Path) -> None:
    """A store of `meetings` meetings at `out`: `source` copied, then its meetings (records and
    insights with their vectors; no passages, which the check does not read) copied again under
    new ids, each round dated after the last, until there are enough. Relabelled copies are exact
    duplicates of earlier insights: neighbourhoods are denser than in real meetings."""
    from synth.app import Synth
    from synth.config import Settings

    shutil.copytree(source, out, ignore=shutil.ignore_patterns("*.lock"))
    store = Synth(Settings(store=out, offline=True)).store()
    records = sorted((r for r in store.meetings.records() if r.extraction_run), key=lambda r: (r.date, r.meeting_id))
    rows = store.insights.with_vectors([r.extraction_run for r in records if r.extraction_run])
    span = (dt.date.fromisoformat(records[-1].date) - dt.date.fromisoformat(records[0].date)).days + 3
    postings = store.meetings.postings([r.meeting_id for r in records])
    count, round_ = len(records), 1
    while count < meetings:
        for record in records[: meetings - count]:
            date = (dt.date.fromisoformat(record.date) + dt.timedelta(days=span * round_)).isoformat()
            copy = record.model_copy(
                update={
                    "meeting_id": f"{record.meeting_id}~{round_}",
                    "date": date,
                    "extraction_run": f"{record.extraction_run}~{round_}",
                }
            )
            mine = [row for row in rows if row.insight.meeting_id == record.meeting_id]
            insights = [row.insight.model_copy(update={"meeting_id": copy.meeting_id, "date": date}) for row in mine]
            title = store._meetings.get(ids=[record.meeting_id], include=["embeddings"])["embeddings"][0]
            store.meetings.commit(copy, postings.get(record.meeting_id, ""), list(title))
            store.insights.write_run(copy, copy.extraction_run, insights, [row.vector for row in mine])
            count += 1
        round_ += 1


@contextlib.contextmanager
def copied(store: Path) -> Iterator[Path]:
    """A temporary copy of `store`, removed afterwards: nothing is written into the original."""
    work = Path(tempfile.mkdtemp(prefix="synth-check-scale-"))
    try:
        shutil.copytree(store, work / "store", ignore=shutil.ignore_patterns("*.lock"))
        yield work / "store"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measured(mode: str, store: Path) -> dict:
    """`measure` in a new process, on a fresh copy of `store`."""
    with copied(store) as copy:
        out = subprocess.run(
            [sys.executable, __file__, "--measure", mode, str(copy)], capture_output=True, text=True, check=False
        )
    if out.returncode != 0:
        sys.exit(f"check {mode} on {store} failed: {out.stderr[-1500:]}")
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stores", nargs="+", type=Path)
    parser.add_argument("--no-all", action="store_true", help="only the check of one new meeting")
    parser.add_argument("--out", type=Path, help="also write the rows (with flag ids) as JSON")
    parser.add_argument("--ranks", action="store_true", help="how many flagged pairs lie beyond the k nearest")
    parser.add_argument("--grow", nargs=2, metavar=("MEETINGS", "OUT"), help="build a bigger store from STORE")
    parser.add_argument("--measure", choices=["one", "all"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.grow:
        grow(args.stores[0], int(args.grow[0]), Path(args.grow[1]))
        return
    if args.ranks:
        for store in args.stores:
            with copied(store) as copy:
                print(ranks(copy, [1, 3, 5, 10, 25, 50, 100]).replace(str(copy), str(store)))
        return
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
                row += ["-"] * 7
                continue
            row += [
                f"{got['seconds']:.2f}",
                got["pairs"],
                got["vectors_read"],
                got["queries"],
                got.get("neighbours", 0),
                len(got["put"]),
                f"{got['peak_mb']:.0f}",
            ]
        rows.append(row)
        print(f"{store}: done", file=sys.stderr, flush=True)
    heads = ["meetings", "insights", "load"]
    for name in ("new meeting", "all"):
        heads += [f"{name}: s", "pairs", "vectors read", "queries", "neighbours", "flags", "peak MB"]
    print(table(heads, rows))
    if args.out:
        args.out.write_text(json.dumps(saved, indent=1))


if __name__ == "__main__":
    main()
