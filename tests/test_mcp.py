"""`synth mcp`: the MCP server driven by the SDK's own client.

Fast tier: the server in-process (the SDK's in-memory transport) over the fake store and the hash
embedder, and the HTTP address and token rules. Slow tier: `synth mcp` as a real subprocess over
stdio on the examples store, each read tool compared with the CLI's `--json`; and the streamable
HTTP transport with its bearer token."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from fakes import HashEmbedder, MemoryStore
from testkit import ROOT, free_port, run, run_on

from synth.app import Synth
from synth.config import Settings
from synth.errors import ConfigError
from synth.mcp_server import build_server, http_token, parse_http_address

READ_TOOLS = {"search", "ask", "insights", "flags", "brief", "meetings", "vision", "status"}
WRITE_TOOLS = {"ingest", "flag_resolve", "flag_dismiss"}
SECRET = "sk-test-never-shown-0123456789abcdef"

NOTES = """---
title: Product sync
date: 2026-09-08
team: product
---

**Sam Ortiz:** We decided to build an enterprise tier with single sign-on for fleets of 500 technicians.

**Dana Whitfield:** Keller Mechanical is blocked because the Google Calendar sync fails on their account.
"""


# --- fast: in-process, on the fakes ------------------------------------------------------------


def fake_app(tmp_path: Path) -> Synth:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "sync.md").write_text(NOTES)
    app = Synth(Settings(store=tmp_path / "unused", offline=True), embedder=HashEmbedder(), store=MemoryStore())
    assert app.ingest([str(notes)]).meetings == 1
    return app


def in_process(server: Any, scenario: Callable[[Any], Awaitable[None]]) -> None:
    from mcp import Client

    async def main() -> None:
        async with Client(server) as client:
            await scenario(client)

    anyio.run(main)


def test_tools_are_listed_with_schemas_and_read_only_hints(tmp_path):
    server = build_server(Settings(store=tmp_path / "s", offline=True), app=fake_app(tmp_path))

    async def scenario(client: Any) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == READ_TOOLS | WRITE_TOOLS
        for name, tool in tools.items():
            assert tool.description and len(tool.description) > 40, name
            assert tool.output_schema["type"] == "object" and "citations" in tool.output_schema["properties"], name
            assert tool.annotations.read_only_hint is (name in READ_TOOLS), name
            if name in WRITE_TOOLS:
                assert "--allow-writes" in tool.description  # the client is told why a call will be refused
        assert tools["insights"].input_schema["properties"]["kind"]["anyOf"][0]["enum"][0] == "finding"
        assert "engineering" in json.dumps(tools["search"].input_schema["properties"]["team"])
        assert set(tools["flags"].input_schema["properties"]) == {"status", "type"}

    in_process(server, scenario)


def test_insights_carry_citations_that_match_their_quotes(tmp_path):
    app = fake_app(tmp_path)
    server = build_server(Settings(store=tmp_path / "s", offline=True), app=app)

    async def scenario(client: Any) -> None:
        result = await client.call_tool("insights", {})
        assert not result.is_error, result.content
        data = result.structured_content
        assert data["count"] == len(data["insights"]) > 0
        lines = (tmp_path / "notes" / "sync.md").read_text().splitlines()
        for citation in data["citations"]:
            cited = " ".join(lines[citation["start_line"] - 1 : citation["end_line"]])
            assert citation["quote"] in cited  # the quote is the file's words at the cited lines
        assert json.loads(result.content[0].text) == data  # the text a client shows is the same result

    in_process(server, scenario)


def test_writes_are_refused_without_allow_writes_and_done_with_it(tmp_path):
    app = fake_app(tmp_path)
    more = tmp_path / "more"
    more.mkdir()
    (more / "standup.md").write_text(NOTES.replace("Product sync", "Standup").replace("2026-09-08", "2026-09-10"))

    async def refused(client: Any) -> None:
        result = await client.call_tool("ingest", {"paths": [str(more)]})
        assert result.is_error and "--allow-writes" in result.content[0].text

    in_process(build_server(Settings(store=tmp_path / "s", offline=True), app=app), refused)
    assert len(app.meetings()) == 1

    async def allowed(client: Any) -> None:
        result = await client.call_tool("ingest", {"paths": [str(more)]})
        assert not result.is_error, result.content
        assert result.structured_content["report"]["meetings"] == 1

    in_process(build_server(Settings(store=tmp_path / "s", offline=True), allow_writes=True, app=app), allowed)
    assert len(app.meetings()) == 2


def test_errors_are_synth_messages_without_traceback(tmp_path):
    server = build_server(Settings(store=tmp_path / "s", offline=True), app=fake_app(tmp_path))

    async def scenario(client: Any) -> None:
        result = await client.call_tool("insights", {"meeting": "no such meeting"})
        assert result.is_error
        text = result.content[0].text
        assert "no meeting matches 'no such meeting'; `synth meetings` lists them" in text
        assert "Traceback" not in text
        bad = await client.call_tool("flags", {"type": "not_a_type"})
        assert bad.is_error and "type" in bad.content[0].text
        from mcp import MCPError

        with pytest.raises(MCPError, match="no vision set; store one with: synth vision set FILE"):
            await client.read_resource("synth://vision")

    in_process(server, scenario)


def test_http_address_and_token_rules(monkeypatch):
    assert parse_http_address("8765") == ("127.0.0.1", 8765)
    assert parse_http_address(":8765") == ("127.0.0.1", 8765)
    assert parse_http_address("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_http_address("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ConfigError, match="HOST:PORT"):
        parse_http_address("localhost:http")
    monkeypatch.delenv("SYNTH_MCP_TOKEN", raising=False)
    assert http_token("127.0.0.1") is None
    with pytest.raises(ConfigError, match="needs a token; set SYNTH_MCP_TOKEN"):
        http_token("0.0.0.0")
    monkeypatch.setenv("SYNTH_MCP_TOKEN", "short")
    with pytest.raises(ConfigError, match="too short"):
        http_token("0.0.0.0")
    monkeypatch.setenv("SYNTH_MCP_TOKEN", SECRET)
    assert http_token("0.0.0.0") == SECRET


def test_mcp_off_loopback_without_token_is_refused_before_serving(monkeypatch, tmp_path):
    monkeypatch.delenv("SYNTH_MCP_TOKEN", raising=False)
    result = run("--store", str(tmp_path / "s"), "mcp", "--http", "0.0.0.0:8765")
    assert result.exit_code == 1
    assert "needs a token; set SYNTH_MCP_TOKEN" in result.output


# --- slow: `synth mcp` as a real subprocess on the examples store ----------------------------------


def server_env(**extra: str) -> dict[str, str]:
    env = {"PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT)), "SYNTH_OFFLINE": "1", "OPENAI_API_KEY": SECRET}
    return {**env, **extra}


def over_stdio(store: Path, args: list[str], scenario: Callable[[Any], Awaitable[None]], errlog: Path) -> None:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "synth", "--store", str(store), "mcp", *args], env=server_env()
    )

    async def main() -> None:
        with errlog.open("w") as err:
            async with stdio_client(params, errlog=err) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                await scenario(session)

    anyio.run(main)


def cli_json(store: Path, *args: str) -> Any:
    result = run_on(store, *args, offline=True, env={"OPENAI_API_KEY": SECRET})
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.slow
def test_stdio_server_answers_each_read_tool_as_the_cli_does(brief_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(brief_store, store)
    seen: dict[str, Any] = {}

    async def scenario(session: Any) -> None:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert set(tools) == READ_TOOLS | WRITE_TOOLS
        calls = {
            "search": {"query": "technicians losing signal offline", "k": 3},
            "ask": {"question": "what did sales hear about QuickBooks?"},
            "insights": {"kind": "roadblock"},
            "flags": {"status": "all"},
            "brief": {"audience": "engineering", "as_of": "2026-10-20"},
            "meetings": {},
            "vision": {},
            "status": {},
        }
        for name, arguments in calls.items():
            result = await session.call_tool(name, arguments)
            assert not result.is_error, (name, result.content)
            jsonschema.validate(result.structured_content, tools[name].output_schema)
            seen[name] = result.structured_content
            seen[f"{name}:text"] = result.content[0].text
        seen["vision:resource"] = (await session.read_resource("synth://vision")).contents[0].text
        seen["brief:resource"] = (await session.read_resource("synth://brief/sales")).contents[0].text
        prompt = await session.get_prompt("prepare_for_sync", {"audience": "engineering"})
        seen["prompt"] = prompt.messages[0].content.text
        # another process stores a meeting: the running server sees it on its next call
        extra = tmp_path / "2026-10-20-late-sync.md"
        extra.write_text("---\ntitle: Late sync\ndate: 2026-10-20\n---\n\n**Sam Ortiz:** We decided to ship SSO.\n")
        assert run_on(store, "ingest", str(extra), offline=True).exit_code == 0
        after = (await session.call_tool("meetings", {})).structured_content
        seen["meetings after"] = [m["title"] for m in after["meetings"]]

    # what the CLI prints, before the server starts (a meeting is added while it runs)
    query = "technicians losing signal offline"
    brief_args = ("brief", "--for", "engineering", "--as-of", "2026-10-20")
    expected = {
        "search": cli_json(store, "search", query, "--k", "3", "--json"),
        "ask": cli_json(store, "ask", "what did sales hear about QuickBooks?", "--json"),
        "insights": cli_json(store, "insights", "--kind", "roadblock", "--json"),
        "flags": cli_json(store, "flags", "--status", "all", "--json"),
        "meetings": cli_json(store, "meetings", "--json"),
        "vision": cli_json(store, "vision", "show", "--json"),
        "status": cli_json(store, "status", "--json"),
        "brief": cli_json(store, *brief_args, "--format", "json"),
    }
    markdown = run_on(store, *brief_args, offline=True).output

    over_stdio(store, [], scenario, tmp_path / "server.log")

    assert seen["search"]["hits"] == expected["search"]
    assert seen["ask"]["answer"] == expected["ask"]
    assert seen["ask"]["answer"]["mode"] == "extractive" and seen["ask"]["citations"]
    assert seen["ask"]["answer"]["note"]  # offline, it says the answer is extractive and how to get a model
    assert seen["insights"]["insights"] == expected["insights"]
    assert seen["flags"]["flags"] == expected["flags"]
    assert seen["meetings"]["meetings"] == expected["meetings"]
    assert seen["meetings after"] == [m["title"] for m in expected["meetings"]] + ["Late sync"]
    assert seen["vision"]["vision"] == expected["vision"]
    assert seen["status"]["status"] == expected["status"]
    assert seen["brief"]["brief"] == expected["brief"]
    assert seen["brief"]["markdown"] == markdown
    assert markdown.split("\n")[0] in seen["prompt"]

    # every result that states something cites it: flags cite both sides, with their quotes
    cited = {(c["source"], c["start_line"], c["end_line"]) for c in seen["flags"]["citations"]}
    for flag in seen["flags"]["flags"]:
        for side in flag["sides"]:
            assert (side["source"], side["start_line"], side["end_line"]) in cited
    assert seen["insights"]["citations"]
    for citation in seen["insights"]["citations"]:
        lines = (ROOT / citation["source"]).read_text().splitlines()  # ROOT / an absolute path is that path
        cited = " ".join(lines[citation["start_line"] - 1 : citation["end_line"]])
        assert all(word in cited for word in citation["quote"].split()), citation  # the quote's words are there
    assert seen["brief"]["citations"] and all(c["start_line"] >= 1 for c in seen["brief"]["citations"])
    assert "Vision" in seen["vision:resource"] and "Brief for sales" in seen["brief:resource"]
    # the API key of the environment is never in a result, only whether it is set
    assert seen["status"]["status"]["settings"]["api_key"] == "set"
    assert all(SECRET not in json.dumps(value) for value in seen.values())
    assert "Traceback" not in (tmp_path / "server.log").read_text()


@pytest.mark.slow
def test_stdio_writes_refused_without_allow_writes(brief_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(brief_store, store)
    flag = cli_json(store, "flags", "--json")[0]["id"]
    outcomes: dict[str, Any] = {}

    async def attempt(session: Any) -> None:
        outcomes["resolve"] = await session.call_tool("flag_resolve", {"flag_id": flag, "note": "decided"})
        outcomes["ingest"] = await session.call_tool("ingest", {"paths": [str(ROOT / "examples" / "meetings")]})
        outcomes["bad id"] = await session.call_tool("flags", {"status": "nope"})

    over_stdio(store, [], attempt, tmp_path / "read-only.log")
    for name in ("resolve", "ingest"):
        assert outcomes[name].is_error and "start it with `synth mcp --allow-writes`" in outcomes[name].content[0].text
    assert outcomes["bad id"].is_error
    assert flag in {f["id"] for f in cli_json(store, "flags", "--json")}  # still open

    async def resolve(session: Any) -> None:
        outcomes["allowed"] = await session.call_tool("flag_resolve", {"flag_id": flag, "note": "decided"})

    over_stdio(store, ["--allow-writes"], resolve, tmp_path / "writes.log")
    assert not outcomes["allowed"].is_error, outcomes["allowed"].content
    assert outcomes["allowed"].structured_content["flag"]["status"] == "resolved"
    assert flag in {f["id"] for f in cli_json(store, "flags", "--status", "resolved", "--json")}


@pytest.mark.slow
def test_http_transport_requires_its_token(brief_store, tmp_path):
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    token = "a-long-random-token-0123456789"
    process = subprocess.Popen(
        [sys.executable, "-m", "synth", "--store", str(brief_store), "mcp", "--http", f"127.0.0.1:{port}"],
        env={**os.environ, **server_env(SYNTH_MCP_TOKEN=token)},
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while True:  # wait until it listens: a refused connection, then a 401 once it is up
            try:
                urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=2)
            except urllib.error.HTTPError as exc:
                assert exc.code == 401
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        found: list[str] = []

        async def main() -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with (
                httpx2.AsyncClient(headers=headers) as http,
                streamable_http_client(url, http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                result = await session.call_tool("meetings", {})
                found.extend(m["meeting_id"] for m in result.structured_content["meetings"])

        anyio.run(main)
        assert len(found) == 10
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert token not in err and "Traceback" not in err
