"""HTML pages (Notion and Confluence page exports, Google Docs "Web page" exports) as text.

The page is parsed with lxml (a real HTML parser) and written out as Markdown-like lines:
headings as `#` lines, list items as `- ` lines (nested ones indented), table rows as
`cell | cell` lines, paragraphs separated by blank lines. Scripts, styles, forms and the
page's chrome (navigation, breadcrumbs, footers, sidebars) are dropped. That derived text is
what synth cites: a citation `notes.html:14` is line 14 of it (`html_text` gives it). Each
block (paragraph, heading, list item, table row) is one turn whose text is the element's own
text, so a quote is always the original element's words; a paragraph "Dana: ..." is Dana's turn.

A properties table in the page header (Notion writes the page's Date, Attendees, ... that way)
gives the meeting's date and attendees instead of becoming turns.
"""

from __future__ import annotations

import re

from ..errors import InputError
from ..models import Turn
from .dates import date_in_text
from .lines import split_label

_DROPPED = {
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "svg",
    "iframe",
    "object",
    "embed",
    "canvas",
    "head",
    "title",
    "meta",
    "link",
}
_CHROME = re.compile(
    r"(?:^|[\s_-])(breadcrumbs?|breadcrumb-section|footer|sidebar|navigation|navbar|nav|toc|menu|"
    r"page-metadata|attachments|comments?|likes?|labels?|cookie[\w-]*)(?:$|[\s_-])",
    re.I,
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "body",
    "html",
    "blockquote",
    "figure",
    "figcaption",
    "details",
    "summary",
    "dl",
    "dt",
    "dd",
    "center",
    "address",
    "hr",
}
_PROPERTY_KEYS = {"date": "date", "created": "date", "meeting date": "date", "when": "date"}
_ATTENDEE_KEYS = {"attendees", "participants", "people", "present", "invitees"}


def read_html(data: bytes, source: str, warnings: list[str] | None = None) -> tuple[list[Turn], dict]:
    """Turns of an HTML page, and what it says about the meeting (title, date, attendees)."""
    writer, meta = _write(data, source, warnings)
    turns: list[Turn] = []
    titled = False
    listing: list[str] | None = None  # the names under a "Participants" heading (Confluence's meeting notes)
    for line, kind, content in writer.blocks:
        if kind == "h1" and not titled:
            titled = True
            meta.setdefault("title", content)
            continue
        if kind.startswith("h"):
            listing = [] if content.strip().lower() in _ATTENDEE_KEYS and "attendees" not in meta else None
            if listing is not None:
                meta["attendees"] = listing
            turns.append(Turn(speaker=None, text=content + ":", start_line=line, end_line=line))
            continue
        if listing is not None and kind == "li":
            listing.append(content)
            continue
        speaker, words = split_label(content) if kind in ("p", "li") else (None, content)
        if words:
            turns.append(Turn(speaker=speaker, text=words, start_line=line, end_line=line))
    return turns, meta


def html_text(data: bytes, source: str) -> str:
    """The text synth derives from an HTML page: what its line numbers count."""
    return html_text_and_meta(data, source)[0]


def html_text_and_meta(data: bytes, source: str) -> tuple[str, dict]:
    writer, meta = _write(data, source)
    return writer.text(), meta


# A DOCTYPE's internal subset, where entities are declared (billion laughs, an external file). lxml's
# HTML parser expands none of them but shows the subset's "]>" as text; it is left out, with a warning.
_INTERNAL_SUBSET = re.compile(rb"\A((?:\xef\xbb\xbf)?(?:\s*+<\?xml[^>]*\?>)?\s*+<!doctype[^\[>]*)\[[^\]]*\]", re.I)


def _write(data: bytes, source: str, warnings: list[str] | None = None) -> tuple[_Writer, dict]:
    try:
        import lxml.html
        from lxml import etree
    except ImportError as exc:  # pragma: no cover - a dependency of synth
        raise InputError(source, "reading HTML needs lxml (pip install lxml)") from exc
    if not data.strip():
        raise InputError(source, "is empty")
    data, declared = _INTERNAL_SUBSET.subn(rb"\1", data, count=1)
    if declared and warnings is not None:
        warnings.append(f"{source}: its DOCTYPE declares entities; synth expands none of them (left out)")
    try:
        root = lxml.html.document_fromstring(_decoded(data))
    except (etree.ParserError, ValueError) as exc:
        raise InputError(source, f"is not readable HTML ({exc})") from None
    meta: dict = {}
    title = root.findtext(".//title")
    if title and title.strip():
        # Confluence titles a page "Space : Page"; the page's own name is what people say
        meta["title"] = " ".join(title.split()).split(" : ", 1)[-1]
    body = root.find("body")
    if body is None:
        body = root if root.tag == "body" else None
    writer = _Writer(meta)
    if body is not None:
        writer.block(body)
    writer.flush()
    if not writer.blocks:
        raise InputError(source, "has no text in its <body> (after scripts, styles and navigation are left out)")
    return writer, meta


