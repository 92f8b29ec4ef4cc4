"""Insights: one record per insight of an extraction run, with its statement's vector, and one
pack per run (a config record) that holds the run's insights themselves.

An insight's record keeps what a read filters on or deletes by (meeting, run, kind, function,
date), with no document; the insight (statement, quote, speaker, lines...) and the terms a check
kept for it are in its run's pack, zlib-compressed (codec.pack). Reading a run's insights is
then one record, not twenty metadata rows per insight (the 8,530 insights of a 300-meeting store:
0.88 s from their metadata, 0.17 to 0.36 s from their packs), and Chroma keeps no statement three
times nor its full-text index.
Records written before, with every field in their metadata and the statement as document, read
as they were.

A run is visible when the meeting record names it (`extraction_run`), so a new run is written in
full (its pack first), then committed by updating the meeting record, then the old runs (their
records, then their packs) are removed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from ..models import Insight, MeetingRecord
from . import codec, limits
from . import vectors as vector_file
from .client import wrap

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ..check.neighbours import MemoryVectors, Nearest, Scope
    from .core import Store


TERMS, TERMS_READER = "terms", "terms_reader"  # metadata a check keeps with each insight
RUNS_PER_READ = 25  # extraction runs (meetings) whose insights one read of vectors asks for
PACK = "insights"  # the key of the config records that pack a run's insights
PACKS_PER_READ = 200  # runs whose packs one read asks for (a read holds its answer whole: bounded memory)


def pack_id(run: str) -> str:
    """The id of a run's pack in the config collection."""
    return f"{PACK}:{run}"


class Pack(NamedTuple):
    """A run's pack as read: its meeting and version, and its insights by stored id, in the
    order they were written, each as its fields or as the insight, with the terms a check kept
    for it. An insight is made from its fields when first asked for (`insight`): a read of some
    kinds makes only theirs."""

    meeting_id: str
    version: str
    rows: dict[str, tuple[Insight | dict[str, Any], tuple[str, list[str]] | None]]

    def insight(self, stored_id: str) -> Insight:
        value, kept = self.rows[stored_id]
        if isinstance(value, dict):
            value = Insight.model_validate(value)
            self.rows[stored_id] = (value, kept)
        return value


class Stored(NamedTuple):
    """A stored insight as read, from its pack or from its own metadata: its stored id, the
    insight, its run, and the terms a check kept for it."""

    id: str
    insight: Insight
    run: str
    kept: tuple[str, list[str]] | None


class VisibleRow(NamedTuple):
    """A visible insight: its stored id, the insight, and the terms a check kept for it (the
    reader's fingerprint and the terms), if any; its statement's vector when it was read with it."""

    id: str
    insight: Insight
    kept_terms: tuple[str, list[str]] | None
    vector: npt.NDArray[np.float32] | None = None


def kept_terms(metadata: dict[str, Any]) -> tuple[str, list[str]] | None:
    """The terms a check kept in an insight's metadata, with the reader's fingerprint."""
    if TERMS not in metadata or TERMS_READER not in metadata:
        return None
    return str(metadata[TERMS_READER]), str(metadata[TERMS]).split()


class InsightVector(NamedTuple):
    """A stored insight, the extraction run it belongs to, and its statement's vector."""

    insight: Insight
    run: str
    vector: list[float]


class InsightRow(NamedTuple):
    """A stored insight, the extraction run it belongs to, its statement's vector as a float32
    row, and the terms a check kept for it (the reader's fingerprint and the terms), if any."""

    insight: Insight
    run: str
    vector: npt.NDArray[np.float32]
    kept_terms: tuple[str, list[str]] | None = None


