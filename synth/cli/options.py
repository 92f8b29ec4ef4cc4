"""Parameter types (a bad value is a usage error, exit 2) and the option sets that commands share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from ..config import ENV_VARS
from ..teams import normalize_team

if TYPE_CHECKING:
    from ..retriever import Filters

F = TypeVar("F", bound=Callable[..., Any])


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


def env_name(setting: str) -> str:
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


def filters_of(team: str | None, since: dt.date | None, until: dt.date | None, meeting: str | None) -> Filters:
    from ..retriever import Filters

    return Filters(team=team, since=since, until=until, meeting=meeting)


def post_option(what: str) -> Callable[[F], F]:
    """--post slack|webhook: deliver instead of printing (synth/deliver.py)."""
    return click.option(
        "--post",
        type=click.Choice(["slack", "webhook"]),
        help=f"Post {what} to Slack (SYNTH_SLACK_WEBHOOK) or a webhook (SYNTH_WEBHOOK_URL, "
        "signed with SYNTH_WEBHOOK_SECRET).",
    )
