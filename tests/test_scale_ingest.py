"""Ingest at scale: embedding batches that span files, an embedder that does not embed a text
twice, MiniLM's vectors served to other machines over HTTP, and several ingests draining one
folder into a Chroma server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fakes import HashEmbedder, MemoryStore
from testkit import EXAMPLES

from synth.chunker import embedding_text
from synth.embeddings import Embedder
from synth.errors import ModelError
from synth.ingest import EMBED_SPAN, Ingestor, expand_paths
from synth.models import IngestReport
from synth.readers import ReadOptions


class CountingEmbedder(HashEmbedder):
    """HashEmbedder that records the texts of each call to the model."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        return super().embed_batch(texts)


class RecordingStore(MemoryStore):
    """MemoryStore whose meetings repository records each commit."""

    def __init__(self) -> None:
        super().__init__()
        self.commits: list[str] = []
        write = self.meetings.write_version

        def recorded(record, *args, **kwargs):
            write(record, *args, **kwargs)
            self.commits.append(record.meeting_id)

        self.meetings.write_version = recorded  # type: ignore[method-assign]


def meetings_folder(folder: Path, copies: int) -> Path:
    folder.mkdir(parents=True)
    for n in range(copies):
        for source in sorted((EXAMPLES / "meetings").iterdir()):
            shutil.copy(source, folder / f"{source.stem}-{n}{source.suffix}")
    return folder


def test_an_embedder_does_not_embed_a_text_again():
    embedder = CountingEmbedder()
    before = Embedder.calls
    first = embedder.embed(["alpha one", "beta two", "alpha one"])
    assert [sorted(b) for b in embedder.batches] == [["alpha one", "beta two"]] and Embedder.calls - before == 2
    second = embedder.embed(["beta two", "gamma three"])
    assert embedder.batches[1:] == [["gamma three"]] and Embedder.calls - before == 3
    assert first[0] == first[2] == embedder.vector("alpha one") and second[0] == first[1]
    assert second[1] == embedder.vector("gamma three")


