"""The check finds partners through nearest-neighbour queries: the pairs and themes it finds do not
depend on how many neighbours it asks for, it reads far fewer vectors than the store holds for
one new meeting, and the store's query gives the neighbours an exact search over memory gives."""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest
from testkit import EXAMPLES

from synth.check import CheckInputs, CheckState, insight_item, run_check
from synth.check import candidates as candidates_module
from synth.check.candidates import candidate_pairs
from synth.check.items import Lexicon
from synth.check.neighbours import MemoryVectors, Nearest, Scope
from synth.check.themes import unheard_themes
from synth.models import Insight

TOPICS = ["offline mode", "quickbooks sync", "enterprise fleets", "invoice printing", "route planning", "sso login"]
PEOPLE = ["Northside", "Keller", "Julia", "Omar"]
TEAMS = ["engineering", "sales", "product", "design", "customer"]
KINDS = ["finding", "roadblock", "assumption", "decision", "request", "promise", "action"]
SAYINGS = ["{p} says {t} is needed", "{t} does not work for {p}", "we assume {t} is fine", "{p} asked about {t} again"]


def world(meetings: int, per_meeting: int, seed: int = 7) -> tuple[list[Insight], list[list[float]]]:
    """Insights on a few topics (vectors near the topic's direction, words shared by topic and
    person), one meeting a week, with their unit vectors."""
    rng = random.Random(seed)
    axes = [[rng.gauss(0, 1) for _ in range(12)] for _ in TOPICS]
    insights, vectors = [], []
    for m in range(meetings):
        for k in range(per_meeting):
            t = rng.randrange(len(TOPICS))
            person = rng.choice(PEOPLE)
            text = rng.choice(SAYINGS).format(p=person, t=TOPICS[t])
            insights.append(
                Insight(
                    id=f"i{k}",
                    kind=rng.choice(KINDS),
                    statement=text,
                    quote=text,
                    team=rng.choice(TEAMS),
                    meeting_id=f"m{m:03d}",
                    title=f"Meeting {m}",
                    date=f"2026-{1 + m // 28:02d}-{1 + m % 28:02d}",
                    source=f"m{m:03d}.md",
                    start_line=k + 1,
                    end_line=k + 1,
                    confidence=0.9,
                    extractor="offline",
                )
            )
            raw = [a + rng.gauss(0, 0.9) for a in axes[t]]
            norm = math.sqrt(sum(x * x for x in raw))
            vectors.append([x / norm for x in raw])
    return insights, vectors


class Counting(MemoryVectors):
    """Exact neighbours from memory, counting the vectors handed out."""

    def __init__(self, insights, vectors):
        super().__init__(insights, vectors)
        self.read = 0

    def vectors(self, positions):
        self.read += len(positions)
        return super().vectors(positions)

    def matrix(self, positions):
        self.read += len(positions)
        return super().matrix(positions)

    def nearest(self, vectors, n, scope) -> list[Nearest]:
        found = super().nearest(vectors, n, scope)
        self.read += sum(len(near.positions) for near in found)
        return found


def pairs_found(insights, vectors, new_meetings: set[str]) -> tuple[list[tuple[str, float]], int]:
    source = Counting(insights, vectors)
    items = [insight_item(i, []) for i in insights]
    new = [item for item in items if item.insight.meeting_id in new_meetings]
    pairs = candidate_pairs(new, items, [], 3, [], source)
    return [(p.key, round(p.similarity, 6)) for p in pairs], source.read


def test_the_shared_word_bonus_adds_what_a_loop_over_postings_adds():
    insights, vectors = world(10, 8)
    items = [insight_item(i, v) for i, v in zip(insights, vectors)]
    lexicon = Lexicon(items)
    for item in items[:20]:
        expected = np.zeros(len(items), dtype=np.float32)
        for term in item.reading.terms:
            for k in lexicon.index.get(term, ()):
                expected[k] += 0.1 * lexicon.weight.get(term, 0.0)
        assert np.array_equal(lexicon.bonus(item), expected)
        assert lexicon.bonus(item).max() > 0  # it shares words with itself at least


