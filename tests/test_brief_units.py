"""The brief's parts on hand-made data: no store, no embedding model. Meetings and insights are
built here; vectors are small unit vectors, so which insights are related is decided by the test."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from synth.brief.agenda import agenda_and_questions
from synth.brief.assembly import Assembly
from synth.brief.build import build_brief
from synth.brief.facts import Facts, NearPassage
from synth.brief.model import (
    ActionDetails,
    AssumptionDetails,
    Fact,
    OpenRoadblockDetails,
    RequestDetails,
    ResolvedRoadblockDetails,
)
from synth.brief.period import Period, resolve_period, series_name
from synth.brief.render import to_markdown
from synth.brief.sections import SECTIONS
from synth.brief.writer import BriefWriter, fact_numbers
from synth.errors import NotFoundError
from synth.models import Insight, MeetingRecord, Turn


def unit(*xs: float) -> list[float]:
    norm = math.sqrt(sum(x * x for x in xs))
    return [x / norm for x in xs]


def record(day: str, title: str = "Platform sync", team: str = "engineering", **kw) -> MeetingRecord:
    speakers = kw.pop("speakers", {"Tom Becker": team})
    return MeetingRecord(
        meeting_id=f"{day}-{title.lower().replace(' ', '-')}",
        title=title,
        date=day,
        team=team,
        speakers=list(speakers),
        teams=sorted(set(speakers.values())),
        speaker_teams=speakers,
        source=f"notes/{day}.md",
        format="markdown",
        version=f"v-{day}-{title}",
        passages=1,
        turns=2,
        ingested_at="2026-10-01T00:00:00",
        extraction="done",
        extraction_run=f"run-{day}-{title}",
        **kw,
    )


def insight(meeting: MeetingRecord, kind: str, statement: str, line: int = 5, **kw) -> Insight:
    return Insight(
        id=f"{meeting.meeting_id}:{line}",
        kind=kind,
        statement=statement,
        quote=kw.pop("quote", statement),
        speaker=kw.pop("speaker", "Tom Becker"),
        team=kw.pop("team", meeting.team or "unknown"),
        meeting_id=meeting.meeting_id,
        title=meeting.title,
        date=meeting.date,
        source=meeting.source,
        start_line=line,
        end_line=line,
        confidence=0.9,
        extractor="offline",
        **kw,
    )


class Texts:
    """Later meetings' words, as the store would give them; records what was asked."""

    def __init__(self, passages: list[NearPassage] | None = None, turns: dict[str, list[Turn]] | None = None):
        self.passages = passages or []
        self.by_meeting = turns or {}
        self.asked: list[tuple[str, str, list[str]]] = []

    def passages_near(
        self, vector: list[float], after: str, until: str, excluding: list[str], n: int
    ) -> list[NearPassage]:
        self.asked.append((after, until, excluding))
        return [p for p in self.passages if p.meeting_id not in excluding][:n]

    def passages_near_many(
        self, vectors: list[list[float]], after: str, until: str, excluding: list[str], n: int
    ) -> list[list[NearPassage]]:
        return [self.passages_near(v, after, until, excluding, n) for v in vectors]

    def turns(self, record: MeetingRecord) -> list[Turn]:
        return self.by_meeting.get(record.meeting_id, [])


def facts(records, insights, as_of="2026-10-01", texts=None, roster=None) -> Facts:
    return Facts(
        dt.date.fromisoformat(as_of),
        records,
        insights,
        flags=[],
        roster=roster or {},
        vision=None,
        statements=[],
        texts=texts or Texts(),
    )


def assembly(f: Facts, since: str, audience: str | None = None, person: str | None = None) -> Assembly:
    period = Period(dt.date.fromisoformat(since), f.as_of, f"since {since}")
    return Assembly(f, period, audience, person, SECTIONS)


FIRST = record("2026-09-01")
SECOND = record("2026-09-15")
WEBHOOK = unit(1, 0, 0, 0)
DISK = unit(0, 1, 0, 0)


# --- period --------------------------------------------------------------------------------------


def test_series_names_ignore_dates_and_numbers():
    assert series_name("Platform sync 2026-09-01") == series_name("Platform Sync, Sept 15th") == "platform sync"
    assert series_name("Weekly #12: design review") == "weekly design review"