def test_a_folder_is_embedded_across_files_and_each_meeting_committed_alone(tmp_path):
    folder = meetings_folder(tmp_path / "meetings", 2)
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    report = IngestReport()
    files = expand_paths([str(folder)], report)
    store, embedder = RecordingStore(), CountingEmbedder()
    Ingestor(store, embedder, ReadOptions()).ingest(files, report)

    assert report.meetings == 20 and report.failed == 1
    assert [line.split(":")[0] for line in report.errors] == [str(folder / "broken.json")]
    assert sorted(store.commits) == sorted(report.stored) and len(set(store.commits)) == 20
    # the model saw batches mixing several meetings: fewer calls than one a meeting would need
    per_meeting_calls = sum(-(-(r.passages + 1) // embedder.batch) for r in store.meetings.records())
    assert len(embedder.batches) < per_meeting_calls
    for record in store.meetings.records():  # each stored passage has its own text's vector
        rows = store.meetings._passages.where(lambda m, wanted=record.meeting_id: m["meeting_id"] == wanted)
        assert len(rows) == record.passages
        for _, text, _, vector in rows:
            assert list(vector) == pytest.approx(embedder.vector(embedding_text(text)))


def test_an_ingest_stops_at_a_store_failure_keeping_the_meetings_committed_before(tmp_path):
    folder = meetings_folder(tmp_path / "meetings", 1)
    store, embedder = RecordingStore(), CountingEmbedder()
    write = store.meetings.write_version

    def failing_third(record, *args, **kwargs):
        if len(store.commits) == 2:
            raise OSError(28, "No space left on device")
        write(record, *args, **kwargs)

    store.meetings.write_version = failing_third  # type: ignore[method-assign]
    report = IngestReport()
    with pytest.raises(OSError):
        Ingestor(store, embedder, ReadOptions()).ingest(expand_paths([str(folder)], report), report)
    assert len(store.commits) == 2 and len(store.meetings.records()) == 2


def serving(embedder: Embedder):
    """An embedding server on a free loopback port, answering from a thread; (server, its /v1 URL)."""
    from synth.embed_server import make_server

    server = make_server("127.0.0.1", 0, embedder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/v1"


def test_an_endpoint_that_does_not_serve_minilm_is_named_and_its_key_never_shown(monkeypatch):
    from synth import redact
    from synth.embeddings import get_embedder

    # secrets other tests registered in this process (a loopback webhook URL among them) would
    # mask pieces of this endpoint's URL too
    monkeypatch.setattr(redact, "_SECRETS", set())

    server, url = serving(HashEmbedder(dimensions=16))
    try:
        remote = get_embedder(url=url, url_key="sk-embed-secret-0123456789")
        with pytest.raises(ModelError) as caught:
            remote.embed(["a meeting about pricing"])
    finally:
        server.shutdown()
        server.server_close()
    message = str(caught.value)
    assert str(server.server_port) in message and "does not serve all-MiniLM-L6-v2" in message
    assert "sk-embed-secret" not in message


def test_the_server_refuses_another_model_and_a_bad_request():
    import urllib.error
    import urllib.request

    server, url = serving(HashEmbedder())
    try:
        answers = []
        for body in (b'{"model": "text-embedding-3-small", "input": "x"}', b'{"input": []}', b"not json"):
            request = urllib.request.Request(f"{url}/embeddings", data=body, method="POST")
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=10)
            answers.append((caught.value.code, json.loads(caught.value.read())["error"]["message"]))
    finally:
        server.shutdown()
        server.server_close()
    assert [code for code, _ in answers] == [400, 400, 400]
    assert "serves all-MiniLM-L6-v2" in answers[0][1] and "non-empty list" in answers[1][1]


@pytest.mark.slow
def test_minilm_served_over_http_gives_the_local_vectors_and_the_same_search(example_app, tmp_path):
    import numpy as np

    from synth.app import Synth
    from synth.config import Settings
    from synth.embeddings import MiniLMEmbedder
    from synth.roster import load_roster

    served = MiniLMEmbedder()  # the real model behind real HTTP
    server, url = serving(served)
    try:
        query = "technicians losing signal offline"
        texts = [query, *(h.text for h in example_app.search(query, k=8))]
        asked: list[str] = []
        compute = served.embed_batch
        served.embed_batch = lambda batch: asked.extend(batch) or compute(batch)  # type: ignore[method-assign]
        remote = np.array(Synth(Settings(store=tmp_path / "s", embeddings_url=url)).embedder.embed(texts))
        assert sorted(asked) == sorted(set(texts))  # computed by the server
        local = np.array(MiniLMEmbedder().embed(texts))
        assert (remote * local).sum(axis=1).min() > 0.9999

        store = tmp_path / "remote-store"
        app = Synth(Settings(store=store, embeddings_url=url))
        options = ReadOptions(roster=load_roster(EXAMPLES / "roster.yaml"))
        report = app.ingest([str(EXAMPLES / "meetings")], options, extract=False)
        assert report.meetings == 10 and report.failed == 0
        for searcher in (app, Synth(Settings(store=store))):  # the store reads the same without the server
            hits = searcher.search(query, k=10)
            expected = example_app.search(query, k=10)
            assert [(h.source, h.start_line) for h in hits] == [(h.source, h.start_line) for h in expected]
            assert [h.score for h in hits] == pytest.approx([h.score for h in expected], abs=1e-3)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_a_meeting_another_worker_stored_after_this_one_read_it_is_not_stored_again(tmp_path):
    """Workers on a server: another worker stores a meeting, and drops its claim, between this
    worker's reading the file (not stored then) and its claim; the claim finds it stored."""
    store = MemoryStore()
    store.server = True  # type: ignore[misc]  # as on a Chroma server: claims are taken
    embedder = HashEmbedder()
    source = sorted((EXAMPLES / "meetings").iterdir())[0]
    files = expand_paths([str(source)], IngestReport())
    first = Ingestor(store, embedder, ReadOptions())
    read = first._read_safely

    def read_then_another_stores_it(item, report, stdin):
        meeting = read(item, report, stdin)
        Ingestor(store, embedder, ReadOptions()).ingest(expand_paths([str(source)], IngestReport()), IngestReport())
        return meeting

    first._read_safely = read_then_another_stores_it  # type: ignore[method-assign]
    report = IngestReport()
    first.ingest(files, report)
    assert report.stored == [] and report.unchanged == 1, report
    assert len(store.meetings.records()) == 1 and store.meetings.pending_writes() == []


def test_two_workers_that_mark_the_same_meeting_at_once_store_it_once_and_leave_no_claim(monkeypatch):
    """Workers on a server: two mark their claims on one meeting at the same moment (both marks
    are in before either looks), so each sees the other's: both step back, and after a random
    pause one goes on; the other finds its claim, or the meeting stored."""
    from synth import ingest as ingest_module

    monkeypatch.setattr(ingest_module, "CLAIM_BACKOFF", (0.01, 0.2))
    store = RecordingStore()
    store.server = True  # type: ignore[misc]  # as on a Chroma server: claims are taken
    embedder = HashEmbedder()
    source = sorted((EXAMPLES / "meetings").iterdir())[0]
    both_looked, both_marked = threading.Barrier(2, timeout=10), threading.Barrier(2, timeout=10)
    mark = store.meetings.mark_pending
    first_marks: list[str] = []

    def mark_together(meeting_id, version, owner):
        first = len(first_marks) < 2
        if first:  # each worker's first mark: both found no claim, and both mark before either looks
            first_marks.append(owner)
            both_looked.wait()
        mark(meeting_id, version, owner)
        if first:
            both_marked.wait()

    store.meetings.mark_pending = mark_together  # type: ignore[method-assign]
    reports = [IngestReport(), IngestReport()]
    workers = [
        threading.Thread(
            target=lambda r=r: Ingestor(store, embedder, ReadOptions()).ingest(
                expand_paths([str(source)], IngestReport()), r
            )
        )
        for r in reports
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(first_marks) == 2 and first_marks[0] != first_marks[1]
    assert store.commits == [store.meetings.records()[0].meeting_id]  # stored once
    assert sorted(len(r.stored) for r in reports) == [0, 1]
    other = next(r for r in reports if not r.stored)
    assert other.unchanged == 1 or any("left to it" in w for w in other.warnings), other
    assert store.meetings.pending_writes() == []


def test_two_ingests_drain_one_folder_into_a_chroma_server_storing_each_meeting_once(tmp_path):
    from conftest import ChromaServer, assert_each_meeting_once_and_complete

    from synth.config import Settings

    # more passages than one embedding batch (EMBED_SPAN): a worker claims what it has read before
    # it embeds, so a queue that fits in one batch could be claimed whole by the first to start
    copies = EMBED_SPAN // 22 + 2  # the ten examples hold 22 texts to embed
    folder = meetings_folder(tmp_path / "meetings", copies)
    server = ChromaServer(tmp_path / "chroma")
    try:
        command = [sys.executable, "-m", "synth", "--chroma-url", server.url, "--offline"]
        files = sorted(str(f) for f in folder.iterdir())
        # the same queue from both ends, so that the workers meet in the middle whatever their start
        workers = [
            subprocess.Popen(
                [*command, "ingest", "--no-extract", "--json", *order],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            for order in (files, files[::-1])
        ]
        outputs = [worker.communicate(timeout=900) for worker in workers]
        assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outputs]
        reports = [json.loads(out) for out, _ in outputs]
        stored = [set(r["stored"]) for r in reports]
        assert not stored[0] & stored[1], "a meeting was stored by both workers"
        assert len(stored[0] | stored[1]) == 10 * copies and all(stored), [len(s) for s in stored]
        records = assert_each_meeting_once_and_complete(
            Settings(store=tmp_path / "unused", chroma_url=server.url, offline=True)
        )
        assert {r.meeting_id for r in records} >= stored[0] | stored[1]
    finally:
        server.stop()


def test_minilm_pools_over_a_texts_own_tokens_only():
    """The tokenizer file pads every text to 128 tokens; MiniLM's mean must not count them."""
    from synth.embeddings import MiniLMEmbedder

    tokenizer = MiniLMEmbedder()._tokenizer
    assert [len(e.ids) for e in tokenizer.encode_batch(["Engineering standup", "a b c d e f"])] == [5, 8]