def test_a_block_of_many_columns_has_the_numbers_of_one_bonus_per_row():
    """`related_block` over many columns adds the words a term position at a time over all rows:
    each number is bit for bit what the bonus of its row, capped and added to the cosine, gives."""
    insights, vectors = world(12, 8)
    items = [insight_item(i, v) for i, v in zip(insights, vectors)]
    lexicon = Lexicon(items)
    matrix = np.asarray(vectors, dtype=np.float32)
    rows, columns = list(range(0, 60, 3)), list(range(5, 90))
    block = lexicon.related_block(matrix, rows, columns)
    sims = matrix[rows] @ matrix[columns].T
    for r, i in enumerate(rows):
        bonus = lexicon.bonus(items[i])[columns]
        assert np.array_equal(block[r], np.minimum(1.0, sims[r] + np.minimum(bonus, 0.25)))
    assert (block > sims).any()  # some pairs share words


@pytest.mark.parametrize("neighbours", [1, 4])
def test_pairs_do_not_depend_on_how_many_neighbours_are_asked_for(monkeypatch, neighbours):
    insights, vectors = world(30, 8)
    newest = {"m028", "m029"}
    everything, _ = pairs_found(insights, vectors, newest)
    monkeypatch.setattr(candidates_module, "NEIGHBOURS", neighbours)
    few, _ = pairs_found(insights, vectors, newest)
    assert everything  # the world has pairs to find
    assert {k.split("|")[0] for k, _ in everything} >= {"team", "assumption"}
    assert few == everything


def test_one_new_meeting_reads_a_few_vectors_not_the_store(monkeypatch):
    monkeypatch.setattr(candidates_module, "NEIGHBOURS", 5)
    insights, vectors = world(80, 8)
    pairs, read = pairs_found(insights, vectors, {"m079"})
    assert pairs
    assert read < len(insights) / 4, f"{read} vectors read of {len(insights)}"


def themes_of(items, touching=None):
    themes, linked = unheard_themes(items, [], touching)
    return sorted(tuple(m.key for m in t.members) for t in themes), linked.looked_at


def test_unheard_themes_are_the_same_read_from_a_source_as_from_vectors():
    insights, vectors = world(12, 8)
    items = [insight_item(i, v) for i, v in zip(insights, vectors)]
    everything = themes_of(items)
    new = [i for i in items if i.insight.meeting_id == "m011"]
    touched = themes_of(items, new)
    assert everything[0]  # the world has themes
    source = Counting(insights, vectors)
    bare = [insight_item(i, []) for i in insights]  # vectors read from the source, in one request
    themes, linked = unheard_themes(bare, [], [i for i in bare if i.insight.meeting_id == "m011"], source)
    assert (sorted(tuple(m.key for m in t.members) for t in themes), linked.looked_at) == touched
    assert source.read == sum(1 for i in insights if i.kind in ("request", "roadblock"))
    # the groups a new meeting touches are among all groups
    assert set(touched[0]) <= set(everything[0])


def test_run_check_gives_the_same_flags_from_a_source_as_from_vectors():
    insights, vectors = world(20, 8)
    runs = {i.meeting_id: f"r-{i.meeting_id}" for i in insights}
    state = CheckState(runs={m: r for m, r in runs.items() if m != "m019"})

    def check(source):
        return run_check(
            CheckInputs(
                insights=insights, vectors=source, runs=runs, vision=None, vision_vectors=[], flags=[], state=state
            ),
            now="2026-10-01T09:00:00+00:00",
        )

    from_vectors = check(vectors)
    source = Counting(insights, vectors)
    from_source = check(source)
    assert from_vectors.report.pairs > 0
    assert [f.model_dump() for f in from_source.put] == [f.model_dump() for f in from_vectors.put]
    assert from_source.report.pairs == from_vectors.report.pairs
    assert source.read > 0  # the check read through the source


