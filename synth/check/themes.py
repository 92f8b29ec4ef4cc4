"""Unheard themes: requests and roadblocks that recur in three or more meetings and that no vision
statement is close to."""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import Kind
from ..models import Flag
from ..teams import display_team
from .candidates import BONUS_CAP
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


@dataclass
class Linked:
    """What `unheard_themes` found besides the themes: the keys of every request and roadblock
    whose group was looked at, and every group of two or more (their insights' ids) as the links
    stand now, for the next check to start from (None: not worked out, too few to link)."""

    looked_at: set[str]
    groups: list[list[str]] | None


def unheard_themes(
    items: list[InsightItem],
    statements: list[StatementItem],
    touching: list[InsightItem] | None = None,
    source: InsightVectors | None = None,
    earlier: list[list[str]] | None = None,
) -> tuple[list[Theme], Linked]:
    """Groups of similar requests and roadblocks from three or more meetings that no vision
    statement is close to, and what was looked at (see Linked). With `touching` (the new insights
    of a check), only the groups that hold one of them are built; otherwise every group is.

    The groups are the linked sets of the link graph (close, related, of another meeting).
    `earlier`: the groups the last check left (by insight id), whose links stand: only the
    touching insights, and what is left of a group that lost an insight (its meeting extracted
    again or forgotten), are linked to all the others, so one new meeting costs its own rows, not
    a walk through the groups it joins. Without them, every insight is linked (once: the groups
    are kept for the next check). The requests' and roadblocks' vectors are read from `source`
    (by position in `items`; None: the items hold them) in one request; the rows linked are
    multiplied with all of them a block of rows at a time."""
    import numpy as np

    themed = [item for item in items if item.insight.kind in THEME_KINDS]
    if len(themed) < UNHEARD_MEETINGS:
        return [], Linked({i.key for i in themed}, None)
    if source is not None:
        place = {id(item): k for k, item in enumerate(items)}
        themed_vectors = source.matrix([place[id(item)] for item in themed])
    else:
        themed_vectors = vector_matrix(themed)
    number = {m: k for k, m in enumerate(dict.fromkeys(i.insight.meeting_id for i in themed))}
    meeting_of = np.asarray([number[i.insight.meeting_id] for i in themed], dtype=np.int64)
    lexicon = Lexicon(themed)
    wanted = None if touching is None else {id(i) for i in touching}
    starts = {t for t, item in enumerate(themed) if wanted is None or id(item) in wanted}

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

    kept: list[tuple[int, int]] = []  # the links of the earlier groups that stand
    position = {item.insight.id: t for t, item in enumerate(themed)}
    if earlier is None or wanted is None or len(position) < len(themed):
        rows = list(range(len(themed)))  # every insight: the groups are all worked out
    else:
        for ids in earlier:
            at = [position.get(i) for i in ids]
            if None in at or any(t in starts for t in at if t is not None):
                starts |= {t for t in at if t is not None}  # a group changed: what is left is linked again
            else:
                kept += [(a, b) for a, b in zip(at, at[1:]) if a is not None and b is not None]
        rows = sorted(starts)
    every = components(len(themed), kept + links(rows))
    groups = [g for g in every if starts.intersection(g)]
    linked = Linked(
        looked_at={themed[i].key for g in groups for i in g},
        groups=[[themed[i].insight.id for i in g] for g in every if len(g) > 1],
    )
    themes = []
    vision = vector_matrix(statements) if statements else None
    for members in groups:
        if len(members) > 2:
            # a chain of pairwise links can drift from one topic to another: keep the members
            # close to what the group says on average
            matrix = themed_vectors[members]
            centroid = matrix.mean(axis=0)
            centroid = centroid / (np.linalg.norm(centroid) or 1.0)
            members = [i for k, i in enumerate(members) if float(matrix[k] @ centroid) >= UNHEARD_CORE]
        meetings = {themed[i].insight.meeting_id for i in members}
        if len(meetings) < UNHEARD_MEETINGS:
            continue
        chosen = [themed[i] for i in members]
        chosen_vectors = themed_vectors[members]
        closest, best = None, 0.0
        if vision is not None:
            scores = (vision @ chosen_vectors.T).mean(axis=1)  # each statement's mean similarity to the theme
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
    return themes, linked


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
