"""Text for a terminal: tables of hits and meetings, answers, status. Notes are shown safely.
And the one way every `--json` is written (`to_json`)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .citations import cite, json_location
from .kinds import KINDS
from .models import (
    Answer,
    CheckReport,
    Flag,
    FlagSide,
    IngestReport,
    Insight,
    MeetingRecord,
    SearchHit,
    StatusReport,
    Tension,
    VisionVersion,
)
from .teams import display_team
from .text import safe

if TYPE_CHECKING:
    from .vision import Vision, VisionStatement


def where(source: str, start: int, end: int) -> str:
    """file:12-15, or file.pdf:p3:12-15 (see citations.py)."""
    return safe(cite(source, start, end))


def hits_text(hits: list[SearchHit], query: str, meetings_searched: int, width: int = 100) -> str:
    if not hits:
        return f"Nothing found for {safe(query)!r} in {meetings_searched} meetings searched."
    out = []
    for number, hit in enumerate(hits, start=1):
        who = ", ".join(safe(s) for s in hit.speakers) or "notes"
        teams = ", ".join(display_team(t) for t in hit.teams)
        out.append(
            f"[{number}] {safe(hit.title)} ({hit.date}) {where(hit.source, hit.start_line, hit.end_line)}"
            f"  score {hit.score:.3f}"
        )
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
        rows.append(
            (
                r.date,
                r.meeting_id,
                display_team(r.team) if r.team else "-",
                str(r.passages),
                insights,
                safe(r.title)[:40],
                safe(r.source),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:6], widths)) + "  " + row[6] for row in rows]
    lines.append(f"{len(records)} meetings.")
    return "\n".join(lines)


def answer_sources_text(answer: Answer) -> str:
    out = ["", "Sources:"]
    for s in answer.sources:
        out.append(
            f"  [{s.number}] {safe(s.title)} ({s.date}) {where(s.source, s.start_line, s.end_line)}"
            + (f" - {', '.join(safe(x) for x in s.speakers)}" if s.speakers else "")
        )
    return "\n".join(out)


def report_text(report: IngestReport) -> str:
    parts = [
        f"{report.files} files",
        f"{report.meetings} meetings stored ({report.passages} passages)",
        f"{report.unchanged} unchanged",
        f"{report.failed} failed",
    ]
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
    if report.new_flags or report.open_flags:
        line += f"\nChecked: {report.new_flags} new flags, {report.open_flags} open. List them: synth flags"
    return line


_PLURAL = {
    "finding": "Findings",
    "roadblock": "Roadblocks",
    "assumption": "Assumptions",
    "decision": "Decisions",
    "action": "Actions",
    "request": "Requests",
    "promise": "Promises to customers",
}


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
                extra = f" [{i.status}" + (f", see flag {i.status_flag}]" if i.status_flag else "]")
            out.extend(textwrap.wrap(f"- {safe(i.statement)}{extra}", width, subsequent_indent="  "))
            who = f"{safe(i.speaker or 'unknown')} ({display_team(i.team)})"
            out.append(f"  {who}, {i.date}, {where(i.source, i.start_line, i.end_line)}, confidence {i.confidence:.2f}")
            out.extend(
                textwrap.wrap(
                    f'"{safe(i.quote)}"',
                    width,
                    initial_indent="  ",
                    subsequent_indent="  ",
                    max_lines=3,
                    placeholder=" …",
                )
            )
        out.append("")
    out.append(f"{len(insights)} insights from {meetings} meetings.")
    return "\n".join(out)


# --- vision and flags ----------------------------------------------------------------------------

_FLAG_TITLES = {
    "vision_conflict": "Conflicts with the vision",
    "team_conflict": "Functions disagree",
    "promise_gap": "Promises the roadmap does not back",
    "assumption_refuted": "Assumptions refuted",
    "assumption_supported": "Assumptions supported",
    "unheard": "Recurring themes the vision does not address",
}


def side_text(side: FlagSide, width: int = 100) -> list[str]:
    """One side of a flag: who or which section, the words, and where they are."""
    if side.kind == "vision":
        head = f"Vision ({side.section})"
    else:
        who = safe(side.speaker or "unknown") + (f" ({display_team(side.team)})" if side.team else "")
        head = f"{who}, {side.kind}, {safe(side.title or '')} {side.date or ''}".rstrip()
    lines = textwrap.wrap(
        f'{head}: "{safe(side.quote)}"',
        width - 4,
        initial_indent="    ",
        subsequent_indent="      ",
        max_lines=4,
        placeholder=" …",
    )
    lines.append(f"      {where(side.source, side.start_line, side.end_line)}")
    return lines


def _flag_lines(flag: Flag, width: int) -> list[str]:
    """One flag: its id, status and confidence, the explanation, both sides, a person's note."""
    status = "" if flag.status == "open" else f" [{flag.status}]"
    out = [f"  {flag.id}{status}  confidence {flag.confidence:.2f} ({flag.checker})"]
    out.extend(textwrap.wrap(safe(flag.explanation), width - 4, initial_indent="    ", subsequent_indent="    "))
    for side in flag.sides:
        out.extend(side_text(side, width))
    if flag.note:
        out.append(f"    note: {safe(flag.note)}")
    return out


