"""The checker without a model: polarity, numbers (after unit conversion), dates and cue phrases
between two similar statements (see compare.py), with a check for each kind of vision statement
(a metric is missed by a measured number, a non-goal by the team's own plans, a principle of one
product for all by work for one customer; the mission and personas are left to a model). Its
confidences put each flag in the likely or possible band (tensions.py, docs/benchmarks.md)."""

from __future__ import annotations

import datetime as dt
import re

from ..models import CheckReport
from .compare import (
    ADVOCACY,
    EVIDENCE,
    HEDGED,
    MEASURED,
    NOBODY_WANTS,
    REFUTES,
    REQUIRES,
    SUPPORTS,
    UNITS,
    Count,
    antonym_clash,
    denies,
    due_by,
    misses_bound,
    normalize,
    number_clash,
    polarity_flips,
    read,
    stem,
)
from .items import InsightPair, Judgement, Pair, VisionPair

TEAM_PARAPHRASE = 0.75  # similarity at which two functions' statements say the same thing
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
    flips, clash, numbers = polarity_flips(a, b), antonym_clash(a, b), number_clash(a, b, ratio=1.5)
    later = pair.b.side.text + " " + pair.b.side.quote
    if REFUTES.search(later) and sim >= 0.45:
        return Judgement("contradicts", "Later evidence says the assumption does not hold.", 0.5)
    evidence = pair.b.insight.kind in ("finding", "roadblock") and not _asks(pair.b.side.quote)
    if numbers and sim >= 0.5 and evidence and not _different_subjects(pair):
        return Judgement("contradicts", f"The numbers differ: {_count(numbers[0])} versus {_count(numbers[1])}.", 0.4)
    if flips and evidence and (sim >= 0.55 or (sim >= 0.45 and _REPORTED.search(later))):
        # a shared word asserted on one side and denied on the other: likely only when the later
        # side reports what was heard, seen or measured (none of the 19 assumption flags of the
        # reviewed sample of real meetings, where "said" is everywhere, was right)
        return Judgement(
            "contradicts",
            f"The assumption asserts what later evidence denies ({', '.join(flips[:3])}).",
            0.4 if _REPORTED.search(later) else 0.3,
        )
    if SUPPORTS.search(later) and pair.cosine >= 0.55 and a.shared(b):
        return Judgement("supports", "Later evidence confirms the assumption.", 0.45)
    if sim >= 0.7 and EVIDENCE.search(later) and not clash:
        return Judgement("supports", "Later evidence says the same as the assumption.", 0.35)
    return Judgement("unrelated", "No sign that the later statement bears on the assumption.", 0.5)


def _judge_team(pair: InsightPair) -> Judgement:
    a, b, sim = pair.a.reading, pair.b.reading, pair.similarity
    nobody = _nobody_against_need(pair)
    if nobody:
        return Judgement(
            "contradicts", f"One function says nobody asks for {nobody}; the other reports it is needed.", 0.5
        )
    if pair.cosine < 0.35 or len(a.shared(b)) < 2:
        return Judgement("unrelated", "Too little in common to be about the same thing.", 0.5)
    numbers = number_clash(a, b, ratio=1.5)
    if sim >= 0.55 and numbers and len(a.shared(b)) >= 3 and not _different_subjects(pair):
        return Judgement("contradicts", f"The numbers differ: {_count(numbers[0])} versus {_count(numbers[1])}.", 0.35)
    if pair.a.insight.kind == "assumption" and pair.b.insight.kind == "assumption":
        return Judgement("unrelated", "Two beliefs that differ are a discussion, not a conflict.", 0.5)
    if _asks(pair.a.side.quote) or _asks(pair.b.side.quote):
        return Judgement("unrelated", "A question asserts nothing to contradict.", 0.5)
    flips, clash = polarity_flips(a, b), antonym_clash(a, b)
    # one shared word asserted and denied is a conflict only between near-paraphrases: on real
    # meetings, looser pairs were almost never one (docs/benchmarks.md, the reviewed sample)
    if sim >= TEAM_PARAPHRASE and flips:
        return Judgement("contradicts", f"One function asserts what the other denies ({', '.join(flips[:3])}).", 0.3)
    if sim >= TEAM_PARAPHRASE and clash:
        return Judgement("contradicts", f"They say opposite things ({clash[0]} versus {clash[1]}).", 0.3)
    return Judgement("unrelated", "No opposite polarity, numbers or options found.", 0.5)


