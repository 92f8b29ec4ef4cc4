"""Finding a model's quote in the transcript (synth/grounding.py)."""

from __future__ import annotations

from synth.grounding import MAX_GAP, GroundingText, quote_in_lines, words
from synth.models import Turn

TURNS = [
    Turn(speaker="Ana", text="Three customers told us they export to Excel every week.", start_line=3, end_line=3),
    Turn(speaker="Bo", text="We can't ship the sync until legal signs off.", start_line=5, end_line=6),
    Turn(speaker="Ana", text="Then let's revisit it in the planning meeting.", start_line=8, end_line=8),
]


def test_words_fold_case_accents_punctuation_and_apostrophes():
    assert words("Café: DON'T — ship v2!") == ["cafe", "dont", "ship", "v2"]
    assert words("we can’t") == ["we", "cant"]


def test_an_exact_quote_takes_lines_and_speaker_from_the_text():
    found = GroundingText(TURNS).locate("we can't ship the sync")
    assert found is not None
    assert (found.speaker, found.start_line, found.end_line, found.similarity) == ("Bo", 5, 6, 1.0)
    assert found.text == "we cant ship the sync"
    assert (found.first_turn, found.last_turn) == (1, 1)


def test_a_quote_across_turns_spans_their_lines_and_goes_to_who_said_most_of_it():
    found = GroundingText(TURNS).locate("until legal signs off then lets revisit it in the planning meeting")
    assert found is not None
    assert (found.start_line, found.end_line) == (5, 8)
    assert found.speaker == "Ana"  # 8 of the 12 words are hers


def test_a_nearly_exact_quote_is_accepted_with_its_similarity():
    found = GroundingText(TURNS).locate("three customers told us they exported to Excel every week")
    assert found is not None and 0.9 <= found.similarity < 1.0
    assert found.start_line == 3
    assert GroundingText(TURNS).locate("customers hate exporting to spreadsheets") is None


def test_an_ellipsis_grounds_each_part_in_order():
    text = GroundingText(TURNS)
    found = text.locate("Three customers told us ... to Excel every week")
    assert found is not None and (found.start_line, found.end_line) == (3, 3)
    assert found.text == "three customers told us they export to excel every week"
    assert text.locate("to Excel every week ... Three customers told us") is None  # out of order
    assert text.locate("Three customers told us ... every week") is None  # each part must say enough


def test_parts_too_far_apart_are_not_one_quote():
    filler = Turn(speaker="Cy", text=" ".join(["blah"] * (MAX_GAP + 5)), start_line=2, end_line=2)
    turns = [TURNS[0], filler, TURNS[1]]
    assert GroundingText(turns).locate("export to Excel every week ... we can't ship the sync") is None
    assert GroundingText([TURNS[0], TURNS[1]]).locate("export to Excel every week ... we can't ship the sync")


def test_too_short_to_tell_is_not_found():
    assert GroundingText(TURNS).locate("the sync") is None
    assert GroundingText(TURNS).locate("...") is None
    assert GroundingText(TURNS).locate("legal") is None


def test_a_copied_speaker_label_or_line_label_is_ignored():
    text = GroundingText(TURNS)
    for quote in (
        "Bo: we can't ship the sync",
        "[L5] Bo (engineering): we can't ship the sync",
        '"we can\'t ship the sync"',
    ):
        found = text.locate(quote)
        assert found is not None and found.speaker == "Bo", quote


def test_quote_in_lines_checks_raw_source_lines():
    lines = ["# Sync", "", "Ana: Three customers told us they export to Excel every week."]
    assert quote_in_lines("they export to Excel every week", lines)
    assert not quote_in_lines("they import from Excel every month", lines)
