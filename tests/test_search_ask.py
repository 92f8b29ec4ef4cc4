"""Search and ask on the example team, offline and through a local OpenAI-compatible server."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from testkit import ROOT
from testkit import meeting_record as _record

from synth.app import Synth
from synth.chunker import passage_id
from synth.config import Settings
from synth.retriever import Filters, _rank
from synth.store.codec import DenseHit


def _lines(hit):
    path = ROOT / hit.source  # an absolute source stays absolute under /
    return path.read_text(encoding="utf-8").splitlines()[hit.start_line - 1 : hit.end_line]


@pytest.mark.slow
def test_search_finds_the_passage_and_its_true_lines(example_app):
    hits = example_app.search("crawl spaces without signal", k=3)
    assert "crawl" in hits[0].text.lower()
    for hit in hits:
        cited = " ".join(_lines(hit)).lower()
        first_words = hit.text.split("\n")[0].split(": ", 1)[-1].lower().split()[:6]
        assert all(w in cited for w in first_words), (hit.source, hit.start_line)


@pytest.mark.slow
def test_exact_names_are_found_by_the_lexical_signal(example_app):
    hits = example_app.search("Okta", k=3)
    assert any("Okta" in h.text for h in hits[:2])


@pytest.mark.slow
def test_filters_team_dates_and_meeting(example_app):
    team = example_app.search("offline mode", k=10, filters=Filters(team="engineering"))
    assert team and all("engineering" in h.teams for h in team)
    since = example_app.search("QuickBooks", k=10, filters=Filters(since=dt.date(2026, 10, 1)))
    assert since and all(h.date >= "2026-10-01" for h in since)
    until = example_app.search("QuickBooks", k=10, filters=Filters(until=dt.date(2026, 9, 15)))
    assert until and all(h.date <= "2026-09-15" for h in until)
    one = example_app.search("import", k=10, filters=Filters(meeting="design research"))
    assert one and {h.title for h in one} == {"Design research readout"}


@pytest.mark.slow
def test_ask_offline_quotes_sentences_with_sources(example_app):
    answer = example_app.ask("why did accounts churn?")
    assert answer.mode == "extractive" and answer.found
    assert "never scheduled" in answer.answer
    assert answer.sources and "[1]" in answer.answer
    assert "OPENAI_BASE_URL" in answer.note


@pytest.mark.slow
def test_ask_naming_a_function_is_scoped_to_it(example_app):
    answer = example_app.ask("what did sales hear about QuickBooks?")
    assert answer.scope == "sales"
    assert answer.answer.startswith("Scoped to sales")
    quoted = [line for line in answer.answer.splitlines() if line.startswith("- ")]
    assert quoted and all("(sales)" in line or line.startswith("- Notes") for line in quoted)


@pytest.mark.slow
def test_ask_with_nothing_relevant_says_how_many_meetings_were_searched(example_app):
    answer = example_app.ask("what is the boiling point of liquid nitrogen on Neptune?")
    assert not answer.found and answer.sources == []
    assert answer.answer == "Nothing relevant found in 10 meetings searched."


@pytest.mark.slow
def test_ask_through_a_model_cites_real_passages_and_drops_invented_ones(example_store, openai_server, tmp_path):
    openai_server.replies = ["Six of eight churned accounts never scheduled a job [1]; see also [7]."]
    app = Synth(Settings(store=example_store, base_url=openai_server.url, model="test-model", api_key="sk-test-marker"))
    tokens: list[str] = []
    answer = app.ask("why did accounts churn?", on_token=tokens.append)
    assert answer.mode == "llm"
    assert "".join(tokens).startswith("Six of eight")
    assert "[1]" in answer.answer and "[7]" not in answer.answer
    assert [s.number for s in answer.sources] == [1]
    request = openai_server.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "test-model"
    assert request["auth"] == "Bearer sk-test-marker"
    system, user = request["body"]["messages"]
    assert system["role"] == "system" and "# IDENTITY AND PURPOSE" in system["content"]
    assert user["content"].startswith("Question: why did accounts churn?") and "[1]" in user["content"]


@pytest.mark.slow
def test_ask_falls_back_offline_when_the_model_fails(example_store, openai_server):
    openai_server.default = (500, {"error": {"message": "boom"}})
    app = Synth(Settings(store=example_store, base_url=openai_server.url, model="m", llm_retries=1))
    answer = app.ask("why did accounts churn?")
    assert answer.mode == "extractive" and answer.found and answer.sources
    assert "failed" in answer.note and "offline" in answer.note


@pytest.mark.slow
def test_a_user_prompt_folder_overrides_the_builtin_prompt(example_store, openai_server, tmp_path):
    (tmp_path / "answer_question.md").write_text("CUSTOM PROMPT\n")
    openai_server.replies = ["Answer [1]."]
    app = Synth(Settings(store=example_store, base_url=openai_server.url, model="m", prompts_dir=tmp_path))
    app.ask("why did accounts churn?")
    assert openai_server.requests[0]["body"]["messages"][0]["content"] == "CUSTOM PROMPT\n"


def test_a_stretch_of_matching_passages_outranks_a_lone_better_match_and_comes_back_together():
    lone, stretch = _record("lone", 12), _record("stretch", 12)
    dense = [DenseHit(passage_id("lone", lone.version, 3), lone.version, 3, 0.62)]
    dense += [DenseHit(passage_id("stretch", stretch.version, i), stretch.version, i, 0.55) for i in (5, 6, 7)]
    dense += [DenseHit(passage_id("lone", lone.version, 10), lone.version, 10, 0.10)]
    ranked = _rank([lone, stretch], dense, None, limit=24)
    names = [f"{c.id.split(':')[0]}{int(c.id.rsplit(':', 1)[1])}" for c in ranked]
    assert names[0] == "stretch6" and set(names[1:3]) == {"stretch5", "stretch7"} and names[3] == "lone3"
    assert ranked[0].score == 1.0 and all(a.score >= b.score for a, b in zip(ranked, ranked[1:]))
    assert len(ranked) == 24 and len({c.id for c in ranked}) == 24  # every passage once
    assert ranked[3].dense == 0.62 and ranked[0].lexical is None


def test_a_strong_word_match_counts_even_beyond_the_dense_candidates():
    a, b = _record("alpha", 6), _record("beta", 6)
    dense = [DenseHit(passage_id("alpha", a.version, i), a.version, i, 0.30) for i in range(6)]
    ranked = _rank([a, b], dense, np.array([0] * 8 + [25.0] + [0] * 3), limit=12)  # beta's passage 2
    assert ranked[0].id == passage_id("beta", b.version, 2)
    assert ranked[0].dense is None and ranked[0].lexical == 25.0
    assert {c.id for c in ranked[1:3]} == {passage_id("beta", b.version, 1), passage_id("beta", b.version, 3)}
