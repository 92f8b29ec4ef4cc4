"""Issue 15's classes of judgment, on hand-made statements: agreement is not conflict, numbers
keep their units, vision statements of different roles get different checks, flags group into
tensions, and kinds said without cue words are read. No store, no embedding model."""

from __future__ import annotations

import datetime as dt

from fakes import HashEmbedder
from test_check_units import insight, statement, unit

from synth.check import insight_item, judge_offline, statement_item
from synth.check.compare import misses_bound, number_clash, polarity_flips, read
from synth.check.items import InsightPair, VisionPair
from synth.check.tensions import LIKELY, group_tensions, likely
from synth.models import Flag, FlagSide, Meeting, Turn
from synth.offline import PER_KIND, OfflineExtractor, _commits, _late_kind, budget

# --- agreement is never a conflict ----------------------------------------------------------------


def pair(text_a: str, text_b: str, kind_a: str = "finding", kind_b: str = "finding", sim: float = 0.9):
    a = insight_item(insight(1, text_a, kind=kind_a), unit(1, 0.1))
    b = insight_item(insight(2, text_b, kind=kind_b, team="sales", meeting="m2", date="2026-09-10"), unit(1, 0, 0.1))
    return InsightPair("team", a, b, sim)


def test_two_ways_of_saying_something_is_missing_agree():
    for a, b in [
        ("We don't have the partner contract signed yet.", "Still waiting on the partner contract."),
        ("The partner contract is still unsigned.", "We are waiting on the partner contract."),
        ("Legal has not approved the data processing agreement.", "The data processing agreement is pending."),
    ]:
        assert polarity_flips(read(a), read(b)) == [], (a, b)
        assert judge_offline(pair(a, b)).verdict == "unrelated", (a, b)


def test_a_real_denial_is_still_read_as_one():
    assert polarity_flips(read("The contract is signed."), read("The contract is not signed.")) == ["contract", "sign"]
    price = polarity_flips(
        read("Marketing is assuming price is why trials don't convert."),
        read("I heard churned accounts did not mention price."),
    )
    assert price == ["price"]  # a negation far from the word does not deny it


def test_a_question_asserts_nothing_to_contradict():
    judgement = judge_offline(pair("Do we keep the branch alive after the pilot?", "The branch is not alive any more."))
    assert judgement.verdict == "unrelated" and "question" in judgement.reason


def test_nobody_asks_for_it_against_a_customer_who_needs_it():
    judgement = judge_offline(
        pair("Honestly nobody is asking for SSO, it's a checkbox.", "Blocker: Azure AD SSO required by their IT.")
    )
    assert judgement.verdict == "contradicts" and "nobody asks for SSO" in judgement.reason
    assert judgement.confidence >= LIKELY
    both_nobody = judge_offline(pair("Nobody asks for SSO.", "No customer needs SSO, nobody asks for SSO."))
    assert both_nobody.verdict == "unrelated"


# --- numbers keep their units ---------------------------------------------------------------------


def test_durations_are_compared_after_conversion_and_only_about_the_same_thing():
    assert number_clash(read("Setup usually takes two days."), read("Setup took 5 days last month."), 1.5)
    # 48 hours and two days are the same
    assert not number_clash(read("Setup takes 48 hours."), read("Setup takes two days."), 1.5)
    # numbers about different things are not compared, whatever their units
    assert not number_clash(
        read("I am assuming connectivity at least once an hour."),
        read("Offline mode plan: queue changes for up to 24 hours on the device."),
        1.5,
    )
    # percentages and counts of different things are never compared
    assert not number_clash(read("Conversion is 25% for trials."), read("Conversion is 3 trials."), 1.5)


