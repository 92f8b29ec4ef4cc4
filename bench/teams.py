"""Offline extraction and check on the four labelled teams of issue 15 (bench/data/teams).

    python bench/teams.py

Each team is ingested into a fresh temporary store, offline, with the library, as a person would:
roster, then vision, then the meetings folder. The meetings synth refuses because their front
matter says `team: <ProductName>` are ingested again with ReadOptions(team="product"), exactly as
`synth ingest --team product FILE` would; the output counts them. Nothing of synth is changed.

The matching rule (the same for every team and both splits):

- Quotes are normalised by lower-casing, collapsing whitespace and stripping punctuation and
  spaces at both ends. A stored quote S matches a labelled quote L when they come from the same
  file (compared by file name) and either one normalised quote contains the other, or at least
  60% of L's distinct words (runs of letters, digits, % and ') are among S's words.
- Insights: a labelled insight is found when some stored insight matches its quote; "right kind"
  also needs the stored kind to equal the labelled kind. The precision proxy is the share of
  stored insights that match some labelled insight (of any kind); the labels list what a PM
  would want, not every true statement, so this is a lower bound on precision.
- Flags: a flag matches a labelled tension when each labelled side (a and b; for `unheard`, any
  2 of the evidence quotes) matches a different side of the flag by the rule above. A vision
  side is compared the same way: the flag side's quote (the vision statement) against the
  labelled vision line, both from vision.md. "Right type" also needs flag.type == tension type.
  A flag matching a look-alike's a and b the same way is a known-false flag. A false flag is
  one that matches no tension.

For the dev teams the false flags are listed with both sides' quotes, to study; the test teams
(frozen split) are reported as numbers only.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path

import yaml
from common import ROOT, Timer, table

from synth.app import Synth
from synth.check.tensions import group_tensions, likely
from synth.config import Settings
from synth.kinds import FLAG_TYPES, KINDS
from synth.readers import ReadOptions

TEAMS = ROOT / "bench" / "data" / "teams"
WORD_SHARE = 0.6
REFUSED = "front matter team"


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip(" \t.,;:!?\"'“”‘’-–—…")


def words(text: str) -> set[str]:
    return set(re.findall(r"[\w%']+", text.lower()))


def quote_match(stored: str, stored_file: str, label: str, label_file: str) -> bool:
    """The rule of the docstring: same file name, and containment or 60% of the label's words."""
    if Path(stored_file).name != Path(label_file).name:
        return False
    s, lab = norm(stored), norm(label)
    if not s or not lab:
        return False
    if lab in s or s in lab:
        return True
    want = words(label)
    return bool(want) and len(want & words(stored)) / len(want) >= WORD_SHARE


def side_match(side, label: dict) -> bool:
    return quote_match(side.quote, side.source, label["quote"], label["file"])


def sides_match(flag, labels: list[dict], need: int) -> bool:
    """`need` of the labelled sides each match a different side of the flag (a small matching search)."""

    def search(i: int, used: frozenset[int], got: int) -> bool:
        if got >= need:
            return True
        if i == len(labels) or got + len(labels) - i < need:
            return False
        for j, side in enumerate(flag.sides):
            if j not in used and side_match(side, labels[i]) and search(i + 1, used | {j}, got + 1):
                return True
        return search(i + 1, used, got)

    return search(0, frozenset(), 0)


def tension_sides(t: dict) -> tuple[list[dict], int]:
    if t["type"] == "unheard":
        return t["evidence"], 2
    return [t["a"], t["b"]], 2


