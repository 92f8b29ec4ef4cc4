"""The lexicon file beside a store folder (synth/store/lexicon.py): what it holds, that nothing
in it is used unchecked, and that a search reads it instead of every meeting's postings while
giving the same results."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from testkit import meeting_record

from synth.app import Synth
from synth.config import Settings
from synth.lexical import LexicalIndex, build_postings
from synth.store import lexicon
from synth.store.meetings import MeetingRepo

TEXTS = {
    "a" * 16: ["Okta single sign-on for fleets", "pricing page, pricing tiers", "", "routing okta okta"],
    "b" * 16: ["fleet routing", "SSO with Okta", "billing"],
}
QUERIES = ["okta pricing", "fleet routing", "billing sso", "nothing here"]


def saved(token: str | None = "t1") -> lexicon.Saved:
    index = LexicalIndex.of({v: build_postings(t) for v, t in TEXTS.items()})
    records = [meeting_record(f"{v[0]}-meeting", len(t)) for v, t in TEXTS.items()]
    return lexicon.Saved(token, records, 7, index)


def test_a_saved_index_loads_memory_mapped_and_scores_the_same(tmp_path):
    original = saved()
    lexicon.save(tmp_path, original)
    back = lexicon.load(tmp_path)
    assert back is not None
    assert (back.token, back.passages, back.records) == ("t1", 7, original.records)
    assert isinstance(back.lexical.passages.base, np.memmap)  # read from the mapped file, not copied
    for query in QUERIES:
        assert back.lexical.scores(query) == original.lexical.scores(query)
    assert oct((tmp_path / lexicon.FILE).stat().st_mode & 0o777) == "0o600"


def test_no_file_or_an_unwritable_folder_is_no_index_and_no_error(tmp_path):
    assert lexicon.load(tmp_path) is None
    lexicon.save(tmp_path / "missing", saved())
    assert not (tmp_path / "missing").exists()


def corrupt(path, at: int, value: bytes) -> None:
    data = bytearray(path.read_bytes())
    data[at : at + len(value)] = value
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["magic", "truncated", "passage out of range", "header", "records"])
def test_a_damaged_file_is_ignored(tmp_path, damage):
    lexicon.save(tmp_path, saved())
    path = tmp_path / lexicon.FILE
    if damage == "magic":
        corrupt(path, 0, b"x")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-40])
    elif damage == "passage out of range":
        # the last array is the counts; the one before it, the passages: the last passage of all
        # postings sits just before the (padded) counts
        data = path.read_bytes()
        postings = len(saved().lexical.passages)
        counts_bytes = -(-postings * 4 // 8) * 8
        at = len(data) - counts_bytes - (-(-postings * 4 // 8) * 8) + (postings - 1) * 4
        corrupt(path, at, (10**6).to_bytes(4, "little"))
    elif damage == "header":
        corrupt(path, len(lexicon.MAGIC) + 8, b"[")
    else:
        short = saved()
        lexicon.save(tmp_path, short._replace(records=short.records[:1]))
    assert lexicon.load(tmp_path) is None


@pytest.fixture
def counted(monkeypatch) -> dict[str, list]:
    """The meeting ids whose postings a search reads, and how many times it reads every record."""
    calls: dict[str, list] = {"postings": [], "records": []}
    postings, records = MeetingRepo.postings, MeetingRepo.records

    def counted_postings(self, meeting_ids):
        calls["postings"].extend(meeting_ids)
        return postings(self, meeting_ids)

    def counted_records(self):
        calls["records"].append(1)
        return records(self)

    monkeypatch.setattr(MeetingRepo, "postings", counted_postings)
    monkeypatch.setattr(MeetingRepo, "records", counted_records)
    return calls


def results(app: Synth) -> list[list[tuple]]:
    return [[(h.meeting_id, h.start_line, h.score) for h in app.search(q, k=8)] for q in ("Okta", "offline mode")]


@pytest.mark.slow
def test_a_new_process_reads_the_file_not_the_postings_and_gets_the_same_results(example_app, tmp_path, counted):
    store = example_app.settings.store
    assert (store / lexicon.FILE).exists()  # written by the ingest
    fresh = Synth(Settings(store=store))
    from_file = results(fresh)
    assert counted == {"postings": [], "records": []}
    (store / lexicon.FILE).unlink()
    rebuilt = results(Synth(Settings(store=store)))
    assert len(counted["postings"]) == 10 and counted["records"] == [1]
    assert rebuilt == from_file
    assert (store / lexicon.FILE).exists()  # written again by that search, for the next process


@pytest.mark.slow
def test_a_stale_file_is_only_a_base_the_new_meeting_is_read_and_found(example_app, tmp_path, counted):
    store = example_app.settings.store
    old = tmp_path / "old-lexicon"
    shutil.copy(store / lexicon.FILE, old)
    note = tmp_path / "new.md"
    note.write_text("---\ntitle: Quokka pricing\ndate: 2026-11-20\n---\n\n**Dana:** The quokkapricing tier ships.\n")
    example_app.ingest([str(note)], extract=False)
    shutil.copy(old, store / lexicon.FILE)  # as if the ingest had kept no file: its token is older
    counted["postings"].clear()
    hits = Synth(Settings(store=store)).search("quokkapricing", k=3)
    assert hits[0].title == "Quokka pricing"
    assert len(counted["postings"]) == 1  # only the new meeting's postings were read
    assert lexicon.load(store).token == example_app.store().meetings.change_token()
