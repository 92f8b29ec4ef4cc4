"""Hybrid retrieval: dense similarity (MiniLM in Chroma) and BM25, spread over neighbouring
passages, under filters."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import NotFoundError
from .lexical import LexicalIndex
from .models import MeetingRecord, Passage, SearchHit
from .store import lexicon
from .store.codec import DenseHit, passage_id, touches_team

if TYPE_CHECKING:
    import numpy as np

    from .embeddings import Embedder
    from .store import Store

CANDIDATES = 100
# How the two signals and the neighbours combine, measured on QMSum val (bench/retrieval.py).
# Each passage gets a weight exp(DENSE_SCALE * cosine + bm25 / LEXICAL_SCALE): how likely it is
# the place the question is about. A discussion runs over several passages (in QMSum the passage
# next to a relevant one is relevant 87% of the time, three away still 63%), so a passage is
# ranked by the weights of the passages around it, discounted by distance: exp(-d / SPREAD) up to
# REACH passages away in the same meeting. A stretch where many passages match beats a lone
# match, and the passages of the best stretch come back together.
DENSE_SCALE = 5.0
LEXICAL_SCALE = 6.0
SPREAD = 1.25
REACH = 5


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
    score: float = 0.0  # its rank value, relative to the best (1.0)
    dense: float | None = None
    lexical: float | None = None


class Retriever:
    """Searches a store. Keeps the lexical index in memory, and in a file beside a store folder
    (store/lexicon.py), and updates it when meetings change."""

    def __init__(self, store: Store, embedder: Embedder):
        self.store = store
        self.embedder = embedder
        self._records: dict[str, MeetingRecord] = {}
        self._index = LexicalIndex.empty()
        self._positions: dict[str, int] = {}
        self._token: str | None = None
        self._sorted: list[MeetingRecord] | None = None
        self._stored_passages: int | None = None  # on a folder: the passages stored at `_token`

    def refresh(self) -> list[MeetingRecord]:
        """Re-read the meeting records when they changed since the last query (one read of the
        store's change token tells). A store folder's lexicon file written under the same token
        is used as it is; otherwise postings are read only for versions the index lacks, and the
        file is written again for the next process."""
        token = self.store.meetings.change_token()  # before the records: a write between is seen next time
        if token is not None and token == self._token and self._sorted is not None:
            return self._sorted
        saved = None if self.store.server else lexicon.load(self.store.location)
        if saved is not None and token is not None and saved.token == token:
            self._use(token, saved.records, saved.lexical, saved.passages)
            return saved.records
        records = self.store.meetings.records()
        base = self._index if self._index.versions or saved is None else saved.lexical
        index = self._updated(base, records)
        passages = None if self.store.server else self.store.meetings.count_passages()
        self._use(token, records, index, passages)
        if passages is not None and token is not None and index.versions == [r.version for r in records]:
            lexicon.save(self.store.location, lexicon.Saved(token, records, passages, index))
        return records

    def _updated(self, index: LexicalIndex, records: list[MeetingRecord]) -> LexicalIndex:
        """The index of these records' versions, from `index` and the postings it lacks."""
        order = [r.version for r in records]
        if index.versions == order:
            return index
        known = set(index.versions)
        new = self.store.meetings.postings([r.meeting_id for r in records if r.version not in known])
        return index.with_versions([v for v in order if v in known or v in new], new)

    def _use(self, token: str | None, records: list[MeetingRecord], index: LexicalIndex, passages: int | None) -> None:
        self._token, self._sorted, self._stored_passages = token, records, passages
        self._records = {r.version: r for r in records}
        self._index, self._positions = index, index.position()

    def _stored_count(self) -> int:
        """How many passages are stored: known from the change token on a folder (whose writers
        never run during a read), asked on a server (whose writers may add passages any time)."""
        if self._stored_passages is not None:
            return self._stored_passages
        return self.store.meetings.count_passages()

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

    def candidates(
        self, query: str, filters: Filters, limit: int = CANDIDATES, vector: list[float] | None = None
    ) -> tuple[list[Candidate], int]:
        """Ranked candidates, best first, and how many meetings were searched. With a team filter
        more are ranked, since passages of other teams are dropped when they are read. `vector` is
        the query's embedding when the caller has it already."""
        self.refresh()
        scope = self.meetings_in_scope(filters)
        versions = [r.version for r in scope]
        if not versions or not query.strip():
            return [], len(scope)
        if vector is None:
            vector = self.embedder.embed([query])[0]
        # the version filter costs more than the search; skip it when nothing else is stored
        everything = len(scope) == len(self._records) and self._stored_count() == sum(
            r.passages for r in self._records.values()
        )
        dense = self.store.meetings.nearest(vector, versions, limit, filters.team, every_version=everything)
        lexical = self._lexical(query, scope)
        return _rank(scope, dense, lexical, limit * 4 if filters.team else limit), len(scope)

    def _lexical(self, query: str, scope: list[MeetingRecord]) -> np.ndarray:
        """The BM25 score of each passage of the meetings in scope, in their order."""
        import numpy as np

        scores = self._index.score_array(query)
        if self._index.versions == [r.version for r in scope]:
            return scores
        starts = self._index.starts
        parts = []
        for r in scope:
            m = self._positions.get(r.version, -1)
            whole = m >= 0 and int(starts[m + 1] - starts[m]) == r.passages
            parts.append(scores[starts[m] : starts[m + 1]] if whole else np.zeros(r.passages))
        return np.concatenate([np.zeros(0), *parts])

    def search_with_count(
        self, query: str, k: int = 10, filters: Filters | None = None, vector: list[float] | None = None
    ) -> tuple[list[SearchHit], int]:
        """The k best passages and how many meetings were searched."""
        filters = filters or Filters()
        ranked, searched = self.candidates(query, filters, vector=vector)
        return [hit for hit, _ in self.materialize(ranked, k, filters)], searched

    def materialize(self, ranked: list[Candidate], k: int, filters: Filters) -> list[tuple[SearchHit, Candidate]]:
        """Fetch the text of the best candidates, dropping those outside the team filter."""
        results: list[tuple[SearchHit, Candidate]] = []
        start = 0
        while len(results) < k and start < len(ranked):
            batch = ranked[start : start + max(k * 2, 10)]
            start += len(batch)
            stored = self.store.meetings.passages([c.id for c in batch])
            for c in batch:
                if c.id not in stored:
                    continue  # removed by a concurrent ingest since the index was read
                passage = stored[c.id]
                if filters.team and not touches_team(passage, filters.team):
                    continue
                results.append((hit_from_passage(passage, self._records[c.version], c.score), c))
                if len(results) == k:
                    break
        return results


def hit_from_passage(passage: Passage, record: MeetingRecord, score: float) -> SearchHit:
    """A search result from a stored passage and its meeting."""
    return SearchHit(
        meeting_id=record.meeting_id,
        title=record.title,
        date=record.date,
        source=record.source,
        start_line=passage.start_line,
        end_line=passage.end_line,
        speakers=passage.speakers,
        teams=passage.teams,
        score=round(float(score), 4),
        text=passage.text,
    )


def _rank(scope: list[MeetingRecord], dense: list[DenseHit], lexical: np.ndarray | None, limit: int) -> list[Candidate]:
    """The best `limit` passages of the meetings in scope, each ranked by the weights of the
    passages around it. Passages beyond the dense candidates count with the lowest similarity
    among them. `lexical` is the BM25 score of each passage of the scope, in order (0 or None:
    no term shared)."""
    import numpy as np  # here, not at the top: `synth --help` does not load numpy

    starts = list(itertools.accumulate((r.passages for r in scope), initial=0))
    offset = {r.version: start for r, start in zip(scope, starts)}
    total = starts[-1]
    if not total:
        return []
    similarity = np.full(total, min((hit.similarity for hit in dense), default=0.0))
    known: dict[int, float] = {}
    for hit in dense:
        at = offset[hit.version] + hit.index
        similarity[at] = known[at] = hit.similarity
    bm25 = np.zeros(total) if lexical is None else lexical
    logit = DENSE_SCALE * similarity + bm25 / LEXICAL_SCALE
    weight = np.exp(logit - logit.max())
    ranked = _spread(weight, [r.passages for r in scope])
    ranked /= ranked.max()
    result = []
    for at in _best(ranked, limit).tolist():
        m = bisect.bisect_right(starts, at) - 1
        record, index = scope[m], at - starts[m]
        result.append(
            Candidate(
                passage_id(record.meeting_id, record.version, index),
                record.version,
                score=float(ranked[at]),
                dense=known.get(at),
                lexical=float(bm25[at]) if bm25[at] else None,
            )
        )
    return result


def _spread(weight: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Each passage's weight spread to its neighbours in the same meeting: one convolution over
    the meetings laid end to end with REACH zeros between them."""
    import numpy as np

    kernel = np.exp(-np.abs(np.arange(-REACH, REACH + 1)) / SPREAD)
    meeting = np.repeat(np.arange(len(sizes)), sizes)
    where = np.arange(len(weight)) + REACH * (meeting + 1)
    padded = np.zeros(len(weight) + REACH * (len(sizes) + 1))
    padded[where] = weight
    return np.convolve(padded, kernel, mode="same")[where]


def _best(ranked: np.ndarray, limit: int) -> np.ndarray:
    """The positions of the `limit` highest values, highest first, ties in order of position (as
    a stable sort of them all would give), without sorting them all."""
    import numpy as np

    if len(ranked) <= limit:
        return np.argsort(-ranked, kind="stable")
    threshold = np.partition(-ranked, limit - 1)[limit - 1]
    near = np.flatnonzero(-ranked <= threshold)
    return near[np.argsort(-ranked[near], kind="stable")][:limit]