def run_team(team: Path, llm: bool = False) -> dict:
    labels = yaml.safe_load((team / "labels.yaml").read_text())
    store = Path(tempfile.mkdtemp(prefix=f"synth-teams-{team.name}-"))
    # --llm: extraction and check with the model the environment configures (OPENAI_BASE_URL,
    # SYNTH_MODEL, OPENAI_API_KEY), as `synth` would; without it, offline
    app = Synth(Settings(store=store, offline=not llm))
    with Timer() as timer:
        app.set_roster(team / "roster.yaml")
        app.set_vision(team / "vision.md")
        report = app.ingest([str(team / "meetings")])
        refused = [e.split(": ", 1)[0] for e in report.errors if REFUSED in e]
        other_errors = [e for e in report.errors if REFUSED not in e]
        retried = None
        if refused:
            retried = app.ingest(refused, options=ReadOptions(team="product", roster=app.roster()))
            other_errors += retried.errors
    meetings = len(app.meetings())
    insights = app.insights()
    flags = app.flags(status="all")
    labelled = labels["insights"]

    found, found_kind = set(), set()
    useful = 0
    stored_as: dict[str, list[str]] = {}
    right_of_kind: Counter = Counter()
    for ins in insights:
        hit = False
        right_of_kind[ins.kind] += any(
            lab["kind"] == ins.kind and quote_match(ins.quote, ins.source, lab["quote"], lab["file"])
            for lab in labelled
            for lab in labelled
        )
        for lab in labelled:
            if quote_match(ins.quote, ins.source, lab["quote"], lab["file"]):
                hit = True
                found.add(lab["id"])
                stored_as.setdefault(lab["id"], []).append(ins.kind)
                if ins.kind == lab["kind"]:
                    found_kind.add(lab["id"])
        useful += hit
    misses = [(lab, stored_as.get(lab["id"], [])) for lab in labelled if lab["id"] not in found_kind]
    per_kind = {
        k: (
            sum(1 for lab in labelled if lab["kind"] == k),
            sum(1 for lab in labelled if lab["kind"] == k and lab["id"] in found),
            sum(1 for lab in labelled if lab["kind"] == k and lab["id"] in found_kind),
        )
        for k in KINDS
    }

    tensions = labels.get("tensions") or []
    lookalikes = labels.get("lookalikes") or []
    flag_rows = []
    for flag in flags:
        hits = [t for t in tensions if sides_match(flag, *tension_sides(t))]
        looks = [lk for lk in lookalikes if sides_match(flag, [lk["a"], lk["b"]], 2)]
        flag_rows.append({"flag": flag, "tensions": hits, "lookalikes": looks})
    return {
        "name": team.name,
        "split": "test" if team.name.startswith("test-") else "dev",
        "seconds": timer.seconds,
        "meetings": meetings,
        "refused": len(refused),
        "retried_ok": retried.meetings if retried else 0,
        "errors": other_errors,
        "stored": len(insights),
        "stored_kinds": Counter(i.kind for i in insights),
        "labelled": len(labelled),
        "found": len(found),
        "found_kind": len(found_kind),
        "useful": useful,
        "per_kind": per_kind,
        "right_of_kind": right_of_kind,
        "misses": misses,
        "flags": flag_rows,
        "tensions": tensions,
        "lookalikes": lookalikes,
    }


def pct(num: int, den: int) -> str:
    return f"{100 * num / den:.0f}% ({num}/{den})" if den else "-"


def combine(results: list[dict]) -> dict:
    """Totals over teams: counts add up, ratios are recomputed from the sums."""
    out = {
        "meetings": sum(r["meetings"] for r in results),
        "refused": sum(r["refused"] for r in results),
        "retried_ok": sum(r["retried_ok"] for r in results),
        "stored": sum(r["stored"] for r in results),
        "labelled": sum(r["labelled"] for r in results),
        "found": sum(r["found"] for r in results),
        "found_kind": sum(r["found_kind"] for r in results),
        "useful": sum(r["useful"] for r in results),
        "per_kind": {k: tuple(sum(r["per_kind"][k][n] for r in results) for n in range(3)) for k in KINDS},
        "right_of_kind": sum((r["right_of_kind"] for r in results), Counter()),
        "stored_kinds": sum((r["stored_kinds"] for r in results), Counter()),
        "flags": [row for r in results for row in r["flags"]],
        "tensions": [t for r in results for t in r["tensions"]],
        "lookalikes": [lk for r in results for lk in r["lookalikes"]],
    }
    # tensions and look-alikes are told apart across teams by object identity, not by id
    return out


