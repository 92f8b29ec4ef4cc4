"""One function per section of the brief, each from the facts of an `Assembly`; `SECTIONS` names
them. Every fact cites the meeting and file:line of the words it rests on."""

from __future__ import annotations

import datetime as dt
import re

from ..check.compare import due_by
from ..check.tensions import group_tensions
from ..models import Flag, FlagSide
from ..teams import FUNCTIONS, OUTSIDE, display_team, normalize_team
from .assembly import NOT_PLANNED, Assembly, SectionBuilder
from .facts import (
    DONE,
    Noted,
    Thread,
    cite_insight,
    cite_side,
    cite_statement,
    cite_turn,
    days_between,
    insight_fact,
    unique_cites,
    who_said,
)
from .model import (
    ActionDetails,
    ActionState,
    AssumptionDetails,
    DecisionDetails,
    Fact,
    FlagDetails,
    LearnedDetails,
    OpenRoadblockDetails,
    RequestDetails,
    ResolvedRoadblockDetails,
    SectionKey,
    UnheardDetails,
    details_as,
)
from .tailored import commitments, decisions_needed, do_not_promise, outcomes, risks, your_actions

ACTION_LOOKBACK = 90  # days before the period an open action's due date may lie and still be shown
SAME_FINDING = 0.8  # findings this related, from different meetings, are said once
TECHNICAL = re.compile(
    r"\b(api|sync|quota|server|database|bug|crash|latency|deploy|build|test|integration|code|"
    r"queue|offline|performance|outage|infra\w*|backend|frontend|app|import|data|migration)\b",
    re.I,
)
_FLAG_PRIORITY = {"promise_gap": 0, "vision_conflict": 1, "team_conflict": 2, "assumption_refuted": 3, "unheard": 4}


def learned(a: Assembly) -> list[Fact]:
    """What each function found, the audience's first; a finding said again elsewhere once."""
    out: list[Fact] = []
    kept: list[Noted] = []
    items = a.own_first(a.recent("finding"), lambda i: i.insight.team)
    order = {t: n for n, t in enumerate(dict.fromkeys(i.insight.team for i in items))}
    for item in sorted(items, key=lambda i: order[i.insight.team]):
        ins = item.insight
        if kept and a.f.related(item, kept).max() >= SAME_FINDING:
            continue
        kept.append(item)
        team = ins.team if ins.team not in OUTSIDE else "customer"
        out.append(
            Fact(
                id="",
                section="learned",
                text=ins.statement,
                team=team,
                who=who_said(ins),
                date=ins.date,
                details=LearnedDetails(function=display_team(team)),
                cites=[cite_insight(ins)],
            )
        )
    return out


def roadblocks(a: Assembly) -> list[Fact]:
    """Open roadblock threads, the longest open first (technical ones first for engineering),
    then those a later meeting in the period said were resolved."""
    out: list[Fact] = []
    resolved: list[Fact] = []
    for thread, resolution in a.f.roadblock_threads():
        first, last = thread.first, thread.last
        if resolution is not None:
            if a.since <= resolution.date <= a.until:
                details = ResolvedRoadblockDetails(
                    resolved_on=resolution.date,
                    raised_by=who_said(first),
                    open_days=days_between(first.date, dt.date.fromisoformat(resolution.date)),
                    mentions=len(thread.members),
                    meetings=len(thread.meetings),
                    last_raised=last.date,
                )
                cites = unique_cites([m.insight for m in thread.members], 3) + [resolution.cite]
                text = f"Resolved: {first.statement} ({resolution.text})"
                resolved.append(insight_fact("roadblocks", first, details, cites=cites, text=text))
            continue
        text = (
            first.statement
            if len(thread.members) == 1
            else f"{first.statement} (still raised {last.date}: {last.statement})"
        )
        open_details = OpenRoadblockDetails(
            open_days=days_between(first.date, a.f.as_of),
            raised_by=who_said(first),
            mentions=len(thread.members),
            meetings=len(thread.meetings),
            last_raised=last.date,
            technical=bool(TECHNICAL.search(" ".join(m.insight.statement for m in thread.members))),
        )
        cites = unique_cites([m.insight for m in thread.members])
        out.append(insight_fact("roadblocks", first, open_details, cites=cites, text=text))

    def open_days(f: Fact) -> int:
        return details_as(f, OpenRoadblockDetails).open_days

    if a.audience == "engineering":
        out.sort(
            key=lambda f: (
                not (f.team == "engineering" or details_as(f, OpenRoadblockDetails).technical),
                -open_days(f),
            )
        )
    else:
        out.sort(key=lambda f: -open_days(f))
        out = a.own_first(out, lambda f: f.team)
    # every open roadblock of the store is too many to read: those raised in the period come first
    out = a.at_most(
        "roadblocks",
        out,
        lambda f: details_as(f, OpenRoadblockDetails).last_raised >= a.since,
        "open roadblocks: `synth insights --kind roadblock` lists every one",
    )
    return out + resolved


