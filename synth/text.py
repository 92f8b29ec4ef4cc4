"""Plain-text hygiene shared by the domain and the presentation layer (no project imports)."""

from __future__ import annotations

import re

# ANSI escape sequences and other control characters that came from notes must not reach a terminal.
# Bidirectional overrides are removed too: they make a terminal show text in another order than it is.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
    r"|[\u202a-\u202e\u2066-\u2069]"
)


# In a file name: controls, line and paragraph separators, and the bidirectional overrides.
_UNPRINTABLE_IN_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped_name(name: str) -> str:
    """A file name whose control characters are written as escapes (`a\\nb.md`), so a name can
    neither forge a line of output nor reorder one; other characters, backslashes included, stay."""
    return _UNPRINTABLE_IN_NAME.sub(lambda m: _SHORT_ESCAPES.get(m[0]) or m[0].encode("unicode_escape").decode(), name)


def safe(text: str) -> str:
    """Text from notes with terminal control sequences removed."""
    return _CONTROL.sub("", text)


# What makes Markdown live: [ and ] open links and images (![pixel](http://...), [x](javascript:...),
# reference definitions), < opens raw HTML and <autolinks>; \ would undo an escape. A brief's own
# reference to a fact, "[R1]" with no "(", "[" or ":" after it, is no link and stays as written.
_MARKDOWN_ACTIVE = re.compile(r"\[[A-Z]{1,3}\d{1,4}\](?![(\[:])|[\\\[\]<]")


def inert_markdown(text: str) -> str:
    """Text from notes, safe as above, that a Markdown reader shows as written: no image loads, no
    link or HTML is live (each active character is backslash-escaped; the words all stay)."""
    return _MARKDOWN_ACTIVE.sub(lambda m: m[0] if len(m[0]) > 1 else "\\" + m[0], safe(text))
