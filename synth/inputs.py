"""What each use case reads from the store, loaded into its typed inputs, and what the check
writes back. `Synth` calls these inside a command's session; the use cases themselves (check/,
brief/, report.py, answer.py) never see the store."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from .dates import bounded
from .models import Flag, Insight, MeetingRecord, Passage, Turn

if TYPE_CHECKING:
    import numpy as np

    from .answer import Retrieved
    from .brief.digest import Digest
    from .brief.facts import Facts, NearPassage, Vector
    from .check import CheckInputs, CheckResult
    from .retriever import Filters, Retriever
    from .store import Store
    from .store.insights import InsightRow, VisibleRow
    from .vision import Vision


def vision_vectors(store: Store) -> tuple[Vision | None, list[list[float]]]:
    """The current vision and its statements' vectors (`vectors[k]` is statement k's)."""
    vision, statements = store.vision.current_with_vectors()
    return vision, [vector for _, vector in statements]


def check_inputs(store: Store, rows: list[VisibleRow] | None = None) -> CheckInputs:
    """Everything synth check reads: the visible insights with their vectors, the vision with its
    vectors, the stored flags and what the last check saw. `rows`: the visible insights already
    read with their vectors (`DigestOwed.rows`), else read here without them."""
    from .check import CheckInputs
    from .store.insights import VisibleInsights

    records = store.meetings.records()
    vision, vectors = vision_vectors(store)
    visible = VisibleInsights(store.insights, records, rows)
    state = store.settings.check_state()
    return CheckInputs(
        insights=visible.insights,
        vectors=visible,  # vectors read as the check needs them
        runs={r.meeting_id: r.extraction_run for r in records if r.extraction_run},
        vision=vision,
        vision_vectors=vectors,
        flags=IndexedFlags(store, state.flags),
        state=state,
        terms=visible.kept_terms,
    )


class IndexedFlags:
    """The stored flags as a check reads them (`check.run.StoredFlags`): the open ones' ids from
    the store, their types and sides' keys from what the last check kept (`CheckState.flags`),
    and in full only the flags it asks for, and those the last check did not keep (opened again
    by a person since, or every flag of a store checked by an older synth)."""

    def __init__(self, store: Store, kept: dict[str, tuple[str, list[str]]] | None):
        self.store = store
        self.kept = kept or {}
        self._open: dict[str, tuple[str, list[str]]] | None = None

    def open_entries(self) -> dict[str, tuple[str, list[str]]]:
        if self._open is None:
            from .check.run import flag_entry

            ids = self.store.flags.open_ids()
            read = self.store.flags.some([i for i in ids if i not in self.kept])
            self._open = {
                i: self.kept[i] if i in self.kept else flag_entry(read[i]) for i in ids if i in self.kept or i in read
            }
        return self._open

    def some(self, ids: list[str]) -> dict[str, Flag]:
        return self.store.flags.some(ids)


def save_check(store: Store, result: CheckResult) -> None:
    """Store what a check decided: flags written, flags deleted, then what it saw."""
    store.flags.put(result.put)
    store.flags.delete(result.delete)
    store.insights.keep_terms(result.state.runs, result.terms)
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
    store: Store,
    as_of: dt.date,
    read_step: Callable[[], AbstractContextManager[Store]] | None = None,
    notes: list[str] | None = None,
    reads: Reads | None = None,
    for_digest: bool = False,
    earlier: Digest | None = None,
    visible: list[VisibleRow] | None = None,
    sayings: dict[str, dict[str, list[str]]] | None = None,
    known: dict[str, list[str]] | None = None,
) -> Facts:
    """The meetings up to `as_of`, their visible insights with vectors, the flags, the roster and
    the vision, for the brief and the report; later meetings' words are read as they are needed,
    each read inside `read_step()` (a short session of its own) when it is given, else from `store`.
    The store's digest is used when it holds for these meetings; when it is out of date, a note
    saying so is added to `notes`. `for_digest`: the facts a writer builds a digest from, never
    read from the stored one; they reuse `earlier`, if given (see brief/digest.py), what the
    insights say in `sayings` (see Facts), and the visible insights with their vectors in
    `visible`, if the writer read them already. Each insight's content words are those a check
    kept with it, where it kept them (see check/run.py's KeptTerms), or given in `known` (by
    insight id: those a check of the same session read after `visible` was read).
    `reads`: with a digest that holds, what to read of the insights (see `Reads`); else all."""
    from .brief.facts import Facts

    as_of = bounded(as_of)
    every = store.meetings.records()
    records = [r for r in every if r.date <= as_of.isoformat()]
    runs = [r.extraction_run for r in records if r.extraction_run]
    vision, statements = store.vision.current_with_vectors()
    digest = None if for_digest else current_digest(store, every, as_of, notes)
    roster = store.settings.roster()
    rows: Sequence[VisibleRow | InsightRow]
    if for_digest and visible is not None:
        rows = visible
    elif digest is not None and reads is not None:
        rows = read_in_part(store, records, digest, *reads(records, roster))
    else:
        rows = store.insights.with_vector_rows(runs)
    return Facts(
        as_of,
        records,
        [(row.insight, v) for row in rows if (v := row.vector) is not None],
        flags=None if for_digest else store.flags.all(),  # a digest holds nothing the flags decide
        roster=roster,
        vision=vision,
        statements=statements,
        texts=StoredTexts(read_step or (lambda: contextlib.nullcontext(store)), records),
        digest=digest,
        earlier=earlier,
        readings=kept_readings(rows) | (known or {}),
        sayings=sayings if for_digest else digest.sayings() if digest is not None else None,
    )


def kept_readings(rows: Sequence[VisibleRow | InsightRow]) -> dict[str, list[str]]:
    """The content words a check kept with each insight, by insight id, where the current
    reader kept them (see check/run.py's KeptTerms)."""
    from .check.run import reader_fingerprint

    current = reader_fingerprint()
    return {row.insight.id: kept[1] for row in rows if (kept := row.kept_terms) is not None and kept[0] == current}


Reads = Callable[[list["MeetingRecord"], dict[str, str]], tuple[list[str], set[str]]]
"""Given the meetings and the roster: the kinds of insight to read from every meeting, and the
meetings whose insights of other kinds to read too (a brief's period)."""


def read_in_part(
    store: Store, records: list[MeetingRecord], digest: Digest, kinds: list[str], meetings: set[str]
) -> list[InsightRow]:
    """The insights of `kinds` from every meeting, and the others from `meetings` and from the
    meetings the digest names (those saying an action is done or leaning on an assumption)."""
    from .kinds import KINDS

    wanted = meetings | set(digest.saying_meetings)
    rows = store.insights.with_vector_rows([r.extraction_run for r in records if r.extraction_run], kinds)
    others: list[str] = [k for k in KINDS if k not in kinds]
    some = [r.extraction_run for r in records if r.extraction_run and r.meeting_id in wanted]
    return rows + (store.insights.with_vector_rows(some, others) if others and some else [])


STALE_DIGEST = (
    "the store's digest of threads is missing or out of date (a store written by an older synth, or a "
    "write interrupted): this command works them out from every insight, which is slower on a large "
    "store; the next `synth ingest` or `synth check --all` brings it up to date"
)


def stored_digest(store: Store) -> Digest | None:
    """The digest a writer kept, or None (none kept, or kept by another version of synth)."""
    from pydantic import ValidationError

    from .brief.digest import Digest
    from .store.digest import read_digest

    value = read_digest(store)
    try:
        return Digest.model_validate(value) if value is not None else None
    except ValidationError:
        return None


def current_digest(
    store: Store, records: list[MeetingRecord], as_of: dt.date, notes: list[str] | None
) -> Digest | None:
    """The stored digest if it holds for `records` seen as of `as_of`; a note when it is stale.
    A brief as of a day before the last meeting never uses it (it sees fewer meetings)."""
    if records and as_of.isoformat() < max(r.date for r in records):
        return None
    digest = stored_digest(store)
    if digest is not None and digest.holds_for(records, as_of.isoformat()):
        return digest
    if notes is not None and records and STALE_DIGEST not in notes:
        notes.append(STALE_DIGEST)
    return None


class DigestOwed:
    """Whether the store's digest is out of date after a write (`rebuild`: rebuilt whatever it
    holds, as `check --all` does), with the earlier digest read once; when it is, the visible
    insights with their vectors are read once (`rows`), for the check and the digest both."""

    def __init__(self, store: Store, rebuild: bool = False):
        self.records = store.meetings.records()
        self.earlier = None if rebuild else stored_digest(store)
        last = max((r.date for r in self.records), default="")
        held = self.earlier is not None and self.earlier.holds_for(self.records, last)
        self.owed = bool(self.records) and not held
        self.rows = store.insights.visible_with_vectors(self.records) if self.owed else None


def refresh_digest(
    store: Store, rebuild: bool = False, owed: DigestOwed | None = None, known: dict[str, list[str]] | None = None
) -> None:
    """Bring the store's digest up to date after a write (ingest, check, vision): reusing what an
    earlier digest worked out when only later meetings were added, else (or with `rebuild`, as
    `check --all` does) from every meeting. `owed`: read before a check of the same session that
    wrote no meeting record (what the check read is reused), else read here; `known`: the content
    words that check read and kept (by insight id), not read again."""
    from .brief.digest import build_digest, lines_by_team, record_token, reusable

    owed = owed or DigestOwed(store, rebuild)
    if not owed.owed:
        return
    records, earlier = owed.records, owed.earlier
    last = dt.date.fromisoformat(max(r.date for r in records))
    kept = {} if earlier is None else earlier.meetings
    lines = {
        r.meeting_id: kept[r.meeting_id].lines
        if r.meeting_id in kept and kept[r.meeting_id].token == record_token(r)
        else lines_by_team(r, store.meetings.turns(r))
        for r in records
    }
    # the content words and sayings of meetings unchanged since the earlier digest are not worked out again
    now = {r.meeting_id: r for r in records}
    facts = brief_facts(
        store,
        last,
        for_digest=True,
        earlier=reusable(earlier, records),
        visible=owed.rows,
        sayings=earlier.sayings(now) if earlier is not None else None,
        known=known,
    )
    from .store.digest import write_digest

    write_digest(store, build_digest(facts, records, lines, earlier).model_dump(mode="json"))
    keep_readings(store, facts, records)


def keep_readings(store: Store, facts: Facts, records: list[MeetingRecord]) -> None:
    """Keep with each insight the digest read whose content words were not kept (the check
    keeps those it reads) the words it read, so that no later brief or digest reads it again."""
    from .check.run import reader_fingerprint

    runs = {r.meeting_id: r.extraction_run for r in records if r.extraction_run}
    read = [(item.insight, (reader_fingerprint(), list(item.terms))) for item in facts.read_now()]
    if read:
        store.insights.keep_terms(runs, read)


FEW_MEETINGS = 4  # meetings to look in up to which their passages are read and ranked in memory


class StoredTexts:
    """Meetings' words as the brief reads them (`brief.facts.MeetingTexts`), from the passages;
    each read inside a step that gives the store (a short session of its own, or the command's)."""

    def __init__(self, read_step: Callable[[], AbstractContextManager[Store]], records: list[MeetingRecord]):
        self.read_step = read_step
        self.records = records
        self._current = {r.version for r in records}  # the versions the brief's facts were read from
        self._read: dict[str, list[tuple[Passage, list[float]]]] = {}  # passages with vectors, by version
        self._matrices: dict[tuple[str, ...], tuple[list[tuple[Passage, list[float]]], np.ndarray]] = {}
        self._near: dict[str, NearPassage] = {}  # the passages read in memory, as a brief reads them, by id

    def passages_near(self, vector: Vector, after: str, until: str, excluding: list[str], n: int) -> list[NearPassage]:
        return self.passages_near_many([vector], after, until, excluding, n)[0]

    def passages_near_many(
        self, vectors: list[Vector], after: str, until: str, excluding: list[str], n: int
    ) -> list[list[NearPassage]]:
        from .brief.facts import NearPassage
        from .store import passage_turns

        skip = set(excluding)
        within = [r for r in self.records if after < r.date <= until and r.meeting_id not in skip]
        if n > 0 and len(within) <= FEW_MEETINGS:
            ranked: list[list[NearPassage]] = []
            for near in self._near_in_memory(vectors, within, n):
                for p in near:
                    if p.id not in self._near:  # the same passages come back for many threads
                        self._near[p.id] = NearPassage(p.meeting_id, p.version, passage_turns(p))
                ranked.append([self._near[p.id] for p in near])
            return ranked
        lists = [[float(x) for x in v] for v in vectors]  # a float32 row as the list the store takes

        with self.read_step() as store:
            # a version being written, or left by an interrupted write, is dated too: ask for more
            # and keep the first n of the versions the facts were read from
            found = store.meetings.nearest_dated_many(lists, after, until, excluding, 2 * n)
            kept = [[h.id for h in hits if h.version in self._current][:n] for hits in found]
            passages = store.meetings.passages(list(dict.fromkeys(i for ids in kept for i in ids)))
        return [
            [NearPassage(p.meeting_id, p.version, passage_turns(p)) for i, p in passages.items() if i in set(ids)]
            for ids in kept
        ]

    def _near_in_memory(self, vectors: list[Vector], within: list[MeetingRecord], n: int) -> list[list[Passage]]:
        """The `n` passages of the meetings `within` nearest to each vector, nearest first, as
        the store's query ranks them (cosine similarity; a tie in meeting order): each meeting's
        passages and vectors are read once, so the threads still open after an earlier digest
        cost one read of each new meeting, not one query each."""
        import numpy as np

        missing = [r for r in within if r.version not in self._read]
        if missing:
            with self.read_step() as store:
                for r in missing:
                    self._read[r.version] = store.meetings.passages_with_vectors(r.meeting_id, r.version)
        key = tuple(r.version for r in within)
        if key not in self._matrices:  # the same meetings are asked about for many threads
            rows = [row for r in within for row in self._read[r.version]]
            self._matrices[key] = (rows, np.asarray([vector for _, vector in rows], dtype=np.float32))
        rows, matrix = self._matrices[key]
        if not rows or not vectors:
            return [[] for _ in vectors]
        sims = np.asarray(vectors, dtype=np.float32) @ matrix.T
        return [[rows[int(k)][0] for k in np.argsort(-row, kind="stable")[:n]] for row in sims]

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
