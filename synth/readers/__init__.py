"""Readers turn a file (or standard input) into a Meeting.

Formats: Markdown notes with YAML front matter (and Obsidian/Logseq properties), plain text,
WebVTT, SRT, speaker-labelled text exports ("Name  00:01:23" then the text), JSON turn lists,
note-taker JSON exports (Fireflies, Gong), .docx, PDF and HTML. A zip export is read like a
folder by ingest (archive.py). The content decides as well as the extension: a `.txt` that holds
a Fireflies export, a PDF or an HTML page is read as what it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ..dates import MAX_DATE, MIN_DATE
from ..errors import InputError
from ..models import Meeting, Turn
from ..teams import normalize_team
from .dates import date_from_value, date_in_text
from .decoding import decode_text
from .exports import export_kind, read_export
from .html import read_html
from .lines import is_speaker_export, label_and_team, read_labelled_lines, read_speaker_export, split_front_matter
from .pdf import read_pdf
from .structured import read_docx, read_json
from .subtitles import read_srt, read_vtt

# Bump when parsing changes what a file yields, so unchanged files are read again once.
READER_VERSION = "3"

EXTENSIONS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".vtt": "vtt",
    ".srt": "srt",
    ".json": "json",
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".zip": "zip",
}
_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")


@dataclass
class ReadOptions:
    """What the person said about the meeting on the command line."""

    team: str | None = None
    title: str | None = None
    date: dt.date | None = None
    roster: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        return json.dumps(
            [self.team, self.title, self.date and self.date.isoformat(), sorted(self.roster.items())], sort_keys=True
        )


def format_of(path: PurePath) -> str | None:
    """The format a file name says, or None for an extension synth does not read."""
    return EXTENSIONS.get(path.suffix.lower())


def content_hash(data: bytes, options: ReadOptions, meeting_id: str) -> str:
    """What decides whether a stored meeting is still current: the bytes, the options, the
    reader. The meeting is part of it, so two files with the same text (a copy saved in two
    folders) are two meetings with versions of their own."""
    digest = hashlib.sha256(meeting_id.encode() + b"\0")
    digest.update(data)
    digest.update(b"\0" + options.fingerprint().encode() + b"\0" + READER_VERSION.encode())
    return digest.hexdigest()[:20]


def meeting_id_for(source_key: str, stem: str) -> str:
    """A short readable id that stays the same for the same file path."""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:48] or "meeting"
    digest = hashlib.sha1(source_key.encode("utf-8", "surrogateescape")).hexdigest()[:6]  # a name may not be UTF-8
    return f"{slug}-{digest}"


def read_meeting(
    data: bytes,
    source: str,
    options: ReadOptions,
    *,
    identity: str | None = None,
    fmt: str | None = None,
    mtime: float | None = None,
    warnings: list[str] | None = None,
) -> Meeting:
    """Parse one file's bytes into a Meeting.

    `source` is the path as the person gave it (used in messages and citations); `identity` is
    what makes two ingests the same meeting (the resolved path); `fmt` overrides the format the
    extension implies (standard input is sniffed).
    """
    name = Path(source).name if source != "<stdin>" else "stdin"
    if fmt is None:
        fmt = format_of(Path(source))
        if fmt is None:
            raise InputError(
                source,
                f"unsupported file type {Path(source).suffix or '(no extension)'!r}; "
                f"synth reads {', '.join(sorted(set(EXTENSIONS)))}",
            )
    if fmt == "zip":
        raise InputError(source, "is a zip archive: ingest it by its path and synth reads its files like a folder")
    meta: dict = {}
    title_in_body: str | None = None
    date_at: int | None = None  # the front matter line of `date:`, for a message about it
    fmt = _format_by_content(data, fmt)
    if fmt == "docx":
        turns, title_in_body = read_docx(data, source)
    elif fmt == "pdf":
        turns, meta, fmt = read_pdf(data, source, warnings)
    elif fmt == "html":
        turns, meta = read_html(data, source, warnings)
    else:
        text, decode_warnings = decode_text(data, source)
        if warnings is not None:
            warnings.extend(decode_warnings)
        if fmt == "sniff":
            fmt = sniff_format(text)
        parsed, kind = _json_export(text, fmt, source)
        if kind is not None:
            fmt = kind
            turns, meta = read_export(parsed, text, source, kind)
        elif fmt == "html":
            turns, meta = read_html(data, source, warnings)
        elif fmt == "vtt":
            turns = read_vtt(text, source)
        elif fmt == "srt":
            turns = read_srt(text, source)
        elif fmt == "json":
            turns, meta = read_json(text, source)
        else:
            meta, body, offset = split_front_matter(text, source)
            date_at = _key_line(text, "date", offset)
            meta, body = _with_properties(meta, body)
            body = _LINKED_LABEL.sub(r"\g<lead>\g<name>\g<colon>", body) if "[[" in body else body
            if is_speaker_export(body):
                fmt = "speaker-export"
                turns = read_speaker_export(body, offset)
            else:
                turns, title_in_body = read_labelled_lines(body, offset)
    if "date_value" in meta:  # an export's own date field: epoch milliseconds, ISO or words
        found = date_from_value(meta.pop("date_value"))
        if found is not None:
            meta.setdefault("date", found)
    created = meta.pop("created", None)  # a PDF's creation date: later than the meeting, if anything
    if not turns:
        raise InputError(source, "has no text to ingest")

    team = options.team or _team_value(meta.get("team"), source, warnings)
    attendees, attendee_teams = _attendees(meta.get("attendees"))
    speaker_teams = _speaker_teams(turns, options.roster, attendee_teams, team)
    stem = Path(name).stem
    title = options.title or _string(meta.get("title")) or title_in_body or _title_from_stem(stem)
    title = " ".join(title.split()) or _title_from_stem(stem)  # one line: a newline would fake a row of a table
    fallback = _file_date(mtime)
    date = (
        options.date
        or _date_value(meta.get("date"), source, date_at)
        or _date_in_name(name)
        or _date_line(turns)
        or (created if isinstance(created, dt.date) else None)
        or fallback
    )
    if not MIN_DATE <= date <= MAX_DATE:
        # year 1 or 9999 breaks every later "next week" and every weekly series: unknown instead
        message = f"{source}: date {date.isoformat()} is outside {MIN_DATE.year}-{MAX_DATE.year}"
        if warnings is not None:
            warnings.append(f"{message}; stored with the file's date {fallback.isoformat()} (--date gives one)")
        date = fallback
    meeting_id = meeting_id_for(identity or source, stem if source != "<stdin>" else title)
    return Meeting(
        meeting_id=meeting_id,
        title=title,
        date=date,
        team=team,
        attendees=attendees,
        source=source,
        format=fmt,
        content_hash=content_hash(data, options, meeting_id),
        turns=turns,
        speaker_teams=speaker_teams,
    )


def sniff_format(text: str) -> str:
    """The format of text that came without a file name (standard input)."""
    head = text.lstrip()[:200]
    if head.startswith("WEBVTT"):
        return "vtt"
    if _HTML_START.match(head):
        return "html"
    if head[:1] in "[{":
        return "json"
    if re.match(r"^\d+[ \t\r]*\n\s*\d{1,2}:\d{2}:\d{2},\d{3}\s*-->", head):
        return "srt"
    return "markdown"


def _format_by_content(data: bytes, fmt: str) -> str:
    """What the bytes are when they say so more surely than the name: a PDF, an HTML page, a
    WebVTT file saved as .txt."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if fmt in ("pdf", "docx"):
        return fmt  # not a PDF after all: the PDF reader says so; .docx is a zip, checked by its reader
    text_head = head.lstrip(b"\xef\xbb\xbf")[:200].decode("utf-8", "ignore")
    if fmt in ("text", "markdown", "sniff") and _HTML_START.match(text_head):
        return "html"
    if fmt in ("text", "sniff") and text_head.startswith("WEBVTT"):
        return "vtt"
    return fmt


