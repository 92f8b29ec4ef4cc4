"""The facts a brief (and the report) is assembled from, as of a day: the meetings, their insights
with vectors and how related they are, the flags, the roster and the vision, and a way to read
later meetings' words. Built from data given to it; it never opens the store itself.

- threads: similar roadblocks (assumptions, requests) from several meetings are one thread,
  with its first mention, who raised it and how often it came back;
- a roadblock is resolved, and an action done, when a later meeting says so about it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, cast

from ..check.compare import read
from ..check.flags import assumption_statuses, insight_key
from ..check.items import InsightItem, Lexicon, components, insight_item, linked_pairs
from ..models import Flag, FlagSide, Insight, MeetingRecord, Turn
from ..teams import OUTSIDE, display_team
from ..vision import Vision, VisionStatement
from .model import Cite, Details, Fact, SectionKey
from .period import SERIES_NOISE

if TYPE_CHECKING:
    import numpy as np

    from .digest import Digest, Resolution

    Vector = list[float] | np.ndarray  # a statement's vector: a list, or a float32 row as the store reads it

ACTED_ON = 0.5  # a decision, action or promise this related to an assumption leans on it
THREAD_LINK = 0.55  # relatedness (cosine + shared rare words) at which two insights are one thread
PASSAGES_LOOKED_AT = 6  # passages of later meetings read for a roadblock's resolution
RESOLVED = re.compile(
    r"\b(unblocked|no longer (?:blocked|an issue|a problem)|resolved|fixed|approved|granted|shipped|"
    r"went live|is live|works now|working now|sorted out|solved)\b",
    re.I,
)
DONE = re.compile(r"\b(done|sent|shared|wrote up|written up|finished|completed|delivered|posted|published)\b", re.I)
SAYINGS = {"done": DONE, "resolved": RESOLVED}  # what a digest keeps, per meeting, of who says it
_NEGATED = re.compile(r"\b(not|never|still|yet|no)\b|n't\b", re.I)
_GENERIC_TITLE = {
    "discovery",
    "call",
    "onboarding",
    "kickoff",
    "kick",
    "off",
    "demo",
    "review",
    "sync",
    "meeting",
    "qbr",
    "check",
    "in",
    "intro",
    "follow",
    "up",
    "renewal",
    "pilot",
    "training",
    "session",
    "interview",
    "with",
    "the",
    "and",
    "weekly",
    "notes",
    "feedback",
}


@dataclass
class NearPassage:
    """A stored passage of a later meeting, as its turns (speaker prefixes removed)."""

    meeting_id: str
    version: str
    turns: list[Turn]


class MeetingTexts(Protocol):
    """Reads meetings' words from wherever they are stored."""

    def passages_near(self, vector: Vector, after: str, until: str, excluding: list[str], n: int) -> list[NearPassage]:
        """The `n` passages nearest to a vector, nearest first, of the current versions of the
        meetings dated after `after` up to `until`, except the meetings `excluding`."""
        ...

    def passages_near_many(
        self, vectors: list[Vector], after: str, until: str, excluding: list[str], n: int
    ) -> list[list[NearPassage]]:
        """`passages_near` for several vectors with the same filter, in one read."""
        ...

    def turns(self, record: MeetingRecord) -> list[Turn]:
        """Every turn of a stored meeting, in order."""
        ...


@dataclass
class Noted:
    """An insight with its statement vector and its content words (read for relatedness when
    first asked for, unless a check kept them)."""

    insight: Insight
    vector: Vector
    item: InsightItem

    @property
    def terms(self) -> list[str]:
        """Its statement's content words, in reading order."""
        return self.item.terms

    @property
    def key(self) -> str:
        return insight_key(self.insight)


@dataclass
class NotedStatement:
    """A statement of the vision with its vector."""

    statement: VisionStatement
    vector: Vector


@dataclass
class Said:
    """Something a later meeting said: a roadblock resolved, an action done."""

    date: str
    text: str
    cite: Cite


