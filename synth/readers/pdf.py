"""PDF notes and transcripts (as Google Docs and the note-takers export them), read page by page.

Each page's text layer (pypdf, chosen by measurement: bench/pdf_readers.py) is read as lines,
numbered within the page; a turn's line numbers carry the page (see citations.py), so a
citation reads `file.pdf:p3:12-15`. Lines repeated at the top or bottom of most pages (running
headers, "Page 3 of 9" footers) are left out of the turns but still counted, so line numbers
stay those of the page. A transcript's speaker turn that runs over a page break is split there
into two turns of the same speaker, so no turn spans a page.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections import Counter

from ..citations import PAGE_LINES, page_line_number
from ..errors import InputError
from ..models import Turn
from .dates import date_in_text
from .lines import export_header, is_speaker_export, read_labelled_lines, read_speaker_export

_ATTENDEES = re.compile(r"^\s*(?:attendees|participants|present)\s*[:：]\s*(?P<names>.+)$", re.I)
_BULLET = re.compile(r"^\s*(?:[-*+•◦▪]|\d+[.)])\s+")


def read_pdf(data: bytes, source: str, warnings: list[str] | None = None) -> tuple[list[Turn], dict, str]:
    """Turns of a PDF, what its first page and metadata say (title, date, attendees) and the format
    found inside (speaker-export or notes). Raises InputError for a broken, encrypted or scanned PDF."""
    pages, info = _page_lines(data, source)
    if not any(line.strip() for lines in pages for line in lines):
        raise InputError(
            source,
            f"has no text layer (scanned?): none of its {len(pages)} pages has text to read; "
            "run it through OCR (for example ocrmypdf) and ingest the result",
        )
    empty = [str(n) for n, lines in enumerate(pages, start=1) if not any(line.strip() for line in lines)]
    if empty and warnings is not None:
        warnings.append(
            f"{source}: page{'s' if len(empty) > 1 else ''} {', '.join(empty)} have no text layer (scanned?)"
        )
    furniture = _running_lines(pages)
    texts = [
        "\n".join("" if (n, i) in furniture else line for i, line in enumerate(lines)) for n, lines in enumerate(pages)
    ]
    export = is_speaker_export("\n".join(texts), lines_per_header=12)
    turns: list[Turn] = []
    pending: tuple[str, float] | None = None  # a speaker's line that ended the previous page
    for number, text in enumerate(texts, start=1):
        offset = page_line_number(number, 0)
        if export:
            page_turns = read_speaker_export(text, offset)
        else:
            page_turns, _ = read_labelled_lines(text, offset, loose=True)
        if page_turns and pending and page_turns[0].speaker is None:
            page_turns[0].speaker, page_turns[0].start_time = pending
        elif page_turns and turns and _continues(page_turns[0], turns[-1], text):
            page_turns[0].speaker = turns[-1].speaker
            page_turns[0].start_time = turns[-1].start_time
        turns.extend(page_turns)
        content = [line for line in text.split("\n") if line.strip()]
        pending = export_header(content[-1]) if export and content else None
    meta = _first_page_meta(pages[0] if pages else [], info)
    return turns, meta, "pdf-transcript" if export else "pdf"


def pdf_page_lines(data: bytes, source: str) -> list[list[str]]:
    """Each page's lines as synth numbers them (line 1 of page 3 is pages[2][0]): what a citation
    `file.pdf:p3:1` points at."""
    return _page_lines(data, source)[0]


def _page_lines(data: bytes, source: str) -> tuple[list[list[str]], dict]:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - a dependency of synth
        raise InputError(source, "reading .pdf needs pypdf (pip install pypdf)") from exc
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repairs are not the person's business; errors are raised
    if not data.lstrip()[:1024].startswith(b"%PDF"):
        raise InputError(source, "is not a PDF file (it does not start with %PDF)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _decrypt_without_password(reader):
            raise InputError(
                source, "is encrypted (password-protected): save a copy without a password and ingest that"
            )
        count = len(reader.pages)
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError...) for broken files
        raise InputError(source, f"is not a readable PDF ({_reason(exc)})") from None
    if count == 0:
        raise InputError(source, "is a PDF without pages")
    pages: list[list[str]] = []
    for number in range(count):
        try:
            text = reader.pages[number].extract_text() or ""
        except Exception as exc:
            raise InputError(source, f"page {number + 1} cannot be read ({_reason(exc)})") from None
        lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        if len(lines) >= PAGE_LINES:
            raise InputError(source, f"page {number + 1} has {len(lines)} lines; synth reads pages of fewer than 1000")
        pages.append(lines)
    try:
        metadata = reader.metadata
        info = {
            "title": (metadata.title or "").strip() if metadata else "",
            "created": metadata.creation_date if metadata else None,
        }
    except Exception:  # broken metadata is no reason to refuse the text
        info = {"title": "", "created": None}
    return pages, info


def _decrypt_without_password(reader) -> bool:
    """Many PDFs are encrypted only to restrict printing, with an empty password for reading."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # a missing crypto library or an unknown scheme: treat as locked
        return False


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


