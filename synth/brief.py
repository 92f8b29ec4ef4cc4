"""`synth brief`: what everyone should know before the next sync, for one audience.

1. Period. Everything since the previous meeting of the series (titles that differ only by a
   date), or since a date, or the last 14 days; "as of" a day (today by default).
2. Facts. Assembled from the stored insights, flags and vision, without a model:
   - threads: similar roadblocks (assumptions, requests) from several meetings are one thread,
     with its first mention, who raised it and how often it came back;
   - a roadblock is resolved, and an action done, when a later meeting says so about it;
   - an assumption's status comes from its flags; it is relied on as often as it is repeated and
     as decisions, actions and promises lean on it;
   - requests are counted across meetings and customers (named, or "three prospects").
   Every fact cites the meeting and file:line of the words it rests on.
3. Audience. A function (or a person, through the roster) changes which sections lead and
   whose items come first; the facts are the same.
4. Prose. With a model, a prompted chain writes a short lead for each section from the same
   facts. A sentence whose citation is not one of the facts, or whose number is not in the facts
   it cites, is dropped, and the drops are counted.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from .app import vision_items
from .check import Item, assumption_statuses, insight_item, insight_key
from .check.compare import due_by, read
from .check.items import Lexicon, connected
from .errors import NotFoundError, SynthError
from .models import Flag, Insight, MeetingRecord
from .teams import FUNCTIONS, OUTSIDE, display_team, normalize_team

DEFAULT_DAYS = 14
THREAD_LINK = 0.55  # relatedness (cosine + shared rare words) at which two insights are one thread
ACTED_ON = 0.5  # a decision, action or promise this related to an assumption leans on it
ACTION_LOOKBACK = 90  # days before the period an open action's due date may lie and still be shown
AUDIENCES = ("engineering", "sales", "leadership")
FIT_MIN = 0.45  # cosine at which a request is about a roadmap item or a non-goal
NOT_PLANNED = "not on the roadmap"
AGENDA_ITEMS = 8  # at most; flags take at most five of them, so overdue work and old roadblocks are heard too
SAME_FINDING = 0.8
PASSAGES_LOOKED_AT = 6  # passages of later meetings read for a roadblock's resolution  # findings this related, from different meetings, are said once

SECTION_TITLES = {
    "your_actions": "Your actions",
    "commitments": "Committed versus exploring",
    "do_not_promise": "What must not be promised",
    "problems": "Customer problems behind requests",
    "decisions_needed": "Decisions needed",
    "risks": "Risks",
    "outcomes": "Outcomes",
    "learned": "What each function learned",
    "roadblocks": "Open roadblocks",
    "assumptions": "Untested assumptions the team acts on",
    "flags": "Open flags that need a cross-functional decision",
    "decisions": "Decisions made",
    "actions": "Actions due or overdue",
    "requests": "Requests heard",
    "unheard": "Functions not heard from",
    "agenda": "Suggested agenda",
    "questions": "Questions worth asking",
}
_PREFIX = {
    "your_actions": "Y",
    "commitments": "C",
    "do_not_promise": "N",
    "problems": "P",
    "decisions_needed": "X",
    "risks": "K",
    "outcomes": "O",
    "learned": "L",
    "roadblocks": "R",
    "assumptions": "A",
    "flags": "F",
    "decisions": "D",
    "actions": "T",
    "requests": "Q",
    "unheard": "U",
    "agenda": "G",
    "questions": "W",
}
_ORDER = {
    None: ["learned", "roadblocks", "assumptions", "flags", "decisions", "actions", "requests", "unheard"],
    "engineering": ["problems", "roadblocks", "assumptions", "flags", "decisions", "actions", "learned", "unheard"],
    "sales": [
        "commitments",
        "do_not_promise",
        "requests",
        "flags",
        "learned",
        "decisions",
        "actions",
        "roadblocks",
        "assumptions",
        "unheard",
    ],
    "leadership": [
        "decisions_needed",
        "risks",
        "outcomes",
        "flags",
        "assumptions",
        "roadblocks",
        "actions",
        "requests",
        "learned",
        "unheard",
    ],
}
TECHNICAL = re.compile(
    r"\b(api|sync|quota|server|database|bug|crash|latency|deploy|build|test|integration|code|"
    r"queue|offline|performance|outage|infra\w*|backend|frontend|app|import|data|migration)\b",
    re.I,
)
_RESOLVED = re.compile(
    r"\b(unblocked|no longer (?:blocked|an issue|a problem)|resolved|fixed|approved|granted|shipped|"
    r"went live|is live|works now|working now|sorted out|solved)\b",
    re.I,
)
_DONE = re.compile(r"\b(done|sent|shared|wrote up|written up|finished|completed|delivered|posted|published)\b", re.I)
_NEGATED = re.compile(r"\b(not|never|still|yet|no)\b|n't\b", re.I)
_COUNTED = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|a few|several|\d+)\s+(?:[a-z-]+\s+){0,2}?"
    r"(prospects?|customers?|accounts?|shops?|companies|businesses|teams|clients?|leads?|contractors?)\b",
    re.I,
)
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a few": 3,
    "several": 3,
}
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
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_SERIES_NOISE = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\b" + _MONTHS + r"\s+\d{1,2}(?:st|nd|rd|th)?"
    r"(?:,?\s+\d{4})?|\b\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTHS + r"(?:\s+\d{4})?|\bweek\s+\d+|#\d+|\b\d+\b",
    re.I,
)


class Cite(BaseModel):
    """Where a fact's words are: a meeting's file and lines, or the vision document's."""

    meeting_id: str | None = None
    title: str
    date: str | None = None
    source: str
    start_line: int
    end_line: int
    speaker: str | None = None
    team: str | None = None


