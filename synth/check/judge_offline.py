"""The checker without a model: polarity, numbers, dates and cue phrases between two similar
statements (see compare.py). Its flags carry lower confidences than a model's."""

from __future__ import annotations

import datetime as dt

from ..models import CheckReport
from .compare import (
    ADVOCACY,
    EVIDENCE,
    REFUTES,
    SUPPORTS,
    Count,
    antonym_clash,
    due_by,
    number_clash,
    polarity_flips,
)
from .items import InsightPair, Judgement, Pair, VisionPair

PROMISE_MATCH = 0.45  # cosine at which a roadmap statement is about what was promised


class OfflineJudge:
    """Judges every pair with `judge_offline`; the judge used when no model is configured."""

    name = "offline"

    def judge(self, pairs: list[Pair], report: CheckReport) -> dict[str, Judgement]:
        """A judgement for every pair, by its key."""
        return {pair.key: judge_offline(pair) for pair in pairs}


def judge_offline(pair: Pair) -> Judgement:
    """Polarity, numbers, dates and cue phrases between two similar statements."""
    if isinstance(pair, VisionPair):
        return _judge_promise(pair) if pair.category == "promise" else _judge_vision(pair)
    if pair.category == "assumption":
        return _judge_assumption(pair)
    return _judge_team(pair)


def _judge_assumption(pair: InsightPair) -> Judgement:
    a, b, sim = pair.a.reading, pair.b.reading, pair.similarity
    flips, clash, numbers = polarity_flips(a, b), antonym_clash(a, b), number_clash(a, b)
    later = pair.b.side.text + " " + pair.b.side.quote
    if REFUTES.search(later) and sim >= 0.45:
        return Judgement("contradicts", "Later evidence says the assumption does not hold.", 0.5)
    if flips and sim >= 0.45:
        return Judgement(
            "contradicts", f"The assumption asserts what later evidence denies ({', '.join(flips[:3])}).", 0.4
        )
    if numbers and sim >= 0.45:
        return Judgement("contradicts", f"The numbers differ: {_count(numbers[0])} versus {_count(numbers[1])}.", 0.4)
    if SUPPORTS.search(later) and pair.cosine >= 0.55 and a.shared(b):
        return Judgement("supports", "Later evidence confirms the assumption.", 0.45)
    if sim >= 0.7 and EVIDENCE.search(later) and not clash:
        return Judgement("supports", "Later evidence says the same as the assumption.", 0.35)
    return Judgement("unrelated", "No sign that the later statement bears on the assumption.", 0.5)


def _judge_team(pair: InsightPair) -> Judgement:
    a, b, sim = pair.a.reading, pair.b.reading, pair.similarity
    flips, clash, numbers = polarity_flips(a, b), antonym_clash(a, b), number_clash(a, b)
    if pair.cosine < 0.35 or len(a.shared(b)) < 2:
        return Judgement("unrelated", "Too little in common to be about the same thing.", 0.5)
    if sim >= 0.5 and flips:
        return Judgement("contradicts", f"One function asserts what the other denies ({', '.join(flips[:3])}).", 0.4)
    if sim >= 0.5 and clash:
        return Judgement("contradicts", f"They say opposite things ({clash[0]} versus {clash[1]}).", 0.35)
    if sim >= 0.55 and numbers:
        return Judgement("contradicts", f"The numbers differ: {_count(numbers[0])} versus {_count(numbers[1])}.", 0.35)
    return Judgement("unrelated", "No opposite polarity, numbers or options found.", 0.5)


def _judge_vision(pair: VisionPair) -> Judgement:
    insight, statement = pair.a.insight, pair.b.statement
    text = f"{insight.statement} {insight.quote}"
    a, b, sim = pair.a.reading, pair.b.reading, pair.similarity
    flips, clash, numbers = polarity_flips(a, b), antonym_clash(a, b), number_clash(a, b)
    acts = insight.kind in ("decision", "action", "assumption", "promise") or bool(ADVOCACY.search(text))
    if statement.section == "non_goals":
        asserted = sorted(t for t in a.shared(b) if a.terms[t])
        denied = [t for t in a.shared(b) if not a.terms[t]]
        if acts and asserted and not denied and sim >= 0.4:
            return Judgement(
                "contradicts", f"This pushes toward something the vision rules out ({', '.join(asserted[:3])}).", 0.45
            )
        return Judgement("unrelated", "It does not act on the non-goal.", 0.5)
    if statement.section == "roadmap":
        said_on = dt.date.fromisoformat(insight.date)
        promised, committed = due_by(text, said_on), due_by(statement.text, said_on)
        if (
            statement.commitment == "committed"
            and insight.kind == "decision"
            and promised
            and committed
            and promised[0] > committed[0]
            and sim >= 0.5
        ):
            return Judgement(
                "contradicts",
                f"It moves a committed roadmap item past its date ({promised[1]} versus {committed[1]}).",
                0.45,
            )
        return Judgement("unrelated", "No change to a committed date found.", 0.5)
    if statement.section in ("principles", "metrics") and not acts:
        # a finding that the team misses a principle or metric is news, not a contradiction
        return Judgement("unrelated", "Evidence about a principle or metric, not a move against it.", 0.5)
    if sim >= 0.45 and flips:
        return Judgement("contradicts", f"It denies what the vision asserts ({', '.join(flips[:3])}).", 0.4)
    if sim >= 0.45 and clash:
        return Judgement("contradicts", f"It says the opposite of the vision ({clash[0]} versus {clash[1]}).", 0.35)
    if sim >= 0.5 and numbers and acts:
        return Judgement(
            "contradicts",
            f"It acts outside the vision's numbers: {_count(numbers[0])} versus {_count(numbers[1])}.",
            0.35,
        )
    return Judgement("unrelated", "No opposite polarity, numbers or options found.", 0.5)


def _judge_promise(pair: VisionPair) -> Judgement:
    promise = pair.a.insight
    text = f"{promise.statement} {promise.quote}"
    best = pair.b
    shared = set(pair.a.reading.terms) & set(best.reading.terms) - {"roadmap", "list", "sync", "support"}
    if pair.similarity < PROMISE_MATCH and not shared:
        return Judgement("contradicts", "Nothing on the roadmap mentions what was promised.", 0.4)
    statement = best.statement
    if statement.section == "non_goals":
        return Judgement("contradicts", "The vision lists what was promised as a non-goal.", 0.5)
    if statement.commitment == "exploring":
        return Judgement("contradicts", "The roadmap only explores this; it is not committed.", 0.5)
    reference = dt.date.fromisoformat(promise.date)
    promised, committed = due_by(text, reference), due_by(statement.text, reference)
    if promised and committed and promised[0] < committed[0]:
        return Judgement(
            "contradicts", f"Promised for {promised[1]}, but the roadmap commits it for {committed[1]}.", 0.45
        )
    return Judgement("supports", "A committed roadmap item covers it.", 0.5)


def _count(number: Count) -> str:
    low, high, unit = number
    value = f"{low:g}" if low == high else f"{low:g} to {high:g}"
    return f"{value} {unit}"
