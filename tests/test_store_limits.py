"""No request to the store passes the database's limit on values in one statement, whatever the
store's size: the repositories' real methods against a collection that refuses long lists (the
limit lowered to 3 values so that a few records stand for tens of thousands)."""

from __future__ import annotations

import pytest

from synth.models import Insight
from synth.store import codec, limits
from synth.store.insights import InsightRepo, pack_id
from synth.store.meetings import POSTINGS, MeetingRepo, texts_record_id, version_record_id

LIMIT = 3


def matches(where: dict | None, meta: dict) -> bool:
    if where is None:
        return True
    if "$and" in where:
        return all(matches(w, meta) for w in where["$and"])
    ((field, test),) = where.items()
    if not isinstance(test, dict):
        return meta.get(field) == test
    ((op, value),) = test.items()
    got = meta.get(field)
    return {
        "$in": lambda: got in value,
        "$nin": lambda: got not in value,
        "$gt": lambda: got is not None and got > value,
        "$lte": lambda: got is not None and got <= value,
    }[op]()


def values_in(where: dict | None) -> int:
    """How many values a filter binds (as SQLite would count its parameters, roughly)."""
    if where is None:
        return 0
    if "$and" in where:
        return sum(values_in(w) for w in where["$and"])
    ((_, test),) = where.items()
    if isinstance(test, dict):
        ((_, value),) = test.items()
        return len(value) if isinstance(value, list) else 1
    return 1


class Collection:
    """A Chroma collection that fails, as SQLite does, on a request with too many values."""

    def __init__(self, rows: dict[str, tuple[str, dict, list[float]]]):
        self.rows = rows
        self.requests = 0

    def _check(self, n: int) -> None:
        self.requests += 1
        if n > 2 * LIMIT + 2:
            raise RuntimeError(f"too many SQL variables ({n})")

    def get(self, ids=None, where=None, include=()):
        self._check(len(ids or []) + values_in(where))
        chosen = [(i, d, m, v) for i, (d, m, v) in self.rows.items() if (ids is None or i in ids) and matches(where, m)]
        return {
            "ids": [c[0] for c in chosen],
            "documents": [c[1] for c in chosen],
            "metadatas": [c[2] for c in chosen],
            "embeddings": [c[3] for c in chosen],
        }

    def query(self, query_embeddings, n_results, where=None, include=()):
        self._check(values_in(where))
        (vector,) = query_embeddings
        chosen = sorted(
            (
                (i, m, 1.0 - sum(a * b for a, b in zip(vector, v)))
                for i, (_, m, v) in self.rows.items()
                if matches(where, m)
            ),
            key=lambda c: c[2],
        )[:n_results]
        return {
            "ids": [[c[0] for c in chosen]],
            "metadatas": [[c[1] for c in chosen]],
            "distances": [[c[2] for c in chosen]],
        }


class Store:
    batch = LIMIT
    location = "test"
    server = True  # no folder: every vector is read from the collection (no file of vectors)

    def __init__(self, **collections: Collection):
        for name, collection in collections.items():
            setattr(self, f"_{name}", collection)


@pytest.fixture(autouse=True)
def low_limit(monkeypatch):
    monkeypatch.setattr(limits, "IN_LIMIT", LIMIT)


def an_insight(n: int) -> Insight:
    return Insight(
        id=f"m{n}:1",
        kind="request" if n % 2 else "roadblock",
        statement=f"Statement {n}.",
        quote=f"Statement {n}.",
        speaker="Dana",
        team="sales",
        meeting_id=f"m{n}",
        title=f"Meeting {n}",
        date="2026-09-01",
        source=f"m{n}.md",
        start_line=1,
        end_line=1,
        confidence=0.9,
        extractor="offline",
    )


