"""The facts seen for one period and one audience: what the section builders share.

- an assumption is relied on as often as it is repeated and as decisions, actions and promises
  lean on it;
- requests are counted across meetings and customers (named, or "three prospects"), and matched
  to the roadmap item or non-goal they are about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ..models import Insight
from ..teams import OUTSIDE, display_team
from .facts import ACTED_ON, Facts, Noted, NotedStatement, Thread
from .model import Fact, SectionKey
from .period import Period

if TYPE_CHECKING:
    import numpy as np

LISTED_AT_MOST = 10  # facts a section that grows with the store (open roadblocks, untested assumptions) lists
FIT_MIN = 0.45  # cosine at which a request is about a roadmap item or a non-goal
NOT_PLANNED = "not on the roadmap"
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
T = TypeVar("T")


@dataclass
class RequestThread:
    """A request thread with its counts: meetings, customers (named and stated), fit."""

    thread: Thread
    meetings: int
    mentions: int
    in_period: int
    customers: list[str]
    unnamed_customers: int
    heard_by: list[str]
    first_heard: str
    last_heard: str
    fit: str
    fit_statement: NotedStatement | None


@dataclass
class AssumptionThread:
    """An assumption thread, how much the team leans on it, and what leans on it."""

    thread: Thread
    reliance: int
    leaning: list[Insight]


SectionBuilder = Callable[["Assembly"], list[Fact]]


class Assembly:
    """Builds each section's facts for a period and an audience; a section built once is reused
    by the sections and the agenda that draw on it."""

    def __init__(
        self,
        facts: Facts,
        period: Period,
        audience: str | None,
        person: str | None,
        builders: Mapping[SectionKey, SectionBuilder],
    ):
        self.f = facts
        self.period = period
        self.audience = audience
        self.person = person
        self.builders = builders
        self.since = period.since.isoformat()
        self.until = period.until.isoformat()
        self.in_period = {r.meeting_id for r in facts.records if self.since <= r.date <= self.until}
        self._built: dict[SectionKey, list[Fact]] = {}
        self._requests: list[RequestThread] | None = None
        self.left_out: dict[SectionKey, str] = {}  # a section that lists its first facts only: what it left out
        self._plan_rows: tuple[list[NotedStatement], np.ndarray] | None = None

    def section(self, key: SectionKey) -> list[Fact]:
        """A section's facts, without ids (ids are given in order of appearance)."""
        if key not in self._built:
            self._built[key] = self.builders[key](self)
        return self._built[key]

    def at_most(self, key: SectionKey, facts: list[Fact], first: Callable[[Fact], bool], what: str) -> list[Fact]:
        """`facts` (in their order) when they are few; else the `LISTED_AT_MOST` of them chosen
        first those `first` holds for, then in order, and a note of how many are left out and
        where to find them (`what`: the kind they are, and the command that lists them)."""
        if len(facts) <= LISTED_AT_MOST:
            return facts
        chosen = sorted(range(len(facts)), key=lambda n: not first(facts[n]))[:LISTED_AT_MOST]
        self.left_out[key] = f"{len(facts) - LISTED_AT_MOST} more {what}"
        return [facts[n] for n in sorted(chosen)]

    def recent(self, *kinds: str) -> list[Noted]:
        return [i for i in self.f.of_kind(*kinds) if i.insight.meeting_id in self.in_period]

    def own_first(self, items: list[T], team_of: Callable[[T], object]) -> list[T]:
        """The audience's own items first (a stable sort: otherwise in the order given)."""
        if not self.audience:
            return items
        return sorted(items, key=lambda x: team_of(x) != self.audience)

    def assumption_threads(self) -> list[AssumptionThread]:
        """Each assumption thread, how much the team leans on it, and what leans on it."""
        out = []
        for thread in self.f.threads("assumption"):
            leaning = self.f.leaning(thread)
            out.append(AssumptionThread(thread, len(thread.members) + 2 * len(leaning), leaning))
        return out

    def request_threads(self) -> list[RequestThread]:
        """Each request thread with its counts: meetings, customers (named and stated), fit."""
        if self._requests is None:
            self._requests = [self._counted(thread) for thread in self.f.threads("request")]
        return self._requests

    def _counted(self, thread: Thread) -> RequestThread:
        names = set(self.f.customers.values())
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
        fit, fit_statement = NOT_PLANNED, None
        plans, plan_vectors = self._plans()
        if plans:
            # each plan's best cosine with a member; the first best plan, as max() would pick it
            scores = (self.f.vectors_of(thread.members) @ plan_vectors.T).max(axis=0)
            best = int(scores.argmax())
            if scores[best] >= FIT_MIN:
                fit, fit_statement = plans[best].statement.label, plans[best]
        return RequestThread(
            thread=thread,
            meetings=len(thread.meetings),
            mentions=len(thread.members),
            in_period=len(recent),
            customers=list(customers),
            unnamed_customers=sum(unnamed.values()),
            heard_by=[display_team(t) for t in thread.teams],
            first_heard=thread.first.date,
            last_heard=thread.last.date,
            fit=fit,
            fit_statement=fit_statement,
        )

    def _plans(self) -> tuple[list[NotedStatement], np.ndarray]:
        """The roadmap items and non-goals a request may be about, and their vectors as rows."""
        import numpy as np

        if self._plan_rows is None:
            plans = [s for s in self.f.statements if s.statement.section in ("roadmap", "non_goals")]
            self._plan_rows = plans, np.asarray([s.vector for s in plans] or np.zeros((0, 1)), dtype=np.float32)
        return self._plan_rows

    def problems_behind(self, thread: Thread) -> list[Insight]:
        """Findings and roadblocks (customers' words first) that say why a request is made."""
        found = []
        members = {id(m) for m in thread.members}  # the same objects: no field-by-field comparison
        others = [i for i in self.f.of_kind("finding", "roadblock", "request") if id(i) not in members]
        for item, row in zip(others, self.f.related_block(others, thread.members)):
            score = float(row.max())
            if score >= ACTED_ON and (item.insight.kind != "request" or item.insight.team in OUTSIDE):
                found.append((score, item.insight))
        found.sort(key=lambda x: -x[0])
        return [i for _, i in found[:2]]
