"""The `synth` command. It only adapts the library (synth.app) to the command line."""

from __future__ import annotations

import functools
import json
import os
import sys

import click

from . import __version__
from .kinds import FLAG_STATUSES, FLAG_TYPES, KINDS


def _app(ctx: click.Context):
    from .app import Synth

    def waiting(message: str) -> None:
        click.echo(f"synth: {message}...", err=True)

    return Synth(ctx.obj["settings"], on_wait=waiting)


def handle_errors(function):
    """SynthError -> one clear line and exit 1; anything else -> no traceback unless SYNTH_DEBUG=1."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from .errors import SynthError

        try:
            return function(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except SynthError as exc:
            if os.environ.get("SYNTH_DEBUG") == "1":
                raise
            raise click.ClickException(_scrub(str(exc))) from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; nothing half-stored is visible, run the command again") from None
        except Exception as exc:  # a bug: say so plainly, without a traceback
            if os.environ.get("SYNTH_DEBUG") == "1":
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {_scrub(str(exc))} (set SYNTH_DEBUG=1 to see where)"
            ) from None

    return wrapper


def _scrub(message: str) -> str:
    """Never let a secret from the environment (or a password in a URL) reach output."""
    from .config import without_secrets

    return without_secrets(message, tuple(os.environ.get(n) for n in ("OPENAI_API_KEY", "SYNTH_CHROMA_TOKEN")))


def filter_options(function):
    """The filters shared by search and ask."""
    for decorator in reversed(
        [
            click.option("--k", "k", type=click.IntRange(1, 100), default=None, help="How many passages."),
            click.option("--team", help="Only passages where this function speaks, or its meetings."),
            click.option("--since", metavar="DATE", help="Only meetings on or after DATE (YYYY-MM-DD)."),
            click.option("--until", metavar="DATE", help="Only meetings on or before DATE (YYYY-MM-DD)."),
            click.option("--meeting", metavar="ID_OR_TITLE", help="Only this meeting (id, or part of its title)."),
            click.option("--json", "as_json", is_flag=True, help="Print JSON."),
        ]
    ):
        function = decorator(function)
    return function


def _filters(team, since, until, meeting):
    from .errors import SynthError
    from .ingest import parse_date_option
    from .retriever import Filters
    from .teams import normalize_team

    canonical = None
    if team:
        canonical = normalize_team(team)
        if canonical is None:
            raise SynthError(
                f"--team {team!r} is not a function synth knows (sales, marketing, customer "
                "success, engineering, design, product, leadership)"
            )
    return Filters(
        team=canonical,
        since=parse_date_option(since, "--since"),
        until=parse_date_option(until, "--until"),
        meeting=meeting,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="synth")
@click.option(
    "--store",
    envvar="SYNTH_STORE",
    default="store",
    show_default=True,
    metavar="PATH",
    help="The store folder [env SYNTH_STORE].",
)
@click.option(
    "--chroma-url",
    envvar="SYNTH_CHROMA_URL",
    metavar="URL",
    help="Use the Chroma server at URL instead of the store folder (team mode) [env SYNTH_CHROMA_URL; "
    "SYNTH_CHROMA_TOKEN is sent as its auth header].",
)
@click.option(
    "--offline", is_flag=True, envvar="SYNTH_OFFLINE", help="Never call a language model [env SYNTH_OFFLINE]."
)
@click.option(
    "--base-url", envvar="OPENAI_BASE_URL", metavar="URL", help="OpenAI-compatible endpoint [env OPENAI_BASE_URL]."
)
@click.option("--model", envvar="SYNTH_MODEL", metavar="NAME", help="Chat model name [env SYNTH_MODEL].")
@click.option(
    "--api-key",
    envvar="OPENAI_API_KEY",
    metavar="KEY",
    show_envvar=False,
    help="API key [env OPENAI_API_KEY; prefer the variable]. Never printed or stored.",
)
@click.option(
    "--prompts",
    "prompts_dir",
    envvar="SYNTH_PROMPTS",
    metavar="DIR",
    help="Folder of prompts that override the built-in ones [env SYNTH_PROMPTS].",
)
@click.option("-v", "--verbose", is_flag=True, help="Say more.")
@click.pass_context
def cli(ctx, store, chroma_url, offline, base_url, model, api_key, prompts_dir, verbose):
    """synth: what every function of a product team learned, searchable with sources.

    \b
    Quick start:
      synth ingest examples/meetings/ --roster examples/roster.yaml
      synth search "onboarding"
      synth ask "what did sales hear about onboarding?"
    """
    from pathlib import Path

    from .config import Settings

    ctx.ensure_object(dict)
    ctx.obj["settings"] = Settings.from_env(
        store=store,
        chroma_url=chroma_url,
        offline=offline or None,
        base_url=base_url,
        model=model,
        api_key=api_key,
        prompts_dir=Path(prompts_dir) if prompts_dir else None,
        verbose=verbose,
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--team", help="The function of the whole meeting (sales, marketing, ...).")
@click.option("--title", help="Title of the meeting (one file or standard input).")
@click.option("--date", metavar="YYYY-MM-DD", help="Date of the meeting.")
@click.option(
    "--roster",
    type=click.Path(dir_okay=False),
    help="People -> functions for this ingest (YAML, JSON or CSV). `synth roster set FILE` keeps one for the store.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Model calls at once when extracting [env SYNTH_JOBS, default 4].",
)
@click.option("--no-extract", is_flag=True, help="Only store and index; extract insights later (synth extract).")
@click.option(
    "--no-check",
    is_flag=True,
    help="Do not check the new insights against the vision and each other (synth check) [env SYNTH_AUTO_CHECK=0].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handle_errors
def ingest(ctx, paths, team, title, date, roster, jobs, no_extract, no_check, as_json):
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
    from .errors import SynthError
    from .ingest import parse_date_option
    from .readers import ReadOptions
    from .render import report_text, safe
    from .roster import load_roster
    from .teams import normalize_team

    if team and normalize_team(team) is None:
        raise SynthError(f"--team {team!r} is not a function synth knows")
    options = ReadOptions(
        team=normalize_team(team),
        title=title,
        date=parse_date_option(date),
        roster=load_roster(roster) if roster else {},
    )
    if jobs:
        ctx.obj["settings"].jobs = jobs
    app = _app(ctx)
    interactive = sys.stderr.isatty() and not as_json
    bar = {}

    def on_files(files):
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
            on_meeting=_extraction_progress(ctx, interactive),
            check=False if no_check else None,
        )
    finally:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        for line in report.errors:
            click.echo(f"error: {safe(line)}", err=True)
        for line in report.warnings:
            if ctx.obj["settings"].verbose or "ignored" not in line:
                click.echo(f"warning: {safe(line)}", err=True)
        if report.ignored and not ctx.obj["settings"].verbose:
            click.echo(f"note: {report.ignored} files of other types ignored (-v lists them)", err=True)
        click.echo(report_text(report))
        if not no_extract:
            _echo_extraction(ctx, report)
    if report.failed:
        sys.exit(1)


def _extraction_progress(ctx, interactive: bool):
    if not interactive:
        return None
    return lambda meeting_id: click.echo(f"  extracted {meeting_id}", err=True)


def _echo_extraction(ctx, report) -> None:
    from .config import HOW_TO_CONFIGURE
    from .render import extraction_text, safe

    settings = ctx.obj["settings"]
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
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Model calls at once [env SYNTH_JOBS].")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handle_errors
def extract(ctx, meeting, everything, retry_failed, jobs, as_json):
    """Extract insights again, on purpose: for MEETING (id or part of its title), --all, or
    --retry-failed. The model is called again (the cache is only used by --retry-failed).

    \b
    Example:
      synth extract --retry-failed
      synth extract "pricing review" --model gpt-4o
    """
    if jobs:
        ctx.obj["settings"].jobs = jobs
    report = _app(ctx).extract(
        meeting, everything, retry_failed, on_meeting=_extraction_progress(ctx, sys.stderr.isatty() and not as_json)
    )
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        click.echo(f"Extracted {report.meetings} meetings.")
        _echo_extraction(ctx, report)
    if report.extraction_failed:
        sys.exit(1)


@cli.command()
@click.option("--kind", type=click.Choice(list(KINDS)), help="Only this kind.")
@click.option("--team", help="Only what this function's people said.")
@click.option("--since", metavar="DATE", help="Only meetings on or after DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only meetings on or before DATE (YYYY-MM-DD).")
@click.option("--meeting", metavar="ID_OR_TITLE", help="Only this meeting.")
@click.option(
    "--status", type=click.Choice(["untested", "validated", "invalidated"]), help="Only assumptions with this status."
)
@click.option("--json", "as_json", is_flag=True, help="Print the insight objects as JSON.")
@click.pass_context
@handle_errors
def insights(ctx, kind, team, since, until, meeting, status, as_json):
    """List what the meetings found, grouped by kind, each with its quote and file:line.

    \b
    Example:
      synth insights --kind roadblock --team engineering
      synth insights --since 2026-10-01 --json
    """
    from .render import insights_text

    app = _app(ctx)
    filters = _filters(team, since, until, meeting)
    found = app.insights(kind=kind, team=filters.team, filters=filters, status=status)
    if as_json:
        click.echo(json.dumps([i.model_dump() for i in found], indent=2))
    else:
        click.echo(insights_text(found, len(app.meetings())))


@cli.command()
@click.argument("query")
@filter_options
@click.pass_context
@handle_errors
def search(ctx, query, k, team, since, until, meeting, as_json):
    """Find passages across every meeting (retrieval only, no model).

    \b
    Example:
      synth search "SSO pricing" --team sales --since 2026-09-01
      synth search "onboarding checklist" --json
    """
    from .render import hits_text

    app = _app(ctx)
    hits, searched = app.search_with_count(query, k or 10, _filters(team, since, until, meeting))
    if as_json:
        click.echo(json.dumps([h.model_dump() for h in hits], indent=2))
    else:
        click.echo(hits_text(hits, query, searched))


@cli.command()
@click.argument("question")
@filter_options
@click.pass_context
@handle_errors
def ask(ctx, question, k, team, since, until, meeting, as_json):
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

    app = _app(ctx)
    streaming = sys.stdout.isatty() and not as_json
    streamed = []

    def on_token(token: str) -> None:
        streamed.append(token)
        click.echo(safe(token), nl=False)

    answer = app.ask(question, _filters(team, since, until, meeting), k or 6, on_token if streaming else None)
    if as_json:
        click.echo(answer.model_dump_json(indent=2))
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def meetings(ctx, as_json):
    """List the stored meetings, oldest first.

    \b
    Example:
      synth meetings --json
    """
    from .render import meetings_text

    records = _app(ctx).meetings()
    if as_json:
        click.echo(json.dumps([r.model_dump() for r in records], indent=2))
    else:
        click.echo(meetings_text(records))


@cli.command()
@click.argument("meeting")
@click.pass_context
@handle_errors
def forget(ctx, meeting):
    """Remove a meeting (by id, or a part of its title that matches one meeting).

    \b
    Example:
      synth forget 2026-10-02-sales-pipeline-review-3f9a1c
    """
    from .render import safe

    record, removed = _app(ctx).forget(meeting)
    click.echo(f"Forgot {record.meeting_id} ({safe(record.title)}, {record.date}): {removed} passages removed.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def status(ctx, as_json):
    """Show the store, its counts and the model settings (never a secret).

    \b
    Example:
      synth status
    """
    info = _app(ctx).status()
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    s, st = info["settings"], info["store"]
    where = f"Chroma server {s['store']} (token {s['chroma_token']})" if s["chroma_token"] else s["store"]
    click.echo(f"store:      {where}" + ("" if st["exists"] else " (not created yet)"))
    click.echo(f"meetings:   {st['meetings']}   passages: {st['passages']}")
    if st.get("first_meeting"):
        click.echo(f"dates:      {st['first_meeting']} to {st['last_meeting']}")
    click.echo(f"mode:       {s['mode']}" + ("" if s["mode"] == "llm" else " (no language model configured)"))
    click.echo(f"model:      {s['model'] or '-'}   base url: {s['base_url'] or '-'}   api key: {s['api_key']}")
    click.echo(f"embeddings: {s['embeddings']}   structured output: {s['structured_output']}")
    if st["exists"]:
        ex = st["extraction"]
        click.echo(
            f"insights:   {st['insights']}   extraction: {ex['done']} done, {ex['partial']} partial, "
            f"{ex['failed']} failed, {ex['pending']} pending"
        )
        click.echo(
            f"llm usage:  {st['llm_calls']} calls, {st['prompt_tokens']} prompt tokens, "
            f"{st['completion_tokens']} completion tokens"
        )
        for line in st["extraction_failures"]:
            click.echo(f"  failed: {line}")


@cli.group()
def vision():
    """The product vision that synth check holds every insight against."""


@vision.command("set")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--no-check", is_flag=True, help="Do not re-check the stored insights now.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored vision and the check as JSON.")
@click.pass_context
@handle_errors
def vision_set(ctx, file, no_check, as_json):
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

    app = _app(ctx.find_root())
    stored, changed, report = app.set_vision(file, check=not no_check)
    if as_json:
        click.echo(
            json.dumps(
                {"vision": stored.model_dump(), "changed": changed, "check": report.model_dump() if report else None},
                indent=2,
            )
        )
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def vision_show(ctx, version, as_json):
    """Show the vision's statements by section, with their lines.

    \b
    Example:
      synth vision show --json
    """
    from .render import vision_text

    stored = _app(ctx.find_root()).vision(version)
    if stored is None:
        raise click.ClickException("no vision set; store one with: synth vision set FILE")
    click.echo(stored.model_dump_json(indent=2) if as_json else vision_text(stored))


@vision.command("history")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def vision_history(ctx, as_json):
    """List the versions of the vision, oldest first.

    \b
    Example:
      synth vision history
    """
    entries = _app(ctx.find_root()).vision_history()
    if as_json:
        click.echo(json.dumps(entries, indent=2))
    elif not entries:
        click.echo("No vision set. Store one with: synth vision set FILE")
    else:
        for e in entries:
            click.echo(
                f"{e['number']:>3}  {e['version'][:8]}  {e['set_at']}  {e['statements']:>3} statements  {e['source']}"
            )


@vision.command("diff")
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.pass_context
@handle_errors
def vision_diff(ctx, old, new):
    """Statements added and removed between two versions (default: the previous and the current).

    \b
    Example:
      synth vision diff 1 3
    """
    from .render import vision_diff_text

    first, second, changes = _app(ctx.find_root()).vision_diff(old, new)
    click.echo(vision_diff_text(first, second, changes))


def _as_of(value):
    from .ingest import parse_date_option

    return parse_date_option(value, "--as-of") if value else None


def _write_out(out: str | None, text: str, what: str) -> None:
    """Write to --out atomically (a temporary file, then a rename), or to standard output."""
    from pathlib import Path

    from .errors import SynthError

    if not out or out == "-":
        click.echo(text, nl=False)
        return
    path = Path(out)
    if path.is_dir():
        raise SynthError(f"--out {out}: is a folder; give a file name")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SynthError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"Wrote {what} to {out}", err=True)


@cli.command()
@click.option(
    "--for",
    "audience",
    metavar="FUNCTION_OR_PERSON",
    help="Tailor it: engineering, sales, leadership (or any function), or a person in the roster.",
)
@click.option(
    "--since",
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
@click.option("--as-of", metavar="DATE", help="Write it as of DATE instead of today (ages and overdue count from it).")
@click.pass_context
@handle_errors
def brief(ctx, audience, since, series, fmt, out, as_of):
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
    from .brief.render import to_html, to_markdown

    result = _app(ctx.find_root()).brief(audience=audience, since=since, series=series, as_of=_as_of(as_of))
    fmt = fmt or (
        out.rsplit(".", 1)[-1].lower() if out and out.rsplit(".", 1)[-1].lower() in ("md", "html", "json") else "md"
    )
    if fmt == "json":
        text = json.dumps(result.model_dump(), indent=2) + "\n"
    elif fmt == "html":
        text = to_html(result)
    else:
        text = to_markdown(result)
    _write_out(out, text, "the brief")


@cli.command()
@click.option("--since", metavar="DATE", help="From DATE (YYYY-MM-DD); default: the first stored meeting.")
@click.option("--until", metavar="DATE", help="To DATE; default: today.")
@click.option("--out", metavar="FILE", required=True, help="The HTML file to write.")
@click.option("--json", "as_json", is_flag=True, help="Also print the numbers behind the charts as JSON.")
@click.pass_context
@handle_errors
def report(ctx, since, until, out, as_json):
    """One self-contained HTML page (no network needed) with charts of the team's alignment over
    time: insights per function per week, roadblocks opened and resolved and their age,
    assumptions by status, open flags by type, and who is heard from; the tables behind the charts
    under them.

    \b
    Example:
      synth report --since 2026-09-01 --out report.html
    """
    from .report import to_html

    data = _app(ctx.find_root()).report(since=since, until=until)
    if as_json:
        click.echo(json.dumps(data.model_dump(), indent=2))
    _write_out(out, to_html(data), "the report")


@cli.command()
@click.option("--since", metavar="DATE", help="Check the insights of meetings on or after DATE again.")
@click.option("--all", "everything", is_flag=True, help="Check every insight again (cached judgements are reused).")
@click.option("--json", "as_json", is_flag=True, help="Print the report and the new flags as JSON.")
@click.pass_context
@handle_errors
def check(ctx, since, everything, as_json):
    """Hold insights against the vision and each other, and raise flags.

    Runs after every ingest on the new insights. Flags: vision_conflict, team_conflict,
    promise_gap, assumption_refuted, assumption_supported, unheard. With a model configured, a
    prompted chain judges the candidate pairs; offline, a checker reads polarity, numbers and
    dates (lower confidence).

    \b
    Example:
      synth check --all
    """
    from .ingest import parse_date_option
    from .render import check_text, flags_text

    since_date = parse_date_option(since, "--since")
    report = _app(ctx).check(since=since_date.isoformat() if since_date else None, everything=everything)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    if report.new_flags:
        click.echo(flags_text(report.new_flags))
        click.echo("")
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(check_text(report))


@cli.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(list(FLAG_STATUSES) + ["all"]), default="open", show_default=True)
@click.option("--type", "kind", type=click.Choice(list(FLAG_TYPES)), help="Only flags of this type.")
@click.option("--json", "as_json", is_flag=True, help="Print the flags as JSON.")
@click.pass_context
@handle_errors
def flags(ctx, status, kind, as_json):
    """List flags; resolve or dismiss them.

    Each flag shows both sides with their quotes and file:line, an explanation and a confidence.
    A dismissed pair is never flagged again.

    \b
    Example:
      synth flags --type promise_gap
      synth flags resolve f3a9c21 --note "Omar told Northside it is exploring"
    """
    if ctx.invoked_subcommand is not None:
        return
    from .render import flags_text

    app = _app(ctx)
    found = app.flags(status=status, kind=kind)
    if as_json:
        click.echo(json.dumps([f.model_dump() for f in found], indent=2))
        return
    insights = len(app.insights()) if not found and app.meetings() else 0
    empty = (
        ("No flags" if status == "all" else f"No {status} flags")
        + (f" of type {kind}" if kind else "")
        + (f" ({insights} insights stored; synth check)." if insights else ".")
    )
    click.echo(flags_text(found, empty=empty))


def _set_flag(ctx, flag_id: str, status: str, note: str | None) -> None:
    from .render import safe

    flag = _app(ctx.find_root()).set_flag_status(flag_id, status, note)
    click.echo(
        f"Flag {flag.id} ({flag.type}) is now {flag.status}." + (f" Note: {safe(flag.note)}" if flag.note else "")
    )


@flags.command("resolve")
@click.argument("flag_id", metavar="ID")
@click.option("--note", required=True, help="What was decided.")
@click.pass_context
@handle_errors
def flags_resolve(ctx, flag_id, note):
    """Mark a flag resolved, with a note on what was decided.

    \b
    Example:
      synth flags resolve f3a9c21 --note "Roadmap now commits SSO for Q2"
    """
    _set_flag(ctx, flag_id, "resolved", note)


@flags.command("dismiss")
@click.argument("flag_id", metavar="ID")
@click.option("--note", required=True, help="Why it is not a real conflict.")
@click.pass_context
@handle_errors
def flags_dismiss(ctx, flag_id, note):
    """Dismiss a flag: this pair is never flagged again.

    \b
    Example:
      synth flags dismiss f3a9c21 --note "Different customer segments"
    """
    _set_flag(ctx, flag_id, "dismissed", note)


@flags.command("reopen")
@click.argument("flag_id", metavar="ID")
@click.pass_context
@handle_errors
def flags_reopen(ctx, flag_id):
    """Open a resolved or dismissed flag again.

    \b
    Example:
      synth flags reopen f3a9c21
    """
    _set_flag(ctx, flag_id, "open", None)


@cli.group()
def roster():
    """The store's roster: which function each person belongs to."""