def test_a_scope_holds_kinds_teams_and_dates():
    insights, _ = world(3, 8)
    scope = Scope(("finding", "request"), ("sales",), first_date="2026-01-02", last_date="2026-01-02")
    held = [i for i in insights if scope.holds(i)]
    assert all(i.kind in ("finding", "request") and i.team == "sales" and i.date == "2026-01-02" for i in held)
    expected = [
        i for i in insights if i.kind in ("finding", "request") and i.team == "sales" and i.meeting_id == "m001"
    ]
    assert held == expected
    assert not [i for i in insights if Scope(("finding",), ()).holds(i)]  # no team: nothing


# --- the store's nearest-neighbour query ---------------------------------------------------------


@pytest.mark.slow
def test_the_store_gives_the_neighbours_an_exact_search_gives(example_app):
    from synth.store.insights import VisibleInsights

    store = example_app.store(create=False)
    visible = VisibleInsights(store.insights, store.meetings.records())
    vectors = visible.vectors(range(len(visible.insights)))
    memory = MemoryVectors(visible.insights, vectors)
    teams = sorted({i.team for i in visible.insights})
    scopes = [
        Scope(("finding", "request", "roadblock")),
        Scope(("finding", "assumption", "decision"), tuple(teams[:2])),
        Scope(("finding", "roadblock", "decision", "request"), first_date="2026-09-22"),
        Scope(("assumption",), last_date="2026-09-29"),
        Scope(("finding",), ()),
    ]
    for scope in scopes:
        for n in (1, 5, 500):
            got = visible.nearest(vectors[:12], n, scope)
            expected = memory.nearest(vectors[:12], n, scope)
            assert [g.positions for g in got] == [e.positions for e in expected], (scope, n)
            for g, e in zip(got, expected):
                # the store cannot tell a scope of exactly n from a larger one: its floor may be higher
                assert g.floor == pytest.approx(e.floor, abs=1e-5) or (e.floor == -1.0 and len(g.positions) == n)
                assert np.allclose(g.cosines, e.cosines, atol=1e-5)
    assert visible.queries > 0 and visible.neighbours > 0


@pytest.mark.slow
def test_the_check_through_the_store_raises_what_the_check_over_every_vector_raises(example_app, tmp_path):
    from synth.inputs import check_inputs

    example_app.set_vision(EXAMPLES / "vision.md")
    store = example_app.store(create=False)
    inputs = check_inputs(store)
    every = [*inputs.vectors.vectors(range(len(inputs.insights)))]  # type: ignore[union-attr]
    for everything in (False, True):
        state = CheckState(vision=inputs.state.vision, runs={m: r for m, r in inputs.runs.items() if "10-08" not in m})
        through_store = run_check(
            dataclasses.replace(inputs, flags=[], state=state), everything=everything, now="2026-10-01T09:00:00+00:00"
        )
        in_memory = run_check(
            dataclasses.replace(inputs, vectors=every, flags=[], state=state),
            everything=everything,
            now="2026-10-01T09:00:00+00:00",
        )
        assert through_store.put, everything
        assert [f.model_dump() for f in through_store.put] == [f.model_dump() for f in in_memory.put]
        assert through_store.report.pairs == in_memory.report.pairs


# --- terms kept between checks -------------------------------------------------------------------


