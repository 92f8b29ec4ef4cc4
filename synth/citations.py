"""Where a quote is, as a person follows it back: `file:12-15`, `file.pdf:p3:12-15`,
`export.zip!/notes/a.md:4`.

A PDF's lines are numbered within their page. So that every part of synth (chunks, grounding,
insights, flags, briefs) keeps ordering and comparing plain line numbers, a PDF turn's line
number carries its page: `page * PAGE_LINES + line on the page` (page 3, line 12 is 3012).
Only the places that show a citation to a person decode it: the terminal text (`cite`) and
every `--json` (`json_location` adds `page` and gives the line on the page).
"""

from __future__ import annotations

from typing import Any

PAGE_LINES = 1000
"""Line numbers of a PDF are page * PAGE_LINES + the line on the page (a page has fewer lines)."""

ARCHIVE_SEPARATOR = "!/"
"""Between an archive and a member's path in a source: `export.zip!/notes/a.md`."""


def page_line_number(page: int, line: int) -> int:
    """The line number synth stores for line `line` (1-based) of page `page` (1-based)."""
    return page * PAGE_LINES + line


def is_paged(source: str) -> bool:
    """Whether a source's line numbers carry pages (a PDF, on its own or inside an archive)."""
    return source.lower().endswith(".pdf")


def page_of(source: str, line: int) -> tuple[int | None, int]:
    """(page, line on the page) of a stored line number; (None, line) for a source without pages."""
    if is_paged(source) and line >= PAGE_LINES:
        page, on_page = divmod(line, PAGE_LINES)
        return page, on_page
    return None, line


def cite(source: str, start: int, end: int) -> str:
    """`source:12-15`, or `source:p3:12-15` (`source:p3:40-p4:2` across a page break) for a PDF."""
    first_page, first = page_of(source, start)
    last_page, last = page_of(source, end)
    if first_page is None or last_page is None:
        return f"{source}:{start}" if start == end else f"{source}:{start}-{end}"
    if first_page != last_page:
        return f"{source}:p{first_page}:{first}-p{last_page}:{last}"
    return f"{source}:p{first_page}:{first}" if first == last else f"{source}:p{first_page}:{first}-{last}"


def json_location(data: dict[str, Any]) -> dict[str, Any]:
    """A dumped record with `source`, `start_line` and `end_line`, as `--json` shows it: for a PDF,
    `page` (and `end_page` when the lines run onto the next page) with lines on the page."""
    source, start, end = data.get("source"), data.get("start_line"), data.get("end_line")
    if not isinstance(source, str) or not isinstance(start, int) or not isinstance(end, int):
        return data
    first_page, first = page_of(source, start)
    last_page, last = page_of(source, end)
    if first_page is None or last_page is None:
        return data
    shown: dict[str, Any] = {}
    for key, value in data.items():
        if key == "start_line":
            shown["page"] = first_page
            shown["start_line"] = first
        elif key == "end_line":
            shown["end_line"] = last
            if last_page != first_page:
                shown["end_page"] = last_page
        else:
            shown[key] = value
    return shown
