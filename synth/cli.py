"""The `synth` command. It only adapts the library (synth.app) to the command line: options are
parsed into typed values here (a bad value is a usage error, exit 2), the library does the work,
synth's errors become one line and exit 1 (in `SynthGroup`), and render.py makes the text.

Heavy modules (the app pulls in numpy; the store, chromadb) are imported inside the commands,
so that `synth --help` stays instant.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, TypeVar

import click

from . import __version__
from .config import DEFAULT_STORE, ENV_VARS, Settings, default_of
from .errors import NotFoundError, SynthError
from .kinds import ASSUMPTION_STATUSES, FLAG_STATUSES, FLAG_TYPES, KINDS
from .redact import register_environment_secrets, without_secrets
from .teams import normalize_team

if TYPE_CHECKING:
    from .app import Synth
    from .models import IngestReport
    from .render import JsonValue
    from .retriever import Filters

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")


def _debugging() -> bool:
    return os.environ.get("SYNTH_DEBUG") == "1"


class SynthGroup(click.Group):
    """The root group: a SynthError becomes its message and exit 1; anything else, a bug, is
    said plainly without a traceback. SYNTH_DEBUG=1 lets both through with their traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except SynthError as exc:
            if _debugging():
                raise
            raise click.ClickException(str(exc)) from None  # masked when it was made
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; nothing half-stored is visible, run the command again") from None
        except Exception as exc:  # a bug: say so plainly, without a traceback
            if _debugging():
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {without_secrets(str(exc))} (set SYNTH_DEBUG=1 to see where)"
            ) from None


class AppContext:
    """What the root group hands its commands (`ctx.obj`): the settings, and the app, made
    when a command first needs it (importing it is what `--help` must not pay for)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._app: Synth | None = None

    @property
    def app(self) -> Synth:
        if self._app is None:
            from .app import Synth

            def waiting(message: str) -> None:
                click.echo(f"synth: {message}...", err=True)

            self._app = Synth(self.settings, on_wait=waiting)
        return self._app


_pass_context_obj = click.make_pass_decorator(AppContext)


def pass_app(command: Callable[Concatenate[Synth, P], R]) -> Callable[P, R]:
    """Call the command with the app as its first argument (click.make_pass_decorator's way,
    through the light AppContext: the app itself is made only when a command runs)."""

    @_pass_context_obj
    @functools.wraps(command)
    def with_app(state: AppContext, *args: P.args, **kwargs: P.kwargs) -> R:
        return command(state.app, *args, **kwargs)

    return with_app


# --- parameter types: strings become typed values at the edge -------------------------------------


class DateType(click.ParamType):
    """A YYYY-MM-DD date."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date: write YYYY-MM-DD", param, ctx)


DATE = DateType()


class SinceType(click.ParamType):
    """A date, or `last` (since the previous meeting of the series)."""

    name = "since"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date | Literal["last"]:
        if isinstance(value, str) and value.strip().lower() == "last":
            return "last"
        return DATE.convert(value, param, ctx)


SINCE = SinceType()


class TeamType(click.ParamType):
    """A function of the team, as people write it (`eng`, `customer success`): its canonical name."""

    name = "team"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        team = normalize_team(value)
        if team is None:
            self.fail(
                f"{value!r} is not a function synth knows (sales, marketing, customer "
                "success, engineering, design, product, leadership)",
                param,
                ctx,
            )
        return team


TEAM = TeamType()