class Fact(BaseModel):
    """One bullet of the brief."""

    id: str = Field(description="stable within one brief: L3, R1, ... (what prose cites)")
    section: str
    text: str
    team: str | None = Field(None, description="the function it comes from")
    who: str | None = Field(None, description="who raised or said it")
    date: str | None = Field(None, description="when it was (first) said")
    details: dict[str, Any] = Field({}, description="the numbers and states behind the text")
    cites: list[Cite]


class Section(BaseModel):
    key: str
    title: str
    facts: list[Fact]
    empty: str = Field(description="what the brief says when the section has no facts")
    prose: str | None = Field(None, description="with a model: a lead written from the facts, citing them as [ID]")


class Brief(BaseModel):
    """The whole brief; Markdown, HTML and JSON are this object."""

    audience: str | None = Field(None, description="the function it is tailored for")
    person: str | None = None
    series: str | None = None
    period: str
    since: str
    until: str
    meetings: list[dict] = Field(description="the meetings in the period: id, title, date, source")
    meetings_stored: int
    sections: list[Section]
    agenda: list[Fact]
    questions: list[Fact]
    mode: str = Field("offline", description="offline (assembled from stored facts), or llm:MODEL (with prose)")
    notes: list[str] = []
    dropped: dict[str, int] = Field({}, description="prose sentences dropped: bad citation, unmatched number")

    def all_facts(self) -> list[Fact]:
        return [f for s in self.sections for f in s.facts] + self.agenda + self.questions


# --- period -----------------------------------------------------------------------------------


def series_name(title: str) -> str:
    """A title without its dates and numbers: meetings with the same series name recur."""
    return " ".join(re.sub(r"[^a-z&]+", " ", _SERIES_NOISE.sub(" ", title.lower())).split())


@dataclass
class Period:
    since: dt.date
    until: dt.date
    label: str
    series: str | None = None


def resolve_period(records: list[MeetingRecord], since: str | None, series: str | None, as_of: dt.date) -> Period:
    """--since DATE, or since the previous meeting of the series (--series, else the most recent
    series that has met more than once), else the last 14 days."""
    from .ingest import parse_date_option

    if since and since.strip().lower() != "last":
        day = parse_date_option(since, "--since")
        return Period(day, as_of, f"since {day.isoformat()}")
    past = [r for r in records if r.date <= as_of.isoformat()]
    groups: dict[str, list[MeetingRecord]] = {}
    for record in past:
        groups.setdefault(series_name(record.title), []).append(record)
    if series:
        wanted = series_name(series) or series.lower()
        names = [n for n in groups if n == wanted] or [n for n in groups if wanted in n]
        if not names:
            recurring = sorted(n for n, g in groups.items() if len(g) > 1)
            raise NotFoundError(
                f"no meeting series matches {series!r}"
                + (f"; recurring series: {', '.join(recurring)}" if recurring else "; no series has met twice")
            )
        if len(names) > 1:
            raise NotFoundError(f"{series!r} matches {len(names)} series ({', '.join(sorted(names)[:5])}); say more")
        chosen = groups[names[0]]
    else:
        recurring = [g for g in groups.values() if len(g) > 1]
        chosen = max(recurring, key=lambda g: max(r.date for r in g)) if recurring else None
    if chosen:
        last = max(chosen, key=lambda r: (r.date, r.meeting_id))
        return Period(dt.date.fromisoformat(last.date), as_of, f"since the last {last.title} ({last.date})", last.title)
    start = as_of - dt.timedelta(days=DEFAULT_DAYS)
    return Period(start, as_of, f"the last {DEFAULT_DAYS} days ({start.isoformat()} to {as_of.isoformat()})")


# --- threads -------------------------------------------------------------------------------------


@dataclass
class Said:
    """Something a later meeting said: a roadblock resolved, an action done."""

    date: str
    text: str
    cite: Cite


@dataclass
class Thread:
    """Similar insights of one kind from one or more meetings, oldest first."""

    members: list[Item]

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


def _cite(insight: Insight) -> Cite:
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


def _cite_side(side) -> Cite:
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


def _unique_cites(insights: list[Insight], limit: int = 4) -> list[Cite]:
    seen, out = set(), []
    for insight in insights:
        place = (insight.source, insight.start_line)
        if place not in seen:
            seen.add(place)
            out.append(_cite(insight))
    return out[:limit]


def _who(insight: Insight) -> str:
    team = display_team(insight.team) if insight.team not in OUTSIDE else "customer"
    return f"{insight.speaker or 'unknown'} ({team})"


def _days(a: str, b: dt.date) -> int:
    return (b - dt.date.fromisoformat(a)).days


def _said_without_negation(pattern: re.Pattern, text: str) -> bool:
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        match = pattern.search(sentence)
        if match and (match.group(0).lower().startswith("no longer") or not _NEGATED.search(sentence)):
            return True
    return False


