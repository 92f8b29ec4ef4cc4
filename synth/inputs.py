"""What each use case reads from the store, loaded into its typed inputs, and what the check
writes back. `Synth` calls these inside a command's session; the use cases themselves (check/,
brief/, report.py, answer.py) never see the store."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from .dates import bounded
from .models import Insight, MeetingRecord, Turn

if TYPE_CHECKING:
    from .answer import Retrieved
    from .brief.facts import Facts, NearPassage
    from .check import CheckInputs, CheckResult
    from .retriever import Filters, Retriever
    from .store import Store
    from .vision import Vision


def vision_vectors(store: Store) -> tuple[Vision | None, list[list[float]]]:
    """The current vision and its statements' vectors (`vectors[k]` is statement k's)."""
    vision, statements = store.vision.current_with_vectors()
    return vision, [vector for _, vector in statements]


def check_inputs(store: Store) -> CheckInputs:
    """Everything synth check reads: the visible insights with their vectors, the vision with its
    vectors, the stored flags and what the last check saw."""
    from .check import CheckInputs

    records = store.meetings.records()
    vision, vectors = vision_vectors(store)
    return CheckInputs(
        insights=[(row.insight, row.vector) for row in store.insights.visible_with_vectors(records)],
        runs={r.meeting_id: r.extraction_run for r in records if r.extraction_run},
        vision=vision,
        vision_vectors=vectors,
        flags=store.flags.all(),
        state=store.settings.check_state(),
    )


def save_check(store: Store, result: CheckResult) -> None:
    """Store what a check decided: flags written, flags deleted, then what it saw."""
    store.flags.put(result.put)
    store.flags.delete(result.delete)
    store.settings.set_check_state(result.state)


class TurnsAround:
    """The turn before and the turn after an insight's lines, read once per meeting from its
    passages: what the model judge reads beside each side of a pair. Only the meetings of the
    pairs judged are read."""

    REACH = 300  # characters of each neighbouring turn

    def __init__(self, store: Store):
        self.store = store
        self._versions: dict[str, str] | None = None
        self._turns: dict[str, list[Turn]] = {}

    def __call__(self, insight: Insight) -> str:
        if self._versions is None:
            self._versions = {r.meeting_id: r.version for r in self.store.meetings.records()}
        version = self._versions.get(insight.meeting_id)
        if version is None:
            return ""
        if insight.meeting_id not in self._turns:
            self._turns[insight.meeting_id] = self.store.meetings.turns_of(insight.meeting_id, version)
        turns = self._turns[insight.meeting_id]
        at = next(
            (k for k, t in enumerate(turns) if t.start_line <= insight.end_line and t.end_line >= insight.start_line),
            None,
        )
        if at is None:
            return ""

        def said(turn: Turn) -> str:
            text = " ".join(turn.text.split())
            text = text if len(text) <= self.REACH else text[: self.REACH - 1] + "…"
            return f"{turn.speaker or 'someone'}: {text}"

        before = f"before, {said(turns[at - 1])}" if at > 0 else ""
        after = f"after, {said(turns[at + 1])}" if at + 1 < len(turns) else ""
        return " | ".join(x for x in (before, after) if x)


class CheckReplyCache:
    """The store's reply cache, as the prompted judge's (its replies kept as kind "check")."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, keys: list[str]) -> dict[str, str]:
        return self.store.cache.get_many(keys)

    def put(self, key: str, value: str) -> None:
        self.store.cache.put(key, value, kind="check")


def brief_facts(
    store: Store, as_of: dt.date, read_step: Callable[[], AbstractContextManager[Store]] | None = None
) -> Facts:
    """The meetings up to `as_of`, their visible insights with vectors, the flags, the roster and
    the vision, for the brief and the report; later meetings' words are read as they are needed,
    each read inside `read_step()` (a short session of its own) when it is given, else from `store`."""
    from .brief.facts import Facts

    as_of = bounded(as_of)
    records = [r for r in store.meetings.records() if r.date <= as_of.isoformat()]
    runs = [r.extraction_run for r in records if r.extraction_run]
    vision, statements = store.vision.current_with_vectors()
    return Facts(
        as_of,
        records,
        [(row.insight, row.vector) for row in store.insights.with_vectors(runs)],
        flags=store.flags.all(),
        roster=store.settings.roster(),
        vision=vision,
        statements=statements,
        texts=StoredTexts(read_step or (lambda: contextlib.nullcontext(store)), records),
    )


class StoredTexts:
    """Meetings' words as the brief reads them (`brief.facts.MeetingTexts`), from the passages;
    each read inside a step that gives the store (a short session of its own, or the command's)."""

    def __init__(self, read_step: Callable[[], AbstractContextManager[Store]], records: list[MeetingRecord]):
        self.read_step = read_step
        self._current = {r.version for r in records}  # the versions the brief's facts were read from

    def passages_near(
        self, vector: list[float], after: str, until: str, excluding: list[str], n: int
    ) -> list[NearPassage]:
        return self.passages_near_many([vector], after, until, excluding, n)[0]

    def passages_near_many(
        self, vectors: list[list[float]], after: str, until: str, excluding: list[str], n: int
    ) -> list[list[NearPassage]]:
        from .brief.facts import NearPassage
        from .store import passage_turns

        with self.read_step() as store:
            # a version being written, or left by an interrupted write, is dated too: ask for more
            # and keep the first n of the versions the facts were read from
            found = store.meetings.nearest_dated_many(vectors, after, until, excluding, 2 * n)
            kept = [[h.id for h in hits if h.version in self._current][:n] for hits in found]
            passages = store.meetings.passages(list(dict.fromkeys(i for ids in kept for i in ids)))
        return [
            [NearPassage(p.meeting_id, p.version, passage_turns(p)) for i, p in passages.items() if i in set(ids)]
            for ids in kept
        ]

    def turns(self, record: MeetingRecord) -> list[Turn]:
        with self.read_step() as store:
            return store.meetings.turns(record)


def retrieve(
    retriever: Retriever, store: Store, question: str, vector: list[float], filters: Filters, k: int
) -> Retrieved:
    """The passages that answer a question best, their similarity to it, and the vision."""
    from .answer import Retrieved

    ranked, searched = retriever.candidates(question, filters, vector=vector)
    pairs = retriever.materialize(ranked, k, filters)
    vision, statements = store.vision.current_with_vectors()
    return Retrieved(
        pairs=pairs,
        searched=searched,
        similarities=store.meetings.similarities(vector, [c.id for _, c in pairs]),
        records=retriever.records_by_meeting(),
        vision=vision,
        statements=statements,
    )
