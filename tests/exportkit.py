"""Small writers of the export formats synth reads: turns in, a file's bytes out. The property
tests write any turns with them and read the file back; `python -m tests.exportkit` writes the
samples of tests/data/exports/ (committed, so the reader tests do not depend on the writers).

The PDF writer needs fpdf2 (a dev dependency). Its core font is Latin-1 only, so the PDF
property test draws Latin-1 text.
"""

# ruff: noqa: E501  (the samples' prose is kept on one line per turn, as written)
from __future__ import annotations

import datetime as dt
import html
import io
import json
import textwrap
import zipfile
from pathlib import Path

Turns = list[tuple[str | None, str]]
EXPORTS = Path(__file__).parent / "data" / "exports"


# --- PDF --------------------------------------------------------------------------------------


def pdf_bytes(
    pages: list[list[str]],
    *,
    title: str | None = None,
    owner_password: str | None = None,
    user_password: str | None = None,
) -> bytes:
    """A PDF whose pages hold exactly these lines of text, top to bottom."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC))
    if title:
        pdf.set_title(title)
    if owner_password or user_password:
        pdf.set_encryption(owner_password=owner_password or "owner", user_password=user_password or "")
    pdf.set_font("Helvetica", size=10)
    for lines in pages:
        pdf.add_page()
        for number, line in enumerate(lines):
            if line:
                pdf.text(18, 16 + number * 5.2, line)
    return bytes(pdf.output())


def transcript_pages(
    header: list[str], turns: list[tuple[str, str, str]], per_page: int = 48, footer: str | None = "Page {n} of {total}"
) -> list[list[str]]:
    """A note-taker's transcript laid out on pages: "Name  00:01:23" then the words, wrapped."""
    body: list[str] = []
    for speaker, stamp, text in turns:
        body.append(f"{speaker}  {stamp}")
        body.extend(textwrap.wrap(text, 95, break_on_hyphens=False, break_long_words=False))
    return _paginate(header, body, per_page, footer)


def notes_pages(header: list[str], lines: list[str], per_page: int = 48, footer: str | None = None) -> list[list[str]]:
    body: list[str] = []
    for line in lines:
        wrapped = textwrap.wrap(line, 95, break_on_hyphens=False, break_long_words=False) or [""]
        body.extend(wrapped)
    return _paginate(header, body, per_page, footer)


def _paginate(header: list[str], body: list[str], per_page: int, footer: str | None) -> list[list[str]]:
    lines = header + body
    room = per_page - (2 if footer else 0)
    chunks = [lines[i : i + room] for i in range(0, len(lines), room)] or [[]]
    return [
        chunk + (["", footer.format(n=n, total=len(chunks))] if footer else []) for n, chunk in enumerate(chunks, 1)
    ]


# --- HTML -------------------------------------------------------------------------------------


def notion_html(title: str, date: str, attendees: list[str], blocks: list[tuple[str, str]]) -> bytes:
    """A page shaped like Notion's HTML export: header with title and properties, then the body.
    `blocks` are (kind, text): h2, p, li, quote."""
    body = []
    open_list = False
    for kind, text in blocks:
        if kind == "li" and not open_list:
            body.append('<ul class="bulleted-list">')
            open_list = True
        if kind != "li" and open_list:
            body.append("</ul>")
            open_list = False
        escaped = html.escape(text)
        body.append(
            {
                "h2": f'<h2 class="">{escaped}</h2>',
                "p": f'<p class="">{escaped}</p>',
                "li": f'<li style="list-style-type:disc">{escaped}</li>',
                "quote": f'<blockquote class="">{escaped}</blockquote>',
            }[kind]
        )
    if open_list:
        body.append("</ul>")
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"/>'
        f"<title>{html.escape(title)}</title><style>\n/* cspell:disable-file */\nhtml {{ -webkit-print-color-adjust: exact; }}\n"
        ".page-title { font-size: 2.5rem; }\n</style></head><body>"
        f'<article id="4f1c2a9e" class="page sans"><header><h1 class="page-title">{html.escape(title)}</h1>'
        '<p class="page-description"></p><table class="properties"><tbody>'
        f'<tr class="property-row property-row-date"><th>Date</th><td><time>@{html.escape(date)}</time></td></tr>'
        f'<tr class="property-row property-row-person"><th>Attendees</th><td>{html.escape(", ".join(attendees))}</td></tr>'
        "</tbody></table></header>"
        f'<div class="page-body">{"".join(body)}</div></article>'
        '<span class="sans" style="font-size:14px;padding-top:2em"></span></body></html>'
    ).encode()


