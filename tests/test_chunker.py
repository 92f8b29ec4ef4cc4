"""Turn-aware chunking (synth/chunker.py) on small hand-made meetings."""

from __future__ import annotations

import datetime as dt

from synth.chunker import chunk_meeting, embedding_text, passage_id, split_long_turn, turn_line
from synth.models import Meeting, Turn


def meeting(turns: list[Turn], team: str | None = None, speaker_teams: dict[str, str] | None = None) -> Meeting:
    return Meeting(
        meeting_id="sync-abc123",
        title="Sync",
        date=dt.date(2026, 10, 1),
        team=team,
        source="sync.md",
        format="markdown",
        content_hash="0123456789abcdef0123",
        turns=turns,
        speaker_teams=speaker_teams or {},
    )


def turn(speaker: str | None, text: str, line: int, last: int | None = None) -> Turn:
    return Turn(speaker=speaker, text=text, start_line=line, end_line=last or line)


def test_passage_ids_are_deterministic_and_name_meeting_version_and_index():
    assert passage_id("sync-abc123", "0123456789abcdef0123", 7) == "sync-abc123:0123456789ab:0007"


def test_whole_turns_are_packed_up_to_the_limit_and_never_cut():
    turns = [turn("Ana", "a" * 50, 1), turn("Bo", "b" * 50, 3), turn("Ana", "c" * 50, 5), turn("Cy", "d" * 50, 7)]
    passages = chunk_meeting(meeting(turns), max_chars=120)
    assert [p.text.count("\n") + 1 for p in passages] == [2, 2]  # 55 + 54 chars fit in 120, a third does not
    assert [(p.start_line, p.end_line) for p in passages] == [(1, 3), (5, 7)]
    assert [p.index for p in passages] == [0, 1]
    assert passages[0].text == "Ana: " + "a" * 50 + "\nBo: " + "b" * 50
    assert passages[0].turns == [(1, 1, "Ana"), (3, 3, "Bo")]
    assert passages[1].speakers == ["Ana", "Cy"]
    assert all(p.id == passage_id("sync-abc123", "0123456789abcdef0123", p.index) for p in passages)


def test_teams_come_from_the_speakers_and_the_meeting():
    turns = [turn("Ana", "We heard about pricing.", 1), turn("Bo", "Sync breaks offline.", 2)]
    known = chunk_meeting(meeting(turns, speaker_teams={"Ana": "sales", "Bo": "engineering"}))
    assert known[0].teams == ["engineering", "sales"]
    assert chunk_meeting(meeting(turns))[0].teams == ["unknown"]
    assert chunk_meeting(meeting(turns, team="design"))[0].teams == ["design"]


def test_a_turn_longer_than_a_passage_is_cut_at_sentence_ends_within_its_lines():
    sentences = [f"Sentence number {i} says something about the offline sync." for i in range(30)]
    long = turn("Ana", " ".join(sentences), 10, 19)
    parts = split_long_turn(long, max_chars=300)
    assert len(parts) > 1
    assert " ".join(p.text for p in parts) == long.text  # nothing lost, nothing repeated
    assert all(p.text.endswith(".") for p in parts)  # cut between sentences
    assert all(len(p.text) <= 300 - len("Ana: ") for p in parts)
    assert parts[0].start_line == 10 and parts[-1].end_line == 19
    assert all(10 <= p.start_line <= p.end_line <= 19 for p in parts)
    assert [p.start_line for p in parts] == sorted(p.start_line for p in parts)


def test_a_run_on_sentence_is_cut_at_spaces():
    words = " ".join(["word"] * 200)  # 999 characters, no sentence end
    parts = split_long_turn(turn(None, words, 1), max_chars=300)
    assert " ".join(p.text for p in parts) == words
    assert all(len(p.text) <= 300 and not p.text.startswith(" ") for p in parts)


def test_a_short_turn_is_left_alone():
    short = turn("Ana", "Short.", 4)
    assert split_long_turn(short, max_chars=300) == [short]
    assert turn_line(turn("Ana", "two\nlines", 1, 2)) == "Ana: two lines"
    assert turn_line(turn(None, "notes", 1)) == "notes"


def test_embedding_text_drops_fillers_markers_and_backchannels():
    text = "Ana: Um, so the [inaudible] sync, you know, breaks offline.\nBo: Mm-hmm.\nBo: Yeah, okay.\nCy: Right."
    assert embedding_text(text) == "Ana: so the sync, breaks offline."
    assert embedding_text("Bo: Yeah.") == "Bo: Yeah."  # nothing left to embed: the text as it was