@roster.command("set")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
@handle_errors
def roster_set(ctx, file):
    """Keep FILE (YAML, JSON or CSV) as the store's roster for later ingests.

    \b
    Example:
      synth roster set team.yaml
    """
    people = _app(ctx.find_root()).set_roster(file)
    click.echo(f"Roster stored: {len(people)} people. Re-ingest to apply it to stored meetings.")


@roster.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def roster_show(ctx, as_json):
    """Show the store's roster.

    \b
    Example:
      synth roster show
    """
    people = _app(ctx.find_root()).roster()
    if as_json:
        click.echo(json.dumps(people, indent=2))
    elif not people:
        click.echo("No roster stored. Set one with: synth roster set FILE")
    else:
        for person, team in sorted(people.items(), key=lambda kv: (kv[1], kv[0])):
            click.echo(f"{team:18} {person}")


def main() -> None:
    try:
        cli(prog_name="synth")
    except SystemExit as exc:
        from .locking import wrote_in_this_process

        if not wrote_in_this_process():
            _exit_now(exc.code)
        raise


def _exit_now(code) -> None:
    """End the process without Python's teardown of Chroma and a few thousand modules (0.1 to
    0.2 s of every search). Only for a process that took no writer lock, so nothing it did is
    left to write; a Chroma server has each write done when its call returns."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what sys.exit("message") would have printed
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code or 0)
