"""The brief's prose, written by a prompted chain from the brief's own facts and then checked:
a sentence is kept only if it cites facts of the brief and every number in it is in those facts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

from pydantic import BaseModel, Field

from ..config import Settings
from ..errors import ModelError
from ..llm.chain import PromptedChain
from .model import Brief, Fact, Section

if TYPE_CHECKING:
    from ..store import Store

BRIEF_PROMPT = "write_brief"
FACTS_PER_SECTION = 8
_MARKER = re.compile(r"\[\s*([A-Za-z]\d+(?:\s*[,;]\s*[A-Za-z]\d+)*)\s*\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORDS = {
    w: str(n)
    for n, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.I)


class SectionLead(BaseModel):
    section: str = Field(description="the section's key, as given")
    text: str = Field(description="one to three sentences citing fact ids in brackets")


class BriefProse(BaseModel):
    leads: list[SectionLead] = Field(default_factory=list)


def numbers_in(text: str) -> set[str]:
    """The numbers a text states, digits or words ("six" -> "6"), without separators."""
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    found |= {_WORDS[w.lower()] for w in _NUMBER_WORD.findall(text)}
    parts = set()
    for n in found:  # 2026-10-06 in a fact also allows 2026, 10 and 6
        parts |= {p.lstrip("0") or "0" for p in re.split(r"[^\d]", n) if p}
    return found | parts


def fact_numbers(fact: Fact) -> set[str]:
    """The numbers a fact states: in its text, its details and its date."""
    details = " ".join(str(v) for v in fact.details.values())  # every number its detail text shows is here
    return numbers_in(f"{fact.text} {details} {fact.date or ''}")


def _repair_citations(sentence: str, facts: dict[str, Fact]) -> tuple[str, list[str]]:
    """The sentence with its citations repaired (unknown ids removed, spelling normalised), and
    the ids of the facts it still cites."""
    cited: list[str] = []

    def repair(match: re.Match[str]) -> str:
        ids = [i.strip().upper() for i in re.split(r"[,;]", match.group(1))]
        good = [i for i in ids if i in facts]
        cited.extend(good)
        return f"[{', '.join(good)}]" if good else ""

    return _MARKER.sub(repair, sentence), cited


def verify(text: str, facts: dict[str, Fact]) -> tuple[str, dict[str, int]]:
    """Keep the sentences whose citations are facts of the brief and whose numbers those facts
    state; repair citations (unknown ids removed, spelling normalised). Returns the kept text and
    the count of dropped sentences by reason."""
    kept, dropped = [], {"citation": 0, "number": 0}
    for sentence in _SENTENCE.split(" ".join(text.split())):
        if not sentence:
            continue
        body, cited = _repair_citations(sentence, facts)
        if not cited:
            dropped["citation"] += 1
            continue
        allowed = set().union(*(fact_numbers(facts[i]) for i in cited))
        plain = _MARKER.sub("", body)
        if not numbers_in(plain) <= allowed:
            dropped["number"] += 1
            continue
        kept.append(re.sub(r"(?<!\s)\s+([.,;!?])", r"\1", " ".join(body.split())))
    return " ".join(kept), dropped


class BriefWriter(PromptedChain):
    """One call for the whole brief; the reply cached by the facts it was given."""

    def __init__(self, settings: Settings, store: Store):
        super().__init__(settings, store.settings, BRIEF_PROMPT, BriefProse, max_tokens=900)

    @staticmethod
    def message(brief: Brief) -> str:
        """The model's input: the brief's facts by section, each with its details in words."""
        audience = (
            f"This brief is for {brief.person + ', ' if brief.person else ''}{brief.audience or 'the whole team'}."
        )
        parts = [f"{audience} Period: {brief.period}; as of {brief.until}."]
        for section in brief.sections:
            if not section.facts:
                continue
            lines = [f'<section key="{section.key}" title="{section.title}">']
            for fact in section.facts[:FACTS_PER_SECTION]:
                lines.append(f"[{fact.id}] {fact.text[:300]} ({fact.detail_text()[:300]})")
            lines.append("</section>")
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def write(self, brief: Brief, store: Store) -> Brief:
        """The brief with a verified lead per section; on a model failure, the brief unchanged
        with a note saying why."""
        import json

        from ..llm.structured import Usage

        user = self.message(brief)
        key = self.key(user)
        cached = store.cache.get_many([key]).get(key)
        if cached:
            prose = BriefProse(**json.loads(cached))
        else:
            try:
                # StructuredChat is not generic yet: its value is the schema given, BriefProse
                prose = cast(BriefProse, self.chat.invoke(self.prompt, user, Usage()).value)
            except ModelError as exc:
                brief.notes.append(
                    f"the model could not write the prose ({exc}); "  # masked when the error was made
                    "the brief is the offline one"
                )
                return brief
            store.cache.put(key, prose.model_dump_json(), kind="brief")
            self.remember()
        facts = {f.id: f for f in brief.all_facts()}
        sections: dict[str, Section] = {s.key: s for s in brief.sections}
        dropped = {"citation": 0, "number": 0, "section": 0}
        for lead in prose.leads:
            section = sections.get(lead.section.strip().lower())
            if section is None or not section.facts:
                dropped["section"] += 1
                continue
            text, lost = verify(lead.text, facts)
            for reason, n in lost.items():
                dropped[reason] += n
            if text:
                section.prose = f"{section.prose} {text}" if section.prose else text
        brief.mode = self.name
        brief.dropped = {k: v for k, v in dropped.items() if v}
        return brief