_HTML_START = re.compile(r"^(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)


def _json_export(text: str, fmt: str, source: str) -> tuple[object, str | None]:
    """A documented note-taker export (Fireflies, Gong) in a .json, a .txt or standard input."""
    if fmt not in ("json", "text", "markdown", "sniff") or text.lstrip()[:1] not in ("{", "["):
        return None, None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return None, None  # not JSON after all: read as the extension says (the JSON reader reports why)
    return parsed, export_kind(parsed)


_WIKI_LINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]|]+)\]\]")
# "[[Dana Whitfield]]: text" (Obsidian, Logseq): the link is the speaker's label. Links elsewhere
# stay as written, so a quote is the file's own words.
_LINKED_LABEL = re.compile(
    r"^(?P<lead>[ \t]*(?:[-*+][ \t]+)?(?:\*\*)?)"
    r"\[\[(?:[^\]|\n]*\|)?(?P<name>[^\]|\n]+)\]\](?P<colon>(?:\*\*)?[ \t]*[:：])",
    re.M,
)
_LOGSEQ_PROPERTY = re.compile(r"^\s*(?:-\s+)?(?P<key>[A-Za-z][\w-]{0,40})::\s*(?P<value>.*)$")


def unwrap_links(text: str) -> str:
    """Obsidian and Logseq `[[links]]` in properties as their text: `[[Dana Whitfield]]` -> Dana
    Whitfield, `[[2026-03-12|Thursday]]` -> Thursday."""
    return _WIKI_LINK.sub(r"\1", text) if "[[" in text else text


