"""Putting meetings in: ingest, extract, and the roster that says who belongs to which function."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..config import Settings, default_of
from .adapter import echo_json, pass_app
from .options import DATE, TEAM, env_name, jobs_option, json_option

if TYPE_CHECKING:
    from ..app import Synth
    from ..models import IngestReport


PROGRESS_FILES = 100  # without a terminal, a progress line every this many files
PROGRESS_SECONDS = 10.0  # or this often, whichever comes first


def _progress_lines(total: int) -> Callable[[Any], None]:
    """Progress for stderr that is not a terminal: `ingesting: 300 of 5000 files` every
    PROGRESS_FILES files or PROGRESS_SECONDS seconds."""
    import time

    state = {"done": 0, "said": time.monotonic()}

    def advance(item: Any) -> None:
        state["done"] += 1
        now = time.monotonic()
        if state["done"] % PROGRESS_FILES == 0 or now - state["said"] >= PROGRESS_SECONDS:
            state["said"] = now
            click.echo(f"ingesting: {state['done']} of {total} files", err=True)

    return advance


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--team", type=TEAM, help="The function of the whole meeting (sales, marketing, ...).")
@click.option("--title", help="Title of the meeting (one file or standard input).")
@click.option("--date", type=DATE, metavar="YYYY-MM-DD", help="Date of the meeting.")
@click.option(
    "--roster",
    type=click.Path(dir_okay=False),
    help="People -> functions for this ingest (YAML, JSON or CSV). `synth roster set FILE` keeps one for the store.",
)
@jobs_option(f"Model calls at once when extracting [env {env_name('jobs')}, default {default_of('jobs')}].")
@click.option("--no-extract", is_flag=True, help="Only store and index; extract insights later (synth extract).")
@click.option(
    "--no-check",
    is_flag=True,
    help="Do not check the new insights against the vision and each other (synth check) "
    f"[env {env_name('auto_check')}=0].",
)
@json_option("Print the report as JSON.")
@pass_app
def ingest(
    app: Synth,
    paths: tuple[str, ...],
    team: str | None,
    title: str | None,
    date: dt.date | None,
    roster: str | None,
    jobs: int | None,
    no_extract: bool,
    no_check: bool,
    as_json: bool,
) -> None:
    """Read meeting notes and transcripts into the store.

    PATHS are files, folders (read recursively), zip exports (read like a folder), globs, or -
    for standard input. Formats: Markdown (with YAML front matter: title, date, team, attendees),
    plain text, WebVTT, SRT, speaker-labelled exports ("Name  00:01:23" then the text), JSON turn
    lists, Fireflies and Gong JSON exports, .docx, PDF (cited file.pdf:p3:12) and HTML (Notion,
    Confluence, Google Docs). Unchanged files are skipped; a changed file replaces its meeting.

    Each new meeting's findings, roadblocks, assumptions, decisions, actions and requests are
    extracted: by the model when one is configured, else by the offline extractor. Every insight
    keeps a quote that is verified to be in the transcript. Then the new insights are checked
    against the vision and each other (synth check).

    \b
    Example:
      synth ingest notes/ calls/*.vtt --roster team.yaml
      cat call.vtt | synth ingest - --title "Acme call" --team sales
      synth ingest notion-export.zip fireflies/*.json q1-calls.pdf
    """
    from ..readers import ReadOptions
    from ..render import report_text, safe
    from ..roster import load_roster

    options = ReadOptions(team=team, title=title, date=date, roster=load_roster(roster) if roster else {})
    if jobs:
        app.settings.jobs = jobs
    interactive = sys.stderr.isatty() and not as_json
    bar: dict[str, Any] = {}

    def on_files(files: list[Any]) -> Callable[[Any], None] | None:
        if interactive and len(files) > 1:
            bar["bar"] = click.progressbar(length=len(files), label="Ingesting", file=sys.stderr)
            bar["bar"].__enter__()
            return lambda item: bar["bar"].update(1)
        if not as_json and len(files) > PROGRESS_FILES // 5:
            return _progress_lines(len(files))  # a log or a pipe: a line now and then, so a long run never looks hung
        return None

    # one byte past the limit is enough to refuse it (ingest names <stdin> and the limit)
    stdin = sys.stdin.buffer.read(int(app.settings.max_file_mb * 1e6) + 1) if "-" in paths else None
    try:
        report = app.ingest(
            list(paths),
            options,
            on_files=on_files,
            stdin=stdin,
            extract=not no_extract,
            on_meeting=_extraction_progress(interactive),
            check=False if no_check else None,
        )
    finally:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)
    if as_json:
        echo_json(report)
    else:
        for line in report.errors:
            click.echo(f"error: {safe(line)}", err=True)
        for line in report.warnings:
            if app.settings.verbose or "ignored" not in line:
                click.echo(f"warning: {safe(line)}", err=True)
        if report.ignored and not app.settings.verbose:
            click.echo(f"note: {report.ignored} files of other types ignored (-v lists them)", err=True)
        click.echo(report_text(report))
        if not no_extract:
            _echo_extraction(app.settings, report)
    if report.failed:
        sys.exit(1)


def _extraction_progress(interactive: bool) -> Callable[[str], None] | None:
    if not interactive:
        return None
    return lambda meeting_id: click.echo(f"  extracted {meeting_id}", err=True)


def _echo_extraction(settings: Settings, report: IngestReport) -> None:
    from ..config import HOW_TO_CONFIGURE
    from ..render import extraction_text, safe

    note = None
    if not settings.llm_configured and sum(report.insights.values()) > 0:
        note = "(offline extractor: cue phrases and a small classifier; a model does better. " + HOW_TO_CONFIGURE + ")"
    click.echo(extraction_text(report, note))
    for line in report.extraction_failed:
        click.echo(f"error: {safe(line)}", err=True)
    if report.extraction_failed:
        click.echo("Passages are stored and searchable; run `synth extract --retry-failed` to try again.", err=True)


@click.command()
@click.argument("meeting", required=False)
@click.option("--all", "everything", is_flag=True, help="Every stored meeting.")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Meetings whose extraction failed or was cut short (parts that succeeded come from the cache).",
)
@jobs_option(f"Model calls at once [env {env_name('jobs')}].")
@json_option("Print the report as JSON.")
@pass_app
def extract(
    app: Synth, meeting: str | None, everything: bool, retry_failed: bool, jobs: int | None, as_json: bool
) -> None:
    """Extract insights again, on purpose: for MEETING (id or part of its title), --all, or
    --retry-failed. The model is called again (the cache is only used by --retry-failed).

    \b
    Example:
      synth extract --retry-failed
      synth extract "pricing review" --model gpt-4o
    """
    if jobs:
        app.settings.jobs = jobs
    report = app.extract(
        meeting, everything, retry_failed, on_meeting=_extraction_progress(sys.stderr.isatty() and not as_json)
    )
    if as_json:
        echo_json(report)
    else:
        click.echo(f"Extracted {report.meetings} meetings.")
        _echo_extraction(app.settings, report)
    if report.extraction_failed:
        sys.exit(1)


@click.group()
def roster() -> None:
    """The store's roster: which function each person belongs to."""


@roster.command("set")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_app
def roster_set(app: Synth, file: str) -> None:
    """Keep FILE (YAML, JSON or CSV) as the store's roster for later ingests.

    \b
    Example:
      synth roster set team.yaml
    """
    people = app.set_roster(file)
    click.echo(f"Roster stored: {len(people)} people. Re-ingest to apply it to stored meetings.")


@roster.command("show")
@json_option()
@pass_app
def roster_show(app: Synth, as_json: bool) -> None:
    """Show the store's roster.

    \b
    Example:
      synth roster show
    """
    from ..render import roster_text

    people = app.roster()
    if as_json:
        echo_json(people)
    else:
        click.echo(roster_text(people))