def flag_numbers(r: dict) -> dict:
    rows = r["flags"]
    found = {id(t) for row in rows for t in row["tensions"]}
    found_type = {id(t) for row in rows for t in row["tensions"] if t["type"] == row["flag"].type}
    looks = {id(lk) for row in rows for lk in row["lookalikes"]}
    likely_rows = [row for row in rows if likely(row["flag"])]
    tensions = group_tensions([row["flag"] for row in rows])
    true_ids = {row["flag"].id for row in rows if row["tensions"]}
    return {
        "likely": len(likely_rows),
        "likely_true": sum(1 for row in likely_rows if row["tensions"]),
        "possible": len(rows) - len(likely_rows),
        "possible_true": sum(1 for row in rows if row["tensions"] and not likely(row["flag"])),
        "groups": len(tensions),
        "groups_true": sum(1 for t in tensions if any(f.id in true_ids for f in t.flags)),
        "groups_likely": sum(1 for t in tensions if t.likely),
        "found_likely": len({id(t) for row in likely_rows for t in row["tensions"]}),
        "raised": len(rows),
        "open": sum(1 for row in rows if row["flag"].status == "open"),
        "true": sum(1 for row in rows if row["tensions"]),
        "true_type": sum(1 for row in rows if any(t["type"] == row["flag"].type for t in row["tensions"])),
        "lookalike_flags": sum(1 for row in rows if row["lookalikes"] and not row["tensions"]),
        "tensions": len(r["tensions"]),
        "found": len(found),
        "found_type": len(found_type),
        "lookalikes": len(r["lookalikes"]),
        "looks_flagged": len(looks),
        "found_ids": found,
        "found_type_ids": found_type,
    }


def f1(true: int, raised: int, found: int, labelled: int) -> str:
    p = true / raised if raised else 0.0
    r = found / labelled if labelled else 0.0
    return f"{200 * p * r / (p + r):.0f}" if p + r else "0"


