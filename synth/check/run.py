"""One check, as a function of data: the stored insights, vision and flags go in; the flags to
store, the flags to delete and the new check state come out. The caller reads and writes them."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..kinds import FLAG_TYPES
from ..models import CheckReport, CheckState, Flag, Insight
from ..vision import Vision
from .candidates import candidate_pairs
from .flags import VERDICTS, flag_id, flag_type, timestamp
from .items import InsightItem, Judgement, Pair, Vector, insight_item, statement_items
from .judge_offline import OfflineJudge, judge_offline
from .neighbours import InsightVectors, MemoryVectors
from .themes import unheard_flag, unheard_themes

DEFAULT_CANDIDATES = 3  # pairs per insight and kind of pair (Settings.check_candidates)


class Judge(Protocol):
    """Decides pairs: the offline checker, or a model (judge_llm.LLMJudge)."""

    @property
    def name(self) -> str:
        """offline, or llm:MODEL: what flags record as their checker."""
        ...

    def judge(self, pairs: list[Pair], report: CheckReport) -> dict[str, Judgement]:
        """Judgements by pair key; a pair left out is judged offline. Counts calls, cache hits
        and warnings in `report`."""
        ...


FlagEntry = tuple[str, list[str]]  # a flag's type and its sides' keys: what a check decides by


class StoredFlags(Protocol):
    """The stored flags as a check reads them: every open one's type and sides' keys, and in
    full only those it asks for (the flags it raises again)."""

    def open_entries(self) -> dict[str, FlagEntry]:
        """Each open flag's type and sides' keys, by id, in the store's order."""
        ...

    def some(self, ids: list[str]) -> dict[str, Flag]:
        """The stored flags (of any status) with these ids, by id."""
        ...


def flag_entry(flag: Flag) -> FlagEntry:
    return flag.type, [side.key for side in flag.sides]


class ListedFlags:
    """`StoredFlags` over every stored flag, read in full."""

    def __init__(self, flags: Sequence[Flag]):
        self.flags = {f.id: f for f in flags}

    def open_entries(self) -> dict[str, FlagEntry]:
        return {i: flag_entry(f) for i, f in self.flags.items() if f.status == "open"}

    def some(self, ids: list[str]) -> dict[str, Flag]:
        return {i: self.flags[i] for i in ids if i in self.flags}


@dataclass(frozen=True)
class CheckInputs:
    """Everything a check reads from the store."""

    insights: list[Insight]  # of the visible extraction runs
    # their statements' vectors (`vectors[k]` is insights[k]'s), or where the check reads those it
    # needs and their nearest neighbours (the store: never every vector)
    vectors: list[Vector] | InsightVectors
    runs: dict[str, str]  # meeting id -> its visible extraction run
    vision: Vision | None  # the current vision, None when none is set
    vision_vectors: list[Vector]  # vision_vectors[k] is the vector of vision.statements[k]
    flags: list[Flag] | StoredFlags  # every stored flag, whatever its status, or where to read them
    state: CheckState = field(default_factory=CheckState)
    # the terms an earlier check kept for insights[k] (see KeptTerms), None where none were kept
    terms: Sequence[KeptTerms | None] = ()


@dataclass
class CheckResult:
    """What a check decided; the caller stores it."""

    put: list[Flag]  # new flags, and flags whose content changed or that were raised again
    delete: list[str]  # ids of open flags that checking again no longer finds
    state: CheckState
    report: CheckReport
    terms: list[tuple[Insight, KeptTerms]] = field(default_factory=list)  # to keep for the next check


def run_check(
    inputs: CheckInputs,
    judge: Judge | None = None,
    *,
    since: dt.date | None = None,
    everything: bool = False,
    candidates: int = DEFAULT_CANDIDATES,
    now: str | None = None,
) -> CheckResult:
    """Check the insights that are new since the last check (or all of them, or those of meetings
    on or after `since`) against the vision and each other. `judge` None is the offline checker.
    Idempotent: the result of checking the same inputs again changes no flag."""
    judge = judge or OfflineJudge()
    now = now or timestamp()
    statements = statement_items(inputs.vision, inputs.vision_vectors)
    source = MemoryVectors(inputs.insights, inputs.vectors) if isinstance(inputs.vectors, list) else inputs.vectors
    items = [insight_item(insight, []) for insight in inputs.insights]  # vectors are read as needed
    give_kept_terms(items, inputs.terms)
    new = _new_items(items, inputs, since, everything)
    vision_version = inputs.vision.version if inputs.vision else None
    vision_targets = items if (everything or inputs.state.vision != vision_version) else new

    report = CheckReport(
        judge=judge.name,
        insights_total=len(items),
        statements=len(statements),
        vision_set=inputs.vision is not None,
    )
    report.insights_checked = len({id(i) for i in new} | {id(i) for i in vision_targets})
    pairs = candidate_pairs(new, items, statements, candidates, vision_targets, source)
    report.pairs = len(pairs)
    produced, judged_ids = _judge_pairs(pairs, judge, report, now)
    # unheard themes: every group when everything or the vision is checked again, otherwise only
    # the groups that hold a new request or roadblock (the others stand as the last check left them)
    touching = None if vision_targets is items else new
    themes, linked = unheard_themes(items, statements, touching, source, inputs.state.themes)
    for theme in themes:
        flag = unheard_flag(theme, now)
        produced[flag.id] = flag
    live_keys = {i.key for i in items} | {s.key for s in statements}
    flags = ListedFlags(inputs.flags) if isinstance(inputs.flags, list) else inputs.flags
    to_put, to_delete = _reconcile(produced, flags, judged_ids, live_keys, report, linked.looked_at)

    opened = flags.open_entries() | {f.id: flag_entry(f) for f in to_put}
    for fid in [*to_delete, *(f.id for f in to_put if f.status != "open")]:
        opened.pop(fid, None)
    report.open_flags = len(opened)
    types = [kind for kind, _ in opened.values()]
    report.by_type = {t: types.count(t) for t in FLAG_TYPES if t in types}
    state = CheckState(vision=vision_version, runs=dict(inputs.runs), themes=linked.groups, flags=opened)
    return CheckResult(put=to_put, delete=to_delete, state=state, report=report, terms=terms_to_keep(items))


