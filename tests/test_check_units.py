"""synth check as functions of data: candidate pairs, the offline judge and run_check on hand-made
insights, vision statements and flags with small unit vectors; no store, no embedding model."""

from __future__ import annotations

import math

import pytest

from synth.check import (
    CheckInputs,
    CheckState,
    assumption_statuses,
    flag_id,
    insight_item,
    judge_offline,
    run_check,
    statement_item,
    statement_items,
)
from synth.check.candidates import candidate_pairs
from synth.check.items import InsightPair, Judgement, Pair, VisionPair
from synth.models import CheckReport, Flag, Insight
from synth.vision import Vision, VisionStatement

NOW = "2026-10-01T09:00:00+00:00"


def unit(*xs: float) -> list[float]:
    """A unit vector in five dimensions: insights live in the first four, the vision in the last."""
    xs = xs + (0.0,) * (5 - len(xs))
    norm = math.sqrt(sum(x * x for x in xs))
    return [x / norm for x in xs]


def insight(
    n: int,
    text: str,
    kind: str = "finding",
    team: str = "engineering",
    meeting: str = "m1",
    date: str = "2026-09-01",
) -> Insight:
    return Insight(
        id=f"i{n}",
        kind=kind,
        statement=text,
        quote=text,
        speaker=f"Speaker {n}",
        team=team,
        meeting_id=meeting,
        title=f"Meeting {meeting}",
        date=date,
        source=f"{meeting}.md",
        start_line=n,
        end_line=n,
        confidence=0.9,
        extractor="offline",
    )


def statement(n: int, text: str, section: str, commitment: str | None = None) -> VisionStatement:
    return VisionStatement(
        id=f"s{n}",
        section=section,
        commitment=commitment,
        heading=section,
        text=text,
        source="vision.md",
        start_line=n,
        end_line=n,
        version="v1",
    )


# --- candidates ---------------------------------------------------------------------------------


def test_two_functions_on_one_topic_are_paired_but_not_a_function_with_itself_or_a_customer():
    engineering = insight_item(insight(1, "Technicians do not need the offline mode."), unit(1, 0.1))
    sales = insight_item(insight(2, "Technicians need the offline mode.", team="sales", meeting="m2"), unit(1, 0, 0.1))
    same_team = insight_item(insight(3, "Technicians like the offline mode.", meeting="m3"), unit(1, 0, 0, 0.1))
    customer = insight_item(insight(4, "Technicians want an offline mode.", team="customer", meeting="m4"), unit(1))
    elsewhere = insight_item(insight(5, "Invoices print slowly.", team="sales", meeting="m5"), unit(0, 1))
    items = [engineering, sales, same_team, customer, elsewhere]

    pairs = candidate_pairs([engineering], items, [], n=3, vision_targets=[])

    assert len(pairs) == 1
    pair = pairs[0]
    assert isinstance(pair, InsightPair) and pair.category == "team"
    assert {pair.a.insight.id, pair.b.insight.id} == {"i1", "i2"}
    assert pair.a.key < pair.b.key  # the same two insights give the same pair whichever is new
    assert pair.similarity == pytest.approx(pair.cosine, abs=0.01)


def test_an_insight_is_paired_with_its_closest_vision_statements_at_most_n():
    item = insight_item(insight(1, "Dispatchers plan routes on the phone."), unit(1, 0, 0, 0, 1))
    near = [
        statement_item(statement(1, "Dispatchers plan on the desktop.", "principles"), unit(1, 0, 0, 0, 1.2)),
        statement_item(statement(2, "Routes come from the dispatcher.", "vision"), unit(1, 0, 0, 0, 0.8)),
        statement_item(statement(3, "Phones are for technicians.", "customers"), unit(1, 0, 0, 0, 0.3)),
    ]
    far = statement_item(statement(4, "Invoices in euros.", "market"), unit(0, 0, 0, 0, -1))
    statements = [*near, far]

    pairs = candidate_pairs([], [item], statements, n=2, vision_targets=[item])

    assert all(isinstance(p, VisionPair) and p.category == "vision" for p in pairs)
    assert [p.b.statement.id for p in pairs if isinstance(p, VisionPair)] == ["s1", "s2"]  # the two most similar
    assert candidate_pairs([], [item], statements, n=3, vision_targets=[])[:1] == []  # not a vision target


