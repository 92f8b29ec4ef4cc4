"""Every conversion between synth's models and Chroma's records: ids, flat metadata, documents.

Chroma metadata is flat (str, int, float, bool), so lists and dicts are stored as JSON, dates
also as ordinals (for range filters), and the functions a passage touches as one boolean key
each (`team_sales: True`), which a query can filter on.

Long texts (a meeting version's passage texts, its lexical postings, flags, settings) are not
Chroma documents: Chroma keeps a document three times and builds a trigram full-text index on it
(about eight times its size in all), and synth never searches documents. They are packed
(`pack`: zlib, base64, in numbered parts) into metadata, which Chroma keeps twice. Records
written before, with documents, read as they were.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import Flag, Insight, MeetingRecord, Passage, Turn
from ..teams import FUNCTIONS

if TYPE_CHECKING:
    from ..vision import VisionStatement  # not imported to search: it compiles many patterns

Scalar = str | int | float | bool
Metadata = dict[str, Scalar]
StoredMetadata = Mapping[str, Any]  # what Chroma returns: values of the types written


def passage_id(meeting_id: str, version: str, index: int) -> str:
    """Deterministic: the same meeting version always yields the same ids."""
    return f"{meeting_id}:{version[:12]}:{index:04d}"


def team_flag(team: str) -> str:
    """The metadata key that marks a passage as touching a function (Chroma metadata is flat)."""
    return f"team_{team}"


def date_ordinal(date: str) -> int:
    return dt.date.fromisoformat(date).toordinal()


# --- passages ---------------------------------------------------------------------------------


def passage_metadata(passage: Passage, date_ord: int) -> Metadata:
    """What a passage's record holds: what a query filters on or a hit needs (meeting, version,
    index, date, a flag per function). The rest (`KEPT_FIELDS`) is in its version's texts record."""
    metadata: Metadata = {
        "meeting_id": passage.meeting_id,
        "version": passage.version,
        "index": passage.index,
        "date_ord": date_ord,
    }
    for team in passage.teams:
        if team in FUNCTIONS:
            metadata[team_flag(team)] = True
    return metadata


KEPT_FIELDS = ("text", "start_line", "end_line", "speakers", "teams", "turns")  # in the texts record
KeptFields = dict[str, Any]


def passage_from_stored(passage_id: str, metadata: StoredMetadata, kept: KeptFields) -> Passage:
    """A stored passage: its record's metadata and the fields its version's texts record keeps
    (`texts_from_value`; for a passage written before, `fields_written_before`)."""
    return Passage(
        id=passage_id,
        meeting_id=metadata["meeting_id"],
        version=metadata["version"],
        index=int(metadata["index"]),
        **kept,
    )


def fields_written_before(document: str, metadata: StoredMetadata) -> KeptFields:
    """The kept fields of a passage written before the texts records: its document is the text,
    the rest is in its metadata as JSON."""
    fields: KeptFields = {"text": document, "start_line": int(metadata["start_line"])}
    fields["end_line"] = int(metadata["end_line"])
    fields.update({key: json.loads(metadata.get(key, "[]")) for key in ("speakers", "teams", "turns")})
    return fields


def texts_value(passages: list[Passage]) -> str:
    """A meeting version's passages' kept fields (text, lines, speakers, functions, turns), by
    passage index, as compact JSON."""
    return _compact([[p.index, *(getattr(p, key) for key in KEPT_FIELDS)] for p in passages])


def texts_from_value(value: str) -> dict[int, KeptFields]:
    """The kept fields of `texts_value`, by passage index."""
    return {int(row[0]): dict(zip(KEPT_FIELDS, row[1:], strict=True)) for row in json.loads(value)}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- long values packed into metadata ---------------------------------------------------------

PART = 500_000  # characters of one metadata value: far under what Chroma and its server accept


