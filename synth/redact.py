"""Secrets: the registry of every key and token this process was given, masking them (and any
password in a URL) out of text, and having glibc overwrite freed memory while one is held.

Who masks: `Settings` registers each secret it is given; a `SynthError` masks its message when
it is made, so every error synth raises, stores or shows is already clean; the CLI masks the
message of an unexpected (non-synth) exception through the same registry. Nothing else needs to
mask. This module imports nothing from synth, so errors.py can use it (no import cycle).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

_URL_CREDENTIALS = re.compile(r"(https?://)[^/@\s]*@")
_SECRETS: set[str] = set()  # every key and token this process was given: masked wherever text is shown
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words
ENVIRONMENT_SECRETS = (
    "OPENAI_API_KEY",
    "SYNTH_CHROMA_TOKEN",
    "SYNTH_SLACK_WEBHOOK",  # a Slack incoming-webhook URL is its own credential
    "SYNTH_WEBHOOK_URL",
    "SYNTH_WEBHOOK_SECRET",
    "SYNTH_MCP_TOKEN",
)


def register_secrets(*values: str | None) -> None:
    """Remember secrets to mask; a process that holds one also has freed memory overwritten."""
    given = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
    if given:
        _SECRETS.update(given)
        scrub_freed_memory()


def register_environment_secrets() -> None:
    """Register the secrets in the environment, even those a flag overrides (the CLI calls this
    at its start: a key in the environment is never shown, whatever the command used)."""
    register_secrets(*(os.environ.get(name) for name in ENVIRONMENT_SECRETS))


def url_password(url: str | None) -> str | None:
    """The password of a URL's user:password@ part, if any."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).password if url else None
    except ValueError:  # a malformed URL is reported where it is used
        return None


M_PERTURB = -6  # glibc's mallopt parameter: fill freed memory with a byte, and new memory with its complement
_scrubbed = False


def scrub_freed_memory() -> None:
    """From now on, glibc overwrites memory when it is freed, in this process.

    Chroma writes its HNSW files with their unused slots as they lie in memory, and that memory
    can hold what the process freed before: the headers of a model request, API key included,
    were found in a data_level0.bin (tests/test_secrets.py reproduces it). With freed memory
    overwritten, the files hold a fill byte there instead. Embedding gets about 10% slower, so
    this is only on when a secret is held. Without glibc's mallopt (macOS, musl) nothing changes."""
    global _scrubbed
    if _scrubbed:
        return
    _scrubbed = True
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(M_PERTURB, 0x5A)
    except (OSError, AttributeError):
        pass


def public_url(url: str | None) -> str | None:
    """A URL fit to show or store: any user:password@ part is masked."""
    return without_secrets(url) if url else url


FRAGMENT = 8  # a piece of a secret this long is masked too (a server or library may have cut it)


def without_secrets(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """Text fit to show or store: the given secrets, every registered one, any piece of FRAGMENT
    characters or more of one (a key cut by whoever shortened the text), and any password in a
    URL masked."""
    known = {s for s in (*secrets, *_SECRETS) if s and len(s) >= MIN_SECRET_LENGTH}
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, "***")
        if len(secret) > FRAGMENT:
            text = _without_fragments(text, secret)
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def _without_fragments(text: str, secret: str) -> str:
    """Every run of text covered by FRAGMENT-character pieces of `secret`, masked."""
    pieces = {secret[i : i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1)}
    covered_until = -1
    spans: list[list[int]] = []
    for start in range(len(text) - FRAGMENT + 1):
        if text[start : start + FRAGMENT] in pieces:
            end = start + FRAGMENT
            if spans and start <= covered_until:
                spans[-1][1] = end
            else:
                spans.append([start, end])
            covered_until = end
    for start, end in reversed(spans):
        text = text[:start] + "***" + text[end:]
    return text


def shortened(text: str, limit: int) -> str:
    """Text cut to `limit` characters for a message: masked first, then cut, so no piece of a
    secret is left at the cut."""
    return without_secrets(text)[:limit]


class StreamMasker:
    """Masks secrets in text that arrives in pieces (a streamed model reply): it holds back as
    many characters as the longest secret, so a key split across pieces is still masked whole."""

    def __init__(self, emit: Callable[[str], None]):
        self.emit = emit
        self._held = ""

    def __call__(self, piece: str) -> None:
        self._held += piece
        keep = max((len(s) for s in _SECRETS), default=0)
        cut = len(self._held) - keep
        if cut <= 0:
            return
        for secret in _SECRETS:  # a secret across the cut is whole in what is held: cut after it
            start = self._held.find(secret, max(0, cut - len(secret) + 1))
            while 0 <= start < cut:
                cut = max(cut, start + len(secret))
                start = self._held.find(secret, start + 1)
        ready, self._held = self._held[:cut], self._held[cut:]
        self.emit(without_secrets(ready))

    def flush(self) -> None:
        if self._held:
            self.emit(without_secrets(self._held))
            self._held = ""