# The team's own plan, in any kind of statement: "I want the main campaign for ...", "let's target ...".
_WE_PLAN = re.compile(
    r"\b(?:we should|let's|we(?:'ll| will)|we need to|i want|we want|we're going to|we are going to|go after|"
    r"target(?:ing)?|campaign|aimed at|pilot with|(?:it|this|that) (?:needs to|has to|must|is gonna|is going to) be|"
    r"it's gonna be|it's going to be)\b",
    re.I,
)
_REFUSED = re.compile(
    r"\b(?:declined|turned (?:it |them )?down|said no|passed on|not something we|refused|(?:is|are) (?:now )?out|"
    r"dropped|no longer|scrapped|ruled out|left out|leave out|get rid of)\b",
    re.I,
)
_REPORTED = re.compile(
    r"\b(?:i heard|we heard|told (?:me|us)|we found|found that|measured|we saw|observed|the data|survey|"
    r"interview(?:s|ed)?|churned)\b",
    re.I,
)


def _asks(quote: str) -> bool:
    """A question: it asks, it asserts nothing."""
    return quote.rstrip().rstrip("\"')").endswith("?")


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)\b")


def _different_subjects(pair: InsightPair) -> bool:
    """Each side names someone or something the other does not (Kargo Nord's wait and
    Trans-Baltic's): their numbers describe different things."""
    names = [
        {n for n in _NAME.findall(item.side.quote) if n not in _NOT_NAMES and not n.startswith("I'")}
        for item in (pair.a, pair.b)
    ]
    return bool(names[0] and names[1] and not names[0] & names[1])


def _nobody_against_need(pair: InsightPair) -> str | None:
    """What one side says nobody asks for while the other side needs or asks for it: the thing
    named after "nobody asks for", or (when that is a pronoun) what both statements name."""
    for x, y in ((pair.a, pair.b), (pair.b, pair.a)):
        match = NOBODY_WANTS.search(x.side.quote) or NOBODY_WANTS.search(x.side.text)
        other = f"{y.side.text} {y.side.quote}"
        if not match or not REQUIRES.search(other) or NOBODY_WANTS.search(other):
            continue
        named = [t for t in read(match.group(1)).terms if len(t) >= 3]
        wanted = [t for t in named if t in y.reading.terms]
        if not wanted and _PRONOUN_OBJECT.match(match.group(1)) and pair.similarity >= 0.45:
            wanted = sorted(x.reading.shared(y.reading) - _GENERIC_TERMS)
        if wanted:
            return ", ".join(_surface(t, other) for t in wanted[:2])
    return None


def _surface(term: str, text: str) -> str:
    """The word as written for a stem ("quickbook" -> "QuickBooks")."""
    for word in re.findall(r"[\w'-]+", text):
        if stem(normalize(word)) == term:
            return word
    return term


_PRONOUN_OBJECT = re.compile(r"^\s*(?:\w+\s+)?(?:for\s+)?(?:it|that|this|them|those)\b", re.I)
_GENERIC_TERMS = frozenset(["ask", "asked", "need", "want", "customer", "engineer", "engineering", "nobody", "yet"])


