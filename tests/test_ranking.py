"""Hybrid ranking (synth/retriever.py's ranking function) on hand-made candidates: no store, no model."""

from __future__ import annotations

import numpy as np
import pytest
from testkit import meeting_record as record

from synth.chunker import passage_id
from synth.models import MeetingRecord
from synth.retriever import REACH, _rank
from synth.store import DenseHit


def dense_hit(r: MeetingRecord, index: int, similarity: float) -> DenseHit:
    return DenseHit(passage_id(r.meeting_id, r.version, index), r.version, index, similarity)


def test_nothing_in_scope_ranks_nothing():
    assert _rank([], [], None, limit=10) == []
    assert _rank([record("empty", 0)], [], None, limit=10) == []


def test_the_limit_caps_the_candidates_and_every_passage_appears_at_most_once():
    a, b = record("alpha", 8), record("beta", 8)
    dense = [dense_hit(a, i, 0.2 + i / 100) for i in range(8)] + [dense_hit(b, i, 0.3) for i in range(8)]
    ranked = _rank([a, b], dense, None, limit=5)
    assert len(ranked) == 5 and len({c.id for c in ranked}) == 5
    everything = _rank([a, b], dense, None, limit=100)
    assert len(everything) == 16
    assert [c.id for c in everything[:5]] == [c.id for c in ranked]


def test_candidates_carry_their_own_signals_and_version():
    a = record("alpha", 4)
    ranked = _rank([a], [dense_hit(a, 1, 0.7)], np.array([0, 0, 3.5, 0]), limit=4)
    by_id = {c.id: c for c in ranked}
    one, two = by_id[passage_id("alpha", a.version, 1)], by_id[passage_id("alpha", a.version, 2)]
    assert (one.dense, one.lexical) == (0.7, None)
    assert (two.dense, two.lexical) == (None, 3.5)
    assert {c.version for c in ranked} == {a.version}
    assert max(c.score for c in ranked) == 1.0 and all(0 < c.score <= 1.0 for c in ranked)


def test_the_spread_stays_inside_a_meeting():
    """A strong last passage of one meeting lifts its own neighbour, not the next meeting's first passage."""
    a, b = record("alpha", 4), record("beta", 4)
    dense = [dense_hit(a, 3, 0.9)] + [dense_hit(a, i, 0.1) for i in range(3)] + [dense_hit(b, i, 0.1) for i in range(4)]
    ranked = _rank([a, b], dense, None, limit=8)
    score = {c.id: c.score for c in ranked}
    lifted, across = score[passage_id("alpha", a.version, 2)], score[passage_id("beta", b.version, 0)]
    assert ranked[0].id == passage_id("alpha", a.version, 3)
    assert lifted > across
    assert across == pytest.approx(score[passage_id("beta", b.version, 3)])  # beta's passages all alike


def test_a_match_reaches_only_so_far():
    size = 3 * REACH + 3
    a = record("alpha", size)
    dense = [dense_hit(a, 0, 0.9)] + [dense_hit(a, i, 0.1) for i in range(1, size)]
    score = {c.id: c.score for c in _rank([a], dense, None, limit=100)}
    # passages whose whole neighbourhood is inside the meeting and past the match's reach
    beyond = [score[passage_id("alpha", a.version, i)] for i in range(REACH + 1, size - REACH)]
    near = [score[passage_id("alpha", a.version, i)] for i in range(1, REACH + 1)]
    assert all(x > y for x, y in zip(near, near[1:]))  # the lift falls with distance
    assert min(near) > max(beyond)
    assert max(beyond) == pytest.approx(min(beyond))  # past REACH the lone match adds nothing


def test_a_passage_beyond_the_dense_candidates_counts_with_their_lowest_similarity():
    a, b, c = record("alpha", 1), record("beta", 1), record("gamma", 1)
    ranked = _rank([a, b, c], [dense_hit(a, 0, 0.2), dense_hit(c, 0, 0.5)], None, limit=3)
    score = {r.id.split(":")[0]: r.score for r in ranked}
    assert score["gamma"] == 1.0
    assert score["beta"] == pytest.approx(score["alpha"]) and score["beta"] < 1.0


def test_one_convolution_and_a_partial_sort_rank_as_a_convolution_per_meeting_and_a_full_sort():
    from synth.retriever import SPREAD, _best, _spread

    rng = np.random.default_rng(7)
    sizes = [0, 1, 3, 12, 40, 2, 0, 25]
    weight = rng.choice([0.2, 0.5, 1.0], size=sum(sizes))  # few values: many ties
    kernel = np.exp(-np.abs(np.arange(-REACH, REACH + 1)) / SPREAD)
    starts = np.cumsum([0, *sizes])
    expected = np.concatenate(
        [np.convolve(weight[a:b], kernel)[REACH : REACH + b - a] for a, b in zip(starts, starts[1:]) if b > a]
    )
    spread = _spread(weight, sizes)
    assert np.allclose(spread, expected, rtol=0, atol=1e-12)
    for limit in (1, 5, 17, 83, 200):
        assert _best(expected, limit).tolist() == np.argsort(-expected, kind="stable")[:limit].tolist()