def test_the_period_is_since_a_day_or_the_last_meeting_of_a_series_or_two_weeks():
    as_of = dt.date(2026, 10, 1)
    demo = record("2026-09-20", "Acme demo", team="sales")
    records = [FIRST, SECOND, demo]
    given = resolve_period(records, dt.date(2026, 9, 3), None, as_of)
    assert (given.since, given.until, given.label) == (dt.date(2026, 9, 3), as_of, "since 2026-09-03")
    last = resolve_period(records, "last", None, as_of)
    assert last.since == dt.date(2026, 9, 15) and last.series == "Platform sync"
    assert last.label == "since the last Platform sync (2026-09-15)"
    assert resolve_period(records, None, "platform", as_of) == last
    alone = resolve_period([demo], None, None, as_of)  # a series must have met twice
    assert alone.label == "the last 14 days (2026-09-17 to 2026-10-01)"
    with pytest.raises(NotFoundError, match="recurring series: platform sync"):
        resolve_period(records, None, "board meeting", as_of)


# --- facts and sections ---------------------------------------------------------------------------


def test_a_roadblock_raised_twice_is_one_thread_and_a_later_fix_resolves_it():
    fixed = record("2026-09-22")
    f = facts(
        [FIRST, SECOND, fixed],
        [
            (insight(FIRST, "roadblock", "We are blocked on the Stripe webhook verification."), WEBHOOK),
            (insight(FIRST, "roadblock", "The staging database keeps running out of disk.", line=7), DISK),
            (insight(SECOND, "roadblock", "Still blocked on the Stripe webhook verification."), WEBHOOK),
            (insight(fixed, "finding", "The Stripe webhook verification is fixed and we are unblocked."), WEBHOOK),
        ],
    )
    threads = f.threads("roadblock")
    assert sorted(len(t.members) for t in threads) == [1, 2]
    facts_ = SECTIONS["roadblocks"](assembly(f, "2026-09-15"))
    assert [type(x.details) for x in facts_] == [OpenRoadblockDetails, ResolvedRoadblockDetails]
    open_, resolved = facts_
    assert open_.text == "The staging database keeps running out of disk."
    assert open_.details == {
        "state": "open",
        "open_days": 30,
        "raised_by": "Tom Becker (engineering)",
        "mentions": 1,
        "meetings": 1,
        "last_raised": "2026-09-01",
        "technical": True,
    }
    assert resolved.details["resolved_on"] == "2026-09-22" and resolved.details["open_days"] == 21
    assert resolved.cites[-1].source == "notes/2026-09-22.md"
    assert resolved.detail_text() == (
        "raised by Tom Becker (engineering) on 2026-09-01, resolved 2026-09-22 after 21 days"
    )


def test_a_resolution_found_in_a_later_passage_cites_its_line():
    later = record("2026-09-29", "Support review", team="customer_success", speakers={"Julia": "customer_success"})
    turn = Turn(
        speaker="Julia", text="Good news. The Stripe webhook verification works now.", start_line=12, end_line=12
    )
    texts = Texts([NearPassage(later.meeting_id, later.version, [turn])])
    f = facts(
        [FIRST, later],
        [(insight(FIRST, "roadblock", "We are blocked on the Stripe webhook verification."), WEBHOOK)],
        texts=texts,
    )
    ((thread, said),) = f.roadblock_threads()
    # only meetings after the first mention, up to the day of the brief, are read
    assert texts.asked == [("2026-09-01", "2026-10-01", [FIRST.meeting_id])]
    assert said is not None and said.text == "The Stripe webhook verification works now."
    assert (said.cite.start_line, said.cite.speaker, said.cite.team) == (12, "Julia", "customer_success")
    negated = Turn(speaker="Julia", text="The Stripe webhook verification is not fixed yet.", start_line=3, end_line=3)
    f = facts(
        [FIRST, later],
        [(insight(FIRST, "roadblock", "We are blocked on the Stripe webhook verification."), WEBHOOK)],
        texts=Texts([NearPassage(later.meeting_id, later.version, [negated])]),
    )
    assert f.roadblock_threads()[0][1] is None