def flags_text(flags: list[Flag], width: int = 100, empty: str = "No flags.") -> str:
    """Flags grouped by type, each with both sides; `empty` when there are none."""
    if not flags:
        return empty
    out = []
    for kind, title in _FLAG_TITLES.items():
        group = [f for f in flags if f.type == kind]
        if not group:
            continue
        out.append(f"{title} ({len(group)})")
        for flag in group:
            out.extend(_flag_lines(flag, width))
        out.append("")
    return "\n".join(out).rstrip()


def tensions_text(
    tensions: list[Tension], width: int = 100, empty: str = "No flags.", show_possible: bool = False
) -> str:
    """Tensions ranked by evidence: the likely ones, each with its flags and their sides; then the
    possible ones (when asked) or how many there are."""
    if not tensions:
        return empty
    likely = [t for t in tensions if t.likely]
    possible = [t for t in tensions if not t.likely]
    out: list[str] = []
    if likely:
        out.append(f"Likely tensions ({len(likely)}), strongest evidence first")
        out.append("")
        for number, tension in enumerate(likely, 1):
            out.extend(_tension_lines(number, tension, width))
    if possible and show_possible:
        out.append(f"Possible tensions ({len(possible)}): weaker evidence, check before acting")
        out.append("")
        for number, tension in enumerate(possible, len(likely) + 1):
            out.extend(_tension_lines(number, tension, width))
    elif possible:
        out.append(
            f"{'And ' if likely else ''}{len(possible)} possible tension{'s' if len(possible) != 1 else ''} "
            "with weaker evidence: synth flags --possible"
        )
    return "\n".join(out).rstrip()


def _tension_lines(number: int, tension: Tension, width: int) -> list[str]:
    title = _FLAG_TITLES[tension.type].rstrip("s") if tension.type != "unheard" else "Recurring theme"
    evidence = (
        f"{len(tension.flags)} flag{'s' if len(tension.flags) != 1 else ''}, {tension.meetings} "
        f"meeting{'s' if tension.meetings != 1 else ''}"
        + (f", {', '.join(display_team(t) for t in tension.functions)}" if tension.functions else "")
        + (f", latest {tension.last_date}" if tension.last_date else "")
        + f", confidence {tension.confidence:.2f}"
    )
    out = textwrap.wrap(
        f"{number}. {title}: {safe(tension.summary)}", width, subsequent_indent="   ", max_lines=3, placeholder=" …"
    )
    out.append(f"   {evidence}")
    for flag in tension.flags:
        out.extend(_flag_lines(flag, width))
    out.append("")
    return out


def check_text(report: CheckReport) -> str:
    """The summary of one check; when nothing is flagged, how much was checked."""
    checked = (
        f"{report.insights_checked} of {report.insights_total} insights and {report.statements} vision "
        f"statements checked ({report.pairs} pairs, judge: {report.judge}"
        + (f", {report.llm_calls} model calls, {report.cache_hits} cached" if report.judge != "offline" else "")
        + ")"
    )
    if not report.vision_set:
        checked += "; no vision set (synth vision set FILE)"
    if not report.open_flags:
        return f"No flags: {checked}."
    kinds = ", ".join(f"{n} {t}" for t, n in report.by_type.items())
    return f"{len(report.new_flags)} new flags, {report.open_flags} open ({kinds}). {checked}. List them: synth flags"


