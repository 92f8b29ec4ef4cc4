"""Unheard themes: requests and roadblocks that recur in three or more meetings and that no vision
statement is close to."""

from __future__ import annotations

from dataclasses import dataclass

from ..kinds import Kind
from ..models import Flag
from ..teams import display_team
from .flags import flag_id
from .items import InsightItem, Lexicon, StatementItem, connected, known_team, vector_matrix

UNHEARD_LINK = 0.55
UNHEARD_ADDRESSED = 0.45
UNHEARD_MEETINGS = 3
UNHEARD_CORE = 0.6  # cosine to the theme's centroid a member needs
THEME_KINDS: tuple[Kind, ...] = ("request", "roadblock")


@dataclass
class Theme:
    """Similar requests or roadblocks from several meetings, oldest first, and the vision
    statement closest to them (None when no vision is set) with its mean similarity."""

    members: list[InsightItem]
    closest: StatementItem | None
    similarity: float


def unheard_themes(items: list[InsightItem], statements: list[StatementItem]) -> list[Theme]:
    """Groups of similar requests and roadblocks from three or more meetings that no
    vision statement is close to."""
    import numpy as np

    themed = [i for i in items if i.insight.kind in THEME_KINDS]
    if len(themed) < UNHEARD_MEETINGS:
        return []
    matrix = vector_matrix(themed)
    lexicon = Lexicon(themed)
    sims = np.stack([lexicon.related(item, row) for item, row in zip(themed, matrix @ matrix.T)])
    cosine = matrix @ matrix.T
    groups = connected(
        len(themed),
        lambda i, j: bool(
            sims[i, j] >= UNHEARD_LINK
            and cosine[i, j] >= UNHEARD_LINK - 0.1
            and themed[i].insight.meeting_id != themed[j].insight.meeting_id
        ),
    )
    themes = []
    vision = vector_matrix(statements) if statements else None
    for members in groups:
        if len(members) > 2:
            # a chain of pairwise links can drift from one topic to another: keep the members
            # close to what the group says on average
            centroid = matrix[members].mean(axis=0)
            centroid = centroid / (np.linalg.norm(centroid) or 1.0)
            members = [i for i in members if float(matrix[i] @ centroid) >= UNHEARD_CORE]
        meetings = {themed[i].insight.meeting_id for i in members}
        if len(meetings) < UNHEARD_MEETINGS:
            continue
        chosen = [themed[i] for i in members]
        closest, best = None, 0.0
        if vision is not None:
            scores = (vision @ matrix[members].T).mean(axis=1)  # each statement's mean similarity to the theme
            j = int(scores.argmax())
            closest, best = statements[j], float(scores[j])
            counts: dict[str, int] = {}
            for m in chosen:
                for term in m.reading.terms:
                    counts[term] = counts.get(term, 0) + 1
            salient = {t for t, c in counts.items() if c * 2 >= len(chosen)}
            mentioned = any(salient & set(s.reading.terms) for s in statements)
            if best >= UNHEARD_ADDRESSED or (mentioned and best >= 0.2):
                continue
        chosen.sort(key=lambda m: (m.insight.date, m.insight.meeting_id, m.insight.start_line))
        themes.append(Theme(chosen, closest, best))
    return themes


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
