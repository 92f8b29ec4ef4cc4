"""Every reader under fuzzing: whatever the bytes, the result is a meeting whose turns point at
real lines of the file, or an InputError that names the file. Never another exception."""

from __future__ import annotations

import io
import json
import os
import re
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


def export_json():
    """Documented note-taker shapes (Fireflies, Gong) with any values where the fields go."""
    value = st.one_of(
        st.text(max_size=20), st.integers(), st.floats(), st.none(), st.booleans(), st.lists(st.none(), max_size=1)
    )
    sentence = st.dictionaries(
        st.sampled_from(["speaker_name", "text", "raw_text", "start_time", "end_time", "index"]), value, max_size=5
    )
    fireflies = st.fixed_dictionaries(
        {"sentences": st.one_of(st.lists(sentence, max_size=5), value)},
        optional={
            "title": value,
            "date": value,
            "dateString": value,
            "meeting_attendees": st.lists(
                st.dictionaries(st.sampled_from(["name", "email", "displayName"]), value, max_size=2), max_size=2
            ),
            "participants": st.one_of(value, st.lists(value, max_size=2)),
        },
    )
    wrapped = fireflies.map(lambda t: {"data": {"transcript": t}})
    monologue = st.fixed_dictionaries(
        {},
        optional={
            "speakerId": value,
            "topic": value,
            "sentences": st.one_of(
                value,
                st.lists(st.dictionaries(st.sampled_from(["start", "end", "text"]), value, max_size=3), max_size=3),
            ),
        },
    )
    gong = st.fixed_dictionaries(
        {
            "callTranscripts": st.lists(
                st.fixed_dictionaries(
                    {"callId": value}, optional={"transcript": st.one_of(value, st.lists(monologue, max_size=3))}
                ),
                max_size=2,
            )
        },
        optional={
            "calls": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "metaData": st.dictionaries(st.sampled_from(["id", "title", "started"]), value, max_size=3),
                        "parties": st.lists(
                            st.dictionaries(st.sampled_from(["speakerId", "name"]), value, max_size=2), max_size=3
                        ),
                    },
                ),
                max_size=2,
            )
        },
    )
    return st.one_of(fireflies, wrapped, gong).map(json.dumps).map(str.encode)


@FUZZ
@given(data=export_json())
def test_note_taker_exports(data):
    check(data, "json", ".json")
    check(data, "text", ".txt")  # found by its content in a .txt as well


HTML_FRAGMENTS = [
    "<html>",
    "<body>",
    "</body>",
    "<p>",
    "</p>",
    "<h2>",
    "</h2>",
    "<ul><li>",
    "</li></ul>",
    "<table><tr><td>",
    "</td><td>",
    "</td></tr></table>",
    "<script>",
    "</script>",
    "<nav>",
    "</nav>",
    "<br>",
    "Ana: ",
    "&amp;",
    "&#0;",
    "<!--",
    "-->",
    "<time datetime='2026-13-45'>",
    '<table class="properties"><tr><th>Date</th><td>',
    "<?xml?>",
    "<pre>",
]


def html_lines(data: bytes) -> int:
    from synth.readers.html import html_text

    return len(html_text(data, "fuzzed.html").splitlines())


@FUZZ
@given(data=st.one_of(fuzzed_text(HTML_FRAGMENTS).flatmap(encodings), st.binary(max_size=300)))
def test_html_reader(data):
    source = "fuzzed.html"
    try:
        meeting = read_meeting(data, source, ReadOptions(), identity="/fuzz/x.html", fmt="html", warnings=[])
    except InputError as error:
        assert str(error).startswith(source) and error.reason, error
        return
    lines = html_lines(data)
    assert meeting.turns and all(1 <= t.start_line <= t.end_line <= lines for t in meeting.turns)


def pdf_variants():
    from tests.exportkit import pdf_bytes

    good = pdf_bytes([["Ana  00:00:01", "We ship in April.", "Bo  00:00:05", "Fine."], ["Ana: one more page"]])

    def damage(cut: int, flips: list[tuple[int, int]]) -> bytes:
        data = bytearray(good[: max(cut, 0)] if cut else good)
        for at, byte in flips:
            if data:
                data[at % len(data)] = byte
        return bytes(data)

    return st.one_of(
        st.just(good),
        st.builds(
            damage,
            st.integers(0, len(good)),
            st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
        ),
        st.binary(max_size=300).map(lambda b: b"%PDF-1.4\n" + b),
    )


