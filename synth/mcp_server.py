"""`synth mcp`: the library as a Model Context Protocol server, for Claude, ChatGPT, Cursor or any
MCP client.

Each tool calls one `Synth` method and returns the models `--json` prints, inside a small result
object that also lists the result's citations (source, lines, quote), so that a client can show
where every answer comes from. The server talks only to `Synth`: reads take the store's read lock
per call as the CLI does, and a long-running server sees what other processes wrote (the session
reopens a stale store).

Start-up stays fast: nothing heavier than the `mcp` SDK is imported before `initialize` is
answered; the app (numpy), the store (chromadb) and the embedding model load on the first tool
call that needs them.

    from synth.config import Settings
    from synth.mcp_server import build_server
    build_server(Settings.from_env(store="store")).run("stdio")
"""

# no `from __future__ import annotations`: the SDK reads the tools' annotations at run time, and
# those of build_server's tools name its local types
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
    from mcp.server import MCPServer

    from .app import Synth
    from .brief.model import Brief
    from .retriever import Filters
    from .vision import Vision

log = logging.getLogger("synth.mcp")

TOKEN_VARIABLE = "SYNTH_MCP_TOKEN"  # the bearer token `synth mcp --http` requires off loopback
LOOPBACK = ("127.0.0.1", "localhost", "::1")
AUDIENCES = ("engineering", "sales", "leadership")  # briefs listed as resources (any function or person works)

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


def brief_citations(brief: "Brief") -> list[Citation]:
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


def vision_citations(vision: "Vision") -> list[Citation]:
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

    def __init__(self, settings: Settings, app: "Synth | None" = None, allow_writes: bool = False):
        self.settings = settings
        self.allow_writes = allow_writes
        self._app: Synth | None = app
        self._lock = threading.Lock()

    @property
    def app(self) -> "Synth":
        if self._app is None:
            from .app import Synth

            self._app = Synth(self.settings, on_wait=lambda message: log.warning("%s", message))
        return self._app

    def _filters(
        self, team: str | None, since: dt.date | None, until: dt.date | None, meeting: str | None
    ) -> "Filters":
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


# --- the server ---------------------------------------------------------------------------------

DESCRIPTIONS = {
    "search": (
        "Find passages of the team's meeting notes and transcripts (retrieval only, no model). Use it to "
        "look up what was said about a topic; each hit has its meeting, file and line range. "
        "Filter by the function speaking (team), a period (since/until, YYYY-MM-DD) or one meeting."
    ),
    "ask": (
        "Answer a question from the meetings, citing numbered sources [1], [2] with file and lines. "
        "A question that names a function ('what did sales hear about X?') is scoped to it. Without a "
        "language model configured, the answer is extractive (the best sentences, mode=extractive) and "
        "its note says so."
    ),
    "insights": (
        "List what the meetings found, each with its verbatim quote and file:line: findings, roadblocks, "
        "assumptions (with their status: untested, validated, invalidated), decisions, actions (owner, "
        "due), requests and promises to customers. Filter by kind, function, period, meeting or status."
    ),
    "flags": (
        "List the flags synth raised by holding the insights against the product vision and each other: "
        "vision_conflict, team_conflict, promise_gap (a promise the roadmap does not back), "
        "assumption_refuted/supported, unheard. Each flag has both sides with quotes and file:line."
    ),
    "brief": (
        "The brief to read before the next sync, for a function (engineering, sales, leadership, ...) or "
        "a person in the roster: what each function learned, open roadblocks, assumptions, open flags, "
        "decisions, actions, requests, who was not heard, and a suggested agenda. Returns Markdown and the "
        "JSON facts; every fact cites meeting and file:line."
    ),
    "meetings": "List the stored meetings (id, title, date, functions, file), oldest first.",
    "vision": (
        "The current product vision: its statements by section (vision, customers, market, principles, "
        "non_goals, metrics, roadmap committed/exploring), each with its line in the vision document."
    ),
    "status": "The store's counts (meetings, passages, insights, extraction states) and the model settings.",
    "ingest": (
        "Read meeting files or folders (paths on the server's machine) into the store, extract their "
        "insights and check them. Changes the store."
    ),
    "flag_resolve": "Mark a flag resolved, with a note on what was decided. Changes the store.",
    "flag_dismiss": "Dismiss a flag (the pair is never flagged again), with a note on why. Changes the store.",
}

READ_ONLY_NOTE = " Off on this server: it was started without --allow-writes, so a call is refused."


