"""Data types. The same objects are what `--json` prints."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from .kinds import AssumptionStatus, FlagStatus, FlagType, Kind


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
    turns: list[tuple[int, int, str | None]] = Field([], description="start line, end line, speaker of each text line")


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
    extraction: str = Field("pending", description="pending, done, partial (some windows failed) or failed")
    extraction_error: str | None = None
    extraction_run: str | None = Field(None, description="the run whose insights are visible")
    extractor: str | None = Field(None, description="offline, or llm:MODEL")
    insights: int = 0
    llm_calls: int = Field(0, description="chat calls made for this meeting, all runs")
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Insight(BaseModel):
    """Something a meeting said that matters: a finding, roadblock, assumption, decision,
    action, request or promise to a customer, with the verbatim quote it rests on and where that quote is."""

    id: str
    kind: Kind
    statement: str
    quote: str = Field(description="the transcript's words, found at start_line..end_line")
    speaker: str | None = None
    team: str = Field("unknown", description="the speaker's function")
    meeting_id: str
    title: str
    date: str
    source: str
    start_line: int
    end_line: int
    confidence: float
    owner: str | None = Field(None, description="actions: who will do it, when stated")
    due: str | None = Field(None, description="actions: when, as stated")
    status: AssumptionStatus | None = Field(None, description="assumptions: untested, validated or invalidated")
    status_flag: str | None = Field(None, description="assumptions: the flag whose evidence set the status")
    extractor: str = Field(description="offline, or llm:MODEL")


class AnswerSource(BaseModel):
    """A passage (or a vision statement) an answer cites as [number]."""

    number: int
    kind: str = Field("passage", description="passage, or vision for a statement of the product vision")
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
    insights: dict[str, int] = Field({}, description="insights found, by kind")
    extraction_failed: list[str] = Field([], description="meetings whose extraction failed, with the reason")
    dropped_ungrounded: int = Field(0, description="model insights dropped because their quote is not in the text")
    llm_calls: int = 0
    cache_hits: int = 0
    new_flags: int = Field(0, description="flags the check after extraction raised")
    open_flags: int = 0


class FlagSide(BaseModel):
    """One side of a flag: an insight (with its quote) or a vision statement."""

    kind: str = Field(description="the insight's kind, or vision")
    text: str = Field(description="the insight's statement, or the vision statement")
    quote: str = Field(description="the words at source:start_line-end_line")
    speaker: str | None = None
    team: str | None = None
    meeting_id: str | None = None
    title: str | None = None
    date: str | None = None
    section: str | None = Field(None, description="vision statements: the section, e.g. roadmap (exploring)")
    source: str
    start_line: int
    end_line: int
    key: str = Field(description="what the side says, normalised: the same words give the same key")


class Flag(BaseModel):
    """A contradiction, a promise the roadmap does not back, evidence about an assumption, or a
    theme nobody planned for; with both sides, an explanation and a status a person sets."""

    id: str
    type: FlagType
    sides: list[FlagSide]
    explanation: str
    confidence: float
    checker: str = Field(description="offline, or llm:MODEL")
    status: FlagStatus = "open"
    note: str | None = None
    created_at: str
    updated_at: str


class Tension(BaseModel):
    """Flags that say the same thing, as one tension: the same vision statement held against, the
    same assumption tested, or the same claims in conflict across meetings. Ranked by evidence."""

    id: str = Field(description="the id of its strongest flag")
    type: FlagType
    summary: str = Field(description="what the flags share: the vision statement, the assumption, or the claim")
    confidence: float = Field(description="the highest confidence of its flags")
    likely: bool = Field(description="confidence in the likely band (see docs/benchmarks.md); else possible")
    functions: list[str] = Field(description="the functions on its insight sides")
    meetings: int = Field(description="how many meetings its evidence comes from")
    first_date: str | None = None
    last_date: str | None = None
    flags: list[Flag] = Field(description="its flags, strongest first")


class CheckReport(BaseModel):
    """What one `synth check` did."""

    judge: str
    insights_checked: int = 0
    insights_total: int = 0
    statements: int = 0
    pairs: int = 0
    llm_calls: int = 0
    cache_hits: int = 0
    new_flags: list[Flag] = []
    open_flags: int = 0
    by_type: dict[str, int] = Field({}, description="open flags by type")
    warnings: list[str] = []
    vision_set: bool = False


class VisionVersion(BaseModel):
    """One entry of the vision's history (`synth vision history`)."""

    version: str = Field(description="content hash of the document")
    number: int = Field(description="1 for the first version set, then 2, ...")
    source: str
    set_at: str
    statements: int = Field(description="how many statements it holds")
    title: str | None = None


class SettingsStatus(BaseModel):
    """The settings as `synth status` shows them: never a secret, only whether one is set."""

    store: str = Field(description="the store folder, or the Chroma server's URL (password masked)")
    chroma_token: Literal["set", "not set"] | None = Field(description="None unless a Chroma server is used")
    mode: Literal["llm", "offline"]
    offline_flag: bool
    base_url: str | None
    model: str | None
    api_key: Literal["set", "not set"]
    embeddings: str
    prompts_dir: str | None
    structured_output: str
    jobs: int
    check_candidates: int


class ExtractionCounts(BaseModel):
    """Stored meetings by the state of their extraction."""

    done: int = 0
    partial: int = 0
    failed: int = 0
    pending: int = 0


class StoreStatus(BaseModel):
    """The store's counts for `synth status`; a store not created yet has only the first three."""

    exists: bool
    meetings: int = 0
    passages: int = 0
    turns: int = 0
    first_meeting: str | None = None
    last_meeting: str | None = None
    roster_people: int = 0
    insights: int = 0
    extraction: ExtractionCounts = Field(default_factory=ExtractionCounts)
    extraction_failures: list[str] = Field([], description="meeting id: reason, for failed and partial extractions")
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @model_serializer(mode="wrap")
    def _only_counts_when_missing(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.exists:  # nothing else can be counted in a store that is not there
            return {key: data[key] for key in ("exists", "meetings", "passages")}
        return data


class StatusReport(BaseModel):
    """What `synth status` shows: the settings and the store's counts."""

    settings: SettingsStatus
    store: StoreStatus


class CheckState(BaseModel):
    """What the last `synth check` saw: the vision version, and each meeting's visible extraction
    run; the next check looks only at what changed since."""

    vision: str | None = None
    runs: dict[str, str] = {}
    # the requests and roadblocks linked into groups (unheard themes), by insight id, groups of two
    # or more: the next check links only its new ones (None: not kept, by an older synth)
    themes: list[list[str]] | None = None
    # each open flag's type and its sides' keys, by flag id, as the check left them: the next
    # check reads in full only the flags it may change (None: not kept, by an older synth)
    flags: dict[str, tuple[str, list[str]]] | None = None
