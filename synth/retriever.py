"""Hybrid retrieval: dense similarity (MiniLM in Chroma) fused with BM25, under filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .chunker import passage_id
from .errors import NotFoundError
from .lexical import LexicalIndex
from .models import MeetingRecord, SearchHit
from .store import hit_from_passage
from .teams import team_flag

RRF_K = 60
CANDIDATES = 100
# Measured on QMSum val (bench/retrieval.py): BM25 ranks better than MiniLM on meeting speech,
# so its ranks count double in the fusion; a passage whose neighbours also match is more likely
# inside the stretch of the meeting that the question is about (smoothing); and the passages
# right around the best seeds are returned next to them, since discussions run over several.
LEXICAL_WEIGHT = 2.0
NEIGHBOUR_WEIGHT = 0.25
SEEDS = 2


@dataclass
class Filters:
    """What a search may look at."""

    team: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    meeting: str | None = None


@dataclass
class Candidate:
    id: str
    version: str
    fused: float = 0.0
    dense: float | None = None
    lexical: float | None = None


class Retriever:
    """Searches a store. Keeps the lexical index in memory and refreshes it when meetings change."""

    def __init__(self, store, embedder):
        self.store = store
        self.embedder = embedder
        self._records: dict[str, MeetingRecord] = {}
        self._index = LexicalIndex({})

    def refresh(self) -> list[MeetingRecord]:
        """Re-read the meeting records; load postings only for versions not yet in memory."""
        records = self.store.meeting_records()
        current = {r.version: r for r in records}
        if set(current) != self._index.versions():
            known = self._index.versions()
            missing = [r.meeting_id for v, r in current.items() if v not in known]
            postings = {v: self._index.postings(v) for v in current if v in known}
            postings.update(self.store.postings(missing))
            postings = {v: p for v, p in postings.items() if v in current}
            self._index = LexicalIndex(postings)
        self._records = current
        return records

    def records_by_meeting(self) -> dict[str, MeetingRecord]:
        return {r.meeting_id: r for r in self._records.values()}

    def meetings_in_scope(self, filters: Filters) -> list[MeetingRecord]:
        """The stored meetings the filters allow."""
        records = list(self._records.values())
        if filters.since:
            records = [r for r in records if r.date >= filters.since.isoformat()]
        if filters.until:
            records = [r for r in records if r.date <= filters.until.isoformat()]
        if filters.meeting:
            wanted = filters.meeting.strip().lower()
            exact = [r for r in records if r.meeting_id.lower() == wanted]
            records = exact or [r for r in records if wanted in r.title.lower()]
            if not records:
                raise NotFoundError(f"no meeting matches {filters.meeting!r}; `synth meetings` lists them")
        return records

    def candidates(self, query: str, filters: Filters, limit: int = CANDIDATES) -> tuple[list[Candidate], int]:
        """Fused candidates, best first, and how many meetings were searched."""
        self.refresh()
        scope = self.meetings_in_scope(filters)
        versions = [r.version for r in scope]
        if not versions or not query.strip():
            return [], len(scope)
        vector = self.embedder.embed([query])[0]
        # the version filter costs more than the search; skip it when nothing else is stored
        everything = len(scope) == len(self._records) and \
            self.store.count_passages() == sum(r.passages for r in self._records.values())
        dense = self.store.query_passages(vector, versions, limit, filters.team, every_version=everything)
        by_version = {r.version: r for r in scope}
        lexical = [(passage_id(by_version[v].meeting_id, v, i), v, s)
                   for v, i, s in self._index.search(query, set(versions), limit)]
        table: dict[str, Candidate] = {}
        for rank, (pid, version, similarity) in enumerate(dense):
            c = table.setdefault(pid, Candidate(pid, version))
            c.dense = similarity
            c.fused += 1.0 / (RRF_K + rank + 1)
        for rank, (pid, version, score) in enumerate(lexical):
            c = table.setdefault(pid, Candidate(pid, version))
            c.lexical = score
            c.fused += LEXICAL_WEIGHT / (RRF_K + rank + 1)
        ranked = _smooth_and_expand(table, by_version)
        return ranked, len(scope)

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[SearchHit]:
        """The k best passages for a query, with their sources."""
        hits, _ = self.search_with_count(query, k, filters)
        return hits

    def search_with_count(self, query: str, k: int = 10, filters: Filters | None = None,
                          ) -> tuple[list[SearchHit], int]:
        """The k best passages and how many meetings were searched."""
        filters = filters or Filters()
        ranked, searched = self.candidates(query, filters)
        return [hit for hit, _ in self.materialize(ranked, k, filters)], searched

    def materialize(self, ranked: list[Candidate], k: int, filters: Filters) -> list[tuple[SearchHit, Candidate]]:
        """Fetch the text of the best candidates, dropping those outside the team filter."""
        results: list[tuple[SearchHit, Candidate]] = []
        start = 0
        while len(results) < k and start < len(ranked):
            batch = ranked[start:start + max(k * 2, 10)]
            start += len(batch)
            stored = self.store.get_passages([c.id for c in batch])
            for c in batch:
                if c.id not in stored:
                    continue  # removed by a concurrent ingest since the index was read
                text, metadata = stored[c.id]
                if filters.team and not metadata.get(team_flag(filters.team)):
                    continue
                results.append((hit_from_passage(text, metadata, self._records[c.version], c.fused), c))
                if len(results) == k:
                    break
        return results



def _neighbours(pid: str, record: MeetingRecord) -> list[str]:
    meeting_id, short, index = pid.rsplit(":", 2)
    at = int(index)
    return [f"{meeting_id}:{short}:{i:04d}" for i in (at + 1, at - 1) if 0 <= i < record.passages]


def _smooth_and_expand(table: dict[str, Candidate], by_version: dict[str, MeetingRecord]) -> list[Candidate]:
    """Add a share of each neighbour's score to a passage, then put the neighbours of the best
    seeds right after them."""
    base = {pid: c.fused for pid, c in table.items()}
    for pid, c in list(table.items()):
        for other in _neighbours(pid, by_version[c.version]):
            neighbour = table.setdefault(other, Candidate(other, c.version))
            neighbour.fused += NEIGHBOUR_WEIGHT * base[pid]
    ranked = sorted(table.values(), key=lambda c: -c.fused)
    result: list[Candidate] = []
    placed: set[str] = set()
    for seed_rank, c in enumerate(ranked):
        if c.id in placed:
            continue
        result.append(c)
        placed.add(c.id)
        if seed_rank < SEEDS:
            for other in _neighbours(c.id, by_version[c.version]):
                if other not in placed:
                    result.append(table[other])
                    placed.add(other)
    return result
