"""Which pairs are worth judging. Each insight that is new since the last check is paired with its
most similar vision statements, with other functions' insights on the same topic, and
(assumptions) with later evidence; a promise to a customer is paired with the roadmap. At most `n`
pairs per insight and kind of pair, so the cost grows with the new insights, not with the square
of the store."""

from __future__ import annotations

from ..kinds import Kind
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

# Cosine similarities (MiniLM) below which two statements are not about the same thing.
VISION_MIN = 0.35
TEAM_MIN = 0.45
ASSUMPTION_MIN = 0.40

TEAM_KINDS: tuple[Kind, ...] = ("finding", "assumption", "request", "roadblock", "decision")
EVIDENCE_KINDS: tuple[Kind, ...] = ("finding", "roadblock", "decision", "request")


def candidate_pairs(
    new: list[InsightItem],
    items: list[InsightItem],
    statements: list[StatementItem],
    n: int,
    vision_targets: list[InsightItem],
) -> list[Pair]:
    """Pairs worth judging: vision pairs for `vision_targets`, and team, assumption and promise
    pairs that involve a new insight. At most `n` of each kind per insight."""
    import numpy as np

    pairs: dict[str, Pair] = {}

    def add(pair: Pair) -> None:
        pairs.setdefault(pair.key, pair)

    roadmap = [s for s in statements if s.statement.section in ("roadmap", "non_goals")]
    if statements:
        matrix = vector_matrix(statements)
        vision_lexicon = Lexicon(statements)
        for item in vision_targets:
            if item.insight.kind == "promise":
                continue  # promises are held against the roadmap below
            sims = vision_lexicon.related(item, matrix @ np.asarray(item.vector, dtype=np.float32))
            order = [int(j) for j in np.argsort(-sims) if sims[j] >= VISION_MIN][:n]
            for j in order:
                add(VisionPair("vision", item, statements[j], float(sims[j])))
        if roadmap:
            road = vector_matrix(roadmap)
            for item in vision_targets:
                if item.insight.kind != "promise":
                    continue
                cosines = road @ np.asarray(item.vector, dtype=np.float32)
                ranked = sorted(range(len(roadmap)), key=lambda j: -match_score(item, roadmap[j], float(cosines[j])))
                best = ranked[0]
                add(
                    VisionPair(
                        "promise", item, roadmap[best], float(cosines[best]), context=[roadmap[j] for j in ranked]
                    )
                )

    if not items:
        return list(pairs.values())
    matrix = vector_matrix(items)
    lexicon = Lexicon(items)
    index = {id(item): k for k, item in enumerate(items)}
    for item in new:
        a = item.insight
        sims = lexicon.related(item, matrix @ np.asarray(item.vector, dtype=np.float32))
        order = [int(j) for j in np.argsort(-sims)]
        if a.kind in TEAM_KINDS and known_team(a.team):
            found = 0
            for j in order:
                b = items[j].insight
                if sims[j] < TEAM_MIN or found >= n:
                    break
                if j != index.get(id(item)) and b.kind in TEAM_KINDS and known_team(b.team) and b.team != a.team:
                    first, second = sorted((item, items[j]), key=lambda x: x.key)
                    add(InsightPair("team", first, second, float(sims[j])))
                    found += 1
        if a.kind == "assumption":  # later evidence about a new assumption
            found = 0
            for j in order:
                b = items[j].insight
                if sims[j] < ASSUMPTION_MIN or found >= n:
                    break
                if b.kind in EVIDENCE_KINDS and is_later(b, a):
                    add(InsightPair("assumption", item, items[j], float(sims[j])))
                    found += 1
        if a.kind in EVIDENCE_KINDS:  # a new piece of evidence about earlier assumptions
            found = 0
            for j in order:
                b = items[j].insight
                if sims[j] < ASSUMPTION_MIN or found >= n:
                    break
                if b.kind == "assumption" and is_later(a, b):
                    add(InsightPair("assumption", items[j], item, float(sims[j])))
                    found += 1
    return list(pairs.values())


def match_score(promise: InsightItem, statement: StatementItem, similarity: float) -> float:
    """How well a roadmap statement matches a promise: similarity, plus shared content words."""
    shared = set(promise.reading.terms) & set(statement.reading.terms)
    return similarity + 0.1 * len(shared)