@FUZZ
@given(data=pdf_variants())
def test_pdf_reader(data):
    from synth.citations import PAGE_LINES

    source = "fuzzed.pdf"
    try:
        meeting = read_meeting(data, source, ReadOptions(), identity="/fuzz/x.pdf", fmt="pdf", warnings=[])
    except InputError as error:
        assert str(error).startswith(source) and error.reason, error
        return
    for turn in meeting.turns:
        assert turn.start_line // PAGE_LINES == turn.end_line // PAGE_LINES >= 1  # one page, numbered from 1
        assert 1 <= turn.start_line % PAGE_LINES <= turn.end_line % PAGE_LINES


def test_every_format_is_fuzzed():
    fuzzed = {"markdown", "text", "vtt", "srt", "json", "docx", "html", "pdf"}
    # a zip is read as a folder of these: tests/test_exports.py fuzzes the archive reader
    assert set(EXTENSIONS.values()) == fuzzed | {"zip"}


# --- whole folders: names, front matter, file types and kinds of files ---------------------------

FRONT_MATTER_LINES = [
    "title: Sync",
    "date: 2026-02-30",
    "date: 0001-01-01",
    "date: 9999-12-31",
    "date: 2026-09-08T25:61:00",
    "date: 1e999",
    "date: [2026, 9]",
    "team: [sales]",
    "team: {a: 1}",
    "attendees: 5",
    "attendees: [{name: [1]}, null, Ana (nowhere)]",
    "title: &a [x, x]",
    "title: *a",
    "title: !!binary aGk=",
    "title: !!set {a, b}",
    "? [complex, key]\n: value",
    "date: !!timestamp 2026-13-01",
    "title: '",
    "\t- x",
]


def front_matter_notes():
    head = st.lists(st.sampled_from(FRONT_MATTER_LINES), max_size=4).map("\n".join)
    body = st.one_of(fuzzed_text(FRAGMENTS["markdown"]), st.just("Ana: We ship in April.\n"))
    return st.builds(lambda h, b: f"---\n{h}\n---\n{b}".encode(), head, body)


NAME_BYTES = st.binary(min_size=1, max_size=10).filter(lambda b: b"/" not in b and b"\0" not in b)
SUFFIXES = st.sampled_from([*EXTENSIONS, ".MD", ".txt.bak", "", ".", ".md.", ".docx"])
ENTRY = st.tuples(
    NAME_BYTES,
    SUFFIXES,
    st.sampled_from(["file", "file", "file", "loop", "dangling", "fifo", "folder", "link-up", "device"]),
    st.one_of(front_matter_notes(), *(as_bytes(f) for f in ("markdown", "json", "vtt", "text")), docx_bytes()),
)


def build_folder(root: bytes, entries: list[tuple[bytes, str, str, bytes]]) -> None:
    for index, (stem, suffix, kind, data) in enumerate(entries):
        name = stem.lstrip(b".") or b"x"
        path = root + b"/" + name + str(index).encode() + suffix.encode()
        if kind == "file":
            with open(path, "wb") as handle:
                handle.write(data)
        elif kind == "loop":
            os.symlink(path, path)
        elif kind == "dangling":
            os.symlink(root + b"/nowhere", path)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "folder":
            os.mkdir(path)
            with open(path + b"/inner.md", "wb") as handle:
                handle.write(data)
        elif kind == "link-up":
            os.symlink(b"..", path)
        else:
            os.symlink(b"/dev/zero", path)


FOLDER_EXAMPLES = int(os.environ.get("SYNTH_FOLDER_FUZZ", 60))  # a longer run: SYNTH_FOLDER_FUZZ=2000


