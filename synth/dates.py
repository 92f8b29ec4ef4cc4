"""The days synth works with, and the one guard for days worked out from words or options.

A meeting's date is always within MIN_DATE..MAX_DATE (the readers warn and use the file's date
otherwise), so arithmetic on stored dates stays far from Python's limits (years 1 to 9999). What
can leave them is a day worked out from a note's words ("in 1000000 weeks", "next week" said at
the end of the range, "by Q4 9999", "the 45th of March") or a period bound given as an option
(`--since 0001-01-01`, `--until 9999-12-31`). Words go through `from_words`: a day that does not
exist, overflows or falls outside the range is unknown. A period bound goes through `bounded`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)


def in_range(day: dt.date) -> bool:
    """Whether a day is one synth works with."""
    return MIN_DATE <= day <= MAX_DATE


def from_words(work_out: Callable[[], dt.date | None]) -> dt.date | None:
    """The day `work_out` computes from a note's words, or None (unknown) when it names no real
    day, overflows Python's dates, or falls outside MIN_DATE..MAX_DATE."""
    try:
        day = work_out()
    except (ValueError, OverflowError):
        return None
    return day if day is not None and in_range(day) else None


def bounded(day: dt.date) -> dt.date:
    """A period bound moved into MIN_DATE..MAX_DATE: no meeting is outside it, so the period holds
    the same meetings, and a week or a look-back added to it cannot overflow."""
    return min(max(day, MIN_DATE), MAX_DATE)