class Facts:
    """The store as of a day: insights with vectors, their relatedness, flags, the vision."""

    def __init__(self, app, as_of: dt.date):
        import numpy as np

        store = app.store(create=False)
        self.as_of = as_of
        self.records = [r for r in app.meetings() if r.date <= as_of.isoformat()]
        self.by_meeting = {r.meeting_id: r for r in self.records}
        runs = [r.extraction_run for r in self.records if r.extraction_run]
        self.flags = [Flag(**f) for f in store.flags()]
        statuses = assumption_statuses(self.flags)
        self.items: list[Item] = []
        for insight, _, vector in store.insight_vectors(runs):
            if insight.meeting_id not in self.by_meeting:
                continue
            if insight.kind == "assumption":
                got = statuses.get(insight_key(insight))
                insight.status, insight.status_flag = (got[0], got[1]) if got else ("untested", None)
            self.items.append(insight_item(insight, vector))
        self.items.sort(key=lambda i: (i.insight.date, i.insight.meeting_id, i.insight.start_line, i.insight.kind))
        self.index = {id(item): n for n, item in enumerate(self.items)}
        if self.items:
            matrix = np.asarray([i.vector for i in self.items], dtype=np.float32)
            lexicon = Lexicon(self.items)
            self.related = np.stack([lexicon.related(item, row) for item, row in zip(self.items, matrix @ matrix.T)])
        else:
            self.related = np.zeros((0, 0), dtype=np.float32)
        self.vision, self.statements = vision_items(store)
        self.roster: dict[str, str] = app.roster()
        self.store = store
        self.customers = {r.meeting_id: c for r in self.records if (c := _customer(r))}

    def of_kind(self, *kinds: str) -> list[Item]:
        return [i for i in self.items if i.insight.kind in kinds]

    def relatedness(self, a: Item, b: Item) -> float:
        return float(self.related[self.index[id(a)], self.index[id(b)]])

    def threads(self, kind: str) -> list[Thread]:
        """Insights of a kind linked when related enough; each thread oldest first."""
        members = self.of_kind(kind)
        groups = connected(len(members), lambda i, j: self.relatedness(members[i], members[j]) >= THREAD_LINK)
        return [Thread([members[i] for i in g]) for g in groups]

    def later_saying(self, thread: Thread, pattern: re.Pattern, floor: float = THREAD_LINK) -> Said | None:
        """The first thing a later meeting says about the thread that matches `pattern` ("fixed",
        "done"): an insight related to it, else a sentence of a passage near it that shares at
        least two of its content words."""
        import json

        start = thread.first.date
        for item in self.items:
            ins = item.insight
            if ins.date <= start or ins.meeting_id in thread.meetings:
                continue
            if not _said_without_negation(pattern, f"{ins.statement} {ins.quote}"):
                continue
            if max(self.relatedness(item, m) for m in thread.members) >= floor:
                return Said(ins.date, ins.statement, _cite(ins))
        later = [r for r in self.records if r.date > start and r.meeting_id not in thread.meetings]
        if not later:
            return None
        terms = set().union(*(set(m.reading.terms) for m in thread.members))
        hits = self.store.query_passages(thread.members[0].vector, [r.version for r in later], n=PASSAGES_LOOKED_AT)
        found = []
        for pid, (text, meta) in self.store.get_passages([h[0] for h in hits]).items():
            record = self.by_meeting.get(meta["meeting_id"])
            if record is None or record.version != meta["version"]:
                continue
            for line, (first, last, speaker) in zip(text.split("\n"), json.loads(meta.get("turns", "[]"))):
                line = line[len(speaker) + 2 :] if speaker and line.startswith(f"{speaker}: ") else line
                for sentence in re.split(r"(?<=[.!?])\s+", line):
                    if _said_without_negation(pattern, sentence) and len(terms & set(read(sentence).terms)) >= 2:
                        team = record.speaker_teams.get(speaker or "", record.team or "unknown")
                        found.append(
                            Said(
                                record.date,
                                sentence,
                                Cite(
                                    meeting_id=record.meeting_id,
                                    title=record.title,
                                    date=record.date,
                                    source=record.source,
                                    start_line=first,
                                    end_line=last,
                                    speaker=speaker,
                                    team=team,
                                ),
                            )
                        )
        return min(found, key=lambda x: (x.date, x.cite.start_line)) if found else None


def _customer(record: MeetingRecord) -> str | None:
    """The customer a meeting was with: people in it who are in no function, named by the title."""
    if not any(record.speaker_teams.get(s, "unknown") in OUTSIDE for s in record.speakers):
        return None
    words = [
        w
        for w in re.findall(r"[A-Za-z][A-Za-z&'-]*", _SERIES_NOISE.sub(" ", record.title))
        if w.lower() not in _GENERIC_TITLE
    ]
    return " ".join(w[:1].upper() + w[1:] for w in words) if words else None


# --- sections -------------------------------------------------------------------------------------