@dataclass
class Thread:
    """Similar insights of one kind from one or more meetings, oldest first."""

    members: list[Noted] = field(default_factory=list)

    @property
    def first(self) -> Insight:
        return self.members[0].insight

    @property
    def last(self) -> Insight:
        return self.members[-1].insight

    @property
    def meetings(self) -> list[str]:
        return list(dict.fromkeys(m.insight.meeting_id for m in self.members))

    @property
    def teams(self) -> list[str]:
        return list(dict.fromkeys(m.insight.team for m in self.members if m.insight.team not in OUTSIDE))

    def dates(self) -> list[str]:
        return [m.insight.date for m in self.members]


def cite_insight(insight: Insight) -> Cite:
    """Where an insight's quote is."""
    return Cite(
        meeting_id=insight.meeting_id,
        title=insight.title,
        date=insight.date,
        source=insight.source,
        start_line=insight.start_line,
        end_line=insight.end_line,
        speaker=insight.speaker,
        team=insight.team,
    )


def cite_side(side: FlagSide) -> Cite:
    """Where one side of a flag is."""
    return Cite(
        meeting_id=side.meeting_id,
        title=side.title or "product vision",
        date=side.date,
        source=side.source,
        start_line=side.start_line,
        end_line=side.end_line,
        speaker=side.speaker,
        team=side.team,
    )


def cite_turn(record: MeetingRecord, turn: Turn | None, team: str) -> Cite:
    """Where a turn of a stored meeting is (its first line when no turn is known)."""
    return Cite(
        meeting_id=record.meeting_id,
        title=record.title,
        date=record.date,
        source=record.source,
        start_line=turn.start_line if turn else 1,
        end_line=turn.end_line if turn else 1,
        speaker=turn.speaker if turn else None,
        team=team,
    )


def cite_statement(statement: VisionStatement) -> Cite:
    """Where a statement of the vision is."""
    return Cite(
        title="product vision", source=statement.source, start_line=statement.start_line, end_line=statement.end_line
    )


def unique_cites(insights: list[Insight], limit: int = 4) -> list[Cite]:
    """The places of the insights, each once, at most `limit`."""
    seen: set[tuple[str, int]] = set()
    out: list[Cite] = []
    for insight in insights:
        if len(out) >= limit:
            break
        place = (insight.source, insight.start_line)
        if place not in seen:
            seen.add(place)
            out.append(cite_insight(insight))
    return out


def who_said(insight: Insight) -> str:
    """ "Name (function)", or "Name (customer)" for someone in no function."""
    team = display_team(insight.team) if insight.team not in OUTSIDE else "customer"
    return f"{insight.speaker or 'unknown'} ({team})"


def insight_fact(
    section: SectionKey, insight: Insight, details: Details, cites: list[Cite] | None = None, text: str | None = None
) -> Fact:
    """A bullet about what one insight said: its statement (or `text`), who said it and when, with
    its quote cited (or `cites`). The id is given when the brief is assembled."""
    return Fact(
        id="",
        section=section,
        text=insight.statement if text is None else text,
        team=insight.team,
        who=who_said(insight),
        date=insight.date,
        details=details,
        cites=[cite_insight(insight)] if cites is None else cites,
    )


def days_between(a: str, b: dt.date) -> int:
    return (b - dt.date.fromisoformat(a)).days


def said_without_negation(pattern: re.Pattern[str], text: str) -> bool:
    """A sentence of the text matches and is not negated ("not fixed", "still blocked")."""
    if not pattern.search(text):  # no sentence can match (most insights): no need to split
        return False
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        match = pattern.search(sentence)
        if match and (match.group(0).lower().startswith("no longer") or not _NEGATED.search(sentence)):
            return True
    return False


def cosine(a: Vector, b: Vector) -> float:
    return float(sum(x * y for x, y in zip(a, b)))


