"""The store's record format: every model comes back from its Chroma record as it was written."""

from __future__ import annotations

from synth.models import Flag, FlagSide, Insight, MeetingRecord, Passage, Turn
from synth.store import codec

ONE_INSIGHT = dict(
    id="i1",
    title="Pricing council",
    date="2026-10-02",
    source="council.md",
    start_line=7,
    end_line=7,
    confidence=0.8,
    extractor="offline",
)


def test_a_passage_comes_back_with_its_turns_and_team_flags():
    passage = Passage(
        id=codec.passage_id("m1", "abcdef0123456789", 3),
        meeting_id="m1",
        version="abcdef0123456789",
        index=3,
        text="Dana: We need SSO.\nthen offline mode",
        start_line=10,
        end_line=12,
        speakers=["Dana"],
        teams=["sales", "unknown"],
        turns=[(10, 11, "Dana"), (12, 12, None)],
    )
    metadata = codec.passage_metadata(passage, 740000)
    assert metadata[codec.team_flag("sales")] is True and codec.team_flag("unknown") not in metadata
    assert set(metadata) == {"meeting_id", "version", "index", "date_ord", codec.team_flag("sales")}
    (kept,) = codec.texts_from_value(codec.unpack(codec.pack(codec.texts_value([passage])))).values()
    back = codec.passage_from_stored(passage.id, metadata, kept)
    assert back == passage
    written_before = {  # a store written before the texts records: the text as document, the rest here
        **metadata,
        **{"start_line": 10, "end_line": 12, "speakers": '["Dana"]', "teams": '["sales", "unknown"]'},
        "turns": '[[10, 11, "Dana"], [12, 12, null]]',
    }
    assert (
        codec.passage_from_stored(passage.id, metadata, codec.fields_written_before(passage.text, written_before))
        == passage
    )
    assert codec.touches_team(back, "sales") and not codec.touches_team(back, "unknown")
    assert codec.passage_turns(back) == [
        Turn(speaker="Dana", text="We need SSO.", start_line=10, end_line=11),
        Turn(speaker=None, text="then offline mode", start_line=12, end_line=12),
    ]


def test_records_insights_and_flags_come_back_as_written():
    record = MeetingRecord(
        meeting_id="m1",
        title="Pricing council",
        date="2026-10-02",
        attendees=["Dana"],
        speaker_teams={"Dana": "sales"},
        source="council.md",
        format="markdown",
        version="abc",
        passages=2,
        turns=3,
        ingested_at="2026-10-02T00:00:00+00:00",
    )
    assert codec.record_from_metadata(codec.record_metadata(record)) == record
    insight = Insight(
        **ONE_INSIGHT, kind="finding", statement="Vega wants euros", quote="annual billing in euros", meeting_id="m1"
    )
    metadata = codec.insight_metadata(insight, "run1", "abc")
    assert metadata["run"] == "run1" and codec.insight_from_metadata(metadata) == insight
    side = FlagSide(kind="finding", text="t", quote="q", source="s.md", start_line=1, end_line=1, key="k")
    flag = one_flag("f1", "team_conflict", [side, side])
    assert codec.flag_from_document(codec.flag_document(flag)) == flag
    metadata = codec.flag_metadata(flag)
    assert (metadata["type"], metadata["status"]) == ("team_conflict", "open")
    assert codec.flag_from_stored(None, metadata) == flag
    # a flag written before (its JSON as the document) reads as it was; the packed one comes first
    assert codec.flag_from_stored(codec.flag_document(flag), {"type": "team_conflict", "status": "open"}) == flag
    stale = codec.flag_document(flag.model_copy(update={"status": "resolved"}))
    assert codec.flag_from_stored(stale, metadata) == flag


def test_a_long_value_is_packed_in_parts_and_read_back_whole():
    import random

    words = random.Random(7).choices(["export", "sso", "renewal", "fleet", "café", "onboarding"], k=400_000)
    text = " ".join(f"{w}{i % 977}" for i, w in enumerate(words))
    packed = codec.pack(text)
    assert packed["parts"] > 1 and all(len(packed[f"z{n}"]) <= codec.PART for n in range(packed["parts"]))
    assert codec.unpack(packed) == text
    assert sum(len(packed[f"z{n}"]) for n in range(packed["parts"])) < 0.5 * len(text.encode())
    # a rewrite with fewer parts leaves old parts behind, which `parts` tells to ignore
    assert codec.unpack({**packed, **codec.pack("short")}) == "short"
    assert codec.unpack({"key": "roster"}) is None and codec.unpack(codec.pack("")) == ""


def test_a_flag_document_is_compact_and_one_written_before_still_reads():
    import json

    from synth.check.flags import insight_key

    insight = Insight(
        **ONE_INSIGHT,
        kind="request",
        statement="Café owners want “exports” of their orders",
        quote="We really need exports, the café can't work without them.",
        meeting_id="m9",
    )
    heard = FlagSide(
        kind="request",
        text=insight.statement,
        quote=insight.quote,
        meeting_id="m9",
        source="council.md",
        start_line=7,
        end_line=7,
        key=insight_key(insight),
    )
    vision = FlagSide(
        kind="vision",
        text="No exports this year",
        quote="No exports this year",
        section="non-goals",
        source="vision.md",
        start_line=9,
        end_line=9,
        key="vision|non_goals|no exports this year",
    )
    flag = one_flag("f2", "vision_conflict", [heard, vision])
    written_before = json.dumps(flag.model_dump())  # the layout of stores written until now
    document = codec.flag_document(flag)
    assert codec.flag_from_document(written_before) == codec.flag_from_document(document) == flag
    assert len(document.encode()) < 0.7 * len(written_before.encode())
    sides = json.loads(document)["sides"]
    assert "key" not in sides[0] and "quote" not in sides[1] and sides[1]["key"] == vision.key
    assert "null" not in document and '": ' not in document and "Café" in document


def one_flag(flag_id: str, flag_type: str, sides: list[FlagSide]) -> Flag:
    return Flag(
        id=flag_id,
        type=flag_type,
        sides=sides,
        explanation="e",
        confidence=0.5,
        checker="offline",
        created_at="2026-10-02T00:00:00+00:00",
        updated_at="2026-10-02T00:00:00+00:00",
    )