def test_an_assumption_is_paired_with_later_evidence_only():
    assumption = insight_item(
        insight(1, "Technicians have a signal every hour.", kind="assumption", date="2026-09-01"), unit(1, 0.2)
    )
    earlier = insight_item(
        insight(2, "Technicians had no signal for a day.", meeting="m0", date="2026-08-01"), unit(1, 0, 0.2)
    )
    later = insight_item(
        insight(3, "Technicians had no signal for a day.", meeting="m2", date="2026-09-10"), unit(1, 0, 0, 0.2)
    )
    items = [earlier, assumption, later]

    from_assumption = candidate_pairs([assumption], items, [], n=3, vision_targets=[])
    from_evidence = candidate_pairs([later], items, [], n=3, vision_targets=[])

    assert [(p.category, p.a.insight.id, p.b.insight.id) for p in from_assumption] == [("assumption", "i1", "i3")]
    assert [p.key for p in from_evidence] == [p.key for p in from_assumption]  # the same pair from either side
    assert candidate_pairs([earlier], items, [], n=3, vision_targets=[]) == []


def test_a_promise_is_held_against_the_best_matching_roadmap_item_with_the_roadmap_as_context():
    promise = insight_item(
        insight(1, "I told them QuickBooks sync will be ready by March.", kind="promise", team="sales"),
        unit(1, 0, 0, 0, 1),
    )
    committed = statement_item(statement(1, "Route planning (Q4 2026).", "roadmap", "committed"), unit(0, 0, 0, 0, 1))
    exploring = statement_item(
        statement(2, "Accounting integrations (QuickBooks Online, Xero).", "roadmap", "exploring"),
        unit(0, 0, 0, 0, 1),
    )
    principle = statement_item(statement(3, "Technicians first.", "principles"), unit(1, 0, 0, 0, 1))

    pairs = candidate_pairs([], [promise], [committed, exploring, principle], n=3, vision_targets=[promise])

    assert len(pairs) == 1  # a promise is never a plain vision pair
    pair = pairs[0]
    assert isinstance(pair, VisionPair) and pair.category == "promise"
    assert pair.b is exploring  # it names QuickBooks
    assert [c.statement.id for c in pair.context] == ["s2", "s1"]  # the roadmap, best match first


# --- the offline judge --------------------------------------------------------------------------


def _team_pair(text_a: str, text_b: str) -> InsightPair:
    a = insight_item(insight(1, text_a), unit(1, 0.1))
    b = insight_item(insight(2, text_b, team="sales", meeting="m2"), unit(1, 0, 0.1))
    return InsightPair("team", a, b, a.vector[0] * b.vector[0])


def test_the_offline_judge_finds_a_real_contradiction():
    pair = _team_pair("Technicians do not need the offline mode.", "Technicians need the offline mode every day.")
    judgement = judge_offline(pair)
    assert judgement.verdict == "contradicts"
    assert "asserts what the other denies (mode, need, offline)" in judgement.reason
    assert 0 < judgement.confidence < 0.6  # offline flags carry low confidences


def test_the_offline_judge_does_not_flag_an_agreement():
    pair = _team_pair("Technicians need the offline mode every day.", "Technicians need offline mode on every visit.")
    assert judge_offline(pair).verdict == "unrelated"


def test_the_offline_judge_finds_numbers_that_do_not_overlap():
    pair = _team_pair("Dispatchers manage two to five technicians each.", "Dispatchers manage forty technicians each.")
    judgement = judge_offline(pair)
    assert judgement.verdict == "contradicts" and "2 to 5 technician versus 40 technician" in judgement.reason


def test_the_offline_judge_flags_acting_on_a_non_goal_but_not_hearing_about_it():
    non_goal = statement_item(statement(1, "Enterprise fleets of 500 vehicles.", "non_goals"), unit(1))
    decision = insight_item(insight(1, "We will build dispatch for enterprise fleets.", kind="decision"), unit(1))
    heard = insight_item(insight(2, "A prospect runs an enterprise fleet.", kind="finding"), unit(1))

    acting = judge_offline(VisionPair("vision", decision, non_goal, 0.8))
    hearing = judge_offline(VisionPair("vision", heard, non_goal, 0.8))

    assert acting.verdict == "contradicts" and "rules out (enterprise, fleet)" in acting.reason
    assert hearing.verdict == "unrelated"


def test_the_offline_judge_on_promises_exploring_versus_committed():
    promise = insight_item(
        insight(1, "I told them QuickBooks sync will be ready by the end of March.", kind="promise"), unit(1)
    )
    exploring = statement_item(
        statement(1, "Accounting integrations (QuickBooks Online, Xero).", "roadmap", "exploring"), unit(1)
    )
    committed_late = statement_item(statement(2, "QuickBooks Online sync (Q4 2027).", "roadmap", "committed"), unit(1))
    committed = statement_item(statement(3, "QuickBooks Online sync (Q1 2027).", "roadmap", "committed"), unit(1))

    def verdict(best):
        return judge_offline(VisionPair("promise", promise, best, 0.7, context=[best]))

    assert verdict(exploring).verdict == "contradicts" and "only explores" in verdict(exploring).reason
    assert verdict(committed_late).verdict == "contradicts" and "Q4 2027" in verdict(committed_late).reason
    assert verdict(committed).verdict == "supports"