def google_docs_html(title: str, paragraphs: list[tuple[str, str]]) -> bytes:
    """A page shaped like Google Docs' "Web page" export: one line, styles in the head, every
    paragraph a <p class="cN"><span class="cM">...</span></p>. `paragraphs` are (kind, text)."""
    parts = []
    for kind, text in paragraphs:
        escaped = html.escape(text)
        if kind == "title":
            parts.append(f'<p class="c4 title" id="h.t1"><span class="c6">{escaped}</span></p>')
        elif kind == "h2":
            parts.append(f'<h2 class="c2" id="h.{abs(hash(text)) % 9999}"><span class="c5">{escaped}</span></h2>')
        elif kind == "li":
            parts.append(
                f'<ul class="c8 lst-kix_a1-0 start"><li class="c1 li-bullet-0"><span class="c0">{escaped}</span></li></ul>'
            )
        else:
            parts.append(f'<p class="c1"><span class="c0">{escaped}</span></p>')
    return (
        '<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type">'
        '<style type="text/css">ul.lst-kix_a1-0{list-style-type:none}.c0{color:#000000;font-weight:400}'
        ".c1{padding-top:0pt;line-height:1.15}.c2{padding-top:18pt}.c4{padding-top:0pt}.c5{font-size:16pt}"
        ".c6{font-size:26pt}.c8{padding:0;margin:0}</style>"
        f'<title>{html.escape(title)}</title></head><body class="c9 doc-content">{"".join(parts)}</body></html>'
    ).encode()


def turns_html(turns: Turns) -> bytes:
    """A plain page: one paragraph per turn, "Name: words" when a turn has a speaker."""
    body = "".join(f"<p>{html.escape(f'{s}: {t}' if s else t)}</p>" for s, t in turns)
    return f"<!DOCTYPE html><html><head><script>var x = 1;</script></head><body><nav>Home</nav>{body}</body></html>".encode()


# --- note-taker JSON --------------------------------------------------------------------------


def fireflies_json(
    title: str,
    date_ms: int,
    attendees: list[tuple[str, str]],
    sentences: list[tuple[str, float, float, str]],
    wrapped: bool = True,
) -> str:
    """A Fireflies GraphQL `transcript` reply: sentences are (speaker, start, end, text)."""
    speakers = list(dict.fromkeys(s for s, _, _, _ in sentences))
    transcript = {
        "id": "01JNQ8W4ZK3M9XR2T5V7B6C1DE",
        "title": title,
        "date": date_ms,
        "duration": round(max((e for _, _, e, _ in sentences), default=0) / 60, 2),
        "organizer_email": attendees[0][1] if attendees else None,
        "participants": [email for _, email in attendees],
        "meeting_attendees": [{"displayName": name, "email": email, "name": name} for name, email in attendees],
        "speakers": [{"id": i, "name": name} for i, name in enumerate(speakers)],
        "sentences": [
            {
                "index": i,
                "speaker_name": speaker,
                "speaker_id": speakers.index(speaker),
                "text": text,
                "raw_text": text,
                "start_time": start,
                "end_time": end,
            }
            for i, (speaker, start, end, text) in enumerate(sentences)
        ],
    }
    return json.dumps({"data": {"transcript": transcript}} if wrapped else transcript, indent=2, ensure_ascii=False)


