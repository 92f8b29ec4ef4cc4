"""`synth ask`: retrieve, then answer with a model or, offline, with the sentences that answer."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .config import HOW_TO_CONFIGURE, Settings
from .errors import ModelError
from .models import Answer, AnswerSource, MeetingRecord, SearchHit
from .retriever import Candidate, Filters
from .teams import display_team, team_named_in
from .vision import Vision, VisionStatement

# A passage counts as relevant above this cosine similarity to the question (MiniLM), or with a
# strong lexical match and some similarity. Below it, "nothing found" is the honest answer.
MIN_SIMILARITY = 0.30
MIN_SIMILARITY_WITH_TERMS = 0.18
MIN_LEXICAL = 3.0
MIN_SENTENCE_SIMILARITY = 0.25
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
_CITATION = re.compile(r"\[(\d+)\]")


OnToken = Callable[[str], None]
Chat = Callable[[str, OnToken | None], str]
"""A model's reply to the question and its sources (the user text), streamed to `on_token` when given."""
Embed = Callable[[list[str]], list[list[float]]]


@dataclass
class Question:
    """A question, the function it is scoped to, the filters that scope it, and its vector."""

    text: str
    scope: str | None
    filters: Filters
    vector: list[float]


@dataclass
class Retrieved:
    """What the store gave for a question: the best passages (with their similarity to the
    question), how many meetings were searched, the meetings, and the vision with its vectors."""

    pairs: list[tuple[SearchHit, Candidate]]
    searched: int
    similarities: dict[str, float]
    records: dict[str, MeetingRecord]
    vision: Vision | None
    statements: list[tuple[VisionStatement, list[float]]]


def question_scope(question: str, filters: Filters) -> tuple[str | None, Filters]:
    """The function a question names ("what did sales hear ...") scopes it, unless the filters already do."""
    scope, _ = team_named_in(question) if not filters.team else (filters.team, None)
    if scope and not filters.team:
        filters = dataclasses.replace(filters, team=scope)
    return scope, filters


def answer_chat(settings: Settings) -> Chat | None:
    """The model that answers, with the answer_question prompt; None when none is configured."""
    if not settings.llm_configured:
        return None

    def chat(user: str, on_token: OnToken | None) -> str:
        from .llm.chat import complete
        from .llm.prompts import load_prompt

        return complete(settings, load_prompt("answer_question", settings.prompts_dir), user, on_token)

    return chat


def answer_question(
    question: Question, retrieved: Retrieved, embed: Embed, chat: Chat | None, on_token: OnToken | None = None
) -> Answer:
    """Answer from what was retrieved; never without sources, and say so when nothing is
    relevant. Nothing here reads the store, so the caller can let writers in before the model
    is called."""
    scope, searched, question_vector = question.scope, retrieved.searched, question.vector
    relevant = [(hit, c) for hit, c in retrieved.pairs if _relevant(retrieved.similarities.get(c.id, 0.0), c)]
    vision = _vision_sources(retrieved, question.text, question_vector, first_number=len(relevant) + 1)
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
            question=question.text,
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
            question=question.text,
            answer=f"{scope_text}Nothing relevant found in {where}.",
            mode="llm" if chat is not None else "extractive",
            scope=scope,
            found=False,
            meetings_searched=searched,
            sources=[],
        )
    hits = [hit for hit, _ in relevant]
    sources = [_source(number, hit) for number, hit in enumerate(hits, start=1)]
    if chat is not None:
        try:
            return _llm_answer(chat, question, hits, sources, searched, on_token, vision)
        except ModelError as exc:
            fallback = _extractive(embed, question, retrieved.records, scope_text, hits, sources, searched)
            fallback.note = f"{exc}. Answered offline from the best passages instead."
            return _with_vision(fallback, vision)
    answer = _extractive(embed, question, retrieved.records, scope_text, hits, sources, searched)
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


def _vision_sources(
    retrieved: Retrieved, question: str, question_vector: list[float], first_number: int
) -> list[AnswerSource]:
    vision = retrieved.vision
    if vision is None:
        return []
    asked = bool(_VISION_QUESTION.search(question))
    scored = sorted(
        ((sum(a * b for a, b in zip(question_vector, vector)), s) for s, vector in retrieved.statements),
        key=lambda x: -x[0],
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


def _llm_answer(
    chat: Chat,
    question: Question,
    hits: list[SearchHit],
    sources: list[AnswerSource],
    searched: int,
    on_token: OnToken | None,
    vision: Sequence[AnswerSource] = (),
) -> Answer:
    scope = question.scope
    blocks = [f"Question: {question.text}"]
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
    text = chat("\n\n".join(blocks), on_token)
    cited = sorted({int(n) for n in _CITATION.findall(text) if 1 <= int(n) <= len(sources)})
    # Numbers the model made up are removed: a citation must point at a real passage.
    text = _CITATION.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(sources) else "", text).strip()
    kept = [s for s in sources if s.number in cited] or sources
    return Answer(
        question=question.text,
        answer=text,
        mode="llm",
        scope=scope,
        found=True,
        meetings_searched=searched,
        sources=kept,
        note=None if cited else "The model cited no source; all passages it was given are listed.",
    )


def _extractive(
    embed: Embed,
    question: Question,
    records: dict[str, MeetingRecord],
    scope_text: str,
    hits: list[SearchHit],
    sources: list[AnswerSource],
    searched: int,
) -> Answer:
    """The sentences of the retrieved passages most similar to the question, with their speakers."""
    scope, question_vector = question.scope, question.vector
    sentences: list[tuple[int, int, str, str]] = []  # (source number, order, speaker, sentence)
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
            question=question.text,
            answer=f"{scope_text}Nothing relevant found in {where}.",
            mode="extractive",
            scope=scope,
            found=False,
            meetings_searched=searched,
            sources=[],
        )
    vectors = embed([s[3] for s in sentences])
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
        question=question.text,
        answer=head + "\n" + "\n".join(lines),
        mode="extractive",
        scope=scope,
        found=True,
        meetings_searched=searched,
        sources=[s for s in sources if s.number in cited],
    )
