"""`synth ask`: retrieve, then answer with a model or, offline, with the sentences that answer."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable

from .config import HOW_TO_CONFIGURE
from .errors import ModelError
from .models import Answer, AnswerSource, SearchHit
from .retriever import Candidate, Filters
from .teams import display_team, team_named_in

# A passage counts as relevant above this cosine similarity to the question (MiniLM), or with a
# strong lexical match and some similarity. Below it, "nothing found" is the honest answer.
MIN_SIMILARITY = 0.30
MIN_SIMILARITY_WITH_TERMS = 0.18
MIN_LEXICAL = 3.0
MIN_SENTENCE_SIMILARITY = 0.25
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
_CITATION = re.compile(r"\[(\d+)\]")


def answer_question(
    app, question: str, filters: Filters, k: int, on_token: Callable[[str], None] | None, reading=contextlib.nullcontext
) -> Answer:
    """Answer from the store; never without sources, and say so when nothing is relevant.
    `reading()` is the context of the store reads; the model is called after it ends, so a
    writer need not wait for the model."""
    scope, _ = team_named_in(question) if not filters.team else (filters.team, None)
    if scope and not filters.team:
        filters = dataclasses.replace(filters, team=scope)
    question_vector = app.embedder.embed([question])[0]
    with reading():
        retriever = app.retriever
        ranked, searched = retriever.candidates(question, filters, vector=question_vector)
        pairs = retriever.materialize(ranked, k, filters)
        similarities = app.store(create=False).similarities(question_vector, [c.id for _, c in pairs])
        relevant = [(hit, c) for hit, c in pairs if _relevant(similarities.get(c.id, 0.0), c)]
        vision = _vision_sources(app, question, question_vector, first_number=len(relevant) + 1)
    scope_text = (
        (
            f"Scoped to {display_team(scope)}: what {display_team(scope)} people said and "
            f"{display_team(scope)} meetings. "
        )
        if scope
        else ""
    )
    if not relevant and vision:
        return Answer(
            question=question,
            mode="extractive",
            scope=scope,
            found=True,
            meetings_searched=searched,
            answer=f"{scope_text}Nothing in the {searched} meetings searched bears on this; the vision says:\n"
            + "\n".join(_vision_lines(vision)),
            sources=vision,
        )
    if not relevant:
        where = f"{searched} meetings searched" + (f" ({display_team(scope)} only)" if scope else "")
        return Answer(
            question=question,
            answer=f"{scope_text}Nothing relevant found in {where}.",
            mode="llm" if app.settings.llm_configured else "extractive",
            scope=scope,
            found=False,
            meetings_searched=searched,
            sources=[],
        )
    hits = [hit for hit, _ in relevant]
    sources = [_source(number, hit) for number, hit in enumerate(hits, start=1)]
    if app.settings.llm_configured:
        try:
            return _llm_answer(app, question, scope, scope_text, hits, sources, searched, on_token, vision)
        except ModelError as exc:
            fallback = _extractive(app, question, question_vector, scope, scope_text, hits, sources, searched)
            fallback.note = f"{exc}. Answered offline from the best passages instead."
            return _with_vision(fallback, vision)
    answer = _extractive(app, question, question_vector, scope, scope_text, hits, sources, searched)
    answer.note = "No language model configured: this answer quotes the passages that match best. " + HOW_TO_CONFIGURE
    return _with_vision(answer, vision)


# A question about fit with the vision brings vision statements along; any other question only
# when a statement is very close to it.
_VISION_QUESTION = re.compile(
    r"\b(?:vision|roadmap|strategy|strategic|principles?|non[- ]goals?|committed|commit|"
    r"fits?|align\w*|target customers?|personas?|market focus|metrics?|promised?|on the plan|"
    r"our goals?|in scope|out of scope)\b",
    re.I,
)
VISION_K = 3
VISION_MIN_ASKED = 0.2
VISION_MIN_UNASKED = 0.6


def _vision_sources(app, question: str, question_vector, first_number: int) -> list[AnswerSource]:
    from .app import vision_items

    vision, items = vision_items(app.store(create=False))
    if vision is None:
        return []
    asked = bool(_VISION_QUESTION.search(question))
    scored = sorted(
        ((sum(a * b for a, b in zip(question_vector, i.vector)), i.statement) for i in items), key=lambda x: -x[0]
    )
    floor = VISION_MIN_ASKED if asked else VISION_MIN_UNASKED
    chosen = [s for score, s in scored[: VISION_K if asked else 1] if score >= floor]
    return [
        AnswerSource(
            number=first_number + n,
            kind="vision",
            meeting_id="vision",
            title=f"Product vision ({s.label})",
            date=vision.set_at[:10],
            source=s.source,
            start_line=s.start_line,
            end_line=s.end_line,
            speakers=[],
            text=s.text,
        )
        for n, s in enumerate(chosen)
    ]


def _vision_lines(vision: list[AnswerSource]) -> list[str]:
    return [f'- {s.title}: "{s.text}" [{s.number}]' for s in vision]


def _with_vision(answer: Answer, vision: list[AnswerSource]) -> Answer:
    """An extractive answer with the vision statements it was given, renumbered after its passages."""
    if not vision or not answer.found:
        return answer
    start = max((s.number for s in answer.sources), default=0) + 1
    vision = [s.model_copy(update={"number": start + n}) for n, s in enumerate(vision)]
    answer.answer += "\nAgainst the vision:\n" + "\n".join(_vision_lines(vision))
    answer.sources = answer.sources + vision
    return answer


def _relevant(similarity: float, candidate: Candidate) -> bool:
    if similarity >= MIN_SIMILARITY:
        return True
    return (candidate.lexical or 0.0) >= MIN_LEXICAL and similarity >= MIN_SIMILARITY_WITH_TERMS


def _source(number: int, hit: SearchHit) -> AnswerSource:
    return AnswerSource(
        number=number,
        meeting_id=hit.meeting_id,
        title=hit.title,
        date=hit.date,
        source=hit.source,
        start_line=hit.start_line,
        end_line=hit.end_line,
        speakers=hit.speakers,
        text=hit.text,
    )


def _llm_answer(app, question, scope, scope_text, hits, sources, searched, on_token, vision=()) -> Answer:
    from .llm.chat import complete
    from .llm.prompts import load_prompt

    system = load_prompt("answer_question", app.settings.prompts_dir)
    blocks = [f"Question: {question}"]
    if scope:
        blocks.append(f"Scope: only what the {display_team(scope)} function said or heard.")
    blocks.append("Sources:")
    for source, hit in zip(sources, hits):
        who = ", ".join(f"{s}" for s in hit.speakers) or "notes"
        blocks.append(
            f"[{source.number}] {hit.title} ({hit.date}); speakers: {who}; functions: "
            f"{', '.join(hit.teams)}\n{hit.text}"
        )
    for statement in vision:
        blocks.append(f"[{statement.number}] {statement.title}: {statement.text}")
    sources = list(sources) + list(vision)
    text = complete(app.settings, system, "\n\n".join(blocks), on_token)
    cited = sorted({int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(sources)})
    # Numbers the model made up are removed: a citation must point at a real passage.
    text = _CITATION.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(sources) else "", text).strip()
    kept = [s for s in sources if s.number in cited] or sources
    return Answer(
        question=question,
        answer=text,
        mode="llm",
        scope=scope,
        found=True,
        meetings_searched=searched,
        sources=kept,
        note=None if cited else "The model cited no source; all passages it was given are listed.",
    )


def _extractive(app, question, question_vector, scope, scope_text, hits, sources, searched) -> Answer:
    """The sentences of the retrieved passages most similar to the question, with their speakers."""
    sentences: list[tuple[int, int, str, str]] = []  # (source number, order, speaker, sentence)
    records = app.retriever.records_by_meeting()
    for number, hit in enumerate(hits, start=1):
        record = records.get(hit.meeting_id)
        speaker_teams = record.speaker_teams if record else {}
        for line in hit.text.split("\n"):
            speaker, sep, body = line.partition(": ")
            if not sep or speaker not in hit.speakers:
                speaker, body = "", line
            team = speaker_teams.get(speaker) if speaker else (record.team if record else None)
            if scope and team != scope:
                continue  # a scoped answer quotes only that function's people and notes
            for sentence in _SENTENCE.split(body):
                sentence = " ".join(sentence.split())
                if len(sentence) >= 20:
                    sentences.append((number, len(sentences), speaker, sentence))
    if not sentences:
        where = f"{searched} meetings searched" + (f" ({display_team(scope)} only)" if scope else "")
        return Answer(
            question=question,
            answer=f"{scope_text}Nothing relevant found in {where}.",
            mode="extractive",
            scope=scope,
            found=False,
            meetings_searched=searched,
            sources=[],
        )
    vectors = app.embedder.embed([s[3] for s in sentences])
    scored = []
    for (number, order, speaker, sentence), vector in zip(sentences, vectors):
        similarity = sum(a * b for a, b in zip(question_vector, vector))
        scored.append((similarity - 0.01 * number, number, order, speaker, sentence))
    best = [s for s in sorted(scored, reverse=True)[:5] if s[0] >= MIN_SENTENCE_SIMILARITY]
    if not best:
        best = sorted(scored, reverse=True)[:2]
    lines = []
    for _, number, _, speaker, sentence in sorted(best, key=lambda s: (s[1], s[2])):
        record = records.get(hits[number - 1].meeting_id)
        team = record.speaker_teams.get(speaker) if record and speaker else None
        who = f"{speaker} ({display_team(team)})" if team and team != "unknown" else speaker or "Notes"
        lines.append(f'- {who}: "{sentence}" [{number}]')
    cited = sorted({s[1] for s in best})
    meetings = len({hits[n - 1].meeting_id for n in cited})
    head = f"{scope_text}From {meetings} of {searched} meetings searched:"
    return Answer(
        question=question,
        answer=head + "\n" + "\n".join(lines),
        mode="extractive",
        scope=scope,
        found=True,
        meetings_searched=searched,
        sources=[s for s in sources if s.number in cited],
    )
