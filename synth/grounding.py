"""Grounding: find a model's quote in the transcript it was given, and take the speaker and lines
from where it was found, never from what the model claims.

Text is compared as lower-case words (letters and digits), so case, whitespace and punctuation
do not matter. A quote not found exactly is accepted if some stretch of the transcript matches
it with a similarity of at least 0.9 (difflib's ratio over the normalized words). A quote with
an ellipsis ("we need ... by March") is grounded part by part, in order.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from .models import Turn

MIN_WORDS = 3
SIMILARITY = 0.9
MAX_GAP = 40  # words an ellipsis may stand for
_WORD = re.compile(r"[a-z0-9]+")
_ELLIPSIS = re.compile(r"(?<!\s)\s*(?:\.\.\.+|…|\[\.\.\.\])\s*")
_LABEL = re.compile(r"^\s*(?:\[?L\d+(?:-\d+)?\]?\s*)?")


def words(text: str) -> list[str]:
    """Lower-case letters-and-digits words; accents folded, apostrophes joined ("don't" -> "dont")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _WORD.findall(folded.replace("'", "").replace("\u2019", ""))


@dataclass
class Located:
    """Where a quote was found: the turns it spans and how well it matched."""

    first_turn: int
    last_turn: int
    similarity: float
    speaker: str | None
    start_line: int
    end_line: int
    text: str  # the transcript's own words at that place


class GroundingText:
    """The words of a list of turns, each word knowing its turn."""

    def __init__(self, turns: list[Turn]):
        self.turns = turns
        self.tokens: list[str] = []
        self.turn_of: list[int] = []
        for index, turn in enumerate(turns):
            for word in words(turn.text):
                self.tokens.append(word)
                self.turn_of.append(index)
        self._joined = " " + " ".join(self.tokens) + " "
        # word index for each character offset of a word start in the joined text
        self._offsets = {}
        position = 1
        for i, token in enumerate(self.tokens):
            self._offsets[position] = i
            position += len(token) + 1

    def locate(self, quote: str, speakers: set[str] | None = None) -> Located | None:
        """The best place for `quote`, or None when it is not in the text (or too short to tell)."""
        quote = _strip_label(quote, speakers or {t.speaker for t in self.turns if t.speaker})
        parts = [p for p in _ELLIPSIS.split(quote) if p.strip()]
        if not parts:
            return None
        spans: list[tuple[int, int, float]] = []
        start_from = 0
        for part in parts:
            span = self._find(words(part), start_from)
            if span is None or (spans and span[0] - spans[-1][1] > MAX_GAP):
                return None
            spans.append(span)
            start_from = span[1]
        first, last = spans[0][0], spans[-1][1] - 1
        similarity = min(s[2] for s in spans)
        first_turn, last_turn = self.turn_of[first], self.turn_of[last]
        turns = self.turns[first_turn : last_turn + 1]
        # the speaker is whoever said most of the quoted words
        counts: dict[int, int] = {}
        for i in range(first, last + 1):
            counts[self.turn_of[i]] = counts.get(self.turn_of[i], 0) + 1
        main_turn = max(counts, key=lambda t: (counts[t], -t))
        return Located(
            first_turn=first_turn,
            last_turn=last_turn,
            similarity=round(similarity, 3),
            speaker=self.turns[main_turn].speaker,
            start_line=min(t.start_line for t in turns),
            end_line=max(t.end_line for t in turns),
            text=" ".join(self.tokens[first : last + 1]),
        )

    def _find(self, wanted: list[str], start_from: int) -> tuple[int, int, float] | None:
        """(first word, end word exclusive, similarity) of `wanted` at or after `start_from`."""
        n = len(wanted)
        if n < MIN_WORDS and not (n >= 1 and sum(len(w) for w in wanted) >= 12):
            return None
        needle = " " + " ".join(wanted) + " "
        offset = self._joined.find(needle, self._word_offset(start_from))
        if offset >= 0:
            first = self._offsets[offset + 1]
            return first, first + n, 1.0
        return self._fuzzy(wanted, start_from)

    def _word_offset(self, index: int) -> int:
        return sum(len(t) + 1 for t in self.tokens[:index])

    def _fuzzy(self, wanted: list[str], start_from: int) -> tuple[int, int, float] | None:
        """Slide windows of about the quote's length; compare only where most words are shared."""
        n = len(wanted)
        tokens = self.tokens
        if len(tokens) - start_from < max(1, int(n * 0.8)):
            return None
        vocabulary = set(wanted)
        shared = [0]
        for token in tokens:
            shared.append(shared[-1] + (token in vocabulary))
        target = " ".join(wanted)
        best: tuple[int, int, float] | None = None
        lengths = sorted({max(1, n - max(1, n // 10)), n, n + max(1, n // 10)})
        for length in lengths:
            for start in range(start_from, len(tokens) - length + 1):
                if shared[start + length] - shared[start] < 0.7 * min(n, length):
                    continue
                candidate = " ".join(tokens[start : start + length])
                matcher = difflib.SequenceMatcher(None, target, candidate, autojunk=False)
                if matcher.quick_ratio() < SIMILARITY:
                    continue
                ratio = matcher.ratio()
                if ratio >= SIMILARITY and (best is None or ratio > best[2]):
                    best = (start, start + length, ratio)
        return best


def _strip_label(quote: str, speakers: set[str]) -> str:
    """Models often copy the line label or the speaker name in front of a quote; drop them."""
    quote = _LABEL.sub("", quote.strip().strip("\"“”'"))
    for speaker in sorted(speakers, key=len, reverse=True):
        for pattern in (f"{speaker}:", f"{speaker} ("):
            if quote.lower().startswith(pattern.lower()):
                rest = quote[len(speaker) :]
                rest = re.sub(r"^\s*\([^)]*\)\s*", "", rest)
                return rest.lstrip(": ").strip()
    return quote


def quote_in_lines(quote: str, lines: list[str]) -> bool:
    """True when the quote's words are in these source lines (used by tests and `synth insights
    --verify`): the same tolerant match, over the raw lines."""
    text = GroundingText([Turn(text=line, start_line=i + 1, end_line=i + 1) for i, line in enumerate(lines)])
    return text.locate(quote, speakers=set()) is not None