def test_a_writer_grows_the_earlier_digests_threads_with_a_later_meeting_and_reads_no_earlier_one(monkeypatch):
    """With the digest of the two earlier meetings, a later meeting's roadblock joins the thread
    it belongs to without relinking the earlier insights; a thread the digest left open is
    resolved by a later insight that says so; no earlier meeting is read again."""
    import synth.brief.facts as facts_module
    from synth.brief.digest import Digest, MeetingEntry, ThreadEntry, record_token

    later = record("2026-09-22")
    webhook = [
        insight(FIRST, "roadblock", "We are blocked on the Stripe webhook verification."),
        insight(SECOND, "roadblock", "Still blocked on the Stripe webhook verification."),
        insight(later, "roadblock", "Blocked on the Stripe webhook verification again."),
    ]
    disk = insight(FIRST, "roadblock", "The staging database keeps running out of disk.", line=7)
    fixed = insight(later, "finding", "The staging database disk is fixed and we are unblocked.", line=9)
    earlier = Digest(
        token="the earlier state",
        last_date=SECOND.date,
        threads={
            "roadblock": [ThreadEntry(members=[webhook[0].id, webhook[1].id]), ThreadEntry(members=[disk.id])],
            "assumption": [],
            "request": [],
        },
        meetings={r.meeting_id: MeetingEntry(token=record_token(r), lines={}) for r in (FIRST, SECOND)},
    )
    relinked: list[object] = []
    monkeypatch.setattr(facts_module, "linked_pairs", lambda *args, **kwargs: relinked.append(args) or [])
    texts = Texts()
    f = Facts(
        dt.date.fromisoformat(later.date),
        [FIRST, SECOND, later],
        [(webhook[0], WEBHOOK), (disk, DISK), (webhook[1], WEBHOOK), (webhook[2], WEBHOOK), (fixed, DISK)],
        flags=[],
        roster={},
        vision=None,
        statements=[],
        texts=texts,
        earlier=earlier,
    )
    threads = f.roadblock_threads()
    assert [[m.insight.id for m in t.members] for t, _ in threads] == [[i.id for i in webhook], [disk.id]]
    assert [said.text if said else None for _, said in threads] == [None, fixed.statement]
    assert relinked == [] and texts.asked == []


def test_an_overdue_action_is_a_risk_an_agenda_item_and_a_question():
    meeting = record("2026-09-15")
    action = insight(meeting, "action", "Aisha to resize the staging database.", owner="Aisha", due="September 20")
    a = assembly(facts([meeting], [(action, DISK)]), "2026-09-15", audience="leadership")
    (fact,) = a.section("actions")
    assert isinstance(fact.details, ActionDetails)
    assert fact.details == {
        "owner": "Aisha",
        "due": "2026-09-20",
        "due_as_said": "September 20",
        "state": "overdue",
        "overdue_days": 11,
    }
    assert fact.detail_text() == "owner Aisha; overdue by 11 days (due 2026-09-20); agreed 2026-09-15"
    assert [f.text for f in a.section("risks")] == [fact.text]
    fact.id = "T1"
    agenda, questions = agenda_and_questions(a)
    assert [g.text for g in agenda] == ["Overdue by 11 days (Aisha): Aisha to resize the staging database."]
    assert agenda[0].details == {"about": ["T1"], "functions": [], "score": 2.5}
    assert questions[0].text.startswith("Aisha: is this still happening, and by when?")


def test_an_action_a_later_meeting_says_is_done_is_not_shown():
    meeting, later = record("2026-09-15"), record("2026-09-22")
    a = assembly(
        facts(
            [meeting, later],
            [
                (insight(meeting, "action", "Aisha to send the migration plan to design.", owner="Aisha"), DISK),
                (insight(later, "finding", "Aisha sent the migration plan to design."), DISK),
            ],
        ),
        "2026-09-15",
    )
    assert a.section("actions") == []


def test_requests_count_meetings_and_stated_customers():
    sales = record("2026-09-10", "Sales sync", team="sales", speakers={"Omar": "sales"})
    again = record("2026-09-24", "Sales sync", team="sales", speakers={"Omar": "sales"})
    ask = unit(0, 0, 1, 0)
    a = assembly(
        facts(
            [sales, again],
            [
                (insight(sales, "request", "Three prospects asked for recurring visits.", speaker="Omar"), ask),
                (insight(again, "request", "Two customers want recurring visits too.", speaker="Omar"), ask),
            ],
        ),
        "2026-09-20",
    )
    (fact,) = a.section("requests")
    assert isinstance(fact.details, RequestDetails)
    assert (fact.details.meetings, fact.details.in_period, fact.details.unnamed_customers) == (2, 1, 5)
    assert fact.details.fit == "not on the roadmap" and "problems" not in fact.details.model_dump()
    assert fact.detail_text() == (
        "2 mentions in 2 meetings, 5 customers (5 unnamed); heard by sales; first 2026-09-10, last 2026-09-24; "
        "not on the roadmap"
    )


