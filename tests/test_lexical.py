"""BM25 over per-meeting postings (synth/lexical.py): tokens, postings, scores."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from synth.lexical import K1, B, LexicalIndex, build_postings, stem, tokenize


@pytest.mark.parametrize(
    "word, expected",
    [
        ("exports", "export"),
        ("companies", "company"),
        ("syncing", "sync"),
        ("scheduled", "schedul"),
        ("classes", "class"),
        ("status", "status"),  # -us is not a plural
        ("class", "class"),
        ("cats", "cats"),  # four letters or fewer stay as they are
        ("q4s", "q4s"),
        ("release2026", "release2026"),  # a word that ends in a digit is a name or a number
    ],
)
def test_stem_removes_plural_and_verb_endings_only(word, expected):
    assert stem(word) == expected


def test_tokenize_drops_stop_words_and_keeps_numbers_and_dotted_terms():
    assert tokenize("We are exporting the invoices to QuickBooks v2.1 by Q4!") == [
        "export",
        "invoic",
        "quickbook",
        "v2.1",
        "q4",
    ]
    assert tokenize("and the of to") == []


def test_postings_record_each_passage_length_and_term_counts():
    data = json.loads(build_postings(["Okta sync, Okta login.", "pricing page", ""]))
    assert data["lengths"] == [4, 2, 0]
    assert data["terms"]["okta"] == [0, 2]  # passage 0, twice
    assert data["terms"]["pric"] == [1, 1]
    assert "page" in data["terms"] and "sync" in data["terms"]


def test_scores_find_only_passages_that_share_a_term():
    texts = ["Okta single sign-on", "pricing for fleets", "Okta again and pricing"]
    index = LexicalIndex.of({"v1": build_postings(texts)})
    scores = index.scores("okta")
    assert set(scores) == {("v1", 0), ("v1", 2)}
    assert index.scores("nothing matches here") == {}
    assert index.scores("the and of") == {}
    assert LexicalIndex.of({}).scores("okta") == {}


def test_a_rare_term_weighs_more_than_a_common_one():
    texts = ["fleet pricing"] + ["fleet routing"] * 5
    scores = LexicalIndex.of({"v1": build_postings(texts)}).scores("fleet pricing")
    only_fleet = scores[("v1", 1)]
    assert scores[("v1", 0)] > 2 * only_fleet  # "pricing" is in one passage of six, "fleet" in all


def test_repeating_a_term_counts_but_saturates():
    index = LexicalIndex.of({"v1": build_postings(["okta login", "okta okta", "okta okta okta okta"])})
    scores = index.scores("okta")
    once, twice, four = scores[("v1", 0)], scores[("v1", 1)], scores[("v1", 2)]
    assert once < twice < four
    assert twice < 2 * once and four < 2 * twice


def test_a_version_filter_limits_which_meetings_are_scored_not_what_a_score_means():
    index = LexicalIndex.of({"a": build_postings(["okta login", "billing"]), "b": build_postings(["okta sync"])})
    everything = index.scores("okta")
    only_b = index.scores("okta", {"b"})
    assert set(only_b) == {("b", 0)}
    assert only_b[("b", 0)] == everything[("b", 0)]
    assert index.versions == ["a", "b"]


def reference_scores(postings: dict[str, str]) -> dict[str, dict[tuple[str, int], float]]:
    """BM25 as synth computed it before the index became arrays: Python loops over each meeting's
    parsed postings, for every query below."""
    meetings = {v: json.loads(d) for v, d in postings.items()}
    size = sum(len(m["lengths"]) for m in meetings.values())
    average = sum(sum(m["lengths"]) for m in meetings.values()) / size
    found: dict[str, dict[tuple[str, int], float]] = {}
    for query in QUERIES:
        scores: dict[tuple[str, int], float] = {}
        for term in dict.fromkeys(tokenize(query)):
            df = sum(len(m["terms"].get(term, ())) // 2 for m in meetings.values())
            if not df:
                continue
            idf = math.log(1 + (size - df + 0.5) / (df + 0.5))
            for version, m in meetings.items():
                posting = m["terms"].get(term, [])
                for i in range(0, len(posting), 2):
                    index, tf = posting[i], posting[i + 1]
                    norm = K1 * (1 - B + B * m["lengths"][index] / average)
                    scores[(version, index)] = scores.get((version, index), 0.0) + idf * tf * (K1 + 1) / (tf + norm)
        found[query] = scores
    return found


QUERIES = ["okta pricing", "fleet routing okta", "sso single sign-on", "nothing here", "pricing pricing fleet"]
TEXTS = {
    "a": ["Okta single sign-on for fleets", "pricing page, pricing tiers", "", "routing okta okta"],
    "b": ["fleet routing", "SSO with Okta", "billing"],
    "c": ["pricing for fleet managers", "okta"],
}


def test_array_scores_are_the_loop_scores_exactly_and_survive_updates():
    postings = {v: build_postings(t) for v, t in TEXTS.items()}
    expected = reference_scores(postings)
    whole = LexicalIndex.of(postings)
    grown = LexicalIndex.of({"b": postings["b"]}).with_versions(["a", "b", "c"], postings)
    assert grown.versions == ["a", "b", "c"]
    for query in QUERIES:
        assert whole.scores(query) == expected[query]
        assert grown.scores(query) == expected[query]
    shrunk = whole.with_versions(["c", "a"], {})  # b forgotten, the order changed
    assert shrunk.scores("okta pricing") == reference_scores({v: postings[v] for v in ("c", "a")})["okta pricing"]
    assert list(shrunk.starts) == [0, 2, 6]
    assert "billing" not in shrunk.vocabulary.terms()  # only b said it: its word leaves the index


def test_an_empty_index_scores_nothing():
    empty = LexicalIndex.empty()
    assert empty.score_array("okta").shape == (0,)
    assert LexicalIndex.of({"v": build_postings([""])}).scores("okta") == {}
    assert np.array_equal(empty.with_versions([], {}).starts, [0])


def test_meetings_added_after_the_others_give_the_index_built_again_from_its_arrays():
    """A new meeting's postings are merged into the index without sorting every posting again
    (LexicalIndex._appended): the same vocabulary, postings and scores as grouping them all again."""
    import random

    import numpy as np

    rng = random.Random(11)
    words = [f"w{n:03d}" for n in range(120)] + ["okta", "münchen", "zürich", "fleet", "a"]

    def meeting() -> dict:
        texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 14))) for _ in range(rng.randint(1, 6))]
        return build_postings(texts)

    index = LexicalIndex.of({"v0": meeting(), "v1": meeting()})
    for step in range(12):
        added = {f"n{step}-{k}": meeting() for k in range(rng.randint(1, 3))}
        order = [*index.versions, *added]
        fast = index._appended(list(added), added)
        again = index._rebuilt(order, added)
        assert fast.versions == again.versions == order
        assert fast.vocabulary.terms() == again.vocabulary.terms()
        for name in ("starts", "lengths", "term_starts", "passages", "counts"):
            mine, theirs = getattr(fast, name), getattr(again, name)
            assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs), name
        for query in ("okta fleet", "münchen w001 w050", "zürich a"):
            assert fast.scores(query) == again.scores(query)
        index = fast