def gong_json(
    call_id: str,
    title: str,
    started: str,
    parties: list[tuple[str, str, str]],
    monologues: list[tuple[str, str, list[tuple[int, int, str]]]],
) -> str:
    """Gong's `/v2/calls/transcript` reply with the `/v2/calls/extensive` call (for its parties):
    parties are (speakerId, name, affiliation); monologues (speakerId, topic, [(start ms, end ms, text)])."""
    return json.dumps(
        {
            "requestId": "4al018gzaztcr8nbukw",
            "records": {"totalRecords": 1, "currentPageSize": 1, "currentPageNumber": 0},
            "callTranscripts": [
                {
                    "callId": call_id,
                    "transcript": [
                        {
                            "speakerId": sid,
                            "topic": topic,
                            "sentences": [{"start": a, "end": b, "text": t} for a, b, t in s],
                        }
                        for sid, topic, s in monologues
                    ],
                }
            ],
            "calls": [
                {
                    "metaData": {"id": call_id, "title": title, "started": started, "duration": 1860, "system": "Zoom"},
                    "parties": [
                        {"id": f"p{i}", "speakerId": sid, "name": name, "affiliation": aff}
                        for i, (sid, name, aff) in enumerate(parties)
                    ],
                }
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 3, 14, 10, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- the committed samples ----------------------------------------------------------------------

PRICING_TURNS = [
    (
        "Dana Whitfield",
        "00:00:04",
        "Okay, we are recording. The goal today is to decide whether the Pro tier moves to per-seat pricing before the April launch, because three of the last five enterprise deals stalled on the usage meter.",
    ),
    (
        "Sam Ortiz",
        "00:00:31",
        "From the sales side it is more than three. Keller Logistics and Brightwater both told us they cannot forecast a bill that moves with API calls, and procurement will not sign an open-ended number.",
    ),
    (
        "Priya Raman",
        "00:01:02",
        "Engineering can ship seat counting in two sprints. The metering service stays for overage, so we do not lose the usage data finance wants.",
    ),
    (
        "Dana Whitfield",
        "00:01:40",
        "What does that do to the small teams? The vision says self-serve stays free up to five people, and I do not want per-seat pricing to quietly break that promise.",
    ),
    (
        "Lena Brooks",
        "00:02:12",
        "Design tested the new pricing page with eight customers last week. Six of them understood the per-seat table in under ten seconds; nobody understood the usage calculator without help.",
    ),
    (
        "Sam Ortiz",
        "00:02:55",
        "I promised Keller a fixed annual quote by the end of March. If we decide today I can send it Friday.",
    ),
    (
        "Priya Raman",
        "00:03:20",
        "One risk: the SSO add-on is priced per workspace today. If seats become the unit, SSO has to follow or the invoice will not add up.",
    ),
    (
        "Dana Whitfield",
        "00:03:48",
        "Decision then: Pro moves to per-seat pricing at 18 dollars a seat, the free tier stays at five seats, and SSO becomes a per-seat add-on. Priya owns the seat counting, due April 4.",
    ),
    (
        "Lena Brooks",
        "00:04:21",
        "I will update the pricing page copy and run one more test with the annual billing toggle before we publish.",
    ),
    (
        "Sam Ortiz",
        "00:04:40",
        "And I will draft the Keller quote on the new model and share it with Dana before it goes out.",
    ),
]


def write_samples() -> None:
    """Write tests/data/exports/ (run once; the files are committed)."""
    bad = EXPORTS / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    header = [
        "Pricing sync - Pro tier",
        "March 12, 2026 - 10:00 AM",
        "Attendees: Dana Whitfield, Sam Ortiz, Priya Raman, Lena Brooks",
        "",
    ]
    pages = transcript_pages(header, PRICING_TURNS, per_page=22, footer="Fireflies.ai | Page {n} of {total}")
    transcript = pdf_bytes(pages, title="Pricing sync - Pro tier")
    (EXPORTS / "fireflies-pricing-sync.pdf").write_bytes(transcript)
    notes = [
        "Onboarding review",
        "2026-03-10",
        "Attendees: Lena Brooks, Marco Feld, Dana Whitfield",
        "",
        "Findings",
        "- Four of nine trial teams never invited a second user; the invite step sits behind the settings menu.",
        "- The import from CSV fails silently when a column has a byte order mark.",
        "Marco: Support saw 41 tickets about the CSV import in February, most of them from the Brightwater pilot.",
        "Lena: We should move the invite step into the first-run checklist.",
        "",
        "Decisions",
        "- The invite step moves into the first-run checklist for the April release.",
        "- CSV import errors are shown on the import screen, with the row that failed.",
        "",
        "Actions",
        "- Marco to tag every CSV ticket with the import label by Friday.",
        "- Lena to mock the checklist with the invite step and test it with three trial teams.",
    ]
    (EXPORTS / "google-docs-onboarding-review.pdf").write_bytes(
        pdf_bytes(notes_pages([], notes * 1, per_page=14), title="Onboarding review")
    )
    (bad / "truncated.pdf").write_bytes(transcript[: len(transcript) // 3])
    (bad / "encrypted.pdf").write_bytes(pdf_bytes(pages[:1], user_password="s3cret", owner_password="owner"))
    (bad / "scanned.pdf").write_bytes(_scanned_pdf())

    (EXPORTS / "notion-roadmap-review.html").write_bytes(
        notion_html(
            "Roadmap review",
            "March 13, 2026",
            ["Dana Whitfield", "Priya Raman", "Omar Haddad"],
            [
                ("h2", "Context"),
                (
                    "p",
                    "The Q2 roadmap has three bets: per-seat pricing, the Salesforce sync and offline mode for the mobile app.",
                ),
                ("h2", "Discussion"),
                (
                    "p",
                    "Omar: Leadership wants the Salesforce sync before offline mode, because two renewals depend on it.",
                ),
                (
                    "p",
                    "Priya: The sync needs the new permissions model first, which pushes it to late May at the earliest.",
                ),
                ("p", "Dana: Then offline mode slips to Q3 and we tell the mobile beta group this week."),
                ("h2", "Decisions"),
                ("li", "Salesforce sync is the first Q2 bet; offline mode moves to Q3."),
                ("li", "Priya starts the permissions model on Monday."),
                ("quote", "Nobody commits a date to a customer before the permissions model is merged."),
            ],
        )
    )
    (EXPORTS / "google-docs-support-sync.html").write_bytes(
        google_docs_html(
            "Support sync 2026-03-11",
            [
                ("title", "Support sync"),
                ("p", "Date: March 11, 2026"),
                ("h2", "Top issues"),
                ("li", "Login loops on Safari 17 after the SSO change, 23 tickets this week."),
                ("li", "Exports to Excel drop the time zone from timestamps."),
                (
                    "p",
                    "Marco Feld: The Safari loop is our biggest driver of churn risk right now; two accounts asked for a call.",
                ),
                ("p", "Priya Raman: The fix is ready, it ships with Thursday's release."),
            ],
        )
    )
    (bad / "no-body.html").write_bytes(
        b"<!DOCTYPE html><html><head><title>Empty</title><script>window.x = 1</script><style>p{}</style></head></html>"
    )

    sentences = []
    clock = 3.2
    for speaker, _, text in PRICING_TURNS[:6]:
        for sentence in [s.strip() + "." for s in text.rstrip(".").split(". ") if s.strip()]:
            sentences.append((speaker, round(clock, 2), round(clock + len(sentence) / 14, 2), sentence))
            clock += len(sentence) / 14 + 0.6
    attendees = [
        ("Dana Whitfield", "dana@acme.example"),
        ("Sam Ortiz", "sam@acme.example"),
        ("Priya Raman", "priya@acme.example"),
        ("Lena Brooks", "lena@acme.example"),
    ]
    date_ms = int(dt.datetime(2026, 3, 12, 15, 0, tzinfo=dt.UTC).timestamp() * 1000)
    (EXPORTS / "fireflies-pricing-sync.json").write_text(
        fireflies_json("Pricing sync - Pro tier", date_ms, attendees, sentences) + "\n"
    )
    (EXPORTS / "fireflies-pricing-sync-export.txt").write_text(
        fireflies_json("Pricing sync - Pro tier", date_ms, attendees, sentences, wrapped=False) + "\n"
    )
    broken = json.loads(fireflies_json("Pricing sync", date_ms, attendees, sentences[:3]))
    for sentence in broken["data"]["transcript"]["sentences"]:
        del sentence["text"], sentence["raw_text"]
    (bad / "fireflies-missing-text.json").write_text(json.dumps(broken, indent=2) + "\n")
    (bad / "malformed.json").write_text(fireflies_json("Pricing sync", date_ms, attendees, sentences[:3])[:400])

    (EXPORTS / "gong-keller-renewal.json").write_text(
        gong_json(
            "7782342274025937895",
            "Keller Logistics renewal",
            "2026-03-16T16:00:00-07:00",
            [("6432345678555530067", "Sam Ortiz", "Internal"), ("3325612359102937001", "Ruth Keller", "External")],
            [
                (
                    "6432345678555530067",
                    "Call Setup",
                    [
                        (1200, 4800, "Thanks for making time, Ruth."),
                        (5000, 11800, "I have the fixed annual quote on the per-seat model with me."),
                    ],
                ),
                (
                    "3325612359102937001",
                    "Pricing",
                    [
                        (12400, 21000, "A fixed number is what procurement needed, so this unblocks the renewal."),
                        (21500, 30100, "We still need the SAP export before we add the second warehouse team."),
                    ],
                ),
                (
                    "6432345678555530067",
                    "Next Steps",
                    [(30800, 39900, "I will check the SAP export date with product and come back to you by Friday.")],
                ),
            ],
        )
        + "\n"
    )

    workspace = {
        "Acme Product/Weekly sync 2026-03-09 4f1c2a9e.html": notion_html(
            "Weekly sync",
            "March 9, 2026",
            ["Dana Whitfield", "Sam Ortiz"],
            [
                ("p", "Sam: Two enterprise prospects asked for audit logs this week."),
                ("p", "Dana: Audit logs go on the Q3 list, not Q2."),
            ],
        ),
        "Acme Product/Design crit 2026-03-11 9b2e71d0.md": (
            b"# Design crit\n\nDate: 2026-03-11\n\nLena: The empty state for reports tested badly; people thought the data was lost.\n"
            b"Omar: Then we ship sample data in the empty state.\n"
        ),
        "Acme Product/Design crit 2026-03-11 9b2e71d0/empty-state.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        "Acme Product/Archive/old-notes.pages": b"not a format synth reads",
    }
    (EXPORTS / "notion-workspace.zip").write_bytes(zip_bytes(workspace))
    (bad / "bomb.zip").write_bytes(zip_bytes({"notes.md": b"Ana: hi\n" + b" " * (20 * 1024 * 1024)}))
    (bad / "corrupt.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)

    _teams_docx(EXPORTS / "teams-design-review.docx")


def _scanned_pdf() -> bytes:
    """A page with only a drawing on it: what a scan without OCR looks like to a text reader."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC))
    for _ in range(2):
        pdf.add_page()
        pdf.set_fill_color(200, 200, 200)
        for row in range(30):
            pdf.rect(18, 20 + row * 8, 150 - (row % 4) * 20, 4, style="F")
    return bytes(pdf.output())


def _teams_docx(path: Path) -> None:
    """A Teams transcript as Word: a title, a date line, then "Name   0:03" and the words."""
    import docx

    document = docx.Document()
    document.core_properties.created = dt.datetime(2026, 3, 17, 14, 0)
    document.add_paragraph("Design review - reporting", style="Title")
    document.add_paragraph("March 17, 2026, 2:00PM")
    for name, stamp, text in [
        (
            "Lena Brooks",
            "0:03",
            "Let's start with the report builder. The drag and drop tested well, but people missed the save button.",
        ),
        ("Omar Haddad", "0:21", "We could autosave drafts and keep the button for publishing."),
        ("Lena Brooks", "0:35", "Autosave it is. I will change the mock today."),
        ("Priya Raman", "0:49", "Autosave means a draft table on our side; that is a day of work, not more."),
    ]:
        document.add_paragraph(f"{name}   {stamp}")
        document.add_paragraph(text)
    document.save(str(path))


if __name__ == "__main__":
    write_samples()
