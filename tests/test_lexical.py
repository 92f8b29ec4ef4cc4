"""BM25 over per-meeting postings (synth/lexical.py): tokens, postings, scores."""

from __future__ import annotations

import json

import pytest

from synth.lexical import LexicalIndex, build_postings, stem, tokenize


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
    index = LexicalIndex({"v1": build_postings(texts)})
    scores = index.scores("okta")
    assert set(scores) == {("v1", 0), ("v1", 2)}
    assert index.scores("nothing matches here") == {}
    assert index.scores("the and of") == {}
    assert LexicalIndex({}).scores("okta") == {}


def test_a_rare_term_weighs_more_than_a_common_one():
    texts = ["fleet pricing"] + ["fleet routing"] * 5
    scores = LexicalIndex({"v1": build_postings(texts)}).scores("fleet pricing")
    only_fleet = scores[("v1", 1)]
    assert scores[("v1", 0)] > 2 * only_fleet  # "pricing" is in one passage of six, "fleet" in all


def test_repeating_a_term_counts_but_saturates():
    index = LexicalIndex({"v1": build_postings(["okta login", "okta okta", "okta okta okta okta"])})
    scores = index.scores("okta")
    once, twice, four = scores[("v1", 0)], scores[("v1", 1)], scores[("v1", 2)]
    assert once < twice < four
    assert twice < 2 * once and four < 2 * twice


def test_a_version_filter_limits_which_meetings_are_scored_not_what_a_score_means():
    index = LexicalIndex({"a": build_postings(["okta login", "billing"]), "b": build_postings(["okta sync"])})
    everything = index.scores("okta")
    only_b = index.scores("okta", {"b"})
    assert set(only_b) == {("b", 0)}
    assert only_b[("b", 0)] == everything[("b", 0)]
    assert index.versions() == {"a", "b"}


def test_parsed_postings_are_reused_as_they_are():
    first = LexicalIndex({"v1": build_postings(["Okta single sign-on"])})
    again = LexicalIndex({"v1": first.postings("v1")})
    assert again.scores("okta") == first.scores("okta")
