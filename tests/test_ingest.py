"""Ingest into the real Chroma store with the real embedding model."""

from __future__ import annotations

import os
import shutil

import pytest
from testkit import DATA, EXAMPLES

from synth.app import Synth
from synth.config import Settings
from synth.embeddings import Embedder
from synth.errors import StoreVersionError
from synth.readers import ReadOptions

NOTE = (
    "---\ntitle: Pricing council\ndate: 2026-10-02\nteam: sales\n---\n\n"
    "Dana: Vega Labs wants annual billing in euros.\n\n"
    "Tom (Engineering): Euro invoices need the new tax engine.\n"
)


@pytest.mark.slow
def test_unchanged_files_are_skipped_without_any_embedding(example_app):
    options = ReadOptions(roster=_example_roster())  # the options the example store was built with
    before = Embedder.calls
    again = example_app.ingest([str(EXAMPLES / "meetings")], options)
    assert (again.files, again.unchanged, again.meetings, again.failed) == (10, 10, 0, 0)
    assert Embedder.calls == before
    # a different option (here the roster) is a different reading of the same bytes
    changed = example_app.ingest([str(EXAMPLES / "meetings" / "2026-09-10-sales-pipeline-review.md")])
    assert changed.meetings == 1 and changed.passages > 0


def _example_roster():
    from synth.roster import load_roster

    return load_roster(EXAMPLES / "roster.yaml")


@pytest.mark.slow
def test_a_changed_file_replaces_its_meeting(app, tmp_path):
    note = tmp_path / "council.md"
    note.write_text(NOTE)
    first = app.ingest([str(note)])
    assert first.meetings == 1 and first.passages == 1
    note.write_text(NOTE.replace("annual billing in euros", "quarterly billing in yen"))
    second = app.ingest([str(note)])
    assert second.meetings == 1
    records = app.meetings()
    assert len(records) == 1
    assert app.store().meetings.count_passages() == records[0].passages
    assert app.search("quarterly billing yen", k=3)[0].text.count("yen") == 1
    assert not any("euros" in h.text for h in app.search("annual billing euros", k=5))


