"""Hostile names and links from notes reach no output live (issue 16): a file name with a newline
cannot forge a line, and an image, raw HTML or a javascript: link in a note is inert in the
Markdown brief (and so in MCP's brief), the HTML brief and the Slack post."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fakes import memory_synth

from synth.app import Synth
from synth.brief.model import Brief, Cite, DecisionDetails, Fact, Section
from synth.brief.render import to_html, to_markdown
from synth.deliver import brief_messages
from synth.render import hits_text, report_text
from synth.text import escaped_name, inert_markdown

HOSTILE = (
    "Pixel ![seen](http://tracker.example/p.gif) then <img src=x onerror=alert(1)> and "
    "[click](javascript:alert(1)) [d](data:text/html;base64,PHNjcmlwdD4=) [v](vbscript:msgbox) "
    "<http://auto.example/> <script>alert(2)</script> [ref]: javascript:alert(3) \\[already]"
)


def hostile_brief(source: str = "notes/a\\nb.md") -> Brief:
    cite = Cite(
        meeting_id="m1",
        title="Sync ![t](http://t.example/t.gif)",
        date="2026-10-06",
        source=source,
        start_line=3,
        end_line=4,
    )
    fact = Fact(
        id="D1",
        section="decisions",
        text=HOSTILE,
        who="Ana",
        date="2026-10-06",
        details=DecisionDetails(),
        cites=[cite],
    )
    section = Section(key="decisions", title="Decisions", empty="No decision.", facts=[fact], prose=HOSTILE)
    return Brief(
        audience="engineering",
        period="since 2026-10-06",
        since="2026-10-06",
        until="2026-10-20",
        meetings=[],
        meetings_stored=1,
        sections=[section],
        agenda=[],
        questions=[],
    )


# what a CommonMark reader would make live: an unescaped [ or < (images, links, HTML, autolinks)
LIVE_MARKDOWN = re.compile(r"(?<!\\)(?:\\\\)*[\[<]")


def test_the_markdown_brief_keeps_every_word_of_a_note_but_nothing_live():
    markdown = to_markdown(hostile_brief())
    body = markdown.replace("**[D1]**", "")  # synth's own fact label
    assert not LIVE_MARKDOWN.search(body), LIVE_MARKDOWN.search(body)
    for words in (
        "Pixel",
        "http://tracker.example/p.gif",
        "javascript:alert(1)",
        "onerror=alert(1)",
        "vbscript:msgbox",
    ):
        assert words in markdown
    assert "notes/a\\\\nb.md:3-4" in markdown  # the escaped name, its backslash escaped for Markdown


@pytest.mark.parametrize(
    "text, shown",
    [
        ("![x](http://t/p.gif)", "!\\[x\\](http://t/p.gif)"),
        ("<img src=x>", "\\<img src=x>"),
        ("[a](javascript:alert(1))", "\\[a\\](javascript:alert(1))"),
        ("<http://a>", "\\<http://a>"),
        ("\\[x]", "\\\\\\[x\\]"),
        ("plain words, 5 > 3", "plain words, 5 > 3"),
        ("\x1b[31mred", "red"),
        ("open 30 days [R1], see [D12].", "open 30 days [R1], see [D12]."),  # the brief's own fact references
        ("[R1](javascript:x) [R1]: data:x [R1][y]", "\\[R1\\](javascript:x) \\[R1\\]: data:x \\[R1\\]\\[y\\]"),
    ],
)
def test_inert_markdown_escapes_only_what_makes_markdown_live(text, shown):
    assert inert_markdown(text) == shown


def test_the_html_brief_and_the_slack_post_carry_no_live_markup():
    page = to_html(hostile_brief())
    assert "<img" not in page and "<script>" not in page and "href" not in page
    assert "![seen](http://tracker.example/p.gif)" in page.replace("&lt;", "<").replace("&gt;", ">")
    for message in brief_messages(hostile_brief()):
        assert message["unfurl_links"] is False and message["unfurl_media"] is False
        text = str(message["blocks"])
        assert "<img" not in text and "<http" not in text and "<script" not in text


@pytest.mark.parametrize(
    "name, shown",
    [
        ("a\nb.md", "a\\nb.md"),
        ("a\rb\tc.md", "a\\rb\\tc.md"),
        ("x\x1b[2Jy.md", "x\\x1b[2Jy.md"),
        ("cost\u202egpj.md", "cost\\u202egpj.md"),
        ("line\u2028sep.md", "line\\u2028sep.md"),
        ("back\\slash and é.md", "back\\slash and é.md"),
    ],
)
def test_a_file_name_shows_its_control_characters_as_escapes(name, shown):
    assert escaped_name(name) == shown


@pytest.fixture
def fake_app(tmp_path: Path, monkeypatch) -> Synth:
    return memory_synth(tmp_path, monkeypatch)


def test_names_with_newlines_cannot_forge_a_line_of_any_output(fake_app, tmp_path):
    app = fake_app
    import zipfile

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2026-10-06 sync\nFAKE: 0 meetings stored.md").write_text("Ana: Customers want Slack alerts.\n")
    (folder / "broken\nFAKE: all fine.docx").write_bytes(b"not a zip")
    (folder / "odd\x1b[2J\u202e.txt.md").write_text("Tom: The invoices are late.\n")
    with zipfile.ZipFile(folder / "export.zip", "w") as archive:
        archive.writestr("inner\nFAKE: member.md", "Bo: Renewals slip when onboarding is slow.\n")
    report = app.ingest([str(folder)])
    assert (report.meetings, report.failed) == (3, 1)
    shown = [report_text(report), hits_text(app.search("Slack alerts invoices renewals"), "q", 3)]
    shown += [record.source for record in app.meetings()]
    shown += [to_markdown(app.brief(since=__import__("datetime").date(2026, 1, 1)))]
    for text in shown:
        assert not any(line.startswith("FAKE") for line in text.splitlines()), text
        assert "\x1b" not in text and "\u202e" not in text
    assert any("broken\\nFAKE: all fine.docx: " in e for e in report.errors)
    assert {r.source.rsplit("/", 1)[-1] for r in app.meetings()} >= {"inner\\nFAKE: member.md"}


def test_a_title_with_newlines_is_one_line_in_the_meetings_table(fake_app, tmp_path):
    from synth.render import meetings_text

    note = tmp_path / "sync.md"
    note.write_text('---\ntitle: "Sync\\nFAKE ROW  with\\ttabs"\n---\nAna: Customers want Slack alerts.\n')
    fake_app.ingest([str(note)])
    table = meetings_text(fake_app.meetings())
    assert not any(line.startswith("FAKE") for line in table.splitlines())
    assert [r.title for r in fake_app.meetings()] == ["Sync FAKE ROW with tabs"]


def test_an_input_error_names_its_file_on_one_line():
    from synth.errors import InputError

    error = InputError("vision\nFAKE: fine.md", "is not a vision", line=3)
    assert str(error) == "vision\\nFAKE: fine.md:3: is not a vision" and error.source == "vision\nFAKE: fine.md"
