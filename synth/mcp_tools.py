"""What `synth mcp`'s tools do and return, without the SDK: one `SynthTools` over one `Synth`,
and the result models (the objects `--json` prints, plus the result's citations: source, lines,
quote). `mcp_server.py` exposes them over the protocol; tests call them directly too."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, Field, TypeAdapter

from .config import Settings
from .errors import ConfigError, SynthError
from .kinds import AssumptionStatus, FlagStatus, FlagType, Kind
from .models import Answer, Flag, IngestReport, Insight, MeetingRecord, SearchHit, StatusReport
from .redact import without_secrets

if TYPE_CHECKING:
    from .app import Synth
    from .brief.model import Brief
    from .retriever import Filters
    from .vision import Vision

log = logging.getLogger("synth.mcp")

R = TypeVar("R")


# --- what the tools return --------------------------------------------------------------------


class Citation(BaseModel):
    """Where a result's words are: a file and its lines (and the words, when the result has them)."""

    source: str = Field(description="the meeting file (or the vision document) as ingested")
    start_line: int = Field(description="1-based first line")
    end_line: int = Field(description="1-based last line, inclusive")
    quote: str | None = Field(None, description="the words at those lines, when the result holds them")
    meeting_id: str | None = None
    title: str | None = None
    date: str | None = None


class SearchResult(BaseModel):
    """`synth search --json` (the hits), with how many meetings were searched and the citations."""

    query: str
    meetings_searched: int
    hits: list[SearchHit]
    citations: list[Citation]


class AskResult(BaseModel):
    """`synth ask --json` (the answer), with the citations of its numbered sources."""

    answer: Answer
    citations: list[Citation]


class InsightsResult(BaseModel):
    """`synth insights --json` (the insights), each citing its quote's file and lines."""

    count: int
    insights: list[Insight]
    citations: list[Citation]


class FlagsResult(BaseModel):
    """`synth flags --json` (the flags), both sides of each cited."""

    count: int
    flags: list[Flag]
    citations: list[Citation]


class BriefResult(BaseModel):
    """`synth brief` as Markdown and as its JSON facts (`--format json`), with every fact's sources."""

    markdown: str
    brief: dict[str, Any] = Field(description="the brief's JSON (what `synth brief --format json` prints)")
    citations: list[Citation]


class MeetingsResult(BaseModel):
    """`synth meetings --json`, oldest first."""

    count: int
    meetings: list[MeetingRecord]
    citations: list[Citation] = Field(description="each meeting's file (from its first line)")


class VisionResult(BaseModel):
    """`synth vision show --json`: the current vision's statements with their sections and lines."""

    vision: dict[str, Any] | None = Field(description="the current vision (None when none is set)")
    citations: list[Citation]


class StatusResult(BaseModel):
    """`synth status --json`: the store's counts and the settings, never a secret."""

    status: StatusReport
    citations: list[Citation] = []


class IngestResult(BaseModel):
    """`synth ingest --json`: what the ingest did."""

    report: IngestReport
    citations: list[Citation] = []


class FlagResult(BaseModel):
    """The flag whose status changed, with both sides cited."""

    flag: Flag
    citations: list[Citation]


# --- citations ----------------------------------------------------------------------------------


def _unique(citations: Iterable[Citation]) -> list[Citation]:
    seen: set[tuple[str, int, int]] = set()
    out = []
    for c in citations:
        key = (c.source, c.start_line, c.end_line)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def hit_citations(hits: list[SearchHit]) -> list[Citation]:
    return _unique(
        Citation(
            source=h.source,
            start_line=h.start_line,
            end_line=h.end_line,
            quote=h.text,
            meeting_id=h.meeting_id,
            title=h.title,
            date=h.date,
        )
        for h in hits
    )


def answer_citations(answer: Answer) -> list[Citation]:
    return _unique(
        Citation(
            source=s.source,
            start_line=s.start_line,
            end_line=s.end_line,
            quote=s.text,
            meeting_id=s.meeting_id or None,
            title=s.title,
            date=s.date or None,
        )
        for s in answer.sources
    )


def insight_citations(insights: list[Insight]) -> list[Citation]:
    return _unique(
        Citation(
            source=i.source,
            start_line=i.start_line,
            end_line=i.end_line,
            quote=i.quote,
            meeting_id=i.meeting_id,
            title=i.title,
            date=i.date,
        )
        for i in insights
    )


def flag_citations(flags: list[Flag]) -> list[Citation]:
    return _unique(
        Citation(
            source=side.source,
            start_line=side.start_line,
            end_line=side.end_line,
            quote=side.quote,
            meeting_id=side.meeting_id,
            title=side.title,
            date=side.date,
        )
        for flag in flags
        for side in flag.sides
    )


def brief_citations(brief: Brief) -> list[Citation]:
    return _unique(
        Citation(
            source=c.source,
            start_line=c.start_line,
            end_line=c.end_line,
            meeting_id=c.meeting_id,
            title=c.title,
            date=c.date,
        )
        for fact in brief.all_facts()
        for c in fact.cites
    )


def vision_citations(vision: Vision) -> list[Citation]:
    return _unique(
        Citation(source=s.source, start_line=s.start_line, end_line=s.end_line, quote=s.text) for s in vision.statements
    )


def meeting_citations(records: list[MeetingRecord]) -> list[Citation]:
    return [
        Citation(source=r.source, start_line=1, end_line=1, meeting_id=r.meeting_id, title=r.title, date=r.date)
        for r in records
    ]