class InsightRepo:
    """The insights collection."""

    def __init__(self, store: Store):
        self._store = store

    def write_run(
        self, record: MeetingRecord, run: str | None, insights: list[Insight], vectors: list[list[float]]
    ) -> None:
        """Store an extraction's outcome: the insights of a new `run` (None when the extraction
        failed and the meeting keeps its earlier run), then the meeting's record naming the run
        it shows (`record.extraction_run`: the commit), then the removal of every other run."""
        with self._store.changing():  # one turn of the data lock: searches wait for one meeting at most
            if run is not None:
                self.write(insights, vectors, run, record.version)
            self._store.meetings.update_record(record)
            self.remove_stale(record.meeting_id, record.extraction_run)

    @wrap("writing insights", writes=True)
    def write(self, insights: list[Insight], vectors: list[list[float]], run: str, version: str) -> None:
        """Write an extraction run's insights, all of them: its pack, then a record per insight.
        They stay invisible until the meeting's record names the run."""
        if insights:
            self._write_pack(
                run, Pack(insights[0].meeting_id, version, {codec.insight_id(run, i): (i, None) for i in insights})
            )
        size = self._store.batch
        for start in range(0, len(insights), size):
            batch = insights[start : start + size]
            self._store._insights.upsert(
                ids=[codec.insight_id(run, i) for i in batch],
                embeddings=vectors[start : start + size],
                metadatas=[codec.insight_filter_metadata(i, run, version) for i in batch],
            )

    def _write_pack(self, run: str, pack: Pack) -> None:
        value = codec.insights_value([(i, pack.insight(i), kept) for i, (_, kept) in pack.rows.items()])
        metadata = {"key": PACK, "meeting_id": pack.meeting_id, "run": run, "version": pack.version}
        self._store._config.upsert(
            ids=[pack_id(run)], embeddings=[[1.0]], metadatas=[{**metadata, **codec.pack(value)}]
        )

    @wrap("removing old insights", writes=True)
    def remove_stale(self, meeting_id: str, keep_run: str | None) -> int:
        """Delete insights of a meeting that belong to any extraction run but `keep_run`, and then
        those runs' packs."""
        keep = None if keep_run is None else [keep_run]
        removed = self._store.delete_all_but(self._store._insights, meeting_id, "run", keep)
        packs: list[dict[str, Any]] = [{"key": PACK}, {"meeting_id": meeting_id}]
        if keep is not None:
            packs.append({"run": {"$nin": keep}})
        self._store.delete_where(self._store._config, {"$and": packs})
        return removed

    def drop_kept_vectors(self) -> None:
        """Remove the folder's file of vectors (a meeting forgotten: its insights' ids name it);
        the next read of every insight with its vector writes it again."""
        if not self._store.server:
            vector_file.remove(self._store.location)

    def _packs(self, runs: list[str]) -> dict[str, Pack]:
        """The packs of these runs that have one (runs written before packing have none)."""
        found: dict[str, Pack] = {}
        for some in limits.slices(list(dict.fromkeys(runs)), min(PACKS_PER_READ, limits.IN_LIMIT)):
            got = self._store._config.get(ids=[pack_id(r) for r in some], include=["metadatas"])
            for metadata in got["metadatas"]:
                text = codec.unpack(metadata)
                if text is not None:
                    rows: dict[str, tuple[Insight | dict[str, Any], tuple[str, list[str]] | None]] = {
                        i: (fields, kept) for i, fields, kept in codec.insights_from_value(text)
                    }
                    found[str(metadata["run"])] = Pack(str(metadata["meeting_id"]), str(metadata["version"]), rows)
        return found

    def _stored(self, ids: list[str], metadatas: list[Any]) -> list[Stored]:
        """The insights of records read with their metadata: from their runs' packs, or, for a
        record written before packing, from its metadata."""
        packs = self._packs([m["run"] for m in metadatas if codec.is_packed_insight(m)])
        found = []
        for i, metadata in zip(ids, metadatas):
            run = str(metadata["run"])
            if not codec.is_packed_insight(metadata):
                found.append(Stored(i, codec.insight_from_metadata(metadata), run, kept_terms(metadata)))
            elif run in packs and i in packs[run].rows:  # a pack is written before its run's records
                found.append(Stored(i, packs[run].insight(i), run, packs[run].rows[i][1]))
        return found

    @wrap("reading insights")
    def query(
        self, runs: list[str], kind: str | None = None, team: str | None = None, meeting_ids: list[str] | None = None
    ) -> list[Insight]:
        """The insights of the given (visible) runs, with optional filters."""
        if not runs:
            return []
        found: list[Insight] = []
        for some_runs in limits.slices(runs):  # each list in slices the database accepts
            for some_meetings in limits.slices(meeting_ids or ["-"]) if meeting_ids is not None else [None]:
                conditions: list[dict[str, Any]] = [{"run": {"$in": some_runs}}]
                if kind:
                    conditions.append({"kind": kind})
                if team:
                    conditions.append({"team": team})
                if some_meetings is not None:
                    conditions.append({"meeting_id": {"$in": some_meetings}})
                where = conditions[0] if len(conditions) == 1 else {"$and": conditions}
                got = self._store._insights.get(where=where, include=["metadatas"])
                found += [row.insight for row in self._stored(got["ids"], got["metadatas"])]
        return found

    @wrap("reading insight vectors")
    def with_vectors(self, runs: list[str], kinds: list[str] | None = None) -> list[InsightVector]:
        """Every insight of the given runs (of the given kinds) with its run and statement vector."""
        found = []
        for got in self._with_embeddings(runs, kinds):
            vectors = dict(zip(got["ids"], got["embeddings"]))
            found += [
                InsightVector(r.insight, r.run, list(vectors[r.id])) for r in self._stored(got["ids"], got["metadatas"])
            ]
        return found

    @wrap("reading insight vectors")
    def with_vector_rows(self, runs: list[str], kinds: list[str] | None = None) -> list[InsightRow]:
        """`with_vectors`, each vector a float32 row (a tenth of the memory of a list of floats),
        in the same order."""
        return [InsightRow(r.insight, r.run, row, r.kept) for r, row in self._read_rows(runs, kinds)]

    @wrap("reading insights with their vectors")
    def visible_with_vectors(self, records: list[MeetingRecord]) -> list[VisibleRow]:
        """`visible`, each row with its statement's vector (a float32 row), in the same order: one
        read of every visible insight that serves both the check and the digest."""
        runs = {r.meeting_id: r.extraction_run for r in records if r.extraction_run}
        return [
            VisibleRow(r.id, r.insight, r.kept, row)
            for r, row in self._read_rows(list(runs.values()), every=True)
            if runs.get(r.insight.meeting_id) == r.run
        ]

    def _read_rows(
        self, runs: list[str], kinds: list[str] | None = None, every: bool = False
    ) -> list[tuple[Stored, Any]]:
        """Each insight of `runs` (of `kinds`) with its float32 vector, in the order of one read.
        A packed run's insights come from its pack, and their vectors from the store folder's
        file of vectors (vectors.py) when it holds the run, else from their records, a few runs
        at a time (Chroma holds the rows of one read several times over while it answers, so the
        memory of a read grows with its rows); a run a writer read whole from its records is added
        to the file. `every`: `runs` are every run the meetings show (the file may drop the others)."""
        import numpy as np

        order = {i: k for k, i in enumerate(self._ids(runs, kinds))}  # the order of one read
        packs = self._packs(runs)
        kept = vector_file.Kept({}, 0) if self._store.server else vector_file.load(self._store.location)
        found: list[tuple[int, tuple[Stored, Any]]] = []
        filed = set()
        for run in runs:
            block, pack = kept.blocks.get(run), packs.get(run)
            if block is None or pack is None or len(block.ids) != len(pack.rows) or set(block.ids) != pack.rows.keys():
                continue
            filed.add(run)
            found += [
                (order[i], (Stored(i, pack.insight(i), run, pack.rows[i][1]), row))
                for i, row in zip(block.ids, block.vectors)
                if i in order
            ]
        packed = {i: run for run, p in packs.items() if run not in filed for i in p.rows}
        read: dict[str, list[tuple[str, Any]]] = {}  # runs read whole from their records, to file
        for some, include in (
            ([r for r in runs if r in packs and r not in filed], ["embeddings"]),
            ([r for r in runs if r not in packs], None),
        ):
            for got in self._with_embeddings(some, kinds, RUNS_PER_READ, include):
                if not got["ids"]:
                    continue
                matrix = np.asarray(got["embeddings"], dtype=np.float32)
                stored = (
                    [
                        Stored(i, packs[r].insight(i), r, packs[r].rows[i][1]) if (r := packed.get(i)) else None
                        for i in got["ids"]
                    ]
                    if include is not None
                    else list(self._stored(got["ids"], got["metadatas"]))
                )
                found += [(order.get(r.id, len(order)), (r, row)) for r, row in zip(stored, matrix) if r is not None]
                if include is not None and kinds is None:
                    for i, row in zip(got["ids"], matrix):
                        read.setdefault(packed[i], []).append((i, row))
        # the file keeps what no meeting shows any more until that is most of it; only a writer
        # adds to it (a reader's block could land after a writer's forget removed the file)
        wanted = set(runs)
        stale = every and len(kept.blocks.keys() - wanted) > len(kept.blocks.keys() & wanted)
        if not self._store.server and self._store.writer and (read or stale):
            blocks = {
                run: vector_file.Block([i for i, _ in rows], np.asarray([v for _, v in rows], dtype=np.float32))
                for run, rows in read.items()
                if {i for i, _ in rows} == packs[run].rows.keys()
            }
            vector_file.append(self._store.location, blocks, keep=wanted if stale else None, end=kept.end)
        found.sort(key=lambda pair: pair[0])
        return [row for _, row in found]

    def _ids(self, runs: list[str], kinds: list[str] | None) -> list[str]:
        """The stored ids of the insights of `runs` (of `kinds`), in the order Chroma gives them."""
        return [i for got in self._with_embeddings(runs, kinds, include=[]) for i in got["ids"]]

    def _with_embeddings(
        self, runs: list[str], kinds: list[str] | None, size: int | None = None, include: list[str] | None = None
    ) -> Iterator[Any]:
        """Chroma's answers (metadatas and embeddings, or `include`) for the insights of `runs`
        (of `kinds`), one per slice of `size` runs (or as many as the database accepts)."""
        for some_runs in limits.slices(runs, min(size or limits.IN_LIMIT, limits.IN_LIMIT)) if runs else []:
            where: dict[str, Any] = {"run": {"$in": some_runs}}
            if kinds:
                where = {"$and": [where, {"kind": {"$in": kinds}}]}
            yield self._store._insights.get(
                where=where, include=["metadatas", "embeddings"] if include is None else include
            )

    @wrap("reading insights")
    def visible(self, records: list[MeetingRecord]) -> list[VisibleRow]:
        """The insights of the runs the given meeting records show, with their stored ids and the
        terms a check kept for them, without vectors."""
        runs = {r.meeting_id: r.extraction_run for r in records if r.extraction_run}
        found: list[VisibleRow] = []
        for some_runs in limits.slices(list(runs.values())):
            got = self._store._insights.get(where={"run": {"$in": some_runs}}, include=["metadatas"])
            found += [
                VisibleRow(r.id, r.insight, r.kept)
                for r in self._stored(got["ids"], got["metadatas"])
                if runs.get(r.insight.meeting_id) == r.run
            ]
        return found

    @wrap("keeping insights' terms", writes=True)
    def keep_terms(self, runs: dict[str, str], terms: list[tuple[Insight, tuple[str, list[str]]]]) -> None:
        """Keep with each insight (of the run `runs` names for its meeting) the terms a check read
        and the fingerprint of the reader that read them."""
        rows = [
            (runs[i.meeting_id], codec.insight_id(runs[i.meeting_id], i), kept)
            for i, kept in terms
            if i.meeting_id in runs
        ]
        packs = self._packs([run for run, _, _ in rows])
        changed: set[str] = set()
        for run, i, kept in rows:
            if run in packs and i in packs[run].rows:
                packs[run].rows[i] = (packs[run].rows[i][0], kept)
                changed.add(run)
        for run in sorted(changed):
            self._write_pack(run, packs[run])
        unpacked = [(i, kept) for run, i, kept in rows if run not in packs]
        for start in range(0, len(unpacked), self._store.batch):
            batch = unpacked[start : start + self._store.batch]
            self._store._insights.update(
                ids=[i for i, _ in batch],
                metadatas=[{TERMS: " ".join(words), TERMS_READER: reader} for _, (reader, words) in batch],
            )

    @wrap("reading insight vectors")
    def vectors(self, ids: list[str]) -> list[list[float]]:
        """The vectors of the insights with these stored ids, in that order."""
        by_id: dict[str, list[float]] = {}
        for some in limits.slices(ids, self._store.batch):
            got = self._store._insights.get(ids=some, include=["embeddings"])
            by_id.update((i, list(e)) for i, e in zip(got["ids"], got["embeddings"]))
        return [by_id[i] for i in ids]

    @wrap("searching insights")
    def nearest(self, vectors: Sequence[list[float]], n: int, scope: Scope) -> list[list[tuple[str, float]]]:
        """For each vector, the `n` nearest insights of `scope` (of any run): stored id and cosine
        similarity, nearest first."""
        where = scope_filter(scope)
        if where is None:
            return [[] for _ in vectors]
        got = self._store._insights.query(
            query_embeddings=list(vectors), n_results=n, where=where, include=["distances"]
        )
        return [[(i, 1.0 - d) for i, d in zip(ids, distances)] for ids, distances in zip(got["ids"], got["distances"])]


