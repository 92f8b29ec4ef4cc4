"""AMI decisions, actions and problems as gold for extraction, and the matcher that scores it.

Matcher (documented in docs/benchmarks.md): a predicted insight cites lines of the markdown
transcript; those lines map to QMSum turn indices. A prediction of kind K is correct when its
turns overlap the gold turns of some gold item of kind K in that meeting (AMI decisions ->
decision, actions -> action, problems -> roadblock). Precision = correct predictions / all
predictions of K; recall = gold items of K with at least one overlapping prediction / gold items.
Gold items without linked turns are left out.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from common import CACHE, EVALDATA

KIND_OF = {"decisions": "decision", "actions": "action", "problems": "roadblock"}
KINDS = ("decision", "action", "roadblock")


def summaries(split: str) -> list[dict]:
    rows = [json.loads(row) for row in (EVALDATA / "ami" / "derived" / "ami_summaries.jsonl").read_text().splitlines()]
    return [r for r in rows if r.get("qmsum") and r["qmsum"]["split"] == split]


def markdown(split: str, meeting_ids: list[str]) -> Path:
    """The meetings as markdown transcripts (the evaldata converter), once."""
    out = CACHE / f"ami_{split}_md"
    missing = [m for m in meeting_ids if not (out / f"{m}.md").exists()]
    if missing:
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                str(EVALDATA / "qmsum_to_md.py"),
                "--out-dir",
                str(out),
                "--data-dir",
                str(EVALDATA / "qmsum"),
            ]
            + [str(EVALDATA / "qmsum" / "meetings" / split / f"{m}.json") for m in missing],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out


def turn_of_line(folder: Path, meeting_id: str) -> dict[int, int]:
    rows = [json.loads(row) for row in (folder / f"{meeting_id}.turns.jsonl").read_text().splitlines() if row.strip()]
    return {r["line"]: r["turn"] for r in rows}


def gold(summary: dict) -> dict[str, list[set[int]]]:
    return {
        KIND_OF[key]: [set(item["qmsum_turns"]) for item in summary[key] if item.get("qmsum_turns")] for key in KIND_OF
    }


def score(
    predictions: list[tuple[str, int, int]], gold_items: dict[str, list[set[int]]], line_turn: dict[int, int]
) -> dict[str, list[int]]:
    """Per kind: [correct predictions, predictions, gold items found, gold items]."""
    result = {k: [0, 0, 0, len(gold_items.get(k, []))] for k in KINDS}
    found = {k: set() for k in KINDS}
    for kind, start, end in predictions:
        if kind not in result:
            continue
        turns = {line_turn[line] for line in range(start, end + 1) if line in line_turn}
        result[kind][1] += 1
        hits = [i for i, g in enumerate(gold_items.get(kind, [])) if g & turns]
        if hits:
            result[kind][0] += 1
            found[kind].update(hits)
    for k in KINDS:
        result[k][2] = len(found[k])
    return result


def prf(counts: list[int]) -> tuple[float, float, float]:
    correct, predicted, found, total = counts
    p = correct / predicted if predicted else 0.0
    r = found / total if total else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return 100 * p, 100 * r, 100 * f
