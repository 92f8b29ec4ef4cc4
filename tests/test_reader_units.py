"""Readers on small inline texts (synth/readers/): identity, versions, sniffing and functions of
speakers; tests/test_readers.py reads the example files."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from synth.errors import InputError
from synth.models import Meeting
from synth.readers import ReadOptions, content_hash, meeting_id_for, read_meeting, sniff_format

NOTE = (
    b"---\ntitle: Pricing council\ndate: 2026-10-02\nteam: sales\n---\n\n"
    b"Dana: Vega Labs wants euros.\n\nTom (Engineering): Euro invoices need the tax engine.\n"
)


def read(data: bytes, source: str = "notes/pricing.md", **options) -> Meeting:
    return read_meeting(data, source, ReadOptions(**options), mtime=0.0)


def test_lines_count_the_front_matter_and_labels_set_functions():
    meeting = read(NOTE)
    assert (meeting.title, meeting.date, meeting.team, meeting.format) == (
        "Pricing council",
        dt.date(2026, 10, 2),
        "sales",
        "markdown",
    )
    assert [(t.speaker, t.start_line) for t in meeting.turns] == [("Dana", 7), ("Tom (Engineering)", 9)]
    assert meeting.speaker_teams == {"Dana": "sales", "Tom (Engineering)": "engineering"}


def test_the_roster_resolves_speakers_by_full_or_unambiguous_first_name():
    data = b"Dana: We heard about pricing.\nTom: The engine is late.\nSam: Agreed.\n"
    roster = {"Dana Whitfield": "sales", "Tom Becker": "engineering", "Sam Ortiz": "product", "Sam Lee": "design"}
    meeting = read(data, "standup.txt", roster=roster)
    assert meeting.speaker_teams == {"Dana": "sales", "Tom": "engineering", "Sam": "unknown"}  # two Sams


def test_the_same_path_is_the_same_meeting_and_any_change_is_a_new_version():
    first, again = read(NOTE), read(NOTE)
    assert first.meeting_id == again.meeting_id == meeting_id_for("notes/pricing.md", "pricing")
    assert first.content_hash == again.content_hash
    assert read(NOTE + b"\nDana: One more thing.\n").content_hash != first.content_hash
    assert read(NOTE, team="engineering").content_hash != first.content_hash  # options are part of it
    elsewhere = read(NOTE, "archive/pricing.md")
    assert elsewhere.meeting_id != first.meeting_id and elsewhere.content_hash != first.content_hash
    assert content_hash(NOTE, ReadOptions(), first.meeting_id) == first.content_hash


def test_options_win_over_front_matter():
    meeting = read(NOTE, title="Renamed", date=dt.date(2026, 1, 5), team="design")
    assert (meeting.title, meeting.date, meeting.team) == ("Renamed", dt.date(2026, 1, 5), "design")


@pytest.mark.parametrize(
    "text, fmt",
    [
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n", "vtt"),
        ('  [{"speaker": "Ana", "text": "Hi"}]', "json"),
        ("1\n00:00:01,000 --> 00:00:02,000\nHi\n", "srt"),
        ("Ana: Hi there.\n", "markdown"),
        ("1 thing we learned\n", "markdown"),
    ],
)
def test_standard_input_is_sniffed(text, fmt):
    assert sniff_format(text) == fmt


def test_standard_input_reads_in_its_sniffed_format_and_takes_its_id_from_the_title():
    data = json.dumps([{"speaker": "Ana", "text": "Customers want Slack."}]).encode()
    meeting = read_meeting(data, "<stdin>", ReadOptions(title="Call with Keller"), fmt="sniff", mtime=0.0)
    assert meeting.format == "json" and meeting.turns[0].speaker == "Ana"
    assert meeting.meeting_id.startswith("call-with-keller-")


def test_errors_name_the_file_and_what_to_do():
    with pytest.raises(InputError, match=r"notes/x\.pptx.*unsupported file type '\.pptx'"):
        read(b"x", "notes/x.pptx")
    with pytest.raises(InputError, match=r"notes/x\.pdf.*not a PDF file"):
        read(b"x", "notes/x.pdf")
    with pytest.raises(InputError, match="not a date"):
        read(b"---\ndate: someday\n---\nAna: Hi.\n")
    with pytest.raises(InputError, match="is not a function synth knows"):
        read(b"---\nteam: astrology\n---\nAna: Hi.\n")


def test_a_product_name_as_the_meeting_team_is_a_warning_not_a_lost_meeting():
    from pathlib import Path

    path = Path(__file__).parent / "data" / "product-as-team.md"
    warnings: list[str] = []
    meeting = read_meeting(path.read_bytes(), str(path), ReadOptions(), warnings=warnings)
    assert meeting.team is None and meeting.turns[0].speaker == "Ana"
    assert len(warnings) == 1 and "'Dockslot' is not a function synth knows" in warnings[0] and str(path) in warnings[0]


def test_json_turns_cite_their_own_lines_whatever_escapes_they_use():
    # the same words written with \/, upper-case \u00E9 and a surrogate pair: the old reader
    # looked for json.dumps(text) in the file, found none of them and cited line 1 for every turn
    data = (
        b'{"title": "Escapes",\n "turns": [\n'
        b'  {"speaker": "Ana", "text": "and\\/or"},\n'
        b'  {"speaker": "Bo", "text": "caf\\u00E9 prices"},\n\n'
        b'  {"speaker": "Cy", "text": "a smile \\ud83d\\ude00 and\\nmore"},\n'
        b'  {"speaker": "Di", "text": "caf\\u00e9 prices"}\n]}\n'
    )
    meeting = read(data, "notes/escapes.json")
    assert [(t.speaker, t.text, t.start_line) for t in meeting.turns] == [
        ("Ana", "and/or", 3),
        ("Bo", "café prices", 4),
        ("Cy", "a smile \U0001f600 and more", 6),
        ("Di", "café prices", 7),
    ]
