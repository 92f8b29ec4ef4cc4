"""Flags that say the same thing are one tension. Flags against the same vision statement (of
one type), flags about the same assumption, and conflicts that share a claim (the same side, or
the same words said in another meeting) are grouped; tensions are ranked by their evidence: likely
before possible, then how many functions and meetings, how recent, how confident.

The likely band is a confidence the offline checker reaches only on evidence that measured well
on the development teams (docs/benchmarks.md); below it a flag is shown as possible."""

from __future__ import annotations

from ..grounding import words
from ..models import Flag, FlagSide, Tension
from ..teams import OUTSIDE

LIKELY = 0.4  # flags at or above this confidence are likely; the rest are possible


def likely(flag: Flag) -> bool:
    """Whether a flag is in the likely band. A model's flags are: it read both sides and their
    context; the band is the offline checker's, measured on the development teams."""
    return flag.checker != "offline" or flag.confidence >= LIKELY - 1e-9


def _claim(side: FlagSide) -> str:
    """A side's claim, wherever it was said: the same words in two meetings are one claim."""
    return " ".join(words(side.quote)) or side.key


def _anchors(flag: Flag) -> list[str]:
    """What a flag is grouped by: flags sharing any anchor are one tension."""
    if flag.type in ("vision_conflict", "promise_gap"):
        vision = [s for s in flag.sides if s.kind == "vision"]
        if vision:
            return [f"{flag.type}|{vision[0].key}"]
    if flag.type in ("assumption_refuted", "assumption_supported"):
        return [f"{flag.type}|{_claim(flag.sides[0])}"]
    if flag.type == "team_conflict":
        return [f"team|{_claim(side)}" for side in flag.sides]
    return [f"{flag.type}|{flag.id}"]


def group_tensions(flags: list[Flag]) -> list[Tension]:
    """The flags as tensions, ranked by evidence (see the module's docstring)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for flag in flags:
        anchors = _anchors(flag)
        for anchor in anchors[1:]:
            parent[find(anchor)] = find(anchors[0])
        find(anchors[0])
    groups: dict[str, list[Flag]] = {}
    for flag in flags:
        groups.setdefault(find(_anchors(flag)[0]), []).append(flag)
    tensions = [_tension(members) for members in groups.values()]
    tensions.sort(key=rank)
    return tensions


def rank(t: Tension) -> tuple:
    """Likely first, then more functions, more meetings, more recent, more confident."""
    return (not t.likely, -len(t.functions), -t.meetings, -_days(t.last_date), -t.confidence, t.id)


def _days(date: str | None) -> int:
    if not date:
        return 0
    year, month, day = (int(x) for x in date[:10].split("-"))
    return year * 372 + month * 31 + day


def _tension(members: list[Flag]) -> Tension:
    members = sorted(members, key=lambda f: (-f.confidence, f.id))
    top = members[0]
    sides = [s for f in members for s in f.sides if s.kind != "vision"]
    functions = sorted({s.team for s in sides if s.team and s.team not in OUTSIDE})
    dates = sorted(s.date for s in sides if s.date)
    vision = next((s for s in top.sides if s.kind == "vision"), None)
    if vision is not None:
        summary = vision.text
    elif top.type in ("assumption_refuted", "assumption_supported", "unheard"):
        summary = top.sides[0].text
    else:
        summary = " / ".join(s.text for s in top.sides[:2])
    return Tension(
        id=top.id,
        type=top.type,
        summary=summary,
        confidence=top.confidence,
        likely=any(likely(f) for f in members),
        functions=functions,
        meetings=len({s.meeting_id for s in sides if s.meeting_id}),
        first_date=dates[0] if dates else None,
        last_date=dates[-1] if dates else None,
        flags=members,
    )
