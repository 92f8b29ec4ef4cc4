"""Delivering briefs and flags: Slack incoming webhooks (Block Kit) and any JSON webhook (signed).

The messages are built here from the same Brief and Flag objects `--json` prints, and posted with
the standard library. The webhook URLs are secrets (a Slack incoming-webhook URL is its own
credential): `Settings` registers them, so no message, error or log shows them, and nothing stores
them; the store keeps only a hash of a destination to remember which flags were sent to it.

Slack's documented limits, kept by construction: at most 50 blocks per message, a header's text
150 characters, a section's 3,000, a context block 10 elements; a whole message is kept under
12,000 characters of text (Slack rejects long messages below its documented 40,000 with
msg_blocks_too_long). A long brief becomes several messages, split between facts, so a fact and
its citations always arrive together and no citation is cut.

A generic webhook receives JSON (`{"kind": "brief", ...}` or `{"kind": "flags", ...}`) with
`X-Synth-Timestamp` and `X-Synth-Signature: sha256=HEX`, the HMAC-SHA256 of `TIMESTAMP.BODY` under
SYNTH_WEBHOOK_SECRET; `verify_signature` is what a receiver runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal

from .errors import ConfigError, SynthError

if TYPE_CHECKING:
    from .brief.model import Brief, Cite
    from .config import Settings
    from .models import Flag, FlagSide

Target = Literal["slack", "webhook"]
TARGETS: tuple[Target, ...] = ("slack", "webhook")

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_MESSAGE_CHARS = 12000
ATTEMPTS = 4  # tries per message: the first and three retries on 429, 5xx or a dropped connection
TIMEOUT = 30.0
SIGNATURE_HEADER = "X-Synth-Signature"
TIMESTAMP_HEADER = "X-Synth-Timestamp"


class DeliveryError(SynthError):
    """A message could not be delivered (after the last retry)."""


@dataclass(frozen=True)
class Destination:
    """Where to post: Slack or a generic webhook; the URL and secret are never shown."""

    target: Target
    url: str
    secret: str | None = None

    @property
    def name(self) -> str:
        return (
            "the Slack webhook (SYNTH_SLACK_WEBHOOK)" if self.target == "slack" else "the webhook (SYNTH_WEBHOOK_URL)"
        )

    @property
    def key(self) -> str:
        """What the store remembers a destination by: a hash, never the URL."""
        return f"{self.target}:{hashlib.sha256(self.url.encode()).hexdigest()[:16]}"


def destination(settings: Settings, target: Target) -> Destination:
    """The destination a `--post` names, from the settings; a missing variable is a clear error."""
    if target == "slack":
        if not settings.slack_webhook:
            raise ConfigError("--post slack needs SYNTH_SLACK_WEBHOOK: the Slack incoming-webhook URL of the channel")
        return Destination("slack", settings.slack_webhook)
    if not settings.webhook_url:
        raise ConfigError("--post webhook needs SYNTH_WEBHOOK_URL: the URL that receives the JSON")
    if not settings.webhook_secret:
        raise ConfigError(
            "--post webhook needs SYNTH_WEBHOOK_SECRET: every request is signed with it so the receiver can "
            "verify it came from synth (X-Synth-Signature)"
        )
    return Destination("webhook", settings.webhook_url, settings.webhook_secret)


# --- Slack Block Kit ------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Text as Slack's mrkdwn needs it: &, < and > escaped (so nothing becomes a link or a mention)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def short_cite(source: str, start_line: int, end_line: int) -> str:
    """A citation as a short `file:line` (the file's name, not its folder)."""
    lines = f"{start_line}" if start_line == end_line else f"{start_line}-{end_line}"
    return f"{PurePath(source).name}:{lines}"


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _clip(text, MAX_HEADER), "emoji": False}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, MAX_SECTION)}}


def _context(texts: list[str]) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def citation_context(cites: list[str]) -> list[dict[str, Any]]:
    """Context blocks listing citations: whole citations packed into elements of at most
    MAX_CONTEXT_TEXT characters, at most 10 elements a block (a citation is never cut)."""
    elements: list[str] = []
    current = ""
    for cite in dict.fromkeys(cites):  # once each, in order
        piece = slack_escape(f"`{cite}`")
        if current and len(current) + 3 + len(piece) > MAX_CONTEXT_TEXT:
            elements.append(current)
            current = ""
        current = f"{current} · {piece}" if current else piece
    if current:
        elements.append(current)
    return [_context(elements[i : i + MAX_CONTEXT_ELEMENTS]) for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)]


Unit = list[dict[str, Any]]  # blocks that must arrive in the same message (a fact and its citations)


def _chars(blocks: Unit) -> int:
    return len(json.dumps(blocks))


def pack_messages(title: str, fallback: str, units: list[Unit]) -> list[dict[str, Any]]:
    """Slack messages: a header on each, then as many whole units as fit the block and size budgets."""
    messages: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    for unit in units:
        budget_blocks = MAX_BLOCKS - 1  # the header
        if current and (len(current) + len(unit) > budget_blocks or _chars(current + unit) > MAX_MESSAGE_CHARS):
            messages.append(current)
            current = []
        current += unit
    if current or not messages:
        messages.append(current)
    out = []
    for number, blocks in enumerate(messages, 1):
        part = f" ({number}/{len(messages)})" if len(messages) > 1 else ""
        # a link in a note is text: Slack must not fetch it to show a preview (a tracking pixel would load)
        message = {"text": _clip(fallback + part, 3000), "blocks": [_header(title + part), *blocks]}
        out.append(message | {"unfurl_links": False, "unfurl_media": False})
    return out