class BriefAssembler:
    """Builds each section's facts for a period and an audience."""

    def __init__(self, facts: Facts, period: Period, audience: str | None, person: str | None):
        self.f = facts
        self.period = period
        self.audience = audience
        self.person = person
        self.since = period.since.isoformat()
        self.until = period.until.isoformat()
        self.in_period = {r.meeting_id for r in facts.records if self.since <= r.date <= self.until}
        self._threads: dict[str, list[Thread]] = {}
        self._built: dict[str, list[Fact]] = {}

    def threads(self, kind: str) -> list[Thread]:
        if kind not in self._threads:
            self._threads[kind] = self.f.threads(kind)
        return self._threads[kind]

    def recent(self, *kinds: str) -> list[Item]:
        return [i for i in self.f.of_kind(*kinds) if i.insight.meeting_id in self.in_period]

    def own_first(self, items: list, team_of) -> list:
        if not self.audience:
            return items
        return sorted(items, key=lambda x: team_of(x) != self.audience)

    def section(self, key: str) -> list[Fact]:
        if key not in self._built:
            self._built[key] = getattr(self, f"_{key}")()
        return self._built[key]

    # each returns facts without ids; ids are given in order of appearance

    def _learned(self) -> list[Fact]:
        out, kept = [], []
        items = self.own_first(self.recent("finding"), lambda i: i.insight.team)
        order = {t: n for n, t in enumerate(dict.fromkeys(i.insight.team for i in items))}
        for item in sorted(items, key=lambda i: order[i.insight.team]):
            ins = item.insight
            if any(self.f.relatedness(item, k) >= SAME_FINDING for k in kept):
                continue
            kept.append(item)
            team = ins.team if ins.team not in OUTSIDE else "customer"
            out.append(
                Fact(
                    id="",
                    section="learned",
                    text=ins.statement,
                    team=team,
                    who=_who(ins),
                    date=ins.date,
                    details={"function": display_team(team)},
                    cites=[_cite(ins)],
                )
            )
        return out

    def roadblock_threads(self) -> list[tuple[Thread, Item | None]]:
        return [(t, self.f.later_saying(t, _RESOLVED)) for t in self.threads("roadblock")]

    def _roadblocks(self) -> list[Fact]:
        out = []
        resolved = []
        for thread, resolution in self.roadblock_threads():
            first, last = thread.first, thread.last
            if resolution is not None:
                if self.since <= resolution.date <= self.until:
                    resolved.append(
                        Fact(
                            id="",
                            section="roadblocks",
                            text=f"Resolved: {first.statement} ({resolution.text})",
                            team=first.team,
                            who=_who(first),
                            date=first.date,
                            details={
                                "state": "resolved",
                                "resolved_on": resolution.date,
                                "raised_by": _who(first),
                                "open_days": _days(first.date, dt.date.fromisoformat(resolution.date)),
                                "mentions": len(thread.members),
                                "meetings": len(thread.meetings),
                                "last_raised": last.date,
                                "technical": False,
                            },
                            cites=_unique_cites([m.insight for m in thread.members], 3) + [resolution.cite],
                        )
                    )
                continue
            age = _days(first.date, self.f.as_of)
            text = (
                first.statement
                if len(thread.members) == 1
                else f"{first.statement} (still raised {last.date}: {last.statement})"
            )
            out.append(
                Fact(
                    id="",
                    section="roadblocks",
                    text=text,
                    team=first.team,
                    who=_who(first),
                    date=first.date,
                    details={
                        "state": "open",
                        "open_days": age,
                        "raised_by": _who(first),
                        "mentions": len(thread.members),
                        "meetings": len(thread.meetings),
                        "last_raised": last.date,
                        "technical": bool(TECHNICAL.search(" ".join(m.insight.statement for m in thread.members))),
                    },
                    cites=_unique_cites([m.insight for m in thread.members]),
                )
            )
        if self.audience == "engineering":
            out.sort(key=lambda f: (not (f.team == "engineering" or f.details["technical"]), -f.details["open_days"]))
        else:
            out.sort(key=lambda f: -f.details["open_days"])
            out = self.own_first(out, lambda f: f.team)
        return out + resolved

    def assumption_threads(self) -> list[tuple[Thread, int, list[Insight]]]:
        """Each assumption thread, how much the team leans on it, and what leans on it."""
        acting = self.f.of_kind("decision", "action", "promise")
        out = []
        for thread in self.threads("assumption"):
            leaning = [a.insight for a in acting if max(self.f.relatedness(a, m) for m in thread.members) >= ACTED_ON]
            out.append((thread, len(thread.members) + 2 * len(leaning), leaning))
        return out

    def _assumptions(self) -> list[Fact]:
        untested, changed = [], []
        flags = {f.id: f for f in self.f.flags}
        for thread, reliance, leaning in self.assumption_threads():
            first = thread.first
            statuses = [m.insight for m in thread.members if m.insight.status in ("validated", "invalidated")]
            flag = flags.get(statuses[-1].status_flag) if statuses else None
            evidence_date = flag.sides[1].date if flag else None
            cites = _unique_cites([m.insight for m in thread.members] + leaning, limit=5)
            details = {
                "status": statuses[-1].status if statuses else "untested",
                "mentions": len(thread.members),
                "meetings": len(thread.meetings),
                "relied_on_by": len(leaning),
                "reliance": reliance,
                "functions": [display_team(t) for t in thread.teams],
            }
            if flag is not None and evidence_date and self.since <= evidence_date <= self.until:
                details.update(changed_on=evidence_date, flag=flag.id, evidence=flag.sides[1].text)
                changed.append(
                    Fact(
                        id="",
                        section="assumptions",
                        text=f"{first.statement} Now {details['status']}: {flag.sides[1].text}",
                        team=first.team,
                        who=_who(first),
                        date=first.date,
                        details=details,
                        cites=cites + [_cite_side(flag.sides[1])],
                    )
                )
            elif not statuses:
                untested.append(
                    Fact(
                        id="",
                        section="assumptions",
                        text=first.statement,
                        team=first.team,
                        who=_who(first),
                        date=first.date,
                        details=details,
                        cites=cites,
                    )
                )
        untested.sort(key=lambda f: (-f.details["reliance"], f.date or ""))
        return changed + untested

    def _flags(self) -> list[Fact]:
        out = []
        priority = {"promise_gap": 0, "vision_conflict": 1, "team_conflict": 2, "assumption_refuted": 3, "unheard": 4}
        for flag in self.f.flags:
            if flag.status != "open" or flag.type == "assumption_supported":
                continue
            teams = sorted({s.team for s in flag.sides if s.team and s.team not in OUTSIDE})
            dates = [s.date for s in flag.sides if s.date]
            if dates and min(dates) > self.until:
                continue
            out.append(
                Fact(
                    id="",
                    section="flags",
                    text=flag_text(flag),
                    team=teams[0] if len(teams) == 1 else None,
                    date=max(dates) if dates else None,
                    details={
                        "flag": flag.id,
                        "type": flag.type,
                        "functions": [display_team(t) for t in teams],
                        "vision": any(s.kind == "vision" for s in flag.sides),
                        "explanation": flag.explanation,
                        "topic": next(
                            (f"{s.source}:{s.start_line}" for s in flag.sides if s.kind == "vision"), flag.id
                        ),
                        "vision_text": next((s.text for s in flag.sides if s.kind == "vision"), None),
                    },
                    cites=[_cite_side(s) for s in flag.sides][:5],
                )
            )
        out.sort(key=lambda f: (-len(f.details["functions"]) - f.details["vision"], priority.get(f.details["type"], 9)))
        return self.own_first(
            out, lambda f: self.audience in [normalize_team(t) for t in f.details["functions"]] and self.audience
        )

    def _decisions(self) -> list[Fact]:
        return [
            Fact(
                id="",
                section="decisions",
                text=i.insight.statement,
                team=i.insight.team,
                who=_who(i.insight),
                date=i.insight.date,
                details={},
                cites=[_cite(i.insight)],
            )
            for i in self.recent("decision")
        ]

    def _actions(self) -> list[Fact]:
        out = []
        floor = (self.period.since - dt.timedelta(days=ACTION_LOOKBACK)).isoformat()
        for item in self.f.of_kind("action"):
            ins = item.insight
            stated = due_by(ins.due or ins.statement, dt.date.fromisoformat(ins.date))
            due = stated[0].isoformat() if stated else None
            in_period = ins.meeting_id in self.in_period
            if not in_period and not (due and due >= floor):
                continue
            done = self.f.later_saying(Thread([item]), _DONE)
            if done is not None:
                continue
            state = "no due date" if not due else ("overdue" if due < self.until else "due")
            details = {"owner": ins.owner or "unassigned", "due": due, "due_as_said": ins.due, "state": state}
            if state == "overdue":
                details["overdue_days"] = _days(due, self.f.as_of)
            out.append(
                Fact(
                    id="",
                    section="actions",
                    text=ins.statement,
                    team=ins.team,
                    who=_who(ins),
                    date=ins.date,
                    details=details,
                    cites=[_cite(ins)],
                )
            )
        out.sort(key=lambda f: ({"overdue": 0, "due": 1}.get(f.details["state"], 2), f.details["due"] or "9999"))
        return out

    @functools.cached_property
    def request_threads(self) -> list[tuple[Thread, dict]]:
        """Each request thread with its counts: meetings, customers (named and stated), fit."""
        out = []
        names = set(self.f.customers.values())
        for thread in self.threads("request"):
            customers: dict[str, None] = {}
            unnamed: dict[str, int] = {}
            for m in thread.members:
                ins = m.insight
                text = f"{ins.statement} {ins.quote}"
                if ins.team in OUTSIDE and (c := self.f.customers.get(ins.meeting_id)):
                    customers[c] = None
                for name in names:
                    if re.search(r"\b" + re.escape(name.split()[0]) + r"\b", text, re.I):
                        customers[name] = None
                for match in _COUNTED.finditer(text):
                    word = match.group(1).lower()
                    n = int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 0)
                    unnamed[ins.meeting_id] = max(unnamed.get(ins.meeting_id, 0), n)
            recent = [m for m in thread.members if m.insight.meeting_id in self.in_period]
            fit, fit_cite = NOT_PLANNED, None
            plans = [
                s
                for s in self.f.statements
                if s.statement is not None and s.statement.section in ("roadmap", "non_goals")
            ]
            if plans:
                best = max(plans, key=lambda s: max(_cos(s.vector, m.vector) for m in thread.members))
                if max(_cos(best.vector, m.vector) for m in thread.members) >= FIT_MIN:
                    fit, fit_cite = best.statement.label, best.side
            out.append(
                (
                    thread,
                    {
                        "meetings": len(thread.meetings),
                        "mentions": len(thread.members),
                        "in_period": len(recent),
                        "customers": list(customers),
                        "unnamed_customers": sum(unnamed.values()),
                        "heard_by": [display_team(t) for t in thread.teams],
                        "first_heard": thread.first.date,
                        "last_heard": thread.last.date,
                        "fit": fit,
                        "_fit_cite": fit_cite,
                    },
                )
            )
        return out

    def _requests(self, problems: bool = False) -> list[Fact]:
        out = []
        for thread, info in self.request_threads:
            if not info["in_period"]:
                continue
            details = {k: v for k, v in info.items() if not k.startswith("_")}
            details["customer_count"] = len(info["customers"]) + info["unnamed_customers"]
            cites = _unique_cites([m.insight for m in thread.members])
            text = thread.first.statement
            if problems:
                behind = self.problems_behind(thread)
                details["problems"] = [p.statement for p in behind]
                cites += _unique_cites(behind, limit=2)
            if info["_fit_cite"] is not None and info["fit"] != NOT_PLANNED:
                cites.append(_cite_side(info["_fit_cite"]))
            out.append(
                Fact(
                    id="",
                    section="problems" if problems else "requests",
                    text=text,
                    team=thread.first.team,
                    who=_who(thread.first),
                    date=thread.first.date,
                    details=details,
                    cites=cites,
                )
            )
        out.sort(key=lambda f: (-f.details["meetings"], -f.details["customer_count"]))
        return out

    def problems_behind(self, thread: Thread) -> list[Insight]:
        """Findings and roadblocks (customers' words first) that say why a request is made."""
        found = []
        for item in self.f.of_kind("finding", "roadblock", "request"):
            if item in thread.members:
                continue
            score = max(self.f.relatedness(item, m) for m in thread.members)
            if score >= ACTED_ON and (item.insight.kind != "request" or item.insight.team in OUTSIDE):
                found.append((score, item.insight))
        found.sort(key=lambda x: -x[0])
        return [i for _, i in found[:2]]

    def _problems(self) -> list[Fact]:
        return self._requests(problems=True)

    def _unheard(self) -> list[Fact]:
        known = set(self.f.roster.values()) | {t for r in self.f.records for t in r.teams}
        known = [t for t in FUNCTIONS if t in known]
        heard = {t for r in self.f.records if r.meeting_id in self.in_period for t in r.speaker_teams.values()}
        out = []
        for team in known:
            if team in heard:
                continue
            last = [r for r in self.f.records if team in r.speaker_teams.values()]
            if not last:
                continue  # a roster function never heard in any meeting: nothing to cite
            record = max(last, key=lambda r: (r.date, r.meeting_id))
            speakers = [s for s, t in record.speaker_teams.items() if t == team]
            turns = [t for t in self.f.store.meeting_turns(record.meeting_id, record.version) if t.speaker in speakers]
            turn = turns[-1] if turns else None
            cite = Cite(
                meeting_id=record.meeting_id,
                title=record.title,
                date=record.date,
                source=record.source,
                start_line=turn.start_line if turn else 1,
                end_line=turn.end_line if turn else 1,
                speaker=turn.speaker if turn else None,
                team=team,
            )
            out.append(
                Fact(
                    id="",
                    section="unheard",
                    text=f"{display_team(team).capitalize()}: not heard from since {record.date} ({record.title}).",
                    team=team,
                    who=turn.speaker if turn else None,
                    date=record.date,
                    details={"last_heard": record.date, "days_silent": _days(record.date, self.f.as_of)},
                    cites=[cite],
                )
            )
        return out

    # --- tailored sections ---

    def _commitments(self) -> list[Fact]:
        out = []
        for item in self.f.statements:
            s = item.statement
            if s is None or s.section != "roadmap":
                continue
            state = "committed" if s.commitment != "exploring" else "exploring"
            requests = [
                t for t, info in self.request_threads if info["fit"] == s.label and info["_fit_cite"] is item.side
            ]
            asks = sum(len(t.meetings) for t in requests)
            out.append(
                Fact(
                    id="",
                    section="commitments",
                    text=f"{state.capitalize()}: {s.text}",
                    team="product",
                    date=None,
                    details={"state": state, "requests_meetings": asks},
                    cites=[_cite_side(item.side)] + _unique_cites([m.insight for t in requests for m in t.members], 2),
                )
            )
        out.sort(key=lambda f: f.details["state"] != "committed")
        return out

    def _do_not_promise(self) -> list[Fact]:
        out = []
        for item in self.f.statements:
            s = item.statement
            if s is not None and (s.section == "non_goals" or (s.section == "roadmap" and s.commitment == "exploring")):
                why = "a non-goal" if s.section == "non_goals" else "only being explored, with no date"
                out.append(
                    Fact(
                        id="",
                        section="do_not_promise",
                        text=f"{s.text} ({why})",
                        team="product",
                        details={"reason": why},
                        cites=[_cite_side(item.side)],
                    )
                )
        for fact in self.section("flags"):
            if fact.details["type"] == "promise_gap":
                out.append(fact.model_copy(update={"section": "do_not_promise"}))
        return out

    def _decisions_needed(self) -> list[Fact]:
        return [
            f.model_copy(update={"section": "decisions_needed"})
            for f in self.section("flags")
            if len(f.details["functions"]) > 1 or f.details["vision"]
        ]

    def _risks(self) -> list[Fact]:
        out = [
            f.model_copy(update={"section": "risks"})
            for f in self.section("roadblocks")
            if f.details["state"] == "open" and f.details["open_days"] >= 14
        ]
        out += [
            f.model_copy(update={"section": "risks"})
            for f in self.section("actions")
            if f.details["state"] == "overdue"
        ]
        out += [
            f.model_copy(update={"section": "risks"})
            for f in self.section("assumptions")
            if f.details.get("status") == "invalidated" or f.details["reliance"] >= 3
        ]
        return out

    def _outcomes(self) -> list[Fact]:
        metrics = [i for i in self.f.statements if i.statement is not None and i.statement.section == "metrics"]
        out = [f.model_copy(update={"section": "outcomes"}) for f in self.section("decisions")]
        for item in self.recent("finding"):
            close = [m for m in metrics if _cos(m.vector, item.vector) >= 0.4]
            if close:
                ins = item.insight
                out.append(
                    Fact(
                        id="",
                        section="outcomes",
                        text=ins.statement,
                        team=ins.team,
                        who=_who(ins),
                        date=ins.date,
                        details={"metric": close[0].side.text},
                        cites=[_cite(ins), _cite_side(close[0].side)],
                    )
                )
        return out

    def _your_actions(self) -> list[Fact]:
        first = (self.person or "").split()[0].lower() if self.person else ""
        return [
            f.model_copy(update={"section": "your_actions"})
            for f in self.section("actions")
            if first and first in (f.details.get("owner") or "").lower()
        ]