def test_the_offline_judge_reads_refuting_evidence_about_an_assumption():
    assumption = insight_item(insight(1, "Technicians have a signal every hour.", kind="assumption"), unit(1))
    refuting = insight_item(
        insight(2, "It turns out technicians have no signal in basements.", meeting="m2", date="2026-09-10"), unit(1)
    )
    judgement = judge_offline(InsightPair("assumption", assumption, refuting, 0.6))
    assert judgement.verdict == "contradicts" and "does not hold" in judgement.reason


# --- run_check ----------------------------------------------------------------------------------


VISION = Vision(
    version="v1",
    number=1,
    source="vision.md",
    set_at="2026-08-01T00:00:00+00:00",
    statements=[
        statement(1, "Route planning for dispatchers.", "roadmap", "committed"),
        statement(2, "Enterprise fleets.", "non_goals"),
    ],
)
VISION_VECTORS = [unit(0, 0, 0, 0, 1), unit(0, 0, 0, 1, -1)]

CONFLICT = [  # engineering and sales say opposite things about one topic
    (insight(1, "Technicians do not need the offline mode.", meeting="m1"), unit(1, 0.1)),
    (insight(2, "Technicians need the offline mode every day.", team="sales", meeting="m2"), unit(1, 0, 0.1)),
]
AGREEMENT = [  # two functions agree: no flag
    (insight(3, "Invoices go out late every month.", meeting="m3", date="2026-09-05"), unit(0, 1, 0, 0.1)),
    (
        insight(4, "Invoices go out late, every single month.", team="sales", meeting="m4", date="2026-09-06"),
        unit(0, 1, 0.1),
    ),
]
RUNS = {"m1": "r1", "m2": "r2", "m3": "r3", "m4": "r4"}


def inputs(flags: list[Flag] | None = None, state: CheckState | None = None, insights=None) -> CheckInputs:
    return CheckInputs(
        insights=[i for i, _ in (insights if insights is not None else CONFLICT + AGREEMENT)],
        vectors=[v for _, v in (insights if insights is not None else CONFLICT + AGREEMENT)],
        runs=RUNS,
        vision=VISION,
        vision_vectors=VISION_VECTORS,
        flags=flags or [],
        state=state or CheckState(),
    )


def conflict_id() -> str:
    keys = sorted(insight_item(i, v).key for i, v in CONFLICT)
    return flag_id("team_conflict", keys)


def test_run_check_raises_a_new_flag_and_records_what_it_saw():
    result = run_check(inputs(), now=NOW)

    assert [f.id for f in result.put] == [conflict_id()]
    flag = result.put[0]
    assert flag.type == "team_conflict" and flag.status == "open" and flag.checker == "offline"
    assert {s.quote for s in flag.sides} == {i.quote for i, _ in CONFLICT}
    assert flag.created_at == flag.updated_at == NOW
    assert result.delete == []
    # and each open flag's type and sides' keys, for the next check to decide by without reading it
    assert result.state == CheckState(vision="v1", runs=RUNS, flags={flag.id: (flag.type, [s.key for s in flag.sides])})
    report = result.report
    assert report.new_flags == [flag] and report.open_flags == 1 and report.by_type == {"team_conflict": 1}
    assert (report.insights_checked, report.insights_total, report.statements) == (4, 4, 2)
    assert report.judge == "offline" and report.vision_set and report.pairs == 2  # the conflict and the agreement


def test_checking_again_after_storing_the_result_changes_nothing():
    first = run_check(inputs(), now=NOW)

    nothing_new = run_check(inputs(first.put, first.state), now="2026-10-02T09:00:00+00:00")
    everything = run_check(inputs(first.put, first.state), everything=True, now="2026-10-02T09:00:00+00:00")

    assert nothing_new.report.insights_checked == 0 and nothing_new.report.pairs == 0
    assert nothing_new.put == [] and nothing_new.delete == [] and nothing_new.report.open_flags == 1
    assert everything.report.pairs == 2 and everything.put == [] and everything.delete == []
    assert everything.report.new_flags == [] and everything.report.open_flags == 1


def test_a_dismissed_flag_stays_dismissed_with_its_note():
    first = run_check(inputs(), now=NOW)
    dismissed = first.put[0].model_copy(update={"status": "dismissed", "note": "they mean different customers"})

    again = run_check(inputs([dismissed]), everything=True, now="2026-10-02T09:00:00+00:00")

    assert [(f.id, f.status, f.note, f.created_at) for f in again.put] == [
        (dismissed.id, "dismissed", "they mean different customers", NOW)
    ]
    assert again.report.new_flags == [] and again.report.open_flags == 0 and again.report.by_type == {}
    assert again.delete == []