def _brief_cites(cites: list[Cite]) -> list[str]:
    return [short_cite(c.source, c.start_line, c.end_line) for c in cites]


def brief_messages(brief: Brief) -> list[dict[str, Any]]:
    """The brief as Slack messages: a header, the period, then each section's title and its facts,
    each fact followed by its citations as `file:line`."""
    from .teams import display_team

    who = brief.person or (display_team(brief.audience) if brief.audience else None)
    title = f"Brief{' for ' + who if who else ''}: {brief.period}"
    mode = "Assembled without a model." if brief.mode == "offline" else f"Leads written by {brief.mode}."
    about = f"As of {brief.until}. {len(brief.meetings)} meetings in the period, {brief.meetings_stored} stored. {mode}"
    units: list[Unit] = [[_context([slack_escape(about)])]]
    groups = [(s.title, s.prose, s.facts, s.empty, s.left_out) for s in brief.sections]
    groups += [
        ("Suggested agenda", None, brief.agenda, "Nothing needs the whole team.", None),
        ("Questions worth asking", None, brief.questions, "No open question.", None),
    ]
    for heading, prose, facts, empty, left_out in groups:
        lead = f"*{slack_escape(heading)}*" + (f"\n{slack_escape(prose)}" if prose else "")
        if not facts:
            units.append([{"type": "divider"}, _section(f"{lead}\n_{slack_escape(empty)}_")])
            continue
        units.append([{"type": "divider"}, _section(lead)])
        for fact in facts:
            text = f"• {slack_escape(fact.text)}\n{slack_escape(fact.detail_text())}"
            units.append([_section(text), *citation_context(_brief_cites(fact.cites))])
        if left_out:
            units.append([_context([slack_escape(f"And {left_out}.")])])
    return pack_messages(title, title, units)


def _side_cite(side: FlagSide) -> str:
    return short_cite(side.source, side.start_line, side.end_line)


def flag_messages(flags: list[Flag]) -> list[dict[str, Any]]:
    """New flags as Slack messages: each flag's type, explanation and both sides with `file:line`."""
    title = f"synth: {len(flags)} new flag{'s' if len(flags) != 1 else ''}"
    units: list[Unit] = []
    for flag in flags:
        sides = "\n".join(
            f"> {slack_escape(side.kind)}"
            + (f" ({slack_escape(side.team)})" if side.team else "")
            + f": {slack_escape(_clip(side.text, 600))}"
            for side in flag.sides
        )
        text = (
            f"*{slack_escape(flag.type.replace('_', ' '))}* `{flag.id}` (confidence {flag.confidence:.2f})\n"
            f"{slack_escape(flag.explanation)}\n{sides}"
        )
        units.append([_section(text), *citation_context([_side_cite(s) for s in flag.sides])])
    return pack_messages(title, title, units)


# --- generic webhook -----------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: sha256= and the HMAC-SHA256 of `TIMESTAMP.BODY`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str, max_age: float = 300.0) -> bool:
    """What a receiver checks: the signature matches, and the timestamp is recent (no replays)."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= max_age
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def webhook_body(kind: Literal["brief", "flags"], payload: Any) -> bytes:
    return json.dumps({"kind": kind, "sent_by": "synth", **payload}).encode()


# --- posting ----------------------------------------------------------------------------------


def post(
    where: Destination,
    body: bytes,
    sleep: Callable[[float], None] = time.sleep,
    backoff: float = 1.0,
) -> None:
    """POST one message, retrying 429, 5xx and dropped connections with exponential backoff (and
    Retry-After when given, at most 30 s); raises DeliveryError after the last try."""
    from .redact import without_secrets

    headers = {"Content-Type": "application/json", "User-Agent": "synth"}
    problem = ""
    for attempt in range(1, ATTEMPTS + 1):
        if where.secret:
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(where.secret, timestamp, body)
        request = urllib.request.Request(where.url, data=body, headers=headers, method="POST")
        wait = backoff * 2 ** (attempt - 1)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
                return
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip()
            problem = f"HTTP {exc.code}" + (f": {detail}" if detail else "")
            if exc.code != 429 and exc.code < 500:
                raise DeliveryError(f"{where.name} refused the message: {without_secrets(problem)}") from None
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            if retry_after and retry_after.strip().isdigit():
                wait = min(float(retry_after), 30.0)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            problem = f"cannot connect: {reason}"
        if attempt < ATTEMPTS:
            sleep(wait)
    raise DeliveryError(
        f"{where.name} failed after {ATTEMPTS} tries ({without_secrets(problem)}); nothing was marked as sent"
    )


def post_brief(where: Destination, brief: Brief, markdown: str, **retry: Any) -> int:
    """Post a brief; returns how many messages it took."""
    if where.target == "slack":
        messages = brief_messages(brief)
        for message in messages:
            post(where, json.dumps(message).encode(), **retry)
        return len(messages)
    post(where, webhook_body("brief", {"brief": json.loads(brief.model_dump_json()), "markdown": markdown}), **retry)
    return 1


def post_flags(where: Destination, flags: list[Flag], **retry: Any) -> int:
    """Post flags (nothing when there are none); returns how many messages it took."""
    if not flags:
        return 0
    if where.target == "slack":
        messages = flag_messages(flags)
        for message in messages:
            post(where, json.dumps(message).encode(), **retry)
        return len(messages)
    post(where, webhook_body("flags", {"flags": [json.loads(f.model_dump_json()) for f in flags]}), **retry)
    return 1