def _judge_vision(pair: VisionPair) -> Judgement:
    insight, statement = pair.a.insight, pair.b.statement
    text = f"{insight.statement} {insight.quote}"
    a, b, sim = pair.a.reading, pair.b.reading, pair.similarity
    flips = [t for t in polarity_flips(a, b) if t not in pair.b.common]  # not the product's own words
    clash, numbers = antonym_clash(a, b), number_clash(a, b)
    acts = insight.kind in ("decision", "action", "assumption", "promise") or bool(ADVOCACY.search(text))
    if statement.section in ("vision", "customers", "market", "other"):
        # a mission or a persona is too broad for one statement to contradict offline; what the
        # vision excludes is in its non-goals (the model may judge these)
        return Judgement("unrelated", "The mission and personas are not contradicted by one statement.", 0.5)
    if statement.section == "metrics":
        # a metric is missed by a measured number, not contradicted by words
        missed = misses_bound(b, a) if MEASURED.search(text) and not HEDGED.search(text) else None
        if missed and pair.cosine >= 0.4 and insight.kind in ("finding", "roadblock"):
            return Judgement("contradicts", f"Measured {_count(missed[0])} against the vision's {missed[1]}.", 0.45)
        if sim >= 0.5 and numbers and acts:
            return Judgement(
                "contradicts",
                f"It acts outside the vision's numbers: {_count(numbers[0])} versus {_count(numbers[1])}.",
                0.35,
            )
        return Judgement("unrelated", "No measured number that misses the metric.", 0.5)
    if statement.section == "principles" and insight.kind in ("decision", "action", "request", "promise"):
        single = _one_customer(statement.text, text)
        if single:
            return Judgement(
                "contradicts", f"Work for one customer ({single}) against a principle of one product for all.", 0.45
            )
    if statement.section == "non_goals":
        asserted = sorted(t for t in a.shared(b) if a.terms[t] and t not in pair.b.common)
        denied = [t for t in a.shared(b) if not a.terms[t]]
        plans = insight.kind in ("decision", "action", "promise", "assumption") or bool(_WE_PLAN.search(text))
        refused = denies(insight.quote) or _REFUSED.search(text)
        if plans and asserted and not denied and not refused and sim >= 0.4:
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
        if pair.cosine < 0.25:
            return Judgement("unrelated", "The promise is not about anything the vision covers.", 0.5)
        # weak evidence: what was promised may be too small for a roadmap (a file, a call)
        return Judgement("contradicts", "Nothing on the roadmap mentions what was promised.", 0.35)
    statement = best.statement
    if statement.section == "non_goals":
        return Judgement("contradicts", "The vision lists what was promised as a non-goal.", 0.5)
    if statement.commitment == "exploring":
        return Judgement("contradicts", "The roadmap only explores this; it is not committed.", 0.5)
    reference = dt.date.fromisoformat(promise.date)
    promised, committed = due_by(text, reference), due_by(statement.text, reference)
    if promised and committed and promised[0] < _period_start(committed):
        return Judgement(
            "contradicts", f"Promised for {promised[1]}, but the roadmap commits it for {committed[1]}.", 0.45
        )
    return Judgement("supports", "A committed roadmap item covers it.", 0.5)


_MONTH_ONLY = re.compile(r"(?:(?:early|mid|late|end of|the end of|beginning of)[- ]?)?[a-z]+\.?(?:,?\s+\d{4})?", re.I)


def _period_start(due: tuple[dt.date, str]) -> dt.date:
    """The first day of the period a roadmap date names: a promise for November is within "Q4"."""
    day, words = due
    if re.search(r"\bq[1-4]\b|quarter", words, re.I):
        month = (day.month - 1) // 3 * 3 + 1
        return dt.date(day.year, month, 1)
    if re.search(r"\byear\b", words, re.I):
        return dt.date(day.year, 1, 1)
    if re.fullmatch(
        r"(?:(?:early|mid|late|end of|the end of|beginning of)[- ]?)?[a-z]+\.?(?:,?\s+\d{4})?", words.strip(), re.I
    ):
        return day.replace(day=1)  # a month, not a day of it
    return day


_NO_CUSTOM = re.compile(
    r"\b(?:no|not|never|without)\b[^.]*\b(?:single|one|specific|individual|custom)\b[^.]*\b(?:customer|client|account)s?\b|"
    r"\bcustomer-specific\b|\bone (?:product|configuration|build|codebase|version) for (?:all|every)\b",
    re.I,
)
_FOR_ONE = re.compile(
    r"\b(?:(?:build|cut|make|ship|write|add|do|keep|fork|branch)\b[^.?!]*?\bfor ([A-Z][\w&-]+(?:[ -][A-Z][\w&-]+)?)|"
    r"([A-Z][\w&-]+)-specific|custom (?:build|branch|version|export|integration) for ([A-Z][\w&-]+))"
)


def _one_customer(principle: str, text: str) -> str | None:
    """The customer a decision builds something for, when the principle says one product for all."""
    if not _NO_CUSTOM.search(principle):
        return None
    for match in _FOR_ONE.finditer(text):
        name = next(g for g in match.groups() if g)
        if name.split()[0] not in _NOT_NAMES:
            return name
    return None


_NOT_NAMES = frozenset(
    ["I", "We", "The", "This", "That", "It", "Our", "All", "Every", "Q1", "Q2", "Q3", "Q4", "Monday", "Tuesday"]
    + ["Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May"]
    + ["June", "July", "August", "September", "October", "November", "December"]
)


def _count(number: Count) -> str:
    low, high, unit = number
    value = f"{low:g}" if low == high else f"{low:g} to {high:g}"
    plural = "s" if unit in UNITS and unit not in ("%",) and high != 1 and not unit.endswith("s") else ""
    return f"{value} {unit}{plural}" if unit != "%" else f"{value}%"
