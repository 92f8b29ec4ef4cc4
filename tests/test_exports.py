"""The exports teams already have: PDF, HTML, note-taker JSON, zip folders, Teams/Meet files and
Markdown conventions. Each sample of tests/data/exports/ reads to the speakers, turns and dates
it holds, and every citation (file:line, file.pdf:p3:12, export.zip!/member:line) opens on text
that holds the words cited. No store and no model: the ingest tests use the in-memory fakes."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from fakes import memory_synth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.app import Synth
from synth.citations import ARCHIVE_SEPARATOR, cite, page_of
from synth.errors import InputError
from synth.models import Meeting
from synth.readers import ReadOptions, read_meeting
from synth.readers.archive import MAX_RATIO, list_members, read_member
from synth.readers.html import html_text
from synth.readers.pdf import pdf_page_lines
from synth.render import hits_text, to_json
from tests import exportkit

EXPORTS = Path(__file__).parent / "data" / "exports"
BAD = EXPORTS / "bad"


def read(path: Path, warnings: list[str] | None = None) -> Meeting:
    return read_meeting(path.read_bytes(), str(path), ReadOptions(), mtime=0.0, warnings=warnings)


def source_bytes(source: str) -> tuple[bytes, str]:
    """The bytes a source names, and the file name that says its format (a zip member's own)."""
    archive, separator, member = source.partition(ARCHIVE_SEPARATOR)
    if separator:
        with zipfile.ZipFile(archive) as opened:
            return opened.read(member), member
    return Path(source).read_bytes(), source


def cited_text(source: str, start: int, end: int) -> str:
    """What a citation points at, as a person opening the file would find it."""
    data, name = source_bytes(source)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".pdf":
        pages = pdf_page_lines(data, source)
        (first_page, first), (last_page, last) = page_of(source, start), page_of(source, end)
        assert first_page is not None and last_page is not None, (source, start, end)
        lines = []
        for page in range(first_page, last_page + 1):
            page_lines = pages[page - 1]
            low = first if page == first_page else 1
            high = last if page == last_page else len(page_lines)
            assert 1 <= low <= high <= len(page_lines), (source, page, low, high)
            lines.extend(page_lines[low - 1 : high])
    elif suffix in (".html", ".htm"):
        lines = html_text(data, source).splitlines()[start - 1 : end]
    elif suffix == ".docx":
        import io

        import docx

        lines = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs][start - 1 : end]
    else:
        lines = data.decode("utf-8").splitlines()[start - 1 : end]
    assert lines, (source, start, end)
    return " ".join(" ".join(lines).split())


def holds(cited: str, words: str) -> bool:
    """Whether cited text holds the words: all of them, or (a turn merged from several JSON
    sentences, each its own string in the file) each of its sentences."""
    words = " ".join(words.split())
    return words in cited or all(part in cited for part in re.split(r"(?<=[.?!]) ", words))


# --- each sample --------------------------------------------------------------------------------

