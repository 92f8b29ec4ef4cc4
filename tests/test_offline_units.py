"""The offline extractor's rules on small texts (synth/offline.py), on the hash embedder: the
labelled lines, promises and evidence about assumptions are decided by rules, whatever the
classifier makes of the vectors."""

from __future__ import annotations

import datetime as dt

from fakes import HashEmbedder

from synth.extraction import Window, ground
from synth.models import Meeting, Turn
from synth.offline import MIN_WORDS, OfflineExtractor, clean, sentences


def meeting(*texts: tuple[str | None, str]) -> Meeting:
    turns = [
        Turn(speaker=speaker, text=text, start_line=2 * i + 1, end_line=2 * i + 1)
        for i, (speaker, text) in enumerate(texts)
    ]
    return Meeting(
        meeting_id="sync-abc123",
        title="Sync",
        date=dt.date(2026, 10, 1),
        source="sync.md",
        format="markdown",
        content_hash="0123456789abcdef0123",
        turns=turns,
    )


def by_quote(meeting_: Meeting) -> dict:
    return {i.quote: i for i in OfflineExtractor(HashEmbedder()).extract(meeting_)}


def test_clean_drops_fillers_and_transcription_markers():
    assert clean("Um, so the [inaudible] sync uh breaks , offline.") == "so the sync breaks, offline."
    assert sentences("First one. Second one? Third!  ") == ["First one.", "Second one?", "Third!"]


def test_candidates_are_the_sentences_long_enough_with_their_turn():
    notes = meeting(("Ana", "Yeah, sounds good. The sync fails in every crawl space we tried."), ("Bo", "Okay."))
    found = OfflineExtractor(HashEmbedder()).candidates(notes)
    assert [(c[0], c[1], c[4], c[5]) for c in found] == [("The sync fails in every crawl space we tried.", "Ana", 1, 1)]
    assert found[0][6] == "Yeah, sounds good."  # the sentence before it in the turn
    assert all(len(c[3].split()) >= MIN_WORDS for c in found)


def test_labelled_lines_say_their_kind_and_actions_get_owner_and_due():
    found = by_quote(
        meeting(
            (None, "Action: Dana will send the revised quote by Friday."),
            (None, "Decision: we ship the Android app before the iOS app."),
            (None, "Blocker: legal has not signed off on the data retention terms."),
        )
    )
    action = found["Action: Dana will send the revised quote by Friday."]
    assert (action.kind, action.confidence, action.owner, action.due) == ("action", 0.9, "Dana", "Friday")
    assert action.statement == "Dana will send the revised quote by Friday."
    decision = found["Decision: we ship the Android app before the iOS app."]
    assert (decision.kind, decision.statement) == ("decision", "We ship the Android app before the iOS app.")
    assert found["Blocker: legal has not signed off on the data retention terms."].kind == "roadblock"


def test_a_promise_to_a_customer_and_evidence_about_an_assumption_are_told_apart():
    found = by_quote(
        meeting(
            ("Dana", "I told them SSO is on our roadmap for this quarter."),
            ("Omar", "That breaks my assumption about how fleet managers buy."),
        )
    )
    promise = found["I told them SSO is on our roadmap for this quarter."]
    assert (promise.kind, promise.speaker, promise.confidence) == ("promise", "Dana", 0.5)
    evidence = found["That breaks my assumption about how fleet managers buy."]
    assert evidence.kind == "finding"  # about an assumption, not one


def test_a_short_sentence_that_points_back_takes_the_one_before_into_its_statement():
    found = by_quote(meeting(("Dana", "Keller asked for QuickBooks sync. I told them that is on our roadmap.")))
    promise = found["I told them that is on our roadmap."]
    assert promise.kind == "promise"
    assert promise.statement == "Keller asked for QuickBooks sync. I told them that is on our roadmap."


def test_every_quote_is_a_sentence_of_the_transcript_and_grounds_in_it():
    notes = meeting(
        ("Ana", "Um, customers told us they export to Excel every week. Action: Bo will fix the export by Monday."),
        ("Bo", "I assume every technician has a phone with the app. We decided to keep the web dashboard."),
        ("Cy", "We can't ship the offline sync until legal signs off. I told them it is on our roadmap."),
    )
    items = OfflineExtractor(HashEmbedder()).extract(notes)
    assert items, "the labelled action and the promise at least"
    assert all(i.quote in " ".join(t.text for t in notes.turns) for i in items)
    result = ground(items, Window(0, notes.turns, ""), notes, "offline", limit=None)
    assert result.dropped == 0 and len(result.insights) == len(items)
    assert items == OfflineExtractor(HashEmbedder()).extract(notes)  # deterministic
