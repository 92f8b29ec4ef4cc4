"""Serving synth where the team works: `synth mcp` (a Model Context Protocol server) and `synth watch`
(folders kept ingested)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .adapter import AppContext, pass_app

if TYPE_CHECKING:
    from ..app import Synth


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


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--settle",
    type=click.FloatRange(0, 3600),
    default=2.0,
    show_default=True,
    help="Seconds a file must stay unchanged before it is read (a file being written is not read half-way).",
)
@click.option("--forget-deleted", is_flag=True, help="Forget the meeting of a file that is deleted.")
@click.option("--poll", is_flag=True, help="Poll for changes instead of file-system events (network drives).")
@click.option("--once", is_flag=True, help="Catch up (ingest what is new or changed, report what is gone) and exit.")
@pass_app
def watch(app: Synth, paths: tuple[str, ...], settle: float, forget_deleted: bool, poll: bool, once: bool) -> None:
    """Keep the store current: ingest new and changed meeting files in PATHS once they settle.

    First catches up with what changed while nobody watched, then waits for changes. Each batch is
    extracted and checked like `synth ingest`, and told in one line; a bad file gets its own line
    and never stops the watcher. Deleted files are reported (forgotten with --forget-deleted).
    Ctrl-C or SIGTERM stops it after the current file. One watcher per store.

    \b
    Example:
      synth watch ~/Meetings/notes ~/Meetings/transcripts
      synth watch /mnt/shared/notes --poll --forget-deleted
    """
    import signal

    from ..watch import Batch, FolderWatcher, WatchLock

    def tell(batch: Batch) -> None:
        click.echo(batch.line())
        for line in batch.error_lines():
            click.echo(line, err=True)

    watcher = FolderWatcher(app, list(paths), settle=settle, forget_deleted=forget_deleted, poll=poll, on_batch=tell)
    lock = WatchLock(app.settings.store) if not app.settings.chroma_url else None  # a server orders its own writes
    if lock:
        lock.acquire()
    asked: list[int] = []

    def stop(signum: int, frame: object) -> None:
        if asked:  # asked twice: stop now (what is half-written is never visible)
            raise KeyboardInterrupt
        asked.append(signum)
        click.echo("synth watch: stopping after the current file...", err=True)
        watcher.stop()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if not once:
            watcher.start()
            click.echo(f"synth watch: watching {', '.join(paths)} ({watcher.mode}); Ctrl-C stops", err=True)
        watcher.run(once=once)
    finally:
        watcher.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if lock:
            lock.release()
