"""JSON turn lists and .docx documents."""

from __future__ import annotations

import bisect
import io
import json
import json.decoder
import json.scanner
import re
import zipfile

from ..errors import InputError
from ..models import Turn
from .archive import open_zip
from .lines import is_speaker_export, read_labelled_lines, read_speaker_export


class _Located(str):
    """A string read from JSON that remembers where its quotes stand in the file."""

    start: int
    end: int


def _located_string(text: str, end: int, strict: bool = True) -> tuple[str, int]:
    value, after = json.decoder.scanstring(text, end, strict)  # type: ignore[attr-defined]
    located = _Located(value)
    located.start, located.end = end - 1, after
    return located, after


class _LocatingDecoder(json.JSONDecoder):
    """json's own decoder, whose strings carry their offsets: a turn's line is known at once,
    whatever escapes (\\/, \\u00E9, surrogate pairs) its text was written with."""

    def __init__(self) -> None:
        super().__init__()
        self.parse_string = _located_string
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


def _line_of(newlines: list[int], offset: int) -> int:
    return bisect.bisect_left(newlines, offset) + 1


def read_json(text: str, source: str) -> tuple[list[Turn], dict]:
    """A JSON list of {speaker, text, start?} turns, or an object with such a list under "turns".

    Other keys of an object (title, date, team, attendees) are returned as front matter.
    Line numbers are where each turn's text stands in the file.
    """
    try:
        data = json.loads(text, cls=_LocatingDecoder)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"is not valid JSON ({exc.msg})", line=exc.lineno) from None
    meta: dict = {}
    if isinstance(data, dict):
        meta = {k: v for k, v in data.items() if k in ("title", "date", "team", "attendees")}
        data = data.get("turns", data.get("transcript"))
    if not isinstance(data, list):
        raise InputError(source, 'JSON must be a list of {"speaker", "text"} turns, or an object with a "turns" list')
    turns: list[Turn] = []
    newlines = [found.start() for found in re.finditer("\n", text)]
    for index, item in enumerate(data):
        body = item.get("text", item.get("content")) if isinstance(item, dict) else None
        if not isinstance(body, _Located):
            raise InputError(source, f'turn {index + 1} is not an object with a "text" string')
        speaker = item.get("speaker")
        if speaker is not None:
            speaker = str(speaker)
        start = item.get("start")
        if start is not None and not isinstance(start, (int, float)):
            raise InputError(source, f'turn {index + 1} has a "start" that is not a number of seconds')
        line, end_line = _line_of(newlines, body.start), _line_of(newlines, body.end - 1)
        if body.strip():
            turns.append(
                Turn(
                    speaker=speaker or None,
                    text=" ".join(body.split()),
                    start_line=line,
                    end_line=end_line,
                    start_time=float(start) if start is not None else None,
                )
            )
    return turns, meta


def _refuse_entity_declarations(archive: zipfile.ZipFile, source: str) -> None:
    """Word never writes a DOCTYPE; one in a part declares entities (billion laughs, an external
    file), which python-docx's parser would stop on with a bare XMLSyntaxError."""
    for entry in archive.infolist():
        if entry.filename.endswith((".xml", ".rels")) and b"<!DOCTYPE" in archive.read(entry).upper():
            raise InputError(
                source, f"part {entry.filename!r} declares XML entities (<!DOCTYPE>); synth does not expand them"
            )


def read_docx(data: bytes, source: str) -> tuple[list[Turn], str | None]:
    """Paragraphs of a Word document; a paragraph's number counts as its line. A transcript laid
    out as "Name  0:03" paragraphs, each followed by what was said, is read as a speaker export."""
    try:
        import docx  # python-docx
    except ImportError as exc:  # pragma: no cover - a dependency of synth
        raise InputError(source, "reading .docx needs python-docx (pip install python-docx)") from exc
    # the archive limits (a zip bomb) and entity declarations, before python-docx unpacks it
    with open_zip(data, source, ".docx file") as archive:
        _refuse_entity_declarations(archive, source)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for broken files
        raise InputError(source, f"is not a readable .docx file ({type(exc).__name__})") from None
    text = "\n".join(p.text.replace("\n", " ") for p in document.paragraphs)
    if not text.strip():
        raise InputError(source, "has no text")
    if is_speaker_export(text):
        title = next(
            (
                p.text.strip()
                for p in document.paragraphs
                if p.style is not None and (p.style.name or "").lower() in ("title", "heading 1")
            ),
            None,
        )
        return read_speaker_export(text), title or None
    # Paragraphs become lines, so "Dana: ..." labels and headings work as in notes.
    styled = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        line = paragraph.text.replace("\n", " ")
        if style == "title" or style == "heading 1":
            line = "# " + line
        elif style.startswith("heading"):
            line = "## " + line
        styled.append(line)
    return read_labelled_lines("\n".join(styled), each_line=True)
