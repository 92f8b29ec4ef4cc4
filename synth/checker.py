"""`synth check`: hold every insight against the stored vision and against each other.

1. Candidates. Each insight that is new since the last check (all of them after the vision
   changes) is paired with its most similar vision statements, with other functions' insights
   on the same topic, and (assumptions) with later evidence; a promise to a customer is paired
   with the roadmap. At most `check_candidates` pairs per insight and kind of pair, so the cost
   grows with the new insights, not with the square of the store.
2. Judgements. A prompted chain (prompts/check_pairs.md) judges several pairs per call as
   contradicts / supports / unrelated with a one-sentence reason; replies are cached per pair.
   Offline, a checker without a model reads polarity, numbers, dates and cue phrases, and its
   flags carry lower confidences.
3. Flags. The kind of pair and the verdict give the flag type. A flag's id comes from what its
   sides say, so checking again finds the same flag and keeps the status a person gave it; a
   dismissed pair is never raised again.
4. Unheard themes: requests and roadblocks that recur in three or more meetings and that no
   vision statement is close to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pydantic import BaseModel, Field, field_validator

from .compare import (
    ADVOCACY,
    EVIDENCE,
    REFUTES,
    SUPPORTS,
    Reading,
    antonym_clash,
    due_by,
    number_clash,
    polarity_flips,
    read,
)
from .errors import ModelError
from .grounding import words
from .kinds import FLAG_TYPES
from .llm.chain import PromptedChain
from .models import CheckReport, Flag, FlagSide, Insight
from .teams import OUTSIDE, display_team
from .vision import Vision, VisionStatement, parse_vision

CHECK_PROMPT = "check_pairs"
VISION_VERSIONS = "vision_versions"
VISION_TEXT = "vision_text:"
CHECK_STATE = "check_state"

# Cosine similarities (MiniLM) below which two statements are not about the same thing.
VISION_MIN = 0.35
TEAM_MIN = 0.45
ASSUMPTION_MIN = 0.40
PROMISE_MATCH = 0.45
UNHEARD_LINK = 0.55
UNHEARD_ADDRESSED = 0.45
UNHEARD_MEETINGS = 3

TEAM_KINDS = ("finding", "assumption", "request", "roadblock", "decision")
EVIDENCE_KINDS = ("finding", "roadblock", "decision", "request")
THEME_KINDS = ("request", "roadblock")
VERDICTS = ("contradicts", "supports", "unrelated")


@dataclass
class Item:
    """Something that can be one side of a flag, with its vector."""

    side: FlagSide
    vector: list[float]
    insight: Insight | None = None
    statement: VisionStatement | None = None
    _reading: Reading | None = None

    @property
    def key(self) -> str:
        return self.side.key

    @property
    def reading(self) -> Reading:
        if self._reading is None:
            text = self.side.text if self.insight is None else f"{self.insight.statement} {self.insight.quote}"
            negative = self.statement is not None and self.statement.section == "non_goals"
            self._reading = read(text, negative=negative)
        return self._reading


@dataclass
class Pair:
    category: str  # vision, team, assumption, promise
    a: Item
    b: Item
    similarity: float  # relatedness: cosine plus the shared-word bonus
    context: list[Item] = field(default_factory=list)  # promise: the roadmap and non-goals

    @property
    def cosine(self) -> float:
        return float(sum(x * y for x, y in zip(self.a.vector, self.b.vector)))

    @property
    def key(self) -> str:
        return f"{self.category}|{self.a.key}|{self.b.key}"


@dataclass
class Judgement:
    verdict: str
    reason: str
    confidence: float


def flag_type(category: str, verdict: str) -> str | None:
    if verdict == "contradicts":
        return {
            "vision": "vision_conflict",
            "team": "team_conflict",
            "assumption": "assumption_refuted",
            "promise": "promise_gap",
        }[category]
    if verdict == "supports" and category == "assumption":
        return "assumption_supported"
    return None


# --- items -------------------------------------------------------------------------------------


def insight_key(insight: Insight) -> str:
    """What an insight says, where: the same quote in the same meeting is the same side."""
    return f"{insight.meeting_id}|{' '.join(words(insight.quote))}"


def insight_item(insight: Insight, vector: list[float]) -> Item:
    key = insight_key(insight)
    return Item(
        FlagSide(
            kind=insight.kind,
            text=insight.statement,
            quote=insight.quote,
            speaker=insight.speaker,
            team=insight.team,
            meeting_id=insight.meeting_id,
            title=insight.title,
            date=insight.date,
            source=insight.source,
            start_line=insight.start_line,
            end_line=insight.end_line,
            key=key,
        ),
        vector,
        insight=insight,
    )


def statement_item(statement: VisionStatement, vector: list[float]) -> Item:
    key = f"vision|{statement.section}|{' '.join(words(statement.text))}"
    return Item(
        FlagSide(
            kind="vision",
            text=statement.text,
            quote=statement.text,
            section=statement.label,
            source=statement.source,
            start_line=statement.start_line,
            end_line=statement.end_line,
            key=key,
        ),
        vector,
        statement=statement,
    )


def _matrix(items: list[Item]):
    import numpy as np

    if not items:
        return np.zeros((0, 1), dtype=np.float32)
    return np.asarray([i.vector for i in items], dtype=np.float32)


def _known_team(team: str | None) -> bool:
    return bool(team) and team not in OUTSIDE


def _later(evidence: Insight, assumption: Insight) -> bool:
    if evidence.meeting_id == assumption.meeting_id:
        return evidence.start_line > assumption.end_line
    return (evidence.date, evidence.meeting_id) > (assumption.date, assumption.meeting_id)


# --- candidates --------------------------------------------------------------------------------


class Lexicon:
    """Relatedness = cosine similarity plus a bonus for rare content words two statements share
    (names, products and numbers that a sentence embedding of a short statement underweights)."""

    def __init__(self, items: list[Item]):
        import math

        self.items = items
        self.index: dict[str, list[int]] = {}
        for k, item in enumerate(items):
            for term in item.reading.terms:
                self.index.setdefault(term, []).append(k)
        n = max(2, len(items))
        self.weight = {t: math.log(n / len(ks)) / math.log(n) for t, ks in self.index.items()}

    def related(self, item: Item, sims):
        """`sims` (cosine to every item) raised by the shared-word bonus, at most 0.25."""
        import numpy as np

        bonus = np.zeros(len(self.items), dtype=np.float32)
        for term in item.reading.terms:
            for k in self.index.get(term, ()):
                bonus[k] += 0.1 * self.weight.get(term, 0.0)
        return np.minimum(1.0, sims + np.minimum(bonus, 0.25))


def candidate_pairs(
    new: list[Item], items: list[Item], statements: list[Item], n: int, vision_targets: list[Item]
) -> list[Pair]:
    """Pairs worth judging: vision pairs for `vision_targets`, and team, assumption and promise
    pairs that involve a new insight. At most `n` of each kind per insight."""
    import numpy as np

    pairs: dict[str, Pair] = {}

    def add(pair: Pair) -> None:
        pairs.setdefault(pair.key, pair)

    roadmap = [s for s in statements if s.statement.section in ("roadmap", "non_goals")]
    if statements:
        matrix = _matrix(statements)
        vision_lexicon = Lexicon(statements)
        for item in vision_targets:
            if item.insight.kind == "promise":
                continue  # promises are held against the roadmap below
            sims = vision_lexicon.related(item, matrix @ np.asarray(item.vector, dtype=np.float32))
            order = [int(j) for j in np.argsort(-sims) if sims[j] >= VISION_MIN][:n]
            for j in order:
                add(Pair("vision", item, statements[j], float(sims[j])))
        if roadmap:
            road = _matrix(roadmap)
            for item in vision_targets:
                if item.insight.kind != "promise":
                    continue
                sims = road @ np.asarray(item.vector, dtype=np.float32)
                ranked = sorted(range(len(roadmap)), key=lambda j: -_match_score(item, roadmap[j], float(sims[j])))
                best = ranked[0]
                add(Pair("promise", item, roadmap[best], float(sims[best]), context=[roadmap[j] for j in ranked]))

    if not items:
        return list(pairs.values())
    matrix = _matrix(items)
    lexicon = Lexicon(items)
    index = {id(item): k for k, item in enumerate(items)}
    for item in new:
        a = item.insight
        sims = lexicon.related(item, matrix @ np.asarray(item.vector, dtype=np.float32))
        order = [int(j) for j in np.argsort(-sims)]
        if a.kind in TEAM_KINDS and _known_team(a.team):
            found = 0
            for j in order:
                b = items[j].insight
                if sims[j] < TEAM_MIN or found >= n:
                    break
                if j != index.get(id(item)) and b.kind in TEAM_KINDS and _known_team(b.team) and b.team != a.team:
                    first, second = sorted((item, items[j]), key=lambda x: x.key)
                    add(Pair("team", first, second, float(sims[j])))
                    found += 1
        if a.kind == "assumption":  # later evidence about a new assumption
            found = 0
            for j in order:
                b = items[j].insight
                if sims[j] < ASSUMPTION_MIN or found >= n:
                    break
                if b.kind in EVIDENCE_KINDS and _later(b, a):
                    add(Pair("assumption", item, items[j], float(sims[j])))
                    found += 1
        if a.kind in EVIDENCE_KINDS:  # a new piece of evidence about earlier assumptions
            found = 0
            for j in order:
                b = items[j].insight
                if sims[j] < ASSUMPTION_MIN or found >= n:
                    break
                if b.kind == "assumption" and _later(a, b):
                    add(Pair("assumption", items[j], item, float(sims[j])))
                    found += 1
    return list(pairs.values())


def _match_score(promise: Item, statement: Item, similarity: float) -> float:
    """How well a roadmap statement matches a promise: similarity, plus shared content words."""
    shared = set(promise.reading.terms) & set(statement.reading.terms)
    return similarity + 0.1 * len(shared)


# --- the offline judge -------------------------------------------------------------------------


def judge_offline(pair: Pair) -> Judgement:
    """Polarity, numbers, dates and cue phrases between two similar statements."""
    if pair.category == "promise":
        return _judge_promise(pair)
    a, b, sim = pair.a.reading, pair.b.reading, pair.similarity
    flips = polarity_flips(a, b)
    clash = antonym_clash(a, b)
    numbers = number_clash(a, b)
    if pair.category == "assumption":
        later = pair.b.side.text + " " + pair.b.side.quote
        if REFUTES.search(later) and sim >= 0.45:
            return Judgement("contradicts", "Later evidence says the assumption does not hold.", 0.5)
        if flips and sim >= 0.45:
            return Judgement(
                "contradicts", f"The assumption asserts what later evidence denies ({', '.join(flips[:3])}).", 0.4
            )
        if numbers and sim >= 0.45:
            return Judgement(
                "contradicts", f"The numbers differ: {_count(numbers[0])} versus {_count(numbers[1])}.", 0.4
            )
        if SUPPORTS.search(later) and pair.cosine >= 0.55 and a.shared(b):
            return Judgement("supports", "Later evidence confirms the assumption.", 0.45)
        if sim >= 0.7 and EVIDENCE.search(later) and not clash:
            return Judgement("supports", "Later evidence says the same as the assumption.", 0.35)
        return Judgement("unrelated", "No sign that the later statement bears on the assumption.", 0.5)
    if pair.category == "team":
        if pair.cosine < 0.35 or len(a.shared(b)) < 2:
            return Judgement("unrelated", "Too little in common to be about the same thing.", 0.5)
        if sim >= 0.5 and flips:
            return Judgement(
                "contradicts", f"One function asserts what the other denies ({', '.join(flips[:3])}).", 0.4
            )
        if sim >= 0.5 and clash:
            return Judgement("contradicts", f"They say opposite things ({clash[0]} versus {clash[1]}).", 0.35)
        if sim >= 0.55 and numbers:
            return Judgement(
                "contradicts", f"The numbers differ: {_count(numbers[0])} versus {_count(numbers[1])}.", 0.35
            )
        return Judgement("unrelated", "No opposite polarity, numbers or options found.", 0.5)
    return _judge_vision(pair, flips, clash, numbers)


def _judge_vision(pair: Pair, flips, clash, numbers) -> Judgement:
    insight, statement = pair.a.insight, pair.b.statement
    text = f"{insight.statement} {insight.quote}"
    a, b, sim = pair.a.reading, pair.b.reading, pair.similarity
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


def _judge_promise(pair: Pair) -> Judgement:
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


def _count(number: tuple) -> str:
    low, high, unit = number
    value = f"{low:g}" if low == high else f"{low:g} to {high:g}"
    return f"{value} {unit}"


# --- the prompted judge ------------------------------------------------------------------------


class PairJudgement(BaseModel):
    pair: int
    verdict: str = Field(json_schema_extra={"enum": list(VERDICTS)})
    reason: str = ""
    confidence: float = 0.6

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict(cls, value) -> str:
        text = str(value or "").strip().lower()
        aliases = {
            "contradict": "contradicts",
            "contradiction": "contradicts",
            "conflict": "contradicts",
            "refutes": "contradicts",
            "support": "supports",
            "confirms": "supports",
            "none": "unrelated",
            "neutral": "unrelated",
            "unrelated.": "unrelated",
        }
        text = aliases.get(text, text)
        if text not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {value!r}")
        return text

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return 0.6
        return min(1.0, max(0.0, number / 100 if 1 < number <= 100 else number))


class CheckOutput(BaseModel):
    judgements: list[PairJudgement]


QUESTIONS = {
    "vision": "Does A go against the vision statement B (acts against a principle or non-goal, targets "
    "customers or markets outside it, or finds that customers do not want what B says)?",
    "team": "A and B come from two different functions. Do they state incompatible things about the same topic?",
    "assumption": "A is an assumption; B was said later. Does B refute A (contradicts), confirm it (supports), "
    "or not bear on it (unrelated)?",
    "promise": "A may be something told to a customer. Is it backed by a committed roadmap item, by the promised "
    "time (supports)? Answer contradicts if the roadmap only explores it, rules it out, commits a "
    "later date or does not mention it; unrelated if A is not a promise about the product.",
}


def _describe(item: Item) -> str:
    side = item.side
    if item.statement is not None:
        return f'vision statement ({side.section}): "{side.text}"'
    who = ", ".join(x for x in (side.speaker, side.team) if x)
    return f'{side.kind} ({who}, {side.date}): {side.text} Quote: "{side.quote}"'


def pair_text(pair: Pair) -> str:
    """How a pair is shown to the model (and keyed in the cache)."""
    from .extraction import _neutralize

    lines = [f"A: {_describe(pair.a)}"]
    if pair.category == "promise":
        lines.append("B: the roadmap and non-goals:")
        lines.extend(f"- {c.side.section}: {c.side.text}" for c in pair.context)
    else:
        lines.append(f"B: {_describe(pair.b)}")
    lines.append(f"Question: {QUESTIONS[pair.category]}")
    return _neutralize("\n".join(lines))


class LLMJudge(PromptedChain):
    """Pairs in batches through the prompted chain (prompts/check_pairs.md); every judgement
    cached by pair."""

    def __init__(self, settings, store):
        super().__init__(settings, store, CHECK_PROMPT, CheckOutput, max_tokens=1500)

    def judge(self, pairs: list[Pair], store, report: CheckReport) -> dict[str, Judgement]:
        """Judge the pairs not in the cache, a batch per call; cache every usable judgement."""
        from .llm.structured import Usage

        keys = {pair.key: self.key(pair_text(pair)) for pair in pairs}
        cached = store.cache_get(list(keys.values()))
        results: dict[str, Judgement] = {}
        todo = []
        for pair in pairs:
            raw = cached.get(keys[pair.key])
            if raw:
                data = json.loads(raw)
                results[pair.key] = Judgement(data["verdict"], data["reason"], data["confidence"])
                report.cache_hits += 1
            else:
                todo.append(pair)
        batches = [todo[i : i + self.settings.check_batch] for i in range(0, len(todo), self.settings.check_batch)]

        def run(batch: list[Pair]):
            usage = Usage()
            user = "\n\n".join(
                f'<pair number="{n}" kind="{p.category}">\n{pair_text(p)}\n</pair>'
                for n, p in enumerate(batch, start=1)
            )
            try:
                out = self.chat.invoke(self.prompt, user, usage).value
            except ModelError as exc:
                return batch, None, str(exc), usage  # masked when the error was made
            return batch, out, None, usage

        outcomes = []
        if batches and not self.chat.confirmed:
            outcomes.append(run(batches.pop(0)))  # alone first: finds the structured-output method
        with ThreadPoolExecutor(max_workers=max(1, self.settings.jobs)) as pool:
            outcomes.extend(pool.map(run, batches))
        failed = 0
        for batch, out, error, usage in outcomes:
            report.llm_calls += usage.calls
            if out is None:
                failed += len(batch)
                report.warnings.append(
                    f"the model failed on {len(batch)} pairs ({error}); the offline checker judged them"
                )
                continue
            got = {j.pair: j for j in out.judgements}
            for n, pair in enumerate(batch, start=1):
                j = got.get(n)
                if j is None:
                    failed += 1
                    continue
                judgement = Judgement(j.verdict, " ".join(j.reason.split())[:400] or j.verdict, round(j.confidence, 3))
                results[pair.key] = judgement
                store.cache_put(keys[pair.key], json.dumps(judgement.__dict__), kind="check")
        if failed:
            report.warnings.append(
                f"{failed} pairs had no usable judgement from the model; the offline checker judged them"
            )
        self.remember(store)
        return results


# --- unheard themes ----------------------------------------------------------------------------


def connected(n: int, linked) -> list[list[int]]:
    """Groups of 0..n-1 where `linked(i, j)` joins i and j (and, through them, their groups)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in range(n):
        for j in range(i + 1, n):
            if linked(i, j):
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def unheard_themes(items: list[Item], statements: list[Item]) -> list[tuple[list[Item], Item | None, float]]:
    """Groups of similar requests and roadblocks from three or more meetings that no
    vision statement is close to: (members, closest statement, its similarity)."""
    import numpy as np

    themed = [i for i in items if i.insight.kind in THEME_KINDS]
    if len(themed) < UNHEARD_MEETINGS:
        return []
    matrix = _matrix(themed)
    lexicon = Lexicon(themed)
    sims = np.stack([lexicon.related(item, row) for item, row in zip(themed, matrix @ matrix.T)])
    cosine = matrix @ matrix.T
    groups = connected(
        len(themed),
        lambda i, j: (
            sims[i, j] >= UNHEARD_LINK
            and cosine[i, j] >= UNHEARD_LINK - 0.1
            and themed[i].insight.meeting_id != themed[j].insight.meeting_id
        ),
    )
    themes = []
    vision = _matrix(statements) if statements else None
    for members in groups:
        meetings = {themed[i].insight.meeting_id for i in members}
        if len(meetings) < UNHEARD_MEETINGS:
            continue
        chosen = [themed[i] for i in members]
        closest, best = None, 0.0
        if vision is not None:
            scores = (vision @ matrix[members].T).mean(axis=1)  # each statement's mean similarity to the theme
            j = int(scores.argmax())
            closest, best = statements[j], float(scores[j])
            counts: dict[str, int] = {}
            for m in chosen:
                for term in m.reading.terms:
                    counts[term] = counts.get(term, 0) + 1
            salient = {t for t, c in counts.items() if c * 2 >= len(chosen)}
            mentioned = any(salient & set(s.reading.terms) for s in statements)
            if best >= UNHEARD_ADDRESSED or (mentioned and best >= 0.2):
                continue
        chosen.sort(key=lambda m: (m.insight.date, m.insight.meeting_id, m.insight.start_line))
        themes.append((chosen, closest, best))
    return themes


