"""Speed of `synth mcp` on the 35 QMSum val meetings.

    python bench/mcp_speed.py

Prints one table: the `mcp` SDK's import alone (the floor of any Python MCP server); `synth mcp`
from spawn to its answer to `initialize` (stdio, median of 5; target under 1 s); the first
`search` tool call (it loads the embedding model and opens the store); the `search` tool's
latency once warm against `Synth.search` in process on the same queries (target: within 20 ms).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

from common import CACHE, ROOT, Timer, load_queries, qmsum_val_markdown, table

RUNS = 5


def store_of(folder) -> str:
    """The 35 meetings stored once (no extraction: the search tool does not need it)."""
    store = CACHE / "mcp_store"
    if not (store / "chroma.sqlite3").exists():
        shutil.rmtree(store, ignore_errors=True)
        files = [str(p) for p in sorted(folder.glob("*.md"))]
        subprocess.run(
            [sys.executable, "-m", "synth", "--store", str(store), "--offline", "ingest", "--no-extract", *files],
            check=True,
            capture_output=True,
        )
    return str(store)


def main() -> None:
    import anyio
    from mcp import ClientSession, StdioServerParameters, stdio_client

    load = os.getloadavg()[0]
    folder = qmsum_val_markdown()
    store = store_of(folder)
    queries = [q["query"] for q in load_queries(folder)][:9]
    env = {"PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT)), "SYNTH_OFFLINE": "1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "synth", "--store", store, "mcp"], env=env)
    rows = []

    imports = []
    for _ in range(RUNS):
        with Timer() as t:
            subprocess.run([sys.executable, "-c", "import mcp.server"], check=True)
        imports.append(t.seconds)
    rows.append(["python -c 'import mcp.server' (median of 5)", f"{statistics.median(imports):.3f} s", "the floor"])

    initialize: list[float] = []
    first_call: list[float] = []
    warm: list[float] = []

    async def session(measure_calls: bool) -> None:
        started = time.perf_counter()
        with open(os.devnull, "w") as err:
            async with stdio_client(params, errlog=err) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                initialize.append(time.perf_counter() - started)
                if not measure_calls:
                    return
                with Timer() as t:
                    await client.call_tool("search", {"query": queries[0], "k": 10})
                first_call.append(t.seconds)
                for query in queries:
                    with Timer() as t:
                        result = await client.call_tool("search", {"query": query, "k": 10})
                    assert not result.is_error, result.content
                    warm.append(t.seconds)

    for i in range(RUNS):
        anyio.run(session, i == RUNS - 1)
    rows.append(
        [
            "synth mcp: spawn to initialize answered (median of 5)",
            f"{statistics.median(initialize):.3f} s",
            f"max {max(initialize):.3f} s; target < 1 s",
        ]
    )
    rows.append(["first search tool call (loads model, opens store)", f"{first_call[0]:.2f} s", ""])

    sys.path.insert(0, str(ROOT))
    from synth.app import Synth
    from synth.config import Settings

    app = Synth(Settings(store=store, offline=True))
    app.search(queries[0])  # warm: the model loaded, the store open, as in the server
    in_process = []
    for query in queries:
        with Timer() as t:
            app.search_with_count(query, 10)
        in_process.append(t.seconds)
    tool_ms, direct_ms = statistics.median(warm) * 1000, statistics.median(in_process) * 1000
    rows.append(["search, Synth in process (median of 9)", f"{direct_ms:.1f} ms", ""])
    rows.append(
        [
            "search tool call, warm server (median of 9)",
            f"{tool_ms:.1f} ms",
            f"+{tool_ms - direct_ms:.1f} ms over in process; target +20 ms",
        ]
    )
    print(table(["synth mcp on QMSum val (35 meetings)", "value", "note"], rows))
    print(f"\nload average at start {load:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
