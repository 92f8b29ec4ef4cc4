"""The brief's period: since the previous meeting of a series (titles that differ only by a
date), or since a date, or the last 14 days; "as of" a day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from ..dates import bounded
from ..errors import NotFoundError
from ..models import MeetingRecord

DEFAULT_DAYS = 14
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
SERIES_NOISE = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\b" + _MONTHS + r"\s+\d{1,2}(?:st|nd|rd|th)?"
    r"(?:,?\s+\d{4})?|\b\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTHS + r"(?:\s+\d{4})?|\bweek\s+\d+|#\d+|\b\d+\b",
    re.I,
)
"""Dates, week numbers and counters in a meeting title: what differs between meetings of one series."""

Since = dt.date | Literal["last"] | None
"""A day, or "last" (since the previous meeting of the series), or None (the same as "last")."""


def series_name(title: str) -> str:
    """A title without its dates and numbers: meetings with the same series name recur."""
    return " ".join(re.sub(r"[^a-z&]+", " ", SERIES_NOISE.sub(" ", title.lower())).split())


@dataclass
class Period:
    since: dt.date
    until: dt.date
    label: str
    series: str | None = None


def resolve_period(records: list[MeetingRecord], since: Since, series: str | None, as_of: dt.date) -> Period:
    """Since a day, or since the previous meeting of the series (`series`, else the most recent
    series that has met more than once), else the last 14 days."""
    if isinstance(since, dt.date):
        return Period(bounded(since), as_of, f"since {since.isoformat()}")
    past = [r for r in records if r.date <= as_of.isoformat()]
    groups: dict[str, list[MeetingRecord]] = {}
    for record in past:
        groups.setdefault(series_name(record.title), []).append(record)
    chosen: list[MeetingRecord] | None
    if series:
        wanted = series_name(series) or series.lower()
        names = [n for n in groups if n == wanted] or [n for n in groups if wanted in n]
        if not names:
            recurring = sorted(n for n, g in groups.items() if len(g) > 1)
            raise NotFoundError(
                f"no meeting series matches {series!r}"
                + (f"; recurring series: {', '.join(recurring)}" if recurring else "; no series has met twice")
            )
        if len(names) > 1:
            raise NotFoundError(f"{series!r} matches {len(names)} series ({', '.join(sorted(names)[:5])}); say more")
        chosen = groups[names[0]]
    else:
        met_again = [g for g in groups.values() if len(g) > 1]
        chosen = max(met_again, key=lambda g: max(r.date for r in g)) if met_again else None
    if chosen:
        last = max(chosen, key=lambda r: (r.date, r.meeting_id))
        return Period(dt.date.fromisoformat(last.date), as_of, f"since the last {last.title} ({last.date})", last.title)
    start = as_of - dt.timedelta(days=DEFAULT_DAYS)
    return Period(start, as_of, f"the last {DEFAULT_DAYS} days ({start.isoformat()} to {as_of.isoformat()})")