def pack(text: str, level: int = 6) -> Metadata:
    """A long text as metadata: zlib-compressed, base64, in parts `z0`, `z1`... counted by `parts`.
    zlib with base64 measured 42% of the JSON of a meeting's passages (lzma 37%, 30 times slower).
    Level 6 for what is written once: on the 1.6 MB digest of a 300-meeting store 1.5% larger
    than level 9 and 2.4 times faster (52 against 126 ms). Settings, written again after every
    ingest (the digest, the check state), take level 1: on those of a 300-meeting store 12 ms
    against 42, 20% larger."""
    data = base64.b64encode(zlib.compress(text.encode(), level)).decode("ascii")
    parts = [data[start : start + PART] for start in range(0, len(data), PART)] or [""]
    packed: Metadata = {"parts": len(parts)}
    packed.update({f"z{n}": part for n, part in enumerate(parts)})
    return packed


def unpack(metadata: StoredMetadata | None) -> str | None:
    """The text `pack` put in a record's metadata, or None when it holds none (written before).
    A rewrite with fewer parts leaves the old extra parts behind: `parts` says which count."""
    if not metadata or "parts" not in metadata:
        return None
    data = "".join(metadata[f"z{n}"] for n in range(int(metadata["parts"])))
    return zlib.decompress(base64.b64decode(data)).decode()


def passage_turns(passage: Passage) -> list[Turn]:
    """The turns of a passage: one per text line, the speaker's name taken off its start."""
    turns = []
    for line, (start, end, speaker) in zip(passage.text.split("\n"), passage.turns):
        body = line[len(speaker) + 2 :] if speaker and line.startswith(f"{speaker}: ") else line
        turns.append(Turn(speaker=speaker, text=body, start_line=start, end_line=end))
    return turns


def touches_team(passage: Passage, team: str) -> bool:
    """Whether a passage matches a team filter, as a query filtering on its team flag would."""
    return team in FUNCTIONS and team in passage.teams


@dataclass(frozen=True, slots=True)
class DenseHit:
    """A passage found by vector similarity: its id, meeting version, index in the meeting."""

    id: str
    version: str
    index: int
    similarity: float


# --- meeting records --------------------------------------------------------------------------


def record_metadata(record: MeetingRecord) -> dict[str, Scalar | None]:
    """A meeting record as metadata. A field without a value is written as None, which an upsert
    takes to remove the key: Chroma keeps the keys an upsert leaves out, so a new version's
    record would otherwise keep the extraction run (or error) its earlier version had."""
    metadata: dict[str, Scalar | None] = {}
    for key, value in record.model_dump().items():
        metadata[key] = json.dumps(value) if isinstance(value, (list, dict)) else value
    metadata["date_ord"] = date_ordinal(record.date)
    return metadata


def record_from_metadata(metadata: StoredMetadata) -> MeetingRecord:
    data = dict(metadata)
    data.pop("date_ord", None)
    for key, empty in (("attendees", "[]"), ("speakers", "[]"), ("teams", "[]"), ("speaker_teams", "{}")):
        data[key] = json.loads(data.get(key, empty))
    return MeetingRecord(**data)


# --- insights ---------------------------------------------------------------------------------

_INSIGHT_FIELDS = set(Insight.model_fields)


def insight_id(run: str, insight: Insight) -> str:
    return f"{run}:{insight.id}"


def insight_metadata(insight: Insight, run: str, version: str) -> Metadata:
    metadata: Metadata = {k: v for k, v in insight.model_dump().items() if v is not None}
    metadata.update(run=run, version=version, date_ord=date_ordinal(insight.date))
    return metadata


def insight_from_metadata(metadata: StoredMetadata) -> Insight:
    return Insight(**{k: v for k, v in metadata.items() if k in _INSIGHT_FIELDS})


INSIGHT_FILTERED = ("meeting_id", "kind", "team")  # what a read of insights filters on, beside run and date