def vision_text(vision: Vision, width: int = 100) -> str:
    """The vision's statements by section, each with its line."""
    from .vision import SECTION_TITLES

    out = [
        f"{safe(vision.title or 'Vision')} (version {vision.number}, {vision.version[:8]}, set {vision.set_at}, "
        f"from {safe(vision.source)})",
        "",
    ]
    grouped = vision.by_section()
    for section, title in SECTION_TITLES.items():
        statements = grouped.get(section, [])
        if not statements:
            continue
        if section == "roadmap":
            for commitment in ("committed", "exploring"):
                chosen = [s for s in statements if s.commitment == commitment]
                if chosen:
                    out.append(f"Roadmap: {commitment} ({len(chosen)})")
                    for s in chosen:
                        out.extend(
                            textwrap.wrap(f"- {safe(s.text)}  [line {s.start_line}]", width, subsequent_indent="  ")
                        )
                    out.append("")
            continue
        out.append(f"{title} ({len(statements)})")
        for s in statements:
            out.extend(textwrap.wrap(f"- {safe(s.text)}  [line {s.start_line}]", width, subsequent_indent="  "))
        out.append("")
    out.append(f"{len(vision.statements)} statements.")
    return "\n".join(out)


def vision_diff_text(
    old: Vision, new: Vision, changes: Sequence[tuple[str, Any, VisionStatement]], width: int = 100
) -> str:
    """Statements added (+) and removed (-) between two versions of the vision."""
    head = f"Vision version {old.number} ({old.set_at}) -> version {new.number} ({new.set_at})"
    if not changes:
        return head + ": no statement changed."
    out = [head]
    for sign, _, s in changes:
        out.extend(
            textwrap.wrap(
                f"{sign} [{s.label}] {safe(s.text)}  ({where(s.source, s.start_line, s.end_line)})",
                width,
                subsequent_indent="    ",
            )
        )
    added = sum(1 for c in changes if c[0] == "+")
    out.append(f"{added} added, {len(changes) - added} removed.")
    return "\n".join(out)


def flags_empty(status: str, kind: str | None, insights_stored: int) -> str:
    """What `synth flags` says when no flag matches: which flags, and whether a check could find any."""
    return (
        ("No flags" if status == "all" else f"No {status} flags")
        + (f" of type {kind}" if kind else "")
        + (f" ({insights_stored} insights stored; synth check)." if insights_stored else ".")
    )


def status_text(report: StatusReport) -> str:
    """`synth status`: where the store is, its counts, and the model settings (never a secret)."""
    s, st = report.settings, report.store
    where = f"Chroma server {s.store} (token {s.chroma_token})" if s.chroma_token else s.store
    out = [f"store:      {where}" + ("" if st.exists else " (not created yet)")]
    out.append(f"meetings:   {st.meetings}   passages: {st.passages}")
    if st.exists and st.first_meeting:
        out.append(f"dates:      {st.first_meeting} to {st.last_meeting}")
    out.append(f"mode:       {s.mode}" + ("" if s.mode == "llm" else " (no language model configured)"))
    out.append(f"model:      {s.model or '-'}   base url: {s.base_url or '-'}   api key: {s.api_key}")
    out.append(f"embeddings: {s.embeddings}   structured output: {s.structured_output}")
    if st.exists:
        ex = st.extraction
        out.append(
            f"insights:   {st.insights}   extraction: {ex.done} done, {ex.partial} partial, "
            f"{ex.failed} failed, {ex.pending} pending"
        )
        out.append(
            f"llm usage:  {st.llm_calls} calls, {st.prompt_tokens} prompt tokens, "
            f"{st.completion_tokens} completion tokens"
        )
        out.extend(f"  failed: {line}" for line in st.extraction_failures)
    return "\n".join(out)


def vision_history_text(entries: list[VisionVersion]) -> str:
    """The versions of the vision, oldest first, one a line."""
    if not entries:
        return "No vision set. Store one with: synth vision set FILE"
    return "\n".join(
        f"{e.number:>3}  {e.version[:8]}  {e.set_at}  {e.statements:>3} statements  {e.source}" for e in entries
    )


def roster_text(people: Mapping[str, str]) -> str:
    """The roster by function, then name."""
    if not people:
        return "No roster stored. Set one with: synth roster set FILE"
    return "\n".join(f"{team:18} {person}" for person, team in sorted(people.items(), key=lambda kv: (kv[1], kv[0])))


JsonValue = BaseModel | Mapping[str, Any] | Sequence[Any] | str | int | float | bool | None


def to_json(value: JsonValue) -> str:
    """The JSON of a model, a list of models or plain data (models as `model_dump`): what every
    `--json` prints, so that the same objects print the same way everywhere."""
    return json.dumps(_plain(value), indent=2)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return json_location({key: _plain(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
