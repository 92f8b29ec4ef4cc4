"""What extraction does with a model's items before anything is stored (synth/extraction.py):
validation, grounding against the window, merging duplicates. No store, no model."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes import HashEmbedder
from pydantic import ValidationError

from synth.extraction import ModelInsight, Window, ground, merge_duplicates
from synth.models import Meeting, Turn

TURNS = [
    Turn(speaker="Ana", text="Three customers told us they export to Excel every week.", start_line=3, end_line=3),
    Turn(speaker="Bo", text="We can't ship the offline sync until legal signs off.", start_line=5, end_line=5),
    Turn(speaker="Ana", text="Dana will send the revised quote to Keller by Friday.", start_line=7, end_line=7),
    Turn(speaker="Cy", text="I assume every technician has a phone with the app.", start_line=9, end_line=9),
]
MEETING = Meeting(
    meeting_id="sync-abc123",
    title="Product sync",
    date=dt.date(2026, 10, 1),
    team=None,
    source="notes/sync.md",
    format="markdown",
    content_hash="0123456789abcdef0123",
    turns=TURNS,
    speaker_teams={"Ana": "sales", "Bo": "engineering"},
)
WINDOW = Window(0, TURNS, "")


def item(kind: str, quote: str, statement: str = "A statement.", **fields) -> ModelInsight:
    return ModelInsight(kind=kind, statement=statement, quote=quote, **fields)


@pytest.mark.parametrize(
    "given, kind",
    [("Blocker", "roadblock"), ("action item", "action"), ("feature-request", "request"), ("Findings", "finding")],
)
def test_model_kinds_are_normalised(given, kind):
    assert item(given, "q").kind == kind


def test_an_unknown_kind_or_an_empty_quote_is_invalid():
    with pytest.raises(ValidationError, match="kind must be one of"):
        item("gossip", "q")
    with pytest.raises(ValidationError, match="must not be empty"):
        item("finding", "   ")


@pytest.mark.parametrize("given, confidence", [(85, 0.85), ("0.7", 0.7), (-1, 0.0), (250, 1.0), ("high", 0.6)])
def test_confidence_is_read_as_a_share(given, confidence):
    assert item("finding", "q", confidence=given).confidence == confidence


def test_placeholder_owners_are_no_owner_and_text_is_one_line_without_control_sequences():
    insight = item("action", "send\nthe \x1b[31mquote\x1b[0m", owner="N/A", due="  next   week ")
    assert insight.owner is None and insight.due == "next week"
    assert insight.quote == "send the quote"


def test_grounded_insights_take_meeting_speaker_team_and_lines_from_the_text():
    result = ground(
        [item("roadblock", "ship the offline sync until legal signs off", speaker="Ana")], WINDOW, MEETING, "llm:m"
    )
    [insight] = result.insights
    assert (insight.speaker, insight.team) == ("Bo", "engineering")  # who said it, not who the model named
    assert (insight.start_line, insight.end_line) == (5, 5)
    assert (insight.meeting_id, insight.title, insight.date, insight.source) == (
        "sync-abc123",
        "Product sync",
        "2026-10-01",
        "notes/sync.md",
    )
    assert insight.extractor == "llm:m"
    assert insight.id.startswith("sync-abc123:0123456789ab:roadblock:")


def test_a_speaker_without_a_function_is_unknown_or_the_meetings_team():
    [cy] = ground([item("assumption", "every technician has a phone")], WINDOW, MEETING, "x").insights
    assert cy.team == "unknown" and cy.status == "untested"
    design = MEETING.model_copy(update={"team": "design"})
    [cy] = ground([item("assumption", "every technician has a phone")], WINDOW, design, "x").insights
    assert cy.team == "design"


def test_owner_and_due_are_kept_for_actions_only():
    quote = "Dana will send the revised quote to Keller by Friday"
    [action] = ground([item("action", quote, owner="Dana", due="Friday")], WINDOW, MEETING, "x").insights
    [decision] = ground([item("decision", quote, owner="Dana", due="Friday")], WINDOW, MEETING, "x").insights
    assert (action.owner, action.due) == ("Dana", "Friday")
    assert (decision.owner, decision.due, decision.status) == (None, None, None)


def test_a_fuzzy_quote_lowers_the_confidence_by_its_similarity():
    exact = ground([item("finding", "they export to Excel every week", confidence=0.8)], WINDOW, MEETING, "x")
    fuzzy = ground([item("finding", "they exported to Excel every week", confidence=0.8)], WINDOW, MEETING, "x")
    assert exact.insights[0].confidence == 0.8
    assert 0.8 * 0.9 <= fuzzy.insights[0].confidence < 0.8
    assert fuzzy.insights[0].quote == "they export to Excel every week."  # the transcript's words and punctuation


def test_unfound_quotes_and_statements_copied_from_the_instructions_are_dropped_with_reasons():
    prompt = "Extract every finding, roadblock and assumption that the transcript states in its own words"
    items = [
        item("finding", "customers adore our pricing page"),
        item("finding", "they export to Excel every week", statement=prompt),
        item("finding", "they export to Excel every week", statement="Customers export to Excel weekly."),
    ]
    result = ground(items, WINDOW, MEETING, "x", prompt=prompt)
    assert result.dropped == 2
    assert (
        result.reasons[0].startswith("quote not found: ") and result.reasons[1] == "statement repeats the instructions"
    )
    assert [i.statement for i in result.insights] == ["Customers export to Excel weekly."]


def test_a_runaway_reply_is_capped():
    items = [item("finding", "they export to Excel every week")] * 5
    assert len(ground(items, WINDOW, MEETING, "x", limit=2).insights) == 2
    assert len(ground(items, WINDOW, MEETING, "x", limit=None).insights) == 5


def grounded(*items: ModelInsight):
    return ground(list(items), WINDOW, MEETING, "x").insights


def test_merging_keeps_the_most_confident_of_the_same_quote_and_sorts_by_line():
    insights = grounded(
        item("action", "Dana will send the revised quote", confidence=0.5),
        item("finding", "they export to Excel every week", confidence=0.7),
        item("action", "send the revised quote to Keller by Friday", confidence=0.9),
    )
    merged, kept = merge_duplicates(insights)
    assert [(i.kind, i.confidence) for i in merged] == [("finding", 0.7), ("action", 0.9)]
    assert kept == [1, 2]


def test_different_kinds_on_the_same_words_are_both_kept():
    insights = grounded(
        item("roadblock", "ship the offline sync until legal signs off"),
        item("decision", "ship the offline sync until legal signs off"),
    )
    assert len(merge_duplicates(insights)[0]) == 2


def test_statements_that_say_the_same_thing_merge_by_their_vectors():
    insights = grounded(
        item(
            "finding", "they export to Excel every week", statement="Customers export to Excel weekly.", confidence=0.6
        ),
        item("finding", "every technician has a phone", statement="Customers export to Excel weekly.", confidence=0.8),
        item("finding", "legal signs off", statement="Legal review gates the offline sync.", confidence=0.7),
    )
    vectors = HashEmbedder().embed([i.statement for i in insights])
    merged, _ = merge_duplicates(insights, vectors)
    assert [i.statement for i in merged] == [
        "Legal review gates the offline sync.",
        "Customers export to Excel weekly.",
    ]
    assert [i.confidence for i in merged] == [0.7, 0.8]
    assert len(merge_duplicates(insights)[0]) == 3  # without vectors, different places stay apart
