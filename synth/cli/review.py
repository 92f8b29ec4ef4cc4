"""Holding the team to its vision and preparing the sync: check, flags, brief and report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import click

from ..kinds import FLAG_STATUSES, FLAG_TYPES, FlagStatus, FlagType
from .adapter import echo_json, pass_app, write_out
from .options import DATE, SINCE, json_option, post_option

if TYPE_CHECKING:
    from ..app import Synth
    from ..deliver import Target


@click.command()
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
@post_option("the brief")
@pass_app
def brief(
    app: Synth,
    audience: str | None,
    since: dt.date | Literal["last"] | None,
    series: str | None,
    fmt: str | None,
    out: str | None,
    as_of: dt.date | None,
    post: Target | None,
) -> None:
    """The brief to read before the next sync: what each function learned, open roadblocks,
    untested assumptions, open flags, decisions and actions, requests, who was not heard, and a
    suggested agenda; every bullet cites meeting and file:line. Offline it is assembled from the
    stored insights and flags; with a model, each section also gets a lead written from the same
    facts, and any sentence whose citation or number does not match them is dropped.

    With --post, the brief goes to Slack (SYNTH_SLACK_WEBHOOK, as Block Kit messages) or to a
    webhook (SYNTH_WEBHOOK_URL, its JSON signed with SYNTH_WEBHOOK_SECRET) instead of standard
    output (--out still writes the file).

    \b
    Example:
      synth brief --for engineering
      synth brief --for "Dana Whitfield" --since 2026-09-01 --out brief.html
      synth brief --for sales --post slack
    """
    from ..brief.render import to_html, to_markdown
    from ..render import to_json

    result = app.brief(audience=audience, since=since, series=series, as_of=as_of)
    _say_notes(app)
    if post:
        messages = app.post_brief(post, result)
        click.echo(f"Posted the brief to {post} ({messages} message{'s' if messages != 1 else ''}).", err=True)
        if not out:
            return
    extension = out.rsplit(".", 1)[-1].lower() if out else ""
    fmt = fmt or (extension if extension in ("md", "html", "json") else "md")
    if fmt == "json":
        text = to_json(result) + "\n"
    elif fmt == "html":
        text = to_html(result)
    else:
        text = to_markdown(result)
    write_out(out, text, "the brief")


def _say_notes(app: Synth) -> None:
    for note in dict.fromkeys(app.read_notes):
        click.echo(f"Note: {note}.", err=True)


@click.command()
@click.option("--since", type=DATE, metavar="DATE", help="From DATE (YYYY-MM-DD); default: the first stored meeting.")
@click.option(
    "--until", type=DATE, metavar="DATE", help="To DATE; default: the last stored meeting (today with --since)."
)
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
    from ..report import to_html

    data = app.report(since=since, until=until)
    _say_notes(app)
    if as_json:
        echo_json(data)
    write_out(out, to_html(data), "the report")


@click.command()
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
    from ..render import check_text, flags_text

    report = app.check(since=since, everything=everything)
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


@click.group(invoke_without_command=True)
@click.option("--status", type=click.Choice([*FLAG_STATUSES, "all"]), default="open", show_default=True)
@click.option("--type", "kind", type=click.Choice(list(FLAG_TYPES)), help="Only flags of this type.")
@click.option("--possible", is_flag=True, help="Also show the possible tensions (weaker evidence) in full.")
@click.option("--flat", is_flag=True, help="One flag after another, by type, instead of tensions.")
@json_option("Print the flags as JSON (every flag, likely and possible; with --tensions, the tensions).")
@click.option("--tensions", "as_tensions", is_flag=True, help="With --json: print the tensions instead of the flags.")
@post_option("the flags")
@click.option(
    "--new", "new", is_flag=True, help="With --post: only flags not yet posted to that destination (for a cron)."
)
@pass_app
def flags(
    app: Synth,
    status: FlagStatus | Literal["all"],
    kind: FlagType | None,
    possible: bool,
    flat: bool,
    as_json: bool,
    as_tensions: bool,
    post: Target | None,
    new: bool,
) -> None:
    """List flags as tensions; resolve or dismiss them.

    Flags that say the same thing (the same vision statement, the same assumption, the same
    claims in several meetings) are one tension. Tensions are ranked by evidence: likely ones
    first, then how many functions and meetings, how recent, how confident. Possible tensions
    (weaker evidence) are counted, and shown with --possible. Each flag shows both sides with
    their quotes and file:line, an explanation and a confidence. A dismissed pair is never
    flagged again. With --post, the flags go to Slack or a webhook (see synth brief --help);
    with --new, each flag is sent to a destination once.

    \b
    Example:
      synth flags --type promise_gap
      synth flags --possible
      synth flags resolve f3a9c21 --note "Omar told Northside it is exploring"
      synth flags --post slack --new
    """
    if click.get_current_context().invoked_subcommand is not None:
        return
    from ..render import flags_empty, flags_text, tensions_text

    if new and not post:
        raise click.UsageError("--new says which flags to post: give --post slack or --post webhook too")
    if post:
        posted = app.post_flags(post, new=new, status=status, kind=kind)
        if as_json:
            echo_json(posted)
        click.echo(f"Posted {len(posted)} flag{'s' if len(posted) != 1 else ''} to {post}.", err=True)
        return
    if as_json:
        echo_json(app.tensions(status=status, kind=kind) if as_tensions else app.flags(status=status, kind=kind))
        return
    if flat:
        found = app.flags(status=status, kind=kind)
        click.echo(flags_text(found, empty=flags_empty(status, kind, app.insights_stored() if not found else 0)))
        return
    tensions = app.tensions(status=status, kind=kind)
    empty = flags_empty(status, kind, app.insights_stored() if not tensions else 0)
    click.echo(tensions_text(tensions, empty=empty, show_possible=possible))


def _set_flag(app: Synth, flag_id: str, status: FlagStatus, note: str | None) -> None:
    from ..render import safe

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
