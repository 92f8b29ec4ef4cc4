"""Text for a terminal: tables of hits and meetings, answers. Notes are shown safely."""

from __future__ import annotations

import re
import textwrap

from .models import KINDS, Answer, IngestReport, Insight, MeetingRecord, SearchHit
from .teams import display_team

# ANSI escape sequences and other control characters that came from notes must not reach a terminal.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """Text from notes with terminal control sequences removed."""
    return _CONTROL.sub("", text)


def where(source: str, start: int, end: int) -> str:
    return f"{safe(source)}:{start}" if start == end else f"{safe(source)}:{start}-{end}"


def hits_text(hits: list[SearchHit], query: str, meetings_searched: int, width: int = 100) -> str:
    if not hits:
        return f"Nothing found for {safe(query)!r} in {meetings_searched} meetings searched."
    out = []
    for number, hit in enumerate(hits, start=1):
        who = ", ".join(safe(s) for s in hit.speakers) or "notes"
        teams = ", ".join(display_team(t) for t in hit.teams)
        out.append(f"[{number}] {safe(hit.title)} ({hit.date}) {where(hit.source, hit.start_line, hit.end_line)}"
                   f"  score {hit.score:.3f}")
        out.append(f"    {who} | {teams}")
        body = safe(hit.text)
        shown = textwrap.shorten(" ".join(body.split()), width=400, placeholder=" …")
        out.extend("    " + line for line in textwrap.wrap(shown, width - 4))
        out.append("")
    out.append(f"{len(hits)} passages from {meetings_searched} meetings searched.")
    return "\n".join(out)


def meetings_text(records: list[MeetingRecord]) -> str:
    if not records:
        return "No meetings stored yet. Add some with: synth ingest PATH"
    rows = [("DATE", "ID", "TEAM", "PASSAGES", "INSIGHTS", "TITLE", "SOURCE")]
    for r in records:
        insights = str(r.insights) if r.extraction == "done" else f"{r.insights} ({r.extraction})"
        rows.append((r.date, r.meeting_id, display_team(r.team) if r.team else "-", str(r.passages),
                     insights, safe(r.title)[:40], safe(r.source)))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:6], widths)) + "  " + row[6] for row in rows]
    lines.append(f"{len(records)} meetings.")
    return "\n".join(lines)


def answer_sources_text(answer: Answer) -> str:
    out = ["", "Sources:"]
    for s in answer.sources:
        out.append(f"  [{s.number}] {safe(s.title)} ({s.date}) {where(s.source, s.start_line, s.end_line)}"
                   + (f" - {', '.join(safe(x) for x in s.speakers)}" if s.speakers else ""))
    return "\n".join(out)


def report_text(report: IngestReport) -> str:
    parts = [f"{report.files} files", f"{report.meetings} meetings stored ({report.passages} passages)",
             f"{report.unchanged} unchanged", f"{report.failed} failed"]
    if report.ignored:
        parts.append(f"{report.ignored} ignored")
    return "Ingested: " + ", ".join(parts) + "."


def extraction_text(report: IngestReport, extractor_note: str | None = None) -> str:
    """What extraction found: insights by kind, what grounding dropped, what failed."""
    counts = ", ".join(f"{report.insights.get(k, 0)} {k}s" for k in KINDS)
    total = sum(report.insights.values())
    line = f"Insights: {total} ({counts})."
    extras = []
    if report.llm_calls or report.cache_hits:
        extras.append(f"{report.llm_calls} model calls, {report.cache_hits} parts from the cache")
    if report.dropped_ungrounded:
        extras.append(f"{report.dropped_ungrounded} dropped because their quote is not in the transcript")
    if extras:
        line += " " + "; ".join(extras).capitalize() + "."
    if extractor_note:
        line += "\n" + extractor_note
    return line


_PLURAL = {"finding": "Findings", "roadblock": "Roadblocks", "assumption": "Assumptions",
           "decision": "Decisions", "action": "Actions", "request": "Requests"}


def insights_text(insights: list[Insight], meetings: int, width: int = 100) -> str:
    """Insights grouped by kind, each with who said it and where."""
    if not insights:
        return f"No insights found in {meetings} meetings."
    out = []
    for kind in KINDS:
        group = [i for i in insights if i.kind == kind]
        if not group:
            continue
        out.append(f"{_PLURAL[kind]} ({len(group)})")
        for i in group:
            extra = ""
            if kind == "action" and (i.owner or i.due):
                extra = f" [owner: {safe(i.owner or '?')}{', due ' + safe(i.due) if i.due else ''}]"
            if kind == "assumption" and i.status:
                extra = f" [{i.status}]"
            out.extend(textwrap.wrap(f"- {safe(i.statement)}{extra}", width, subsequent_indent="  "))
            who = f"{safe(i.speaker or 'unknown')} ({display_team(i.team)})"
            out.append(f"  {who}, {i.date}, {where(i.source, i.start_line, i.end_line)}, confidence {i.confidence:.2f}")
            out.extend(textwrap.wrap(f'"{safe(i.quote)}"', width, initial_indent="  ", subsequent_indent="  ",
                                     max_lines=3, placeholder=" …"))
        out.append("")
    out.append(f"{len(insights)} insights from {meetings} meetings.")
    return "\n".join(out)
