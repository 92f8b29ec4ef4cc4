"""Data types. The same objects are what `--json` prints."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class Turn(BaseModel):
    """One contiguous stretch of speech (or one paragraph or bullet of written notes)."""

    speaker: str | None = Field(None, description="who spoke, as written in the source")
    text: str
    start_line: int = Field(description="1-based first line of the source file")
    end_line: int = Field(description="1-based last line, inclusive")
    start_time: float | None = Field(None, description="seconds from the start, when known")


class Meeting(BaseModel):
    """A parsed meeting: its turns and what the file says about it."""

    meeting_id: str
    title: str
    date: dt.date
    team: str | None = Field(None, description="the function of the whole meeting")
    attendees: list[str] = []
    source: str = Field(description="the path as ingested, or <stdin>")
    format: str
    content_hash: str
    turns: list[Turn]
    speaker_teams: dict[str, str] = Field({}, description="speaker -> function")


class Passage(BaseModel):
    """A turn-aware chunk of a meeting, the unit of search."""

    id: str
    meeting_id: str
    version: str
    index: int
    text: str
    start_line: int
    end_line: int
    speakers: list[str]
    teams: list[str]


class SearchHit(BaseModel):
    """A passage found by `synth search`, with where it came from."""

    meeting_id: str
    title: str
    date: str
    source: str
    start_line: int
    end_line: int
    speakers: list[str]
    teams: list[str]
    score: float
    text: str


class MeetingRecord(BaseModel):
    """What the store keeps about one ingested meeting."""

    meeting_id: str
    title: str
    date: str
    team: str | None = None
    attendees: list[str] = []
    speakers: list[str] = []
    teams: list[str] = []
    speaker_teams: dict[str, str] = Field({}, description="speaker -> function")
    source: str
    format: str
    version: str = Field(description="content hash of the stored version")
    passages: int
    turns: int
    ingested_at: str


class AnswerSource(BaseModel):
    """A passage an answer cites as [number]."""

    number: int
    meeting_id: str
    title: str
    date: str
    source: str
    start_line: int
    end_line: int
    speakers: list[str]
    text: str


class Answer(BaseModel):
    """The reply to `synth ask`."""

    question: str
    answer: str
    mode: str = Field(description="llm or extractive")
    scope: str | None = Field(None, description="the function the question was scoped to")
    found: bool
    meetings_searched: int
    sources: list[AnswerSource]
    note: str | None = None


class IngestReport(BaseModel):
    """What one `synth ingest` run did."""

    files: int = 0
    meetings: int = 0
    passages: int = 0
    unchanged: int = 0
    failed: int = 0
    ignored: int = 0
    errors: list[str] = []
    warnings: list[str] = []
    stored: list[str] = []
