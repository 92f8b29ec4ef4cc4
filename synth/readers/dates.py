"""Dates as exports write them: 2026-03-12, March 12, 2026, 12 Mar 2026, epoch ms."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_ISO_DATE = re.compile(r"(?<!\d)(20\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?!\d)")
_WORD_DATE = re.compile(
    r"\b(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>20\d{2})\b"
    r"|\b(?P<day2>[0-3]?\d)\s+(?P<month2>[A-Z][a-z]{2,8})\.?,?\s+(?P<year2>20\d{2})\b"
)


def date_in_text(line: str) -> dt.date | None:
    """The first date written in a line of text, or None."""
    iso = _ISO_DATE.search(line)
    try:
        if iso:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        words = _WORD_DATE.search(line)
        if words:
            month_name = (words.group("month") or words.group("month2")).lower()
            day = int(words.group("day") or words.group("day2"))
            year = int(words.group("year") or words.group("year2"))
            month = next((i for i, m in enumerate(_MONTHS, start=1) if m.startswith(month_name[:3])), None)
            if month and (len(month_name) == 3 or _MONTHS[month - 1].startswith(month_name)):
                return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def date_from_value(value) -> dt.date | None:
    """A date from an export's field: an ISO string, a date in words, or epoch seconds/milliseconds."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10_000_000_000 else value
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        return date_in_text(value)
    return None
