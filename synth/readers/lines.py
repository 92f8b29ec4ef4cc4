"""Markdown notes, plain text and speaker-labelled text exports, read line by line."""

from __future__ import annotations

import re

import yaml

from ..errors import InputError
from ..models import Turn
from .safeyaml import load_yaml

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)

# "**Dana:** text", "**Dana**: text", "Dana: text", "- **Dana (Sales):** text", "[Dana] text"
# A speaker's name, "Dana" or "Dana Whitfield (Sales)". Its words never end in a space that another
# follows (the \s* after them takes those), so a line of spaces is scanned once, not once for each
# length the name could have (40 times: 0.13 s for 12,000 spaces, 40 s for a 5 MB line).
SPEAKER_NAME = r"(?P<name>[A-Z][\w .'\-]{0,40}?(?!(?<=\s)\s)(?:\s*\([^)\n]{1,40}\))?)"
_LABELLED = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?\[?" + SPEAKER_NAME + r"\]?"
    r"(?:\s*[:：]\s*(?:\*\*|__)|(?:\*\*|__)\s*[:：]|\s*[:：])\s+(?P<text>\S.*)$"
)
# An Otter-style header line: "Dana Whitfield  00:01:23" or "Speaker 2  1:05", text on the next lines.
_EXPORT_HEADER = re.compile(r"^(?P<name>\S[^\t]{0,60}?)(?<=\S)\s+(?P<time>(?:\d{1,2}:)?\d{1,2}:\d{2})\s*$")
# A Markdown heading is found by heading_parts (string methods, linear): the pattern it replaced,
# ^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$, backtracked cubically (2,500 spaces in a heading took 42 s).
_TIMESTAMP_PREFIX = re.compile(r"^\s*\[?\(?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:\.\d+)?\]?\)?\s*")
# Words that end in a colon at the start of a line without being a person.
_NOT_SPEAKERS = {
    "note",
    "notes",
    "action",
    "actions",
    "todo",
    "decision",
    "decisions",
    "date",
    "time",
    "agenda",
    "attendees",
    "summary",
    "update",
    "q",
    "a",
    "question",
    "answer",
    "next steps",
    "follow up",
    "follow-up",
    "context",
    "goal",
    "goals",
    "status",
    "risk",
    "risks",
    "owner",
    "due",
    "http",
    "https",
    "re",
    "fyi",
    "ps",
    "nb",
    "example",
    "warning",
    "important",
    "tl;dr",
    "tldr",
    "result",
    "results",
    "links",
    "tags",
    "related",
    "see also",
}


