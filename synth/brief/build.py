"""`build_brief`: the brief's facts for an audience and a period, offline.

The audience (a function, or a person through the roster) changes which sections lead and whose
items come first; the facts are the same.
"""

from __future__ import annotations

import datetime as dt

from ..errors import NotFoundError, SynthError
from ..models import MeetingRecord
from ..teams import FUNCTIONS, normalize_team
from .agenda import agenda_and_questions
from .assembly import Assembly
from .facts import Facts
from .model import Brief, BriefMeeting, Section, SectionKey
from .period import Since, resolve_period
from .sections import SECTIONS

SECTION_TITLES: dict[SectionKey, str] = {
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
PREFIX: dict[SectionKey, str] = {
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
"""The letter of each section's fact ids (R1, R2, ...), which the prose cites."""
ORDER: dict[str | None, list[SectionKey]] = {
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
"""The sections each audience reads, in order; any other function reads the team's brief."""


def audience_of(facts: Facts, name: str | None) -> tuple[str | None, str | None]:
    """(function, person) for --for: a function's name, or a person in the roster."""
    return audience_in(facts.records, facts.roster, name)


def audience_in(
    records: list[MeetingRecord], stored: dict[str, str], name: str | None
) -> tuple[str | None, str | None]:
    """`audience_of` from the meeting records and the stored roster."""
    if not name:
        return None, None
    team = normalize_team(name)
    if team:
        return team, None
    roster = {s: t for r in records for s, t in r.speaker_teams.items() if t in FUNCTIONS}
    roster.update(stored)  # the stored roster wins over what meetings said
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


FOLLOWED = ["roadblock", "assumption", "request", "action"]
"""The kinds a brief follows over time (threads, open actions): read from every meeting."""


def brief_reads(
    records: list[MeetingRecord],
    roster: dict[str, str],
    audience: str | None = None,
    since: Since = None,
    series: str | None = None,
    as_of: dt.date | None = None,
) -> tuple[list[str], set[str]]:
    """What a brief reads beside a digest (brief/digest.py): the kinds it reads from every meeting
    (with the findings, for engineering, whose problems behind requests come from any meeting),
    and the meetings whose other insights it reads (its period's). Raises what build_brief would."""
    if not records:
        raise SynthError("the store has no meetings; `synth ingest PATH` first")
    team, _ = audience_in(records, roster, audience)
    period = resolve_period(records, since, series, as_of or dt.date.today())
    kinds = FOLLOWED + (["finding"] if "problems" in ORDER.get(team, ORDER[None]) else [])
    since_day, until_day = period.since.isoformat(), period.until.isoformat()
    return kinds, {r.meeting_id for r in records if since_day <= r.date <= until_day}


def build_brief(facts: Facts, audience: str | None = None, since: Since = None, series: str | None = None) -> Brief:
    """The brief's facts as of `facts.as_of`, offline: for a function or a person (`audience`),
    since a day or since the last meeting of a series."""
    if not facts.records:
        raise SynthError("the store has no meetings; `synth ingest PATH` first")
    team, person = audience_of(facts, audience)
    period = resolve_period(facts.records, since, series, facts.as_of)
    a = Assembly(facts, period, team, person, SECTIONS)
    keys = list(ORDER[team] if team in ORDER else ORDER[None])
    if person:
        keys.insert(0, "your_actions")
    counters: dict[str, int] = {}
    sections = []
    for key in keys:
        got = a.section(key)
        for fact in got:
            prefix = PREFIX[key]
            counters[prefix] = counters.get(prefix, 0) + 1
            fact.id = f"{prefix}{counters[prefix]}"
        sections.append(
            Section(key=key, title=SECTION_TITLES[key], facts=got, empty=_empty(key, a), left_out=a.left_out.get(key))
        )
    agenda, questions = agenda_and_questions(a)
    for group in (agenda, questions):
        for n, fact in enumerate(group, start=1):
            fact.id = f"{PREFIX[fact.section]}{n}"
    meetings = [
        BriefMeeting(meeting_id=r.meeting_id, title=r.title, date=r.date, source=r.source)
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


def _empty(key: SectionKey, a: Assembly) -> str:
    n = len(a.in_period)
    span = f"{a.period.label} ({n} meeting{'s' if n != 1 else ''} in the period)"
    return {
        "learned": f"No function reported a finding {span}.",
        "roadblocks": f"No open roadblock in {len(a.f.records)} meetings.",
        "assumptions": "No untested assumption, and none changed status in the period.",
        "flags": f"No likely open flag about the meetings of {a.period.label}."
        if a.f.vision
        else "No open flag (no vision is stored to hold insights against).",
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