# --- the check ---------------------------------------------------------------------------------


def flag_id(kind: str, keys: list[str]) -> str:
    return "f" + hashlib.sha1(json.dumps([kind, keys]).encode()).hexdigest()[:7]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def current_vision(store) -> Vision | None:
    versions = store.get_setting(VISION_VERSIONS) or []
    if not versions:
        return None
    return stored_vision(store, versions[-1])


def stored_vision(store, entry: dict) -> Vision:
    text = store.get_setting(VISION_TEXT + entry["version"]) or ""
    vision = parse_vision(text, entry["source"], set_at=entry["set_at"])
    vision.number = entry["number"]
    return vision


def vision_items(store) -> tuple[Vision | None, list[Item]]:
    """The current vision and its statements with their stored vectors."""
    vision = current_vision(store)
    if vision is None:
        return None, []
    rows, vectors = store.vision_statements(vision.version)
    by_place = {(s.id, s.start_line): s for s in vision.statements}
    return vision, [
        statement_item(by_place[(r["id"], r["start_line"])], v)
        for r, v in zip(rows, vectors)
        if (r["id"], r["start_line"]) in by_place
    ]


def run_check(app, since: str | None = None, everything: bool = False) -> CheckReport:
    """Check the insights that are new since the last check (or all, or those of meetings since
    a date) and store the flags. Idempotent: the same store checked twice gives the same flags."""
    store = app.store()
    settings = app.settings
    vision, statements = vision_items(store)
    records = [r for r in store.meeting_records() if r.extraction_run]
    runs = {r.meeting_id: r.extraction_run for r in records}
    items = [
        insight_item(i, v) for i, run, v in store.insight_vectors(list(runs.values())) if runs.get(i.meeting_id) == run
    ]
    state = store.get_setting(CHECK_STATE) or {}
    checked = state.get("runs", {})
    if everything:
        new = items
    elif since:
        new = [i for i in items if i.insight.date >= since]
    else:
        new = [i for i in items if checked.get(i.insight.meeting_id) != runs.get(i.insight.meeting_id)]
    vision_version = vision.version if vision else None
    vision_targets = items if (everything or state.get("vision") != vision_version) else new

    judge = LLMJudge(settings, store) if settings.llm_configured else None
    report = CheckReport(
        judge=judge.name if judge else "offline",
        insights_total=len(items),
        statements=len(statements),
        vision_set=vision is not None,
    )
    report.insights_checked = len({id(i) for i in new} | {id(i) for i in vision_targets})
    pairs = candidate_pairs(new, items, statements, settings.check_candidates, vision_targets)
    report.pairs = len(pairs)
    judgements = judge.judge(pairs, store, report) if judge and pairs else {}
    now = _now()
    existing = {f["id"]: f for f in store.flags()}
    produced: dict[str, Flag] = {}
    judged_ids: set[str] = set()
    for pair in pairs:
        judgement = judgements.get(pair.key) or judge_offline(pair)
        checker = report.judge if pair.key in judgements else "offline"
        ids = {
            kind: flag_id(kind, [pair.a.key, pair.b.key])
            for kind in (flag_type(pair.category, v) for v in ("contradicts", "supports"))
            if kind
        }
        judged_ids.update(ids.values())  # any flag this pair could raise was decided just now
        kind = flag_type(pair.category, judgement.verdict)
        if kind is None:
            continue
        produced[ids[kind]] = Flag(
            id=ids[kind],
            type=kind,
            sides=[pair.a.side, pair.b.side],
            explanation=judgement.reason,
            confidence=judgement.confidence,
            checker=checker,
            created_at=now,
            updated_at=now,
        )
    for members, closest, best in unheard_themes(items, statements):
        meetings = sorted({m.insight.meeting_id for m in members})
        teams = sorted({m.insight.team for m in members if _known_team(m.insight.team)})
        dates = sorted({m.insight.date for m in members})
        explanation = (
            f"Raised in {len(meetings)} meetings ({dates[0]} to {dates[-1]})"
            + (f" by {', '.join(display_team(t) for t in teams)}" if teams else "")
            + "; no vision or roadmap statement addresses it"
            + (f' (closest: "{closest.side.text}", similarity {best:.2f}).' if closest else " (no vision is set).")
        )
        fid = flag_id("unheard", [m.key for m in members[:UNHEARD_MEETINGS]])
        produced[fid] = Flag(
            id=fid,
            type="unheard",
            sides=[m.side for m in members[:8]],
            explanation=explanation,
            confidence=round(min(0.8, 0.5 + 0.05 * (len(meetings) - UNHEARD_MEETINGS)), 2),
            checker="offline",
            created_at=now,
            updated_at=now,
        )

    live_keys = {i.key for i in items} | {s.key for s in statements}
    to_write, to_delete = [], []
    for fid, flag in produced.items():
        old = existing.get(fid)
        if old is not None:
            flag.status, flag.note, flag.created_at = old["status"], old.get("note"), old["created_at"]
            if old["status"] == "open" and flag.model_dump(exclude={"updated_at"}) == Flag(**old).model_dump(
                exclude={"updated_at"}
            ):
                continue  # unchanged
        else:
            report.new_flags.append(flag)
        to_write.append(flag.model_dump())
    for fid, old in existing.items():
        if old["status"] != "open" or fid in produced:
            continue
        gone = any(side["key"] not in live_keys for side in old["sides"])
        if gone or fid in judged_ids or old["type"] == "unheard":
            to_delete.append(fid)  # its sides changed, or checking again no longer finds it
    store.put_flags(to_write)
    store.delete_flags(to_delete)
    store.set_setting(CHECK_STATE, {"vision": vision_version, "runs": runs})
    flags = [Flag(**f) for f in store.flags()]
    opened = [f for f in flags if f.status == "open"]
    report.open_flags = len(opened)
    report.by_type = {t: sum(1 for f in opened if f.type == t) for t in FLAG_TYPES if any(f.type == t for f in opened)}
    return report


def assumption_statuses(flags: list[Flag]) -> dict[str, tuple[str, str, str]]:
    """The status each assumption's flags give it (the latest evidence wins): side key ->
    (status, flag id, evidence date). Dismissed flags do not count."""
    found: dict[str, tuple[str, str, str]] = {}
    for flag in flags:
        if flag.type not in ("assumption_refuted", "assumption_supported") or flag.status == "dismissed":
            continue
        status = "invalidated" if flag.type == "assumption_refuted" else "validated"
        key, date = flag.sides[0].key, flag.sides[1].date or ""
        current = found.get(key)
        if current is None or (date, status == "invalidated") > (current[2], current[0] == "invalidated"):
            found[key] = (status, flag.id, date)
    return found
