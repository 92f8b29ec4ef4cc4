"""The prompted judge: a prompted chain (prompts/check_pairs.md) judges several pairs per call as
contradicts / supports / unrelated with a one-sentence reason; replies are cached per pair."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator

from ..config import Settings
from ..errors import ModelError
from ..llm.chain import MethodMemory, PromptedChain
from ..llm.structured import Usage
from ..models import CheckReport, Insight
from .flags import VERDICTS, PairCategory, Verdict
from .items import Item, Judgement, Pair, StatementItem, VisionPair

CHECK_PROMPT = "check_pairs"
_VERDICT_OF: dict[str, Verdict] = {v: v for v in VERDICTS}


class ReplyCache(Protocol):
    """Where judgements are kept between checks, by the key of what the model was shown."""

    def get(self, keys: list[str]) -> dict[str, str]:
        """The cached values of those keys that have one."""
        ...

    def put(self, key: str, value: str) -> None:
        """Keep one value."""
        ...


# No docstrings on these two: pydantic would put them into the schema the model is sent.
class PairJudgement(BaseModel):
    pair: int
    verdict: str = Field(json_schema_extra={"enum": list(VERDICTS)})
    reason: str = ""
    confidence: float = 0.6

    @field_validator("verdict", mode="before")
    @classmethod
    def _verdict(cls, value: object) -> str:
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
    def _confidence(cls, value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return 0.6
        return min(1.0, max(0.0, number / 100 if 1 < number <= 100 else number))


class CheckOutput(BaseModel):
    judgements: list[PairJudgement]


QUESTIONS: dict[PairCategory, str] = {
    "vision": "Does A go against the vision statement B (acts against a principle or non-goal, targets "
    "customers or markets outside it, or finds that customers do not want what B says)?",
    "team": "A and B come from two different functions. Do they state incompatible things about the same topic?",
    "assumption": "A is an assumption; B was said later. Does B refute A (contradicts), confirm it (supports), "
    "or not bear on it (unrelated)?",
    "promise": "A may be something told to a customer. Is it backed by a committed roadmap item, by the promised "
    "time (supports)? Answer contradicts if the roadmap only explores it, rules it out, commits a "
    "later date or does not mention it; unrelated if A is not a promise about the product.",
}


class Surroundings(Protocol):
    """The turns around an insight's lines, as text ("" when unknown): what the judge reads
    beside each side, so that "still waiting on it" is read with what "it" is."""

    def __call__(self, insight: Insight) -> str: ...


def _describe(item: Item, around: Surroundings | None = None) -> str:
    side = item.side
    if isinstance(item, StatementItem):
        return f'vision statement ({side.section}): "{side.text}"'
    who = ", ".join(x for x in (side.speaker, side.team) if x)
    text = f'{side.kind} ({who}, {side.date}): {side.text} Quote: "{side.quote}"'
    context = around(item.insight) if around else ""
    return text + (f"\n   Around it in the meeting: {context}" if context else "")


def pair_text(pair: Pair, around: Surroundings | None = None) -> str:
    """How a pair is shown to the model (and keyed in the cache), with the turns around each
    insight when `around` can give them."""
    from ..extraction import _neutralize

    lines = [f"A: {_describe(pair.a, around)}"]
    if isinstance(pair, VisionPair) and pair.category == "promise":
        lines.append("B: the roadmap and non-goals:")
        lines.extend(f"- {c.side.section}: {c.side.text}" for c in pair.context)
    else:
        lines.append(f"B: {_describe(pair.b, around)}")
    lines.append(f"Question: {QUESTIONS[pair.category]}")
    return _neutralize("\n".join(lines))


_Outcome = tuple[list[Pair], CheckOutput | None, str | None, Usage]


class LLMJudge(PromptedChain):
    """Pairs in batches through the prompted chain (prompts/check_pairs.md); every judgement
    cached by pair. `methods` is where the chain remembers the server's structured-output method
    (the store's settings)."""

    def __init__(
        self, settings: Settings, methods: MethodMemory, cache: ReplyCache, around: Surroundings | None = None
    ):
        super().__init__(settings, methods, CHECK_PROMPT, CheckOutput, max_tokens=1500)
        self.cache = cache
        self.around = around

    def judge(self, pairs: list[Pair], report: CheckReport) -> dict[str, Judgement]:
        """Judge the pairs not in the cache, a batch per call; cache every usable judgement."""
        keys = {pair.key: self.key(pair_text(pair, self.around)) for pair in pairs}
        cached = self.cache.get(list(keys.values()))
        results: dict[str, Judgement] = {}
        todo = []
        for pair in pairs:
            raw = cached.get(keys[pair.key])
            data = json.loads(raw) if raw else None
            verdict = _VERDICT_OF.get(data["verdict"]) if data else None
            if data and verdict:
                results[pair.key] = Judgement(verdict, data["reason"], data["confidence"])
                report.cache_hits += 1
            else:
                todo.append(pair)
        batch_size = self.settings.check_batch
        batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]

        def run(batch: list[Pair]) -> _Outcome:
            usage = Usage()
            user = "\n\n".join(
                f'<pair number="{n}" kind="{p.category}">\n{pair_text(p, self.around)}\n</pair>'
                for n, p in enumerate(batch, start=1)
            )
            try:
                out = self.chat.invoke(self.prompt, user, usage).value
            except ModelError as exc:
                return batch, None, str(exc), usage  # masked when the error was made
            assert isinstance(out, CheckOutput)  # the chat validated the reply against this schema
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
                verdict = _VERDICT_OF.get(j.verdict) if j else None
                if j is None or verdict is None:
                    failed += 1
                    continue
                judgement = Judgement(verdict, " ".join(j.reason.split())[:400] or j.verdict, round(j.confidence, 3))
                results[pair.key] = judgement
                self.cache.put(keys[pair.key], json.dumps(asdict(judgement)))
        if failed:
            report.warnings.append(
                f"{failed} pairs had no usable judgement from the model; the offline checker judged them"
            )
        self.remember()
        return results
