"""Unheard themes: requests and roadblocks that recur in three or more meetings and that no vision
statement is close to."""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import Kind
from ..models import Flag
from ..teams import display_team
from .candidates import BONUS_CAP, load_vectors
from .flags import flag_id
from .items import LINK_ROWS, InsightItem, Lexicon, StatementItem, components, known_team, vector_matrix
from .neighbours import InsightVectors

UNHEARD_LINK = 0.55
UNHEARD_ADDRESSED = 0.45
UNHEARD_MEETINGS = 3
LINK_COSINE = UNHEARD_LINK - 0.1  # and at least this cosine
UNHEARD_CORE = 0.6  # cosine to the theme's centroid a member needs
THEME_KINDS: tuple[Kind, ...] = ("request", "roadblock")


@dataclass
class Theme:
    """Similar requests or roadblocks from several meetings, oldest first, and the vision
    statement closest to them (None when no vision is set) with its mean similarity."""

    members: list[InsightItem]
    closest: StatementItem | None
    similarity: float


def unheard_themes(
    items: list[InsightItem],
    statements: list[StatementItem],
    touching: list[InsightItem] | None = None,
    source: InsightVectors | None = None,
) -> tuple[list[Theme], set[str]]:
    """Groups of similar requests and roadblocks from three or more meetings that no vision
    statement is close to; and the keys of every request and roadblock whose group was looked at.
    With `touching` (the new insights of a check), only the groups that hold one of them are
    built, walking links out from them; otherwise every group is. The requests' and roadblocks'
    vectors are read from `source` (by position in `items`; None: the items hold them) in one
    request; the insights walked are then multiplied with all of them a block of rows at a time,
    so the cost grows with the groups walked times the requests and roadblocks."""
    import numpy as np

    themed = [item for item in items if item.insight.kind in THEME_KINDS]
    if len(themed) < UNHEARD_MEETINGS:
        return [], {i.key for i in themed}
    # a group is walked link by link and may reach most requests and roadblocks: their vectors are
    # read in one request, and each row's close ones found by one product with all of them
    if source is not None:
        load_vectors(themed, items, source)
    themed_vectors = vector_matrix(themed)
    number = {m: k for k, m in enumerate(dict.fromkeys(i.insight.meeting_id for i in themed))}
    meeting_of = np.asarray([number[i.insight.meeting_id] for i in themed], dtype=np.int64)
    lexicon = Lexicon(themed)
    wanted = None if touching is None else {id(i) for i in touching}
    reached = {t for t, item in enumerate(themed) if wanted is None or id(item) in wanted}

    def links(rows: list[int]) -> list[tuple[int, int]]:
        """The links of each of `rows`: close, related, and of another meeting."""
        found = []
        for start in range(0, len(rows), LINK_ROWS):  # a block of rows at a time: one matrix product
            block = rows[start : start + LINK_ROWS]
            for r, cosine in zip(block, themed_vectors[block] @ themed_vectors.T):
                close = np.nonzero((cosine >= LINK_COSINE) & (meeting_of != meeting_of[r]))[0]
                if close.size:
                    related = np.minimum(1.0, cosine[close] + np.minimum(lexicon.bonus(themed[r])[close], BONUS_CAP))
                    found += [(r, int(k)) for k in close[related >= UNHEARD_LINK]]
        return found

    frontier, found = sorted(reached), []
    while frontier:  # breadth first from where it starts: rows only for what they reach
        found += links(frontier)
        frontier = sorted({j for _, j in found} - reached)
        reached |= set(frontier)
    groups = [g for g in components(len(themed), found) if g[0] in reached]
    themes = []
    vision = vector_matrix(statements) if statements else None
    for members in groups:
        if len(members) > 2:
            # a chain of pairwise links can drift from one topic to another: keep the members
            # close to what the group says on average
            matrix = vector_matrix([themed[i] for i in members])
            centroid = matrix.mean(axis=0)
            centroid = centroid / (np.linalg.norm(centroid) or 1.0)
            members = [i for k, i in enumerate(members) if float(matrix[k] @ centroid) >= UNHEARD_CORE]
        meetings = {themed[i].insight.meeting_id for i in members}
        if len(meetings) < UNHEARD_MEETINGS:
            continue
        chosen = [themed[i] for i in members]
        closest, best = None, 0.0
        if vision is not None:
            scores = (vision @ vector_matrix(chosen).T).mean(axis=1)  # each statement's mean similarity to the theme
            j = int(scores.argmax())
            closest, best = statements[j], float(scores[j])
            counts: dict[str, int] = {}
            for m in chosen:
                for term in m.terms:
                    counts[term] = counts.get(term, 0) + 1
            salient = {t for t, c in counts.items() if c * 2 >= len(chosen)}
            mentioned = any(salient & set(s.reading.terms) for s in statements)
            if best >= UNHEARD_ADDRESSED or (mentioned and best >= 0.2):
                continue
        chosen.sort(key=lambda m: (m.insight.date, m.insight.meeting_id, m.insight.start_line))
        themes.append(Theme(chosen, closest, best))
    looked_at = {themed[i].key for g in groups for i in g}
    return themes, looked_at


def unheard_flag(theme: Theme, now: str) -> Flag:
    """The flag for an unheard theme: its first members as sides, where and by whom it was raised."""
    members, closest, best = theme.members, theme.closest, theme.similarity
    meetings = sorted({m.insight.meeting_id for m in members})
    teams = sorted({m.insight.team for m in members if known_team(m.insight.team)})
    dates = sorted({m.insight.date for m in members})
    explanation = (
        f"Raised in {len(meetings)} meetings ({dates[0]} to {dates[-1]})"
        + (f" by {', '.join(display_team(t) for t in teams)}" if teams else "")
        + "; no vision or roadmap statement addresses it"
        + (f' (closest: "{closest.side.text}", similarity {best:.2f}).' if closest else " (no vision is set).")
    )
    return Flag(
        id=flag_id("unheard", [m.key for m in members[:UNHEARD_MEETINGS]]),
        type="unheard",
        sides=[m.side for m in members[:8]],
        explanation=explanation,
        confidence=round(min(0.8, 0.5 + 0.05 * (len(meetings) - UNHEARD_MEETINGS)), 2),
        checker="offline",
        created_at=now,
        updated_at=now,
    )
