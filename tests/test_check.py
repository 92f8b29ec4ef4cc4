"""The vision, synth check and flags: on the examples' built-in tensions, through the real store,
the real embedding model and (for the prompted judge) real HTTP to a scripted server."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from testkit import EXAMPLES, run_on

from synth.app import Synth
from synth.config import Settings
from synth.grounding import quote_in_lines

VISION = EXAMPLES / "vision.md"


def checked(example_app) -> Synth:
    example_app.set_vision(VISION)
    return example_app


def by_type(app, status="open"):
    found = {}
    for flag in app.flags(status=status):
        found.setdefault(flag.type, []).append(flag)
    return found


def test_vision_statements_have_sections_and_lines():
    from synth.vision import parse_vision

    vision = parse_vision(VISION.read_text(), str(VISION))
    lines = VISION.read_text().splitlines()
    sections = vision.by_section()
    assert vision.title == "Beacon product vision"
    assert {k: len(v) for k, v in sections.items()} == {
        "vision": 1,
        "customers": 3,
        "market": 2,
        "principles": 3,
        "non_goals": 2,
        "metrics": 3,
        "roadmap": 5,
    }
    assert [s.commitment for s in sections["roadmap"]] == ["committed"] * 3 + ["exploring"] * 2
    for statement in vision.statements:
        assert quote_in_lines(statement.text, lines[statement.start_line - 1 : statement.end_line]), statement


@pytest.mark.slow
def test_a_vision_without_sections_is_refused_and_nothing_is_stored(example_app, tmp_path):
    bad = tmp_path / "notes.md"
    bad.write_text("# Ideas\n\nWe like dogs.\n\n## Misc\n\n- Lunch on Friday.\n")
    result = run_on(example_app.settings.store, "vision", "set", str(bad))
    assert result.exit_code == 1
    assert str(bad) in result.output and "no vision sections recognised" in result.output
    assert "## Roadmap with ### Committed and ### Exploring" in result.output
    assert example_app.vision_history() == []
    assert run_on(example_app.settings.store, "vision", "show").exit_code == 1


@pytest.mark.slow
def test_vision_versions_history_and_diff(example_app, tmp_path):
    example_app.set_vision(VISION)
    changed = tmp_path / "vision-v2.md"
    text = VISION.read_text().replace("- Accounting integrations (QuickBooks Online, Xero).\n", "")
    text = text.replace("### Committed\n\n", "### Committed\n\n- QuickBooks Online sync (Q1 2027).\n")
    changed.write_text(text)
    vision, was_changed, report = example_app.set_vision(changed)
    assert was_changed and vision.number == 2 and report is not None
    _, again, _ = example_app.set_vision(changed)
    assert not again  # the same document twice is one version
    assert [e.number for e in example_app.vision_history()] == [1, 2]
    old, new, changes = example_app.vision_diff()
    assert (old.number, new.number) == (1, 2)
    assert {(sign, s.text) for sign, _, s in changes} == {
        ("-", "Accounting integrations (QuickBooks Online, Xero)."),
        ("+", "QuickBooks Online sync (Q1 2027)."),
    }
    assert example_app.vision("1").statements[-2].text == "Accounting integrations (QuickBooks Online, Xero)."
    shown = run_on(example_app.settings.store, "vision", "diff").output
    assert "+ [roadmap (committed)] QuickBooks Online sync (Q1 2027)." in shown
    assert "- [roadmap (exploring)] Accounting integrations" in shown
    # the QuickBooks promise is now backed by a committed item (Q1 2027 covers "end of Q1")
    gaps = [f for f in example_app.flags(kind="promise_gap") if "QuickBooks sync by the end of Q1" in f.sides[0].quote]
    assert gaps == []


@pytest.mark.slow
def test_flags_on_the_examples_built_in_tensions(example_app):
    app = checked(example_app)
    flags = by_type(app)
    from synth.check.tensions import likely

    # the built-in tensions are all likely; weaker evidence (possible flags) may add other types
    assert {t for t, found in flags.items() if any(likely(f) for f in found)} == {
        "vision_conflict",
        "team_conflict",
        "promise_gap",
        "assumption_refuted",
        "unheard",
    }

    def one(kind, text):
        found = [f for f in flags[kind] if any(text in s.quote for s in f.sides)]
        assert found, (kind, text, [[s.quote for s in f.sides] for f in flags[kind]])
        return found[0]

    promise = one("promise_gap", "QuickBooks sync by the end of Q1")
    assert promise.sides[1].section == "roadmap (exploring)" and "only explores" in promise.explanation
    timing = one("promise_gap", "on our roadmap for this quarter")
    assert "Q4 2026" in timing.explanation
    assert one("vision_conflict", "enterprise fleets are where the money is").sides[1].section == "non-goals"
    assert one("team_conflict", "Nobody has asked engineering")
    assert one("assumption_refuted", "connectivity at least once an hour")
    unheard = one("unheard", "recurring maintenance visits")
    assert len({s.meeting_id for s in unheard.sides}) == 3
    for flag in app.flags(status="all"):
        assert flag.explanation and 0 < flag.confidence <= 1 and flag.checker == "offline"
        for side in flag.sides:  # every side's quote is at its file:line
            lines = Path(side.source).read_text(encoding="utf-8").splitlines()
            assert quote_in_lines(side.quote, lines[side.start_line - 1 : side.end_line]), side


@pytest.mark.slow
def test_assumption_status_follows_its_flags(example_app):
    app = checked(example_app)
    assumption = next(i for i in app.insights(kind="assumption") if "once an hour" in i.quote)
    assert assumption.status == "invalidated" and assumption.status_flag
    refuting = [f for f in app.flags(kind="assumption_refuted") if f.sides[0].quote == assumption.quote]
    for flag in refuting:
        app.set_flag_status(flag.id, "dismissed", "not evidence")
    again = next(i for i in app.insights(kind="assumption") if i.quote == assumption.quote)
    assert again.status == "untested" and again.status_flag is None
    assert assumption.quote not in {i.quote for i in app.insights(kind="assumption", status="invalidated")}
    listing = run_on(app.settings.store, "insights", "--kind", "assumption").output
    assert "[invalidated, see flag" in listing


@pytest.mark.slow
def test_status_workflow_and_dismissed_pairs_stay_dismissed(example_app, tmp_path):
    # a private copy of the examples, so one meeting can change
    meetings = tmp_path / "meetings"
    shutil.copytree(EXAMPLES / "meetings", meetings)
    store = tmp_path / "own-store"
    app = Synth(Settings(store=store))
    app.set_vision(VISION)
    from synth.readers import ReadOptions
    from synth.roster import load_roster

    roster = load_roster(EXAMPLES / "roster.yaml")
    app.ingest([str(meetings)], ReadOptions(roster=roster))
    promise = next(f for f in app.flags(kind="promise_gap") if "end of Q1" in f.sides[0].quote)
    conflict = app.flags(kind="vision_conflict")[0]
    result = run_on(store, "flags", "dismiss", promise.id[:6], "--note", "Omar already corrected it")
    assert result.exit_code == 0 and "dismissed" in result.output
    assert run_on(store, "flags", "resolve", conflict.id, "--note", "Ruth said no").exit_code == 0
    assert promise.id not in {f.id for f in app.flags()}
    assert {f.id: f.status for f in app.flags(status="all")}[conflict.id] == "resolved"
    # the sales meeting changes (a new line); it is extracted and checked again
    sales = meetings / "2026-09-10-sales-pipeline-review.md"
    sales.write_text(sales.read_text() + "\n- Dana to book the Keller demo.\n")
    report = app.ingest([str(meetings)], ReadOptions(roster=roster))
    assert report.meetings == 1 and report.unchanged == 9
    statuses = {f.id: f for f in app.flags(status="all")}
    assert statuses[promise.id].status == "dismissed" and statuses[promise.id].note == "Omar already corrected it"
    assert statuses[conflict.id].status == "resolved"
    listed = run_on(store, "flags", "--status", "dismissed", "--json")
    assert promise.id in [f["id"] for f in json.loads(listed.output)]
    assert run_on(store, "flags", "reopen", promise.id).exit_code == 0
    assert promise.id in {f.id for f in app.flags()}
    assert run_on(store, "flags", "dismiss", "fzzzzzz", "--note", "x").exit_code == 1


@pytest.mark.slow
def test_checking_again_is_idempotent(example_app):
    app = checked(example_app)
    before = {f.id: f.model_dump(exclude={"updated_at"}) for f in app.flags(status="all")}
    report = app.check(everything=True)
    assert report.new_flags == [] and report.pairs > 0
    after = {f.id: f.model_dump(exclude={"updated_at"}) for f in app.flags(status="all")}
    assert after == before
    assert app.check().insights_checked == 0  # nothing new since the last check


@pytest.mark.slow
def test_no_flags_says_how_much_was_checked(tmp_path):
    note = tmp_path / "2026-10-01-standup.md"
    note.write_text(
        "---\ntitle: Standup\nteam: engineering\n---\n\n**Tom:** The dispatch board demo went well "
        "with three dispatchers.\n"
    )
    store = tmp_path / "store"
    assert run_on(store, "vision", "set", str(VISION)).exit_code == 0
    assert run_on(store, "ingest", str(note)).exit_code == 0
    result = run_on(store, "check", "--all")
    assert result.exit_code == 0
    assert re.search(r"No flags: \d+ of \d+ insights and 19 vision statements checked", result.output), result.output
    assert "No open flags" in run_on(store, "flags").output


@pytest.mark.slow
def test_ask_cites_vision_statements(example_app):
    app = checked(example_app)
    answer = app.ask("does what sales heard about enterprise fleets fit our vision?")
    vision = [s for s in answer.sources if s.kind == "vision"]
    assert vision and answer.found
    lines = VISION.read_text().splitlines()
    assert any("Non-goal: enterprise fleets" in s.text for s in vision)
    for source in vision:
        assert source.source == str(VISION) and source.text in lines[source.start_line - 1]
        assert f"[{source.number}]" in answer.answer
    plain = app.ask("who raised the calendar quota problem?")
    assert all(s.kind == "passage" for s in plain.sources)


def _judge_everything(verdict):
    def reply(body):
        user = body["messages"][-1]["content"]
        numbers = [int(n) for n in re.findall(r'<pair number="(\d+)"', user)]
        return json.dumps(
            {
                "judgements": [
                    {"pair": n, "verdict": verdict, "reason": f"scripted {verdict}", "confidence": 0.8} for n in numbers
                ]
            }
        )

    return reply


@pytest.mark.slow
def test_the_prompted_judge_batches_pairs_and_caches_them(example_app, openai_server):
    example_app.settings.auto_check = False
    example_app.set_vision(VISION, check=False)
    openai_server.default = _judge_everything("contradicts")
    app = Synth(
        Settings(
            store=example_app.settings.store,
            base_url=openai_server.url,
            model="scripted",
            llm_retries=0,
            llm_timeout=10,
        )
    )
    report = app.check(everything=True)
    assert report.judge == "llm:scripted" and report.pairs > 8
    assert report.llm_calls == -(-report.pairs // 8)  # eight pairs per call
    first = openai_server.requests[0]["body"]["messages"]
    assert "You check a product team's meeting insights" in first[0]["content"]
    assert '<pair number="1"' in first[-1]["content"]
    llm_flags = [f for f in app.flags() if f.checker == "llm:scripted"]
    assert llm_flags and all(f.explanation == "scripted contradicts" for f in llm_flags)
    calls = len(openai_server.requests)
    again = app.check(everything=True)
    assert again.llm_calls == 0 and again.cache_hits == report.pairs and len(openai_server.requests) == calls


@pytest.mark.slow
def test_a_failing_model_falls_back_to_the_offline_checker(example_app, openai_server):
    example_app.set_vision(VISION, check=False)
    openai_server.default = (500, {"error": {"message": "boom"}})
    app = Synth(
        Settings(
            store=example_app.settings.store,
            base_url=openai_server.url,
            model="scripted",
            llm_retries=0,
            llm_timeout=10,
        )
    )
    report = app.check(everything=True)
    assert report.warnings and "offline checker judged them" in report.warnings[0]
    assert report.open_flags > 0 and all(f.checker == "offline" for f in app.flags())


@pytest.mark.slow
def test_a_check_reads_in_full_only_the_flags_it_may_change_and_decides_as_with_every_flag_read(
    brief_store, tmp_path, monkeypatch
):
    """The check state keeps each open flag's type and sides' keys; the next check reads in full
    only the flags it raises again and the open ones the last check did not keep (reopened by a
    person since), and decides exactly as it does with every flag read."""
    import dataclasses

    from synth.check import run_check
    from synth.check.run import flag_entry
    from synth.inputs import check_inputs
    from synth.store.flags import FlagRepo

    path = tmp_path / "store"
    shutil.copytree(brief_store, path)
    app = Synth(Settings(store=path, offline=True))
    with app._session(write=False):
        store = app.store(create=False)
        every = store.flags.all()
        state = store.settings.check_state()
    opened = [f for f in every if f.status == "open"]
    assert len(opened) > 5 and state.flags == {f.id: flag_entry(f) for f in opened}

    # a person resolves a flag, a check drops it from what it keeps, the person opens it again
    chosen = opened[0].id
    app.set_flag_status(chosen, "resolved")
    app.check()
    with app._session(write=False):
        assert chosen not in app.store(create=False).settings.check_state().flags
    app.set_flag_status(chosen, "open")

    read: list[list[str]] = []
    real = FlagRepo.some
    monkeypatch.setattr(FlagRepo, "some", lambda repo, ids: read.append(list(ids)) or real(repo, ids))
    now = "2026-12-01T00:00:00+00:00"
    with app._session(write=True):
        store = app.store()
        for everything in (False, True):
            read.clear()
            inputs = check_inputs(store)
            indexed = run_check(inputs, everything=everything, now=now)
            decoded = [i for ids in read for i in ids]
            listed = run_check(dataclasses.replace(inputs, flags=store.flags.all()), everything=everything, now=now)
            if not everything:  # nothing new: no flag raised again, only the one not kept is read
                assert decoded == [chosen] and indexed.put == []
            else:  # every flag raised again is read (to keep its status and note), and the one not kept
                assert chosen in decoded and len(set(decoded)) <= len(every)
            assert [f.model_dump() for f in indexed.put] == [f.model_dump() for f in listed.put]
            assert indexed.delete == listed.delete and indexed.state == listed.state
            assert indexed.report == listed.report and indexed.report.open_flags == len(opened)
