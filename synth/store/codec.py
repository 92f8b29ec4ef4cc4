"""Every conversion between synth's models and Chroma's records: ids, flat metadata, documents.

Chroma metadata is flat (str, int, float, bool), so lists and dicts are stored as JSON, dates
also as ordinals (for range filters), and the functions a passage touches as one boolean key
each (`team_sales: True`), which a query can filter on.
"""

from __future__ import annotations

import datetime as dt
import json
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
    metadata: Metadata = {
        "meeting_id": passage.meeting_id,
        "version": passage.version,
        "index": passage.index,
        "start_line": passage.start_line,
        "end_line": passage.end_line,
        "date_ord": date_ord,
        "speakers": json.dumps(passage.speakers),
        "teams": json.dumps(passage.teams),
        "turns": json.dumps(passage.turns),
    }
    for team in passage.teams:
        if team in FUNCTIONS:
            metadata[team_flag(team)] = True
    return metadata


def passage_from_stored(passage_id: str, text: str, metadata: StoredMetadata) -> Passage:
    """A stored passage as it was written."""
    return Passage(
        id=passage_id,
        meeting_id=metadata["meeting_id"],
        version=metadata["version"],
        index=int(metadata["index"]),
        text=text,
        start_line=int(metadata["start_line"]),
        end_line=int(metadata["end_line"]),
        speakers=json.loads(metadata.get("speakers", "[]")),
        teams=json.loads(metadata.get("teams", "[]")),
        turns=json.loads(metadata.get("turns", "[]")),
    )


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


def record_metadata(record: MeetingRecord) -> Metadata:
    metadata: Metadata = {}
    for key, value in record.model_dump().items():
        if isinstance(value, (list, dict)):
            metadata[key] = json.dumps(value)
        elif value is not None:
            metadata[key] = value
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
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


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
    return {"type": flag.type, "status": flag.status}


def flag_from_document(document: str) -> Flag:
    data = json.loads(document)
    data["sides"] = [_side_from_document(side) for side in data["sides"]]
    return Flag(**data)
