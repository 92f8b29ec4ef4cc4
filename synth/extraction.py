"""Insights from meetings: the prompted chain over transcript windows, grounding and merging.

One call per window extracts every kind at once. Windows hold whole turns, fit the model's
context (SYNTH_WINDOW_CHARS) and overlap by a few turns; each line keeps its line number and
speaker visible to the model. Every insight the model proposes is kept only if its quote is
found in that window's text; its speaker and lines come from where the quote was found.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, field_validator

from .grounding import GroundingText, words
from .kinds import KINDS
from .models import Insight, Meeting, Turn
from .text import safe

EXTRACT_PROMPT = "extract_insights"
WINDOW_CHARS = 6000
OVERLAP_CHARS = 600
MAX_INSIGHTS_PER_WINDOW = 40

_KIND_ALIASES = {
    "findings": "finding",
    "learning": "finding",
    "insight": "finding",
    "observation": "finding",
    "roadblocks": "roadblock",
    "blocker": "roadblock",
    "blockers": "roadblock",
    "problem": "roadblock",
    "problems": "roadblock",
    "risk": "roadblock",
    "issue": "roadblock",
    "assumptions": "assumption",
    "hypothesis": "assumption",
    "belief": "assumption",
    "decisions": "decision",
    "agreement": "decision",
    "actions": "action",
    "action_item": "action",
    "action item": "action",
    "todo": "action",
    "task": "action",
    "requests": "request",
    "feature_request": "request",
    "feature request": "request",
    "ask": "request",
    "promises": "promise",
    "commitment": "promise",
    "commitments": "promise",
    "customer promise": "promise",
}


class ModelInsight(BaseModel):
    """One insight as the model proposes it, before grounding."""

    kind: str = Field(
        description="finding, roadblock, assumption, decision, action, request or promise",
        json_schema_extra={"enum": list(KINDS)},
    )
    statement: str = Field(description="one short self-contained sentence")
    quote: str = Field(description="the exact transcript words that support it")
    speaker: str | None = Field(None, description="who said the quoted words")
    confidence: float = Field(0.6, description="0 to 1")
    owner: str | None = Field(None, description="for actions: who will do it")
    due: str | None = Field(None, description="for actions: when")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> str:
        text = str(value or "").strip().lower().replace("-", "_")
        text = _KIND_ALIASES.get(text, _KIND_ALIASES.get(text.replace("_", " "), text))
        if text not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {value!r}")
        return text

    @field_validator("statement", "quote", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        text = " ".join(safe(str(value or "")).split())  # a model never needs control sequences
        if not text:
            raise ValueError("must not be empty")
        return text[:1000]

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return 0.6
        if number > 1:
            number = number / 100 if number <= 100 else 1.0
        return min(1.0, max(0.0, number))

    @field_validator("speaker", "owner", "due", mode="before")
    @classmethod
    def _optional(cls, value: Any) -> str | None:
        if value is None:
            return None
        text = " ".join(str(value).split())
        return None if text.lower() in ("", "null", "none", "n/a", "unknown") else text[:200]


class ExtractionOutput(BaseModel):
    """Record the insights found in this part of the transcript."""

    insights: list[ModelInsight] = Field(default_factory=list)


@dataclass
class Window:
    index: int
    turns: list[Turn]
    text: str  # what the model sees: labelled lines


def make_windows(meeting: Meeting, max_chars: int = WINDOW_CHARS, overlap_chars: int = OVERLAP_CHARS) -> list[Window]:
    """Whole turns packed into windows of at most `max_chars`, each starting with the last turns
    of the one before (about `overlap_chars`). A single longer turn is cut at sentence ends."""
    from .chunker import split_long_turn

    pieces: list[Turn] = []
    for turn in meeting.turns:
        pieces.extend(split_long_turn(turn, max(400, max_chars // 2)))
    lines = [_label(t, meeting) for t in pieces]
    windows: list[Window] = []
    start = 0
    while start < len(pieces):
        size, end = 0, start
        while end < len(pieces) and (end == start or size + len(lines[end]) + 1 <= max_chars):
            size += len(lines[end]) + 1
            end += 1
        windows.append(Window(len(windows), pieces[start:end], "\n".join(lines[start:end])))
        if end >= len(pieces):
            break
        # step back over whole turns for the overlap, always moving forward
        back, carried = end, 0
        while back - 1 > start and carried + len(lines[back - 1]) <= overlap_chars:
            back -= 1
            carried += len(lines[back]) + 1
        start = back if back > start else end
    return windows


def _label(turn: Turn, meeting: Meeting) -> str:
    speaker = turn.speaker or "unknown"
    team = meeting.speaker_teams.get(turn.speaker or "", meeting.team or "unknown")
    text = _neutralize(turn.text.replace("\n", " "))
    return f"[L{turn.start_line}] {speaker} ({team}): {text}"


_TAGS = re.compile(r"</?\s*(transcript|system|assistant|user|instructions?)\s*>", re.I)


def _neutralize(text: str) -> str:
    """Transcript text cannot close the data block or open a fake one."""
    return _TAGS.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def user_message(meeting: Meeting, window: Window, total: int) -> str:
    """The data part of a call. Inserted as it is: never expanded as a template."""
    return (
        f"Meeting: {_neutralize(meeting.title)} ({meeting.date.isoformat()}), part {window.index + 1} of {total}.\n"
        f"<transcript>\n{window.text}\n</transcript>"
    )


def prompt_version(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()[:12]


def cache_key(prompt: str, model: str, base_url: str | None, user: str) -> str:
    raw = json.dumps([prompt_version(prompt), model, server_key(base_url), user])
    return "x" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def server_key(url: str | None) -> str:
    """The base URL (password masked), fit to store as part of a key."""
    from .redact import public_url

    return (public_url(url) or "openai").rstrip("/")


# --- grounding and merging ---------------------------------------------------------------------


@dataclass
class Grounded:
    insights: list[Insight] = field(default_factory=list)
    dropped: int = 0
    reasons: list[str] = field(default_factory=list)


def ground(
    items: list[ModelInsight],
    window: Window,
    meeting: Meeting,
    extractor: str,
    prompt: str = "",
    limit: int | None = MAX_INSIGHTS_PER_WINDOW,
) -> Grounded:
    """Keep the items whose quote is in the window; take speaker and lines from the text. A
    model's reply is capped at `limit` items (a runaway reply); the offline extractor's whole
    meeting is one window and is not capped."""
    result = Grounded()
    text = GroundingText(window.turns)
    prompt_grams = _grams(words(prompt), 8) if prompt else set()
    text_grams = _grams(text.tokens, 8) if prompt_grams else set()
    for item in items[:limit]:
        located = text.locate(item.quote)
        if located is None:
            result.dropped += 1
            result.reasons.append(f"quote not found: {item.quote[:80]!r}")
            continue
        statement_grams = _grams(words(item.statement), 8)
        if statement_grams & prompt_grams and not statement_grams & text_grams:
            result.dropped += 1
            result.reasons.append("statement repeats the instructions")
            continue
        speaker = located.speaker
        team = meeting.speaker_teams.get(speaker or "", meeting.team or "unknown") or "unknown"
        quote = _source_quote(window.turns[located.first_turn : located.last_turn + 1], item.quote, located)
        result.insights.append(
            Insight(
                id=insight_id(meeting, item.kind, located.start_line, located.text),
                kind=item.kind,
                statement=item.statement,
                quote=quote,
                speaker=speaker,
                team=team,
                meeting_id=meeting.meeting_id,
                title=meeting.title,
                date=meeting.date.isoformat(),
                source=meeting.source,
                start_line=located.start_line,
                end_line=located.end_line,
                confidence=round(item.confidence * (1.0 if located.similarity >= 0.999 else located.similarity), 3),
                owner=item.owner if item.kind == "action" else None,
                due=item.due if item.kind == "action" else None,
                status="untested" if item.kind == "assumption" else None,
                extractor=extractor,
            )
        )
    return result


def _source_quote(turns: list[Turn], model_quote: str, located) -> str:
    """The quote as the transcript writes it (its own words and punctuation), not the model's copy."""
    joined = " ".join(t.text for t in turns)
    target = located.text.split()
    if not target:
        return model_quote
    # walk the original text's words and cut the same stretch out of it
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", joined)]
    normalized = [" ".join(words(joined[s:e])) for s, e in spans]
    for i in range(len(spans)):
        got: list[str] = []
        j = i
        while j < len(spans) and len(got) < len(target):
            got.extend(normalized[j].split())
            j += 1
        if got[: len(target)] == target and normalized[i] and normalized[i].split()[0] == target[0]:
            return joined[spans[i][0] : spans[j - 1][1]]
    return model_quote