def flag_text(flag: Flag) -> str:
    """A flag as one line: its type, what each side says and who said it, and why it is raised."""

    def side(x) -> str:
        if x.kind == "vision":
            return f'the vision ({x.section or "vision"}) says "{x.text}"'
        team = display_team(x.team) if x.team and x.team not in OUTSIDE else "customer"
        return f'{x.speaker or "someone"} ({team}, {x.date}) said "{x.quote}"'

    label = flag.type.replace("_", " ").capitalize()
    if flag.type == "unheard":
        return f'{label}: "{flag.sides[0].text}" and similar. {flag.explanation}'
    return f"{label}: {side(flag.sides[0])}; {side(flag.sides[1])}. {flag.explanation}"


def _cos(a, b) -> float:
    return float(sum(x * y for x, y in zip(a, b)))


# --- agenda and questions ----------------------------------------------------------------------


def agenda_and_questions(a: BriefAssembler) -> tuple[list[Fact], list[Fact]]:
    """Agenda items ordered by how much of the team they need; questions that would settle them."""
    items: list[tuple[float, Fact]] = []
    questions: list[Fact] = []

    def add(score: float, text: str, about: Fact, functions: list[str]):
        items.append(
            (
                score,
                Fact(
                    id="",
                    section="agenda",
                    text=text,
                    team=None,
                    date=about.date,
                    details={"about": [about.id], "functions": functions, "score": round(score, 1)},
                    cites=about.cites[:3],
                ),
            )
        )

    def ask(text: str, about: Fact):
        questions.append(
            Fact(
                id="",
                section="questions",
                text=text,
                team=about.team,
                date=about.date,
                details={"about": [about.id]},
                cites=about.cites[:2],
            )
        )

    labels = {
        "promise_gap": "Agree what customers are told",
        "vision_conflict": "Decide: the plan or the vision",
        "team_conflict": "Reconcile two functions",
        "assumption_refuted": "Rethink a refuted assumption",
        "unheard": "Decide whether the vision should address a recurring theme",
    }
    groups: dict[str, list[Fact]] = {}
    for fact in a.section("flags"):
        groups.setdefault(fact.details["topic"], []).append(fact)
    for topic, facts in groups.items():
        functions = sorted({t for f in facts for t in f.details["functions"]})
        types = list(dict.fromkeys(f.details["type"] for f in facts))
        lead = facts[0]
        label = labels.get(types[0], "Decide") if len(types) == 1 else "Decide: the plan or the vision"
        score = 3 + len(functions) + lead.details["vision"] + 0.5 * (len(facts) - 1)
        if len(facts) == 1:
            text = f"{label}: {lead.text.split(': ', 1)[-1]}"
        else:
            text = (
                f"{label}: {len(facts)} flags ({', '.join(f.id for f in facts)}) from {', '.join(functions) or 'customers'} "
                f'against the vision\'s "{lead.details["vision_text"]}"'
            )
        cites = [c for f in facts for c in f.cites if c.meeting_id][:3] + [c for c in lead.cites if not c.meeting_id][
            :1
        ]
        items.append(
            (
                score,
                Fact(
                    id="",
                    section="agenda",
                    text=text,
                    date=lead.date,
                    details={"about": [f.id for f in facts], "functions": functions, "score": round(score, 1)},
                    cites=cites,
                ),
            )
        )
        if "promise_gap" in types:
            ask(f"Who goes back to the customers on this, and with what? ({text})", lead)
        elif "unheard" in types:
            ask(
                f"Is this on the roadmap, deliberately out of scope, or not yet discussed? ({lead.text.split(': ', 1)[-1]})",
                lead,
            )
        elif "vision_conflict" in types and len(functions) > 1:
            ask(
                f"Do we change the plan or the vision? {', '.join(functions).capitalize()} are pulling against it ({text})",
                lead,
            )
    for fact in a.section("actions"):
        if fact.details["state"] == "overdue":
            add(2.5, f"Overdue by {fact.details['overdue_days']} days ({fact.details['owner']}): {fact.text}", fact, [])
            ask(f"{fact.details['owner']}: is this still happening, and by when? ({fact.text})", fact)
    for fact in a.section("roadblocks"):
        if fact.details["state"] == "open" and fact.details["open_days"] >= 14:
            add(
                2 + min(fact.details["open_days"], 90) / 45,
                f"Roadblock open {fact.details['open_days']} days, raised by {fact.details['raised_by']}: {fact.text}",
                fact,
                [display_team(fact.team or "unknown")],
            )
            ask(
                f"What would unblock this, and who outside {display_team(fact.team or 'the team')} can help? ({fact.text})",
                fact,
            )
    for fact in a.section("assumptions"):
        if fact.details.get("changed_on"):
            add(3.5, f"Assumption now {fact.details['status']}: {fact.text}", fact, fact.details["functions"])
        elif fact.details["reliance"] >= 3:
            add(
                1.5 + fact.details["reliance"] / 4,
                f"Untested, relied on {fact.details['reliance']} times: {fact.text}",
                fact,
                fact.details["functions"],
            )
            ask(f"What is the cheapest way to test this before more depends on it? ({fact.text})", fact)
    for fact in a.section("requests"):
        if fact.details["meetings"] >= 2 and (fact.details["fit"] == NOT_PLANNED or "non" in fact.details["fit"]):
            add(
                1.5 + fact.details["meetings"] / 2,
                f"Requested in {fact.details['meetings']} meetings, {fact.details['fit']}: {fact.text}",
                fact,
                fact.details["heard_by"],
            )
    for fact in a.section("unheard"):
        ask(f"{fact.text.split(':')[0]}: what have you heard since {fact.details['last_heard']}?", fact)
    items.sort(key=lambda x: -x[0])
    chosen, from_flags = [], 0
    for _, fact in items:
        is_flag = fact.details["about"][0].startswith("F")
        if len(chosen) < AGENDA_ITEMS and not (is_flag and from_flags >= AGENDA_ITEMS - 3):
            chosen.append(fact)
            from_flags += is_flag
    return chosen, questions[:AGENDA_ITEMS]