# --- the tools, as functions of a Synth (testable without the SDK) ---------------------------------


TeamName = Literal["sales", "marketing", "customer_success", "engineering", "design", "product", "leadership"]
TEAM_HELP = "only what this function said, or its meetings"
PERIOD_HELP = "YYYY-MM-DD"


class SynthTools:
    """What each MCP tool does, on one `Synth` made when a tool first needs it. Calls are taken one
    at a time (the SDK runs each in a worker thread; `Synth` keeps one store open)."""

    def __init__(self, settings: Settings, app: Synth | None = None, allow_writes: bool = False):
        self.settings = settings
        self.allow_writes = allow_writes
        self._app: Synth | None = app
        self._lock = threading.Lock()

    @property
    def app(self) -> Synth:
        if self._app is None:
            from .app import Synth

            self._app = Synth(self.settings, on_wait=lambda message: log.warning("%s", message))
        return self._app

    def _filters(self, team: str | None, since: dt.date | None, until: dt.date | None, meeting: str | None) -> Filters:
        from .retriever import Filters

        return Filters(team=team, since=since, until=until, meeting=meeting)

    def search(
        self,
        query: str,
        k: int = 10,
        team: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        meeting: str | None = None,
    ) -> SearchResult:
        hits, searched = self.app.search_with_count(query, k, self._filters(team, since, until, meeting))
        return SearchResult(query=query, meetings_searched=searched, hits=hits, citations=hit_citations(hits))

    def ask(
        self,
        question: str,
        k: int = 6,
        team: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        meeting: str | None = None,
    ) -> AskResult:
        answer = self.app.ask(question, self._filters(team, since, until, meeting), k)
        return AskResult(answer=answer, citations=answer_citations(answer))

    def insights(
        self,
        kind: Kind | None = None,
        team: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        meeting: str | None = None,
        status: AssumptionStatus | None = None,
    ) -> InsightsResult:
        found = self.app.insights(
            kind=kind, team=team, filters=self._filters(team, since, until, meeting), status=status
        )
        return InsightsResult(count=len(found), insights=found, citations=insight_citations(found))

    def flags(self, status: FlagStatus | Literal["all"] = "open", type: FlagType | None = None) -> FlagsResult:
        found = self.app.flags(status=status, kind=type)
        return FlagsResult(count=len(found), flags=found, citations=flag_citations(found))

    def brief(
        self,
        audience: str | None = None,
        since: dt.date | Literal["last"] | None = None,
        as_of: dt.date | None = None,
        series: str | None = None,
    ) -> BriefResult:
        from .brief.render import to_markdown

        brief = self.app.brief(audience=audience, since=since, series=series, as_of=as_of)
        return BriefResult(
            markdown=to_markdown(brief),
            brief=json.loads(brief.model_dump_json()),
            citations=brief_citations(brief),
        )

    def meetings(self) -> MeetingsResult:
        records = self.app.meetings()
        return MeetingsResult(count=len(records), meetings=records, citations=meeting_citations(records))

    def vision(self) -> VisionResult:
        current = self.app.vision()
        if current is None:
            return VisionResult(vision=None, citations=[])
        return VisionResult(vision=current.model_dump(mode="json"), citations=vision_citations(current))

    def status(self) -> StatusResult:
        return StatusResult(status=self.app.status())

    def _writing(self, what: str) -> None:
        if not self.allow_writes:
            raise ConfigError(
                f"{what} changes the store, and this server is read-only: start it with `synth mcp --allow-writes`"
            )

    def ingest(self, paths: list[str]) -> IngestResult:
        self._writing("ingest")
        if not paths:
            raise ConfigError("give at least one file or folder to ingest")
        return IngestResult(report=self.app.ingest(paths))

    def set_flag_status(self, flag_id: str, status: FlagStatus, note: str) -> FlagResult:
        self._writing(f"flags {'resolve' if status == 'resolved' else 'dismiss'}")
        flag = self.app.set_flag_status(flag_id, status, note)
        return FlagResult(flag=flag, citations=flag_citations([flag]))

    def vision_markdown(self) -> str:
        from .errors import NotFoundError
        from .render import vision_text

        current = self.app.vision()
        if current is None:
            raise NotFoundError("no vision set; store one with: synth vision set FILE")
        return vision_text(current)

    def brief_markdown(self, audience: str | None) -> str:
        from .brief.render import to_markdown

        return to_markdown(self.app.brief(audience=audience))

    def call(self, method: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """One tool call: one at a time; synth's errors (and any other) become one clean message."""
        with self._lock:
            try:
                return method(*args, **kwargs)
            except SynthError:
                raise
            except Exception as exc:  # a bug: said plainly, never with a traceback to the client
                if os.environ.get("SYNTH_DEBUG") == "1":
                    log.exception("tool failed")
                raise SynthError(
                    f"unexpected {type(exc).__name__}: {without_secrets(str(exc))} (set SYNTH_DEBUG=1 to see where)"
                ) from None


def masked_json(model: BaseModel) -> tuple[str, dict[str, Any]]:
    """The model as JSON text and data, with any secret the process knows masked."""
    text = without_secrets(model.model_dump_json(indent=2))
    return text, json.loads(text)


def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of what a tool returns (the serialized form: what the client receives)."""
    return TypeAdapter(model).json_schema(mode="serialization")
