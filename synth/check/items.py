"""The things the check holds against each other: an insight or a vision statement, each with its
vector and the flag side it would be; pairs of them worth judging; and a judge's verdict."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from ..grounding import words
from ..models import FlagSide, Insight
from ..teams import OUTSIDE
from ..vision import Vision, VisionStatement
from .compare import Reading, read
from .flags import PairCategory, Verdict, insight_key

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float32]

Vector = list[float]


@dataclass
class InsightItem:
    """An insight as one side of a flag, with its statement's vector. The side is made when
    first asked for: a check and a digest hold every insight as an item, and only the few in a
    pair or a theme become a flag's side."""

    vector: Vector
    insight: Insight
    known_terms: list[str] | None = None  # its reading's terms, kept by an earlier check

    @property
    def key(self) -> str:
        return insight_key(self.insight)

    @cached_property
    def side(self) -> FlagSide:
        """The insight as a flag side: its statement, quote, speaker and lines (made without
        checking its fields again: they were checked as the insight's)."""
        insight = self.insight
        return FlagSide.model_construct(
            kind=insight.kind,
            text=insight.statement,
            quote=insight.quote,
            speaker=insight.speaker,
            team=insight.team,
            meeting_id=insight.meeting_id,
            title=insight.title,
            date=insight.date,
            source=insight.source,
            start_line=insight.start_line,
            end_line=insight.end_line,
            section=None,
            key=self.key,
        )

    @cached_property
    def reading(self) -> Reading:
        return read(f"{self.insight.statement} {self.insight.quote}")

    @property
    def terms(self) -> list[str]:
        """Its reading's content terms, in order, without reading it again when they were kept."""
        return self.known_terms if self.known_terms is not None else list(self.reading.terms)


@dataclass
class StatementItem:
    """A vision statement as one side of a flag, with its vector, and the words of the whole vision
    too common to say what one statement is about (the product's own words)."""

    side: FlagSide
    vector: Vector
    statement: VisionStatement
    common: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return self.side.key

    @cached_property
    def reading(self) -> Reading:
        return read(self.side.text, negative=self.statement.section == "non_goals")  # a non-goal denies it all

    @property
    def terms(self) -> list[str]:
        return list(self.reading.terms)


Item = InsightItem | StatementItem


def insight_item(insight: Insight, vector: Vector) -> InsightItem:
    """An insight as an item of the check, with its statement's vector."""
    return InsightItem(vector, insight)


def statement_item(statement: VisionStatement, vector: Vector) -> StatementItem:
    """A vision statement as a flag side: its text, section and lines."""
    return StatementItem(
        FlagSide(
            kind="vision",
            text=statement.text,
            quote=statement.text,
            section=statement.label,
            source=statement.source,
            start_line=statement.start_line,
            end_line=statement.end_line,
            key=f"vision|{statement.section}|{' '.join(words(statement.text))}",
        ),
        vector,
        statement,
    )


def statement_items(vision: Vision | None, vectors: Sequence[Vector]) -> list[StatementItem]:
    """The vision's statements as items; `vectors[k]` is the vector of `vision.statements[k]`."""
    if vision is None:
        return []
    if len(vectors) != len(vision.statements):
        raise ValueError(f"{len(vision.statements)} vision statements but {len(vectors)} vectors")
    items = [statement_item(s, v) for s, v in zip(vision.statements, vectors)]
    # The product's own words ("remote", "control" in a remote control's vision) are in its mission
    # or in several statements: a statement is about what its other words name.
    counts: dict[str, int] = {}
    for item in items:
        for term in item.reading.terms:
            counts[term] = counts.get(term, 0) + 1
    common = {t for t, n in counts.items() if n >= 3}
    for item in items:
        if item.statement.section == "vision":
            common |= set(item.reading.terms)
    for item in items:
        item.common = frozenset(common)
    return items