class Facts:
    """The store as of a day: insights with vectors, their relatedness, flags, the vision."""

    def __init__(
        self,
        as_of: dt.date,
        records: list[MeetingRecord],
        insights: Sequence[tuple[Insight, Vector]],
        flags: list[Flag] | None,
        roster: dict[str, str],
        vision: Vision | None,
        statements: Sequence[tuple[VisionStatement, Vector]],
        texts: MeetingTexts,
        digest: Digest | None = None,
        earlier: Digest | None = None,
        readings: dict[str, list[str]] | None = None,
        sayings: dict[str, dict[str, list[str]]] | None = None,
    ):
        """`records`: the stored meetings (those after `as_of` are left out); `insights`: the
        visible insights of those meetings with their statement vectors; `flags`: every stored
        flag, which gives each assumption its status (None: not read, as for a digest, which
        holds no status: the assumptions keep what they have); `statements`: the
        vision's statements with theirs; `texts`: where later meetings' words are read.
        `digest`: the threads and resolutions worked out by a writer for exactly these records
        (digest.py), read instead of working them out; `earlier`: a digest of an earlier state
        of the store, whose resolutions a writer reuses (only meetings after it are read).
        `readings`: insights' content words already worked out (by id), not read again.
        `sayings`: for some meetings, which of their insights say each of `SAYINGS` (meeting id ->
        name -> insight ids), already worked out: their insights are not read for it again."""
        import numpy as np

        self.as_of = as_of
        self.records = [r for r in records if r.date <= as_of.isoformat()]
        self.by_meeting = {r.meeting_id: r for r in self.records}
        self.flags = flags or []
        statuses = assumption_statuses(self.flags)
        kept: list[tuple[Insight, InsightItem]] = []
        for insight, vector in insights:
            if insight.meeting_id not in self.by_meeting:
                continue
            if insight.kind == "assumption" and flags is not None:  # a copy: the caller's keeps what it had
                got = statuses.get(insight_key(insight))
                status, flag = (got[0], got[1]) if got else ("untested", None)
                insight = insight.model_copy(update={"status": status, "status_flag": flag})
            item = insight_item(insight, cast("list[float]", vector))  # a float32 row serves as well here
            item.known_terms = (readings or {}).get(insight.id)  # the words a check kept, not read again
            kept.append((insight, item))
        self._given = set(readings or ())  # the insights whose content words were given
        kept.sort(key=lambda pair: (pair[0].date, pair[0].meeting_id, pair[0].start_line, pair[0].kind))
        # relatedness is scored by the checker's Lexicon, so that the brief links what the check links;
        # it is computed for the pairs a section asks about, never as a matrix over every insight
        items = [item for _, item in kept]
        self.items = [Noted(insight, item.vector, item) for insight, item in kept]
        self.index = {id(item): n for n, item in enumerate(self.items)}
        self._by_id = {item.insight.id: item for item in self.items}
        self._lexicon = Lexicon(items)
        self._matrix = (
            np.asarray([i.vector for i in items], dtype=np.float32) if items else np.zeros((0, 1), dtype=np.float32)
        )
        if digest is not None:  # some insights may be left unread: weigh words as over all of them
            self._lexicon.weight = digest.weights
        self._saying: dict[re.Pattern[str], list[int]] = {}
        self._sayings = sayings or {}
        self._near: dict[int, list[NearPassage]] = {}  # passages read ahead for a thread, by id
        self._sentences: dict[tuple[str, str, str, int, int], list[tuple[Turn, str, set[str]]]] = {}
        self.vision = vision
        self.statements = [NotedStatement(s, v) for s, v in statements] if vision is not None else []
        self.roster = roster
        self.texts = texts
        self.customers = {r.meeting_id: c for r in self.records if (c := customer_of(r))}
        self._threads: dict[str, list[Thread]] = {}
        self._roadblocks: list[tuple[Thread, Said | None]] | None = None
        self.digest = digest
        self._leaning: dict[tuple[str, ...], list[str]] | None = None
        self._counted: dict[str, dict[str, int]] | None = None
        self._known: dict[tuple[str, ...], Said | None] = {}
        self._looked_until = ""  # meetings up to this day were read for the threads in _known
        self._every: list[Noted] | None = None  # see _every_acting
        self._acting: tuple[list[Noted], np.ndarray, dict[int, int]] | None = None  # see _new_acting
        self._earlier_leaning: dict[tuple[str, ...], list[str]] = {}  # an earlier digest's, by thread
        self._earlier_meetings: set[str] = set()  # the meetings an earlier digest read
        self._earlier_threads: dict[str, list[list[str]]] = {}  # an earlier digest's threads by kind (ids)
        if earlier is not None:
            self._looked_until = earlier.last_date
            self._known = {tuple(t.members): _said(t.resolution) for t in earlier.threads.get("roadblock", [])}
            self._earlier_leaning = {tuple(t.members): t.leaning for t in earlier.threads.get("assumption", [])}
            self._earlier_meetings = set(earlier.meetings)
            self._earlier_threads = {kind: [t.members for t in ts] for kind, ts in earlier.threads.items()}

    def read_now(self) -> list[Noted]:
        """The insights whose content words were worked out here (not given in `readings`)."""
        return [item for item in self.items if item.insight.id not in self._given]

    def lines_spoken(self, record: MeetingRecord) -> dict[str, int]:
        """The lines each function spoke in a meeting (digest.MeetingEntry), from the digest when
        it has them, else from the meeting's words."""
        from .digest import lines_by_team

        if self.digest is not None and record.meeting_id in self.digest.meetings:
            return self.digest.meetings[record.meeting_id].lines
        return lines_by_team(record, self.texts.turns(record))

    def of_kind(self, *kinds: str) -> list[Noted]:
        return [i for i in self.items if i.insight.kind in kinds]

    def relatedness(self, a: Noted, b: Noted) -> float:
        return float(self.related(a, [b])[0])

    def related(self, item: Noted, others: list[Noted]) -> np.ndarray:
        """How related `item` is to each of `others` (cosine plus the shared-word bonus)."""
        return self.related_block([item], others)[0]

    def vectors_of(self, items: list[Noted]) -> np.ndarray:
        """The statement vectors of `items`, as the rows of a matrix."""
        return self._matrix[[self.index[id(i)] for i in items]]

    def related_block(self, rows: list[Noted], columns: list[Noted]) -> np.ndarray:
        """How related each of `rows` is to each of `columns`, a rows x columns matrix."""
        import numpy as np

        if not rows or not columns:
            return np.zeros((len(rows), len(columns)), dtype=np.float32)
        return self._lexicon.related_block(
            self._matrix, [self.index[id(r)] for r in rows], [self.index[id(c)] for c in columns]
        )

    def threads(self, kind: str) -> list[Thread]:
        """Insights of a kind linked when related enough; each thread oldest first."""
        if kind not in self._threads and (stored := self._digest_threads(kind)) is not None:
            self._threads[kind] = stored
        if kind not in self._threads:
            members = self.of_kind(kind)
            pairs = self._grown_links(kind, members)
            if pairs is None:
                pairs = linked_pairs(self._lexicon, self._matrix, [self.index[id(m)] for m in members], THREAD_LINK)
            self._threads[kind] = [Thread([members[i] for i in g]) for g in components(len(members), pairs)]
        return self._threads[kind]

    def _grown_links(self, kind: str, members: list[Noted]) -> list[tuple[int, int]] | None:
        """With an earlier digest (a writer adding later meetings): the links that make a kind's
        threads (positions in `members`) without relinking every pair: the earlier digest's
        threads stay linked as they were, and each insight of the meetings it did not read is
        linked to every insight it is related enough to. None when the earlier digest does not
        hold exactly the insights of the meetings it read (then every pair is linked again).

        Every pair of two earlier insights keeps the link it had when the earlier digest was
        built: a word's weight shifts a little with every insight added, which in a link built
        from nothing could join or part two threads at the edge; `check --all` builds them so."""
        import numpy as np

        earlier = self._earlier_threads.get(kind)
        if earlier is None:
            return None
        position = {m.insight.id: k for k, m in enumerate(members)}
        old = [k for k, m in enumerate(members) if m.insight.meeting_id in self._earlier_meetings]
        held = [i for ids in earlier for i in ids]
        if len(held) != len(old) or any(i not in position for i in held) or {position[i] for i in held} != set(old):
            return None
        pairs = [(position[a], position[b]) for ids in earlier for a, b in zip(ids, ids[1:])]
        new = [k for k, m in enumerate(members) if m.insight.meeting_id not in self._earlier_meetings]
        if new:
            columns = [self.index[id(m)] for m in members]
            hit = self._lexicon.related_block(self._matrix, [columns[k] for k in new], columns) >= THREAD_LINK
            for r, c in zip(*np.nonzero(hit)):
                k, c = new[int(r)], int(c)
                if k != c:
                    pairs.append((min(k, c), max(k, c)))
        return pairs

    def _digest_threads(self, kind: str) -> list[Thread] | None:
        """A kind's threads as the digest holds them (None without one, or if it lacks an insight)."""
        if self.digest is None or kind not in self.digest.threads:
            return None
        by_id = {item.insight.id: item for item in self.items if item.insight.kind == kind}
        entries = self.digest.threads[kind]
        if any(m not in by_id for t in entries for m in t.members):
            return None
        return [Thread([by_id[m] for m in t.members]) for t in entries]

    def leaning(self, thread: Thread) -> list[Insight]:
        """The decisions, actions and promises related enough to an assumption thread to lean on it."""
        stored = self._digest_leaning().get(member_ids(thread))
        if stored is not None:
            return [self._by_id[i].insight for i in stored]
        earlier = self._earlier_part(thread)
        kept = self._earlier_leaning.get(earlier) if earlier else None
        if kept is not None and all(i in self._by_id for i in kept):
            # a thread an earlier digest held (as it is, or joined since by insights of later
            # meetings): what leant on it then (as judged then, like the links between earlier
            # insights: see digest.py), the earlier insights that lean on its new members, and
            # the insights of the meetings since (dated after all the others) are all that can
            # lean on it now
            new, related, column = self._new_acting()
            close = related[:, [column[id(m)] for m in thread.members]].max(axis=1, initial=0.0) >= ACTED_ON
            before = [self._by_id[i] for i in kept]
            chosen = list(before)
            joined = [m for m in thread.members if m.insight.meeting_id not in self._earlier_meetings]
            if joined:
                held = {id(a) for a in before} | {id(a) for a in new}
                others = [a for a in self._every_acting() if id(a) not in held]
                chosen += [a for a, row in zip(others, self.related_block(others, joined)) if row.max() >= ACTED_ON]
                chosen.sort(key=lambda a: self.index[id(a)])
            return [a.insight for a in chosen] + [a.insight for a, hit in zip(new, close) if hit]
        acting = self._every_acting()
        related = self.related_block(acting, thread.members)
        return [a.insight for a, row in zip(acting, related) if row.max() >= ACTED_ON]

    def _every_acting(self) -> list[Noted]:
        """The decisions, actions and promises, found once."""
        if self._every is None:
            self._every = self.of_kind("decision", "action", "promise")
        return self._every

    def _new_acting(self) -> tuple[list[Noted], np.ndarray, dict[int, int]]:
        """The decisions, actions and promises of the meetings an earlier digest did not read, how
        related each is to every assumption, and each assumption's column; worked out once."""
        if self._acting is None:
            new = [a for a in self._every_acting() if a.insight.meeting_id not in self._earlier_meetings]
            assumptions = self.of_kind("assumption")
            column = {id(m): k for k, m in enumerate(assumptions)}
            self._acting = (new, self.related_block(new, assumptions), column)
        return self._acting

    def _digest_leaning(self) -> dict[tuple[str, ...], list[str]]:
        if self._leaning is None:
            entries = self.digest.threads.get("assumption", []) if self.digest is not None else []
            self._leaning = {tuple(t.members): t.leaning for t in entries if all(i in self._by_id for i in t.leaning)}
        return self._leaning

    def insights_per_team(self, record: MeetingRecord) -> dict[str, int]:
        """A meeting's visible insights per function, from the digest when it has them."""
        if self.digest is not None and record.meeting_id in self.digest.meetings:
            return self.digest.meetings[record.meeting_id].insights
        if self._counted is None:
            self._counted = {}
            for item in self.items:
                counts = self._counted.setdefault(item.insight.meeting_id, {})
                counts[item.insight.team] = counts.get(item.insight.team, 0) + 1
        return self._counted.get(record.meeting_id, {})

    def roadblock_threads(self) -> list[tuple[Thread, Said | None]]:
        """Each roadblock thread with what a later meeting said that resolved it, if anything."""
        if self._roadblocks is None and self.digest is not None and "roadblock" in self.digest.threads:
            threads = self.threads("roadblock")
            if self._digest_threads("roadblock") is not None:
                entries = self.digest.threads["roadblock"]
                self._roadblocks = [(t, _said(e.resolution)) for t, e in zip(threads, entries)]
        if self._roadblocks is None:
            threads = self.threads("roadblock")
            known = {id(t): self._known[k] for t in threads if (k := self._earlier_part(t)) in self._known}
            # a thread the earlier digest left open may be resolved by an insight of a later meeting
            by_insight = {id(t): known.get(id(t)) or self._said_by_insight(t, RESOLVED, THREAD_LINK) for t in threads}
            self._read_near([t for t in threads if by_insight[id(t)] is None])
            self._roadblocks = [(t, by_insight[id(t)] or self._said_in_passages(t, RESOLVED)) for t in threads]
        return self._roadblocks

    def _start(self, thread: Thread) -> str:
        """The day after which later meetings may speak of the thread: its first day, or the last
        day an earlier digest read for it (it was still open then)."""
        if self._looked_until and self._earlier_part(thread) in self._known:
            return max(thread.first.date, self._looked_until)
        return thread.first.date

    def _earlier_part(self, thread: Thread) -> tuple[str, ...]:
        """The ids of a thread's insights from the meetings an earlier digest read, oldest first:
        when they are one of its threads, this thread is that one, joined since (if at all) only
        by insights of later meetings. Empty without an earlier digest."""
        if not self._earlier_meetings:
            return ()
        return tuple(m.insight.id for m in thread.members if m.insight.meeting_id in self._earlier_meetings)

    def _read_near(self, threads: list[Thread]) -> None:
        """Read the passages near each thread in as few queries as there are distinct (first
        day, meetings) among them: threads that share them share the filter of one query."""
        groups: dict[tuple[str, tuple[str, ...]], list[Thread]] = {}
        for thread in threads:
            groups.setdefault((self._start(thread), tuple(thread.meetings)), []).append(thread)
        for (start, meetings), group in groups.items():
            if not any(r.date > start and r.meeting_id not in meetings for r in self.records):
                continue
            found = self.texts.passages_near_many(
                [t.members[0].vector for t in group], start, self.as_of.isoformat(), list(meetings), PASSAGES_LOOKED_AT
            )
            for thread, passages in zip(group, found):
                self._near[id(thread)] = passages

    def later_saying(self, thread: Thread, pattern: re.Pattern[str], floor: float = THREAD_LINK) -> Said | None:
        """The first thing a later meeting says about the thread that matches `pattern` ("fixed",
        "done"): an insight related to it, else a sentence of a passage near it that shares at
        least two of its content words."""
        return self._said_by_insight(thread, pattern, floor) or self._said_in_passages(thread, pattern)

    def later_saying_each(self, threads: list[Thread], pattern: re.Pattern[str]) -> list[Said | None]:
        """`later_saying` for each thread, with the passages of later meetings read in as few
        queries as there are distinct (first day, meetings) among the threads no insight answers."""
        said = [self._said_by_insight(t, pattern, THREAD_LINK) for t in threads]
        self._read_near([t for t, s in zip(threads, said) if s is None])
        return [s or self._said_in_passages(t, pattern) for t, s in zip(threads, said)]

    def _said_by_insight(self, thread: Thread, pattern: re.Pattern[str], floor: float) -> Said | None:
        """The first later insight related to the thread that says it."""
        start = self._start(thread)
        self.saying(pattern)
        meetings = set(thread.meetings)
        saying = [
            self.items[k]
            for k in self._saying[pattern]
            if self.items[k].insight.date > start and self.items[k].insight.meeting_id not in meetings
        ]
        for item, row in zip(saying, self.related_block(saying, thread.members)):
            if row.max() >= floor:
                ins = item.insight
                return Said(ins.date, ins.statement, cite_insight(ins))
        return None

    def saying(self, pattern: re.Pattern[str]) -> list[Noted]:
        """The insights that say it ("fixed", "done"), not negated; worked out once per pattern,
        and for the meetings whose sayings were given, taken from them."""
        if pattern not in self._saying:
            name = next((n for n, p in SAYINGS.items() if p is pattern), None)
            known = {m: set(said.get(name, ())) for m, said in self._sayings.items()} if name else {}

            def says(item: Noted) -> bool:
                kept = known.get(item.insight.meeting_id)
                if kept is not None:
                    return item.insight.id in kept
                return said_without_negation(pattern, f"{item.insight.statement} {item.insight.quote}")

            self._saying[pattern] = [k for k, item in enumerate(self.items) if says(item)]
        return [self.items[k] for k in self._saying[pattern]]

    def sayings_of(self, meeting_id: str) -> dict[str, list[str]]:
        """Which insights of a meeting say each of `SAYINGS` (name -> their ids), as a digest keeps it."""
        return {
            name: [i.insight.id for i in self.saying(pattern) if i.insight.meeting_id == meeting_id]
            for name, pattern in SAYINGS.items()
        }

    def _said_in_passages(self, thread: Thread, pattern: re.Pattern[str]) -> Said | None:
        """The first sentence of a later passage near the thread that says it and shares two of
        the thread's content words."""
        start, meetings = self._start(thread), set(thread.meetings)
        if id(thread) in self._near:
            passages = self._near.pop(id(thread))
        elif any(r.date > start and r.meeting_id not in meetings for r in self.records):
            passages = self.texts.passages_near(
                thread.members[0].vector, start, self.as_of.isoformat(), thread.meetings, PASSAGES_LOOKED_AT
            )
        else:
            return None
        terms = set().union(*(set(m.terms) for m in thread.members))
        found = []
        for passage in passages:
            record = self.by_meeting.get(passage.meeting_id)
            if record is None or record.version != passage.version or record.date <= start:
                continue
            for turn, sentence, words in self._saying_sentences(passage, pattern):
                if len(terms & words) >= 2:
                    team = record.speaker_teams.get(turn.speaker or "", record.team or "unknown")
                    found.append(Said(record.date, sentence, cite_turn(record, turn, team)))
        return min(found, key=lambda x: (x.date, x.cite.start_line)) if found else None

    def _saying_sentences(self, passage: NearPassage, pattern: re.Pattern[str]) -> list[tuple[Turn, str, set[str]]]:
        """The sentences of a passage that say it (not negated), with their turn and content
        words; worked out once per passage: the passages of a new meeting are near many threads."""
        lines = (passage.turns[0].start_line, passage.turns[-1].end_line) if passage.turns else (-1, -1)
        key = (pattern.pattern, passage.meeting_id, passage.version, *lines)
        if key not in self._sentences:
            self._sentences[key] = [
                (turn, sentence, set(read(sentence).terms))
                for turn in passage.turns
                for sentence in re.split(r"(?<=[.!?])\s+", turn.text)
                if said_without_negation(pattern, sentence)
            ]
        return self._sentences[key]


def member_ids(thread: Thread) -> tuple[str, ...]:
    """The ids of a thread's insights, oldest first: how a digest names the thread."""
    return tuple(m.insight.id for m in thread.members)


def _said(resolution: Resolution | None) -> Said | None:
    return None if resolution is None else Said(resolution.date, resolution.text, resolution.cite)


def customer_of(record: MeetingRecord) -> str | None:
    """The customer a meeting was with: people in it who are in no function, named by the title."""
    if not any(record.speaker_teams.get(s, "unknown") in OUTSIDE for s in record.speakers):
        return None
    words = [
        w
        for w in re.findall(r"[A-Za-z][A-Za-z&'-]*", SERIES_NOISE.sub(" ", record.title))
        if w.lower() not in _GENERIC_TITLE
    ]
    return " ".join(w[:1].upper() + w[1:] for w in words) if words else None
