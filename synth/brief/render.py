"""The brief as Markdown and as one self-contained HTML page. Both show exactly the facts of the
Brief object (what `--format json` prints), each with its sources as file:line."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from ..citations import cite
from ..render import safe
from ..teams import display_team
from ..text import inert_markdown
from .model import Brief, Cite, Fact, plural

CITATION = re.compile(
    r"(?<![^\s;,()])([^\s;,()]+\.(?:md|markdown|txt|vtt|srt|json|docx|text|pdf|html?))(?:!/[^\s;,()]+)?:(?:p\d+:)?(\d+)(?:-(\d+))?"
)
"""A file:line (or file:first-last) as the brief writes its sources."""


def cite_text(c: Cite) -> str:
    """A source as the brief shows it: the meeting (or the vision) and file:lines."""
    where = safe(cite(c.source, c.start_line, c.end_line))  # file:12-15, file.pdf:p3:12-15
    if c.meeting_id is None:
        return f"product vision, {where}"
    return f"{safe(c.title)} ({c.date}), {where}"


def _title(brief: Brief) -> str:
    who: str | None
    if brief.person:
        who = f"{brief.person} ({display_team(brief.audience or 'unknown')})"
    else:
        who = display_team(brief.audience) if brief.audience else None
    return f"Brief{' for ' + who if who else ''}: {brief.period}"


def _header_lines(brief: Brief) -> list[str]:
    listed = ", ".join(f"{safe(m.title)} ({m.date})" for m in brief.meetings[:12])
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


def _groups(brief: Brief) -> Iterator[tuple[str, str | None, list[Fact], str, str | None]]:
    """(title, prose, facts, empty, left out) in order: the sections, then the agenda and the
    questions."""
    for section in brief.sections:
        yield section.title, section.prose, section.facts, section.empty, section.left_out
    yield "Suggested agenda", None, brief.agenda, "Nothing needs the whole team.", None
    yield "Questions worth asking", None, brief.questions, "No open question.", None


def to_markdown(brief: Brief) -> str:
    """The brief as Markdown: a bullet per fact with its details and sources. Text from notes is
    inert there (an image, a link or HTML in a note shows as written, nothing loads)."""
    md = inert_markdown
    out = [f"# {md(_title(brief))}", ""]
    out += [md(line) for line in _header_lines(brief)] + [""]
    for title, prose, facts, empty, left_out in _groups(brief):
        out += [f"## {md(title)}", ""]
        if prose:
            out += [md(prose), ""]
        if not facts:
            out += [f"_{empty}_", ""]
            continue
        for fact in facts:
            detail = fact.detail_text()
            out.append(f"- **[{fact.id}]** {md(fact.text)}" + (f" _({md(detail)})_" if detail else ""))
            out.append("  Sources: " + "; ".join(md(cite_text(c)) for c in fact.cites))
        if left_out:
            out += ["", f"_And {md(left_out)}._"]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_CSS = (
    "\n"
    'body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:920px;margin:2rem auto;'
    "padding:0 1rem;color:#1d2433}\n"
    "h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;"
    "border-bottom:1px solid #dde3ec;padding-bottom:.2rem}\n"
    ".meta{color:#556;font-size:.9rem}.fact{margin:.6rem 0}.id{font:600 .8rem ui-monospace,monospace;"
    "background:#eef2f8;\n"
    "border-radius:4px;padding:0 .3rem;margin-right:.3rem}.detail{color:#445;"
    "font-style:italic}.src{color:#667;font-size:.82rem;\n"
    "font-family:ui-monospace,monospace}.empty{color:#778;font-style:italic}.prose{background:#f7f9fc;"
    "border-left:3px solid #7a9cc6;\n"
    "padding:.4rem .8rem}\n"
)


def to_html(brief: Brief) -> str:
    """The brief as one self-contained HTML page that loads nothing."""
    e = html.escape
    body = [f"<h1>{e(safe(_title(brief)))}</h1>"] + [f"<p class=meta>{e(line)}</p>" for line in _header_lines(brief)]
    for title, prose, facts, empty, left_out in _groups(brief):
        body.append(f"<h2>{e(title)}</h2>")
        if prose:
            body.append(f"<p class=prose>{e(safe(prose))}</p>")
        if not facts:
            body.append(f"<p class=empty>{e(empty)}</p>")
        for fact in facts:
            detail = fact.detail_text()
            sources = "<br>".join(e(cite_text(c)) for c in fact.cites)
            body.append(
                f"<div class=fact id={e(fact.id)}><span class=id>{e(fact.id)}</span>{e(safe(fact.text))}"
                + (f" <span class=detail>({e(safe(detail))})</span>" if detail else "")
                + f"<div class=src>{sources}</div></div>"
            )
        if left_out:
            body.append(f"<p class=empty>And {e(left_out)}.</p>")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{e(safe(_title(brief)))}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