SAMPLES = {
    # file: (format, title, date, speakers, turns, attendees)
    "fireflies-pricing-sync.pdf": (
        "pdf-transcript",
        "Pricing sync - Pro tier",
        "2026-03-12",
        {"Dana Whitfield", "Sam Ortiz", "Priya Raman", "Lena Brooks"},
        12,
        4,
    ),
    "google-docs-onboarding-review.pdf": ("pdf", "Onboarding review", "2026-03-10", {"Marco", "Lena"}, 12, 3),
    "notion-roadmap-review.html": ("html", "Roadmap review", "2026-03-13", {"Omar", "Priya", "Dana"}, 10, 3),
    "confluence-release-planning.html": (
        "html",
        "Release planning 2026-03-18",
        "2026-03-18",
        {"Dana Whitfield"},
        11,
        3,
    ),
    "google-docs-support-sync.html": (
        "html",
        "Support sync 2026-03-11",
        "2026-03-11",
        {"Marco Feld", "Priya Raman"},
        7,
        0,
    ),
    "fireflies-pricing-sync.json": (
        "fireflies",
        "Pricing sync - Pro tier",
        "2026-03-12",
        {"Dana Whitfield", "Sam Ortiz", "Priya Raman", "Lena Brooks"},
        6,
        4,
    ),
    "fireflies-pricing-sync-export.txt": (
        "fireflies",
        "Pricing sync - Pro tier",
        "2026-03-12",
        {"Dana Whitfield", "Sam Ortiz", "Priya Raman", "Lena Brooks"},
        6,
        4,
    ),
    "gong-keller-renewal.json": ("gong", "Keller Logistics renewal", "2026-03-16", {"Sam Ortiz", "Ruth Keller"}, 3, 2),
    "teams-standup.vtt": ("vtt", "Teams standup", "1970-01-01", {"Priya Raman", "Marco Feld"}, 3, 0),
    "zoom-cloud-recording.vtt": ("vtt", "Zoom cloud recording", "1970-01-01", {"Ruth Keller", "Sam Ortiz"}, 3, 0),
    "teams-design-review.docx": (
        "docx",
        "Design review - reporting",
        "2026-03-17",
        {"Lena Brooks", "Omar Haddad", "Priya Raman"},
        5,
        0,
    ),
    "granola-customer-call.md": (
        "markdown",
        "Call with Brightwater - SAP export",
        "1970-01-01",
        {"Sam Ortiz", "Ruth Keller"},
        11,
        0,
    ),
    "obsidian-research-synthesis.md": (
        "markdown",
        "Research synthesis - reporting",
        "2026-03-19",
        {"Lena Brooks", "Omar"},
        4,
        2,
    ),
    "logseq-growth-sync.md": ("markdown", "Growth sync", "2026-03-16", {"Sam", "Lena", "Dana"}, 4, 3),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_reads_to_its_speakers_turns_and_date(name):
    fmt, title, date, speakers, turns, attendees = SAMPLES[name]
    meeting = read(EXPORTS / name)
    assert (meeting.format, meeting.title, meeting.date.isoformat()) == (fmt, title, date)
    assert {t.speaker for t in meeting.turns if t.speaker} == speakers
    assert len(meeting.turns) == turns and len(meeting.attendees) == attendees
    for turn in meeting.turns:
        assert holds(cited_text(meeting.source, turn.start_line, turn.end_line), turn.text.rstrip(":")), turn


def test_every_sample_is_checked():
    on_disk = {p.name for p in EXPORTS.iterdir() if p.is_file() and p.suffix != ".zip"}
    assert on_disk == set(SAMPLES)


def test_pdf_citations_name_page_and_line_and_leave_out_running_footers():
    meeting = read(EXPORTS / "fireflies-pricing-sync.pdf")
    assert not any("Fireflies.ai" in t.text for t in meeting.turns)  # the "Page 1 of 2" footer
    # Lena's turn runs over the page break: two turns of hers, one on each page, same start time
    lena = [t for t in meeting.turns if t.speaker == "Lena Brooks"][:2]
    assert [cite(meeting.source, t.start_line, t.end_line).split(":")[-2] for t in lena] == ["p1", "p2"]
    assert lena[0].start_time == lena[1].start_time == 132.0
    decision = next(t for t in meeting.turns if t.text.startswith("Decision then"))
    assert cite(meeting.source, decision.start_line, decision.end_line) == f"{meeting.source}:p2:9-10"
    # JSON shows the page and the lines on it; text shows file.pdf:p2:9-10
    shown = json.loads(
        to_json({"source": meeting.source, "start_line": decision.start_line, "end_line": decision.end_line})
    )
    assert shown == {"source": meeting.source, "page": 2, "start_line": 9, "end_line": 10}


def test_html_keeps_structure_and_drops_scripts_navigation_and_footer():
    text = html_text((EXPORTS / "confluence-release-planning.html").read_bytes(), "x.html")
    assert "## Discussion items" in text and "Release 4.2 scope | Priya Raman |" in text and "- Dana Whitfield" in text
    for chrome in ("AJS.toInit", "Meeting notes", "Document generated by Confluence", "last modified on"):
        assert chrome not in text
    notion = read(EXPORTS / "notion-roadmap-review.html")
    assert not any("page-title" in t.text or "@March" in t.text for t in notion.turns)  # properties are metadata


def test_html_reads_its_declared_charset_and_utf8_without_one():
    declared = '<html><head><meta charset="windows-1252"></head><body><p>Zoë: Café prices rise.</p></body></html>'
    meeting = read_meeting(declared.encode("cp1252"), "old.html", ReadOptions(), mtime=0.0)
    assert (meeting.turns[0].speaker, meeting.turns[0].text) == ("Zoë", "Café prices rise.")
    bare = "<html><body><p>Zoë: Café prices rise.</p></body></html>".encode()
    assert read_meeting(bare, "new.html", ReadOptions(), mtime=0.0).turns[0].text == "Café prices rise."


def test_logseq_and_obsidian_conventions():
    logseq = read(EXPORTS / "logseq-growth-sync.md")
    assert logseq.attendees == ["Sam Ortiz", "Lena Brooks", "Dana Whitfield"]  # [[links]] read as names
    assert not any("::" in t.text for t in logseq.turns)  # properties are metadata, not turns
    assert any("[[onboarding checklist]]" in t.text for t in logseq.turns)  # links in text stay as written
    obsidian = read(EXPORTS / "obsidian-research-synthesis.md")
    assert obsidian.turns[2].speaker == "Lena Brooks" and obsidian.turns[0].speaker is None  # "Links:" is no one


def test_a_txt_holding_a_fireflies_export_and_standard_input_are_read_by_content():
    data = (EXPORTS / "fireflies-pricing-sync-export.txt").read_bytes()
    piped = read_meeting(data, "<stdin>", ReadOptions(), fmt="sniff", mtime=0.0)
    assert piped.format == "fireflies" and piped.turns[0].speaker == "Dana Whitfield"
    pdf = (EXPORTS / "google-docs-onboarding-review.pdf").read_bytes()
    assert read_meeting(pdf, "scan-copy.txt", ReadOptions(), mtime=0.0).format == "pdf"
    page = exportkit.turns_html([("Dana Whitfield", "We ship on Friday.")])
    assert read_meeting(page, "saved.md", ReadOptions(), mtime=0.0).turns[0].speaker == "Dana Whitfield"


BAD_FILES = {
    "truncated.pdf": "is not a readable PDF",
    "encrypted.pdf": "is encrypted (password-protected)",
    "scanned.pdf": "has no text layer (scanned?)",
    "no-body.html": "has no text in its <body>",
    "fireflies-missing-text.json": 'sentence 1 of the Fireflies transcript has no "text"',
    "malformed.json": "is not valid JSON",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_file_gets_one_clear_line_naming_it(name):
    with pytest.raises(InputError) as caught:
        read(BAD / name)
    message = str(caught.value)
    assert message.startswith(str(BAD / name)) and BAD_FILES[name] in message and "\n" not in message


def test_a_pdf_with_some_scanned_pages_warns_about_them():
    good = exportkit.pdf_bytes([["Dana: We keep the free tier at five seats."], [], ["Sam: Agreed."]])
    warnings: list[str] = []
    meeting = read_meeting(good, "mixed.pdf", ReadOptions(), mtime=0.0, warnings=warnings)
    assert [t.speaker for t in meeting.turns] == ["Dana", "Sam"]
    assert warnings == ["mixed.pdf: page 2 have no text layer (scanned?)"]


def test_a_pdf_locked_only_against_printing_reads_without_a_password():
    locked = exportkit.pdf_bytes([["Dana: Pricing moves to seats."]], owner_password="owner-only")
    assert read_meeting(locked, "locked.pdf", ReadOptions(), mtime=0.0).turns[0].text == "Pricing moves to seats."


def test_a_fireflies_reply_with_several_transcripts_is_refused_with_what_to_do():
    one = json.loads((EXPORTS / "fireflies-pricing-sync.json").read_text())["data"]["transcript"]
    reply = json.dumps({"data": {"transcripts": [one, one]}}).encode()
    with pytest.raises(InputError, match="holding 2 transcripts; synth reads one transcript per file"):
        read_meeting(reply, "all.json", ReadOptions(), mtime=0.0)


def test_a_gong_reply_with_several_calls_is_refused_with_what_to_do():
    reply = json.loads((EXPORTS / "gong-keller-renewal.json").read_text())
    reply["callTranscripts"].append(dict(reply["callTranscripts"][0], callId="2"))
    with pytest.raises(InputError, match="with 2 calls; synth reads one call per file"):
        read_meeting(json.dumps(reply).encode(), "gong.json", ReadOptions(), mtime=0.0)


# --- zip exports --------------------------------------------------------------------------------


def test_zip_members_are_listed_like_a_folder():
    members = list_members(EXPORTS / "notion-workspace.zip", "notion-workspace.zip")
    assert [m.name for m in members] == [
        "Acme Product/Weekly sync 2026-03-09 4f1c2a9e.html",
        "Acme Product/Design crit 2026-03-11 9b2e71d0.md",
        "Acme Product/Design crit 2026-03-11 9b2e71d0/empty-state.png",
        "Acme Product/Archive/old-notes.pages",
    ]


def test_zip_bomb_and_corrupt_zip_are_refused_naming_the_archive(tmp_path):
    with pytest.raises(InputError, match=rf"bomb\.zip: member 'notes.md' expands \d+ times \(more than {MAX_RATIO}\)"):
        list_members(BAD / "bomb.zip", str(BAD / "bomb.zip"))
    with pytest.raises(InputError, match=r"corrupt\.zip: is not a readable zip archive"):
        list_members(BAD / "corrupt.zip", str(BAD / "corrupt.zip"))
    # a .docx is a zip too: the same limits apply before python-docx unpacks it
    bomb_docx = tmp_path / "bomb.docx"
    bomb_docx.write_bytes((BAD / "bomb.zip").read_bytes())
    with pytest.raises(InputError, match=r"bomb\.docx: member 'notes.md' expands"):
        read(bomb_docx)


def test_a_member_that_climbs_out_of_the_archive_is_not_listed(tmp_path):
    archive = tmp_path / "evil.zip"
    archive.write_bytes(exportkit.zip_bytes({"../../etc/passwd.md": b"x", "/abs.md": b"y", "ok/notes.md": b"Ana: hi"}))
    assert [m.name for m in list_members(archive, str(archive))] == ["ok/notes.md"]
    assert read_member(archive, "ok/notes.md", f"{archive}!/ok/notes.md") == b"Ana: hi"


# --- ingest, end to end on the fakes ---------------------------------------------------------------


@pytest.fixture
def synth(tmp_path: Path, monkeypatch) -> Synth:
    return memory_synth(tmp_path, monkeypatch)


def test_ingesting_the_exports_cites_every_insight_where_its_quote_is(synth):
    report = synth.ingest([str(EXPORTS)])
    # 13 samples + the zip's two meetings; its picture and .pages file are ignored; bad/ fails line by line
    assert (report.meetings, report.failed) == (len(SAMPLES) + 2, len(BAD_FILES) + 2)
    assert report.ignored == 2 and sum("old-notes.pages: ignored" in w for w in report.warnings) == 1
    assert all(e.startswith(str(BAD)) for e in report.errors) and len(report.errors) == report.failed
    sources = {r.source for r in synth.meetings()}
    assert f"{EXPORTS}/notion-workspace.zip!/Acme Product/Design crit 2026-03-11 9b2e71d0.md" in sources
    insights = synth.insights()
    assert {i.source for i in insights} >= {
        str(EXPORTS / "fireflies-pricing-sync.pdf"),
        str(EXPORTS / "gong-keller-renewal.json"),
    }
    for insight in insights:
        assert holds(cited_text(insight.source, insight.start_line, insight.end_line), insight.quote), insight
    again = synth.ingest([str(EXPORTS)])
    assert (again.meetings, again.unchanged) == (0, len(SAMPLES) + 2)  # members too are unchanged by hash


def test_search_shows_pdf_pages_and_zip_members_as_a_person_follows_them(synth):
    synth.ingest([str(EXPORTS / "fireflies-pricing-sync.pdf"), str(EXPORTS / "notion-workspace.zip")])
    hits = synth.search("decision per-seat pricing 18 dollars SSO add-on")
    pdf_hit = next(h for h in hits if h.source.endswith(".pdf"))
    assert f"{pdf_hit.source}:p" in hits_text(hits, "q", 2)
    shown = json.loads(to_json(pdf_hit))
    assert shown["page"] in (1, 2) and shown["start_line"] < 100 and shown["end_line"] < 100
    assert holds(
        cited_text(pdf_hit.source, pdf_hit.start_line, pdf_hit.end_line), pdf_hit.text.split("\n")[0].split(": ", 1)[-1]
    )
    audit = synth.search("audit logs enterprise prospects")
    assert any("notion-workspace.zip!/Acme Product/Weekly sync" in h.source for h in audit)


# --- property tests: a writer turns any turns into each format; the reader gives them back ------

NAMES = ["Dana Whitfield", "Sam Ortiz", "Priya Raman", "Ruth Keller", "Omar Haddad"]
LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.'?!()-éüñÅ"
WORD = st.text(alphabet=LATIN, min_size=1, max_size=12)
TEXT = st.lists(WORD, min_size=1, max_size=30).map(" ".join)
TURNS = st.lists(st.tuples(st.sampled_from(NAMES), TEXT), min_size=1, max_size=8)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def merged(turns) -> list[tuple[str | None, str]]:
    """Consecutive turns of one speaker as one (exports merge them; a page break splits them)."""
    out: list[tuple[str | None, str]] = []
    for speaker, text in turns:
        text = " ".join(text.split())
        if out and out[-1][0] == speaker:
            out[-1] = (speaker, f"{out[-1][1]} {text}")
        else:
            out.append((speaker, text))
    return out


def read_back(data: bytes, name: str) -> list[tuple[str | None, str]]:
    meeting = read_meeting(data, name, ReadOptions(), mtime=0.0)
    return merged([(t.speaker, t.text) for t in meeting.turns])


@PROPERTY
@given(turns=st.lists(st.tuples(st.sampled_from(NAMES), TEXT), min_size=2, max_size=8), per_page=st.integers(8, 30))
def test_pdf_transcripts_read_back_to_the_same_turns(turns, per_page):
    """(Two turns at least: one "Name  00:00:01" line alone does not make a transcript.)"""
    stamped = [(s, f"00:{i // 60:02d}:{i % 60:02d}", t) for i, (s, t) in enumerate(turns)]
    pages = exportkit.transcript_pages([], stamped, per_page=per_page, footer="Page {n} of {total}")
    assert read_back(exportkit.pdf_bytes(pages), "t.pdf") == merged(turns)


@PROPERTY
@given(turns=TURNS)
def test_html_pages_read_back_to_the_same_turns(turns):
    assert read_back(exportkit.turns_html(turns), "t.html") == merged(turns)


@PROPERTY
@given(turns=TURNS)
def test_fireflies_exports_read_back_to_the_same_turns(turns):
    sentences = [(s, float(i), float(i) + 0.5, t) for i, (s, t) in enumerate(turns)]
    data = exportkit.fireflies_json("Sync", 1773327600000, [], sentences)
    assert read_back(data.encode(), "t.json") == merged(turns)
    assert read_back(data.encode(), "t.txt") == merged(turns)


@PROPERTY
@given(turns=TURNS)
def test_gong_transcripts_read_back_to_the_same_turns(turns):
    parties = [(str(1000 + i), name, "Internal") for i, name in enumerate(NAMES)]
    ids = {name: sid for sid, name, _ in parties}
    monologues = [(ids[s], "Topic", [(i * 1000, i * 1000 + 900, t)]) for i, (s, t) in enumerate(turns)]
    data = exportkit.gong_json("1", "Call", "2026-03-16T16:00:00Z", parties, monologues)
    assert read_back(data.encode(), "t.json") == merged(turns)


@PROPERTY
@given(turns=TURNS)
def test_zip_members_read_back_to_the_same_turns(turns, tmp_path_factory):
    folder = tmp_path_factory.mktemp("zip")
    archive = folder / "export.zip"
    notes = "\n\n".join(f"{s}: {t}" for s, t in turns).encode()
    archive.write_bytes(exportkit.zip_bytes({"team/notes.md": notes, "team/page.html": exportkit.turns_html(turns)}))
    for member in list_members(archive, str(archive)):
        data = read_member(archive, member.name, member.source(str(archive)))
        assert read_back(data, member.source(str(archive))) == merged(turns)


def teams_vtt(turns) -> bytes:
    """Teams' WebVTT: a cue id, the timing, then `<v Name>words</v>`."""
    cues = [
        f"a1b2c3d4-0000-4000-8000-{i:012d}/{i}-0\n"
        f"00:{i // 60:02d}:{i % 60:02d}.000 --> 00:{i // 60:02d}:{i % 60:02d}.900\n<v {speaker}>{text}</v>"
        for i, (speaker, text) in enumerate(turns)
    ]
    return ("WEBVTT\n\n" + "\n\n".join(cues) + "\n").encode()


def teams_docx(turns) -> bytes:
    import io

    import docx

    document = docx.Document()
    for i, (speaker, text) in enumerate(turns):
        document.add_paragraph(f"{speaker}   {i // 60}:{i % 60:02d}")
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@PROPERTY
@given(turns=TURNS)
def test_teams_vtt_reads_back_to_the_same_turns(turns):
    assert read_back(teams_vtt(turns), "t.vtt") == merged(turns)


@PROPERTY
@given(turns=st.lists(st.tuples(st.sampled_from(NAMES), TEXT), min_size=2, max_size=8))
def test_teams_docx_reads_back_to_the_same_turns(turns):
    assert read_back(teams_docx(turns), "t.docx") == merged(turns)


def test_export_dates_come_from_the_exports_own_fields():
    fireflies = json.loads((EXPORTS / "fireflies-pricing-sync.json").read_text())["data"]["transcript"]
    assert dt.datetime.fromtimestamp(fireflies["date"] / 1000, dt.UTC).date() == dt.date(2026, 3, 12)
    del fireflies["date"]
    fireflies["dateString"] = "2026-02-27T15:00:00.000Z"
    meeting = read_meeting(json.dumps(fireflies).encode(), "ff.json", ReadOptions(), mtime=0.0)
    assert meeting.date == dt.date(2026, 2, 27)


def _words(size: int) -> bytes:
    """Text that compresses about five times, as notes do (a zip bomb's ratio is not needed to hurt)."""
    import random

    rng = random.Random(16)
    vocab = [b"pricing", b"renewal", b"Dana:", b"euro", b"invoice", b"onboarding", b"SSO", b"seat"]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(vocab) + b" "
    return bytes(out[:size])


def test_a_docx_and_a_zip_member_are_refused_by_their_uncompressed_size_before_decompressing(tmp_path, monkeypatch):
    app = memory_synth(tmp_path, monkeypatch, max_file_mb=0.5)
    big = _words(2_000_000)
    (tmp_path / "big.docx").write_bytes(exportkit.zip_bytes({"word/document.xml": big}))
    (tmp_path / "export.zip").write_bytes(exportkit.zip_bytes({"notes/big.md": big, "notes/small.md": b"Ana: hi"}))
    assert (tmp_path / "big.docx").stat().st_size < 500_000  # small on disk: only the expanded size is over
    opened: list[str] = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(str(name)) or real_open(self, name, *a, **k)
    )
    report = app.ingest([str(tmp_path / "big.docx"), str(tmp_path / "export.zip")])
    assert report.meetings == 1 and report.failed == 2
    assert any(
        e.startswith(f"{tmp_path / 'big.docx'}: expands to 2.0 MB uncompressed, more than the limit of 0.5 MB")
        for e in report.errors
    )
    assert any(
        "export.zip!/notes/big.md: is 2.0 MB uncompressed" in e and "SYNTH_MAX_FILE_MB" in e for e in report.errors
    )
    assert not any("big" in name or "document" in name for name in opened)  # refused from the directory alone


def test_standard_input_past_the_limit_is_refused_with_its_name(tmp_path, monkeypatch):
    app = memory_synth(tmp_path, monkeypatch, max_file_mb=0.001)
    report = app.ingest(["-"], stdin=b"Ana: hello\n" * 200)
    assert report.failed == 1 and report.errors[0].startswith("<stdin>: holds more than the limit of 0.001 MB")
