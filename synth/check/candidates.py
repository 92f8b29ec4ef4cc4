"""Which pairs are worth judging. Each insight that is new since the last check is paired with its
most similar vision statements, with other functions' insights on the same topic, and
(assumptions) with later evidence; a promise to a customer is paired with the roadmap. At most `n`
pairs per insight and kind of pair, so the cost grows with the new insights, not with the square
of the store.

Other insights are found by asking for the `NEIGHBOURS` nearest insights of the right kinds (a
nearest-neighbour query, not a pass over the store), plus the insights that share enough rare
words to be lifted past the farthest of them by the shared-word bonus (at most 0.25): an insight
neither near nor sharing words cannot reach the similarity floor, so the pairs are those a pass
over every insight would find."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..kinds import Kind
from ..models import Insight
from .items import (
    InsightItem,
    InsightPair,
    Lexicon,
    Pair,
    StatementItem,
    VisionPair,
    is_later,
    known_team,
    vector_matrix,
)
from .neighbours import InsightVectors, MemoryVectors, Nearest, Scope, nearest_of

if TYPE_CHECKING:
    from .items import Array

# Cosine similarities (MiniLM) below which two statements are not about the same thing.
VISION_MIN = 0.35
TEAM_MIN = 0.45
ASSUMPTION_MIN = 0.40
BONUS_CAP = 0.25  # the most the shared-word bonus adds (Lexicon.related)

NEIGHBOURS = 25  # nearest insights asked for per insight and kind of pair (bench/check_scale.py)
NEW_BATCH = 512  # new insights whose neighbours are held at a time (check --all asks for every insight)

TEAM_KINDS: tuple[Kind, ...] = ("finding", "assumption", "request", "roadblock", "decision")
EVIDENCE_KINDS: tuple[Kind, ...] = ("finding", "roadblock", "decision", "request")


def candidate_pairs(
    new: list[InsightItem],
    items: list[InsightItem],
    statements: list[StatementItem],
    n: int,
    vision_targets: list[InsightItem],
    source: InsightVectors | None = None,
) -> list[Pair]:
    """Pairs worth judging: vision pairs for `vision_targets`, and team, assumption and promise
    pairs that involve a new insight. At most `n` of each kind per insight. `source` gives the
    vectors and nearest neighbours of `items` (by position); None: the items' own vectors."""
    source = source or MemoryVectors([i.insight for i in items], [i.vector for i in items])
    load_vectors([*vision_targets, *new], items, source)
    found: list[Pair] = [*vision_pairs(vision_targets, statements, n)]
    if items and new:
        found += insight_pairs(new, items, n, source)
    load_vectors([p.b for p in found if isinstance(p, InsightPair)], items, source)  # the judge reads them
    pairs: dict[str, Pair] = {}
    for pair in found:
        pairs.setdefault(pair.key, pair)
    return list(pairs.values())


def load_vectors(wanted: Sequence[InsightItem], items: list[InsightItem], source: InsightVectors) -> None:
    """Give the `wanted` items (of `items`) that have no vector theirs, read in one request."""
    missing = {id(i) for i in wanted if not i.vector}
    positions = [k for k, item in enumerate(items) if id(item) in missing]
    for k, vector in zip(positions, source.vectors(positions)):
        items[k].vector = vector


def vision_pairs(targets: list[InsightItem], statements: list[StatementItem], n: int) -> list[VisionPair]:
    """Each target with its `n` most related vision statements; a promise with the roadmap."""
    import numpy as np

    found: list[VisionPair] = []
    if not statements:
        return found
    matrix = vector_matrix(statements)
    vision_lexicon = Lexicon(statements)
    roadmap = [s for s in statements if s.statement.section in ("roadmap", "non_goals")]
    for item in targets:
        if item.insight.kind == "promise":
            continue  # promises are held against the roadmap below
        sims = vision_lexicon.related(item, matrix @ np.asarray(item.vector, dtype=np.float32))
        order = [int(j) for j in np.argsort(-sims) if sims[j] >= VISION_MIN][:n]
        found += [VisionPair("vision", item, statements[j], float(sims[j])) for j in order]
    if roadmap:
        road = vector_matrix(roadmap)
        for item in targets:
            if item.insight.kind != "promise":
                continue
            cosines = road @ np.asarray(item.vector, dtype=np.float32)
            ranked = sorted(range(len(roadmap)), key=lambda j: -match_score(item, roadmap[j], float(cosines[j])))
            best = ranked[0]
            context = [roadmap[j] for j in ranked]
            found.append(VisionPair("promise", item, roadmap[best], float(cosines[best]), context=context))
    return found


@dataclass
class Ask:
    """One insight's search for one kind of pair: where its partners may be, how related they
    must be, which of them qualify, and how a partner makes a pair."""

    item: InsightItem
    scope: Scope
    floor: float
    qualifies: Callable[[Insight], bool]
    pair: Callable[[InsightItem, float], InsightPair]