def test_a_function_silent_in_the_period_is_named_with_its_last_words():
    design = record("2026-09-01", "Design review", team="design", speakers={"Mia": "design"})
    eng = record("2026-09-20")
    turns = {design.meeting_id: [Turn(speaker="Mia", text="We will test the prototype.", start_line=9, end_line=10)]}
    a = assembly(facts([design, eng], [], texts=Texts(turns=turns)), "2026-09-15")
    (fact,) = a.section("unheard")
    assert fact.text == "Design: not heard from since 2026-09-01 (Design review)."
    assert (fact.cites[0].start_line, fact.cites[0].end_line, fact.who) == (9, 10, "Mia")
    assert fact.details == {"last_heard": "2026-09-01", "days_silent": 30}


# --- the brief, its details in words, and the writer's input ---------------------------------------


def test_the_brief_orders_sections_for_its_audience_and_numbers_the_facts():
    f = facts(
        [FIRST, SECOND],
        [
            (insight(FIRST, "roadblock", "We are blocked on the Stripe webhook verification."), WEBHOOK),
            (insight(SECOND, "decision", "We ship offline mode behind a flag."), DISK),
        ],
    )
    brief = build_brief(f, audience="engineering", since=dt.date(2026, 9, 10))
    assert [s.key for s in brief.sections][:3] == ["problems", "roadblocks", "assumptions"]
    roadblocks = next(s for s in brief.sections if s.key == "roadblocks")
    assert [x.id for x in roadblocks.facts] == ["R1"]
    assert [m.meeting_id for m in brief.meetings] == [SECOND.meeting_id]
    assert brief.notes == ["no product vision is stored (`synth vision set FILE`): nothing is held against it"]
    data = json.loads(json.dumps(brief.model_dump()))
    assert data["sections"][1]["facts"][0]["details"]["open_days"] == 30
    markdown = to_markdown(brief)
    assert "- **[R1]** We are blocked on the Stripe webhook verification. _(open 30 days, raised by" in markdown
    assert "- **[D1]** We ship offline mode behind a flag. _(Tom Becker (engineering), 2026-09-15)_" in markdown
    # the writer's input carries the same words, without going through the Markdown renderer
    message = BriefWriter.message(brief)
    assert f"[R1] We are blocked on the Stripe webhook verification. ({roadblocks.facts[0].detail_text()})" in message


def test_assumption_details_show_a_status_change_only_when_there_is_one():
    plain = AssumptionDetails(status="untested", mentions=1, meetings=1, relied_on_by=2, reliance=5, functions=[])
    assert "changed_on" not in plain.model_dump()
    fact = Fact(id="A1", section="assumptions", text="x", who="Aisha", date="2026-09-01", details=plain, cites=[])
    assert fact.detail_text() == "untested, said by Aisha on 2026-09-01; 2 decisions, actions or promises lean on it"
    changed = plain.model_copy(update={"status": "invalidated", "changed_on": "2026-10-06", "flag": "f1"})
    assert list(changed.model_dump())[-2:] == ["changed_on", "flag"]
    assert (
        fact.model_copy(update={"details": changed}).detail_text().endswith("; status changed on 2026-10-06 (flag f1)")
    )


def test_the_numbers_a_fact_states_include_its_details():
    details = ActionDetails(owner="Aisha", due="2026-09-20", due_as_said=None, state="overdue", overdue_days=11)
    fact = Fact(id="T1", section="actions", text="Resize the disk.", date="2026-09-15", details=details, cites=[])
    assert {"11", "2026", "9", "20", "15"} <= fact_numbers(fact)
    assert "7" not in fact_numbers(fact)


def test_an_assumption_refuted_in_the_period_says_so_and_needs_the_team():
    from synth.check import insight_key
    from synth.models import Flag, FlagSide

    early, later = record("2026-09-01"), record("2026-09-20", "Support review", team="customer_success")
    assumed = insight(early, "assumption", "Technicians have signal at least once an hour.")
    evidence = insight(later, "finding", "Technicians go a whole day without signal.", team="customer_success")

    def side(i: Insight, key: str) -> FlagSide:
        return FlagSide(
            kind=i.kind,
            text=i.statement,
            quote=i.quote,
            team=i.team,
            meeting_id=i.meeting_id,
            title=i.title,
            date=i.date,
            source=i.source,
            start_line=i.start_line,
            end_line=i.end_line,
            key=key,
        )

    refuted = Flag(
        id="f1",
        type="assumption_refuted",
        sides=[side(assumed, insight_key(assumed)), side(evidence, "e")],
        explanation="A later finding says otherwise.",
        confidence=0.8,
        checker="offline",
        created_at="2026-09-20T00:00:00",
        updated_at="2026-09-20T00:00:00",
    )
    f = Facts(
        dt.date(2026, 10, 1),
        [early, later],
        [(assumed, WEBHOOK), (evidence, DISK)],
        flags=[refuted],
        roster={},
        vision=None,
        statements=[],
        texts=Texts(),
    )
    assert assumed.status is None  # the caller's insight is not changed
    a = assembly(f, "2026-09-15")
    (fact,) = a.section("assumptions")
    assert fact.text.endswith("Now invalidated: Technicians go a whole day without signal.")
    assert (fact.details["status"], fact.details["changed_on"], fact.details["flag"]) == (
        "invalidated",
        "2026-09-20",
        "f1",
    )
    assert fact.cites[-1].source == "notes/2026-09-20.md"
    assert [f.text for f in a.section("risks")] == [fact.text]
    fact.id = "A1"
    agenda, _ = agenda_and_questions(a)
    assert agenda[0].text.startswith("Rethink a refuted assumption: someone (engineering, 2026-09-01) said")
    assert agenda[0].details["score"] == 5.0  # the open flag itself, across two functions, comes first
    assert agenda[1].text == f"Assumption now invalidated: {fact.text}" and agenda[1].details["score"] == 3.5
    early_view = assembly(f, "2026-09-25")  # the evidence came before the period: neither changed nor untested
    assert early_view.section("assumptions") == []


