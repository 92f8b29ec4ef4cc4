"""Text for a terminal: tables of hits and meetings, answers. Notes are shown safely."""

from __future__ import annotations

import re
import textwrap

from .models import Answer, IngestReport, MeetingRecord, SearchHit
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
    rows = [("DATE", "ID", "TEAM", "PASSAGES", "TITLE", "SOURCE")]
    for r in records:
        rows.append((r.date, r.meeting_id, display_team(r.team) if r.team else "-", str(r.passages),
                      safe(r.title)[:40], safe(r.source)))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths)) + "  " + row[5] for row in rows]
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