def test_a_measured_finding_against_a_metric_in_other_units():
    metric = read("A new warehouse goes live in under 48 hours from signup.")
    assert misses_bound(metric, read("October signups: median is 4 days until go live.")) == (
        (4.0, 4.0, "day"),
        "under 48 hours",
    )
    assert misses_bound(metric, read("October signups: median is 30 hours until go live.")) is None
    judge = judge_offline(
        VisionPair(
            "vision",
            insight_item(insight(1, "Median go live after signup was 4 days in October."), unit(1)),
            statement_item(
                statement(1, "A new warehouse goes live in under 48 hours from signup.", "metrics"), unit(1)
            ),
            0.7,
        )
    )
    assert judge.verdict == "contradicts" and "Measured 4 days against the vision's under 48 hours" in judge.reason
    guessed = judge_offline(
        VisionPair(
            "vision",
            insight_item(insight(1, "Go live after signup, maybe 4 days or so."), unit(1)),
            statement_item(
                statement(1, "A new warehouse goes live in under 48 hours from signup.", "metrics"), unit(1)
            ),
            0.7,
        )
    )
    assert guessed.verdict == "unrelated"  # a guess is not a measurement


# --- vision statements of different roles ----------------------------------------------------------


def test_the_mission_is_not_contradicted_by_one_roadblock():
    mission = statement_item(statement(1, "Every truck has a confirmed slot and nobody waits.", "vision"), unit(1))
    roadblock = insight_item(insight(1, "Nobody confirmed the slots, trucks wait an hour.", kind="roadblock"), unit(1))
    assert judge_offline(VisionPair("vision", roadblock, mission, 0.9)).verdict == "unrelated"


def test_work_for_one_customer_against_a_one_product_principle():
    principle = statement_item(
        statement(1, "One product for all customers: no custom builds for a single customer.", "principles"), unit(1)
    )
    decision = insight_item(
        insight(1, "We build the AS400 export for Trans-Baltic, they are 5% of revenue.", kind="decision"), unit(1)
    )
    finding = insight_item(insight(2, "Trans-Baltic exports bookings to an AS400.", kind="finding"), unit(1))
    judgement = judge_offline(VisionPair("vision", decision, principle, 0.5))
    assert judgement.verdict == "contradicts" and "Trans-Baltic" in judgement.reason
    assert judge_offline(VisionPair("vision", finding, principle, 0.5)).verdict == "unrelated"


def test_saying_no_to_a_non_goal_agrees_with_it():
    non_goal = statement_item(
        statement(1, "Full yard management (trailer tracking, yard moves).", "non_goals"), unit(1)
    )
    refusal = insight_item(
        insight(1, "Trailer tracking in the yard is not something we will build.", kind="decision"), unit(1)
    )
    assert judge_offline(VisionPair("vision", refusal, non_goal, 0.8)).verdict == "unrelated"


def test_a_promise_within_the_committed_quarter_is_backed():
    promise = insight_item(
        insight(1, "Self-scheduling ships in November, so you'll have it for January.", kind="promise"), unit(1)
    )
    committed = statement_item(statement(1, "Self-scheduling windows (Q4 2026).", "roadmap", "committed"), unit(1))
    assert judge_offline(VisionPair("promise", promise, committed, 0.8, context=[committed])).verdict == "supports"
    early = insight_item(insight(2, "Self-scheduling ships in September for you.", kind="promise"), unit(1))
    assert judge_offline(VisionPair("promise", early, committed, 0.8, context=[committed])).verdict == "contradicts"


# --- tensions ---------------------------------------------------------------------------------------


def side(key: str, kind: str = "finding", team: str | None = "sales", meeting: str = "m1", date: str = "2026-09-01"):
    return FlagSide(
        kind=kind,
        text=key,
        quote=key,
        team=team,
        meeting_id=meeting,
        date=date,
        source=f"{meeting}.md",
        start_line=1,
        end_line=1,
        key=f"{meeting}|{key}",
        section="principles" if kind == "vision" else None,
    )


def flag(fid: str, kind: str, sides: list[FlagSide], confidence: float = 0.45, checker: str = "offline") -> Flag:
    return Flag(
        id=fid,
        type=kind,
        sides=sides,
        explanation="x",
        confidence=confidence,
        checker=checker,
        created_at="2026-10-01",
        updated_at="2026-10-01",
    )


