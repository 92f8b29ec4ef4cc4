"""Meetings: their records, passages and lexical postings, and the protocol that writes them.

A new version of a meeting is written in full before its meeting record points at it, and the
old version's passages are removed after; searches only see versions that a meeting record
names, so an interruption at any moment leaves exactly one complete version visible. The
pending-write record lets a later ingest remove what a dead one left; on a Chroma server, where
several processes write at once, a version another live process is writing is never removed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import StoreError
from ..models import MeetingRecord, Passage, Turn
from . import codec, limits
from .client import wrap
from .locking import owner_alive, owner_id, release_owner

if TYPE_CHECKING:
    from .core import Store

MEETINGS_CHANGED = "meetings_changed"  # the config record whose value changes with every meeting record
PENDING_LEASE = dt.timedelta(hours=6)  # how long a pending write of another host's process is trusted
TEXTS = "texts"  # config records of a version's passage texts, lines, speakers and turns
POSTINGS = "postings"  # the config record of a version's lexical postings
# Passages per texts record: a search hit unpacks its group, not its whole meeting (about 3 ms
# per meeting of QMSum, whose hits span several meetings). Part of the store's format: the
# record of a passage is found by its index.
TEXTS_GROUP = 16


def version_record_id(kind: str, meeting_id: str, version: str, group: int | None = None) -> str:
    """The id of a version's postings record, or of one group of its texts records, in the config collection."""
    base = f"{kind}:{meeting_id}:{version}"
    return base if group is None else f"{base}:{group}"


