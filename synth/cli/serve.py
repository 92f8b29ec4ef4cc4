"""Serving synth where the team works: `synth mcp` (a Model Context Protocol server)."""

from __future__ import annotations

import click

from .adapter import AppContext


@click.command()
@click.option(
    "--http",
    "http",
    metavar="HOST:PORT",
    help="Serve the streamable HTTP transport at http://HOST:PORT/mcp instead of stdio (PORT alone: "
    "127.0.0.1). Off loopback, SYNTH_MCP_TOKEN must be set and clients send it as a bearer token.",
)
@click.option(
    "--allow-writes",
    is_flag=True,
    help="Turn on the tools that change the store (ingest, flag_resolve, flag_dismiss); off by default.",
)
@click.pass_obj
def mcp(state: AppContext, http: str | None, allow_writes: bool) -> None:
    """Serve the store to Claude, ChatGPT, Cursor or any MCP client (Model Context Protocol).

    Tools: search, ask, insights, flags, brief, meetings, vision, status (each result carries its
    citations: file, lines, quote); ingest, flag_resolve and flag_dismiss only with
    --allow-writes. Resources: synth://vision, synth://brief/AUDIENCE. Prompt: prepare_for_sync.
    Standard output is the protocol's (stdio); messages go to standard error.

    \b
    Example:
      synth --store ~/team-store mcp
      SYNTH_MCP_TOKEN=... synth mcp --http 0.0.0.0:8765
    """
    from ..mcp_server import build_server, http_token, parse_http_address, run_http

    address = parse_http_address(http) if http else None
    token = http_token(address[0]) if address else None  # checked before anything starts
    server = build_server(state.settings, allow_writes=allow_writes)
    if address is None:
        server.run("stdio")
    else:
        click.echo(f"synth mcp: serving http://{address[0]}:{address[1]}/mcp", err=True)
        run_http(server, address[0], address[1], token)