def short(text: str, n: int = 90) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--llm", action="store_true", help="extract and check with the configured model")
    args = parser.parse_args()
    teams = sorted(p for p in TEAMS.iterdir() if p.is_dir())
    results = []
    for team in teams:
        results.append(run_team(team, llm=args.llm))
    dev = [r for r in results if r["split"] == "dev"]
    test = [r for r in results if r["split"] == "test"]
    columns = [(r["name"], r) for r in dev] + [("DEV", combine(dev))]
    columns += [(r["name"], r) for r in test] + [("TEST", combine(test)), ("ALL", combine(results))]
    headers = [""] + [name for name, _ in columns]
    cols = [c for _, c in columns]

    mode = "with the configured model" if args.llm else "offline"
    print(f"Labelled teams (bench/data/teams), extraction and check {mode}, one fresh store per team\n")
    print("== Ingest ==")
    print(
        table(
            headers,
            [
                ["meetings stored"] + [c["meetings"] for c in cols],
                ["refused (team: <Product>)"] + [c["refused"] for c in cols],
                ["  ... stored with --team product"] + [c["retried_ok"] for c in cols],
            ],
        )
    )
    for r in results:
        for error in r["errors"]:
            print(f"  {r['name']}: error: {error}")
        print(f"  {r['name']}: {r['seconds']:.1f} s")

    print("\n== Insights ==")
    print(
        table(
            headers,
            [
                ["stored"] + [c["stored"] for c in cols],
                ["labelled"] + [c["labelled"] for c in cols],
                ["stored per meeting"] + [f"{c['stored'] / c['meetings']:.1f}" if c["meetings"] else "-" for c in cols],
                ["recall (any kind)"] + [pct(c["found"], c["labelled"]) for c in cols],
                ["recall (right kind)"] + [pct(c["found_kind"], c["labelled"]) for c in cols],
                ["precision proxy"] + [pct(c["useful"], c["stored"]) for c in cols],
            ],
        )
    )
    print("\nrecall by labelled kind: found any kind / right kind / labelled")
    print(
        table(
            headers,
            [[k] + [f"{c['per_kind'][k][1]}/{c['per_kind'][k][2]}/{c['per_kind'][k][0]}" for c in cols] for k in KINDS],
        )
    )
    print("\nby kind: precision (stored of the kind matching a label of the kind) / recall (right kind) / F1")
    rows = []
    for k in KINDS:
        row = [k]
        for c in cols:
            right, stored = c["right_of_kind"].get(k, 0), c["stored_kinds"].get(k, 0)
            labelled_k, found_k = c["per_kind"][k][0], c["per_kind"][k][2]
            p_k = right / stored if stored else 0.0
            r_k = found_k / labelled_k if labelled_k else 0.0
            f_k = 2 * p_k * r_k / (p_k + r_k) if p_k + r_k else 0.0
            row.append(f"{100 * p_k:.0f}/{100 * r_k:.0f}/{100 * f_k:.0f}")
        rows.append(row)
    print(table(headers, rows))
    stored_kinds = Counter()
    for r in results:
        stored_kinds.update(r["stored_kinds"])
    print(
        "\nstored by kind: "
        + "; ".join(f"{r['name']} " + ", ".join(f"{k} {r['stored_kinds'].get(k, 0)}" for k in KINDS) for r in results)
    )

    print("\n== Flags ==")
    numbers = [flag_numbers(c) for c in cols]
    print(
        table(
            headers,
            [
                ["flags raised"] + [n["raised"] for n in numbers],
                ["open flags per meeting"]
                + [f"{n['open'] / c['meetings']:.2f}" if c["meetings"] else "-" for n, c in zip(numbers, cols)],
                ["precision (any type)"] + [pct(n["true"], n["raised"]) for n in numbers],
                ["precision (right type)"] + [pct(n["true_type"], n["raised"]) for n in numbers],
                ["recall (any type)"] + [pct(n["found"], n["tensions"]) for n in numbers],
                ["recall (right type)"] + [pct(n["found_type"], n["tensions"]) for n in numbers],
                ["F1 (any type)"] + [f1(n["true"], n["raised"], n["found"], n["tensions"]) for n in numbers],
                ["likely flags: precision"] + [pct(n["likely_true"], n["likely"]) for n in numbers],
                ["likely flags: recall"] + [pct(n["found_likely"], n["tensions"]) for n in numbers],
                ["possible flags: precision"] + [pct(n["possible_true"], n["possible"]) for n in numbers],
                ["tensions shown (groups)"] + [n["groups"] for n in numbers],
                ["  ... matching a label"] + [pct(n["groups_true"], n["groups"]) for n in numbers],
                ["  ... likely"] + [n["groups_likely"] for n in numbers],
                ["look-alikes flagged"] + [f"{n['looks_flagged']}/{n['lookalikes']}" for n in numbers],
                ["flags on a look-alike only"] + [n["lookalike_flags"] for n in numbers],
            ],
        )
    )
    print("\nflags raised, by flag type: raised / matching a tension (any type)")
    print(
        table(
            headers,
            [
                [ft]
                + [
                    f"{sum(1 for row in c['flags'] if row['flag'].type == ft)}"
                    f"/{sum(1 for row in c['flags'] if row['flag'].type == ft and row['tensions'])}"
                    for c in cols
                ]
                for ft in FLAG_TYPES
            ],
        )
    )
    print("\ntensions by labelled type: found any type / right type / labelled")
    print(
        table(
            headers,
            [
                [ft]
                + [
                    f"{sum(1 for t in c['tensions'] if t['type'] == ft and id(t) in n['found_ids'])}"
                    f"/{sum(1 for t in c['tensions'] if t['type'] == ft and id(t) in n['found_type_ids'])}"
                    f"/{sum(1 for t in c['tensions'] if t['type'] == ft)}"
                    for c, n in zip(cols, numbers)
                ]
                for ft in FLAG_TYPES
            ],
        )
    )

    print("\n== False flags of the DEV teams (matching no tension), to study ==")
    for r in dev:
        false = [row for row in r["flags"] if not row["tensions"]]
        print(f"\n{r['name']}: {len(false)} of {len(r['flags'])} flags")
        for row in false:
            flag = row["flag"]
            look = f" [look-alike {', '.join(lk['id'] + ' ' + lk['kind'] for lk in row['lookalikes'])}]"
            print(f"- {flag.type} ({flag.confidence:.2f}){look if row['lookalikes'] else ''}")
            for side in flag.sides:
                print(f"    {side.kind:10} {Path(side.source).name}: {short(side.quote)}")
    print("\n== Labelled insights the DEV teams missed (or stored as another kind), to study ==")
    for r in dev:
        print(f"\n{r['name']}: {len(r['misses'])} of {r['labelled']}")
        for lab, kinds in r["misses"]:
            got = f" (stored as {', '.join(kinds)})" if kinds else ""
            print(f"- {lab['kind']:10} {Path(lab['file']).name}: {short(lab['quote'], 110)}{got}")
    print("\n(test teams: numbers only; the test split is for reporting, not for studying cases)")


if __name__ == "__main__":
    main()