class DefaultShownOption(click.Option):
    """An option whose default Settings resolves (after the environment variable), shown in help."""

    def __init__(self, *args: Any, shown_default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown_default = shown_default

    def get_help_extra(self, ctx: click.Context) -> Any:
        extra = super().get_help_extra(ctx)
        extra["default"] = self.shown_default
        return extra


def _env(setting: str) -> str:
    return ENV_VARS[setting].name


# --- shared options ------------------------------------------------------------------------------


def _apply(function: F, decorators: list[Callable[[F], F]]) -> F:
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def json_option(help: str = "Print JSON.") -> Callable[[F], F]:
    """--json, as every command that can print JSON spells it."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def period_options(function: F) -> F:
    """--since and --until: only meetings in that period."""
    return _apply(
        function,
        [
            click.option("--since", type=DATE, metavar="DATE", help="Only meetings on or after DATE (YYYY-MM-DD)."),
            click.option("--until", type=DATE, metavar="DATE", help="Only meetings on or before DATE (YYYY-MM-DD)."),
        ],
    )


def filter_options(function: F) -> F:
    """The filters shared by search and ask."""
    return _apply(
        function,
        [
            click.option("--k", "k", type=click.IntRange(1, 100), default=None, help="How many passages."),
            click.option("--team", type=TEAM, help="Only passages where this function speaks, or its meetings."),
            period_options,
            click.option("--meeting", metavar="ID_OR_TITLE", help="Only this meeting (id, or part of its title)."),
            json_option(),
        ],
    )


def jobs_option(help: str) -> Callable[[F], F]:
    """--jobs: model calls at once (SYNTH_JOBS when not given)."""
    return click.option("--jobs", type=click.IntRange(1, 64), default=None, help=help)


def _filters(team: str | None, since: dt.date | None, until: dt.date | None, meeting: str | None) -> Filters:
    from .retriever import Filters

    return Filters(team=team, since=since, until=until, meeting=meeting)


def echo_json(value: JsonValue) -> None:
    """Print what a `--json` prints: the models themselves."""
    from .render import to_json

    click.echo(to_json(value))


# --- the root group --------------------------------------------------------------------------------


@click.group(cls=SynthGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="synth")
@click.option(
    "--store",
    cls=DefaultShownOption,
    shown_default=DEFAULT_STORE,
    metavar="PATH",
    help=f"The store folder [env {_env('store')}].",
)
@click.option(
    "--chroma-url",
    metavar="URL",
    help=f"Use the Chroma server at URL instead of the store folder (team mode) [env {_env('chroma_url')}; "
    f"{_env('chroma_token')} is sent as its auth header].",
)
@click.option("--offline", is_flag=True, help=f"Never call a language model [env {_env('offline')}].")
@click.option("--base-url", metavar="URL", help=f"OpenAI-compatible endpoint [env {_env('base_url')}].")
@click.option("--model", metavar="NAME", help=f"Chat model name [env {_env('model')}].")
@click.option(
    "--api-key",
    metavar="KEY",
    help=f"API key [env {_env('api_key')}; prefer the variable]. Never printed or stored.",
)
@click.option(
    "--prompts",
    "prompts_dir",
    metavar="DIR",
    help=f"Folder of prompts that override the built-in ones [env {_env('prompts_dir')}].",
)
@click.option("-v", "--verbose", is_flag=True, help="Say more.")
@click.pass_context
def cli(
    ctx: click.Context,
    store: str | None,
    chroma_url: str | None,
    offline: bool,
    base_url: str | None,
    model: str | None,
    api_key: str | None,
    prompts_dir: str | None,
    verbose: bool,
) -> None:
    """synth: what every function of a product team learned, searchable with sources.

    \b
    Quick start:
      synth ingest examples/meetings/ --roster examples/roster.yaml
      synth search "onboarding"
      synth ask "what did sales hear about onboarding?"
    """
    register_environment_secrets()  # a key in the environment is never shown, even one a flag overrides
    # only the flags given go in; Settings reads the environment variables and defaults for the rest
    ctx.obj = AppContext(
        Settings.from_env(
            store=store,
            chroma_url=chroma_url,
            offline=offline or None,
            base_url=base_url,
            model=model,
            api_key=api_key,
            prompts_dir=Path(prompts_dir) if prompts_dir else None,
            verbose=verbose,
        )
    )


# --- ingest and extract -----------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--team", type=TEAM, help="The function of the whole meeting (sales, marketing, ...).")
@click.option("--title", help="Title of the meeting (one file or standard input).")
@click.option("--date", type=DATE, metavar="YYYY-MM-DD", help="Date of the meeting.")
@click.option(
    "--roster",
    type=click.Path(dir_okay=False),
    help="People -> functions for this ingest (YAML, JSON or CSV). `synth roster set FILE` keeps one for the store.",
)
@jobs_option(f"Model calls at once when extracting [env {_env('jobs')}, default {default_of('jobs')}].")
@click.option("--no-extract", is_flag=True, help="Only store and index; extract insights later (synth extract).")
@click.option(
    "--no-check",
    is_flag=True,
    help="Do not check the new insights against the vision and each other (synth check) [env SYNTH_AUTO_CHECK=0].",
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

    PATHS are files, folders (read recursively), globs, or - for standard input. Formats:
    Markdown (with YAML front matter: title, date, team, attendees), plain text, WebVTT, SRT,
    speaker-labelled exports ("Name  00:01:23" then the text), JSON turn lists and .docx.
    Unchanged files are skipped; a changed file replaces its meeting.

    Each new meeting's findings, roadblocks, assumptions, decisions, actions and requests are
    extracted: by the model when one is configured, else by the offline extractor. Every insight
    keeps a quote that is verified to be in the transcript. Then the new insights are checked
    against the vision and each other (synth check).

    \b
    Example:
      synth ingest notes/ calls/*.vtt --roster team.yaml
      cat call.vtt | synth ingest - --title "Acme call" --team sales
    """
    from .readers import ReadOptions
    from .render import report_text, safe
    from .roster import load_roster

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
        return None

    stdin = sys.stdin.buffer.read() if "-" in paths else None
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
    from .config import HOW_TO_CONFIGURE
    from .render import extraction_text, safe

    note = None
    if not settings.llm_configured and sum(report.insights.values()):
        note = "(offline extractor: cue phrases and a small classifier; a model does better. " + HOW_TO_CONFIGURE + ")"
    click.echo(extraction_text(report, note))
    for line in report.extraction_failed:
        click.echo(f"error: {safe(line)}", err=True)
    if report.extraction_failed:
        click.echo("Passages are stored and searchable; run `synth extract --retry-failed` to try again.", err=True)


@cli.command()
@click.argument("meeting", required=False)
@click.option("--all", "everything", is_flag=True, help="Every stored meeting.")
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Meetings whose extraction failed or was cut short (parts that succeeded come from the cache).",
)
@jobs_option(f"Model calls at once [env {_env('jobs')}].")
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