@settings(max_examples=FOLDER_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(ENTRY, min_size=1, max_size=6))
def test_a_fuzzed_folder_is_ingested_file_by_file(entries):
    """Whatever the names, front matter, types and kinds of files in a folder, ingest goes through
    every file: each failure is one line that names its file, the rest are stored."""
    import tempfile

    from fakes import HashEmbedder, MemoryStore

    from synth.ingest import Ingestor, expand_paths
    from synth.models import IngestReport

    with tempfile.TemporaryDirectory() as folder:
        build_folder(os.fsencode(folder), entries)
        report = IngestReport()
        files = expand_paths([folder], report)
        Ingestor(MemoryStore(), HashEmbedder(), ReadOptions(), max_bytes=100_000).ingest(files, report)
        assert report.files == len(files)
        assert report.meetings + report.unchanged + _read_failures(report, files) == len(files), report.errors
        for line in report.errors:
            assert line.startswith(folder), line
            # handled, but by the catch-all of ingest: a failure no reader anticipated
            assert not re.search(r"cannot be read \(\w+(Error|Exception)\b", line), line
            line.encode("utf-8")  # printable: a name that is not UTF-8 is shown as \xNN
        for line in report.warnings:
            line.encode("utf-8")


def _read_failures(report, files) -> int:
    """Failures of the files ingest was handed (the others were found while listing the folder)."""
    sources = [f.source for f in files]
    return sum(any(e.startswith(f"{s}:") for s in sources) for e in report.errors)


# --- issue 16, the reading side: entities, huge lines, whitespace pasted from a word processor ------


def _docx_with_prolog(prolog: str, paragraph: str) -> bytes:
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + prolog + '<w:document xmlns:w="'
        'http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
        + paragraph
        + "</w:t></w:r></w:p></w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", body)
    return buffer.getvalue()


LAUGHS = (
    '<!DOCTYPE w:document [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{k} "' + f"&lol{k - 1};" * 10 + '">' for k in range(2, 10)).replace("lol1;", "lol;")
    + '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
)


@FUZZ
@given(
    prolog=st.sampled_from([LAUGHS, '<!doctype w:document SYSTEM "http://example.invalid/x.dtd">', LAUGHS.lower()]),
    text=st.sampled_from(["Dana: &lol9; after", "Dana: &xxe; after", "Dana: plain"]),
)
def test_a_docx_declaring_entities_is_refused_with_a_line_naming_it(prolog, text):
    with pytest.raises(InputError, match=r"^notes/evil\.docx: part 'word/document\.xml' declares XML entities"):
        read_meeting(_docx_with_prolog(prolog, text), "notes/evil.docx", ReadOptions(), mtime=0.0)


@pytest.mark.parametrize(
    "line",
    [
        b"Dana: " + b"word " * 1_000_000,  # a 5 MB single line
        b"**Dana** " + "\u00a0".encode() * 1_000_000 + b"x",  # non-breaking spaces after a bold label
        b"**Dana:** " + ("\u00a0 " * 500_000).encode() + b"(x",
        b"# " + b" " * 2_000_000 + b"x",  # a heading of spaces
        b"attendees:: " + b"[[a " * 300_000 + b"\nDana: hi",  # a Logseq property of wiki links that never close
        b"- Dana (" + b" " * 2_000_000,  # a label's parenthesis that never closes
    ],
    ids=["words", "nbsp-label", "nbsp-paren", "heading", "wiki", "paren"],
)
def test_a_huge_single_line_is_read_in_one_pass(line):
    # no clock: a super-linear pattern on these lines would take hours, not seconds (tests/test_regex_linear.py
    # counts the steps of every pattern); here the readers must also return the line's words
    meeting = read_meeting(line + b"\nTom: the end", "notes/huge.md", ReadOptions(), mtime=0.0)
    assert meeting.turns[-1].text == "the end" and meeting.turns[-1].start_line == line.count(b"\n") + 2


@FUZZ
@given(
    prolog=st.sampled_from([LAUGHS.replace("w:document", "html"), LAUGHS.lower().replace("w:document", "html")]),
    xml=st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>\n', "\ufeff"]),
)
def test_an_html_page_declaring_entities_is_read_without_them_and_says_so(prolog, xml):
    page = f"{xml}{prolog}<html><body><p>Dana: we &lol9; saw &xxe; churn</p><p>Tom: after</p></body></html>"
    warnings: list[str] = []
    meeting = read_meeting(page.encode(), "notes/evil.html", ReadOptions(), mtime=0.0, warnings=warnings)
    assert [t.text for t in meeting.turns] == ["we &lol9; saw &xxe; churn", "after"]  # nothing expanded, no "]>"
    assert warnings == ["notes/evil.html: its DOCTYPE declares entities; synth expands none of them (left out)"]
