"""Flag quality on a labelled set of pairs (bench/data/flag_pairs.jsonl, written before issue 15 and
tuned on since: a floor check, not a result; the labelled teams in bench/teams.py are the
measurement): precision, recall and F1 per flag type, for the offline checker and (with --llm)
for the prompted chain.

    python bench/flags.py
    OPENAI_BASE_URL=... SYNTH_MODEL=... python bench/flags.py --llm

bench/data/flag_pairs.jsonl holds 84 items written for synth (three fictional products, not the
examples' one): 78 pairs of an insight and a vision statement, the roadmap, another function's
insight or later evidence, and 6 groups of recurring requests or roadblocks; half of them are
look-alikes that should raise no flag. Each pair goes through the checker's own code: the same
items, the same judges, the same mapping from verdict to flag type.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from common import ROOT, table

from synth.app import CheckReplyCache, Synth
from synth.check import flag_type, insight_item, judge_offline, statement_item
from synth.check.candidates import match_score
from synth.check.items import InsightPair, Pair, VisionPair
from synth.check.judge_llm import LLMJudge
from synth.check.themes import unheard_themes
from synth.config import Settings
from synth.kinds import FLAG_TYPES
from synth.models import CheckReport, Insight
from synth.vision import VisionStatement

DATA = ROOT / "bench" / "data" / "flag_pairs.jsonl"


def insight(side: dict, n: int, meeting: str | None = None) -> Insight:
    text = side["text"]
    return Insight(
        id=f"i{n}",
        kind=side["kind"],
        statement=text,
        quote=text,
        speaker=None,
        team=side["team"],
        meeting_id=meeting or f"m{n}",
        title="bench",
        date=side["date"],
        source="bench.md",
        start_line=n,
        end_line=n,
        confidence=0.9,
        extractor="bench",
    )


def statement(side: dict, n: int) -> VisionStatement:
    return VisionStatement(
        id=f"s{n}",
        section=side["section"],
        commitment=side.get("commitment"),
        heading="bench",
        text=side["text"],
        source="vision.md",
        start_line=n,
        end_line=n,
        version="bench",
    )


def build(rows: list[dict], embedder) -> tuple[list[tuple[dict, Pair]], list[dict]]:
    """Each labelled pair as the checker's Pair; the unheard groups are returned as they are."""
    texts: list[str] = []
    for row in rows:
        if row["category"] == "unheard":
            continue
        texts.append(row["a"]["text"])
        texts.extend(s["text"] for s in row["b"]["roadmap"]) if "roadmap" in row["b"] else texts.append(
            row["b"]["text"]
        )
    vectors = dict(zip(texts, embedder.embed(texts)))
    pairs = []
    for n, row in enumerate(rows):
        if row["category"] == "unheard":
            continue
        a = insight_item(insight(row["a"], 2 * n), vectors[row["a"]["text"]])
        if row["category"] == "promise":
            options = [statement_item(statement(s, k), vectors[s["text"]]) for k, s in enumerate(row["b"]["roadmap"])]
            sims = {id(o): sum(x * y for x, y in zip(a.vector, o.vector)) for o in options}
            options.sort(key=lambda o: -match_score(a, o, sims[id(o)]))
            pairs.append((row, VisionPair("promise", a, options[0], sims[id(options[0])], context=options)))
        elif row["category"] == "vision":
            b = statement_item(statement(row["b"], 1), vectors[row["b"]["text"]])
            pairs.append((row, VisionPair("vision", a, b, sum(x * y for x, y in zip(a.vector, b.vector)))))
        else:
            other = insight_item(insight(row["b"], 2 * n + 1), vectors[row["b"]["text"]])
            similarity = sum(x * y for x, y in zip(a.vector, other.vector))
            pairs.append((row, InsightPair(row["category"], a, other, similarity)))
    return pairs, [r for r in rows if r["category"] == "unheard"]


def predict_unheard(group: dict, embedder) -> str:
    members = [insight(m, k, meeting=m["meeting"]) for k, m in enumerate(group["members"])]
    vectors = embedder.embed([m.statement for m in members] + [v["text"] for v in group["vision"]])
    items = [insight_item(m, v) for m, v in zip(members, vectors)]
    statements = [
        statement_item(statement(s, k), v) for k, (s, v) in enumerate(zip(group["vision"], vectors[len(members) :]))
    ]
    return "unheard" if unheard_themes(items, statements)[0] else "none"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llm", action="store_true", help="also judge with the model in OPENAI_BASE_URL / SYNTH_MODEL")
    parser.add_argument("--show-errors", action="store_true", help="print every false positive and negative")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    app = Synth(Settings.from_env(store=Path(tempfile.mkdtemp(prefix="synth-flags-bench-")), offline=not args.llm))
    pairs, groups = build(rows, app.embedder)
    judges = {"offline": {}}
    started = time.perf_counter()
    for row, pair in pairs:
        judges["offline"][row["id"]] = flag_type(pair.category, judge_offline(pair).verdict) or "none"
    seconds = {"offline": time.perf_counter() - started}
    if args.llm:
        store = app.store()
        judge = LLMJudge(app.settings, store, CheckReplyCache(store))
        report = CheckReport(judge=judge.name)
        started = time.perf_counter()
        got = judge.judge([p for _, p in pairs], report)
        seconds[judge.name] = time.perf_counter() - started
        judges[judge.name] = {
            row["id"]: (flag_type(p.category, got[p.key].verdict) or "none") if p.key in got else "unjudged"
            for row, p in pairs
        }
        print(f"{judge.name}: {report.llm_calls} calls, {report.cache_hits} cached, warnings: {report.warnings[:2]}")
    unheard = {g["id"]: predict_unheard(g, app.embedder) for g in groups}
    for name in judges:
        judges[name].update(unheard)  # unheard themes are found the same way with or without a model
    labels = {r["id"]: r["label"] for r in rows}
    for name, predicted in judges.items():
        out = []
        for kind in FLAG_TYPES:
            tp = sum(1 for i, p in predicted.items() if p == kind and labels[i] == kind)
            fp = sum(1 for i, p in predicted.items() if p == kind and labels[i] != kind)
            fn = sum(1 for i, p in predicted.items() if p != kind and labels[i] == kind)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out.append([kind, tp + fn, tp, fp, fn, f"{100 * precision:.1f}", f"{100 * recall:.1f}", f"{100 * f1:.1f}"])
        lookalikes = [i for i in labels if labels[i] == "none"]
        clean = sum(1 for i in lookalikes if predicted[i] == "none")
        print(f"\n{name}: {len(predicted)} items, {seconds.get(name, 0):.1f} s to judge the pairs")
        tp_all = sum(int(r[2]) for r in out)
        fp_all = sum(int(r[3]) for r in out)
        fn_all = sum(int(r[4]) for r in out)
        p_all = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
        r_all = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
        f_all = 2 * p_all * r_all / (p_all + r_all) if p_all + r_all else 0.0
        out.append(["ALL", tp_all + fn_all, tp_all, fp_all, fn_all, f"{100 * p_all:.1f}", f"{100 * r_all:.1f}"])
        out[-1].append(f"{100 * f_all:.1f}")
        print(table(["type", "gold", "tp", "fp", "fn", "precision", "recall", "F1"], out))
        print(f"look-alikes left unflagged: {clean} of {len(lookalikes)}")
        if args.show_errors:
            for i, p in predicted.items():
                if p != labels[i]:
                    row = next(r for r in rows if r["id"] == i)
                    print(f"  {i}: gold {labels[i]}, predicted {p}: {row.get('a', {}).get('text', '')[:90]}")


if __name__ == "__main__":
    main()