def insight_filter_metadata(insight: Insight, run: str, version: str) -> Metadata:
    """What an insight's own record holds when its run's insights are packed (`insights_value`):
    what a read filters on or deletes by. The insight itself is in the pack."""
    metadata: Metadata = {k: getattr(insight, k) for k in INSIGHT_FILTERED}
    metadata.update(run=run, version=version, date_ord=date_ordinal(insight.date))
    return metadata


def is_packed_insight(metadata: StoredMetadata) -> bool:
    """True for an insight record whose insight is in its run's pack (written since packing);
    one written before holds every field of the insight itself."""
    return "statement" not in metadata


def insights_value(rows: list[tuple[str, Insight, tuple[str, list[str]] | None]]) -> str:
    """An extraction run's insights as one JSON text, in order: each one's stored id, its fields
    (no empty ones), and the terms a check kept for it with the reader's fingerprint, if any."""
    return _compact(
        [
            [i, insight.model_dump(exclude_none=True), None if kept is None else [kept[0], " ".join(kept[1])]]
            for i, insight, kept in rows
        ]
    )


def insights_from_value(text: str) -> list[tuple[str, dict[str, Any], tuple[str, list[str]] | None]]:
    """`insights_value` read back, each insight as its fields (`Insight(**fields)` makes it: a
    reader makes only those it asks for)."""
    return [
        (i, fields, None if kept is None else (str(kept[0]), str(kept[1]).split()))
        for i, fields, kept in json.loads(text)
    ]


# --- vision statements ------------------------------------------------------------------------


def statement_id(statement: VisionStatement) -> str:
    return f"{statement.version}:{statement.id}:{statement.start_line}"


def statement_metadata(statement: VisionStatement) -> Metadata:
    return {k: v for k, v in statement.model_dump().items() if v is not None}


def statement_place(metadata: StoredMetadata) -> tuple[str, int]:
    """What identifies a stored statement within its version: its id and first line."""
    return metadata["id"], int(metadata["start_line"])


# --- flags ------------------------------------------------------------------------------------


def flag_document(flag: Flag) -> str:
    """The flag as compact JSON: no spaces, no empty fields, text as it is (no \\u escapes), and
    no side's key or quote where reading can rebuild it (see `_side_document`). Chroma keeps a
    document three times (the row, an index of metadata strings, the full-text index), so each
    byte saved here is saved three times; documents written before read the same."""
    data = flag.model_dump(exclude_none=True)
    data["sides"] = [_side_document(side) for side in data["sides"]]
    return _compact(data)


def _side_document(side: dict[str, Any]) -> dict[str, Any]:
    """A flag side without what `_side_from_document` rebuilds: an insight side's key (its
    meeting and the words of its quote) and a vision side's quote (its text)."""
    side = dict(side)
    if side.get("quote") == side["text"] and side["kind"] == "vision":
        del side["quote"]
    if "meeting_id" in side and side["key"] == _insight_side_key(side["meeting_id"], side["quote"]):
        del side["key"]
    return side


def _side_from_document(side: dict[str, Any]) -> dict[str, Any]:
    side.setdefault("quote", side["text"])
    if "key" not in side:
        side["key"] = _insight_side_key(side["meeting_id"], side["quote"])
    return side


def _insight_side_key(meeting_id: str, quote: str) -> str:
    """What an insight side says, where (as check/flags.py's insight_key makes it)."""
    from ..grounding import words

    return f"{meeting_id}|{' '.join(words(quote))}"


def flag_metadata(flag: Flag) -> Metadata:
    """The flag's type and status (to filter on) and the flag itself, packed."""
    return {"type": flag.type, "status": flag.status, **pack(flag_document(flag))}


def flag_from_stored(document: str | None, metadata: StoredMetadata) -> Flag:
    """A stored flag: packed in its metadata, or (written before) its document. The packed one
    comes first: a flag written before and rewritten since keeps its old document."""
    packed = unpack(metadata)
    return flag_from_document(packed if packed is not None else document or "")


def flag_from_document(document: str) -> Flag:
    data = json.loads(document)
    data["sides"] = [_side_from_document(side) for side in data["sides"]]
    return Flag(**data)
