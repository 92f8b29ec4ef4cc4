"""Synth end to end on the in-memory store (tests/fakes.py) and the hash embedder: no Chroma, no
model, no locks. Ingest -> extract (offline) -> check against a vision -> search -> brief -> flags."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import pytest
from fakes import HashEmbedder, MemoryStore

from synth.app import Synth
from synth.config import Settings
from synth.errors import NotFoundError
from synth.models import Passage
from synth.store import codec

SYNC = """---
title: Product sync
date: 2026-09-08
team: product
---

**Sam Ortiz:** We decided to build an enterprise tier with single sign-on for fleets of 500 technicians.

**Dana Whitfield:** Keller Mechanical is blocked because the Google Calendar sync fails on their account.

**Lena Fischer:** The mobile app works offline in basements, technicians told us it saved their day.
"""

STANDUP = """---
title: Engineering standup
date: 2026-09-10
team: engineering
---

**Tom Becker:** The invoice export to QuickBooks is broken for customers with more than ten thousand rows.

**Ana Silva:** We decided to ship the route optimizer to all accounts next Monday.
"""

VISION = """# Beacon vision

## Principles and non-goals

- Non-goal: enterprise fleets of more than 100 technicians, and the single sign-on they need.
- Works offline: a technician in a basement with no signal can still see and close jobs.
"""


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "sync.md").write_text(SYNC)
    (folder / "standup.md").write_text(STANDUP)
    (tmp_path / "vision.md").write_text(VISION)
    return folder


@pytest.fixture
def synth(tmp_path: Path, monkeypatch) -> Synth:
    """A Synth whose settings name a store folder it must never open; Chroma and the model
    runtime cannot even be imported while it runs."""
    for heavy in ("chromadb", "onnxruntime"):
        monkeypatch.setitem(sys.modules, heavy, None)
    settings = Settings(store=tmp_path / "never-opened", offline=True, auto_check=False)
    return Synth(settings, embedder=HashEmbedder(), store=MemoryStore())


def lines_of(source: str, start: int, end: int) -> str:
    lines = Path(source).read_text().splitlines()
    assert 1 <= start <= end <= len(lines), (source, start, end)
    return "\n".join(lines[start - 1 : end])


def test_ingest_extracts_insights_whose_quotes_are_on_the_lines_they_cite(synth, notes, tmp_path):
    report = synth.ingest([str(notes)])
    assert (report.files, report.meetings, report.failed) == (2, 2, 0)
    insights = synth.insights()
    assert {(i.kind, i.start_line) for i in insights if i.meeting_id.startswith("sync")} >= {
        ("decision", 7),
        ("roadblock", 9),
    }
    for insight in insights:
        assert insight.quote and insight.quote in lines_of(insight.source, insight.start_line, insight.end_line)
    assert synth.insights_stored() == len(insights)
    assert [r.title for r in synth.meetings()] == ["Product sync", "Engineering standup"]
    assert not (tmp_path / "never-opened").exists() and synth.session._locks is None  # no folder, no lock


def test_check_flags_the_contradiction_and_not_the_agreement(synth, notes, tmp_path):
    synth.ingest([str(notes)])
    vision, changed, report = synth.set_vision(tmp_path / "vision.md")
    assert changed and len(vision.statements) == 2 and report is not None
    flags = synth.flags()
    assert [f.type for f in flags] == ["vision_conflict"]
    insight_side, vision_side = flags[0].sides
    assert insight_side.text.startswith("We decided to build an enterprise tier")
    assert vision_side.text.startswith("Non-goal: enterprise fleets") and vision_side.start_line == 5
    # the offline-basements finding agrees with "works offline": no flag names it
    assert not any("offline" in side.text.lower() for f in synth.flags(status="all") for side in f.sides)
    again = synth.check(everything=True)
    assert again.new_flags == [] and [f.id for f in synth.flags()] == [flags[0].id]
    assert synth.set_vision(tmp_path / "vision.md")[1] is False  # the same vision is not a new version


def test_reingesting_an_unchanged_file_changes_nothing(synth, notes):
    synth.ingest([str(notes)])
    store = synth.store()
    before = (synth.meetings(), synth.insights(), store.meetings.count_passages())
    report = synth.ingest([str(notes)])
    assert (report.unchanged, report.meetings, report.passages) == (2, 0, 0)
    assert (synth.meetings(), synth.insights(), store.meetings.count_passages()) == before


def test_a_changed_file_replaces_its_passages_and_insights(synth, notes):
    synth.ingest([str(notes)])
    old = next(r for r in synth.meetings() if r.title == "Product sync")
    (notes / "sync.md").write_text(
        SYNC.replace(
            "Keller Mechanical is blocked because the Google Calendar sync fails on their account.",
            "The payment terminal integration is blocked because the vendor has not sent the keys.",
        )
    )
    report = synth.ingest([str(notes)])
    assert (report.meetings, report.unchanged) == (1, 1)
    new = next(r for r in synth.meetings() if r.title == "Product sync")
    assert new.meeting_id == old.meeting_id and new.version != old.version and len(synth.meetings()) == 2
    assert synth.store().meetings.passage_versions(new.meeting_id) == {new.version: new.passages}
    statements = [i.statement for i in synth.insights() if i.meeting_id == new.meeting_id]
    assert not any("Google Calendar" in s for s in statements)
    assert any("payment terminal" in s for s in statements)
    assert new.extraction_run and new.insights == len(statements)
    assert not any("Google Calendar" in hit.text for hit in synth.search("Google Calendar sync", k=5))


def test_search_finds_the_passage_that_says_it(synth, notes):
    synth.ingest([str(notes)])
    hits, searched = synth.search_with_count("QuickBooks invoice export broken", k=3)
    assert searched == 2
    assert hits[0].title == "Engineering standup" and "QuickBooks" in hits[0].text
    assert "QuickBooks" in lines_of(hits[0].source, hits[0].start_line, hits[0].end_line)
    assert synth.search("Keller Mechanical calendar")[0].title == "Product sync"
    assert synth.search("  ") == []


def test_a_search_rereads_the_meeting_records_only_after_they_change(synth, notes, monkeypatch):
    synth.ingest([str(notes / "sync.md")])
    meetings = synth.store().meetings
    reads = []
    records = meetings.records
    monkeypatch.setattr(meetings, "records", lambda: reads.append(1) or records())
    assert synth.search("Keller Mechanical calendar")[0].title == "Product sync"
    synth.search("enterprise tier")
    synth.search("offline basements")
    assert reads == []  # the ingest brought the index up to date; the change token says nothing changed since
    meetings.update_record(meetings.records()[0])  # a write that changes the token
    reads.clear()
    synth.search("enterprise tier")
    synth.search("route optimizer")
    assert len(reads) == 1  # read once after the change
    synth.ingest([str(notes / "standup.md")])  # a new meeting: the ingest updates the index itself
    reads.clear()
    assert synth.search("QuickBooks invoice export broken")[0].title == "Engineering standup"
    synth.search("route optimizer")
    assert reads == []
    synth.forget("Engineering standup")
    assert all(hit.title == "Product sync" for hit in synth.search("QuickBooks invoice export broken"))


def test_brief_sections_cite_real_lines(synth, notes, tmp_path):
    synth.ingest([str(notes)])
    synth.set_vision(tmp_path / "vision.md")
    brief = synth.brief(since=dt.date(2026, 9, 1), as_of=dt.date(2026, 9, 12), prose=False)
    sections = {s.key: s for s in brief.sections}
    assert [f.text for f in sections["roadblocks"].facts] != [] and sections["flags"].facts != []
    cites = [c for s in brief.sections for f in s.facts for c in f.cites]
    assert cites
    for cite in cites:
        text = lines_of(cite.source, cite.start_line, cite.end_line)
        assert not cite.speaker or cite.speaker in text
    roadblock = next(f for f in sections["roadblocks"].facts if "Google Calendar" in f.text)
    assert roadblock.text in lines_of(
        roadblock.cites[0].source, roadblock.cites[0].start_line, roadblock.cites[0].end_line
    )


def test_set_flag_status_by_prefix(synth, notes, tmp_path):
    synth.ingest([str(notes)])
    synth.set_vision(tmp_path / "vision.md")
    (flag,) = synth.flags()
    resolved = synth.set_flag_status(flag.id[:4].upper(), "resolved", note="enterprise tier dropped")
    assert (resolved.id, resolved.status, resolved.note) == (flag.id, "resolved", "enterprise tier dropped")
    assert synth.flags() == [] and [f.id for f in synth.flags(status="resolved")] == [flag.id]
    synth.check(everything=True)
    assert synth.flags() == []  # a resolved flag stays resolved when the check sees the pair again
    with pytest.raises(NotFoundError):
        synth.set_flag_status("zzzz", "dismissed")


def test_nearest_passages_keep_the_version_and_team_filters(synth, notes):
    synth.ingest([str(notes)], extract=False)
    meetings = synth.store().meetings
    by_title = {r.title: r for r in synth.meetings()}
    versions = [r.version for r in by_title.values()]
    vector = HashEmbedder().embed(["QuickBooks invoice export"])[0]
    hits = meetings.nearest(vector, versions, 5)
    assert [h.version for h in hits] == [by_title["Engineering standup"].version, by_title["Product sync"].version]
    assert hits[0].similarity > hits[1].similarity > -1
    assert [h.version for h in meetings.nearest(vector, versions, 5, team="product")] == [
        by_title["Product sync"].version
    ]
    assert meetings.nearest(vector, [by_title["Product sync"].version], 1)[0].id == hits[1].id
    assert meetings.nearest(vector, versions, 0) == [] and meetings.nearest(vector, [], 5) == []


def test_an_uncommitted_version_stays_invisible_and_an_interrupted_one_is_cleaned(synth, notes):
    """The in-memory store keeps the real protocol (store/meetings.py): passages written but not
    committed are invisible, and the next ingest removes what a dead write left behind."""
    synth.ingest([str(notes)], extract=False)
    store = synth.store()
    record = next(r for r in synth.meetings() if r.title == "Product sync")
    stray = "f" * 64
    passage = Passage(
        id=codec.passage_id(record.meeting_id, stray, 0),
        meeting_id=record.meeting_id,
        version=stray,
        index=0,
        text="Zed: the zeppelin hangar lease is signed.",
        start_line=7,
        end_line=7,
        speakers=["Zed"],
        teams=[],
        turns=[(7, 7, "Zed")],
    )
    store.meetings.mark_pending(record.meeting_id, stray, "elsewhere:1:dead")  # a write that died
    store.meetings.write_passages([passage], HashEmbedder().embed([passage.text]), record)
    assert store.meetings.passage_versions(record.meeting_id) == {record.version: record.passages, stray: 1}
    assert synth.store().meetings.version_of(record.meeting_id) == record.version
    assert not any("zeppelin" in hit.text for hit in synth.search("zeppelin hangar lease", k=10))
    (notes / "late.md").write_text(STANDUP.replace("Engineering standup", "Late standup"))
    synth.ingest([str(notes / "late.md")], extract=False)  # any ingest finishes interrupted writes first
    assert store.meetings.passage_versions(record.meeting_id) == {record.version: record.passages}
    assert store.meetings.pending_writes() == []
    removed = synth.forget(record.meeting_id)[1]
    assert removed == record.passages and store.meetings.passage_versions(record.meeting_id) == {}
    assert "Product sync" not in [r.title for r in synth.meetings()]


def _scenario(synth: Synth, notes: Path, vision: Path) -> str:
    """What a run of the commands shows, without the times at which it ran."""
    (notes / "sync.md").write_text(SYNC)
    (notes / "standup.md").write_text(STANDUP)
    seen: list = [synth.ingest([str(notes)]).model_dump(exclude={"warnings"})]
    seen.append(synth.set_vision(vision)[2].model_dump(exclude={"new_flags"}))
    (notes / "sync.md").write_text(SYNC.replace("Google Calendar sync fails", "payment terminal has no keys"))
    seen.append(synth.ingest([str(notes)]).model_dump(exclude={"warnings"}))
    seen.append([r.model_dump(exclude={"ingested_at"}) for r in synth.meetings()])
    seen.append([i.model_dump() for i in synth.insights()])
    seen.append([f.model_dump(exclude={"created_at", "updated_at"}) for f in synth.flags(status="all")])
    for query in ("QuickBooks invoice export", "Keller Mechanical", "route optimizer Monday"):
        seen.append([(h.meeting_id, h.start_line, h.end_line, round(h.score, 3)) for h in synth.search(query)])
    brief = synth.brief(since=dt.date(2026, 9, 1), as_of=dt.date(2026, 9, 12), prose=False)
    seen.append([(s.key, [(f.text, [c.model_dump() for c in f.cites]) for f in s.facts]) for s in brief.sections])
    return re.sub(r"-\d{20}\b", "-<time>", json.dumps(seen, indent=1))  # extraction runs are named by time


@pytest.mark.slow
def test_the_memory_store_behaves_as_chroma_does(tmp_path, notes):
    """The same commands on the in-memory store and on a real Chroma folder show the same things."""
    settings = Settings(store=tmp_path / "chroma", offline=True, auto_check=False)
    on_chroma = _scenario(Synth(settings, embedder=HashEmbedder()), notes, tmp_path / "vision.md")
    in_memory = _scenario(Synth(settings, embedder=HashEmbedder(), store=MemoryStore()), notes, tmp_path / "vision.md")
    assert (tmp_path / "chroma").is_dir()
    assert in_memory == on_chroma
