"""Every reader under fuzzing: whatever the bytes, the result is a meeting whose turns point at
real lines of the file, or an InputError that names the file. Never another exception."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.errors import InputError
from synth.models import Meeting
from synth.readers import EXTENSIONS, ReadOptions, read_meeting
from synth.readers.decoding import decode_text

FRAGMENTS = {
    "markdown": [
        "---",
        "title: ",
        "date: 2026-13-45",
        "date: 2026-09-08",
        "team: sales",
        "attendees: [",
        "]",
        "attendees:\n  - Ana (sales)",
        "**Ana:** ",
        "**Bo (engineering):**",
        "# Notes",
        "- ",
        "> ",
        "```",
        "Ana: ",
        ": ",
        "\t",
        "title: [unclosed",
        "{{",
        "date: !!python/object:os.system",
        "&anchor",
        "*alias",
    ],
    "text": ["Ana: ", "Bo (design): ", "Ana  00:01:23", "00:01:23", "Speaker 1  1:02", "\n\n", "::", "Dr. X: "],
    "vtt": [
        "WEBVTT",
        "\n\n",
        "00:00:01.000 --> 00:00:02.000",
        "00:00:99.000 --> 00:00:01.000",
        "-->",
        "<v Ana>",
        "</v>",
        "<v>",
        "NOTE ",
        "1",
        "00:01.000 --> 00:02.000",
        "<c.yellow>",
        "&amp;",
        "<b>",
    ],
    "srt": [
        "1",
        "\n\n",
        "00:00:01,000 --> 00:00:02,000",
        "00:00:01,000 -->",
        "99:99:99,999 --> 00:00:00,000",
        "Ana: ",
        "<i>",
        "</i>",
        "{\\an8}",
        "-1",
        "0",
    ],
    "json": [
        "[",
        "]",
        "{",
        "}",
        '"speaker": "Ana"',
        '"text": "hello"',
        '"start": 1.5',
        '"start": "x"',
        ",",
        '"turns": ',
        "null",
        '"meeting": {"title": 3}',
        '"text": null',
        "1e999",
        '"\\ud800"',
        '"speaker": []',
    ],
}


def fuzzed_text(fragments: list[str]):
    pieces = st.one_of(st.sampled_from(fragments), st.text(max_size=30), st.sampled_from(["\n", "\r\n", " "]))
    return st.lists(pieces, max_size=60).map("".join)


def encodings(text: str):
    return st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]).map(
        lambda name: text.encode(name, errors="replace")
    )


def clock(seconds: float, separator: str) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}{separator}{int(seconds * 1000) % 1000:03d}"


def timing(separator: str):
    """Mostly a valid start --> end, sometimes one that ends first, sometimes garbage."""
    good = st.builds(
        lambda start, length: f"{clock(start, separator)} --> {clock(start + length, separator)}",
        st.floats(0, 20000),
        st.floats(0, 30),
    )
    backwards = st.builds(
        lambda start: f"{clock(start + 5, separator)} --> {clock(start, separator)}", st.floats(0, 99)
    )
    broken = st.text(max_size=25)
    return st.integers(0, 19).flatmap(lambda n: broken if n == 0 else backwards if n == 1 else good)


PRINTABLE = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)


def cues(separator: str, voice: bool):
    tags = ["<v Ana>", "<v Bo (sales)>", "</v>", "Ana: ", "- ", "<i>", "</i>"] if voice else ["Ana: ", "<i>", "</i>"]
    line = st.lists(st.one_of(st.sampled_from(tags), PRINTABLE), min_size=1, max_size=4).map("".join)
    cue = st.builds(
        lambda n, when, lines: f"{n}\n{when}\n" + "\n".join(lines),
        st.one_of(st.integers(-1, 99).map(str), st.just("")),
        timing(separator),
        st.lists(line, max_size=3),
    )
    return st.lists(cue, max_size=8).map("\n\n".join)


def turn_lists():
    value = st.one_of(
        st.text(max_size=20),
        st.integers(),
        st.floats(allow_nan=True),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
    )
    turn = st.dictionaries(st.sampled_from(["speaker", "text", "start", "end", "name", "words"]), value, max_size=4)
    listing = st.lists(turn, max_size=6)
    return st.one_of(listing, st.fixed_dictionaries({"turns": listing}), st.fixed_dictionaries({"meeting": value})).map(
        json.dumps
    )


def as_bytes(fmt: str):
    texts = [fuzzed_text(FRAGMENTS[fmt])]
    if fmt == "vtt":
        texts.append(cues(".", voice=True).map(lambda body: "WEBVTT\n\n" + body))
    elif fmt == "srt":
        texts.append(cues(",", voice=False))
    elif fmt == "json":
        texts.append(turn_lists())
    structured = st.one_of(*texts).flatmap(encodings)
    return st.one_of(structured, st.binary(max_size=400))


def docx_bytes():
    body = fuzzed_text(
        [
            "<w:p>",
            "</w:p>",
            "<w:r><w:t>",
            "</w:t></w:r>",
            "Ana: ",
            "<w:body>",
            "</w:body>",
            "&",
            "<",
            '<w:pStyle w:val="Title"/>',
            "<w:br/>",
        ]
    )

    def zipped(xml: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(
                "word/document.xml",
                '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                f'wordprocessingml/2006/main"><w:body>{xml}</w:body></w:document>',
            )
        return buffer.getvalue()

    return st.one_of(body.map(zipped), st.binary(max_size=300))


def check(data: bytes, fmt: str, extension: str) -> None:
    source = f"fuzzed{extension}"
    try:
        meeting = read_meeting(data, source, ReadOptions(), identity=f"/fuzz/{source}", fmt=fmt, warnings=[])
    except InputError as error:
        assert str(error).startswith(source) and error.reason, error
        return
    assert isinstance(meeting, Meeting) and meeting.turns
    if fmt != "docx":
        lines = decode_text(data, source)[0].splitlines()
        for turn in meeting.turns:
            assert 1 <= turn.start_line <= turn.end_line <= max(len(lines), 1), (turn, len(lines))


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    "fmt, extension", [("markdown", ".md"), ("text", ".txt"), ("vtt", ".vtt"), ("srt", ".srt"), ("json", ".json")]
)
@FUZZ
@given(data=st.data())
def test_text_readers(fmt, extension, data):
    check(data.draw(as_bytes(fmt)), fmt, extension)


@FUZZ
@given(data=st.one_of(st.just(json.dumps([{"speaker": "Ana", "text": "x" * 5}]).encode()), docx_bytes()))
def test_docx_reader(data):
    check(data, "docx", ".docx")


@FUZZ
@given(data=st.one_of(*(as_bytes(f) for f in ("markdown", "vtt", "srt", "json", "text"))))
def test_standard_input_sniffing(data):
    check(data, "sniff", "")


def test_every_format_is_fuzzed():
    assert set(EXTENSIONS.values()) == {"markdown", "text", "vtt", "srt", "json", "docx"}