def _with_properties(meta: dict, body: str) -> tuple[dict, str]:
    """Logseq page properties (`key:: value` lines at the top of a page) read like front matter
    (front matter wins where both say something) and left out of the turns (blank lines keep the
    line numbers)."""
    found: dict = {}
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if not line.strip():
            if found:
                break
            continue
        match = _LOGSEQ_PROPERTY.match(line)
        if not match:
            break
        key, value = match.group("key").lower(), unwrap_links(match.group("value")).strip()
        if key == "date":  # Logseq writes journal dates as links: [[Mar 16th, 2026]]
            day = date_in_text(value)
            value = day.isoformat() if day else value
        found[key] = value
        lines[index] = ""
    merged = {**found, **meta}
    return {key: _unlinked(value) for key, value in merged.items()}, "\n".join(lines) if found else body


def _unlinked(value):
    """Front matter values written as links (Obsidian: `attendees: ["[[Dana]]"]`) read as names."""
    if isinstance(value, str):
        return unwrap_links(value)
    if isinstance(value, list):
        return [unwrap_links(v) if isinstance(v, str) else v for v in value]
    return value


def _string(value) -> str | None:
    return str(value).strip() if value not in (None, "") else None


def _team_value(value, source: str, warnings: list[str] | None = None) -> str | None:
    """The meeting's function from its front matter. A value that is not a function (teams often
    write the product's name, `team: Dockslot`, for an all-hands) is not a reason to lose the
    meeting: it is stored without a meeting function (the roster still gives each speaker's) and a
    warning says so; without a place for warnings it is an error."""
    if value in (None, ""):
        return None
    team = normalize_team(str(value))
    if team is None:
        message = (
            f"front matter team {value!r} is not a function synth knows "
            "(sales, marketing, customer success, engineering, design, product, leadership)"
        )
        if warnings is None:
            raise InputError(source, message)
        warnings.append(f"{source}: {message}; stored without a meeting function (--team gives one)")
    return team


def _file_date(mtime: float | None) -> dt.date:
    """The day a file was last changed (today for standard input or a clock far off)."""
    try:
        found = dt.datetime.fromtimestamp(mtime).date() if mtime is not None else dt.date.today()
    except (OverflowError, OSError, ValueError):
        return dt.date.today()
    return found if MIN_DATE <= found <= MAX_DATE else dt.date.today()


def _date_value(value, source: str, line: int | None = None) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InputError(
            source, f"front matter date {str(value)[:40]!r} is not a date (write YYYY-MM-DD)", line=line
        ) from None


def _key_line(text: str, key: str, lines: int) -> int | None:
    """The line number of `key:` within the first `lines` lines (the front matter), if there."""
    for number, line in enumerate(text.split("\n", lines)[:lines], start=1):
        if line.lower().startswith(f"{key}:"):
            return number
    return None


def _date_line(turns: list[Turn]) -> dt.date | None:
    """A date written on a short line near the top ("Date: March 11, 2026", "2026-03-10"), as
    notes exported to PDF, HTML or Word carry it."""
    for turn in turns[:8]:
        if turn.speaker is None and len(turn.text) <= 80:
            found = date_in_text(turn.text)
            if found:
                return found
    return None


def _date_in_name(name: str) -> dt.date | None:
    match = _DATE_IN_NAME.search(name)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _title_from_stem(stem: str) -> str:
    words = re.sub(r"[_\-]+", " ", _DATE_IN_NAME.sub("", stem)).strip()
    return words[:1].upper() + words[1:] if words else stem


def _attendees(value) -> tuple[list[str], dict[str, str]]:
    """Attendees as names, and the functions they were listed with ("Dana (sales)" or {name, team})."""
    names: list[str] = []
    teams: dict[str, str] = {}
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;]", value) if v.strip()]
    if not isinstance(value, list):
        return names, teams
    for item in value:
        name, team = None, None
        if isinstance(item, dict):
            name, team = _string(item.get("name")), normalize_team(_string(item.get("team") or item.get("function")))
        elif item is not None:
            text = str(item).strip()
            labelled = label_and_team(text)
            name, team = (labelled[0], normalize_team(labelled[1])) if labelled else (text, None)
        if name:
            names.append(name)
            if team:
                teams[name.lower()] = team
    return names, teams


def _speaker_teams(
    turns: list[Turn], roster: dict[str, str], attendee_teams: dict[str, str], meeting_team: str | None
) -> dict[str, str]:
    """Each speaker's function: a "(Sales)" label, then the roster, the attendee list, the meeting."""
    lookup = {k.lower(): v for k, v in roster.items()}
    lookup.update(attendee_teams)
    first_names: dict[str, set[str]] = {}
    for person, function in lookup.items():
        first_names.setdefault(person.split()[0], set()).add(function)
    result: dict[str, str] = {}
    for speaker in {t.speaker for t in turns if t.speaker}:
        labelled = label_and_team(speaker)
        team = normalize_team(labelled[1]) if labelled else None
        bare = (labelled[0] if labelled else speaker).strip().lower()
        if team is None:
            team = lookup.get(bare)
        if team is None and bare.split() and len(first_names.get(bare.split()[0], ())) == 1:
            team = next(iter(first_names[bare.split()[0]]))
        result[speaker] = team or meeting_team or "unknown"
    return result