class _Pair:
    """What every kind of pair has: two sides, how related they are, and a key."""

    category: PairCategory
    a: InsightItem
    b: Item
    similarity: float  # relatedness: cosine plus the shared-word bonus

    @property
    def cosine(self) -> float:
        return float(sum(x * y for x, y in zip(self.a.vector, self.b.vector)))

    @property
    def key(self) -> str:
        return f"{self.category}|{self.a.key}|{self.b.key}"


@dataclass
class VisionPair(_Pair):
    """An insight and a vision statement; a promise is held against the whole roadmap."""

    category: Literal["vision", "promise"]
    a: InsightItem
    b: StatementItem
    similarity: float
    context: list[StatementItem] = field(default_factory=list)  # promise: the roadmap and non-goals, best first


@dataclass
class InsightPair(_Pair):
    """Two insights: two functions on one topic (team), or an assumption and later evidence."""

    category: Literal["team", "assumption"]
    a: InsightItem
    b: InsightItem
    similarity: float


Pair = VisionPair | InsightPair


@dataclass
class Judgement:
    """What a judge decided about a pair, why (one sentence), and how sure it is (0 to 1)."""

    verdict: Verdict
    reason: str
    confidence: float


def vector_matrix(items: Sequence[Item]) -> Array:
    """The items' vectors as the rows of a matrix."""
    import numpy as np

    if not items:
        return np.zeros((0, 1), dtype=np.float32)
    return np.asarray([i.vector for i in items], dtype=np.float32)


def known_team(team: str | None) -> bool:
    """A function of the team's own, not a customer or an unknown speaker."""
    return bool(team) and team not in OUTSIDE


def is_later(evidence: Insight, assumption: Insight) -> bool:
    """Whether `evidence` was said after `assumption` (later in the meeting, or a later meeting)."""
    if evidence.meeting_id == assumption.meeting_id:
        return evidence.start_line > assumption.end_line
    return (evidence.date, evidence.meeting_id) > (assumption.date, assumption.meeting_id)