# --- reading: insights, search, ask, meetings, status ---------------------------------------------------


@cli.command()
@click.option("--kind", type=click.Choice(list(KINDS)), help="Only this kind.")
@click.option("--team", type=TEAM, help="Only what this function's people said.")
@period_options
@click.option("--meeting", metavar="ID_OR_TITLE", help="Only this meeting.")
@click.option("--status", type=click.Choice(list(ASSUMPTION_STATUSES)), help="Only assumptions with this status.")
@json_option("Print the insight objects as JSON.")
@pass_app
def insights(
    app: Synth,
    kind: str | None,
    team: str | None,
    since: dt.date | None,
    until: dt.date | None,
    meeting: str | None,
    status: str | None,
    as_json: bool,
) -> None:
    """List what the meetings found, grouped by kind, each with its quote and file:line.

    \b
    Example:
      synth insights --kind roadblock --team engineering
      synth insights --since 2026-10-01 --json
    """
    from .render import insights_text

    found = app.insights(kind=kind, team=team, filters=_filters(team, since, until, meeting), status=status)
    if as_json:
        echo_json(found)
    else:
        click.echo(insights_text(found, len(app.meetings())))


@cli.command()
@click.argument("query")
@filter_options
@pass_app
def search(
    app: Synth,
    query: str,
    k: int | None,
    team: str | None,
    since: dt.date | None,
    until: dt.date | None,
    meeting: str | None,
    as_json: bool,
) -> None:
    """Find passages across every meeting (retrieval only, no model).

    \b
    Example:
      synth search "SSO pricing" --team sales --since 2026-09-01
      synth search "onboarding checklist" --json
    """
    from .render import hits_text

    hits, searched = app.search_with_count(query, k or 10, _filters(team, since, until, meeting))
    if as_json:
        echo_json(hits)
    else:
        click.echo(hits_text(hits, query, searched))


