"""The product vision: a Markdown document split into statements, each with its section and line.

Sections are recognised by their headings (any level), in any order:

    Vision | Target customers and personas | Market focus | Principles and non-goals |
    Success metrics | Roadmap, with "Committed" and "Exploring" below it

A bullet is one statement (its continuation lines included); a paragraph gives one statement per
sentence. Under principles, a bullet that starts "Non-goal:" is a non-goal; so is anything under
a heading of its own ("Non-goals", "Out of scope"). Roadmap items are committed unless they sit
under an exploring heading ("Exploring", "Later", "Ideas").
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re

from pydantic import BaseModel, Field

from .errors import InputError
from .readers.lines import heading_parts

SECTIONS = ("vision", "customers", "market", "principles", "non_goals", "metrics", "roadmap", "other")
SECTION_TITLES = {
    "vision": "Vision",
    "customers": "Target customers and personas",
    "market": "Market focus",
    "principles": "Principles",
    "non_goals": "Non-goals",
    "metrics": "Success metrics",
    "roadmap": "Roadmap",
    "other": "Other",
}
EXPECTED_HEADINGS = (
    "## Vision, ## Target customers (or Personas), ## Market focus, ## Principles "
    "(and non-goals), ## Success metrics, ## Roadmap with ### Committed and ### Exploring"
)

_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_NON_GOAL_PREFIX = re.compile(
    r"^(?:\*\*)?(?:non[- ]?goals?|not a goal|out of scope|anti[- ]?goals?)(?:\*\*)?\s*[:\u2013\u2014-]", re.I
)
_HEADING_SECTIONS = [  # first match wins; a heading naming principles and non-goals is principles
    ("principles", re.compile(r"\b(principles?|values|tenets)\b")),
    ("non_goals", re.compile(r"\b(non[- ]?goals?|anti[- ]?goals?|out of scope|not doing|won'?t do)\b")),
    ("roadmap", re.compile(r"\b(roadmap|timeline|release plan)\b")),
    ("customers", re.compile(r"\b(customers?|personas?|users?|audience|who we serve|icp|buyers?)\b")),
    ("metrics", re.compile(r"\b(metrics?|kpis?|success|measures?|okrs?|targets?|goals?)\b")),
    ("market", re.compile(r"\b(markets?|segments?|focus|positioning|go[- ]to[- ]market)\b")),
    ("vision", re.compile(r"\b(vision|mission|purpose|north star|strategy|why we exist)\b")),
]
_EXPLORING = re.compile(
    r"\b(explor\w*|later|ideas?|considering|discovery|maybe|future|backlog|research|someday|not committed)\b"
)
_COMMITTED = re.compile(r"\b(committed|now|next|in progress|planned|building|this quarter|q[1-4])\b")


class VisionStatement(BaseModel):
    """One bullet or sentence of the vision, where it is, and what kind of statement it is."""

    id: str
    section: str = Field(description="vision, customers, market, principles, non_goals, metrics, roadmap or other")
    commitment: str | None = Field(None, description="roadmap items: committed or exploring")
    heading: str = Field(description="the heading it sits under, as written")
    text: str
    source: str
    start_line: int
    end_line: int
    version: str

    @property
    def label(self) -> str:
        if self.section == "roadmap":
            return f"roadmap ({self.commitment})"
        return SECTION_TITLES[self.section].lower()


class Vision(BaseModel):
    """One version of the vision document."""

    version: str = Field(description="content hash of the document")
    number: int = Field(0, description="1 for the first version set, then 2, ...")
    source: str
    set_at: str
    title: str | None = None
    statements: list[VisionStatement]

    def by_section(self) -> dict[str, list[VisionStatement]]:
        grouped: dict[str, list[VisionStatement]] = {}
        for statement in self.statements:
            grouped.setdefault(statement.section, []).append(statement)
        return grouped


def parse_vision(text: str, source: str, set_at: str | None = None) -> Vision:
    """Split a vision document into statements. Raises InputError when no section is recognised."""
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    lines = text.splitlines()
    statements: list[VisionStatement] = []
    title = None
    section: str | None = None
    section_level = 0
    commitment: str | None = None
    heading = ""
    block: list[tuple[int, str]] = []  # (line number, text) of the current bullet or paragraph
    block_is_bullet = False
    in_fence = False
    start = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                start = i + 1
                break

    def flush() -> None:
        nonlocal block
        if block and section is not None:
            _add_statements(statements, block, block_is_bullet, section, commitment, heading, source, version)
        block = []

    for index in range(start, len(lines)):
        number, line = index + 1, lines[index]
        if line.strip().startswith(("```", "~~~")):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = heading_parts(line, max_indent=0)
        if match:
            flush()
            level, name = match[0], _plain(match[1])
            found = _section_of(name)
            if level == 1 and title is None and not statements and section is None and _has_subheadings(lines, index):
                title = name  # the document's title, above its sections
                continue
            if section == "roadmap" and level > section_level and found in (None, "roadmap", "vision", "market"):
                commitment = _commitment(name, commitment)
                heading = name
                continue
            if section == "principles" and level > section_level and found == "non_goals":
                section, heading = "non_goals", name
                continue
            if found is None:
                found = "other"
            section, section_level, heading = found, level, name
            commitment = _commitment(name, "committed") if found == "roadmap" else None
            continue
        if not line.strip() or re.match(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$", line):
            flush()
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            block, block_is_bullet = [(number, bullet.group(2))], True
        elif block and block_is_bullet and line.startswith((" ", "\t")):
            block.append((number, line.strip()))
        else:
            if block and block_is_bullet:
                flush()
            if not block:
                block_is_bullet = False
            block.append((number, line.strip()))
    flush()
    if not any(s.section != "other" for s in statements):
        raise InputError(
            source,
            "no vision sections recognised. Expected headings such as "
            f"{EXPECTED_HEADINGS} (any heading level; each bullet or sentence under them "
            "becomes a statement)",
        )
    return Vision(
        version=version,
        source=source,
        set_at=set_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        title=title,
        statements=statements,
    )


def _add_statements(
    out: list[VisionStatement],
    block: list[tuple[int, str]],
    is_bullet: bool,
    section: str,
    commitment: str | None,
    heading: str,
    source: str,
    version: str,
) -> None:
    if is_bullet:
        pieces = [(block[0][0], block[-1][0], " ".join(text for _, text in block))]
    else:
        pieces = []
        for number, text in block:  # sentences, each with the line it starts on
            for sentence in _SENTENCE.split(text):
                if pieces and not re.search(r"[.!?][\"')]?$", pieces[-1][2]):
                    first, _, previous = pieces[-1]
                    pieces[-1] = (first, number, f"{previous} {sentence}")
                else:
                    pieces.append((number, number, sentence))
    for first, last, text in pieces:
        text = _plain(text)
        if len(text.split()) < 2:
            continue
        kind = section
        if section == "principles" and _NON_GOAL_PREFIX.match(text):
            kind = "non_goals"
        digest = hashlib.sha1(f"{kind}|{text}".encode()).hexdigest()[:10]
        out.append(
            VisionStatement(
                id=f"v:{digest}",
                section=kind,
                commitment=commitment if kind == "roadmap" else None,
                heading=heading,
                text=text,
                source=source,
                start_line=first,
                end_line=last,
                version=version,
            )
        )


def _has_subheadings(lines: list[str], index: int) -> bool:
    return any((m := heading_parts(line, max_indent=0)) and m[0] > 1 for line in lines[index + 1 :])


def _plain(text: str) -> str:
    """Markdown emphasis and links reduced to their words."""
    text = re.sub(r"\[([^\[\]]*)\]\([^()]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    return " ".join(text.split())


def _section_of(heading: str) -> str | None:
    lowered = heading.lower()
    for section, pattern in _HEADING_SECTIONS:
        if pattern.search(lowered):
            return section
    return None


def _commitment(heading: str, default: str | None) -> str | None:
    lowered = heading.lower()
    if _EXPLORING.search(lowered):
        return "exploring"
    if _COMMITTED.search(lowered):
        return "committed"
    return default


def diff(old: Vision, new: Vision) -> list[tuple[str, str, VisionStatement]]:
    """Statements added ("+") and removed ("-") between two versions, section by section;
    a statement whose section or commitment changed shows as removed and added."""

    def key(s: VisionStatement) -> tuple:
        return (s.section, s.commitment, s.text)

    old_keys = [key(s) for s in old.statements]
    new_keys = [key(s) for s in new.statements]
    changes: list[tuple[str, str, VisionStatement]] = []
    matcher = difflib.SequenceMatcher(a=old_keys, b=new_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            changes.extend(("-", old.statements[i].section, old.statements[i]) for i in range(i1, i2))
        if tag in ("insert", "replace"):
            changes.extend(("+", new.statements[j].section, new.statements[j]) for j in range(j1, j2))
    return changes