# --- the brief -----------------------------------------------------------------------------------


def audience_of(facts: Facts, name: str | None) -> tuple[str | None, str | None]:
    """(function, person) for --for: a function's name, or a person in the roster."""
    if not name:
        return None, None
    team = normalize_team(name)
    if team:
        return team, None
    roster = {s: t for r in facts.records for s, t in r.speaker_teams.items() if t in FUNCTIONS}
    roster.update(facts.roster)  # the stored roster wins over what meetings said
    wanted = " ".join(name.lower().split())
    people = [p for p in roster if p.lower() == wanted] or [
        p for p in roster if p.lower().split()[0] == wanted.split()[0]
    ]
    if len(people) == 1:
        return roster[people[0]], people[0]
    if len(people) > 1:
        raise NotFoundError(
            f"--for {name!r} matches {len(people)} people in the roster ({', '.join(people)}); give the full name"
        )
    raise NotFoundError(
        f"--for {name!r} is neither a function (sales, marketing, customer success, engineering, design, "
        "product, leadership) nor a person in the roster or in a meeting with a known function"
    )


def build_brief(
    app, audience: str | None = None, since: str | None = None, series: str | None = None, as_of: dt.date | None = None
) -> Brief:
    """The brief's facts, offline."""
    as_of = as_of or dt.date.today()
    facts = Facts(app, as_of)
    if not facts.records:
        raise SynthError("the store has no meetings; `synth ingest PATH` first")
    team, person = audience_of(facts, audience)
    period = resolve_period(facts.records, since, series, as_of)
    a = BriefAssembler(facts, period, team, person)
    keys = list(_ORDER.get(team if team in AUDIENCES else None))
    if person:
        keys.insert(0, "your_actions")
    counters: dict[str, int] = {}
    sections = []
    for key in keys:
        got = a.section(key)
        for fact in got:
            prefix = _PREFIX[key]
            counters[prefix] = counters.get(prefix, 0) + 1
            fact.id = f"{prefix}{counters[prefix]}"
        sections.append(Section(key=key, title=SECTION_TITLES[key], facts=got, empty=_empty(key, a)))
    agenda, questions = agenda_and_questions(a)
    for group in (agenda, questions):
        for n, fact in enumerate(group, start=1):
            fact.id = f"{_PREFIX[fact.section]}{n}"
    meetings = [
        {"meeting_id": r.meeting_id, "title": r.title, "date": r.date, "source": r.source}
        for r in facts.records
        if r.meeting_id in a.in_period
    ]
    notes = []
    pending = [r.meeting_id for r in facts.records if r.meeting_id in a.in_period and not r.extraction_run]
    if pending:
        notes.append(f"{len(pending)} meetings in the period have no insights yet (`synth extract --retry-failed`)")
    if facts.vision is None:
        notes.append("no product vision is stored (`synth vision set FILE`): nothing is held against it")
    return Brief(
        audience=team,
        person=person,
        series=period.series,
        period=period.label,
        since=period.since.isoformat(),
        until=period.until.isoformat(),
        meetings=meetings,
        meetings_stored=len(facts.records),
        sections=sections,
        agenda=agenda,
        questions=questions,
        notes=notes,
    )


def _empty(key: str, a: BriefAssembler) -> str:
    n = len(a.in_period)
    span = f"{a.period.label} ({n} meeting{'s' if n != 1 else ''} in the period)"
    return {
        "learned": f"No function reported a finding {span}.",
        "roadblocks": f"No open roadblock in {len(a.f.records)} meetings.",
        "assumptions": "No untested assumption, and none changed status in the period.",
        "flags": "No open flag." if a.f.vision else "No open flag (no vision is stored to hold insights against).",
        "decisions": f"No decision recorded {span}.",
        "actions": "No open action is due, overdue or new in the period.",
        "requests": f"No request heard {span}.",
        "problems": f"No request heard {span}.",
        "unheard": "Every function was heard from in the period.",
        "commitments": "No roadmap is stored (`synth vision set FILE`).",
        "do_not_promise": "Nothing: no non-goal, exploring item or promise gap is stored.",
        "decisions_needed": "No open flag needs a decision across functions.",
        "risks": "No long-open roadblock, overdue action or shaky assumption.",
        "outcomes": f"No decision or metric-related finding {span}.",
        "your_actions": "No open action is yours.",
    }[key]