@cli.command()
@click.argument("question")
@filter_options
@pass_app
def ask(
    app: Synth,
    question: str,
    k: int | None,
    team: str | None,
    since: dt.date | None,
    until: dt.date | None,
    meeting: str | None,
    as_json: bool,
) -> None:
    """Answer a question from the meetings, citing passages as [1], [2].

    With a model configured the answer is written by it (streamed on a terminal); without one,
    synth answers with the sentences that answer best. A question that names a function
    ("what did sales hear ...") is scoped to that function.

    \b
    Example:
      synth ask "what did sales hear about onboarding?"
      synth ask "why is the SSO launch late?" --since 2026-10-01 --json
    """
    from .render import answer_sources_text, safe

    streaming = sys.stdout.isatty() and not as_json
    streamed = []

    def on_token(token: str) -> None:
        streamed.append(token)
        click.echo(safe(token), nl=False)

    answer = app.ask(question, _filters(team, since, until, meeting), k or 6, on_token if streaming else None)
    if as_json:
        echo_json(answer)
        return
    if streamed:
        click.echo()
    else:
        click.echo(safe(answer.answer))
    if answer.sources:
        click.echo(answer_sources_text(answer))
    if answer.note:
        click.echo(f"\n{answer.note}", err=True)


@cli.command()
@json_option()
@pass_app
def meetings(app: Synth, as_json: bool) -> None:
    """List the stored meetings, oldest first.

    \b
    Example:
      synth meetings --json
    """
    from .render import meetings_text

    records = app.meetings()
    if as_json:
        echo_json(records)
    else:
        click.echo(meetings_text(records))


@cli.command()
@click.argument("meeting")
@pass_app
def forget(app: Synth, meeting: str) -> None:
    """Remove a meeting (by id, or a part of its title that matches one meeting).

    \b
    Example:
      synth forget 2026-10-02-sales-pipeline-review-3f9a1c
    """
    from .render import safe

    record, removed = app.forget(meeting)
    click.echo(f"Forgot {record.meeting_id} ({safe(record.title)}, {record.date}): {removed} passages removed.")


@cli.command()
@json_option()
@pass_app
def status(app: Synth, as_json: bool) -> None:
    """Show the store, its counts and the model settings (never a secret).

    \b
    Example:
      synth status
    """
    from .render import status_text

    report = app.status()
    if as_json:
        echo_json(report)
    else:
        click.echo(status_text(report))


# --- the vision -------------------------------------------------------------------------------------


@cli.group()
def vision() -> None:
    """The product vision that synth check holds every insight against."""


@vision.command("set")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--no-check", is_flag=True, help="Do not re-check the stored insights now.")
@json_option("Print the stored vision and the check as JSON.")
@pass_app
def vision_set(app: Synth, file: str, no_check: bool, as_json: bool) -> None:
    """Store FILE (Markdown) as the new version of the vision and re-check every insight.

    Sections are found by their headings: Vision; Target customers / Personas; Market focus;
    Principles and non-goals ("Non-goal:" bullets); Success metrics; Roadmap with Committed and
    Exploring below it. Each bullet or sentence becomes a statement with its line. Earlier
    versions stay in the history.

    \b
    Example:
      synth vision set docs/vision.md
    """
    from .render import check_text

    stored, changed, report = app.set_vision(file, check=not no_check)
    if as_json:
        echo_json({"vision": stored, "changed": changed, "check": report})
        return
    counts = ", ".join(f"{len(v)} {k.replace('_', '-')}" for k, v in stored.by_section().items())
    if not changed:
        click.echo(f"Vision unchanged: version {stored.number} is already this file ({counts}).")
        return
    click.echo(f"Vision version {stored.number} stored: {len(stored.statements)} statements ({counts}).")
    if report:
        click.echo(check_text(report))


@vision.command("show")
@click.option("--version", "version", metavar="N", help="An earlier version (number from synth vision history).")
@json_option()
@pass_app
def vision_show(app: Synth, version: str | None, as_json: bool) -> None:
    """Show the vision's statements by section, with their lines.

    \b
    Example:
      synth vision show --json
    """
    from .render import vision_text

    stored = app.vision(version)
    if stored is None:
        raise NotFoundError("no vision set; store one with: synth vision set FILE")
    if as_json:
        echo_json(stored)
    else:
        click.echo(vision_text(stored))


@vision.command("history")
@json_option()
@pass_app
def vision_history(app: Synth, as_json: bool) -> None:
    """List the versions of the vision, oldest first.

    \b
    Example:
      synth vision history
    """
    from .render import vision_history_text

    entries = app.vision_history()
    if as_json:
        echo_json(entries)
    else:
        click.echo(vision_history_text(entries))