@pytest.mark.slow
def test_an_interrupted_ingest_leaves_exactly_one_complete_version(app, tmp_path, monkeypatch):
    note = tmp_path / "council.md"
    note.write_text(NOTE)
    app.ingest([str(note)])
    old = app.meetings()[0]
    note.write_text(NOTE.replace("annual billing in euros", "quarterly billing in yen"))
    store = app.store()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies between writing passages and the commit

    monkeypatch.setattr(store.meetings, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        app.ingest([str(note)])
    monkeypatch.undo()
    # the new passages exist on disk but are invisible: the old version is what search sees
    assert store.meetings.count_passages() == 2 * old.passages
    fresh = Synth(app.settings)
    assert [r.version for r in fresh.meetings()] == [old.version]
    assert all("yen" not in h.text for h in fresh.search("quarterly billing in yen", k=5))
    # a re-run completes the new version and removes the old one
    report = fresh.ingest([str(note)])
    assert report.meetings == 1
    assert fresh.store().meetings.count_passages() == fresh.meetings()[0].passages
    assert "yen" in fresh.search("quarterly billing in yen", k=1)[0].text


@pytest.mark.slow
def test_first_ingest_interrupted_is_invisible_and_cleaned_up(app, tmp_path, monkeypatch):
    note = tmp_path / "council.md"
    note.write_text(NOTE)
    store = app.store()
    monkeypatch.setattr(store.meetings, "commit", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        app.ingest([str(note)])
    monkeypatch.undo()
    fresh = Synth(app.settings)
    assert fresh.meetings() == [] and fresh.search("annual billing", k=3) == []
    other = tmp_path / "other.md"
    other.write_text("Ana: Something else entirely about onboarding.\n")
    fresh.ingest([str(other)])  # any later ingest removes the orphaned passages
    assert fresh.store().meetings.count_passages() == 1


@pytest.mark.slow
def test_a_directory_with_some_bad_files_stores_the_good_ones(app, tmp_path):
    folder = tmp_path / "notes"
    shutil.copytree(DATA / "bad", folder)
    shutil.copy(DATA / "good" / "utf16.txt", folder / "utf16.txt")
    (folder / "picture.png").write_bytes(b"\x89PNG")
    os.symlink(folder / "missing.md", folder / "dangling.md")
    report = app.ingest([str(folder)])
    assert report.meetings == 1
    bad_files = {p.name for p in (DATA / "bad").iterdir() if p.suffix != ".xyz"} | {"dangling.md"}
    assert report.failed == len(bad_files)
    for name in bad_files:
        assert sum(name in line for line in report.errors) == 1, name
    assert report.ignored == 2  # picture.png and notes.xyz: not a type synth reads


@pytest.mark.slow
def test_nothing_stored_before_is_touched_by_a_failing_ingest(example_app):
    before = [(r.meeting_id, r.version) for r in example_app.meetings()]
    count = example_app.store().meetings.count_passages()
    report = example_app.ingest([str(DATA / "bad")])
    assert report.failed > 0 and report.meetings == 0
    assert [(r.meeting_id, r.version) for r in example_app.meetings()] == before
    assert example_app.store().meetings.count_passages() == count


@pytest.mark.slow
def test_forget_removes_a_meeting_and_its_passages(example_app):
    record, removed, _ = example_app.forget("Design research readout")
    assert removed == record.passages > 0
    assert record.meeting_id not in {r.meeting_id for r in example_app.meetings()}
    assert all(h.meeting_id != record.meeting_id for h in example_app.search("drag-and-drop whiteboard", k=10))


@pytest.mark.slow
def test_store_from_an_incompatible_version_gets_a_clear_message(example_store, tmp_path):
    import chromadb

    path = tmp_path / "old"
    shutil.copytree(example_store, path)
    client = chromadb.PersistentClient(
        path=str(path), settings=chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
    )
    client.get_collection("synth_passages").modify(metadata={"synth_schema": 99, "embedding": "all-MiniLM-L6-v2"})
    del client
    with pytest.raises(StoreVersionError, match="schema 99.*reads schema 2"):
        Synth(Settings(store=path)).meetings()


@pytest.mark.slow
def test_store_folder_is_private(app, tmp_path):
    if app.settings.chroma_url:
        pytest.skip("a Chroma server keeps its own files")
    note = tmp_path / "n.md"
    note.write_text("Ana: private notes about a customer.\n")
    app.ingest([str(note)])
    assert os.stat(app.settings.store).st_mode & 0o077 == 0


def _fingerprint(folder):
    import hashlib

    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith("synth-")
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "damage, expected",
    [
        ("truncate", "is truncated"),
        ("garbage", "is not a SQLite database"),
        ("empty", "is empty"),
        ("delete", "is missing"),
    ],
)
def test_a_damaged_store_gets_a_clear_message_and_no_further_damage(example_store, tmp_path, damage, expected):
    from click.testing import CliRunner

    from synth.cli import cli

    path = tmp_path / "store"
    shutil.copytree(example_store, path)
    database = path / "chroma.sqlite3"
    if damage == "truncate":
        database.write_bytes(database.read_bytes()[: database.stat().st_size // 3])
    elif damage == "garbage":
        database.write_bytes(b"\x00garbage" * 1000)
    elif damage == "empty":
        database.write_bytes(b"")
    else:
        database.unlink()
    before = _fingerprint(path)
    note = tmp_path / "new.md"
    note.write_text("Ana: A new note.\n")
    for args in (
        ["meetings"],
        ["search", "offline"],
        ["ask", "what is blocked?"],
        ["status"],
        ["ingest", str(note)],
        ["brief"],
        ["flags"],
        ["forget", "x"],
    ):
        result = CliRunner().invoke(cli, ["--store", str(path), "--offline", *args], catch_exceptions=False)
        assert result.exit_code == 1, (args, result.output)
        assert expected in result.output and "is damaged" in result.output, (args, result.output)
        assert "Restore the folder from a backup" in result.output and "Traceback" not in result.output
    assert _fingerprint(path) == before  # synth changed nothing


@pytest.mark.slow
def test_the_same_text_in_two_files_is_two_meetings_found_under_their_own_sources(app, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "sync.md").write_text(
            "**Ana (sales):** Technicians lose signal in basements.\n\n"
            "**Bo (engineering):** Offline drafts are lost when the app dies.\n"
        )
    report = app.ingest([str(tmp_path / "a"), str(tmp_path / "b")])
    assert report.meetings == 2
    records = app.meetings()
    assert len({r.version for r in records}) == 2
    hits = app.search("technicians losing signal", k=4)
    assert sorted(h.source for h in hits) == sorted(r.source for r in records)
    assert len({(h.meeting_id, h.start_line) for h in hits}) == len(hits)


@pytest.mark.slow
def test_passage_texts_are_not_chroma_documents_and_read_back_as_the_file_says(app, tmp_path):
    """A passage's text and turns are kept packed in its meeting version's texts records (one per
    16 passages), not as a Chroma document (which Chroma keeps three times and indexes by trigrams)."""
    import math

    from synth.readers import read_meeting
    from synth.store.meetings import TEXTS, TEXTS_GROUP

    note = tmp_path / "council.md"
    turns = [
        f"{('Dana', 'Tom', 'Priya')[n % 3]}: Point {n} about the rollout of exports to fleet customers, " * 3
        for n in range(200)
    ]
    note.write_text(NOTE + "\n".join(turns) + "\nDana: The zanzibar renewal closes the meeting.\n")
    app.ingest([str(note)])
    store = app.store()
    (record,) = store.meetings.records()
    assert record.passages > 2 * TEXTS_GROUP  # the meeting spans several texts records
    assert store._passages.get(include=["documents"])["documents"] == [None] * record.passages
    assert store._meetings.get(include=["documents"])["documents"] == [""]  # the postings are packed too
    texts = store._config.get(where={"key": TEXTS}, include=[])["ids"]
    assert len(texts) == math.ceil(record.passages / TEXTS_GROUP)
    meeting = read_meeting(note.read_bytes(), str(note), ReadOptions())
    assert store.meetings.turns(record) == meeting.turns
    assert app.search("annual billing euros", k=1)[0].text.startswith("Dana: Vega Labs wants annual billing")
    assert "zanzibar renewal" in app.search("zanzibar renewal", k=1)[0].text  # the last group


def _write_as_before(store) -> None:
    """Rewrite a store as synth wrote it before its long texts were packed into metadata: each
    passage's text as its document and its turns in its metadata, each meeting's postings as its
    document, the settings as documents; no texts or postings records."""
    import json

    from fakes import fields_as_before

    from synth.store.meetings import POSTINGS, TEXTS

    with store.changing():
        for record in store.meetings.records():
            got = store._passages.get(where={"meeting_id": record.meeting_id}, include=["metadatas", "embeddings"])
            passages = store.meetings.passages(got["ids"])
            store._passages.upsert(
                ids=got["ids"],
                embeddings=[list(e) for e in got["embeddings"]],
                documents=[passages[i].text for i in got["ids"]],
                metadatas=[m | fields_as_before(passages[i]) for i, m in zip(got["ids"], got["metadatas"])],
            )
            store._meetings.update(
                ids=[record.meeting_id], documents=[store.meetings.postings([record.meeting_id])[record.version]]
            )
            store._config.delete(
                where={"$and": [{"key": {"$in": [TEXTS, POSTINGS]}}, {"meeting_id": record.meeting_id}]}
            )
        roster = store.settings.roster()
        store._config.delete(ids=["roster"])
        store._config.add(
            ids=["roster"], embeddings=[[1.0]], documents=[json.dumps(roster)], metadatas=[{"key": "roster"}]
        )


@pytest.mark.slow
def test_a_store_written_before_the_texts_were_packed_reads_as_it_did_and_takes_new_versions(example_app, tmp_path):
    store = example_app.store()
    records = store.meetings.records()
    turns = {r.meeting_id: store.meetings.turns(r) for r in records}
    roster = store.settings.roster()
    found = [(h.meeting_id, h.start_line, h.text) for h in example_app.search("calendar sync quota", k=5)]
    _write_as_before(store)
    assert all(d is not None for d in store._passages.get(include=["documents"])["documents"])
    assert {r.meeting_id: store.meetings.turns(r) for r in records} == turns
    assert store.settings.roster() == roster
    example_app._retriever = None  # a new process's search: the postings read again
    assert [(h.meeting_id, h.start_line, h.text) for h in example_app.search("calendar sync quota", k=5)] == found
    # the next ingest of a changed file writes that meeting in the new form; the others stay as they were
    changed = tmp_path / "council.md"
    shutil.copy(EXAMPLES / "meetings" / "2026-09-10-sales-pipeline-review.md", changed)
    report = example_app.ingest([str(changed)])
    assert report.meetings == 1
    (new,) = [r for r in example_app.meetings() if r.source.endswith("council.md")]
    assert store.meetings.turns(new) == [t for r in records if r.title == new.title for t in turns[r.meeting_id]]
    documents = {
        r.meeting_id: store._passages.get(where={"meeting_id": r.meeting_id}, include=["documents"])["documents"]
        for r in (new, records[0])
    }
    assert documents[new.meeting_id] == [None] * new.passages and None not in documents[records[0].meeting_id]
    record, removed, _ = example_app.forget(records[0].meeting_id)
    assert removed == records[0].passages > 0
    assert all(h.meeting_id != record.meeting_id for h in example_app.search("calendar sync quota", k=10))


@pytest.mark.slow
def test_a_writer_holds_the_records_it_writes_as_a_new_read_gives_them(app, tmp_path):
    """After each write of a meeting record (a commit, an extraction's record, a removal) the
    records a writer holds are those a new read gives, in the same order (two meetings alike in
    date and title in the store's); in a folder, whose writer lock it holds, they are not read
    again, on a server (other writers) they are."""
    from synth.store.meetings import MeetingRepo

    for name, day in (("b.md", "2026-10-02"), ("a.md", "2026-10-01"), ("c.md", "2026-10-02")):
        (tmp_path / name).write_text(f"---\ntitle: Sync\ndate: {day}\n---\n{NOTE}")
    app.ingest([str(tmp_path / n) for n in ("b.md", "a.md", "c.md")], extract=False)
    with app._session(write=True):
        store = app.store()
        repo = store.meetings
        reads: list[int] = []
        real_get = store._meetings.get

        def counted_get(*args, **kwargs):
            got = real_get(*args, **kwargs)
            if not kwargs.get("ids"):
                reads.append(len(got["ids"]))
            return got

        store._meetings.get = counted_get  # type: ignore[method-assign]

        def fresh() -> list[str]:
            return [r.model_dump_json() for r in MeetingRepo(store).records()]

        held = repo.records()
        assert [(r.date, r.source.rsplit("/", 1)[-1]) for r in held] == [
            ("2026-10-01", "a.md"),
            ("2026-10-02", "b.md"),
            ("2026-10-02", "c.md"),
        ]
        reads.clear()
        first = held[1]
        repo.update_record(first.model_copy(update={"extraction_run": "run-1", "insights": 2}))
        assert [r.model_dump_json() for r in repo.records()] == fresh()
        repo.commit(first.model_copy(update={"title": "Sync", "passages": 9}), app.embedder.embed(["t"])[0])
        assert [r.model_dump_json() for r in repo.records()] == fresh()
        assert repo.records()[1].extraction_run is None  # the new record's, not kept from the one it replaced
        repo.forget(held[0].meeting_id)
        now = repo.records()
        assert [r.model_dump_json() for r in now] == fresh()
        assert [r.meeting_id for r in now] == [held[1].meeting_id, held[2].meeting_id]
        assert now[0].passages == 9 and now[0].extraction_run is None
        own = len(reads) - 3  # the three fresh reads
        assert own == (3 if store.server else 0), reads