def split_front_matter(text: str, source: str) -> tuple[dict, str, int]:
    """Return the YAML front matter (or {}), the body and how many lines the front matter took."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 0
    try:
        data = load_yaml(match.group(1)) or {}
    except ValueError as exc:
        raise InputError(source, f"front matter {exc}", line=2) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise InputError(source, f"front matter is not valid YAML ({getattr(exc, 'problem', exc)})", line=line) from exc
    if not isinstance(data, dict):
        raise InputError(source, "front matter must be a YAML mapping (key: value lines)", line=2)
    consumed = match.group(0).count("\n") + (0 if match.group(0).endswith("\n") else 1)
    return data, text[match.end() :], consumed


def heading_parts(line: str, max_indent: int = 3) -> tuple[int, str] | None:
    """(level, text) of a Markdown ATX heading ("## Pricing ##" -> (2, "Pricing")), or None.
    Up to `max_indent` whitespace characters before the hashes; trailing hashes and whitespace
    are not part of the text. Linear in the length of the line, whatever it holds."""
    body = line.lstrip()
    if len(line) - len(body) > max_indent:
        return None
    level = len(body) - len(body.lstrip("#"))
    rest = body[level:]
    if not 1 <= level <= 6 or not rest[:1].isspace():
        return None
    return level, rest.strip().rstrip("#").rstrip()


def label_and_team(text: str) -> tuple[str, str] | None:
    """("Dana", "Sales") from "Dana (Sales)": the parentheses that close the text, else None.

    String methods, not a pattern: ^(.*?)\\s*\\((.+)\\)\\s*$ backtracked quadratically on long spaces.
    """
    inner = text.rstrip()
    if "\n" in inner or not inner.endswith(")"):
        return None
    inner = inner[:-1]
    opening = inner.find("(", inner.rfind(")") + 1)
    if opening < 0 or opening + 1 == len(inner):
        return None
    return inner[:opening].rstrip(), inner[opening + 1 :]


def _speaker_from_label(name: str) -> str | None:
    name = name.strip().strip("*_").strip()
    # what stands before a closing "(...)": "Dana (Sales)" is Dana
    bare = name[: name.find("(")].strip() if name.endswith(")") and "(" in name else name
    if not bare or bare.lower() in _NOT_SPEAKERS or len(bare.split()) > 4:
        return None
    if any(ch.isdigit() for ch in bare) and not re.match(r"^(speaker|participant|guest)\s*\d+$", bare, re.I):
        return None
    return name


def split_label(line: str) -> tuple[str | None, str]:
    """("Dana", "text") for a labelled line "Dana: text" (or "**Dana:** text"), else (None, line)."""
    content = _TIMESTAMP_PREFIX.sub("", line)
    labelled = _LABELLED.match(content)
    name = _speaker_from_label(labelled.group("name")) if labelled else None
    if labelled and name:
        return name, labelled.group("text").strip()
    return None, line.strip()


def export_header(line: str) -> tuple[str, float] | None:
    """(speaker, seconds) of a "Name  00:01:23" line that starts a turn of an export, else None."""
    header = _EXPORT_HEADER.match(line.strip())
    if header is None or _LABELLED.match(line.strip()):
        return None
    return header.group("name").strip(), _seconds(header.group("time"))


def is_speaker_export(text: str, lines_per_header: int = 4) -> bool:
    """True when the text looks like an Otter-style export (name-and-time lines, text below).
    A PDF wraps what was said over several lines, so its reader allows more lines per header."""
    lines = [line for line in text.splitlines() if line.strip()][: 15 * lines_per_header]
    headers = sum(1 for line in lines if _EXPORT_HEADER.match(line) and not _LABELLED.match(line))
    return headers >= 2 and headers * lines_per_header >= len(lines)


def read_speaker_export(text: str, line_offset: int = 0) -> list[Turn]:
    """Turns of a "Name  00:01:23" export: each header starts a turn that runs to the next."""
    turns: list[Turn] = []
    speaker: str | None = None
    start_time: float | None = None
    buf: list[tuple[int, str]] = []

    def flush() -> None:
        if buf:
            turns.append(
                Turn(
                    speaker=speaker,
                    text=" ".join(t for _, t in buf),
                    start_line=buf[0][0],
                    end_line=buf[-1][0],
                    start_time=start_time,
                )
            )
        buf.clear()

    for number, raw in enumerate(text.splitlines(), start=1 + line_offset):
        line = raw.strip()
        header = _EXPORT_HEADER.match(line)
        if header and not _LABELLED.match(line):
            flush()
            speaker = header.group("name").strip()
            start_time = _seconds(header.group("time"))
            continue
        if line:
            buf.append((number, line))
    flush()
    return turns


_LOOSE_HEADING = re.compile(r"^[A-Z][\w'&/-]*(?: [\w'&/()-]+){0,5}$")


def read_labelled_lines(
    text: str, line_offset: int = 0, each_line: bool = False, loose: bool = False
) -> tuple[list[Turn], str | None]:
    """Turns of notes or a labelled transcript, and the first top-level heading (a title).

    A line "Name: text" starts a speaker turn that continues over following unlabelled lines
    until a blank line (with `each_line`, every line is its own turn: paragraphs of a document).
    With `loose` (text without blank lines between paragraphs, as a PDF's text layer), a bullet
    also ends a speaker's turn, and a short title-like line after a finished sentence is a heading.
    Other paragraphs and bullets become turns with no speaker; headings become short turns.
    """
    turns: list[Turn] = []
    title: str | None = None
    speaker: str | None = None
    buf: list[tuple[int, str]] = []
    in_code = False

    def flush() -> None:
        nonlocal speaker
        if buf:
            body = " ".join(t for _, t in buf).strip()
            if body:
                turns.append(Turn(speaker=speaker, text=body, start_line=buf[0][0], end_line=buf[-1][0]))
        buf.clear()
        speaker = None

    for number, raw in enumerate(text.splitlines(), start=1 + line_offset):
        line = raw.rstrip()
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if not line.strip():
            flush()
            continue
        heading = heading_parts(line) if not in_code else None
        if heading:
            flush()
            if title is None and line.lstrip().startswith("# "):
                title = heading[1]
            else:
                turns.append(Turn(speaker=None, text=heading[1] + ":", start_line=number, end_line=number))
            continue
        content = _TIMESTAMP_PREFIX.sub("", line) if not in_code else line
        labelled = _LABELLED.match(content) if not in_code else None
        name = _speaker_from_label(labelled.group("name")) if labelled else None
        if labelled and name:
            flush()
            speaker = name
            buf.append((number, labelled.group("text").strip()))
            if each_line:
                flush()
            continue
        if loose and not in_code and _LOOSE_HEADING.match(line.strip()) and (not buf or buf[-1][1][-1:] in ".?!"):
            flush()
            turns.append(Turn(speaker=None, text=line.strip() + ":", start_line=number, end_line=number))
            continue
        if re.match(r"^\s*(?:[-*+•]|\d+[.)])\s+", line) and buf and (speaker is None or loose):
            flush()  # each bullet of written notes is its own statement
        buf.append((number, content.strip()))
        if each_line:
            flush()
    flush()
    return turns, title


def _seconds(stamp: str) -> float:
    parts = [float(p) for p in stamp.split(":")]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds
