"""The suggested agenda and the questions worth asking, from the brief's own facts: flags on one
topic are one item; overdue work, old roadblocks, changed or leaned-on assumptions and requests
nobody planned for come next, ranked by how much of the team they need."""

from __future__ import annotations

from ..teams import display_team
from .assembly import NOT_PLANNED, Assembly
from .model import (
    ActionDetails,
    AgendaDetails,
    AssumptionDetails,
    Fact,
    FlagDetails,
    OpenRoadblockDetails,
    QuestionDetails,
    RequestDetails,
    UnheardDetails,
    details_as,
)

AGENDA_ITEMS = 8  # at most; flags take at most five of them, so overdue work and old roadblocks are heard too
_LABELS = {
    "promise_gap": "Agree what customers are told",
    "vision_conflict": "Decide: the plan or the vision",
    "team_conflict": "Reconcile two functions",
    "assumption_refuted": "Rethink a refuted assumption",
    "unheard": "Decide whether the vision should address a recurring theme",
}


def agenda_and_questions(a: Assembly) -> tuple[list[Fact], list[Fact]]:
    """Agenda items ordered by how much of the team they need; questions that would settle them."""
    items: list[tuple[float, Fact]] = []
    questions: list[Fact] = []

    def add(score: float, text: str, about: Fact, functions: list[str]) -> None:
        details = AgendaDetails(about=[about.id], functions=functions, score=round(score, 1))
        items.append(
            (score, Fact(id="", section="agenda", text=text, date=about.date, details=details, cites=about.cites[:3]))
        )

    def ask(text: str, about: Fact) -> None:
        questions.append(
            Fact(
                id="",
                section="questions",
                text=text,
                team=about.team,
                date=about.date,
                details=QuestionDetails(about=[about.id]),
                cites=about.cites[:2],
            )
        )

    groups: dict[str, list[Fact]] = {}
    for fact in a.section("flags"):
        groups.setdefault(details_as(fact, FlagDetails).topic, []).append(fact)
    for facts in groups.values():
        lead = facts[0]
        first = details_as(lead, FlagDetails)
        functions = sorted({t for f in facts for t in details_as(f, FlagDetails).functions})
        types = list(dict.fromkeys(details_as(f, FlagDetails).type for f in facts))
        label = _LABELS.get(types[0], "Decide") if len(types) == 1 else "Decide: the plan or the vision"
        score = 3 + len(functions) + first.vision + 0.5 * (len(facts) - 1)
        if len(facts) == 1:
            text = f"{label}: {lead.text.split(': ', 1)[-1]}"
        else:
            text = (
                f"{label}: {len(facts)} flags ({', '.join(f.id for f in facts)}) from "
                f'{", ".join(functions) or "customers"} against the vision\'s "{first.vision_text}"'
            )
        cites = [c for f in facts for c in f.cites if c.meeting_id][:3] + [c for c in lead.cites if not c.meeting_id][
            :1
        ]
        details = AgendaDetails(about=[f.id for f in facts], functions=functions, score=round(score, 1))
        items.append((score, Fact(id="", section="agenda", text=text, date=lead.date, details=details, cites=cites)))
        if "promise_gap" in types:
            ask(f"Who goes back to the customers on this, and with what? ({text})", lead)
        elif "unheard" in types:
            ask(
                "Is this on the roadmap, deliberately out of scope, or not yet discussed? "
                f"({lead.text.split(': ', 1)[-1]})",
                lead,
            )
        elif "vision_conflict" in types and len(functions) > 1:
            ask(
                f"Do we change the plan or the vision? {', '.join(functions).capitalize()} are pulling against it "
                f"({text})",
                lead,
            )
    for fact in a.section("actions"):
        action = details_as(fact, ActionDetails)
        if action.state == "overdue":
            add(2.5, f"Overdue by {action.overdue_days} days ({action.owner}): {fact.text}", fact, [])
            ask(f"{action.owner}: is this still happening, and by when? ({fact.text})", fact)
    for fact in a.section("roadblocks"):
        roadblock = fact.details
        if isinstance(roadblock, OpenRoadblockDetails) and roadblock.open_days >= 14:
            add(
                2 + min(roadblock.open_days, 90) / 45,
                f"Roadblock open {roadblock.open_days} days, raised by {roadblock.raised_by}: {fact.text}",
                fact,
                [display_team(fact.team or "unknown")],
            )
            ask(
                f"What would unblock this, and who outside {display_team(fact.team or 'the team')} can help? "
                f"({fact.text})",
                fact,
            )
    for fact in a.section("assumptions"):
        assumption = details_as(fact, AssumptionDetails)
        if assumption.changed_on:
            add(3.5, f"Assumption now {assumption.status}: {fact.text}", fact, assumption.functions)
        elif assumption.reliance >= 3:
            add(
                1.5 + assumption.reliance / 4,
                f"Untested, relied on {assumption.reliance} times: {fact.text}",
                fact,
                assumption.functions,
            )
            ask(f"What is the cheapest way to test this before more depends on it? ({fact.text})", fact)
    for fact in a.section("requests"):
        request = details_as(fact, RequestDetails)
        if request.meetings >= 2 and (request.fit == NOT_PLANNED or "non" in request.fit):
            add(
                1.5 + request.meetings / 2,
                f"Requested in {request.meetings} meetings, {request.fit}: {fact.text}",
                fact,
                request.heard_by,
            )
    for fact in a.section("unheard"):
        ask(
            f"{fact.text.split(':')[0]}: what have you heard since {details_as(fact, UnheardDetails).last_heard}?", fact
        )
    items.sort(key=lambda x: -x[0])
    chosen: list[Fact] = []
    from_flags = 0
    for _, fact in items:
        is_flag = details_as(fact, AgendaDetails).about[0].startswith("F")
        if len(chosen) < AGENDA_ITEMS and not (is_flag and from_flags >= AGENDA_ITEMS - 3):
            chosen.append(fact)
            from_flags += is_flag
    return chosen, questions[:AGENDA_ITEMS]
