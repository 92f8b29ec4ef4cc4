"""Reading what is stored: insights, search, ask, meetings, forget and status."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click

from ..kinds import ASSUMPTION_STATUSES, KINDS, AssumptionStatus, Kind
from .adapter import echo_json, pass_app
from .options import TEAM, filter_options, filters_of, json_option, period_options

if TYPE_CHECKING:
    from ..app import Synth


@click.command()
@click.option("--kind", type=click.Choice(list(KINDS)), help="Only this kind.")
@click.option("--team", type=TEAM, help="Only what this function's people said.")
@period_options
@click.option("--meeting", metavar="ID_OR_TITLE", help="Only this meeting.")
@click.option("--status", type=click.Choice(list(ASSUMPTION_STATUSES)), help="Only assumptions with this status.")
@json_option("Print the insight objects as JSON.")
@pass_app
def insights(
    app: Synth,
    kind: Kind | None,
    team: str | None,
    since: dt.date | None,
    until: dt.date | None,
    meeting: str | None,
    status: AssumptionStatus | None,
    as_json: bool,
) -> None:
    """List what the meetings found, grouped by kind, each with its quote and file:line.

    \b
    Example:
      synth insights --kind roadblock --team engineering
      synth insights --since 2026-10-01 --json
    """
    from ..render import insights_text

    found = app.insights(kind=kind, team=team, filters=filters_of(team, since, until, meeting), status=status)
    if as_json:
        echo_json(found)
    else:
        click.echo(insights_text(found, len(app.meetings())))


@click.command()
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
    from ..render import hits_text

    hits, searched = app.search_with_count(query, k or 10, filters_of(team, since, until, meeting))
    if as_json:
        echo_json(hits)
    else:
        click.echo(hits_text(hits, query, searched))


@click.command()
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
    from ..render import answer_sources_text, safe

    streaming = sys.stdout.isatty() and not as_json
    streamed = []

    def on_token(token: str) -> None:
        streamed.append(token)
        click.echo(safe(token), nl=False)

    answer = app.ask(question, filters_of(team, since, until, meeting), k or 6, on_token if streaming else None)
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


@click.command()
@json_option()
@pass_app
def meetings(app: Synth, as_json: bool) -> None:
    """List the stored meetings, oldest first.

    \b
    Example:
      synth meetings --json
    """
    from ..render import meetings_text

    records = app.meetings()
    if as_json:
        echo_json(records)
    else:
        click.echo(meetings_text(records))


@click.command()
@click.argument("meeting")
@pass_app
def forget(app: Synth, meeting: str) -> None:
    """Remove a meeting (by id, or a part of its title that matches one meeting).

    \b
    Example:
      synth forget 2026-10-02-sales-pipeline-review-3f9a1c
    """
    from ..render import safe

    record, removed, flags = app.forget(meeting)
    click.echo(
        f"Forgot {record.meeting_id} ({safe(record.title)}, {record.date}): {removed} passages, "
        f"{flags} flags that quoted it and the model cache removed."
    )


@click.command()
@json_option()
@pass_app
def status(app: Synth, as_json: bool) -> None:
    """Show the store, its counts and the model settings (never a secret).

    \b
    Example:
      synth status
    """
    from ..render import status_text

    report = app.status()
    if as_json:
        echo_json(report)
    else:
        click.echo(status_text(report))