def build_server(settings: Settings, allow_writes: bool = False, app: "Synth | None" = None) -> "MCPServer":
    """The MCP server: its tools, resources and prompt over one `Synth`."""
    from typing import Annotated

    from mcp.server import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError, ToolError
    from mcp.server.mcpserver.prompts.base import UserMessage
    from mcp.server.mcpserver.tools import Tool
    from mcp.types import CallToolResult, TextContent, ToolAnnotations

    from . import __version__

    tools = SynthTools(settings, app=app, allow_writes=allow_writes)

    def run(method: Callable[..., BaseModel], *args: Any, **kwargs: Any) -> CallToolResult:
        try:
            result = tools.call(method, *args, **kwargs)
        except SynthError as exc:
            raise ToolError(str(exc)) from None
        text, data = masked_json(result)
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)

    Team = Annotated[TeamName | None, Field(description=TEAM_HELP)]
    Since = Annotated[dt.date | None, Field(description=f"only meetings on or after this day ({PERIOD_HELP})")]
    Until = Annotated[dt.date | None, Field(description=f"only meetings on or before this day ({PERIOD_HELP})")]
    Meeting = Annotated[str | None, Field(description="only this meeting: its id, or a part of its title")]

    def search(
        query: Annotated[str, Field(description="words to look for")],
        k: Annotated[int, Field(ge=1, le=100, description="how many passages")] = 10,
        team: Team = None,
        since: Since = None,
        until: Until = None,
        meeting: Meeting = None,
    ) -> CallToolResult:
        return run(tools.search, query, k, team, since, until, meeting)

    def ask(
        question: Annotated[str, Field(description="the question, in plain words")],
        k: Annotated[int, Field(ge=1, le=100, description="how many passages to answer from")] = 6,
        team: Team = None,
        since: Since = None,
        until: Until = None,
        meeting: Meeting = None,
    ) -> CallToolResult:
        return run(tools.ask, question, k, team, since, until, meeting)

    def insights(
        kind: Annotated[Kind | None, Field(description="only this kind")] = None,
        team: Annotated[TeamName | None, Field(description="only what this function's people said")] = None,
        since: Since = None,
        until: Until = None,
        meeting: Meeting = None,
        status: Annotated[AssumptionStatus | None, Field(description="only assumptions with this status")] = None,
    ) -> CallToolResult:
        return run(tools.insights, kind, team, since, until, meeting, status)

    def flags(
        status: Annotated[FlagStatus | Literal["all"], Field(description="which flags")] = "open",
        type: Annotated[FlagType | None, Field(description="only flags of this type")] = None,
    ) -> CallToolResult:
        return run(tools.flags, status, type)

    def brief(
        audience: Annotated[
            str | None,
            Field(description="who it is for: a function (engineering, sales, leadership, ...) or a roster person"),
        ] = None,
        since: Annotated[
            dt.date | Literal["last"] | None,
            Field(description="from this day (YYYY-MM-DD), or 'last': since the previous meeting of the series"),
        ] = None,
        as_of: Annotated[dt.date | None, Field(description="write it as of this day instead of today")] = None,
        series: Annotated[str | None, Field(description="the recurring meeting it is for (its title)")] = None,
    ) -> CallToolResult:
        return run(tools.brief, audience, since, as_of, series)

    def meetings() -> CallToolResult:
        return run(tools.meetings)

    def vision() -> CallToolResult:
        return run(tools.vision)

    def status() -> CallToolResult:
        return run(tools.status)

    def ingest(
        paths: Annotated[list[str], Field(description="files, folders or globs on the server's machine")],
    ) -> CallToolResult:
        return run(tools.ingest, paths)

    def flag_resolve(
        flag_id: Annotated[str, Field(description="the flag's id, or a unique prefix of it")],
        note: Annotated[str, Field(description="what was decided")],
    ) -> CallToolResult:
        return run(tools.set_flag_status, flag_id, "resolved", note)

    def flag_dismiss(
        flag_id: Annotated[str, Field(description="the flag's id, or a unique prefix of it")],
        note: Annotated[str, Field(description="why it is not a real conflict")],
    ) -> CallToolResult:
        return run(tools.set_flag_status, flag_id, "dismissed", note)

    reading: list[tuple[Callable[..., CallToolResult], type[BaseModel]]] = [
        (search, SearchResult),
        (ask, AskResult),
        (insights, InsightsResult),
        (flags, FlagsResult),
        (brief, BriefResult),
        (meetings, MeetingsResult),
        (vision, VisionResult),
        (status, StatusResult),
    ]
    writing: list[tuple[Callable[..., CallToolResult], type[BaseModel]]] = [
        (ingest, IngestResult),
        (flag_resolve, FlagResult),
        (flag_dismiss, FlagResult),
    ]
    registered = []
    for function, result_type in reading + writing:
        name = function.__name__
        read_only = (function, result_type) in reading
        description = DESCRIPTIONS[name] + ("" if read_only or allow_writes else READ_ONLY_NOTE)
        tool = Tool.from_function(
            function,
            name=name,
            description=description,
            annotations=ToolAnnotations(read_only_hint=read_only, open_world_hint=False, destructive_hint=False),
            structured_output=False,  # the schema is set below, from the model: the result is built (and masked) here
        )
        tool.fn_metadata.output_schema = output_schema(result_type)
        registered.append(tool)

    server = MCPServer(
        "synth",
        version=__version__,
        instructions=(
            "synth holds a product team's meeting notes and transcripts, the insights found in them, and "
            "the flags raised against the product vision. Cite file:line from each result's citations."
        ),
        tools=registered,
        log_level="WARNING",
    )

    def read(method: Callable[..., str], *args: Any) -> str:
        try:
            return without_secrets(tools.call(method, *args))
        except SynthError as exc:
            raise ResourceError(str(exc)) from None

    @server.resource("synth://vision", name="vision", mime_type="text/markdown")
    def vision_resource() -> str:
        """The current product vision, by section, each statement with its line."""
        return read(tools.vision_markdown)

    def brief_for(audience: str) -> Callable[[], str]:
        def brief_resource() -> str:
            return read(tools.brief_markdown, audience)

        return brief_resource

    for audience in AUDIENCES:
        server.resource(
            f"synth://brief/{audience}",
            name=f"brief-{audience}",
            description=f"The latest brief for {audience}, as Markdown with file:line sources.",
            mime_type="text/markdown",
        )(brief_for(audience))

    @server.resource("synth://brief/{audience}", name="brief", mime_type="text/markdown")
    def brief_template(audience: str) -> str:
        """The latest brief for a function or a person in the roster, as Markdown with file:line sources."""
        return read(tools.brief_markdown, audience)

    @server.prompt(name="prepare_for_sync", title="Prepare me for the next sync")
    def prepare_for_sync(audience: str | None = None) -> list[UserMessage]:
        """Prepare me for the next sync: the brief for my function (or me), and what to raise."""
        try:
            markdown = read(tools.brief_markdown, audience)
        except ResourceError as exc:
            raise ValueError(str(exc)) from None
        who = f"for {audience}" if audience else "for the whole team"
        return [
            UserMessage(
                "Prepare me for the next sync. Below is synth's brief "
                f"{who}. Summarise it in a few bullets: what changed since the last sync, the open "
                "roadblocks and flags that need a decision, the actions that are overdue, and the three "
                "agenda items I should raise, each with its file:line source as the brief gives it. Use the "
                "synth tools (ask, search, insights, flags) to check anything that is unclear.\n\n" + markdown
            )
        ]

    return server