def assumptions(a: Assembly) -> list[Fact]:
    """Assumptions whose status changed in the period, then the untested ones, the most relied on first."""
    untested: list[Fact] = []
    changed: list[Fact] = []
    said_lately: set[int] = set()  # the untested facts whose assumption was said in the period
    flags = {f.id: f for f in a.f.flags}
    for found in a.assumption_threads():
        thread = found.thread
        first = thread.first
        statuses = [m.insight for m in thread.members if m.insight.status in ("validated", "invalidated")]
        flag = flags.get(statuses[-1].status_flag or "") if statuses else None
        evidence_date = flag.sides[1].date if flag else None
        cites = unique_cites([m.insight for m in thread.members] + found.leaning, limit=5)
        details = AssumptionDetails(
            status=(statuses[-1].status or "untested") if statuses else "untested",
            mentions=len(thread.members),
            meetings=len(thread.meetings),
            relied_on_by=len(found.leaning),
            reliance=found.reliance,
            functions=[display_team(t) for t in thread.teams],
        )
        if flag is not None and evidence_date and a.since <= evidence_date <= a.until:
            details.changed_on, details.flag, details.evidence = evidence_date, flag.id, flag.sides[1].text
            changed.append(
                insight_fact(
                    "assumptions",
                    first,
                    details,
                    cites=cites + [cite_side(flag.sides[1])],
                    text=f"{first.statement} Now {details.status}: {flag.sides[1].text}",
                )
            )
        elif not statuses:
            untested.append(insight_fact("assumptions", first, details, cites=cites))
            if any(m.insight.meeting_id in a.in_period for m in thread.members):
                said_lately.add(id(untested[-1]))
    untested.sort(key=lambda f: (-details_as(f, AssumptionDetails).reliance, f.date or ""))
    untested = a.at_most(
        "assumptions",
        untested,
        lambda f: id(f) in said_lately,
        "untested assumptions: `synth insights --kind assumption` lists every one",
    )
    return changed + untested


def _said(x: FlagSide) -> str:
    if x.kind == "vision":
        return f'the vision ({x.section or "vision"}) says "{x.text}"'
    team = display_team(x.team) if x.team and x.team not in OUTSIDE else "customer"
    return f'{x.speaker or "someone"} ({team}, {x.date}) said "{x.quote}"'


def flag_text(flag: Flag) -> str:
    """A flag as one line: its type, what each side says and who said it, and why it is raised."""
    side = _said

    label = flag.type.replace("_", " ").capitalize()
    if flag.type == "unheard":
        return f'{label}: "{flag.sides[0].text}" and similar. {flag.explanation}'
    return f"{label}: {side(flag.sides[0])}; {side(flag.sides[1])}. {flag.explanation}"


def flags(a: Assembly) -> list[Fact]:
    """Open tensions raised by the end of the period that a meeting of the period takes part in,
    one fact each (its strongest flag, with the others as evidence); only likely ones (a brief is
    no place for weak evidence); those across functions or against the vision first. Tensions
    are grouped over every open flag, so one is as strong as all its evidence, but a tension
    none of the period's meetings touch belongs to `synth flags`, not to this brief."""

    raised: list[Flag] = []
    for flag in a.f.flags:
        if flag.status != "open" or flag.type == "assumption_supported":
            continue
        dates = [s.date for s in flag.sides if s.date]
        if dates and min(dates) > a.until:
            continue
        raised.append(flag)
    out: list[Fact] = []
    for tension in group_tensions(raised):
        if not tension.likely or not any(s.meeting_id in a.in_period for f in tension.flags for s in f.sides):
            continue
        flag = tension.flags[0]
        sides = [s for f in tension.flags for s in f.sides]
        teams = sorted({s.team for s in sides if s.team and s.team not in OUTSIDE})
        dates = [s.date for s in sides if s.date]
        shown = {s.key for s in flag.sides}
        others = []
        for side in sides:
            if side.key not in shown:
                shown.add(side.key)
                others.append(_said(side))
        text = flag_text(flag)
        if others:
            rest = f" and {len(others) - 3} more" if len(others) > 3 else ""
            text += f" Also on this: {'; '.join(others[:3])}{rest}."
        cites, seen = [], set()
        for side in sides:
            if (side.source, side.start_line) not in seen:
                seen.add((side.source, side.start_line))
                cites.append(cite_side(side))
        out.append(
            Fact(
                id="",
                section="flags",
                text=text,
                team=teams[0] if len(teams) == 1 else None,
                date=max(dates) if dates else None,
                details=FlagDetails(
                    flag=flag.id,
                    type=flag.type,
                    functions=[display_team(t) for t in teams],
                    vision=any(s.kind == "vision" for s in flag.sides),
                    explanation=flag.explanation,
                    topic=next((f"{s.source}:{s.start_line}" for s in flag.sides if s.kind == "vision"), flag.id),
                    vision_text=next((s.text for s in flag.sides if s.kind == "vision"), None),
                ),
                cites=cites[:5],
            )
        )

    def weight(f: Fact) -> tuple[int, int]:
        d = details_as(f, FlagDetails)
        return (-len(d.functions) - d.vision, _FLAG_PRIORITY.get(d.type, 9))

    out.sort(key=weight)
    return a.own_first(
        out,
        lambda f: a.audience in [normalize_team(t) for t in details_as(f, FlagDetails).functions] and a.audience,
    )


