"""Chroma replays every write not yet flushed into a collection's index on each new write: the
collections of small records with big values (settings, flags, cache) and the meetings flush
sooner (store/core.py's SYNC_THRESHOLD), in a new store and in one made before, which a writer
tunes and a reader leaves as it is."""

from __future__ import annotations

import shutil
import sqlite3

from testkit import EXAMPLES

from synth.app import Synth
from synth.config import Settings
from synth.store.core import CONFIG, FLAGS, MEETINGS, PASSAGES, SYNC_THRESHOLD


def thresholds(app: Synth, write: bool) -> dict[str, int | None]:
    with app._session(write=write):
        store = app.store(create=False)
        collections = {CONFIG: store._config, MEETINGS: store._meetings, FLAGS: store._flags, PASSAGES: store._passages}
        return {name: (c.configuration.get("hnsw") or {}).get("sync_threshold") for name, c in collections.items()}


def queued(folder, collection_id: str) -> int:
    """The writes of a collection Chroma has not flushed into its index yet (its log's rows)."""
    with sqlite3.connect(f"file:{folder}/chroma.sqlite3?mode=ro", uri=True) as db:
        return db.execute(
            "select count(*) from embeddings_queue where topic like ?", (f"%{collection_id}",)
        ).fetchone()[0]


def test_the_settings_flags_and_meetings_flush_soon_in_a_new_store_and_in_one_a_writer_opens(tmp_path):
    folder = tmp_path / "meetings"
    folder.mkdir()
    shutil.copy(EXAMPLES / "meetings" / "2026-09-08-product-sync.md", folder)
    location = tmp_path / "store"
    app = Synth(Settings(store=location, offline=True))
    assert app.ingest([str(folder)]).meetings == 1
    tuned = {CONFIG: 10, MEETINGS: 100, FLAGS: 10, PASSAGES: 1000}
    assert {name: SYNC_THRESHOLD.get(name, 1000) for name in tuned} == tuned
    assert thresholds(app, write=False) == tuned

    # a store made before: the collections with Chroma's default
    with app._session(write=True):
        store = app.store()
        for collection in (store._config, store._meetings, store._flags):
            collection.modify(configuration={"hnsw": {"sync_threshold": 1000, "batch_size": 100}})
        config_id = str(store._config.id)
    app = Synth(Settings(store=location, offline=True))
    assert thresholds(app, write=False) == {name: 1000 for name in tuned}  # a reader changes nothing
    thresholds(app, write=True)  # a writer sets them
    app = Synth(Settings(store=location, offline=True))  # Chroma uses them from the next opening
    assert thresholds(app, write=False) == tuned

    # what it is for: a dozen writes of settings leave at most a few unflushed, not all of them
    with app._session(write=True):
        store = app.store()
        for n in range(30):
            store.settings.set_value("tuning-test", {"n": n, "padding": "x" * 5000})
    assert queued(location, config_id) <= SYNC_THRESHOLD[CONFIG]
    with app._session(write=False):
        assert app.store(create=False).settings.value("tuning-test")["n"] == 29
