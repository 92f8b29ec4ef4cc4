"""WebVTT and SRT transcripts, as Zoom, Teams and Meet export them."""

from __future__ import annotations

import html
import re

from ..errors import InputError
from ..models import Turn
from .lines import SPEAKER_NAME

_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(?:\s+.*)?$"
)
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^<>\s][^<>]*)>", re.I)
_TAGS = re.compile(r"</?[a-z][^>]*>|<\d{1,2}:\d{2}[^>]*>", re.I)
_INLINE_SPEAKER = re.compile("^" + SPEAKER_NAME + r"\s*:\s+(?P<text>\S.*)$")


def _seconds(stamp: str) -> float:
    stamp = stamp.replace(",", ".")
    total = 0.0
    for part in stamp.split(":"):
        total = total * 60 + float(part)
    return total


def read_vtt(text: str, source: str) -> list[Turn]:
    """Cues of a WebVTT file merged into turns of consecutive speech by one speaker."""
    lines = text.split("\n")
    if not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError(source, "is not a WebVTT file: the first line must start with WEBVTT", line=1)
    return _read_cues(lines, source, vtt=True)


def read_srt(text: str, source: str) -> list[Turn]:
    """Cues of an SRT file merged into turns of consecutive speech by one speaker."""
    return _read_cues(text.split("\n"), source, vtt=False)


def _read_cues(lines: list[str], source: str, vtt: bool) -> list[Turn]:
    cues: list[tuple[str | None, str, int, int, float]] = []
    i = 1 if vtt else 0
    n = len(lines)
    while i < n:
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        if vtt and re.match(r"^(NOTE|STYLE|REGION)\b", line):
            while i < n and lines[i].strip():
                i += 1
            continue
        timing_at = i
        if "-->" not in line:
            # a cue identifier (SRT index, VTT id): the timing must be on the next line
            timing_at = i + 1
            if timing_at >= n or "-->" not in lines[timing_at]:
                if not vtt and not line.isdigit():
                    raise InputError(source, f"expected a cue number or a timing line, found {line[:40]!r}", line=i + 1)
                raise InputError(
                    source,
                    "a cue has no timing line (expected 00:00:01.000 --> 00:00:04.000)",
                    line=min(timing_at, n - 1) + 1,
                )
        timing = _TIMING.match(lines[timing_at])
        if not timing:
            raise InputError(
                source,
                f"broken timestamp {lines[timing_at].strip()[:60]!r} (expected 00:00:01.000 --> 00:00:04.000)",
                line=timing_at + 1,
            )
        start = _seconds(timing.group("start"))
        if _seconds(timing.group("end")) < start:
            raise InputError(source, "a cue ends before it starts", line=timing_at + 1)
        j = timing_at + 1
        body: list[tuple[int, str]] = []
        while j < n and lines[j].strip():
            body.append((j + 1, lines[j].strip()))
            j += 1
        i = j
        if not body:
            continue
        speaker: str | None = None
        parts: list[str] = []
        for _, raw in body:
            voice = _VOICE.search(raw)
            if voice:
                speaker = voice.group(1).strip()
            clean = html.unescape(_TAGS.sub("", raw)).strip()
            if not parts and speaker is None:
                inline = _INLINE_SPEAKER.match(clean)
                if inline:
                    speaker, clean = inline.group("name").strip(), inline.group("text")
            if clean:
                parts.append(clean)
        if parts:
            cues.append((speaker, " ".join(parts), body[0][0], body[-1][0], start))
    if not cues:
        raise InputError(source, "has no cues with text")
    turns: list[Turn] = []
    for speaker, text, first, last, start in cues:
        if turns and turns[-1].speaker == speaker:
            prev = turns[-1]
            prev.text = f"{prev.text} {text}"
            prev.end_line = last
        else:
            turns.append(Turn(speaker=speaker, text=text, start_line=first, end_line=last, start_time=start))
    return turns