@vision.command("diff")
@click.argument("old", required=False)
@click.argument("new", required=False)
@pass_app
def vision_diff(app: Synth, old: str | None, new: str | None) -> None:
    """Statements added and removed between two versions (default: the previous and the current).

    \b
    Example:
      synth vision diff 1 3
    """
    from .render import vision_diff_text

    first, second, changes = app.vision_diff(old, new)
    click.echo(vision_diff_text(first, second, changes))


# --- brief, report, check ---------------------------------------------------------------------------


def _write_out(out: str | None, text: str, what: str) -> None:
    """Write to --out (atomically), or to standard output."""
    from .outfile import write_atomic

    if not out or out == "-":
        click.echo(text, nl=False)
        return
    write_atomic(Path(out), text, name=f"--out {out}")
    click.echo(f"Wrote {what} to {out}", err=True)


def _iso(day: dt.date | str | None) -> str | None:
    """The brief, the report and the check still take ISO text (and `last`); they take dates
    once their rewrites land, and then this goes."""
    return day.isoformat() if isinstance(day, dt.date) else day


@cli.command()
@click.option(
    "--for",
    "audience",
    metavar="FUNCTION_OR_PERSON",
    help="Tailor it: engineering, sales, leadership (or any function), or a person in the roster.",
)
@click.option(
    "--since",
    type=SINCE,
    metavar="DATE|last",
    help="From DATE (YYYY-MM-DD), or `last`: since the previous meeting of "
    "the series (the default; else the last 14 days).",
)
@click.option(
    "--series",
    metavar="TITLE",
    help="The recurring meeting this brief is for (titles that differ only by a "
    "date); default: the series that met most recently.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "json"]),
    default=None,
    help="Output format (default: from --out's extension, else md).",
)
@click.option("--out", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option(
    "--as-of", type=DATE, metavar="DATE", help="Write it as of DATE instead of today (ages and overdue count from it)."
)
@pass_app
def brief(
    app: Synth,
    audience: str | None,
    since: dt.date | Literal["last"] | None,
    series: str | None,
    fmt: str | None,
    out: str | None,
    as_of: dt.date | None,
) -> None:
    """The brief to read before the next sync: what each function learned, open roadblocks,
    untested assumptions, open flags, decisions and actions, requests, who was not heard, and a
    suggested agenda; every bullet cites meeting and file:line. Offline it is assembled from the
    stored insights and flags; with a model, each section also gets a lead written from the same
    facts, and any sentence whose citation or number does not match them is dropped.

    \b
    Example:
      synth brief --for engineering
      synth brief --for "Dana Whitfield" --since 2026-09-01 --out brief.html
    """
    from .briefdoc import to_html, to_markdown
    from .render import to_json

    result = app.brief(audience=audience, since=_iso(since), series=series, as_of=as_of)
    extension = out.rsplit(".", 1)[-1].lower() if out else ""
    fmt = fmt or (extension if extension in ("md", "html", "json") else "md")
    if fmt == "json":
        text = to_json(result) + "\n"
    elif fmt == "html":
        text = to_html(result)
    else:
        text = to_markdown(result)
    _write_out(out, text, "the brief")


@cli.command()
@click.option("--since", type=DATE, metavar="DATE", help="From DATE (YYYY-MM-DD); default: the first stored meeting.")
@click.option("--until", type=DATE, metavar="DATE", help="To DATE; default: today.")
@click.option("--out", metavar="FILE", required=True, help="The HTML file to write.")
@json_option("Also print the numbers behind the charts as JSON.")
@pass_app
def report(app: Synth, since: dt.date | None, until: dt.date | None, out: str, as_json: bool) -> None:
    """One self-contained HTML page (no network needed) with charts of the team's alignment over
    time: insights per function per week, roadblocks opened and resolved and their age,
    assumptions by status, open flags by type, and who is heard from; the tables behind the charts
    under them.

    \b
    Example:
      synth report --since 2026-09-01 --out report.html
    """
    from .report import to_html

    data = app.report(since=_iso(since), until=_iso(until))
    if as_json:
        echo_json(data)
    _write_out(out, to_html(data), "the report")


@cli.command()
@click.option("--since", type=DATE, metavar="DATE", help="Check the insights of meetings on or after DATE again.")
@click.option("--all", "everything", is_flag=True, help="Check every insight again (cached judgements are reused).")
@json_option("Print the report and the new flags as JSON.")
@pass_app
def check(app: Synth, since: dt.date | None, everything: bool, as_json: bool) -> None:
    """Hold insights against the vision and each other, and raise flags.

    Runs after every ingest on the new insights. Flags: vision_conflict, team_conflict,
    promise_gap, assumption_refuted, assumption_supported, unheard. With a model configured, a
    prompted chain judges the candidate pairs; offline, a checker reads polarity, numbers and
    dates (lower confidence).

    \b
    Example:
      synth check --all
    """
    from .render import check_text, flags_text

    report = app.check(since=_iso(since), everything=everything)
    if as_json:
        echo_json(report)
        return
    if report.new_flags:
        click.echo(flags_text(report.new_flags))
        click.echo("")
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(check_text(report))


# --- flags and roster ---------------------------------------------------------------------------------


@cli.group(invoke_without_command=True)
@click.option("--status", type=click.Choice([*FLAG_STATUSES, "all"]), default="open", show_default=True)
@click.option("--type", "kind", type=click.Choice(list(FLAG_TYPES)), help="Only flags of this type.")
@json_option("Print the flags as JSON.")
@pass_app
def flags(app: Synth, status: str, kind: str | None, as_json: bool) -> None:
    """List flags; resolve or dismiss them.

    Each flag shows both sides with their quotes and file:line, an explanation and a confidence.
    A dismissed pair is never flagged again.

    \b
    Example:
      synth flags --type promise_gap
      synth flags resolve f3a9c21 --note "Omar told Northside it is exploring"
    """
    if click.get_current_context().invoked_subcommand is not None:
        return
    from .render import flags_empty, flags_text

    found = app.flags(status=status, kind=kind)
    if as_json:
        echo_json(found)
        return
    empty = flags_empty(status, kind, app.insights_stored() if not found else 0)
    click.echo(flags_text(found, empty=empty))


def _set_flag(app: Synth, flag_id: str, status: str, note: str | None) -> None:
    from .render import safe

    flag = app.set_flag_status(flag_id, status, note)
    click.echo(
        f"Flag {flag.id} ({flag.type}) is now {flag.status}." + (f" Note: {safe(flag.note)}" if flag.note else "")
    )


@flags.command("resolve")
@click.argument("flag_id", metavar="ID")
@click.option("--note", required=True, help="What was decided.")
@pass_app
def flags_resolve(app: Synth, flag_id: str, note: str) -> None:
    """Mark a flag resolved, with a note on what was decided.

    \b
    Example:
      synth flags resolve f3a9c21 --note "Roadmap now commits SSO for Q2"
    """
    _set_flag(app, flag_id, "resolved", note)


@flags.command("dismiss")
@click.argument("flag_id", metavar="ID")
@click.option("--note", required=True, help="Why it is not a real conflict.")
@pass_app
def flags_dismiss(app: Synth, flag_id: str, note: str) -> None:
    """Dismiss a flag: this pair is never flagged again.

    \b
    Example:
      synth flags dismiss f3a9c21 --note "Different customer segments"
    """
    _set_flag(app, flag_id, "dismissed", note)


@flags.command("reopen")
@click.argument("flag_id", metavar="ID")
@pass_app
def flags_reopen(app: Synth, flag_id: str) -> None:
    """Open a resolved or dismissed flag again.

    \b
    Example:
      synth flags reopen f3a9c21
    """
    _set_flag(app, flag_id, "open", None)


@cli.group()
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
    from .render import roster_text

    people = app.roster()
    if as_json:
        echo_json(people)
    else:
        click.echo(roster_text(people))


# --- the process ---------------------------------------------------------------------------------------


def main() -> None:
    """The `synth` console script."""
    try:
        cli(prog_name="synth")
    except SystemExit as exc:
        from .locking import wrote_in_this_process

        if not wrote_in_this_process():
            _exit_now(exc.code)
        raise


def _exit_now(code: str | int | None) -> None:
    """End the process without Python's teardown of Chroma and a few thousand modules (0.1 to
    0.2 s of every search). Only for a process that took no writer lock, so nothing it did is
    left to write; a Chroma server has each write done when its call returns."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what sys.exit("message") would have printed
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe: nothing more to say
            stream.flush()
    os._exit(code or 0)
