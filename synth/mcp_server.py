"""`synth mcp`: the library as a Model Context Protocol server, for Claude, ChatGPT, Cursor or any
MCP client.

Each tool calls one `Synth` method (through `mcp_tools.SynthTools`) and returns the models `--json`
prints, inside a small result object that also lists the result's citations (source, lines,
quote), so that a client can show where every answer comes from. The server talks only to
`Synth`: reads take the store's read lock per call as the CLI does, and a long-running server sees
what other processes wrote (the session reopens a stale store).

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
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from .config import Settings
from .errors import ConfigError, SynthError
from .kinds import AssumptionStatus, FlagStatus, FlagType, Kind
from .mcp_tools import (
    PERIOD_HELP,
    TEAM_HELP,
    AskResult,
    BriefResult,
    FlagResult,
    FlagsResult,
    IngestResult,
    InsightsResult,
    MeetingsResult,
    SearchResult,
    StatusResult,
    SynthTools,
    TeamName,
    VisionResult,
    masked_json,
    output_schema,
)
from .redact import without_secrets

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from .app import Synth

TOKEN_VARIABLE = "SYNTH_MCP_TOKEN"  # the bearer token `synth mcp --http` requires off loopback
LOOPBACK = ("127.0.0.1", "localhost", "::1")
AUDIENCES = ("engineering", "sales", "leadership")  # briefs listed as resources (any function or person works)

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
