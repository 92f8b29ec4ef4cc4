"""What the tests share besides fixtures: the repository's folders, the CLI run in-process, and a
free port, a meeting record. Imported by name (`from testkit import run`): tests/ is on pytest's import path."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from click.testing import CliRunner, Result

from synth.models import MeetingRecord

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"


def run(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, catch_exceptions: bool = False
) -> Result:
    """`synth ARGS...` in this process; an exception that escapes the CLI fails the test unless
    `catch_exceptions`."""
    from synth.cli import cli

    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=catch_exceptions)


def run_on(
    store: Path | str,
    *args: str,
    offline: bool = False,
    env: dict[str, str] | None = None,
    catch_exceptions: bool = False,
) -> Result:
    """`synth --store STORE [--offline] ARGS...` in this process."""
    options = ["--store", str(store), *(["--offline"] if offline else [])]
    return run(*options, *args, env=env, catch_exceptions=catch_exceptions)


def example_meetings(folder: Path, *names: str) -> Path:
    """A folder (made here) holding copies of the named example meetings."""
    folder.mkdir()
    for name in names:
        shutil.copy(EXAMPLES / "meetings" / name, folder / name)
    return folder


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def meeting_record(meeting_id: str, passages: int) -> MeetingRecord:
    """A stored meeting's record: version the id's first letter sixteen times."""
    return MeetingRecord(
        meeting_id=meeting_id,
        title=meeting_id,
        date="2026-10-01",
        source=f"{meeting_id}.md",
        format="markdown",
        version=meeting_id[0] * 16,
        passages=passages,
        turns=passages,
        ingested_at="2026-10-01T00:00:00+00:00",
    )
