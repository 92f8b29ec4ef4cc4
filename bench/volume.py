"""How much synth says about real meetings: insights and open flags per meeting, offline.

    python bench/volume.py [--sample OUT.jsonl] [--label before|after]

The 35 QMSum val meetings (20 AMI product-design meetings, which are also the AMI val split, 9
ICSI research meetings and 6 parliamentary committee meetings), converted with the evaldata
converter, are given a date (one week apart within a series, in the order of their ids) and
their speakers' roles are mapped to functions with a roster (Project Manager -> product,
Industrial Designer -> engineering, User Interface -> design, Marketing -> marketing; the
research and committee speakers have no function). A vision written for the remote control
(bench/data/volume/vision.md) is set first, then everything is ingested offline with extraction
and the automatic check, into a fresh store, as a person would.

Printed: insights and open flags per meeting, by kind, type and domain. With --sample, a seeded
random sample of 40 open flags and 60 insights is written (with the transcript lines around
each side) for a reviewer who has not read synth's rules; their verdicts go in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from common import CACHE, ROOT, Timer, qmsum_val_markdown, table

from synth.app import Synth
from synth.check.tensions import group_tensions, likely
from synth.config import Settings
from synth.kinds import FLAG_TYPES, KINDS

VISION = ROOT / "bench" / "data" / "volume" / "vision.md"
ROSTER = {
    "product": ["Project Manager"],
    "engineering": ["Industrial Designer"],
    "design": ["User Interface"],
    "marketing": ["Marketing"],
}
SEED = 15
FLAG_SAMPLE = 40
INSIGHT_SAMPLE = 60


def domain(meeting_id: str) -> str:
    if re.match(r"(ES|IS|TS)\d", meeting_id):
        return "product"
    if meeting_id.startswith(("education", "covid")):
        return "committee"
    return "academic"


def dated_meetings() -> Path:
    """The val transcripts with front matter: a date per meeting (a week apart, per series)."""
    source = qmsum_val_markdown()
    out = CACHE / "volume_md"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    files = sorted(source.glob("*.md"))
    series: dict[str, int] = {}
    for path in files:
        meeting_id = path.stem
        name = re.sub(r"[a-d]$", "", meeting_id) if domain(meeting_id) == "product" else domain(meeting_id)
        week = series.get(name, 0)
        series[name] = week + 1
        month, day = divmod(week * 7, 28)
        date = f"2026-{1 + month:02d}-{1 + day:02d}"
        text = path.read_text()
        (out / path.name).write_text(f"---\ntitle: {meeting_id}\ndate: {date}\n---\n{text}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=Path, help="write the review sample here (JSON lines)")
    parser.add_argument("--store", type=Path, help="keep the store here (default: a temporary folder)")
    args = parser.parse_args()

    folder = dated_meetings()
    store = args.store or Path(tempfile.mkdtemp(prefix="synth-volume-"))
    if store.exists():
        shutil.rmtree(store)
    roster = Path(tempfile.mkdtemp()) / "roster.yaml"
    roster.write_text("".join(f"{team}: [{', '.join(names)}]\n" for team, names in ROSTER.items()))
    app = Synth(Settings(store=store, offline=True))
    with Timer() as timer:
        app.set_roster(roster)
        app.set_vision(VISION)
        report = app.ingest([str(folder)])
    if report.errors:
        print("errors:", *report.errors, sep="\n  ")
    meetings = {m.meeting_id: m for m in app.meetings()}
    insights = app.insights()
    flags = app.flags(status="open")
    by_domain: dict[str, list[str]] = {}
    for meeting in meetings.values():
        by_domain.setdefault(domain(meeting.title), []).append(meeting.meeting_id)
    domain_of = {mid: d for d, mids in by_domain.items() for mid in mids}

    def flag_domain(flag) -> str:
        for side in flag.sides:
            if side.meeting_id:
                return domain_of.get(side.meeting_id, "?")
        return "?"

    print(f"35 QMSum val meetings, offline, ingested with extraction and check in {timer.seconds:.0f} s\n")
    columns = ["product", "academic", "committee"]
    head = ["per meeting", *[f"{d} ({len(by_domain.get(d, []))})" for d in columns], f"ALL ({len(meetings)})"]

    def per(count_of, d: str | None) -> str:
        n = len(by_domain.get(d, [])) if d else len(meetings)
        return f"{count_of(d) / max(1, n):.1f}"

    rows = [
        ["insights", *[per(lambda d: sum(1 for i in insights if domain_of.get(i.meeting_id) == d), d) for d in columns]]
        + [per(lambda d: len(insights), None)]
    ]
    for kind in KINDS:
        rows.append(
            [f"  {kind}"]
            + [
                per(lambda d, k=kind: sum(1 for i in insights if i.kind == k and domain_of.get(i.meeting_id) == d), d)
                for d in columns
            ]
            + [per(lambda d, k=kind: sum(1 for i in insights if i.kind == k), None)]
        )
    rows.append(
        ["open flags", *[per(lambda d: sum(1 for f in flags if flag_domain(f) == d), d) for d in columns]]
        + [per(lambda d: len(flags), None)]
    )
    for kind in FLAG_TYPES:
        rows.append(
            [f"  {kind}"]
            + [per(lambda d, k=kind: sum(1 for f in flags if f.type == k and flag_domain(f) == d), d) for d in columns]
            + [per(lambda d, k=kind: sum(1 for f in flags if f.type == k), None)]
        )
    tensions = group_tensions(flags)
    rows.append(
        [
            "likely open flags",
            *[per(lambda d: sum(1 for f in flags if likely(f) and flag_domain(f) == d), d) for d in columns],
        ]
        + [per(lambda d: sum(1 for f in flags if likely(f)), None)]
    )
    rows.append(
        [
            "tensions (likely)",
            *[per(lambda d: sum(1 for t in tensions if t.likely and flag_domain(t.flags[0]) == d), d) for d in columns],
        ]
        + [per(lambda d: sum(1 for t in tensions if t.likely), None)]
    )
    print(table(head, rows))
    print(f"\ntotals: {len(insights)} insights ({dict(Counter(i.kind for i in insights))}), {len(flags)} open flags")
    if args.sample:
        write_sample(args.sample, folder, insights, flags)


def context(folder: Path, source: str, start: int, end: int, around: int = 3) -> str:
    path = folder / Path(source).name
    if not path.exists():
        return ""
    lines = path.read_text().splitlines()
    lo, hi = max(0, start - 1 - around * 2), min(len(lines), end + around * 2)
    return "\n".join(line for line in lines[lo:hi] if line.strip())


def write_sample(out: Path, folder: Path, insights, flags) -> None:
    rng = random.Random(SEED)
    flag_pick = rng.sample(flags, min(FLAG_SAMPLE, len(flags)))
    insight_pick = rng.sample(insights, min(INSIGHT_SAMPLE, len(insights)))
    rows = []
    for n, flag in enumerate(flag_pick, 1):
        rows.append(
            {
                "item": f"F{n}",
                "type": flag.type,
                "explanation": flag.explanation,
                "sides": [
                    {
                        "kind": side.kind,
                        "team": side.team,
                        "text": side.text,
                        "quote": side.quote,
                        "source": side.source,
                        "context": context(folder, side.source, side.start_line or 0, side.end_line or 0)
                        if side.kind != "vision"
                        else "",
                    }
                    for side in flag.sides
                ],
            }
        )
    for n, ins in enumerate(insight_pick, 1):
        rows.append(
            {
                "item": f"I{n}",
                "kind": ins.kind,
                "team": ins.team,
                "statement": ins.statement,
                "quote": ins.quote,
                "source": ins.source,
                "context": context(folder, ins.source, ins.start_line, ins.end_line),
            }
        )
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out.with_suffix(".ready").touch()
    print(f"sample: {len(flag_pick)} flags and {len(insight_pick)} insights in {out}")


if __name__ == "__main__":
    main()