def texts_record_id(meeting_id: str, version: str, index: int) -> str:
    """The id of the texts record that holds the passage `index` of a version."""
    return version_record_id(TEXTS, meeting_id, version, index // TEXTS_GROUP)


class PendingWrite(NamedTuple):
    """A meeting version being written (or claimed), and by whom (host:pid:number, see
    locking.owner_id); `id` is its record's."""

    meeting_id: str
    version: str
    owner: str
    started: str
    id: str = ""


def _oldest_first(records: list[MeetingRecord]) -> list[MeetingRecord]:
    """Meeting records by date, then title (records alike in both in the store's order)."""
    return sorted(records, key=lambda r: (r.date, r.title))


def pending_id(meeting_id: str, version: str, owner: str) -> str:
    """The id of one writer's pending-write record: each writer has its own, so two that mark
    the same meeting at once never overwrite each other's mark (see ingest.Ingestor._claim).
    Records written before (one per meeting version, `pending:MEETING:VERSION`) read the same."""
    return f"pending:{meeting_id}:{version}:{owner}"


class MeetingRepo:
    """The meetings collection (one record per meeting, the commit of its version) and the
    passages collection (one record per passage of a version)."""

    def __init__(self, store: Store):
        self._store = store
        self._read: tuple[str, list[MeetingRecord]] | None = None  # the records last read, under their token

    # --- reading ------------------------------------------------------------------------------

    @wrap("reading the meetings")
    def records(self) -> list[MeetingRecord]:
        """Every stored meeting, oldest first. Read again only when the change token moved since
        the last read (a command asks several times: 50 ms each at 300 meetings); the token is
        read before the records and changes after every write of one, so records held under a
        token are never older than it."""
        token = self.change_token()
        if token is not None and self._read is not None and self._read[0] == token:
            return _oldest_first(self._read[1])
        got = self._store._meetings.get(include=["metadatas"])
        found = [codec.record_from_metadata(m) for m in got["metadatas"]]  # in the store's order
        self._read = (token, found) if token is not None else None
        return _oldest_first(found)

    @wrap("reading the meetings")
    def change_token(self) -> str | None:
        """A value that changes whenever a meeting record is written or removed (None on a store
        written before it existed): one read by id, so a reader can tell cheaply that the records
        it holds are still the stored ones."""
        got = self._store._config.get(ids=[MEETINGS_CHANGED], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def _changed(self, record: MeetingRecord | None = None, removed: str | None = None) -> None:
        """Move the change token after a write of the meeting `record` or the removal of the
        meeting `removed` (or neither). In a folder, whose writer lock this process holds, the
        records held under the token before the write are changed as the store was and kept
        under the new one, rather than read again (one ingest asks for them several times); on
        a server, where other writers may write meanwhile, they are read again when next asked."""
        held = self._read
        before = self.change_token() if held is not None and not self._store.server else None
        token = uuid.uuid4().hex  # a random value, not a counter: writers on several machines need no coordination
        self._store._config.upsert(
            ids=[MEETINGS_CHANGED], embeddings=[[1.0]], documents=[token], metadatas=[{"key": MEETINGS_CHANGED}]
        )
        if held is None or before is None or held[0] != before:
            self._read = None
            return
        rows = [r for r in held[1] if r.meeting_id != removed]
        if record is not None:  # as the store orders them: a replaced record keeps its place
            record = codec.record_from_metadata(codec.record_metadata(record))  # as a read gives it
            at = next((k for k, r in enumerate(rows) if r.meeting_id == record.meeting_id), None)
            rows = rows + [record] if at is None else [*rows[:at], record, *rows[at + 1 :]]
        self._read = (token, rows)

    @wrap("reading postings")
    def postings(self, meeting_ids: list[str]) -> dict[str, str]:
        """Lexical postings by version for the given meetings."""
        if not meeting_ids:
            return {}
        documents: dict[tuple[str, str], str] = {}
        for some in limits.slices(meeting_ids, self._store.batch):
            got = self._store._meetings.get(ids=some, include=["metadatas", "documents"])
            documents.update({(i, m["version"]): d for i, m, d in zip(got["ids"], got["metadatas"], got["documents"])})
        packed = dict(self._unpacked([version_record_id(POSTINGS, *key) for key in documents]))
        found = {version: packed.get(version) or document for (_, version), document in documents.items()}
        return {version: value for version, value in found.items() if value}

    def _unpacked(self, ids: list[str]) -> list[tuple[str, str]]:
        """The version and unpacked value of each of these texts or postings records that is
        stored (versions written before have none)."""
        found: list[tuple[str, str]] = []
        for some in limits.slices(ids, self._store.batch):
            got = self._store._config.get(ids=some, include=["metadatas"])
            for metadata in got["metadatas"]:
                value = codec.unpack(metadata)
                if value is not None:
                    found.append((metadata["version"], value))
        return found

    def _passages_from(self, ids: list[str], documents: list[str | None], metadatas: list[Any]) -> list[Passage]:
        """Stored passages from their records and their versions' texts records (a passage whose
        version went meanwhile is left out); a passage written before has its text as document."""
        wanted = {
            texts_record_id(m["meeting_id"], m["version"], int(m["index"]))
            for d, m in zip(documents, metadatas)
            if d is None
        }
        texts: dict[str, dict[int, codec.KeptFields]] = {}
        for version, value in self._unpacked(sorted(wanted)):
            texts.setdefault(version, {}).update(codec.texts_from_value(value))
        passages = []
        for passage_id, document, metadata in zip(ids, documents, metadatas):
            kept: codec.KeptFields | None = (
                codec.fields_written_before(document, metadata)
                if document is not None
                else texts.get(metadata["version"], {}).get(int(metadata["index"]))
            )
            if kept is not None:
                passages.append(codec.passage_from_stored(passage_id, metadata, kept))
        return passages

    @wrap("reading a meeting")
    def version_of(self, meeting_id: str) -> str | None:
        """The version a meeting's record names now (None if it is not stored)."""
        got = self._store._meetings.get(ids=[meeting_id], include=["metadatas"])
        return got["metadatas"][0].get("version") if got["ids"] else None

    @wrap("counting")
    def count_passages(self) -> int:
        """How many passages are stored (of every version, visible or not)."""
        return int(self._store._passages.count())

    @wrap("counting passages")
    def passage_versions(self, meeting_id: str) -> Counter[str]:
        """How many passages of each version of a meeting are stored (visible or not)."""
        got = self._store._passages.get(where={"meeting_id": meeting_id}, include=["metadatas"])
        return Counter(m["version"] for m in got["metadatas"])

    def turns(self, record: MeetingRecord) -> list[Turn]:
        """The turns of a stored meeting version, rebuilt from its passages."""
        return self.turns_of(record.meeting_id, record.version)

    @wrap("reading a meeting's turns")
    def turns_of(self, meeting_id: str, version: str) -> list[Turn]:
        """The turns of the version `version` of a meeting, rebuilt from its passages."""
        got = self._store._passages.get(
            where={"$and": [{"meeting_id": meeting_id}, {"version": version}]},
            include=["documents", "metadatas"],
        )
        passages = self._passages_from(got["ids"], got["documents"], got["metadatas"])
        return [turn for p in sorted(passages, key=lambda p: p.index) for turn in codec.passage_turns(p)]

    @wrap("searching")
    def nearest(
        self, vector: list[float], versions: list[str], n: int, team: str | None = None, every_version: bool = False
    ) -> list[codec.DenseHit]:
        """Nearest passages among the given meeting versions, by cosine similarity.

        `every_version` says the collection holds exactly these versions (no filter is then
        needed, which makes the query several times faster); results are still checked."""
        if not versions or n <= 0:
            return []
        wanted = set(versions)
        hits: list[codec.DenseHit] = []
        # a long version list is asked in slices the database accepts; the n nearest of all are
        # among the n nearest of each slice
        for some in [versions] if every_version else limits.slices(versions):
            conditions: list[dict[str, Any]] = [] if every_version else [{"version": {"$in": some}}]
            if team:
                conditions.append({codec.team_flag(team): True})
            where = None if not conditions else conditions[0] if len(conditions) == 1 else {"$and": conditions}
            result = self._store._passages.query(
                query_embeddings=[vector], n_results=n, where=where, include=["distances", "metadatas"]
            )
            hits += [
                codec.DenseHit(pid, meta["version"], int(meta["index"]), 1.0 - dist)
                for pid, meta, dist in zip(result["ids"][0], result["metadatas"][0], result["distances"][0])
                if meta["version"] in wanted
            ]
        return hits if len(versions) <= limits.IN_LIMIT else sorted(hits, key=lambda h: -h.similarity)[:n]

    def nearest_dated(
        self, vector: list[float], after: str, until: str, excluding: list[str], n: int
    ) -> list[codec.DenseHit]:
        """Nearest passages (of any stored version) of the meetings dated after `after` up to
        `until`, except the meetings `excluding`: a filter on dates rather than a list of every
        version, so its cost and size do not grow with the store."""
        return self.nearest_dated_many([vector], after, until, excluding, n)[0]

    @wrap("searching")
    def nearest_dated_many(
        self, vectors: list[list[float]], after: str, until: str, excluding: list[str], n: int
    ) -> list[list[codec.DenseHit]]:
        """`nearest_dated` for several vectors with the same filter, in one query."""
        if n <= 0 or after >= until or not vectors:
            return [[] for _ in vectors]
        conditions: list[dict[str, Any]] = [
            {"date_ord": {"$gt": codec.date_ordinal(after)}},
            {"date_ord": {"$lte": codec.date_ordinal(until)}},
        ]
        many = len(excluding) > limits.IN_LIMIT  # then left out in Python, asking for as many more
        if excluding and not many:
            conditions.append({"meeting_id": {"$nin": excluding}})
        result = self._store._passages.query(
            query_embeddings=vectors,
            n_results=n + (len(excluding) if many else 0),
            where={"$and": conditions},
            include=["distances", "metadatas"],
        )
        skip = set(excluding) if many else set()
        return [
            [
                codec.DenseHit(pid, meta["version"], int(meta["index"]), 1.0 - dist)
                for pid, meta, dist in zip(ids, metas, dists)
                if meta["meeting_id"] not in skip
            ][:n]
            for ids, metas, dists in zip(result["ids"], result["metadatas"], result["distances"])
        ]

    @wrap("reading passages")
    def passages_with_vectors(self, meeting_id: str, version: str) -> list[tuple[Passage, list[float]]]:
        """The passages of one version of a meeting with their vectors, in the meeting's order."""
        got = self._store._passages.get(
            where={"$and": [{"meeting_id": meeting_id}, {"version": version}]},
            include=["documents", "metadatas", "embeddings"],
        )
        vectors = {i: [float(x) for x in e] for i, e in zip(got["ids"], got["embeddings"])}
        rows = [(p, vectors[p.id]) for p in self._passages_from(got["ids"], got["documents"], got["metadatas"])]
        return sorted(rows, key=lambda row: row[0].index)

    @wrap("reading passages")
    def passages(self, ids: list[str]) -> dict[str, Passage]:
        """Stored passages by id (those still stored: a concurrent ingest may have removed some)."""
        if not ids:
            return {}
        found: dict[str, Passage] = {}
        for some in limits.slices(ids, self._store.batch):
            got = self._store._passages.get(ids=some, include=["documents", "metadatas"])
            found.update({p.id: p for p in self._passages_from(got["ids"], got["documents"], got["metadatas"])})
        return found

    @wrap("reading embeddings")
    def similarities(self, vector: list[float], ids: list[str]) -> dict[str, float]:
        """Cosine similarity of a (unit) vector to stored passages, by id."""
        if not ids:
            return {}
        found: dict[str, float] = {}
        for some in limits.slices(ids, self._store.batch):
            got = self._store._passages.get(ids=some, include=["embeddings"])
            found.update(
                {i: float(sum(a * b for a, b in zip(vector, e))) for i, e in zip(got["ids"], got["embeddings"])}
            )
        return found

    # --- the write protocol -------------------------------------------------------------------

    def write_version(
        self,
        record: MeetingRecord,
        passages: list[Passage],
        vectors: list[list[float]],
        postings: str,
        title_vector: list[float],
        owner: str | None = None,
    ) -> None:
        """Write a meeting's new version, commit it, then drop the old one. `owner`: the writer
        that claimed the version already (its pending write is marked), else a new one."""
        # Recorded before writing, so a later run can remove what an interruption leaves behind.
        # One turn of the data lock for the whole meeting: searches wait for one meeting at most.
        meeting_id, version = record.meeting_id, record.version
        owner = owner or owner_id()
        try:
            with self._store.changing():
                self.mark_pending(meeting_id, version, owner)
                self.write_texts(record, passages, postings)
                self.write_passages(passages, vectors, record)
                self.commit(record, title_vector)
                # Old versions go, unless another process committed another one meanwhile (its
                # clean-up decides) or is writing one now (a server with several writers).
                if self.version_of(meeting_id) == version:
                    self._remove_old_versions(meeting_id, version, owner)
                self.unmark_pending(meeting_id, version, owner)
        finally:
            release_owner(owner)  # an abandoned write is left to the clean-up

    def finish_interrupted(self) -> None:
        """Remove what an ingest that died (killed, crashed, lost its server) wrote but never
        committed: the passages of a version no meeting record names."""
        for entry in self.pending_writes():
            if self._alive(entry):
                continue
            if self.version_of(entry.meeting_id) != entry.version:
                self.remove_version(entry.meeting_id, entry.version)
            else:  # it died after its commit: its old versions are left to remove
                self._remove_old_versions(entry.meeting_id, entry.version, entry.owner)
            self.drop_pending(entry)

    def _remove_old_versions(self, meeting_id: str, version: str, owner: str) -> None:
        """The passages and insights of a meeting's versions before `version`, unless another
        live process is writing one (a server with several writers)."""
        writing = tuple(
            e.version
            for e in self.pending_writes()
            if e.meeting_id == meeting_id and e.owner != owner and self._alive(e)
        )
        self.remove_stale_passages(meeting_id, version, also_keep=writing)
        self._store.insights.remove_stale(meeting_id, None)

    def _alive(self, entry: PendingWrite) -> bool:
        """Whether the process that recorded a pending write may still be writing it. On an
        embedded store this process is the only writer; on a server, a process on this host is
        asked, and one elsewhere is trusted for PENDING_LEASE."""
        if not self._store.server:
            return False
        alive = owner_alive(entry.owner)
        if alive is None:
            started = dt.datetime.fromisoformat(entry.started)
            return dt.datetime.now(dt.UTC) - started < PENDING_LEASE
        return alive

    # Pending writes: a meeting version being written, recorded before its first passage and
    # removed after its old version is gone, with the process that writes it. A later process
    # removes what a dead one left (the passages of a version no record names).

    @wrap("recording a pending write", writes=True)
    def mark_pending(self, meeting_id: str, version: str, owner: str) -> None:
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        self._store._config.upsert(
            ids=[pending_id(meeting_id, version, owner)],
            embeddings=[[1.0]],
            documents=[owner],
            metadatas=[
                {"key": "pending", "meeting_id": meeting_id, "version": version, "owner": owner, "started": started}
            ],
        )

    @wrap("clearing a pending write", writes=True)
    def unmark_pending(self, meeting_id: str, version: str, owner: str) -> None:
        self._store._config.delete(ids=[pending_id(meeting_id, version, owner)])

    @wrap("clearing a pending write", writes=True)
    def drop_pending(self, entry: PendingWrite) -> None:
        """Delete a pending write as read (of any writer, in either form of record)."""
        self._store._config.delete(ids=[entry.id or pending_id(entry.meeting_id, entry.version, entry.owner)])

    @wrap("reading pending writes")
    def pending_writes(self) -> list[PendingWrite]:
        got = self._store._config.get(where={"key": "pending"}, include=["metadatas"])
        return [
            PendingWrite(m["meeting_id"], m["version"], m["owner"], m["started"], i)
            for i, m in zip(got["ids"], got["metadatas"])
        ]

    @wrap("removing an unfinished version", writes=True)
    def remove_version(self, meeting_id: str, version: str) -> int:
        """Delete the passages of one version of a meeting, and its texts and postings."""
        where = {"$and": [{"meeting_id": meeting_id}, {"version": version}]}
        removed = self._store.delete_where(self._store._passages, where)
        self._remove_texts(meeting_id, {"version": version})
        return removed

    def _remove_texts(self, meeting_id: str, versions: dict[str, Any] | None) -> None:
        """Delete a meeting's texts and postings records (of the versions the filter `versions`
        matches; all if None)."""
        kinds: dict[str, Any] = {"key": {"$in": [TEXTS, POSTINGS]}}
        conditions = [kinds, {"meeting_id": meeting_id}, *([versions] if versions else [])]
        self._store.delete_where(self._store._config, {"$and": conditions})

    @wrap("writing a meeting's texts", writes=True)
    def write_texts(self, record: MeetingRecord, passages: list[Passage], postings: str) -> None:
        """Write a meeting version's passage texts and lexical postings, packed (see codec.pack).
        Like its passages, they stay invisible until `commit`."""
        meeting_id, version = record.meeting_id, record.version
        groups: dict[str, list[Passage]] = {}
        for passage in passages:
            groups.setdefault(texts_record_id(meeting_id, version, passage.index), []).append(passage)
        values = {key: (TEXTS, codec.texts_value(group)) for key, group in groups.items()}
        values[version_record_id(POSTINGS, meeting_id, version)] = (POSTINGS, postings)
        records = [
            (key, {"key": kind, "meeting_id": meeting_id, "version": version, **codec.pack(value)})
            for key, (kind, value) in values.items()
        ]
        for some in limits.slices(records, self._store.batch):
            self._store._config.upsert(
                ids=[key for key, _ in some], embeddings=[[1.0]] * len(some), metadatas=[m for _, m in some]
            )

    @wrap("writing passages", writes=True)
    def write_passages(self, passages: list[Passage], vectors: list[list[float]], record: MeetingRecord) -> None:
        """Write a meeting version's passages (no document: `write_texts` keeps their texts). They
        stay invisible until `commit`."""
        date_ord = codec.date_ordinal(record.date)
        batch_size = self._store.batch
        for start in range(0, len(passages), batch_size):
            batch = passages[start : start + batch_size]
            self._store._passages.upsert(
                ids=[p.id for p in batch],
                embeddings=vectors[start : start + batch_size],
                metadatas=[codec.passage_metadata(p, date_ord) for p in batch],
            )

    @wrap("committing a meeting", writes=True)
    def commit(self, record: MeetingRecord, title_vector: list[float]) -> None:
        """Make a written version visible: one upsert of the meeting's record (its document is
        emptied: a store written before kept the postings there)."""
        self._store._meetings.upsert(
            ids=[record.meeting_id],
            embeddings=[title_vector],
            documents=[""],
            metadatas=[codec.record_metadata(record)],
        )
        self._changed(record)

    @wrap("committing an extraction", writes=True)
    def update_record(self, record: MeetingRecord) -> None:
        """Replace a meeting's record (its extraction run and counts), keeping its postings and
        vector; the version it names must still be the stored one."""
        got = self._store._meetings.get(ids=[record.meeting_id], include=["documents", "embeddings", "metadatas"])
        if not got["ids"] or got["metadatas"][0].get("version") != record.version:
            raise StoreError(f"meeting {record.meeting_id} changed or was removed while it was being extracted")
        self._store._meetings.upsert(
            ids=[record.meeting_id],
            embeddings=[list(got["embeddings"][0])],
            documents=[got["documents"][0]],
            metadatas=[codec.record_metadata(record)],
        )
        self._changed(record)

    @wrap("removing old passages", writes=True)
    def remove_stale_passages(self, meeting_id: str, keep_version: str | None, also_keep: tuple[str, ...] = ()) -> int:
        """Delete passages of a meeting that belong to any version but `keep_version` (and
        `also_keep`: versions other processes are writing now)."""
        keep = [keep_version, *also_keep] if keep_version is not None else None
        self._remove_texts(meeting_id, {"version": {"$nin": keep}} if keep else None)
        return self._store.delete_all_but(self._store._passages, meeting_id, "version", keep)

    @wrap("removing a meeting", writes=True)
    def forget(self, meeting_id: str) -> int:
        """Remove a meeting: its record first (it disappears at once), then its insights and
        passages. Returns how many passages were removed."""
        self._store._meetings.delete(ids=[meeting_id])
        self._changed(removed=meeting_id)
        self._store.insights.remove_stale(meeting_id, None)
        self._store.insights.drop_kept_vectors()
        return self.remove_stale_passages(meeting_id, None)