# Relatedness between insights needs every insight's terms (its reading's content words): reading
# every insight again costs more than the rest of the check of one new meeting, so a check keeps
# the terms it read with each insight, and the next one reads only the insights without them. A
# change to the reader (compare.py) makes kept terms stale: they are kept with its fingerprint.
KeptTerms = tuple[str, list[str]]  # (the reader's fingerprint, the terms in reading order)


@functools.cache
def reader_fingerprint() -> str:
    """A digest of the reader's code."""
    import hashlib
    import inspect

    from . import compare

    return hashlib.sha256(inspect.getsource(compare).encode()).hexdigest()[:16]


def give_kept_terms(items: list[InsightItem], kept: Sequence[KeptTerms | None]) -> None:
    """Give each item the terms kept for it by the current reader, if any."""
    for item, terms in zip(items, kept):
        if terms is not None and terms[0] == reader_fingerprint():
            item.known_terms = list(terms[1])


def terms_to_keep(items: list[InsightItem]) -> list[tuple[Insight, KeptTerms]]:
    """The terms this check read (items without kept terms that it read), to keep."""
    return [
        (item.insight, (reader_fingerprint(), item.terms))
        for item in items
        if item.known_terms is None and "reading" in item.__dict__  # read by this check
    ]


def _judge_pairs(pairs: list[Pair], judge: Judge, report: CheckReport, now: str) -> tuple[dict[str, Flag], set[str]]:
    """The flags the pairs raise, by id; and the ids of every flag they could have raised (all
    of them decided just now)."""
    judgements = judge.judge(pairs, report) if pairs else {}
    produced: dict[str, Flag] = {}
    judged_ids: set[str] = set()
    for pair in pairs:
        judgement = judgements.get(pair.key) or judge_offline(pair)
        checker = judge.name if pair.key in judgements else "offline"
        ids = {
            kind: flag_id(kind, [pair.a.key, pair.b.key])
            for kind in (flag_type(pair.category, v) for v in VERDICTS)
            if kind
        }
        judged_ids.update(ids.values())
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
    return produced, judged_ids


def _reconcile(
    produced: dict[str, Flag],
    stored: StoredFlags,
    judged_ids: set[str],
    live_keys: set[str],
    report: CheckReport,
    themed: set[str],
) -> tuple[list[Flag], list[str]]:
    """What to write (new flags, and flags raised again whose content changed or that a person
    closed) and which open flags to delete; new flags are added to the report. An unheard flag
    not raised again is deleted when one of its sides was in a group looked at (`themed`)."""
    existing = stored.some(list(produced))
    to_put: list[Flag] = []
    to_delete: list[str] = []
    for fid, flag in produced.items():
        old = existing.get(fid)
        if old is not None:  # a person's status and note stay; a dismissed pair is never raised again
            flag.status, flag.note, flag.created_at = old.status, old.note, old.created_at
            if old.status == "open" and flag.model_dump(exclude={"updated_at"}) == old.model_dump(
                exclude={"updated_at"}
            ):
                continue  # unchanged
        else:
            report.new_flags.append(flag)
        to_put.append(flag)
    for fid, (kind, keys) in stored.open_entries().items():
        if fid in produced:
            continue
        gone = any(key not in live_keys for key in keys)
        regrouped = kind == "unheard" and any(key in themed for key in keys)
        if gone or fid in judged_ids or regrouped:
            to_delete.append(fid)  # its sides changed, or checking again no longer finds it
    return to_put, to_delete


def _new_items(
    items: list[InsightItem], inputs: CheckInputs, since: dt.date | None, everything: bool
) -> list[InsightItem]:
    """The insights this check starts from: all, those of meetings on or after `since`, or
    those whose meeting was extracted again since the last check."""
    if everything:
        return items
    if since:
        return [i for i in items if i.insight.date >= since.isoformat()]
    checked = inputs.state.runs
    return [i for i in items if checked.get(i.insight.meeting_id) != inputs.runs.get(i.insight.meeting_id)]
