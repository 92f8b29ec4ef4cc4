"""`synth report`: the team's alignment over time as one self-contained HTML page.

The numbers come from the same facts as the brief (threads of roadblocks and assumptions,
flags, who spoke in which meeting). The page carries them as JSON and draws the charts with a
small script of ours (synth/data/report.js) as SVG; a Content-Security-Policy forbids every
network request, so the page opens anywhere. Under each chart is the table behind it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from pydantic import BaseModel, Field

from .brief.facts import Facts
from .check.tensions import likely
from .dates import bounded
from .errors import SynthError
from .kinds import FLAG_TYPES
from .teams import FUNCTIONS, OUTSIDE, display_team

_SCRIPT = Path(__file__).resolve().parent / "data" / "report.js"
MAX_WEEKS = 520  # weeks drawn at most (ten years): a longer span shows its last ten years


class Series(BaseModel):
    name: str
    values: list[float]


class Chart(BaseModel):
    id: str
    title: str
    kind: str = Field(description="stacked, grouped, hbar or heatmap")
    x: list[str] = Field(description="the categories: weeks (their Mondays), or labels")
    series: list[Series]
    unit: str
    note: str = ""


class ReportData(BaseModel):
    since: str
    until: str
    meetings: int
    insights: int
    charts: list[Chart]


def _monday(day: str | dt.date) -> dt.date:
    d = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return d - dt.timedelta(days=d.weekday())


def build_report(facts: Facts, since: dt.date | None = None, until: dt.date | None = None) -> ReportData:
    """The report's charts from `since` to `until` (`facts.as_of`, which `until` should be when
    it is given). With neither, it spans the meetings: the first one's week to the last one's
    (never after `facts.as_of`). At most MAX_WEEKS weeks are drawn, the last ones."""
    if not facts.records:
        raise SynthError("the store has no meetings up to that date; `synth ingest PATH` first")
    end = facts.as_of
    if since is None and until is None:
        end = min(end, dt.date.fromisoformat(max(r.date for r in facts.records)))
    start = bounded(since) if since else dt.date.fromisoformat(facts.records[0].date)
    if start > end:
        raise SynthError(f"the report would start on {start}, after its end {end}")
    start = max(start, _monday(end) - dt.timedelta(weeks=MAX_WEEKS - 1))
    weeks: list[dt.date] = []
    day = _monday(start)
    while day <= end:
        weeks.append(day)
        day += dt.timedelta(days=7)
    labels = [w.isoformat() for w in weeks]
    slot = {w: n for n, w in enumerate(weeks)}
    in_range = [r for r in facts.records if start.isoformat() <= r.date <= end.isoformat()]

    def week_of(date: str) -> int | None:
        return slot.get(_monday(date)) if start.isoformat() <= date <= end.isoformat() else None

    def team_name(team: str | None) -> str:
        return display_team(team) if team and team not in OUTSIDE else "customers"

    # 1. insights per function per week
    per_team: dict[str, list[float]] = {}
    for record in facts.records:
        if (n := week_of(record.date)) is not None:
            for team, count in facts.insights_per_team(record).items():
                per_team.setdefault(team_name(team), [0] * len(weeks))[n] += count
    order = [display_team(t) for t in FUNCTIONS] + ["customers"]
    insights = Chart(
        id="insights",
        title="Insights per function per week",
        kind="stacked",
        x=labels,
        unit="insights",
        series=[Series(name=t, values=per_team[t]) for t in order if t in per_team],
    )

    # 2. roadblocks opened and resolved, and the age of the open ones
    opened, resolved, ages = [0] * len(weeks), [0] * len(weeks), []
    for thread, resolution in facts.roadblock_threads():
        if (n := week_of(thread.first.date)) is not None:
            opened[n] += 1
        if resolution is not None:
            if (n := week_of(resolution.date)) is not None:
                resolved[n] += 1
        elif thread.first.date <= end.isoformat():
            ages.append((thread.first.statement, (end - dt.date.fromisoformat(thread.first.date)).days))
    flow = Chart(
        id="roadblocks",
        title="Roadblocks opened and resolved per week",
        kind="grouped",
        x=labels,
        unit="roadblocks",
        series=[Series(name="opened", values=opened), Series(name="resolved", values=resolved)],
        note="A roadblock raised again in a later meeting is the same roadblock; it is resolved when a later "
        "meeting says so about it.",
    )
    ages.sort(key=lambda x: -x[1])
    age = Chart(
        id="roadblock_age",
        title=f"Open roadblocks: days open on {end}",
        kind="hbar",
        x=[_short(text) for text, _ in ages],
        unit="days",
        series=[Series(name="days open", values=[d for _, d in ages])],
    )

    # 3. assumptions by status at the end of each week
    evidence: dict[str, list[tuple[str, str]]] = {}
    for flag in facts.flags:
        if flag.type in ("assumption_refuted", "assumption_supported") and flag.status != "dismissed":
            if not likely(flag):
                continue  # possible evidence does not change a status (check/tensions.py)
            status = "invalidated" if flag.type == "assumption_refuted" else "validated"
            evidence.setdefault(flag.sides[0].key, []).append((flag.sides[1].date or "", status))
    counts = {s: [0] * len(weeks) for s in ("untested", "validated", "invalidated")}
    for thread in facts.threads("assumption"):
        for n, week in enumerate(weeks):
            week_end = min(week + dt.timedelta(days=6), end).isoformat()
            if thread.first.date > week_end:
                continue
            known = sorted(
                e
                for m in thread.members
                if m.insight.date <= week_end
                for e in evidence.get(m.key, [])
                if e[0] <= week_end
            )
            counts[known[-1][1] if known else "untested"][n] += 1
    assumptions = Chart(
        id="assumptions",
        title="Assumptions by status at the end of each week",
        kind="stacked",
        x=labels,
        unit="assumptions",
        series=[Series(name=s, values=v) for s, v in counts.items()],
    )

    # 4. open flags by type
    open_flags = [
        f
        for f in facts.flags
        if f.status == "open" and min((s.date for s in f.sides if s.date), default="") <= end.isoformat()
    ]
    flags = Chart(
        id="flags",
        title="Open flags by type",
        kind="hbar",
        unit="flags",
        x=[t.replace("_", " ") for t in FLAG_TYPES],
        series=[Series(name="open", values=[sum(1 for f in open_flags if f.type == t) for t in FLAG_TYPES])],
    )

    # 5. who is heard from: lines spoken per function per week
    heard: dict[str, list[float]] = {}
    for record in in_range:
        n = week_of(record.date)
        if n is None:
            continue  # not in range: cannot happen, the records are those in range
        for team, lines in facts.lines_spoken(record).items():
            heard.setdefault(team_name(team or None), [0] * len(weeks))[n] += lines
    voices = Chart(
        id="heard",
        title="Who is heard from: lines spoken per function per week",
        kind="heatmap",
        x=labels,
        unit="lines",
        series=[
            Series(name=t, values=heard.get(t, [0] * len(weeks)))
            for t in order
            if t in heard or t in {display_team(x) for x in facts.roster.values()}
        ],
        note="A function with an empty row was not heard from that week.",
    )
    return ReportData(
        since=start.isoformat(),
        until=end.isoformat(),
        meetings=len(in_range),
        insights=sum(sum(s.values) for s in insights.series),
        charts=[insights, flow, age, assumptions, flags, voices],
    )


def _short(text: str, n: int = 58) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


_CSS = (
    "\n"
    'body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1000px;margin:2rem auto;'
    "padding:0 1rem;color:#1d2433}\n"
    "h1{font-size:1.5rem;"
    "margin-bottom:.2rem}.meta{color:#556}section{margin:2.2rem 0}h2{font-size:1.1rem;margin:.2rem 0}\n"
    ".note{color:#667;font-size:.85rem}.chart svg{display:block;max-width:100%;height:auto}\n"
    "table{border-collapse:collapse;font-size:.82rem;margin-top:.6rem}th,td{border:1px solid #dde3ec;"
    "padding:.15rem .45rem;text-align:right}\n"
    "th:first-child,td:first-child{text-align:left}thead th{background:#f3f6fa}\n"
    ".legend{font-size:.82rem;margin:.2rem 0}.legend span{display:inline-block;margin-right:.9rem}\n"
    ".legend i{display:inline-block;width:.75rem;height:.75rem;margin-right:.3rem;vertical-align:-1px;"
    "border-radius:2px}\n"
    "#errors{color:#a00}\n"
)


def table_html(chart: Chart) -> str:
    e = html.escape
    if chart.kind == "hbar":
        rows = "".join(
            f"<tr><td>{e(x)}</td>" + "".join(f"<td>{_num(s.values[i])}</td>" for s in chart.series) + "</tr>"
            for i, x in enumerate(chart.x)
        )
        head = "".join(f"<th>{e(s.name)}</th>" for s in chart.series)
        return f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>"
    head = "".join(f"<th>{e(x)}</th>" for x in chart.x)
    rows = "".join(
        f"<tr><td>{e(s.name)}</td>" + "".join(f"<td>{_num(v)}</td>" for v in s.values) + "</tr>" for s in chart.series
    )
    return f"<table><thead><tr><th>{e(chart.unit)} / week of</th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def to_html(data: ReportData) -> str:
    e = html.escape
    script = _SCRIPT.read_text(encoding="utf-8")
    payload = json.dumps(data.model_dump()).replace("<", "\\u003c")  # nothing in the data can close the script tag
    sections = []
    for chart in data.charts:
        empty = not chart.x or not any(v for s in chart.series for v in s.values)
        sections.append(
            f'<section id="{chart.id}"><h2>{e(chart.title)}</h2>'
            + (f"<p class=note>{e(chart.note)}</p>" if chart.note else "")
            + ("<p class=note>Nothing in this period.</p>" if empty else "")
            + f'<div class=chart data-chart="{chart.id}"></div>{table_html(chart)}</section>'
        )
    title = f"synth alignment report, {data.since} to {data.until}"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        f'<meta name=viewport content="width=device-width"><title>{e(title)}</title><style>{_CSS}</style></head><body>'
        f"<h1>{e(title)}</h1><p class=meta>{data.meetings} meetings, {_num(data.insights)} insights. "
        "Weeks start on Monday.</p><p id=errors></p>"
        + "\n".join(sections)
        + f"<script id=report-data type=application/json>{payload}</script><script>{script}</script></body></html>\n"
    )
