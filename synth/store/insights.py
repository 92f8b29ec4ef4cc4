"""Insights: one record per insight of an extraction run (document = statement).

A run is visible when the meeting record names it (`extraction_run`), so a new run is written in
full, then committed by updating the meeting record, then the old runs are removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..models import Insight, MeetingRecord
from . import codec, limits
from .client import wrap

if TYPE_CHECKING:
    from .core import Store


class InsightVector(NamedTuple):
    """A stored insight, the extraction run it belongs to, and its statement's vector."""

    insight: Insight
    run: str
    vector: list[float]


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
        """Write an extraction run's insights. They stay invisible until the meeting's record names the run."""
        size = self._store.batch
        for start in range(0, len(insights), size):
            batch = insights[start : start + size]
            self._store._insights.upsert(
                ids=[codec.insight_id(run, i) for i in batch],
                embeddings=vectors[start : start + size],
                documents=[i.statement for i in batch],
                metadatas=[codec.insight_metadata(i, run, version) for i in batch],
            )

    @wrap("removing old insights", writes=True)
    def remove_stale(self, meeting_id: str, keep_run: str | None) -> int:
        """Delete insights of a meeting that belong to any extraction run but `keep_run`."""
        keep = None if keep_run is None else [keep_run]
        return self._store.delete_all_but(self._store._insights, meeting_id, "run", keep)

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
                found += [codec.insight_from_metadata(m) for m in got["metadatas"]]
        return found

    @wrap("reading insight vectors")
    def with_vectors(self, runs: list[str], kinds: list[str] | None = None) -> list[InsightVector]:
        """Every insight of the given runs (of the given kinds) with its run and statement vector."""
        if not runs:
            return []
        found: list[InsightVector] = []
        for some_runs in limits.slices(runs):
            where: dict[str, Any] = {"run": {"$in": some_runs}}
            if kinds:
                where = {"$and": [where, {"kind": {"$in": kinds}}]}
            got = self._store._insights.get(where=where, include=["metadatas", "embeddings"])
            found += [
                InsightVector(codec.insight_from_metadata(m), m["run"], list(e))
                for m, e in zip(got["metadatas"], got["embeddings"])
            ]
        return found

    def visible_with_vectors(self, records: list[MeetingRecord]) -> list[InsightVector]:
        """The insights of the runs the given meeting records show, with their vectors."""
        runs = {r.meeting_id: r.extraction_run for r in records if r.extraction_run}
        return [row for row in self.with_vectors(list(runs.values())) if runs.get(row.insight.meeting_id) == row.run]
