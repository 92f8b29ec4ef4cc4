"""Fakes for the fast tier: stand-ins with the real interfaces, deterministic and instant.

`HashEmbedder` can stand in for the MiniLM model wherever synth embeds (ingest, extraction, the
retriever's query, the checker's items): it has the interface of `synth.embeddings.Embedder`
(`name`, `dimensions`, `embed`, `embed_batch`) and gives every text a unit vector made of hashed
word features. Texts that share words get similar vectors, texts that share none are nearly
orthogonal, and the same text gives the same vector in every process (no `hash()` salt).

`MemoryStore` can stand in for a Chroma store: `Synth(settings, embedder=HashEmbedder(),
store=MemoryStore())` runs every command in memory, without a folder, Chroma or locks. Its
repositories are the real ones (synth/store/) with their Chroma calls replaced by dicts, so the
commit protocols are the real code; what it does not reproduce is listed on `MemoryStore`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import re
from collections import Counter

from synth.embeddings import Embedder
from synth.errors import StoreError
from synth.models import Flag, Insight, MeetingRecord, Passage, Turn
from synth.store import codec
from synth.store.cache import ReplyCache, ReplyKind
from synth.store.flags import FlagRepo
from synth.store.insights import TERMS, TERMS_READER, InsightRepo, InsightRow, InsightVector, VisibleRow, kept_terms
from synth.store.meetings import MeetingRepo, PendingWrite, pending_id
from synth.store.settings import SettingsRepo
from synth.store.vision import VisionRepo

_WORD = re.compile(r"[a-z0-9]+")
# a few words that every sentence has; without them unrelated sentences would look alike
_COMMON = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "i", "in", "is", "it"]
    + ["of", "on", "or", "so", "that", "the", "this", "to", "was", "we", "with"]
)


class HashEmbedder(Embedder):
    """Unit vectors from hashed words and word prefixes (so "exports" is near "export").

    384 dimensions by default, the size of all-MiniLM-L6-v2's vectors, so that code which expects
    that size (the offline extractor's classifier) runs on these vectors too."""

    name = "hash-embedder"

    def __init__(self, dimensions: int = 384):
        self.dimensions = dimensions

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        return [self.vector(text) for text in texts]

    def vector(self, text: str) -> list[float]:
        """The unit vector of one text; a text without words gets a fixed vector of its own."""
        values = [0.0] * self.dimensions
        for word in _WORD.findall(text.lower()):
            if word in _COMMON:
                continue
            for feature, weight in ((f"w:{word}", 1.0), (f"p:{word[:5]}", 0.5)):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                slot = int.from_bytes(digest[:4], "little") % self.dimensions
                sign = 1.0 if digest[4] & 1 else -1.0
                values[slot] += sign * weight
        norm = math.sqrt(sum(v * v for v in values))
        if not norm:
            values[0] = 1.0
            return values
        return [v / norm for v in values]


def cosine(a: list[float], b: list[float]) -> float:
    """The cosine of two unit vectors."""
    return sum(x * y for x, y in zip(a, b, strict=True))


# --- an in-memory store -----------------------------------------------------------------------
# The repositories of synth/store/ with their Chroma calls replaced by dicts. Each memory
# repository subclasses the real one and overrides only the methods that talk to Chroma, so the
# protocols built on them (a meeting's pending -> write -> commit -> clean, an extraction run's
# write -> commit -> remove, a vision version's statements -> text -> versions setting, flags'
# set_status by prefix, the typed settings) are the real code. Records keep the real encoding
# (codec.py): documents, flat metadata and vectors, so what comes back is what Chroma would return.


class _Records:
    """One collection: id -> (document, metadata, vector), in insertion order as Chroma keeps them."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, dict, list[float]]] = {}

    def upsert(self, ids: list[str], documents: list[str], metadatas: list[dict], vectors: list[list[float]]) -> None:
        for i, d, m, v in zip(ids, documents, metadatas, vectors, strict=True):
            self.rows[i] = (d, dict(m), [float(x) for x in v])

    def where(self, test) -> list[tuple[str, str, dict, list[float]]]:
        return [(i, d, dict(m), list(v)) for i, (d, m, v) in self.rows.items() if test(m)]

    def delete(self, ids) -> int:
        gone = [i for i in ids if i in self.rows]
        for i in gone:
            del self.rows[i]
        return len(gone)


def fields_as_before(passage: Passage) -> dict:
    """A passage's metadata that a store written before the texts records held (see codec.fields_written_before)."""
    return dict(start_line=passage.start_line, end_line=passage.end_line) | {
        key: json.dumps(getattr(passage, key)) for key in ("speakers", "teams", "turns")
    }


class MemoryMeetings(MeetingRepo):
    """Meeting records (the commit of a version) and passages, in memory."""

    def __init__(self, store: MemoryStore):
        super().__init__(store)
        self._records = _Records()  # meeting id -> (postings, record metadata, title vector)
        self._passages = _Records()  # passage id -> (text, passage metadata, vector)
        self._pending: dict[str, dict] = {}
        self._postings: dict[str, str] = {}  # version -> its postings, written before its commit
        self._changes = 0  # the change token: every write of a meeting record changes it

    def records(self) -> list[MeetingRecord]:
        found = [codec.record_from_metadata(m) for _, _, m, _ in self._records.where(lambda m: True)]
        return sorted(found, key=lambda r: (r.date, r.title))

    def change_token(self) -> str | None:
        return str(self._changes)

    def postings(self, meeting_ids: list[str]) -> dict[str, str]:
        wanted = set(meeting_ids)
        return {m["version"]: d for i, d, m, _ in self._records.where(lambda m: True) if i in wanted}

    def version_of(self, meeting_id: str) -> str | None:
        row = self._records.rows.get(meeting_id)
        return row[1].get("version") if row else None

    def count_passages(self) -> int:
        return len(self._passages.rows)

    def passage_versions(self, meeting_id: str) -> Counter[str]:
        return Counter(m["version"] for _, _, m, _ in self._passages.where(lambda m: m["meeting_id"] == meeting_id))

    def turns_of(self, meeting_id: str, version: str) -> list[Turn]:
        rows = self._passages.where(lambda m: m["meeting_id"] == meeting_id and m["version"] == version)
        passages = sorted(
            (codec.passage_from_stored(i, m, codec.fields_written_before(d, m)) for i, d, m, _ in rows),
            key=lambda p: p.index,
        )
        return [turn for p in passages for turn in codec.passage_turns(p)]

    def passages_with_vectors(self, meeting_id: str, version: str) -> list[tuple[Passage, list[float]]]:
        rows = self._passages.where(lambda m: m["meeting_id"] == meeting_id and m["version"] == version)
        found = [(codec.passage_from_stored(i, m, codec.fields_written_before(d, m)), v) for i, d, m, v in rows]
        return sorted(found, key=lambda row: row[0].index)

    def nearest(
        self, vector: list[float], versions: list[str], n: int, team: str | None = None, every_version: bool = False
    ) -> list[codec.DenseHit]:
        """Exact cosine (Chroma's index is approximate), with the same version and team filters."""
        if not versions or n <= 0:
            return []
        wanted = set(versions)
        rows = self._passages.where(
            lambda m: m["version"] in wanted and (not team or m.get(codec.team_flag(team)) is True)
        )
        hits = [codec.DenseHit(i, m["version"], int(m["index"]), cosine_of(vector, v)) for i, _, m, v in rows]
        return sorted(hits, key=lambda h: -h.similarity)[:n]

    def nearest_dated_many(
        self, vectors: list[list[float]], after: str, until: str, excluding: list[str], n: int
    ) -> list[list[codec.DenseHit]]:
        low, high, skip = codec.date_ordinal(after), codec.date_ordinal(until), set(excluding)
        rows = self._passages.where(lambda m: low < m["date_ord"] <= high and m["meeting_id"] not in skip)
        return [
            sorted(
                (codec.DenseHit(i, m["version"], int(m["index"]), cosine_of(vector, v)) for i, _, m, v in rows),
                key=lambda h: -h.similarity,
            )[:n]
            for vector in vectors
        ]

    def passages(self, ids: list[str]) -> dict[str, Passage]:
        wanted = set(ids)
        return {
            i: codec.passage_from_stored(i, m, codec.fields_written_before(d, m))
            for i, d, m, _ in self._passages.where(lambda m: True)
            if i in wanted
        }

    def similarities(self, vector: list[float], ids: list[str]) -> dict[str, float]:
        wanted = set(ids)
        return {
            i: float(sum(a * b for a, b in zip(vector, v)))
            for i, _, _, v in self._passages.where(lambda m: True)
            if i in wanted
        }

    def mark_pending(self, meeting_id: str, version: str, owner: str) -> None:
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        key = pending_id(meeting_id, version, owner)
        self._pending[key] = dict(meeting_id=meeting_id, version=version, owner=owner, started=started, id=key)

    def unmark_pending(self, meeting_id: str, version: str, owner: str) -> None:
        self._pending.pop(pending_id(meeting_id, version, owner), None)

    def drop_pending(self, entry: PendingWrite) -> None:
        self._pending.pop(entry.id, None)

    def pending_writes(self) -> list[PendingWrite]:
        return [PendingWrite(**entry) for entry in self._pending.values()]

    def remove_version(self, meeting_id: str, version: str) -> int:
        rows = self._passages.where(lambda m: m["meeting_id"] == meeting_id and m["version"] == version)
        return self._passages.delete([r[0] for r in rows])

    def write_texts(self, record: MeetingRecord, passages: list[Passage], postings: str) -> None:
        self._postings[record.version] = postings

    def write_passages(self, passages: list[Passage], vectors: list[list[float]], record: MeetingRecord) -> None:
        # kept as a store written before the texts records: text as document, the rest in metadata
        date_ord = codec.date_ordinal(record.date)
        self._passages.upsert(
            [p.id for p in passages],
            [p.text for p in passages],
            [codec.passage_metadata(p, date_ord) | fields_as_before(p) for p in passages],
            vectors,
        )

    def commit(self, record: MeetingRecord, title_vector: list[float]) -> None:
        postings = self._postings.pop(record.version)
        self._records.upsert([record.meeting_id], [postings], [codec.record_metadata(record)], [title_vector])
        self._changes += 1

    def update_record(self, record: MeetingRecord) -> None:
        row = self._records.rows.get(record.meeting_id)
        if row is None or row[1].get("version") != record.version:
            raise StoreError(f"meeting {record.meeting_id} changed or was removed while it was being extracted")
        self._records.upsert([record.meeting_id], [row[0]], [codec.record_metadata(record)], [row[2]])
        self._changes += 1

    def remove_stale_passages(self, meeting_id: str, keep_version: str | None, also_keep: tuple[str, ...] = ()) -> int:
        keep = {keep_version, *also_keep} if keep_version is not None else set()
        rows = self._passages.where(lambda m: m["meeting_id"] == meeting_id and m["version"] not in keep)
        return self._passages.delete([r[0] for r in rows])

    def forget(self, meeting_id: str) -> int:
        self._records.delete([meeting_id])
        self._changes += 1
        self._store.insights.remove_stale(meeting_id, None)
        return self.remove_stale_passages(meeting_id, None)


class MemoryInsights(InsightRepo):
    """Extraction runs' insights, in memory."""

    def __init__(self, store: MemoryStore):
        super().__init__(store)
        self._rows = _Records()  # run:insight id -> (statement, insight metadata, vector)

    def write(self, insights: list[Insight], vectors: list[list[float]], run: str, version: str) -> None:
        self._rows.upsert(
            [codec.insight_id(run, i) for i in insights],
            [i.statement for i in insights],
            [codec.insight_metadata(i, run, version) for i in insights],
            vectors,
        )

    def remove_stale(self, meeting_id: str, keep_run: str | None) -> int:
        rows = self._rows.where(lambda m: m["meeting_id"] == meeting_id and (keep_run is None or m["run"] != keep_run))
        return self._rows.delete([r[0] for r in rows])

    def query(
        self, runs: list[str], kind: str | None = None, team: str | None = None, meeting_ids: list[str] | None = None
    ) -> list[Insight]:
        wanted = set(runs)
        rows = self._rows.where(
            lambda m: (
                m["run"] in wanted
                and (not kind or m.get("kind") == kind)
                and (not team or m.get("team") == team)
                and (meeting_ids is None or m["meeting_id"] in meeting_ids)
            )
        )
        return [codec.insight_from_metadata(m) for _, _, m, _ in rows]

    def with_vectors(self, runs: list[str], kinds: list[str] | None = None) -> list[InsightVector]:
        wanted = set(runs)
        rows = self._rows.where(lambda m: m["run"] in wanted and (not kinds or m["kind"] in kinds))
        return [InsightVector(codec.insight_from_metadata(m), m["run"], v) for _, _, m, v in rows]

    def with_vector_rows(self, runs: list[str], kinds: list[str] | None = None) -> list[InsightRow]:
        import numpy as np

        return [InsightRow(i, run, np.asarray(v, dtype=np.float32)) for i, run, v in self.with_vectors(runs, kinds)]

    def visible(self, records: list[MeetingRecord]) -> list[VisibleRow]:
        runs = {r.meeting_id: r.extraction_run for r in records if r.extraction_run}
        rows = self._rows.where(lambda m: runs.get(m["meeting_id"]) == m["run"])
        return [VisibleRow(i, codec.insight_from_metadata(m), kept_terms(m)) for i, _, m, _ in rows]

    def visible_with_vectors(self, records: list[MeetingRecord]) -> list[VisibleRow]:
        import numpy as np

        rows = self.visible(records)
        vectors = self.vectors([row.id for row in rows])
        return [row._replace(vector=np.asarray(v, dtype=np.float32)) for row, v in zip(rows, vectors)]

    def keep_terms(self, runs: dict[str, str], terms) -> None:
        for insight, (reader, words) in terms:
            stored = self._rows.rows.get(codec.insight_id(runs.get(insight.meeting_id, ""), insight))
            if stored is not None:
                stored[1].update({TERMS: " ".join(words), TERMS_READER: reader})

    def vectors(self, ids: list[str]) -> list[list[float]]:
        return [list(self._rows.rows[i][2]) for i in ids]

    def nearest(self, vectors, n: int, scope) -> list[list[tuple[str, float]]]:
        rows = self._rows.where(lambda m: scope.holds(codec.insight_from_metadata(m)))
        found = []
        for vector in vectors:
            ranked = sorted(((i, cosine(vector, v)) for i, _, _, v in rows), key=lambda hit: -hit[1])
            found.append(ranked[:n])
        return found


class MemoryVision(VisionRepo):
    """The current vision version's statement vectors, in memory (the versions are settings)."""

    def __init__(self, store: MemoryStore):
        super().__init__(store)
        self._rows = _Records()  # statement id -> (text, statement metadata, vector)

    def vectors(self, vision):
        rows = self._rows.where(lambda m: m["version"] == vision.version)
        by_place = {codec.statement_place(m): v for _, _, m, v in rows}
        return [(s, by_place[(s.id, s.start_line)]) for s in vision.statements if (s.id, s.start_line) in by_place]

    def _write_statements(self, statements, vectors: list[list[float]]) -> None:
        self._rows.upsert(
            [codec.statement_id(s) for s in statements],
            [s.text for s in statements],
            [codec.statement_metadata(s) for s in statements],
            vectors,
        )

    def _remove_other_versions(self, keep: str) -> int:
        return self._rows.delete([r[0] for r in self._rows.where(lambda m: m["version"] != keep)])


class MemoryFlags(FlagRepo):
    """Flags, in memory (stored as their JSON documents, as in Chroma)."""

    def __init__(self, store: MemoryStore):
        super().__init__(store)
        self._documents: dict[str, str] = {}

    def all(self) -> list[Flag]:
        return [codec.flag_from_document(d) for d in self._documents.values()]

    def open_ids(self) -> list[str]:
        return [f.id for f in self.all() if f.status == "open"]

    def some(self, ids: list[str]) -> dict[str, Flag]:
        return {i: codec.flag_from_document(self._documents[i]) for i in dict.fromkeys(ids) if i in self._documents}

    def delete(self, ids: list[str]) -> None:
        for i in ids:
            self._documents.pop(i, None)

    def _upsert(self, ids: list[str], metadatas: list) -> None:
        self._documents.update((i, codec.unpack(m)) for i, m in zip(ids, metadatas, strict=True))


class MemoryCache(ReplyCache):
    """Model replies, in memory."""

    def __init__(self, store: MemoryStore):
        super().__init__(store)
        self.replies: dict[str, tuple[str, str]] = {}  # key -> (reply, kind)

    def get_many(self, keys: list[str]) -> dict[str, str]:
        return {k: self.replies[k][0] for k in dict.fromkeys(keys) if k in self.replies}

    def put(self, key: str, value: str, kind: ReplyKind = "extraction") -> None:
        self.replies[key] = (value, kind)

    def clear(self) -> int:
        count = len(self.replies)
        self.replies.clear()
        return count


class MemorySettings(SettingsRepo):
    """Settings, in memory, kept as JSON text so that a value read is a copy, as from Chroma."""

    def __init__(self, store: MemoryStore):
        super().__init__(store)
        self._values: dict[str, str] = {}

    def value(self, key: str):
        return json.loads(self._values[key]) if key in self._values else None

    def set_value(self, key: str, value) -> None:
        self._values[key] = json.dumps(value)


class MemoryStore:
    """A synth store in memory, with the repositories of `synth.store.Store` (for `Synth(store=...)`).

    No Chroma, no folder, no locks: one process, one writer. Unlike Chroma it searches exactly
    (not through an approximate index) in float64 (not float32); it never raises StoreError or
    NoStoreError (an empty store is an existing one: `status` says it exists); it does not check
    that metadata is flat, nor split writes into batches; nothing survives the process."""

    server = False
    writer = True

    def __init__(self, embedder_name: str = HashEmbedder.name):
        self.embedder_name = embedder_name
        self.location = "memory"
        self.batch = 1000
        self.meetings = MemoryMeetings(self)
        self.insights = MemoryInsights(self)
        self.vision = MemoryVision(self)
        self.flags = MemoryFlags(self)
        self.cache = MemoryCache(self)
        self.settings = MemorySettings(self)

    @property
    def _store(self) -> MemoryStore:
        return self

    def erase_freed_text(self) -> None:
        """Nothing of a deleted record stays in memory."""

    def changing(self) -> contextlib.AbstractContextManager[None]:
        """A write needs no lock here."""
        return contextlib.nullcontext()

    def reopen_after(self, exc: Exception, attempt: int) -> bool:
        return False

    def explain(self, exc: Exception) -> str:
        return str(exc)


def cosine_of(a: list[float], b: list[float]) -> float:
    """Cosine similarity of any two vectors (Chroma's `1 - cosine distance`)."""
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b)) / norm if norm else 0.0


def memory_synth(tmp_path, monkeypatch, **settings):
    """An offline Synth on the fakes (MemoryStore, HashEmbedder), with chromadb and onnxruntime
    made unimportable so the test proves it never needs them; settings override the defaults."""
    import sys

    from synth.app import Synth
    from synth.config import Settings

    for heavy in ("chromadb", "onnxruntime"):
        monkeypatch.setitem(sys.modules, heavy, None)
    options = {"store": tmp_path / "never-opened", "offline": True, "auto_check": False, **settings}
    return Synth(Settings(**options), embedder=HashEmbedder(), store=MemoryStore())