def _grams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def insight_id(meeting: Meeting, kind: str, start_line: int, quote_words: str) -> str:
    digest = hashlib.sha1(f"{kind}|{start_line}|{quote_words}".encode()).hexdigest()[:10]
    return f"{meeting.meeting_id}:{meeting.content_hash[:12]}:{kind}:{digest}"


def merge_duplicates(
    insights: list[Insight], vectors: list[list[float]] | None = None, similar: float = 0.92
) -> tuple[list[Insight], list[int]]:
    """Merge near-duplicates of the same kind (overlapping windows, restatements): same quoted
    words, overlapping quotes on overlapping lines, or statements that say the same thing.
    Returns the kept insights (highest confidence first wins) and their indexes."""
    order = sorted(range(len(insights)), key=lambda i: -insights[i].confidence)
    kept: list[int] = []
    for i in order:
        a = insights[i]
        duplicate = False
        for j in kept:
            b = insights[j]
            if a.kind != b.kind:
                continue
            if (
                a.id == b.id
                or a.start_line <= b.end_line
                and b.start_line <= a.end_line
                and _overlap(a.quote, b.quote) >= 0.6
                or vectors is not None
                and sum(x * y for x, y in zip(vectors[i], vectors[j])) >= similar
                and not _other_sentence_of_one_turn(a, b)
            ):
                duplicate = True
            if duplicate:
                break
        if not duplicate:
            kept.append(i)
    kept.sort(key=lambda i: (insights[i].start_line, insights[i].kind))
    return [insights[i] for i in kept], kept


def _other_sentence_of_one_turn(a: Insight, b: Insight) -> bool:
    """Two different sentences of one turn ("I assume it takes two months. Nobody has asked for
    it.") are two insights, however alike their statements read."""
    return a.start_line == b.start_line and a.end_line == b.end_line and _overlap(a.quote, b.quote) < 0.3


def _overlap(a: str, b: str) -> float:
    """Share of the shorter quote's words that the other has."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def run_id(version: str, extractor: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")
    tag = re.sub(r"[^a-z0-9]+", "-", extractor.lower())[:24]
    return f"{version[:12]}-{tag}-{stamp}"