_PAGE_WORD = re.compile(r"\bpage\s+\d+(?:\s*(?:of|/)\s*\d+)?\b", re.I)
_BARE_NUMBER = re.compile(r"^\W*(\d{1,4})(?:\s*(?:of|/)\s*\d+)?\W*$", re.I)


def _running_lines(pages: list[list[str]]) -> set[tuple[int, int]]:
    """(page index, line index) of running headers and footers, at the top or bottom of a page:
    "Page 3 of 9" on any page; a bare number that counts the pages ("- 3 -", "3/9"); a line that
    stands, the same, on at least half of the pages (on every page of a two-page file)."""
    found: set[tuple[int, int]] = set()
    numbers: dict[tuple[str, int], list[tuple[int, int]]] = {}  # (top or bottom, number - page) -> places
    counts: Counter[tuple[str, str]] = Counter()
    ends: list[list[tuple[str, int, str]]] = []
    for n, lines in enumerate(pages):
        indexed = [(i, line) for i, line in enumerate(lines) if line]
        here = [("top", *indexed[0]), ("bottom", *indexed[-1])] if indexed else []
        ends.append(here)
        for where, i, line in here:
            if len(line) <= 60 and _PAGE_WORD.search(line):
                found.add((n, i))
            bare = _BARE_NUMBER.match(line)
            if bare:
                numbers.setdefault((where, int(bare.group(1)) - n), []).append((n, i))
            counts[(where, line.strip().lower())] += 1
    if len(pages) >= 2:
        for places in numbers.values():
            if len(places) >= 2 and len(places) * 2 >= len(pages):
                found.update(places)
        for n, here in enumerate(ends):
            for where, i, line in here:
                repeats = counts[(where, line.strip().lower())]
                if repeats * 2 >= len(pages) and repeats >= min(3, len(pages)):
                    found.add((n, i))
    return found


def _continues(first: Turn, previous: Turn, page_text: str) -> bool:
    """Whether a page's first turn carries on the previous page's speaker: it has no speaker of its
    own, starts the page's text and is not a heading or a bullet."""
    if first.speaker is not None or previous.speaker is None:
        return False
    lines = [line for line in page_text.split("\n") if line.strip()]
    return bool(lines) and not _BULLET.match(lines[0]) and not first.text.endswith(":")


def _first_page_meta(lines: list[str], info: dict) -> dict:
    meta: dict = {}
    present = [line for line in lines if line.strip()][:20]
    title = info.get("title") or ""
    if not title or title.lower() in ("untitled", "untitled document") or title.lower().endswith((".docx", ".doc")):
        title = present[0] if present and len(present[0]) <= 100 else ""
    if title:
        meta["title"] = title
    for line in present:
        found = date_in_text(line)
        if found:
            meta["date"] = found.isoformat()
            break
    for line in present:
        attendees = _ATTENDEES.match(line)
        if attendees:
            meta["attendees"] = [n.strip() for n in re.split(r"[,;]", attendees.group("names")) if n.strip()]
            break
    created = info.get("created")
    if isinstance(created, dt.datetime):
        meta["created"] = created.date()
    return meta