def test_stale_flags_are_deleted_and_closed_ones_kept():
    first = run_check(inputs(), now=NOW)
    flag = first.put[0]
    gone_side = flag.sides[1].model_copy(update={"key": "m9|a meeting that was forgotten"})
    stale = flag.model_copy(update={"id": "fstale1", "sides": [flag.sides[0], gone_side]})
    resolved = stale.model_copy(update={"id": "fresolv", "status": "resolved"})
    agreement_keys = sorted(insight_item(i, v).key for i, v in AGREEMENT)
    no_longer = flag.model_copy(update={"id": flag_id("team_conflict", agreement_keys)})  # judged again: unrelated

    again = run_check(inputs([flag, stale, resolved, no_longer], first.state), everything=True, now=NOW)

    assert sorted(again.delete) == sorted(["fstale1", no_longer.id])
    assert again.put == [] and again.report.open_flags == 1  # the real conflict, unchanged
    assert "fresolv" not in again.delete  # a person closed it: it stays as they left it


def test_since_checks_only_meetings_on_or_after_the_day():
    import datetime as dt

    state = CheckState(vision="v1", runs=RUNS)
    result = run_check(inputs(state=state), since=dt.date(2026, 9, 5), now=NOW)
    assert result.report.insights_checked == 2  # the two agreeing insights, from m3 and m4
    assert result.put == []


def test_a_model_judge_decides_its_pairs_and_the_offline_checker_the_rest():
    class ScriptedJudge:
        name = "llm:scripted"

        def judge(self, pairs: list[Pair], report: CheckReport) -> dict[str, Judgement]:
            report.llm_calls += 1
            return {p.key: Judgement("contradicts", "scripted", 0.9) for p in pairs if "Invoices" in p.a.side.text}

    result = run_check(inputs(), ScriptedJudge(), now=NOW)

    checkers = {f.sides[0].text.split()[0]: f.checker for f in result.put}
    assert checkers == {"Invoices": "llm:scripted", "Technicians": "offline"}
    assert result.report.judge == "llm:scripted" and result.report.llm_calls == 1


def test_a_new_vision_version_checks_every_insight_against_it():
    state = CheckState(vision="v0", runs=RUNS)  # every meeting checked, but against an older vision
    result = run_check(inputs(state=state), now=NOW)
    assert result.report.insights_checked == 4 and result.state.vision == "v1"


def test_statement_items_need_one_vector_per_statement():
    assert [s.statement.id for s in statement_items(VISION, VISION_VECTORS)] == ["s1", "s2"]
    assert statement_items(None, []) == []
    with pytest.raises(ValueError):
        statement_items(VISION, VISION_VECTORS[:1])


def test_the_latest_evidence_sets_an_assumption_status_and_dismissed_flags_do_not_count():
    assumption = insight_item(insight(1, "Technicians have a signal every hour.", kind="assumption"), unit(1))

    def evidence(fid: str, kind: str, date: str, status: str = "open") -> Flag:
        later = insight_item(insight(2, "Signal report.", meeting=f"m{date}", date=date), unit(1))
        return Flag(
            id=fid,
            type=kind,
            sides=[assumption.side, later.side],
            explanation="x",
            confidence=0.5,
            checker="offline",
            status=status,
            created_at=NOW,
            updated_at=NOW,
        )

    flags = [
        evidence("f1", "assumption_supported", "2026-09-05"),
        evidence("f2", "assumption_refuted", "2026-09-10"),
        evidence("f3", "assumption_supported", "2026-09-20", status="dismissed"),
    ]
    got = assumption_statuses(flags)[assumption.key]
    assert (got.status, got.flag_id, got.date) == ("invalidated", "f2", "2026-09-10")
    assert assumption_statuses(flags[:1])[assumption.key].status == "validated"
    assert assumption_statuses(flags[2:]) == {}


def test_unheard_themes_of_new_insights_build_only_their_own_groups():
    from synth.check.items import insight_item
    from synth.check.themes import unheard_themes

    sso = [
        insight(n, "Customers ask for single sign-on.", "request", "sales", f"s{n}", f"2026-09-0{n}") for n in (1, 2, 3)
    ]
    visits = [
        insight(n, "Customers ask for recurring visits.", "request", "sales", f"v{n}", f"2026-09-0{n}")
        for n in (4, 5, 6)
    ]
    items = [insight_item(i, unit(1, 0.1 * k)) for k, i in enumerate(sso)]
    items += [insight_item(i, unit(0, 1, 0.1 * k)) for k, i in enumerate(visits)]
    everything, linked = unheard_themes(items, [])
    assert [len(t.members) for t in everything] == [3, 3] and len(linked.looked_at) == 6
    themes, linked = unheard_themes(items, [], touching=[items[-1]])  # one new request about visits
    assert [[m.insight.statement for m in t.members][0] for t in themes] == ["Customers ask for recurring visits."]
    assert linked.looked_at == {i.key for i in items[3:]}  # the single sign-on group was not rebuilt