class Lexicon:
    """Relatedness = cosine similarity plus a bonus for rare content words two statements share
    (names, products and numbers that a sentence embedding of a short statement underweights)."""

    def __init__(self, items: Sequence[Item]):
        self.items = items
        index: defaultdict[str, list[int]] = defaultdict(list)
        for k, item in enumerate(items):
            for term in item.terms:
                index[term].append(k)
        self.index: dict[str, list[int]] = dict(index)
        n = max(2, len(items))
        self.weight = {t: math.log(n / len(ks)) / math.log(n) for t, ks in self.index.items()}
        self._postings: dict[str, Array] = {}

    def related(self, item: Item, sims: Array) -> Array:
        """`sims` (cosine to every item, a numpy vector) raised by the shared-word bonus, at most 0.25."""
        import numpy as np

        return np.minimum(1.0, sims + np.minimum(self.bonus(item), 0.25))

    def bonus(self, item: Item) -> Array:
        """The shared-word bonus of `item` with every item, uncapped (a numpy vector)."""
        import numpy as np

        bonus = np.zeros(len(self.items), dtype=np.float32)
        for term in item.terms:  # each item once per term, so += adds once each
            bonus[self._posting(term)] += 0.1 * self.weight.get(term, 0.0)
        return bonus

    def related_block(self, matrix: Array, rows: Sequence[int], columns: Sequence[int]) -> Array:
        """`related` for the items at `rows` against those at `columns` only (indexes into `items`,
        whose vectors are the rows of `matrix`): the same numbers, without a row per item."""
        import numpy as np

        cols = np.asarray(columns, dtype=np.int64)
        sims = matrix[np.asarray(rows, dtype=np.int64)] @ matrix[cols].T
        bonus = np.zeros((len(rows), len(cols)), dtype=np.float32)
        if len(cols) <= FEW_COLUMNS:  # a thread's members: look the row's terms up in each column's
            for c, k in enumerate(columns):
                theirs = set(self.items[k].terms)
                for r, i in enumerate(rows):
                    for term in self.items[i].terms:
                        if term in theirs:
                            bonus[r, c] += 0.1 * self.weight.get(term, 0.0)
        else:  # many columns: the rows' first terms at once, then their second terms, and so on
            bonus = self._bonus_block(rows, columns)
        # the same additions, in the same order, as `related` (float32): the same numbers
        return np.minimum(1.0, sims + np.minimum(bonus, 0.25))

    def _bonus_block(self, rows: Sequence[int], columns: Sequence[int]) -> Array:
        """The shared-word bonus of each of `rows` with each of `columns`, uncapped, with the same
        additions in the same order as `bonus` (each row's terms in order, in float32), made a
        term position at a time over all rows: a row adds 0 for a column without the term, which
        changes no number, so the loop is over term positions and words, not rows times words."""
        import numpy as np

        position = np.full(len(self.items), -1, dtype=np.int64)
        position[np.asarray(columns, dtype=np.int64)] = np.arange(len(columns))
        terms = [list(self.items[i].terms) for i in rows]
        number = {t: u for u, t in enumerate(dict.fromkeys(t for ts in terms for t in ts))}
        holds = np.zeros((len(number), len(columns)), dtype=bool)  # word x column: the column has it
        for term, u in number.items():
            at = position[self._posting(term)]
            holds[u, at[at >= 0]] = True
        weight = np.asarray([0.1 * self.weight.get(t, 0.0) for t in number], dtype=np.float32)
        ids = [[number[t] for t in ts] for ts in terms]
        bonus = np.zeros((len(rows), len(columns)), dtype=np.float32)
        lengths = np.asarray([len(ts) for ts in ids], dtype=np.int64)
        for k in range(max(map(len, ids), default=0)):
            which = np.nonzero(lengths > k)[0]
            word = np.asarray([ids[r][k] for r in which], dtype=np.int64)
            bonus[which] += holds[word] * weight[word, None]
        return bonus

    def _posting(self, term: str) -> Array:
        import numpy as np

        if term not in self._postings:
            self._postings[term] = np.asarray(self.index.get(term, ()), dtype=np.int64)
        return self._postings[term]


FEW_COLUMNS = 16  # up to this many columns, a block's word bonus is looked up column by column
LINK_ROWS = 512  # rows of a relatedness block at a time: memory grows with rows x items, not items^2


def linked_pairs(
    lexicon: Lexicon, matrix: Array, members: Sequence[int], threshold: float, cosine_floor: float | None = None
) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of positions in `members` (indexes into the lexicon's items) whose
    relatedness (row i, column j) reaches `threshold` (and cosine `cosine_floor`), read a block of
    rows at a time so that no members x members matrix is held."""
    import numpy as np

    pairs: list[tuple[int, int]] = []
    n = len(members)
    for start in range(0, n, LINK_ROWS):
        rows = list(members[start : start + LINK_ROWS])
        later = list(members[start:])  # j > i >= start: the columns before the block cannot pair
        hit = lexicon.related_block(matrix, rows, later) >= threshold
        if cosine_floor is not None:
            cosines = matrix[np.asarray(rows, dtype=np.int64)] @ matrix[np.asarray(later, dtype=np.int64)].T
            hit &= cosines >= cosine_floor
        hit &= np.arange(len(later))[None, :] > np.arange(len(rows))[:, None]  # j > i only
        i, j = np.nonzero(hit)
        pairs += zip((start + i).tolist(), (start + j).tolist())  # as Python ints, without a call per pair
    return pairs


def components(n: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Groups of 0..n-1 joined by `pairs` (and, through them, their groups), in the order of
    their smallest member, each ascending."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def connected(n: int, linked: Callable[[int, int], bool]) -> list[list[int]]:
    """Groups of 0..n-1 where `linked(i, j)` joins i and j (and, through them, their groups)."""
    return components(n, [(i, j) for i in range(n) for j in range(i + 1, n) if linked(i, j)])
