"""The digest: what the brief and the report would otherwise work out from every insight and
every meeting of the store, worked out once by a writer and kept beside the store.

- the threads of roadblocks, assumptions and requests (which insights are one thread), and for
  each roadblock thread what a later meeting said that resolved it, if anything;
- for each assumption thread, the decisions, actions and promises that lean on it;
- the lines each function spoke in each meeting, and its insights per function;
- how many insights hold each word (relatedness weighs rare words more), and the meetings whose
  insights say an action is done or lean on an assumption: with these, the brief reads only the
  kinds it follows over time, and the other insights of the period and of those meetings.

It holds for one state of the store: the `token` of the meeting records it was built from (their
versions, visible extraction runs, dates and functions). A reader uses it only when the token is
still the store's and the brief looks at every meeting (as of the last one or later); otherwise
it works everything out again, as before. So a writer killed between writing insights and the
digest leaves a digest that no reader uses, never a wrong one.

A writer that finds a digest of an earlier state (only later meetings added since) reuses what
still holds, so that one new meeting costs what is new, not a pass over every pair:
- the earlier threads stay linked as they were; each insight of the new meetings is linked to
  every insight it is related enough to (so it joins a thread, starts one, or joins two);
- a roadblock thread that is resolved stays resolved, and one still open (as it was, or joined
  since by the new meetings' roadblocks) is looked up only in the new meetings: their insights
  that say so, and their passages;
- what leant on an assumption thread still leans on it, joined by the earlier insights that lean
  on the thread's new members and the new meetings' insights that lean on any of its members.
A word's weight shifts a little with every insight added, so a pair of earlier insights at the
very edge of THREAD_LINK or ACTED_ON could be judged differently by a digest built from nothing
(`check --all`, the first ingest), which is exactly what the brief would work out itself; a
grown digest keeps the earlier judgment of every such pair (scoring again what leant on every
thread grew with the store: at 300 meetings one thread of 898 assumptions with 1,532 actions
leaning on it).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ..models import MeetingRecord, Turn
from .model import Cite

if TYPE_CHECKING:
    from .facts import Facts

VERSION = 6  # raised when what the digest holds or how it is worked out changes
THREADED = ("roadblock", "assumption", "request")


class Resolution(BaseModel):
    """What a later meeting said that resolved a roadblock thread."""

    date: str
    text: str
    cite: Cite


class ThreadEntry(BaseModel):
    """One thread: its insights' ids, oldest first; for a roadblock its resolution, for an
    assumption the decisions, actions and promises that lean on it (their ids)."""

    members: list[str]
    resolution: Resolution | None = None
    leaning: list[str] = []


class MeetingEntry(BaseModel):
    """One meeting as the digest read it (`record_token`), and the lines each function spoke in
    it ("" for the lines of no known speaker in a meeting without a team), its visible insights
    per function, and which of its insights say an action done or a roadblock resolved
    (facts.SAYINGS name -> insight ids), not to read every insight for it again. (Each insight's
    content words, slow to work out again, are kept with the insight: see inputs.keep_readings.)"""

    token: str
    lines: dict[str, int]
    insights: dict[str, int] = {}
    sayings: dict[str, list[str]] = {}


class Digest(BaseModel):
    """What the brief and the report read instead of working it out from every insight."""

    version: int = VERSION
    token: str
    last_date: str
    threads: dict[str, list[ThreadEntry]]
    meetings: dict[str, MeetingEntry]
    terms: dict[str, int] = {}
    insights: int = 0
    saying_meetings: list[str] = []

    def sayings(self, meetings: dict[str, MeetingRecord] | None = None) -> dict[str, dict[str, list[str]]]:
        """Which insights say an action done or a roadblock resolved, by meeting (`MeetingEntry.
        sayings`), of every meeting (or of those of `meetings` still as the digest read them)."""
        return {
            meeting_id: entry.sayings
            for meeting_id, entry in self.meetings.items()
            if meetings is None or (meeting_id in meetings and record_token(meetings[meeting_id]) == entry.token)
        }

    @property
    def weights(self) -> dict[str, float]:
        """Each word's weight in relatedness over every insight (check/items.py's Lexicon), so
        that insights read in part relate exactly as when all are read."""
        n = max(2, self.insights)
        return {t: math.log(n / df) / math.log(n) for t, df in self.terms.items()}

    def holds_for(self, records: list[MeetingRecord], as_of: str) -> bool:
        """True when this digest was built from these meeting records and `as_of` sees them all."""
        return (
            self.version == VERSION
            and self.token == records_token(records)
            and (not records or as_of >= max(r.date for r in records))
        )


def record_token(record: MeetingRecord) -> str:
    """A hash of what the digest depends on in one meeting record."""
    row = [
        record.version,
        record.extraction_run or "",
        record.date,
        record.team or "",
        sorted(record.speaker_teams.items()),
    ]
    return hashlib.sha256(json.dumps([VERSION, row]).encode()).hexdigest()[:32]


def records_token(records: list[MeetingRecord]) -> str:
    """A hash of what the digest depends on in the meeting records."""
    rows = sorted((r.meeting_id, record_token(r)) for r in records)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def lines_by_team(record: MeetingRecord, turns: list[Turn]) -> dict[str, int]:
    """The lines each function spoke in a meeting, by its stored name (see MeetingEntry)."""
    lines: dict[str, int] = {}
    for turn in turns:
        team = record.speaker_teams.get(turn.speaker or "", record.team if not turn.speaker else "unknown")
        lines[team or ""] = lines.get(team or "", 0) + turn.end_line - turn.start_line + 1
    return lines


def reusable(earlier: Digest | None, records: list[MeetingRecord]) -> Digest | None:
    """`earlier` when its resolutions still hold: no meeting it read was changed or removed, and
    every meeting it did not read is dated after its last one (so only those can speak later)."""
    if earlier is None or earlier.version != VERSION:
        return None
    now = {r.meeting_id: r for r in records}
    for meeting_id, entry in earlier.meetings.items():
        if meeting_id not in now or record_token(now[meeting_id]) != entry.token:
            return None
    if any(r.meeting_id not in earlier.meetings and r.date <= earlier.last_date for r in records):
        return None
    return earlier


def build_digest(
    facts: Facts, records: list[MeetingRecord], lines: dict[str, dict[str, int]], earlier: Digest | None = None
) -> Digest:
    """The digest of `facts` (built as of the last meeting of `records`, every one of them) and
    of the lines spoken in each meeting (`lines`, by meeting id). A meeting an `earlier` digest
    read as it is now keeps its entry (its lines, insights and words cannot have changed)."""
    from .facts import DONE, member_ids

    threads = {kind: [ThreadEntry(members=list(member_ids(t))) for t in facts.threads(kind)] for kind in THREADED}
    for entry, (_, said) in zip(threads["roadblock"], facts.roadblock_threads()):
        if said is not None:
            entry.resolution = Resolution(date=said.date, text=said.text, cite=said.cite)
    saying: set[str] = set()
    for entry, thread in zip(threads["assumption"], facts.threads("assumption")):
        leaning = facts.leaning(thread)
        entry.leaning = [i.id for i in leaning]
        saying.update(i.meeting_id for i in leaning)
    saying.update(item.insight.meeting_id for item in facts.saying(DONE))
    before = {} if earlier is None or earlier.version != VERSION else earlier.meetings
    kept = {r.meeting_id: e for r in records if (e := before.get(r.meeting_id)) and e.token == record_token(r)}
    # when every meeting the earlier digest read is as it was, its words are counted already
    counted = earlier if earlier is not None and before and kept.keys() == before.keys() else None
    terms: dict[str, int] = dict(counted.terms) if counted else {}
    count = counted.insights if counted else 0
    for item in facts.items:
        if item.insight.meeting_id not in kept or counted is None:
            count += 1
            for term in item.terms:
                terms[term] = terms.get(term, 0) + 1
    return Digest(
        token=records_token(records),
        last_date=max((r.date for r in records), default=""),
        threads=threads,
        meetings={r.meeting_id: kept.get(r.meeting_id) or meeting_entry(facts, r, lines) for r in records},
        terms=terms,
        insights=count,
        saying_meetings=sorted(saying),
    )


def meeting_entry(facts: Facts, record: MeetingRecord, lines: dict[str, dict[str, int]]) -> MeetingEntry:
    """A meeting's entry, worked out from the facts."""
    return MeetingEntry(
        token=record_token(record),
        lines=lines[record.meeting_id],
        insights=facts.insights_per_team(record),
        sayings=facts.sayings_of(record.meeting_id),
    )