def decisions(a: Assembly) -> list[Fact]:
    """Decisions recorded in the period."""
    return [insight_fact("decisions", i.insight, DecisionDetails()) for i in a.recent("decision")]


def actions(a: Assembly) -> list[Fact]:
    """Actions agreed in the period or due since shortly before it, not said to be done; overdue first."""
    out: list[Fact] = []
    floor = (a.period.since - dt.timedelta(days=ACTION_LOOKBACK)).isoformat()
    candidates: list[tuple[Noted, str | None]] = []
    for item in a.f.of_kind("action"):
        ins = item.insight
        stated = due_by(ins.due or ins.statement, dt.date.fromisoformat(ins.date))
        due = stated[0].isoformat() if stated else None
        if ins.meeting_id in a.in_period or (due and due >= floor):
            candidates.append((item, due))
    done = a.f.later_saying_each([Thread([item]) for item, _ in candidates], DONE)
    for (item, due), said in zip(candidates, done):
        if said is not None:
            continue
        ins = item.insight
        state: ActionState = "no due date" if not due else ("overdue" if due < a.until else "due")
        details = ActionDetails(owner=ins.owner or "unassigned", due=due, due_as_said=ins.due, state=state)
        if due and state == "overdue":
            details.overdue_days = days_between(due, a.f.as_of)
        out.append(insight_fact("actions", ins, details))

    def urgency(f: Fact) -> tuple[int, str]:
        d = details_as(f, ActionDetails)
        return ({"overdue": 0, "due": 1}.get(d.state, 2), d.due or "9999")

    out.sort(key=urgency)
    return out


def requests(a: Assembly, with_problems: bool = False) -> list[Fact]:
    """Requests heard in the period, the most often and most widely heard first; for
    engineering, with the customer problems behind them."""
    out: list[Fact] = []
    for found in a.request_threads():
        if not found.in_period:
            continue
        thread = found.thread
        details = RequestDetails(
            meetings=found.meetings,
            mentions=found.mentions,
            in_period=found.in_period,
            customers=found.customers,
            unnamed_customers=found.unnamed_customers,
            heard_by=found.heard_by,
            first_heard=found.first_heard,
            last_heard=found.last_heard,
            fit=found.fit,
            customer_count=len(found.customers) + found.unnamed_customers,
        )
        cites = unique_cites([m.insight for m in thread.members])
        if with_problems:
            behind = a.problems_behind(thread)
            details.problems = [p.statement for p in behind]
            cites += unique_cites(behind, limit=2)
        if found.fit_statement is not None and found.fit != NOT_PLANNED:
            cites.append(cite_statement(found.fit_statement.statement))
        out.append(insight_fact("problems" if with_problems else "requests", thread.first, details, cites=cites))

    def reach(f: Fact) -> tuple[int, int]:
        d = details_as(f, RequestDetails)
        return (-d.meetings, -d.customer_count)

    out.sort(key=reach)
    return out


def problems(a: Assembly) -> list[Fact]:
    """The requests, each with the customer problems behind it."""
    return requests(a, with_problems=True)


def unheard(a: Assembly) -> list[Fact]:
    """Functions the team knows that said nothing in the period, with the last thing they said."""
    known_teams = set(a.f.roster.values()) | {t for r in a.f.records for t in r.teams}
    known = [t for t in FUNCTIONS if t in known_teams]
    heard = {t for r in a.f.records if r.meeting_id in a.in_period for t in r.speaker_teams.values()}
    out: list[Fact] = []
    for team in known:
        if team in heard:
            continue
        last = [r for r in a.f.records if team in r.speaker_teams.values()]
        if not last:
            continue  # a roster function never heard in any meeting: nothing to cite
        record = max(last, key=lambda r: (r.date, r.meeting_id))
        speakers = [s for s, t in record.speaker_teams.items() if t == team]
        turns = [t for t in a.f.texts.turns(record) if t.speaker in speakers]
        turn = turns[-1] if turns else None
        cite = cite_turn(record, turn, team)
        out.append(
            Fact(
                id="",
                section="unheard",
                text=f"{display_team(team).capitalize()}: not heard from since {record.date} ({record.title}).",
                team=team,
                who=turn.speaker if turn else None,
                date=record.date,
                details=UnheardDetails(last_heard=record.date, days_silent=days_between(record.date, a.f.as_of)),
                cites=[cite],
            )
        )
    return out


SECTIONS: dict[SectionKey, SectionBuilder] = {
    "learned": learned,
    "roadblocks": roadblocks,
    "assumptions": assumptions,
    "flags": flags,
    "decisions": decisions,
    "actions": actions,
    "requests": requests,
    "problems": problems,
    "unheard": unheard,
    "commitments": commitments,
    "do_not_promise": do_not_promise,
    "decisions_needed": decisions_needed,
    "risks": risks,
    "outcomes": outcomes,
    "your_actions": your_actions,
}
"""Each section of the brief and the function that builds its facts."""
