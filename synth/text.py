"""Plain-text hygiene shared by the domain and the presentation layer (no project imports)."""

from __future__ import annotations

import re

# ANSI escape sequences and other control characters that came from notes must not reach a terminal.
# Bidirectional overrides are removed too: they make a terminal show text in another order than it is.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
    r"|[\u202a-\u202e\u2066-\u2069]"
)


def safe(text: str) -> str:
    """Text from notes with terminal control sequences removed."""
    return _CONTROL.sub("", text)