def test_insight_lists_longer_than_the_limit_are_asked_in_slices():
    # runs 0-9 written now (slim records, the insights in one pack per run), 10-19 written before
    # (every field in the record's metadata, the statement as document): both read, in slices
    new = range(10)
    collection = Collection(
        {
            codec.insight_id(f"run{n}", i): (
                None if n in new else i.statement,
                (codec.insight_filter_metadata if n in new else codec.insight_metadata)(i, f"run{n}", f"v{n}"),
                [1.0, float(n)],
            )
            for n in range(20)
            for i in [an_insight(n)]
        }
    )
    config = Collection(
        {
            pack_id(f"run{n}"): (
                None,
                {"key": "insights", "meeting_id": f"m{n}", "run": f"run{n}", "version": f"v{n}"}
                | codec.pack(codec.insights_value([(codec.insight_id(f"run{n}", an_insight(n)), an_insight(n), None)])),
                [1.0],
            )
            for n in new
        }
    )
    repo = InsightRepo(Store(insights=collection, config=config))  # type: ignore[arg-type]
    runs = [f"run{n}" for n in range(20)]
    every = [an_insight(n) for n in range(20)]
    assert sorted(repo.query(runs), key=lambda i: i.meeting_id) == sorted(every, key=lambda i: i.meeting_id)
    got = repo.query(runs, kind="request", meeting_ids=[f"m{n}" for n in range(0, 20, 2)] + ["m1", "m13"])
    assert sorted(i.meeting_id for i in got) == ["m1", "m13"]
    assert sorted((v.run, v.vector[1]) for v in repo.with_vectors(runs)) == sorted((f"run{n}", n) for n in range(20))
    rows = repo.with_vector_rows(runs)
    assert [(r.insight, float(r.vector[1])) for r in rows] == [(i, float(n)) for n, i in enumerate(every)]
    assert collection.requests > 3 and config.requests > 3  # several requests, each under the limit


def test_meeting_and_passage_lists_longer_than_the_limit_are_asked_in_slices():
    # meetings 0-4 written now (texts and postings packed in config records), 5-9 written before
    # (as documents): both read, in slices
    new = range(5)
    meetings = Collection(
        {
            f"m{n}": ("" if n in new else f"postings {n}", {"version": f"v{n}", "meeting_id": f"m{n}"}, [1.0])
            for n in range(10)
        }
    )
    passages = Collection(
        {
            f"p{n}": (
                None if n in new else f"text {n}",
                {"version": f"v{n}", "meeting_id": f"m{n}", "index": 0, "start_line": 1, "end_line": 1}
                | {"date_ord": 700000 + n},
                [1.0, 0.0] if n == 7 else [0.0, 1.0],
            )
            for n in range(10)
        }
    )
    config = Collection(
        {
            key: (None, {"meeting_id": f"m{n}", "version": f"v{n}"} | packed, [1.0])
            for n in new
            for key, packed in (
                (texts_record_id(f"m{n}", f"v{n}", 0), codec.pack(f'[[0, "text {n}", 1, 1, [], [], [[1, 1, null]]]]')),
                (version_record_id(POSTINGS, f"m{n}", f"v{n}"), codec.pack(f"postings {n}")),
            )
        }
    )
    repo = MeetingRepo(Store(meetings=meetings, passages=passages, config=config))  # type: ignore[arg-type]
    assert repo.postings([f"m{n}" for n in range(10)]) == {f"v{n}": f"postings {n}" for n in range(10)}
    got = repo.passages([f"p{n}" for n in range(10)])
    assert {i: p.text for i, p in got.items()} == {f"p{n}": f"text {n}" for n in range(10)}
    assert config.requests > 2
    hits = repo.nearest([1.0, 0.0], [f"v{n}" for n in range(10)], 2)
    assert [h.version for h in hits][0] == "v7" and len(hits) == 2  # the nearest of all slices
    assert len(repo.similarities([1.0, 0.0], [f"p{n}" for n in range(10)])) == 10
    excluded = [f"m{n}" for n in range(9) if n != 7]
    dated = repo.nearest_dated([1.0, 0.0], "0001-01-01", "9999-12-31", excluded, 5)
    assert {h.version for h in dated} == {"v7", "v9"}


def test_meeting_records_are_read_again_only_when_the_change_token_moved():
    from testkit import meeting_record

    from synth.store.meetings import MEETINGS_CHANGED

    def record(n: int):
        return meeting_record(f"m{n}", 1)

    meetings = Collection({f"m{n}": ("", codec.record_metadata(record(n)), [1.0]) for n in range(2)})
    config = Collection({MEETINGS_CHANGED: ("t1", {"key": MEETINGS_CHANGED}, [1.0])})
    repo = MeetingRepo(Store(meetings=meetings, config=config))  # type: ignore[arg-type]
    first = repo.records()
    assert [r.meeting_id for r in first] == ["m0", "m1"] and meetings.requests == 1
    assert repo.records() == first and meetings.requests == 1  # the token has not moved: not read again
    meetings.rows["m2"] = ("", codec.record_metadata(record(2)), [1.0])
    config.rows[MEETINGS_CHANGED] = ("t2", {"key": MEETINGS_CHANGED}, [1.0])  # a writer moves it after writing
    assert [r.meeting_id for r in repo.records()] == ["m0", "m1", "m2"] and meetings.requests == 2
    del config.rows[MEETINGS_CHANGED]  # a store written before the token: read every time
    repo.records()
    repo.records()
    assert meetings.requests == 4