def test_the_brief_shows_only_flags_a_meeting_of_the_period_takes_part_in():
    from synth.models import Flag, FlagSide

    early, later, quiet = record("2026-09-01"), record("2026-09-20", "Support review"), record("2026-09-28", "Retro")

    def side(r: MeetingRecord, text: str) -> FlagSide:
        return FlagSide(
            kind="decision",
            text=text,
            quote=text,
            team="engineering",
            meeting_id=r.meeting_id,
            title=r.title,
            date=r.date,
            source=r.source,
            start_line=1,
            end_line=1,
            key=text,
        )

    conflict = Flag(
        id="f1",
        type="team_conflict",
        sides=[side(early, "We ship on Friday."), side(later, "We do not ship on Friday.")],
        explanation="They disagree.",
        confidence=0.9,
        checker="offline",
        created_at="2026-09-20T00:00:00",
        updated_at="2026-09-20T00:00:00",
    )
    f = Facts(
        dt.date(2026, 10, 1),
        [early, later, quiet],
        [],
        flags=[conflict],
        roster={},
        vision=None,
        statements=[],
        texts=Texts(),
    )
    assert [x.details["flag"] for x in assembly(f, "2026-09-15").section("flags")] == ["f1"]
    assert assembly(f, "2026-09-25").section("flags") == []  # still open, but not about the period


def test_open_roadblocks_beyond_ten_are_counted_and_those_raised_in_the_period_are_listed():
    """A store's every open roadblock is too many to read before a sync: the section lists ten,
    those raised in the period among them though they are the newest (listed last), and says how
    many it left out and which command lists them all."""
    nouns = "invoice ledger payroll webhook scanner printer router badge kiosk tablet drone battery".split()  # noqa: SIM905
    old = [record(f"2026-08-{n + 1:02d}", title=f"Sync {n}") for n in range(12)]
    period = [record("2026-09-20", title="Recent sync"), record("2026-09-25", title="Latest sync")]
    meetings = old + period
    nouns += ["firmware", "antenna"]
    insights = [
        (insight(m, "roadblock", f"The {noun} {noun}s are blocking us."), unit(*[float(k == n) for k in range(14)]))
        for n, (m, noun) in enumerate(zip(meetings, nouns))
    ]
    f = facts(meetings, insights)
    a = assembly(f, "2026-09-15")
    listed = SECTIONS["roadblocks"](a)
    assert len(listed) == 10
    assert [x.text for x in listed[-2:]] == [
        "The firmware firmwares are blocking us.",
        "The antenna antennas are blocking us.",
    ]
    assert [x.details["open_days"] for x in listed] == sorted((x.details["open_days"] for x in listed), reverse=True)
    assert a.left_out == {"roadblocks": "4 more open roadblocks: `synth insights --kind roadblock` lists every one"}
    brief = build_brief(f, since=dt.date(2026, 9, 15))
    section = next(s for s in brief.sections if s.key == "roadblocks")
    assert len(section.facts) == 10 and section.left_out == a.left_out["roadblocks"]
    assert "_And 4 more open roadblocks: `synth insights --kind roadblock` lists every one._" in to_markdown(brief)
    few = assembly(facts(old[:9] + period[:1], insights[:9] + insights[12:13]), "2026-09-15")
    assert len(SECTIONS["roadblocks"](few)) == 10 and few.left_out == {}
