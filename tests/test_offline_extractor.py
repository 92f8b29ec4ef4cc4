"""The offline extractor on the bundled examples: same shapes as the model's, quotes that are
really at their lines, honest confidences."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.grounding import quote_in_lines
from synth.kinds import ASSUMPTION_STATUSES, KINDS

pytestmark = pytest.mark.slow  # the real store and model


def test_offline_insights_on_the_examples(example_app):
    insights = example_app.insights()
    kinds = {i.kind for i in insights}
    assert kinds == set(KINDS)  # the examples have every kind, and the offline extractor finds each
    for insight in insights:
        lines = Path(insight.source).read_text(encoding="utf-8").splitlines()
        assert quote_in_lines(insight.quote, lines[insight.start_line - 1 : insight.end_line]), insight
        assert 0 < insight.confidence <= 1
        assert insight.extractor == "offline"
        assert (insight.status in ASSUMPTION_STATUSES) == (insight.kind == "assumption")
    # labelled note lines are taken at their word, with owner and due date
    actions = [i for i in insights if i.kind == "action" and i.owner == "Julia"]
    assert actions and actions[0].due == "Sept 26"
    # the cue-only kinds say they are less sure than labelled lines
    assert max(i.confidence for i in insights if i.kind == "finding") < 0.9


def test_insight_filters(example_app):
    everything = example_app.insights()
    engineering = example_app.insights(team="engineering")
    assert engineering and all(i.team == "engineering" for i in engineering)
    assumptions = example_app.insights(kind="assumption", status="untested")
    assert assumptions and len(assumptions) < len(everything)
    import datetime as dt

    from synth.retriever import Filters

    late = example_app.insights(filters=Filters(since=dt.date(2026, 10, 1)))
    assert late and all(i.date >= "2026-10-01" for i in late) and len(late) < len(everything)


def test_forget_and_changed_files_replace_insights(example_app, tmp_path):
    before = example_app.insights()
    meeting_id = before[0].meeting_id
    example_app.forget(meeting_id)
    assert all(i.meeting_id != meeting_id for i in example_app.insights())


def test_reingest_of_a_changed_file_replaces_its_insights(app, tmp_path):
    note = tmp_path / "notes.md"
    note.write_text(
        "**Sam:** Decision: we will ship the import preview first.\n**Ana:** Action: Ana to call Keller by Friday.\n"
    )
    app.ingest([str(note)])
    assert sorted(i.kind for i in app.insights()) == ["action", "decision"]
    note.write_text("**Sam:** Decision: we will ship offline mode first.\n")
    report = app.ingest([str(note)])
    assert report.meetings == 1
    [insight] = app.insights()
    assert "offline mode" in insight.statement and insight.start_line == 1


def test_interrupted_extraction_is_finished_by_the_next_ingest(app, tmp_path):
    note = tmp_path / "notes.md"
    note.write_text("**Sam:** Decision: we will ship the import preview first.\n")
    app.ingest([str(note)], extract=False)  # as if killed after storing, before extracting
    assert app.meetings()[0].extraction == "pending" and not app.insights()
    other = tmp_path / "other.md"
    other.write_text("**Ana:** Action: Ana to call Keller by Friday.\n")
    app.ingest([str(other)])
    assert {r.extraction for r in app.meetings()} == {"done"}
    assert sorted(i.kind for i in app.insights()) == ["action", "decision"]