def asks_of(item: InsightItem, teams: list[str]) -> list[Ask]:
    """The searches a new insight starts: other functions on its topic, later evidence about an
    assumption, earlier assumptions a piece of evidence speaks to (in that order)."""
    a = item.insight
    asks = []
    if a.kind in TEAM_KINDS and known_team(a.team):

        def team_pair(other: InsightItem, similarity: float) -> InsightPair:
            first, second = sorted((item, other), key=lambda x: x.key)
            return InsightPair("team", first, second, similarity)

        others = Scope(TEAM_KINDS, tuple(t for t in teams if t != a.team))
        asks.append(Ask(item, others, TEAM_MIN, lambda b: b.team != a.team, team_pair))
    if a.kind == "assumption":  # later evidence about a new assumption
        asks.append(
            Ask(
                item,
                Scope(EVIDENCE_KINDS, first_date=a.date),
                ASSUMPTION_MIN,
                lambda b: is_later(b, a),
                lambda evidence, similarity: InsightPair("assumption", item, evidence, similarity),
            )
        )
    if a.kind in EVIDENCE_KINDS:  # a new piece of evidence about earlier assumptions
        asks.append(
            Ask(
                item,
                Scope(("assumption",), last_date=a.date),
                ASSUMPTION_MIN,
                lambda b: is_later(a, b),
                lambda assumption, similarity: InsightPair("assumption", assumption, item, similarity),
            )
        )
    return asks


def insight_pairs(
    new: list[InsightItem], items: list[InsightItem], n: int, source: InsightVectors
) -> list[InsightPair]:
    """Team and assumption pairs of the new insights, at most `n` per insight and kind, found a
    batch of new insights at a time."""
    import numpy as np

    lexicon = Lexicon(items)
    position = {id(item): k for k, item in enumerate(items)}
    teams = sorted({i.insight.team for i in items if known_team(i.insight.team)})
    found: list[InsightPair] = []
    for start in range(0, len(new), NEW_BATCH):
        asks = [ask for item in new[start : start + NEW_BATCH] for ask in asks_of(item, teams)]
        answers = nearest_of([ask.item.vector for ask in asks], [ask.scope for ask in asks], source, NEIGHBOURS)
        choices = []
        bonus: tuple[int, Array] | None = None  # the last item's: its asks come one after another
        for ask, near in zip(asks, answers):
            if bonus is None or bonus[0] != id(ask.item):
                bonus = (id(ask.item), lexicon.bonus(ask.item))
            me = position.get(id(ask.item))
            hits = [(k, c) for k, c in zip(near.positions, near.cosines) if k != me]
            from_hits = chosen(
                ask, [items[k] for k, _ in hits], [c for _, c in hits], bonus[1][[k for k, _ in hits]], n
            )
            # what a farther insight must reach to be taken instead: the n-th pair's similarity
            bar = from_hits[-1].similarity if len(from_hits) >= n else ask.floor
            extra = [k for k in lifted(ask, near, bonus[1], items, bar) if k != me]
            choices.append((ask, hits, extra, bonus[1], from_hits))
        load_vectors([items[k] for _, _, extra, _, _ in choices for k in extra], items, source)
        for ask, hits, extra, bonuses, from_hits in choices:
            if not extra:
                found += from_hits
                continue
            farther = vector_matrix([items[k] for k in extra]) @ np.asarray(ask.item.vector, dtype=np.float32)
            columns = [k for k, _ in hits] + extra
            cosines = [c for _, c in hits] + [float(c) for c in farther]
            found += chosen(ask, [items[k] for k in columns], cosines, bonuses[columns], n)
    return found


def chosen(ask: Ask, others: list[InsightItem], cosines: list[float], bonuses: Array, n: int) -> list[InsightPair]:
    """The ask's pairs: the `n` most related of `others` (their cosine similarities and shared-word
    bonuses given) that qualify, down to the ask's floor."""
    import numpy as np

    if not others:
        return []
    related = np.minimum(1.0, np.asarray(cosines, dtype=np.float32) + np.minimum(bonuses, BONUS_CAP))
    pairs: list[InsightPair] = []
    for j in np.argsort(-related, kind="stable"):
        if related[j] < ask.floor or len(pairs) >= n:
            break
        if ask.qualifies(others[int(j)].insight):
            pairs.append(ask.pair(others[int(j)], float(related[j])))
    return pairs


def lifted(ask: Ask, near: Nearest, bonus: Array, items: list[InsightItem], bar: float) -> list[int]:
    """Insights of the ask's scope beyond its nearest ones whose shared words could lift them to
    `bar`: their cosine is at most `near.floor`, their bonus at most BONUS_CAP."""
    import numpy as np

    if near.floor + BONUS_CAP < bar:
        return []
    seen = set(near.positions)
    reach = np.nonzero(np.minimum(bonus, BONUS_CAP) >= bar - near.floor)[0]
    return [int(k) for k in reach if int(k) not in seen and ask.scope.holds(items[int(k)].insight)]


def match_score(promise: InsightItem, statement: StatementItem, similarity: float) -> float:
    """How well a roadmap statement matches a promise: similarity, plus shared content words."""
    shared = set(promise.reading.terms) & set(statement.reading.terms)
    return similarity + 0.1 * len(shared)
