"""The brief as Markdown and as one self-contained HTML page. Both show exactly the facts of the
Brief object (what `--format json` prints), each with its sources as file:line."""

from __future__ import annotations

import html
import re

from .brief import Brief, Cite, Fact
from .render import safe
from .teams import display_team


def cite_text(c: Cite) -> str:
    lines = f"{c.start_line}" if c.start_line == c.end_line else f"{c.start_line}-{c.end_line}"
    if c.meeting_id is None:
        return f"product vision, {safe(c.source)}:{lines}"
    return f"{safe(c.title)} ({c.date}), {safe(c.source)}:{lines}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s" if not word.endswith("s") else f"{n} {word}"


def detail_text(fact: Fact) -> str:
    """The numbers behind a fact, in words."""
    d = fact.details
    s = fact.section
    if s == "learned":
        return f"{fact.who}, {fact.date}"
    if s in ("roadblocks",) or (s == "risks" and "open_days" in d):
        if d.get("state") == "resolved":
            return f"raised by {d['raised_by']} on {fact.date}, resolved {d['resolved_on']} after {d['open_days']} days"
        extra = (
            f"; raised {d['mentions']} times in {d['meetings']} meetings, last {d['last_raised']}"
            if d["mentions"] > 1
            else ""
        )
        return f"open {d['open_days']} days, raised by {d['raised_by']} on {fact.date}{extra}"
    if s in ("assumptions",) or (s == "risks" and "reliance" in d):
        said = (
            f"said {d['mentions']} times in {d['meetings']} meetings"
            if d["mentions"] > 1
            else f"said by {fact.who} on {fact.date}"
        )
        leaning = (
            (
                f"; {d['relied_on_by']} {'decision, action or promise leans' if d['relied_on_by'] == 1 else 'decisions, actions or promises lean'}"
                " on it"
            )
            if d["relied_on_by"]
            else ""
        )
        changed = f"; status changed on {d['changed_on']} (flag {d['flag']})" if d.get("changed_on") else ""
        return f"{d['status']}, {said}{leaning}{changed}"
    if s in ("flags", "decisions_needed") or (s == "do_not_promise" and "flag" in d):
        return f"flag {d['flag']}; functions: {', '.join(d['functions']) or 'customers only'}"
    if s == "decisions" or (s == "outcomes" and "metric" not in d):
        return f"{fact.who}, {fact.date}"
    if s == "outcomes":
        return f'{fact.who}, {fact.date}; about the metric "{d["metric"]}"'
    if s in ("actions", "your_actions") or (s == "risks" and "owner" in d):
        due = {"overdue": f"overdue by {d.get('overdue_days')} days (due {d['due']})", "due": f"due {d['due']}"}.get(
            d["state"], "no due date"
        )
        return f"owner {d['owner']}; {due}; agreed {fact.date}"
    if s in ("requests", "problems"):
        named = ", ".join(d["customers"])
        unnamed = f"{d['unnamed_customers']} unnamed" if d["unnamed_customers"] else ""
        who = " and ".join(x for x in (named, unnamed) if x)
        customers = f", {plural(d['customer_count'], 'customer')} ({who})" if d["customer_count"] else ""
        heard = f"; heard by {', '.join(d['heard_by'])}" if d["heard_by"] else ""
        problems = "".join(f'; problem behind it: "{p}"' for p in d.get("problems", []))
        return (
            f"{plural(d['mentions'], 'mention')} in {plural(d['meetings'], 'meeting')}{customers}{heard}; first {d['first_heard']}, "
            f"last {d['last_heard']}; {d['fit']}{problems}"
        )
    if s == "unheard":
        return f"silent for {d['days_silent']} days"
    if s == "commitments":
        return f"{d['state']}; asked for in {d['requests_meetings']} meetings" if d["requests_meetings"] else d["state"]
    if s == "do_not_promise":
        return d["reason"]
    if s == "agenda":
        needs = f"needs {', '.join(d['functions'])}; " if d["functions"] else ""
        return f"{needs}about {', '.join(d['about'])}"
    if s == "questions":
        return f"about {', '.join(d['about'])}"
    return ""