def parse_http_address(value: str) -> tuple[str, int]:
    """HOST:PORT, :PORT or PORT (loopback when no host) for `--http`."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise ConfigError(f"--http {value!r}: write HOST:PORT, e.g. 127.0.0.1:8765") from None
    if not 0 < number < 65536:
        raise ConfigError(f"--http {value!r}: the port must be between 1 and 65535")
    return host, number


def http_token(host: str) -> str | None:
    """The bearer token the HTTP transport requires: SYNTH_MCP_TOKEN; required off loopback."""
    from .redact import register_secrets

    token = os.environ.get(TOKEN_VARIABLE) or None
    if token is None and host not in LOOPBACK:
        raise ConfigError(
            f"synth mcp --http {host}: a server reachable from other machines needs a token; set {TOKEN_VARIABLE} "
            "(clients send it as `Authorization: Bearer TOKEN`), or serve on 127.0.0.1"
        )
    if token is not None and len(token) < 16:
        raise ConfigError(f"{TOKEN_VARIABLE} is too short: use at least 16 random characters")
    register_secrets(token)
    return token


def run_http(server: "MCPServer", host: str, port: int, token: str | None) -> None:
    """Serve the streamable HTTP transport at http://HOST:PORT/mcp; with a token, every request must
    carry it as a bearer token."""
    import hmac

    import anyio
    import uvicorn

    app = server.streamable_http_app(host=host)
    expected = f"Bearer {token}".encode() if token else None

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and expected is not None:
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, expected):
                body = b'{"error": "unauthorized: send Authorization: Bearer TOKEN"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    config = uvicorn.Config(guarded, host=host, port=port, log_level="warning", lifespan="on")
    # uvicorn runs the Starlette app's lifespan (the session manager) through the wrapper
    anyio.run(uvicorn.Server(config).serve)
