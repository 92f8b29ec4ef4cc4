"""What a flag is called and what it says about an assumption: its type from the kind of pair and
the verdict, its id from what its sides say, and the status each assumption's flags give it."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from typing import Literal, NamedTuple

from ..grounding import words
from ..kinds import FlagType
from ..models import Flag, Insight

PairCategory = Literal["vision", "team", "assumption", "promise"]
Verdict = Literal["contradicts", "supports", "unrelated"]
VERDICTS: tuple[Verdict, ...] = ("contradicts", "supports", "unrelated")

_CONTRADICTION: dict[PairCategory, FlagType] = {
    "vision": "vision_conflict",
    "team": "team_conflict",
    "assumption": "assumption_refuted",
    "promise": "promise_gap",
}


def flag_type(category: PairCategory, verdict: Verdict) -> FlagType | None:
    """The flag a verdict on a kind of pair raises; None when it raises none."""
    if verdict == "contradicts":
        return _CONTRADICTION[category]
    if verdict == "supports" and category == "assumption":
        return "assumption_supported"
    return None


def flag_id(kind: str, keys: list[str]) -> str:
    """The id of a flag of this type between these sides: checking again finds the same flag."""
    return "f" + hashlib.sha1(json.dumps([kind, keys]).encode()).hexdigest()[:7]


def insight_key(insight: Insight) -> str:
    """What an insight says, where: the same quote in the same meeting is the same side."""
    return _key(insight.meeting_id, insight.quote)


@functools.lru_cache(maxsize=1 << 16)
def _key(meeting_id: str, quote: str) -> str:
    # kept: one check after an ingest asks for every insight's key twice (the check, the digest)
    return f"{meeting_id}|{' '.join(words(quote))}"


def timestamp() -> str:
    """Now, in UTC, as flags record it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class AssumptionStatus(NamedTuple):
    """What an assumption's flags say of it, which flag says so, and when the evidence was said."""

    status: Literal["validated", "invalidated"]
    flag_id: str
    date: str  # the evidence's


def assumption_statuses(flags: list[Flag]) -> dict[str, AssumptionStatus]:
    """The status each assumption's flags give it (the latest evidence wins): side key ->
    (status, flag id, evidence date). Dismissed flags and possible ones (weak evidence, see
    tensions.py) do not count."""
    from .tensions import likely

    found: dict[str, AssumptionStatus] = {}
    for flag in flags:
        if flag.type not in ("assumption_refuted", "assumption_supported") or flag.status == "dismissed":
            continue
        if not likely(flag):
            continue
        status: Literal["validated", "invalidated"] = (
            "invalidated" if flag.type == "assumption_refuted" else "validated"
        )
        key, date = flag.sides[0].key, flag.sides[1].date or ""
        current = found.get(key)
        if current is None or (date, status == "invalidated") > (current.date, current.status == "invalidated"):
            found[key] = AssumptionStatus(status, flag.id, date)
    return found