class VisibleInsights:
    """The insights the meeting records show, without their vectors; the vectors the check asks
    for and nearest neighbours are read from the store when asked (`synth.check.neighbours.
    InsightVectors`), and counted. Given rows read with their vectors (a writer that refreshes
    the digest after the check reads them all anyway), both come from memory instead."""

    def __init__(self, repo: InsightRepo, records: list[MeetingRecord], rows: list[VisibleRow] | None = None):
        """`rows`: the visible insights already read (`visible_with_vectors`), else read here
        without their vectors."""
        rows = repo.visible(records) if rows is None else rows
        self.repo = repo
        vectors = [v for row in rows if (v := row.vector) is not None]
        self._in_memory = vectors if rows and len(vectors) == len(rows) else None
        self._memory: MemoryVectors | None = None  # the exact search over them, made when first asked
        self.insights = [row.insight for row in rows]
        self.kept_terms = [row.kept_terms for row in rows]
        self.ids = [row.id for row in rows]
        self.position = {i: k for k, i in enumerate(self.ids)}
        self.vectors_read = 0  # vectors read from the store
        self.queries = 0  # nearest-neighbour queries (one per batch of vectors)
        self.neighbours = 0  # neighbours those queries returned (ids and similarities)

    def vectors(self, positions: Sequence[int]) -> list[list[float]]:
        self.vectors_read += len(positions)
        if self._in_memory is not None:
            return [self._in_memory[p].tolist() for p in positions]
        return self.repo.vectors([self.ids[p] for p in positions]) if positions else []

    def matrix(self, positions: Sequence[int]) -> npt.NDArray[np.float32]:
        import numpy as np

        if self._in_memory is not None:
            self.vectors_read += len(positions)
            if not positions:
                return np.zeros((0, 1), dtype=np.float32)
            return np.stack([self._in_memory[p] for p in positions]).astype(np.float32, copy=False)
        rows = self.vectors(positions)
        return np.asarray(rows, dtype=np.float32) if rows else np.zeros((0, 1), dtype=np.float32)

    def nearest(self, vectors: Sequence[list[float]], n: int, scope: Scope) -> list[Nearest]:
        from ..check.neighbours import MemoryVectors, Nearest

        if not vectors or n <= 0:
            return [Nearest([], [], -1.0) for _ in vectors]
        self.queries += 1
        if self._in_memory is not None:
            # every vector is in memory already: an exact search there, without loading the
            # store's index of every insight (it grows with the store)
            if self._memory is None:
                # float32 rows serve as vectors here: it only stacks them into its matrix
                self._memory = MemoryVectors(self.insights, cast("list[list[float]]", self._in_memory))
            found = self._memory.nearest(vectors, n, scope)
            self.neighbours += sum(len(f.positions) for f in found)
            return found
        found = []
        for hits in self.repo.nearest(vectors, n, scope):
            self.neighbours += len(hits)
            # an insight of a run no record shows (being written, or left by an interruption) is
            # left out, but still bounds what was not returned
            floor = min(cosine for _, cosine in hits) if len(hits) >= n else -1.0
            kept = [(self.position[i], cosine) for i, cosine in hits if i in self.position]
            found.append(Nearest([p for p, _ in kept], [c for _, c in kept], floor))
        return found


def scope_filter(scope: Scope) -> dict[str, Any] | None:
    """The scope as a Chroma filter; None when it holds nothing (no team to look in)."""
    if scope.teams is not None and not scope.teams:
        return None
    conditions: list[dict[str, Any]] = [{"kind": {"$in": list(scope.kinds)}}]
    if scope.teams is not None:
        conditions.append({"team": {"$in": list(scope.teams)}})
    if scope.first_date is not None:
        conditions.append({"date_ord": {"$gte": codec.date_ordinal(scope.first_date)}})
    if scope.last_date is not None:
        conditions.append({"date_ord": {"$lte": codec.date_ordinal(scope.last_date)}})
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}
