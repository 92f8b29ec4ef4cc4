"""Extraction quality on the AMI val meetings: precision, recall and F1 of decisions, actions and
roadblocks (AMI "problems") against the gold summaries, through synth's real ingest path.

    python bench/extraction.py                 # the offline extractor
    OPENAI_BASE_URL=... SYNTH_MODEL=... python bench/extraction.py --llm [--limit N]

The matcher is in bench/ami.py: a prediction is correct when the transcript turns it cites
overlap the gold turns of an AMI item of the same kind. Also printed: the share of the model's
proposed insights that grounding dropped (quote not found in the transcript).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from ami import KINDS, gold, markdown, prf, score, summaries, turn_of_line
from common import table

from synth.app import Synth
from synth.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llm", action="store_true", help="use the model in OPENAI_BASE_URL / SYNTH_MODEL")
    parser.add_argument("--limit", type=int, default=None, help="only the first N val meetings")
    args = parser.parse_args()
    val = sorted(summaries("val"), key=lambda r: r["meeting_id"])[: args.limit]
    folder = markdown("val", [r["meeting_id"] for r in val])
    store = Path(tempfile.mkdtemp(prefix="synth-extract-bench-"))
    settings = Settings.from_env(store=store, offline=not args.llm)
    app = Synth(settings)
    started = time.perf_counter()
    report = app.ingest([str(folder / f"{r['meeting_id']}.md") for r in val])
    seconds = time.perf_counter() - started
    by_source = {}
    for insight in app.insights():
        by_source.setdefault(Path(insight.source).stem, []).append((insight.kind, insight.start_line, insight.end_line))
    totals = {k: [0, 0, 0, 0] for k in KINDS}
    for r in val:
        counts = score(by_source.get(r["meeting_id"], []), gold(r), turn_of_line(folder, r["meeting_id"]))
        for k in KINDS:
            totals[k] = [a + b for a, b in zip(totals[k], counts[k])]
    rows = []
    for k in KINDS:
        p, rec, f = prf(totals[k])
        rows.append([k, totals[k][1], totals[k][3], f"{p:.1f}", f"{rec:.1f}", f"{f:.1f}"])
    micro = [sum(totals[k][i] for k in KINDS) for i in range(4)]
    p, rec, f = prf(micro)
    rows.append(["all three", micro[1], micro[3], f"{p:.1f}", f"{rec:.1f}", f"{f:.1f}"])
    mode = f"llm:{settings.chat_model}" if args.llm else "offline"
    print(f"AMI val: {len(val)} meetings, extractor {mode}, {seconds:.0f} s ({seconds / len(val):.1f} s per meeting)")
    print(table(["kind", "predicted", "gold", "P", "R", "F1"], rows))
    proposed = sum(report.insights.values()) + report.dropped_ungrounded
    if args.llm:
        share = 100 * report.dropped_ungrounded / proposed if proposed else 0.0
        print(
            f"grounding: {report.dropped_ungrounded} of {proposed} proposed insights dropped ({share:.1f}%); "
            f"{report.llm_calls} calls; {len(report.extraction_failed)} meetings with failed parts"
        )
    other = {k: v for k, v in report.insights.items() if k not in KINDS}
    print(f"also extracted (no AMI gold): {other}")
    shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
