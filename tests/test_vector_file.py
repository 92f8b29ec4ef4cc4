"""The file of insight vectors beside a store folder's database (synth/store/vectors.py): what a
read of every insight with its vector takes from it equals what Chroma gives, a file that does
not hold together is never trusted, and it keeps no meeting that was forgotten."""

from __future__ import annotations

import numpy as np
import pytest
from testkit import example_meetings

from synth.app import Synth
from synth.config import Settings
from synth.store import vectors


def rows_of(store, records):
    return [
        (r.id, r.insight.model_dump_json(), r.kept_terms, r.vector)
        for r in store.insights.visible_with_vectors(records)
    ]


def same_rows(a, b) -> bool:
    return len(a) == len(b) and all(
        x[:3] == y[:3] and x[3].dtype == y[3].dtype == np.float32 and np.array_equal(x[3], y[3]) for x, y in zip(a, b)
    )


def chroma_rows(store, records, folder):
    """The rows as read from Chroma alone: the file moved aside for the read, then put back."""
    path = vectors.path_of(folder)
    aside = path.with_name("aside.bin")
    path.rename(aside)
    try:
        return rows_of(store, records)
    finally:
        aside.replace(path)


def test_blocks_appended_are_read_back_and_the_stale_runs_go_when_they_are_most_of_the_file(tmp_path):
    rng = np.random.default_rng(7)

    def block(run: str, n: int) -> vectors.Block:
        return vectors.Block([f"{run}:i{k}" for k in range(n)], rng.standard_normal((n, 384)).astype(np.float32))

    a, b, c = block("a", 3), block("b", 2), block("c", 4)
    vectors.append(tmp_path, {"a": a, "b": b})
    kept = vectors.load(tmp_path)
    assert list(kept.blocks) == ["a", "b"] and kept.end == vectors.path_of(tmp_path).stat().st_size
    assert kept.blocks["a"].ids == a.ids and np.array_equal(kept.blocks["a"].vectors, a.vectors)
    vectors.append(tmp_path, {"c": c}, end=kept.end)  # added without reading the file again
    kept = vectors.load(tmp_path)
    assert list(kept.blocks) == ["a", "b", "c"] and np.array_equal(kept.blocks["c"].vectors, c.vectors)

    # a torn tail (a write cut short) ends the read there; the next writer cuts it off
    path = vectors.path_of(tmp_path)
    whole = path.read_bytes()
    path.write_bytes(whole[:-40])
    assert list(vectors.load(tmp_path).blocks) == ["a", "b"]
    d = block("d", 1)
    vectors.append(tmp_path, {"d": d}, end=kept.end)  # the file no longer ends there: read again
    assert list(vectors.load(tmp_path).blocks) == ["a", "b", "d"]

    # a changed byte in a block's vectors fails its checksum: that block and what follows are not used
    data = bytearray(path.read_bytes())
    data[len(data) - 8] ^= 0xFF
    path.write_bytes(bytes(data))
    assert list(vectors.load(tmp_path).blocks) == ["a", "b"]

    # not one of ours: nothing is read, and a writer starts the file again
    path.write_bytes(b"PK\x03\x04 something else entirely")
    assert vectors.load(tmp_path) == vectors.Kept({}, 0)
    vectors.append(tmp_path, {"a": a})
    assert list(vectors.load(tmp_path).blocks) == ["a"]

    # the runs still shown are kept, the others dropped, when asked to
    vectors.append(tmp_path, {"b": b, "c": c})
    vectors.append(tmp_path, {"d": d}, keep={"c"})
    kept = vectors.load(tmp_path)
    assert list(kept.blocks) == ["c", "d"] and np.array_equal(kept.blocks["d"].vectors, d.vectors)


@pytest.mark.slow
def test_every_insight_read_with_its_vector_from_the_file_equals_chromas_and_a_forgotten_meeting_leaves_it(tmp_path):
    folder = example_meetings(
        tmp_path / "meetings", "2026-09-08-product-sync.md", "2026-09-10-sales-pipeline-review.md"
    )
    location = tmp_path / "store"
    app = Synth(Settings(store=location, offline=True))
    assert app.ingest([str(folder)]).meetings == 2
    with app._session(write=False):
        store = app.store(create=False)
        records = store.meetings.records()
        runs = {r.extraction_run for r in records if r.extraction_run}
        kept = vectors.load(location)  # the ingest's check read every insight: the file holds each run
        assert set(kept.blocks) == runs
        for run, block in kept.blocks.items():
            assert set(block.ids) == set(store.insights._packs([run])[run].rows)
            got = store._insights.get(ids=block.ids, include=["embeddings"])
            by_id = dict(zip(got["ids"], got["embeddings"]))
            assert np.array_equal(block.vectors, np.asarray([by_id[i] for i in block.ids], dtype=np.float32))
        from_file = rows_of(store, records)
        assert from_file and same_rows(from_file, chroma_rows(store, records, location))

        # a block whose ids are not its run's is not used: those vectors come from Chroma; a
        # reader adds nothing to the file (a writer's forget may remove it meanwhile)
        path = vectors.path_of(location)
        run = sorted(runs)[0]
        wrong = vectors.Block(kept.blocks[run].ids[1:], kept.blocks[run].vectors[1:] + 1.0)
        path.unlink()
        vectors.append(location, {r: b for r, b in kept.blocks.items() if r != run} | {run: wrong})
        assert same_rows(rows_of(store, records), from_file)
        assert vectors.load(location).blocks[run].ids == wrong.ids
    with app._session(write=True):  # a writer adds the run it read whole
        assert same_rows(rows_of(app.store(), records), from_file)
        assert set(vectors.load(location).blocks[run].ids) == set(kept.blocks[run].ids)

    # a changed meeting: its new run is added
    changed = folder / "2026-09-08-product-sync.md"
    changed.write_text(changed.read_text() + "\nDana: One more thing: the export must keep the filters.\n")
    assert app.ingest([str(changed)]).meetings == 1
    with app._session(write=False):
        store = app.store(create=False)
        records = store.meetings.records()
        now = {r.extraction_run for r in records if r.extraction_run}
        assert now <= set(vectors.load(location).blocks) and now != runs
        assert same_rows(rows_of(store, records), chroma_rows(store, records, location))

    # forgotten: no block names the meeting, and the rest is as Chroma has it
    gone = next(r for r in records if r.source.endswith("product-sync.md"))
    app.forget(gone.meeting_id)
    kept = vectors.load(location)
    assert gone.meeting_id.encode() not in vectors.path_of(location).read_bytes()
    assert all(gone.meeting_id not in i for b in kept.blocks.values() for i in b.ids)
    with app._session(write=False):
        store = app.store(create=False)
        records = store.meetings.records()
        assert set(kept.blocks) == {r.extraction_run for r in records if r.extraction_run}
        assert same_rows(rows_of(store, records), chroma_rows(store, records, location))
