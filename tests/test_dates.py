"""Dates and numbers from text never break a command: a phrase that names a day past Python's
limits or outside the years synth works with is no day, a period bound far off is moved into the
range, and every command goes on."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testkit import EXAMPLES, run_on

from synth.check.compare import due_by
from synth.dates import MAX_DATE, MIN_DATE, bounded, from_words

HOSTILE_PHRASES = [
    "I will ship the importer in 1000000 weeks",
    "we need the export in 99999999999 weeks",
    "in 400000 months",
    "single sign-on by Q4 9999",
    "by Q1 of 0001",
    "send the deck by the 99th of March",
    "we want it by March 45, 9999",
    "done by 9999-12-31",
    "blocked until 0001-01-01",
    "the fix lands 2026-13-45",
    "next week",
    "next month",
    "by next year",
    "next quarter",
    "by next Friday",
    "by the end of December 9999",
]
EDGES = [dt.date(1, 1, 1), MIN_DATE, dt.date(2026, 10, 1), MAX_DATE, dt.date(9999, 12, 28), dt.date(9999, 12, 31)]


@pytest.mark.parametrize("reference", EDGES, ids=str)
@pytest.mark.parametrize("phrase", HOSTILE_PHRASES)
def test_a_date_phrase_names_a_day_in_range_or_none(phrase, reference):
    found = due_by(phrase, reference)
    assert found is None or MIN_DATE <= found[0] <= MAX_DATE, found


def test_what_overflows_or_leaves_the_range_is_unknown_and_an_ordinary_phrase_still_resolves():
    assert due_by("in 1000000 weeks", dt.date(2026, 10, 1)) is None
    assert due_by("next week", dt.date(9999, 12, 28)) is None
    assert due_by("by Q4 9999", dt.date(2026, 10, 1)) is None
    assert due_by("in 3 weeks", dt.date(2026, 10, 1)) == (dt.date(2026, 10, 22), "in 3 weeks")
    assert due_by("next week", MAX_DATE - dt.timedelta(days=20))[0] <= MAX_DATE


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.one_of(
            st.sampled_from(["in", "by", "next", "week", "weeks", "months", "Q4", "of", "March", "the", "end"]),
            st.integers(min_value=0, max_value=10**15).map(str),
            st.integers(min_value=0, max_value=99).map(lambda n: f"{n}th"),
            st.dates().map(dt.date.isoformat),
        ),
        max_size=8,
    ),
    reference=st.dates(),
)
def test_no_words_and_no_reference_day_make_due_by_raise(words, reference):
    found = due_by(" ".join(words), reference)
    assert found is None or MIN_DATE <= found[0] <= MAX_DATE


def test_the_guard_itself():
    assert from_words(lambda: dt.date(2026, 2, 30)) is None
    assert from_words(lambda: dt.date(9999, 12, 31) + dt.timedelta(days=1)) is None
    assert from_words(lambda: dt.date(2200, 1, 1)) is None
    assert from_words(lambda: dt.date(2026, 2, 28)) == dt.date(2026, 2, 28)
    assert bounded(dt.date(1, 1, 3)) == MIN_DATE and bounded(dt.date(9999, 12, 31)) == MAX_DATE
    assert bounded(dt.date(2026, 3, 4)) == dt.date(2026, 3, 4)


FAR = """---
title: Far future planning
date: 2026-10-01
team: engineering
---

**Tom Becker:** I will ship the importer in 1000000 weeks. We need the export in 99999999999 weeks.

**Dana Whitfield:** Customers asked for single sign-on by Q4 9999. Action: Dana to send the deck by the 99th of March.

**Sam Ortiz:** We decided to finish the import fix by 9999-12-31, and the vendor has us blocked until 0001-01-01.

**Marcus Lee:** Onboarding is blocked; we assume customers want it by March 45, 9999.
"""
DATED = """---
title: {title}
date: {date}
team: product
---

**Sam Ortiz:** We decided to ship onboarding next week, by end of the year, next quarter.

**Marcus Lee:** Action: Marcus will call Keller in 2 months. The roadblock is the importer.
"""


@pytest.mark.slow
def test_hostile_dates_break_no_command(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2026-10-01-far.md").write_text(FAR)
    (notes / "9999-12-28-end-of-time.md").write_text(DATED.format(title="End of time sync", date=""))
    (notes / "year-one.md").write_text(DATED.format(title="Year one sync", date="0001-01-01"))
    (notes / "year-9999.md").write_text(DATED.format(title="Year 9999 sync", date="9999-12-31"))
    store = tmp_path / "store"
    ingest = run_on(store, "ingest", str(notes), str(EXAMPLES / "meetings"), offline=True)
    assert ingest.exit_code == 0, ingest.output
    assert "outside 1900-2199" in ingest.output  # the year-1 and year-9999 dates: a warning, then unknown
    later = tmp_path / "later"
    later.mkdir()
    (later / "again.md").write_text(DATED.format(title="Later sync", date="2026-10-20"))
    for args in (
        ["vision", "set", str(EXAMPLES / "vision.md")],
        ["check", "--all"],
        ["ingest", str(later)],  # a later ingest runs the check on the stored hostile insights
        ["ingest", str(EXAMPLES / "meetings" / "2026-09-08-product-sync.md"), "--date", "9999-12-31"],
        ["brief"],
        ["brief", "--since", "0001-01-03"],
        ["brief", "--since", "9999-12-31", "--as-of", "9999-12-31"],
        ["brief", "--as-of", "9999-12-30", "--format", "json"],
        ["report", "--since", "1899-12-27", "--until", "9999-12-31", "--out", str(tmp_path / "report.html")],
        ["report", "--out", str(tmp_path / "report2.html")],
        ["ask", "when will the importer ship?"],
        ["watch", str(later), "--once"],
    ):
        result = run_on(store, *args, offline=True)
        assert result.exit_code == 0, (args, result.output)
        assert "unexpected" not in result.output, (args, result.output)
