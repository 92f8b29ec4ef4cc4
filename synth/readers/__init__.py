"""Readers turn a file (or standard input) into a Meeting.

Formats: Markdown notes with YAML front matter, plain text, WebVTT, SRT, speaker-labelled text
exports ("Name  00:01:23" then the text), JSON turn lists and .docx.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..models import Meeting, Turn
from ..teams import normalize_team
from .decoding import decode_text
from .lines import is_speaker_export, read_labelled_lines, read_speaker_export, split_front_matter
from .structured import read_docx, read_json
from .subtitles import read_srt, read_vtt

# Bump when parsing changes what a file yields, so unchanged files are read again once.
READER_VERSION = "2"

EXTENSIONS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".vtt": "vtt",
    ".srt": "srt",
    ".json": "json",
    ".docx": "docx",
}
_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")
_LABEL_TEAM = re.compile(r"^(?P<name>.*?)\s*\((?P<team>[^)]+)\)\s*$")


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


def format_of(path: Path) -> str | None:
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
    return f"{slug}-{hashlib.sha1(source_key.encode()).hexdigest()[:6]}"


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
    meta: dict = {}
    title_in_body: str | None = None
    if fmt == "docx":
        turns, title_in_body = read_docx(data, source)
    else:
        text, decode_warnings = decode_text(data, source)
        if warnings is not None:
            warnings.extend(decode_warnings)
        if fmt == "sniff":
            fmt = sniff_format(text)
        if fmt == "vtt":
            turns = read_vtt(text, source)
        elif fmt == "srt":
            turns = read_srt(text, source)
        elif fmt == "json":
            turns, meta = read_json(text, source)
        else:
            meta, body, offset = split_front_matter(text, source)
            if is_speaker_export(body):
                fmt = "speaker-export"
                turns = read_speaker_export(body, offset)
            else:
                turns, title_in_body = read_labelled_lines(body, offset)
    if not turns:
        raise InputError(source, "has no text to ingest")

    team = options.team or _team_value(meta.get("team"), source)
    attendees, attendee_teams = _attendees(meta.get("attendees"))
    speaker_teams = _speaker_teams(turns, options.roster, attendee_teams, team)
    stem = Path(name).stem
    title = options.title or _string(meta.get("title")) or title_in_body or _title_from_stem(stem)
    date = (
        options.date
        or _date_value(meta.get("date"), source)
        or _date_in_name(name)
        or (dt.datetime.fromtimestamp(mtime).date() if mtime is not None else dt.date.today())
    )
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
    if head[:1] in "[{":
        return "json"
    if re.match(r"^\d+\s*\n\s*\d{1,2}:\d{2}:\d{2},\d{3}\s*-->", head):
        return "srt"
    return "markdown"


def _string(value) -> str | None:
    return str(value).strip() if value not in (None, "") else None


def _team_value(value, source: str) -> str | None:
    if value in (None, ""):
        return None
    team = normalize_team(str(value))
    if team is None:
        raise InputError(
            source,
            f"front matter team {value!r} is not a function synth knows "
            "(sales, marketing, customer success, engineering, design, product, leadership)",
        )
    return team


def _date_value(value, source: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InputError(source, f"front matter date {value!r} is not a date (write YYYY-MM-DD)") from None


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
            labelled = _LABEL_TEAM.match(text)
            name, team = (labelled.group("name"), normalize_team(labelled.group("team"))) if labelled else (text, None)
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
        labelled = _LABEL_TEAM.match(speaker)
        team = normalize_team(labelled.group("team")) if labelled else None
        bare = (labelled.group("name") if labelled else speaker).strip().lower()
        if team is None:
            team = lookup.get(bare)
        if team is None and bare.split() and len(first_names.get(bare.split()[0], ())) == 1:
            team = next(iter(first_names[bare.split()[0]]))
        result[speaker] = team or meeting_team or "unknown"
    return result
