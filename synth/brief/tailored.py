"""The sections that are tailored to an audience: sales hears what is committed and what must
not be promised, leadership the decisions needed, the risks and the outcomes, a person their own
actions. Most are drawn from the other sections' facts."""

from __future__ import annotations

from typing import Literal

from .assembly import Assembly
from .facts import cite_insight, cite_statement, cosine, insight_fact, unique_cites
from .model import (
    ActionDetails,
    AssumptionDetails,
    CommitmentDetails,
    Fact,
    FlagDetails,
    NotToPromiseDetails,
    OpenRoadblockDetails,
    OutcomeDetails,
    details_as,
)

METRIC_RELATED = 0.4  # cosine at which a finding is about a success metric of the vision


def commitments(a: Assembly) -> list[Fact]:
    """The roadmap, committed before exploring, with how many meetings asked for each item."""
    out: list[Fact] = []
    for item in a.f.statements:
        s = item.statement
        if s.section != "roadmap":
            continue
        state: Literal["committed", "exploring"] = "committed" if s.commitment != "exploring" else "exploring"
        asked = [r.thread for r in a.request_threads() if r.fit == s.label and r.fit_statement is item]
        out.append(
            Fact(
                id="",
                section="commitments",
                text=f"{state.capitalize()}: {s.text}",
                team="product",
                date=None,
                details=CommitmentDetails(state=state, requests_meetings=sum(len(t.meetings) for t in asked)),
                cites=[cite_statement(s)] + unique_cites([m.insight for t in asked for m in t.members], 2),
            )
        )
    out.sort(key=lambda f: details_as(f, CommitmentDetails).state != "committed")
    return out


def do_not_promise(a: Assembly) -> list[Fact]:
    """Non-goals, roadmap items only being explored, and promises the roadmap does not back."""
    out: list[Fact] = []
    for item in a.f.statements:
        s = item.statement
        if s.section == "non_goals" or (s.section == "roadmap" and s.commitment == "exploring"):
            why = "a non-goal" if s.section == "non_goals" else "only being explored, with no date"
            out.append(
                Fact(
                    id="",
                    section="do_not_promise",
                    text=f"{s.text} ({why})",
                    team="product",
                    details=NotToPromiseDetails(reason=why),
                    cites=[cite_statement(s)],
                )
            )
    for fact in a.section("flags"):
        if details_as(fact, FlagDetails).type == "promise_gap":
            out.append(fact.model_copy(update={"section": "do_not_promise"}))
    return out


def decisions_needed(a: Assembly) -> list[Fact]:
    """Open flags across functions or against the vision."""
    needed = []
    for fact in a.section("flags"):
        d = details_as(fact, FlagDetails)
        if len(d.functions) > 1 or d.vision:
            needed.append(fact.model_copy(update={"section": "decisions_needed"}))
    return needed


def risks(a: Assembly) -> list[Fact]:
    """Roadblocks open two weeks or more, overdue actions, and assumptions refuted or leaned on."""
    out = [
        f.model_copy(update={"section": "risks"})
        for f in a.section("roadblocks")
        if isinstance(f.details, OpenRoadblockDetails) and f.details.open_days >= 14
    ]
    out += [
        f.model_copy(update={"section": "risks"})
        for f in a.section("actions")
        if details_as(f, ActionDetails).state == "overdue"
    ]
    out += [
        f.model_copy(update={"section": "risks"})
        for f in a.section("assumptions")
        if details_as(f, AssumptionDetails).status == "invalidated" or details_as(f, AssumptionDetails).reliance >= 3
    ]
    return out


def outcomes(a: Assembly) -> list[Fact]:
    """Decisions of the period, and findings about a success metric of the vision."""
    metrics = [i for i in a.f.statements if i.statement.section == "metrics"]
    out = [f.model_copy(update={"section": "outcomes"}) for f in a.section("decisions")]
    for item in a.recent("finding"):
        close = [m for m in metrics if cosine(m.vector, item.vector) >= METRIC_RELATED]
        if close:
            ins = item.insight
            out.append(
                insight_fact(
                    "outcomes",
                    ins,
                    OutcomeDetails(metric=close[0].statement.text),
                    cites=[cite_insight(ins), cite_statement(close[0].statement)],
                )
            )
    return out


def your_actions(a: Assembly) -> list[Fact]:
    """The open actions whose owner is the person the brief is for."""
    first = (a.person or "").split()[0].lower() if a.person else ""
    return [
        f.model_copy(update={"section": "your_actions"})
        for f in a.section("actions")
        if first and first in details_as(f, ActionDetails).owner.lower()
    ]
