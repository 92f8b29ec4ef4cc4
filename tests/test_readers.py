"""Readers: every format yields turns whose line numbers point at the words they hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from testkit import DATA, EXAMPLES

from synth.errors import InputError
from synth.readers import ReadOptions, read_meeting, sniff_format


def _read(path: Path, **options):
    return read_meeting(path.read_bytes(), str(path), ReadOptions(**options), mtime=path.stat().st_mtime)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def assert_turns_at_their_lines(path: Path, meeting):
    """Every word of every turn is on the lines the turn claims (what makes a citation true)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for turn in meeting.turns:
        cited = " ".join(lines[turn.start_line - 1 : turn.end_line]).lower()
        for word in _words(turn.text)[:12]:
            assert word in cited, (turn, cited)


@pytest.mark.parametrize(
    "name, fmt, speakers",
    [
        ("2026-09-08-product-sync.md", "markdown", {"Sam Ortiz", "Dana Whitfield", "Marcus Lee"}),
        ("2026-09-15-keller-mechanical-discovery.vtt", "vtt", {"Dana Whitfield", "Greg Holt"}),
        ("2026-09-17-engineering-standup.txt", "speaker-export", {"Tom Becker", "Aisha Khan"}),
        ("2026-09-29-marketing-planning.txt", "text", {"Priya Natarajan", "Ruth Alvarez"}),
        ("2026-10-01-northside-onboarding-call.srt", "srt", {"Julia Brandt", "Frank Moreno"}),
        ("2026-10-08-engineering-planning.json", "json", {"Tom Becker", "Aisha Khan"}),
    ],
)
def test_each_format_reads_speakers_and_true_lines(name, fmt, speakers):
    path = EXAMPLES / "meetings" / name
    meeting = _read(path)
    assert meeting.format == fmt
    assert speakers <= {t.speaker for t in meeting.turns}
    assert_turns_at_their_lines(path, meeting)


def test_front_matter_sets_title_date_team_and_attendee_functions():
    meeting = _read(EXAMPLES / "meetings" / "2026-09-10-sales-pipeline-review.md")
    assert meeting.title == "Sales pipeline review"
    assert meeting.date.isoformat() == "2026-09-10"
    assert meeting.team == "sales"
    assert meeting.speaker_teams["Ruth Alvarez"] == "leadership"  # from "Ruth Alvarez (leadership)"
    assert meeting.speaker_teams["Omar Reyes"] == "sales"


def test_date_from_file_name_then_mtime(tmp_path):
    dated = tmp_path / "acme_call_2026-03-04.md"
    dated.write_text("Ana: hello there, this is a call.\n")
    assert _read(dated).date.isoformat() == "2026-03-04"
    undated = tmp_path / "call.md"
    undated.write_text("Ana: hello there, this is a call.\n")
    import datetime as dt

    assert _read(undated).date == dt.date.fromtimestamp(undated.stat().st_mtime)


def test_options_override_and_roster_resolves_first_names(tmp_path):
    path = tmp_path / "n.md"
    path.write_text("---\ntitle: Old\nteam: sales\n---\nDana: we lost the deal.\nGuest (Design): I saw the mock.\n")
    meeting = _read(path, title="New", team="product", roster={"Dana Whitfield": "customer_success"})
    assert meeting.title == "New" and meeting.team == "product"
    assert meeting.speaker_teams == {"Dana": "customer_success", "Guest (Design)": "design"}


def test_vtt_voice_tags_merge_consecutive_cues_of_one_speaker():
    meeting = _read(EXAMPLES / "meetings" / "2026-09-15-keller-mechanical-discovery.vtt")
    greg = [t for t in meeting.turns if t.speaker == "Greg Holt"]
    assert "Okta" in greg[0].text and "spreadsheets" in greg[0].text  # two cues, one turn
    assert greg[0].start_time == pytest.approx(6.8)


def test_docx_paragraphs_are_lines(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Pricing council", level=1)
    document.add_paragraph("Dana (Sales): Three prospects asked for annual billing.")
    document.add_paragraph("Tom (Engineering): Annual billing needs the new invoicing service.")
    path = tmp_path / "council.docx"
    document.save(path)
    meeting = _read(path)
    assert meeting.title == "Pricing council"
    assert [(t.speaker, t.start_line) for t in meeting.turns] == [("Dana (Sales)", 2), ("Tom (Engineering)", 3)]
    assert meeting.speaker_teams["Tom (Engineering)"] == "engineering"


@pytest.mark.parametrize(
    "name, warning",
    [
        ("bom-utf8.md", None),
        ("utf16.txt", None),
        ("cp1252.txt", "cp1252"),
    ],
)
def test_encodings(name, warning):
    warnings: list[str] = []
    path = DATA / "good" / name
    meeting = read_meeting(path.read_bytes(), str(path), ReadOptions(), warnings=warnings)
    assert meeting.turns and meeting.turns[0].speaker == "Ana (Sales)"
    if warning:
        assert len(warnings) == 1 and warning in warnings[0] and name in warnings[0]
        assert "café" in meeting.turns[0].text and "€" in meeting.turns[0].text
    else:
        assert warnings == []


@pytest.mark.parametrize(
    "name, message, line",
    [
        ("empty.md", "is empty", None),
        ("whitespace.txt", "is empty", None),
        ("binary.txt", "binary", None),
        ("image.md", "binary", None),
        ("broken-timestamps.vtt", "broken timestamp", 6),
        ("broken-timestamps.srt", "broken timestamp", 6),
        ("not-vtt.vtt", "not a WebVTT file", 1),
        ("notes.xyz", "unsupported file type", None),
        ("bad-front-matter.md", "front matter is not valid YAML", None),
        ("bad.json", "not valid JSON", 1),
        ("wrong-shape.json", "JSON must be a list", None),
        ("broken.docx", "not a readable .docx", None),
        ("undecodable.txt", "not valid UTF-8, UTF-16 or cp1252", 1),
    ],
)
def test_bad_input_names_the_file_and_what_is_wrong(name, message, line):
    path = DATA / "bad" / name
    with pytest.raises(InputError) as caught:
        _read(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))
    if line is not None:
        assert caught.value.line == line


def test_stdin_format_is_sniffed():
    assert sniff_format("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi") == "vtt"
    assert sniff_format('[{"speaker": "a", "text": "b"}]') == "json"
    assert sniff_format("1\n00:00:01,000 --> 00:00:02,000\nhi") == "srt"
    assert sniff_format("# Notes\n\nAna: hi") == "markdown"