def test_a_check_keeps_the_terms_it_read_and_the_next_reads_only_the_new_insights(monkeypatch):
    from synth.check import items as items_module

    insights, vectors = world(60, 8)
    runs = {i.meeting_id: f"r-{i.meeting_id}" for i in insights}
    earlier = [i for i in insights if i.meeting_id != "m059"]

    def check(insights_now, terms, state):
        return run_check(
            CheckInputs(
                insights=insights_now,
                vectors=[vectors[insights.index(i)] for i in insights_now],
                runs={m: r for m, r in runs.items() if any(i.meeting_id == m for i in insights_now)},
                vision=None,
                vision_vectors=[],
                flags=[],
                state=state,
                terms=terms,
            ),
            now="2026-10-01T09:00:00+00:00",
        )

    first = check(earlier, (), CheckState())
    assert len(first.terms) == len(earlier)  # it read them all, and keeps them
    kept = {(i.meeting_id, i.id): terms for i, terms in first.terms}
    reads = []
    real_read = items_module.read
    monkeypatch.setattr(items_module, "read", lambda *a, **k: reads.append(a) or real_read(*a, **k))
    given = [kept.get((i.meeting_id, i.id)) for i in insights]
    second = check(insights, given, first.state)
    new = [i for i in insights if i.meeting_id == "m059"]
    assert {(i.meeting_id, i.id) for i, _ in second.terms} == {(i.meeting_id, i.id) for i in new}
    # the new insights, and the sides of the pairs the judge reads: not the store
    assert len(new) <= len(reads) <= len(new) + 2 * second.report.pairs < len(insights) / 2
    reads.clear()
    without = check(insights, [None] * len(insights), first.state)
    assert len(reads) >= len(insights) - len(new)  # nothing kept: every insight read again
    stale = check(insights, [("another reader", t[1]) if t else None for t in given], first.state)
    for result in (without, stale):
        assert [f.model_dump() for f in result.put] == [f.model_dump() for f in second.put]
        assert result.report.pairs == second.report.pairs
    assert second.put  # the new meeting raises flags


def test_unheard_groups_kept_by_the_last_check_give_the_themes_of_linking_everything(monkeypatch):
    """A check keeps the groups of requests and roadblocks; the next one links only its new
    insights (and what is left of a group that lost one) to the others, and finds the themes,
    the groups looked at and the groups kept that linking every insight finds."""
    insights, vectors = world(24, 8)
    insights = [i.model_copy(update={"id": f"{i.meeting_id}:{i.id}"}) for i in insights]  # ids as a store's
    items = [insight_item(i, v) for i, v in zip(insights, vectors)]
    new = [i for i in items if i.insight.meeting_id == "m023"]
    old = [i for i in items if i.insight.meeting_id != "m023"]
    _, before = unheard_themes(old, [], [])
    assert before.groups and before.looked_at == set()  # nothing touched: no group looked at

    def grouped(linked):
        return sorted(sorted(g) for g in linked.groups)

    rows: list[int] = []
    bonus = Lexicon.bonus
    monkeypatch.setattr(Lexicon, "bonus", lambda self, item: rows.append(1) or bonus(self, item))
    themes, linked = unheard_themes(items, [], new, earlier=before.groups)
    walked = len(rows)
    monkeypatch.undo()
    scratch_themes, scratch = unheard_themes(items, [], new)
    assert [[m.key for m in t.members] for t in themes] == [[m.key for m in t.members] for t in scratch_themes]
    assert themes and linked.looked_at == scratch.looked_at and grouped(linked) == grouped(scratch)
    themed = [i for i in new if i.insight.kind in ("request", "roadblock")]
    assert walked <= len(themed) < len(scratch.looked_at)  # only the new rows were linked
    # a meeting extracted again (or forgotten) takes its insights out of their groups: what is left
    # of those groups is linked again, and the groups are those of linking every insight left
    gone = max(before.groups, key=len)[0].split(":")[0]
    left = [i for i in items if i.insight.meeting_id != gone]
    _, again = unheard_themes(left, [], [i for i in left if i.insight.meeting_id == "m023"], earlier=linked.groups)
    _, whole = unheard_themes(left, [], [i for i in left if i.insight.meeting_id == "m023"])
    assert grouped(again) == grouped(whole) and again.looked_at >= whole.looked_at
