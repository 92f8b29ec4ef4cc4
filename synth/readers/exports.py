"""JSON transcripts of note-takers whose formats are publicly documented, recognised by shape.

- Fireflies: the GraphQL `Transcript` (docs.fireflies.ai/schema/transcript), on its own or as the
  API's reply `{"data": {"transcript": {...}}}`: `title`, `date` (epoch milliseconds) or
  `dateString`, `meeting_attendees` / `participants` / `speakers`, and `sentences`, each with
  `speaker_name`, `text` (or `raw_text`), `start_time` and `end_time` in seconds.
- Gong: the reply of `POST /v2/calls/transcript`: `callTranscripts`, each a `callId` and a
  `transcript` of monologues (`speakerId`, `topic`, `sentences` of `start`/`end` milliseconds and
  `text`). Names come from a `parties` list (`speakerId`, `name`), as `/v2/calls/extensive`
  returns it under `calls[].parties`; that reply's `metaData` gives the title and date. Put both
  replies in one object (`{"callTranscripts": [...], "calls": [...]}`), or the transcript alone
  (speakers are then "Speaker <id>").

Consecutive sentences of one speaker make one turn. Lines are where each sentence's text is
written in the file, so a citation opens the export at the words.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from ..models import Turn

EXPORT_FORMATS = ("fireflies", "gong")


def export_kind(data: Any) -> str | None:
    """Which documented export a parsed JSON value is, or None."""
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, dict) and isinstance(inner.get("transcripts"), list):
            return "fireflies-list"
        if isinstance(inner, dict) and isinstance(inner.get("transcript"), dict):
            data = inner["transcript"]
        sentences = data.get("sentences")
        if isinstance(sentences, list) and (
            not sentences or any(isinstance(s, dict) and "speaker_name" in s for s in sentences)
        ):
            return "fireflies"
        if isinstance(data.get("callTranscripts"), list):
            return "gong"
    return None


def read_export(data: Any, text: str, source: str, kind: str) -> tuple[list[Turn], dict]:
    """Turns and front matter (title, date, attendees) of a recognised export."""
    locator = _Locator(text)
    if kind == "fireflies-list":
        count = len(data["data"]["transcripts"])
        raise InputError(
            source,
            f"is a Fireflies `transcripts` reply holding {count} transcripts; synth reads one transcript "
            "per file (query `transcript(id:)` for each, or put the files in a folder or a zip)",
        )
    if kind == "fireflies":
        return _fireflies(data, locator, source)
    return _gong(data, locator, source)


def _fireflies(data: dict, locator: _Locator, source: str) -> tuple[list[Turn], dict]:
    if isinstance(data.get("data"), dict) and isinstance(data["data"].get("transcript"), dict):
        data = data["data"]["transcript"]
    meta: dict = {}
    if isinstance(data.get("title"), str) and data["title"].strip():
        meta["title"] = data["title"].strip()
    if data.get("dateString") or data.get("date") is not None:
        meta["date_value"] = data.get("dateString") or data.get("date")
    attendees = [
        _text(a.get("displayName")) or _text(a.get("name")) or _text(a.get("email"))
        for a in _list(data.get("meeting_attendees"))
        if isinstance(a, dict)
    ]
    if not any(attendees):
        attendees = [_text(p) for p in _list(data.get("participants"))]
    if not any(attendees):
        attendees = [_text(s.get("name")) for s in _list(data.get("speakers")) if isinstance(s, dict)]
    if any(attendees):
        meta["attendees"] = [a for a in attendees if a]
    if not isinstance(data.get("sentences"), list):
        raise InputError(source, 'is a Fireflies transcript whose "sentences" is not a list')
    pieces = []
    for index, sentence in enumerate(data["sentences"]):
        if not isinstance(sentence, dict):
            raise InputError(source, f"sentence {index + 1} of the Fireflies transcript is not an object")
        body = sentence.get("text") if isinstance(sentence.get("text"), str) else sentence.get("raw_text")
        if not isinstance(body, str):
            raise InputError(source, f'sentence {index + 1} of the Fireflies transcript has no "text"')
        speaker = sentence.get("speaker_name")
        pieces.append((_name(speaker), body, _seconds(sentence.get("start_time"), source, index, 1.0)))
    if not pieces:
        raise InputError(
            source, 'is a Fireflies transcript with no "sentences" (was it exported before processing ended?)'
        )
    return _merge(pieces, locator), meta


def _gong(data: dict, locator: _Locator, source: str) -> tuple[list[Turn], dict]:
    calls = [c for c in data["callTranscripts"] if isinstance(c, dict)]
    if len(calls) != 1:
        raise InputError(
            source,
            f"is a Gong transcript reply with {len(calls)} calls; synth reads one call per file "
            "(request one callId, or split the reply)",
        )
    call = calls[0]
    call_id = str(call.get("callId", ""))
    extensive = next(
        (
            c
            for c in _list(data.get("calls"))
            if isinstance(c, dict) and str(_dict(c.get("metaData")).get("id", call_id)) == call_id
        ),
        {},
    )
    parties = _list(data.get("parties")) or _list(extensive.get("parties"))
    names = {
        str(p["speakerId"]): _text(p.get("name")) or _text(p.get("emailAddress"))
        for p in parties
        if isinstance(p, dict) and p.get("speakerId") is not None
    }
    meta: dict = {}
    details = _dict(extensive.get("metaData"))
    if _text(details.get("title")):
        meta["title"] = _text(details.get("title"))
    if details.get("started") or details.get("scheduled"):
        meta["date_value"] = details.get("started") or details.get("scheduled")
    people = [_text(p.get("name")) or _text(p.get("emailAddress")) for p in parties if isinstance(p, dict)]
    if any(people):
        meta["attendees"] = [p for p in people if p]
    pieces = []
    monologues = call.get("transcript")
    if not isinstance(monologues, list):
        raise InputError(source, f'call {call_id or "?"} of the Gong reply has no "transcript" list')
    for index, monologue in enumerate(monologues):
        if not isinstance(monologue, dict) or not isinstance(monologue.get("sentences"), list):
            raise InputError(source, f'monologue {index + 1} of the Gong transcript has no "sentences" list')
        speaker_id = monologue.get("speakerId")
        speaker = names.get(str(speaker_id)) or (f"Speaker {speaker_id}" if speaker_id is not None else None)
        for sentence in monologue["sentences"]:
            if not isinstance(sentence, dict) or not isinstance(sentence.get("text"), str):
                raise InputError(source, f'a sentence of monologue {index + 1} of the Gong transcript has no "text"')
            pieces.append((speaker, sentence["text"], _seconds(sentence.get("start"), source, index, 0.001)))
    if not pieces:
        raise InputError(source, "is a Gong transcript with no sentences")
    return _merge(pieces, locator), meta


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _name(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _seconds(value: Any, source: str, index: int, unit: float) -> float | None:
    """Fireflies documents its times as strings of seconds (and sends numbers); Gong sends milliseconds."""
    if value is None or value == "":
        return None
    try:
        return float(value) * unit
    except (TypeError, ValueError):
        raise InputError(source, f"entry {index + 1} has a time {value!r} that is not a number") from None


def _merge(pieces: list[tuple[str | None, str, float | None]], locator: _Locator) -> list[Turn]:
    turns: list[Turn] = []
    for speaker, body, start in pieces:
        first, last = locator.lines_of(body)
        words = " ".join(body.split())
        if not words:
            continue
        if turns and turns[-1].speaker == speaker:
            turns[-1].text = f"{turns[-1].text} {words}"
            turns[-1].end_line = max(turns[-1].end_line, last)
        else:
            turns.append(Turn(speaker=speaker, text=words, start_line=first, end_line=last, start_time=start))
    return turns


class _Locator:
    """Finds where each string value is written in the file, in order, for true line numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cursor = 0
        self.line = 1  # the line the cursor is on: counted once, as the cursor moves

    def lines_of(self, body: str) -> tuple[int, int]:
        for encoded in (json.dumps(body, ensure_ascii=False), json.dumps(body)):
            at = self.text.find(encoded, self.cursor)
            if at >= 0:
                line = self.line + self.text.count("\n", self.cursor, at)
                self.cursor = at + len(encoded)
                self.line = line + encoded.count("\n")
                return line, self.line
        return self.line, self.line
