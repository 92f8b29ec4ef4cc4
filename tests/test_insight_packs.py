"""Insights packed per extraction run (synth/store/insights.py) in the real store: each run's
insights and the terms a check kept are in one config record, each insight's own record keeps
only what a read filters on, and a run's pack comes and goes with the run."""

from __future__ import annotations

import pytest
from testkit import example_meetings

from synth.app import Synth
from synth.config import Settings
from synth.store import codec
from synth.store.insights import PACK, pack_id


def packs_of(store) -> dict[str, str]:
    """Every pack in the store: run -> meeting."""
    got = store._config.get(where={"key": PACK}, include=["metadatas"])
    return {m["run"]: m["meeting_id"] for m in got["metadatas"]}


@pytest.mark.slow
def test_each_run_is_one_pack_with_the_checks_terms_and_slim_records(tmp_path):
    folder = example_meetings(
        tmp_path / "meetings", "2026-09-08-product-sync.md", "2026-09-10-sales-pipeline-review.md"
    )
    app = Synth(Settings(store=tmp_path / "store", offline=True))
    assert app.ingest([str(folder)]).meetings == 2
    with app._session(write=False):
        store = app.store(create=False)
        records = store.meetings.records()
        runs = {r.meeting_id: r.extraction_run for r in records if r.extraction_run}
        assert len(runs) == 2 and packs_of(store) == {run: meeting for meeting, run in runs.items()}
        got = store._insights.get(include=["metadatas", "documents"])
        assert got["ids"] and all(d is None for d in got["documents"])  # no statement as document
        assert all(codec.is_packed_insight(m) and "quote" not in m for m in got["metadatas"])
        visible = store.insights.visible(records)
        # the ingest's check kept each insight's terms, in its run's pack
        assert len(visible) == len(got["ids"]) and all(row.kept_terms for row in visible)
        with_vectors = store.insights.visible_with_vectors(records)
        assert sorted((r.id, r.insight.model_dump_json(), r.kept_terms) for r in with_vectors) == sorted(
            (r.id, r.insight.model_dump_json(), r.kept_terms) for r in visible
        )
        assert all(r.vector is not None and r.vector.shape == (384,) for r in with_vectors)
        some = next(r for r in records if r.source.endswith("product-sync.md"))
        before = store.insights.query([some.extraction_run])
        assert before and all(i.meeting_id == some.meeting_id and i.statement and i.quote for i in before)

    # a changed meeting: a new run with a pack of its own, the old run's pack gone with its records
    changed = folder / "2026-09-08-product-sync.md"
    changed.write_text(changed.read_text() + "\nDana: One more thing: the export must keep the filters.\n")
    assert app.ingest([str(changed)]).meetings == 1
    with app._session(write=False):
        store = app.store(create=False)
        now = {r.meeting_id: r.extraction_run for r in store.meetings.records() if r.extraction_run}
        packs = packs_of(store)
        assert now[some.meeting_id] != some.extraction_run and len(packs) == 2
        assert some.extraction_run not in packs and packs[now[some.meeting_id]] == some.meeting_id
        assert store._config.get(ids=[pack_id(some.extraction_run)])["ids"] == []

    app.forget(some.meeting_id)
    with app._session(write=False):
        store = app.store(create=False)
        assert list(packs_of(store).values()) == [r.meeting_id for r in records if r.meeting_id != some.meeting_id]
        assert store._insights.get(where={"meeting_id": some.meeting_id}, include=[])["ids"] == []