def _title(brief: Brief) -> str:
    who = (
        brief.person
        and f"{brief.person} ({display_team(brief.audience)})"
        or (brief.audience and display_team(brief.audience))
    )
    return f"Brief{' for ' + who if who else ''}: {brief.period}"


def _header_lines(brief: Brief) -> list[str]:
    listed = ", ".join(f"{safe(m['title'])} ({m['date']})" for m in brief.meetings[:12])
    more = f" and {len(brief.meetings) - 12} more" if len(brief.meetings) > 12 else ""
    lines = [
        f"As of {brief.until}. {plural(len(brief.meetings), 'meeting')} in the period, {brief.meetings_stored} stored"
        + (f": {listed}{more}." if brief.meetings else ".")
    ]
    if brief.mode == "offline":
        lines.append("Assembled from the stored insights, flags and vision, without a model.")
    else:
        dropped = sum(brief.dropped.values())
        lines.append(
            f"Facts assembled from the store; the lead of each section written by {brief.mode} from those facts"
            + (f" ({dropped} sentences dropped: a citation or a number did not match the facts)." if dropped else ".")
        )
    lines.extend(f"Note: {n}." for n in brief.notes)
    return lines


def _groups(brief: Brief):
    """(title, prose, facts, empty) in order: the sections, then the agenda and the questions."""
    for section in brief.sections:
        yield section.title, section.prose, section.facts, section.empty
    yield "Suggested agenda", None, brief.agenda, "Nothing needs the whole team."
    yield "Questions worth asking", None, brief.questions, "No open question."


def to_markdown(brief: Brief) -> str:
    out = [f"# {safe(_title(brief))}", ""]
    out += [line for line in _header_lines(brief)] + [""]
    for title, prose, facts, empty in _groups(brief):
        out += [f"## {title}", ""]
        if prose:
            out += [safe(prose), ""]
        if not facts:
            out += [f"_{empty}_", ""]
            continue
        for fact in facts:
            detail = detail_text(fact)
            out.append(f"- **[{fact.id}]** {safe(fact.text)}" + (f" _({safe(detail)})_" if detail else ""))
            out.append("  Sources: " + "; ".join(cite_text(c) for c in fact.cites))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:920px;margin:2rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde3ec;padding-bottom:.2rem}
.meta{color:#556;font-size:.9rem}.fact{margin:.6rem 0}.id{font:600 .8rem ui-monospace,monospace;background:#eef2f8;
border-radius:4px;padding:0 .3rem;margin-right:.3rem}.detail{color:#445;font-style:italic}.src{color:#667;font-size:.82rem;
font-family:ui-monospace,monospace}.empty{color:#778;font-style:italic}.prose{background:#f7f9fc;border-left:3px solid #7a9cc6;
padding:.4rem .8rem}
"""


def to_html(brief: Brief) -> str:
    e = html.escape
    body = [f"<h1>{e(safe(_title(brief)))}</h1>"] + [f"<p class=meta>{e(line)}</p>" for line in _header_lines(brief)]
    for title, prose, facts, empty in _groups(brief):
        body.append(f"<h2>{e(title)}</h2>")
        if prose:
            body.append(f"<p class=prose>{e(safe(prose))}</p>")
        if not facts:
            body.append(f"<p class=empty>{e(empty)}</p>")
        for fact in facts:
            detail = detail_text(fact)
            sources = "<br>".join(e(cite_text(c)) for c in fact.cites)
            body.append(
                f"<div class=fact id={e(fact.id)}><span class=id>{e(fact.id)}</span>{e(safe(fact.text))}"
                + (f" <span class=detail>({e(safe(detail))})</span>" if detail else "")
                + f"<div class=src>{sources}</div></div>"
            )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{e(safe(_title(brief)))}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


CITATION = re.compile(r"([^\s;,()]+\.(?:md|markdown|txt|vtt|srt|json|docx|text)):(\d+)(?:-(\d+))?")