def _decoded(data: bytes) -> str | bytes:
    """UTF-8 when the bytes are UTF-8 (most exports, with or without a charset declaration: lxml
    would guess Latin-1 without one); otherwise the bytes, for lxml to read the page's charset."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data
    # lxml refuses a str that starts with an XML declaration naming an encoding (XHTML exports)
    return re.sub(r"\A\s*<\?xml[^>]*\?>", "", text)


class _Writer:
    """Walks the tree and writes lines; inline content is gathered until a block ends it."""

    def __init__(self, meta: dict) -> None:
        self.lines: list[str] = []
        self.inline: list[str] = []
        self.blocks: list[tuple[int, str, str]] = []  # (line, kind, the element's words)
        self.meta = meta

    def text(self) -> str:
        self.flush()
        return "\n".join(self.lines).strip("\n") + "\n"

    def flush(self) -> None:
        words = " ".join("".join(self.inline).split())
        self.inline.clear()
        if words:
            self.paragraph(words, "p")

    def paragraph(self, words: str, kind: str, marker: str = "") -> None:
        """A block on a line of its own, after a blank line: `marker` + the element's words."""
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.line(words, kind, marker)
        self.lines.append("")

    def line(self, words: str, kind: str, marker: str = "") -> None:
        self.lines.append(marker + words)
        self.blocks.append((len(self.lines), kind, words))

    def block(self, element) -> None:
        """A block element's content: its text, then each child in order."""
        if element.text:
            self.inline.append(element.text)
        for child in element:
            self.node(child)
            if child.tail:
                self.inline.append(child.tail)
        self.flush()

    def node(self, element) -> None:
        tag = element.tag if isinstance(element.tag, str) else None
        if tag is None:  # a comment or a processing instruction: only its tail is text
            return
        tag = tag.lower()
        if tag in _DROPPED or _is_chrome(element):
            return
        if tag == "br":
            self.flush()
            return
        if tag == "time" and "date" not in self.meta:
            found = date_in_text(element.get("datetime") or "")
            if found:
                self.meta["date"] = found.isoformat()
        if tag in _HEADINGS:
            self.flush()
            words = _words(element)
            if words:
                self.paragraph(words, tag, "#" * _HEADINGS[tag] + " ")
            return
        if tag in ("ul", "ol"):
            self.flush()
            self.list_lines(element, 0)
            return
        if tag == "table":
            self.flush()
            self.table(element)
            return
        if tag == "pre":
            self.flush()
            for line in element.text_content().splitlines():
                if line.strip():
                    self.paragraph(" ".join(line.split()), "pre")
            return
        if tag in _BLOCKS or tag == "li":
            self.flush()
            self.block(element)
            return
        # inline: its text and its children's, in order
        if element.text:
            self.inline.append(element.text)
        for child in element:
            self.node(child)
            if child.tail:
                self.inline.append(child.tail)

    def list_lines(self, element, depth: int) -> None:
        start = len(self.lines)
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.list_lines_inline(element, depth)
        if len(self.lines) > start:
            self.lines.append("")

    def list_lines_inline(self, element, depth: int) -> None:
        for item in element:
            if not isinstance(item.tag, str) or item.tag.lower() != "li":
                continue
            own, nested = _item_parts(item)
            if own:
                self.line(own, "li", "  " * depth + "- ")
            for sub in nested:
                self.list_lines_inline(sub, depth + 1)

    def table(self, element) -> None:
        rows = [row for row in element.iter("tr")]
        cells = [
            [_words(cell) for cell in row if isinstance(cell.tag, str) and cell.tag in ("td", "th")] for row in rows
        ]
        if _is_properties(element, cells):
            for row in cells:
                if len(row) >= 2:
                    self.property(row[0], row[1])
            return
        for row in cells:
            if any(row):
                self.paragraph(" | ".join(row), "row")

    def property(self, key: str, value: str) -> None:
        name = key.strip().lower()
        if _PROPERTY_KEYS.get(name) == "date" and "date" not in self.meta:
            found = date_in_text(value)
            if found:
                self.meta["date"] = found.isoformat()
        elif name in _ATTENDEE_KEYS and value.strip():
            self.meta["attendees"] = [n.strip() for n in re.split(r"[,;]", value) if n.strip()]


def _words(element) -> str:
    parts: list[str] = []

    def gather(node) -> None:
        if not isinstance(node.tag, str) or node.tag.lower() in _DROPPED:
            return
        if node.tag.lower() == "br":
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for child in node:
            gather(child)
            if child.tail:
                parts.append(child.tail)

    gather(element)
    return " ".join("".join(parts).split())


def _item_parts(item) -> tuple[str, list]:
    """A list item's own words (without its nested lists) and its nested lists."""
    nested = [child for child in item if isinstance(child.tag, str) and child.tag.lower() in ("ul", "ol")]
    parts: list[str] = [item.text or ""]
    for child in item:
        if child in nested:
            parts.append(child.tail or "")
            continue
        parts.append(_words(child) if isinstance(child.tag, str) else "")
        parts.append(child.tail or "")
    return " ".join(" ".join(parts).split()), nested


def _is_chrome(element) -> bool:
    role = (element.get("role") or "").lower()
    if role in ("navigation", "contentinfo", "banner", "search", "complementary"):
        return True
    marks = f"{element.get('id') or ''} {element.get('class') or ''}"
    return bool(marks.strip()) and bool(_CHROME.search(marks))


def _is_properties(table, cells: list[list[str]]) -> bool:
    """A key/value table of a page's properties (Notion's `table.properties` in the page header)."""
    if "properties" in (table.get("class") or "").split():
        return True
    keys = {row[0].strip().lower() for row in cells if len(row) == 2}
    return bool(cells) and len(keys) == len(cells) and bool(keys & (set(_PROPERTY_KEYS) | _ATTENDEE_KEYS))