def test_flags_on_one_vision_statement_or_one_claim_are_one_tension_ranked_by_evidence():
    principle = side("One product for all customers.", kind="vision", team=None, meeting="vision")
    flags = [
        flag("f1", "vision_conflict", [side("Build the export for A.", team="sales"), principle]),
        flag("f2", "vision_conflict", [side("Cut a build for B.", team="engineering", meeting="m2"), principle]),
        flag("f3", "team_conflict", [side("Setup takes a day."), side("Setup took 5 days.", team="cs", meeting="m3")]),
        flag(
            "f4",
            "team_conflict",
            [side("Setup took 5 days.", team="cs", meeting="m4"), side("Setup is two hours.", meeting="m5")],
            0.3,
        ),
        flag("f5", "team_conflict", [side("Price is fine."), side("Price is too high.", meeting="m6")], 0.3),
    ]
    tensions = group_tensions(flags)
    # the same claim said in two meetings joins f3 and f4; more meetings rank first
    assert [sorted(f.id for f in t.flags) for t in tensions] == [["f3", "f4"], ["f1", "f2"], ["f5"]]
    assert tensions[0].likely and tensions[0].confidence == 0.45 and tensions[0].meetings == 4
    second = tensions[1]
    assert second.summary == "One product for all customers." and second.functions == ["engineering", "sales"]
    assert second.meetings == 2 and second.likely
    assert not tensions[2].likely  # possible: weak evidence
    assert likely(flag("f6", "team_conflict", [], 0.2, checker="llm:gpt")), "a model's flags are likely"


# --- kinds said without cue words --------------------------------------------------------------------


def test_kinds_without_cue_words():
    expected = {
        "I send the quote and the trial contract on Friday.": "action",
        "ok I call Frank tomorrow and explain the plan": "action",
        "we'll build the streaming importer first, then the spec": "decision",
        "do we cut a Northwind-specific firmware build for the pilot?": "decision",
        "The nightly import stops when the file has more than 2000 rows.": "roadblock",
        "it's taken us three days to get the first reading off the gateway": "roadblock",
        "Five of the seven techs had silenced the notifications within a week.": "finding",
        "Any news on the CSV export?": "request",
        "gate people will use the big tablet screen, it is easier than a phone": "assumption",
        "Anyone running Ignition will pay for the server without blinking.": "assumption",
        "I think enterprise fleets are where the money is.": "assumption",
    }
    for text, kind in expected.items():
        got = _late_kind(text)
        assert got and got[0] == kind, (text, got)


def test_an_opinion_in_a_design_discussion_is_not_an_insight():
    for text in [
        "I think we should make it yellow and round.",
        "I think it is a good idea.",
        "Yeah, so the buttons should be big.",
    ]:
        assert _late_kind(text) is None, text


def test_telling_a_customer_is_a_promise_only_with_a_commitment():
    assert _commits("I told Northside we would have a QuickBooks sync by the end of Q1.")
    assert _commits("I told them it is on our list.")
    assert not _commits("I told her there might be some slippage.")
    assert not _commits("To be fair, nobody ever told him about the sandbox.")


def test_a_long_discussion_yields_at_most_a_handful_of_each_kind():
    turns = [
        Turn(
            speaker="Ana",
            text=f"I assume customer number {n} will want the export every week.",
            start_line=n,
            end_line=n,
        )
        for n in range(1, 3 * PER_KIND)
    ]
    meeting = Meeting(
        meeting_id="m-1",
        title="Brainstorm",
        date=dt.date(2026, 10, 1),
        source="m.md",
        format="markdown",
        content_hash="0" * 20,
        turns=turns,
    )
    found = OfflineExtractor(HashEmbedder()).extract(meeting)
    assert 0 < sum(1 for i in found if i.kind == "assumption") <= PER_KIND
    kept = budget(found + found)
    assert len([i for i in kept if i.kind == "assumption"]) <= PER_KIND


def test_the_model_judge_reads_the_turns_around_each_side():
    from synth.check.judge_llm import pair_text

    contract = pair("Still waiting on it.", "We don't have the partner contract signed.")
    plain = pair_text(contract)
    assert "Around it" not in plain
    shown = pair_text(contract, lambda i: "before, Ana: the partner contract" if i.id == "i1" else "")
    assert shown.count("Around it in the meeting") == 1 and "before, Ana: the partner contract" in shown
