"""The brief as data: what `synth brief --format json` prints, and what Markdown and HTML show.

Each kind of fact carries its own typed details (the numbers and states behind its text), and
each details type says itself in words (`text`), so that neither the renderer nor the prose
writer has to know which section a fact came from.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, SerializerFunctionWrapHandler, model_serializer

SectionKey = Literal[
    "your_actions",
    "commitments",
    "do_not_promise",
    "problems",
    "decisions_needed",
    "risks",
    "outcomes",
    "learned",
    "roadblocks",
    "assumptions",
    "flags",
    "decisions",
    "actions",
    "requests",
    "unheard",
    "agenda",
    "questions",
]
Audience = Literal["engineering", "sales", "leadership"]
ActionState = Literal["overdue", "due", "no due date"]


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


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s" if not word.endswith("s") else f"{n} {word}"


class Details(BaseModel):
    """The numbers and states behind a fact. The JSON carries the keys of `optional` only when
    they apply (an action is overdue by some days only when it is overdue)."""

    model_config = ConfigDict(extra="forbid")  # a key no details type has is a mistake, not data to drop
    optional: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _only_what_applies(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in self.optional:
            if data.get(key) is None:
                data.pop(key, None)
        return data

    def text(self, fact: Fact) -> str:
        """The numbers behind the fact, in words."""
        return f"{fact.who}, {fact.date}"

    def values(self) -> list[Any]:
        """The values the JSON shows, in its order (the prose writer checks numbers against them)."""
        return list(self.model_dump().values())

    # Read like the JSON object they print: `details["state"]`, and equal to that object.
    def __getitem__(self, key: str) -> Any:
        return self.model_dump()[key]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dict):
            return self.model_dump() == other
        return super().__eq__(other)


class LearnedDetails(Details):
    function: str


class DecisionDetails(Details):
    """A decision (and an outcome that is a decision): who said it, when."""


class OutcomeDetails(Details):
    metric: str = Field(description="the vision's success metric the finding is about")

    def text(self, fact: Fact) -> str:
        return f'{fact.who}, {fact.date}; about the metric "{self.metric}"'


class OpenRoadblockDetails(Details):
    state: Literal["open"] = "open"
    open_days: int
    raised_by: str
    mentions: int
    meetings: int
    last_raised: str
    technical: bool

    def text(self, fact: Fact) -> str:
        extra = (
            f"; raised {self.mentions} times in {self.meetings} meetings, last {self.last_raised}"
            if self.mentions > 1
            else ""
        )
        return f"open {self.open_days} days, raised by {self.raised_by} on {fact.date}{extra}"


class ResolvedRoadblockDetails(Details):
    state: Literal["resolved"] = "resolved"
    resolved_on: str
    raised_by: str
    open_days: int
    mentions: int
    meetings: int
    last_raised: str
    technical: bool = False

    def text(self, fact: Fact) -> str:
        return f"raised by {self.raised_by} on {fact.date}, resolved {self.resolved_on} after {self.open_days} days"


class AssumptionDetails(Details):
    optional: ClassVar[tuple[str, ...]] = ("changed_on", "flag", "evidence")
    status: str
    mentions: int
    meetings: int
    relied_on_by: int
    reliance: int
    functions: list[str]
    changed_on: str | None = None
    flag: str | None = None
    evidence: str | None = None

    def text(self, fact: Fact) -> str:
        said = (
            f"said {self.mentions} times in {self.meetings} meetings"
            if self.mentions > 1
            else f"said by {fact.who} on {fact.date}"
        )
        leans = "decision, action or promise leans" if self.relied_on_by == 1 else "decisions, actions or promises lean"
        leaning = f"; {self.relied_on_by} {leans} on it" if self.relied_on_by else ""
        changed = f"; status changed on {self.changed_on} (flag {self.flag})" if self.changed_on else ""
        return f"{self.status}, {said}{leaning}{changed}"


class FlagDetails(Details):
    flag: str
    type: str
    functions: list[str]
    vision: bool = Field(description="one side is the vision")
    explanation: str
    topic: str = Field(description="what flags are grouped by: the vision statement's place, else the flag")
    vision_text: str | None

    def text(self, fact: Fact) -> str:
        return f"flag {self.flag}; functions: {', '.join(self.functions) or 'customers only'}"


class ActionDetails(Details):
    optional: ClassVar[tuple[str, ...]] = ("overdue_days",)
    owner: str
    due: str | None
    due_as_said: str | None
    state: ActionState
    overdue_days: int | None = None

    def text(self, fact: Fact) -> str:
        due = {"overdue": f"overdue by {self.overdue_days} days (due {self.due})", "due": f"due {self.due}"}.get(
            self.state, "no due date"
        )
        return f"owner {self.owner}; {due}; agreed {fact.date}"


class RequestDetails(Details):
    optional: ClassVar[tuple[str, ...]] = ("problems",)
    meetings: int
    mentions: int
    in_period: int
    customers: list[str]
    unnamed_customers: int
    heard_by: list[str]
    first_heard: str
    last_heard: str
    fit: str = Field(description="the roadmap item or non-goal it is about, or that it is not on the roadmap")
    customer_count: int
    problems: list[str] | None = Field(None, description="engineering: the customer problems behind it")

    def text(self, fact: Fact) -> str:
        named = ", ".join(self.customers)
        unnamed = f"{self.unnamed_customers} unnamed" if self.unnamed_customers else ""
        who = " and ".join(x for x in (named, unnamed) if x)
        customers = f", {plural(self.customer_count, 'customer')} ({who})" if self.customer_count else ""
        heard = f"; heard by {', '.join(self.heard_by)}" if self.heard_by else ""
        problems = "".join(f'; problem behind it: "{p}"' for p in self.problems or [])
        return (
            f"{plural(self.mentions, 'mention')} in {plural(self.meetings, 'meeting')}{customers}{heard}; "
            f"first {self.first_heard}, last {self.last_heard}; {self.fit}{problems}"
        )


class UnheardDetails(Details):
    last_heard: str
    days_silent: int

    def text(self, fact: Fact) -> str:
        return f"silent for {self.days_silent} days"


class CommitmentDetails(Details):
    state: Literal["committed", "exploring"]
    requests_meetings: int

    def text(self, fact: Fact) -> str:
        return f"{self.state}; asked for in {self.requests_meetings} meetings" if self.requests_meetings else self.state


class NotToPromiseDetails(Details):
    reason: str

    def text(self, fact: Fact) -> str:
        return self.reason


class AgendaDetails(Details):
    about: list[str] = Field(description="the ids of the facts the item is about")
    functions: list[str]
    score: float

    def text(self, fact: Fact) -> str:
        needs = f"needs {', '.join(self.functions)}; " if self.functions else ""
        return f"{needs}about {', '.join(self.about)}"


class QuestionDetails(Details):
    about: list[str]

    def text(self, fact: Fact) -> str:
        return f"about {', '.join(self.about)}"


class Fact(BaseModel):
    """One bullet of the brief."""

    id: str = Field(description="stable within one brief: L3, R1, ... (what prose cites)")
    section: SectionKey
    text: str
    team: str | None = Field(None, description="the function it comes from")
    who: str | None = Field(None, description="who raised or said it")
    date: str | None = Field(None, description="when it was (first) said")
    details: SerializeAsAny[Details] = Field(description="the numbers and states behind the text")
    cites: list[Cite]

    def detail_text(self) -> str:
        """The numbers behind the fact, in words."""
        return self.details.text(self)


class Section(BaseModel):
    key: SectionKey
    title: str
    facts: list[Fact]
    empty: str = Field(description="what the brief says when the section has no facts")
    prose: str | None = Field(None, description="with a model: a lead written from the facts, citing them as [ID]")
    left_out: str | None = Field(
        None, description="a section that grows with the store lists its first facts: how many more, and where"
    )


class BriefMeeting(BaseModel):
    """A meeting in the brief's period."""

    meeting_id: str
    title: str
    date: str
    source: str


class Brief(BaseModel):
    """The whole brief; Markdown, HTML and JSON are this object."""

    audience: str | None = Field(None, description="the function it is tailored for")
    person: str | None = None
    series: str | None = None
    period: str
    since: str
    until: str
    meetings: list[BriefMeeting] = Field(description="the meetings in the period: id, title, date, source")
    meetings_stored: int
    sections: list[Section]
    agenda: list[Fact]
    questions: list[Fact]
    mode: str = Field("offline", description="offline (assembled from stored facts), or llm:MODEL (with prose)")
    notes: list[str] = []
    dropped: dict[str, int] = Field({}, description="prose sentences dropped: bad citation, unmatched number")

    def all_facts(self) -> list[Fact]:
        """Every fact of the brief, in the order it shows them."""
        return [f for s in self.sections for f in s.facts] + self.agenda + self.questions


D = TypeVar("D", bound=Details)


def details_as(fact: Fact, kind: type[D]) -> D:
    """A fact's details as the type its section gives them (a fact of another kind is a bug)."""
    if not isinstance(fact.details, kind):
        raise TypeError(f"fact {fact.id or fact.text[:40]!r} of {fact.section} has {type(fact.details).__name__}")
    return fact.details
