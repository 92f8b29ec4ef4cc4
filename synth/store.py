"""The only module that talks to Chroma.

Collections:
- passages: one record per passage of a meeting version (document = text, flat metadata);
- meetings: one record per stored meeting; its upsert is the commit that makes a version
  visible (document = the version's lexical postings, metadata = the meeting);
- insights: one record per insight of an extraction run (document = statement); a run is
  visible when the meeting record names it (`extraction_run`), so a new run is written in
  full, then committed by updating the meeting record, then the old runs are removed;
- cache: model replies per transcript window or checked pair, keyed by prompt version, model and text;
- vision: the statements of the current vision version (document = text); the versions
  themselves (their text and when they were set) are settings, and the versions setting is the
  commit that makes a new version current;
- flags: what `synth check` found, with the status a person gave it (no vector);
- config: small settings of the store (the roster, what each server accepted) and the pending
  writes (a meeting version being written, by which host and process).

A new version of a meeting is written in full before its meeting record points at it, and the
old version's passages are removed after; searches only see versions that a meeting record
names, so an interruption at any moment leaves exactly one complete version visible. The
pending-write record lets a later ingest remove what a dead one left; on a Chroma server, where
several processes write at once, a version another live process is writing is never removed.

The store is a folder (PersistentClient; processes take turns through locking.py) or a Chroma
server (HttpClient, with a token sent as auth headers).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from .errors import ConfigError, NoStoreError, StoreError, StoreVersionError
from .models import Insight, MeetingRecord, Passage, SearchHit, Turn
from .redact import public_url, without_secrets
from .teams import FUNCTIONS, team_flag

SCHEMA = 2
PASSAGES = "synth_passages"
MEETINGS = "synth_meetings"
CONFIG = "synth_config"
INSIGHTS = "synth_insights"
CACHE = "synth_cache"
VISION = "synth_vision"
FLAGS = "synth_flags"
LAZY = {INSIGHTS: True, CACHE: False, VISION: True, FLAGS: False}  # name: has vectors worth an index
ALL = {PASSAGES, MEETINGS, CONFIG, *LAZY}


def _chroma():
    """chromadb, imported without the checks of the `overrides` package.

    Chroma marks a few hundred methods with `@override`; at class creation that decorator finds
    the base classes by disassembling the caller's bytecode and compares signatures. The check
    is about Chroma's own code and changes nothing it does, yet it is 0.15 s of every command's
    start (a quarter of `import chromadb` and opening a store). So the decorator only marks the
    method, as it would after its checks, which `EnforceOverrides` classes still require."""
    if "chromadb" not in sys.modules:
        try:
            import overrides.overrides
        except ImportError:  # a Chroma that no longer uses it
            pass
        else:
            overrides.overrides._overrides = _mark_override
    import chromadb

    return chromadb


def _mark_override(method, check_signature, check_at_runtime):
    method.__override__ = True
    return method


def _wrap(action: str, writes: bool = False):
    """Turn Chroma's exceptions into a StoreError that says what failed; `writes` marks a
    method that changes the store (on an embedded store, it runs with no reader inside)."""

    def decorator(function):
        @functools.wraps(function)
        def wrapped(self, *args, **kwargs):
            for attempt in range(READ_RETRIES + 1):
                try:
                    if writes:
                        with self.changing():
                            return function(self, *args, **kwargs)
                    return function(self, *args, **kwargs)
                except (StoreError, KeyboardInterrupt):
                    raise
                except Exception as exc:
                    if not writes and attempt < READ_RETRIES and self._reopen_after(exc, attempt):
                        continue
                    raise StoreError(f"{action} failed in the store at {self.location}: {self._explain(exc)}") from exc

        return wrapped

    return decorator


def forget_client(location: str) -> None:
    """Drop Chroma's cached client of a store folder, so the next open reads what other
    processes wrote since."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(location, None)
    SharedSystemClient._identifier_to_refcount.pop(location, None)


READ_RETRIES = 4
# What Chroma says when a process reads a folder's index files while they are being rewritten.
_TRANSIENT = ("error finding id", "error creating hnsw segment reader", "nothing found on disk")


def _http_client(url: str, token: str | None):
    """A client of the Chroma server at `url`; the token goes in the headers Chroma's own token
    auth and a reverse proxy in front of the server read."""
    from urllib.parse import urlsplit

    shown = public_url(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"SYNTH_CHROMA_URL / --chroma-url {shown!r} is not a URL like http://HOST:8000")
    if parts.path not in ("", "/"):
        raise ConfigError(f"--chroma-url {shown!r}: give the server's address only (no path)")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 8000)
    except ValueError:
        raise ConfigError(f"--chroma-url {shown!r} has a port that is not a number") from None
    headers = {"Authorization": f"Bearer {token}", "X-Chroma-Token": token} if token else None
    chromadb = _chroma()
    try:
        return chromadb.HttpClient(
            host=parts.hostname,
            port=port,
            ssl=parts.scheme == "https",
            headers=headers,
            settings=chromadb.Settings(anonymized_telemetry=False, allow_reset=False),
        )
    except Exception as exc:
        raise StoreError(f"cannot use the Chroma server at {shown}: {_explain(exc, (token,))}") from None


def _explain(exc: Exception, secrets: tuple = ()) -> str:
    """What went wrong, in words a person can act on, with no secret in it."""
    text = str(exc) or type(exc).__name__
    name = type(exc).__name__
    lowered = text.lower()
    if (
        name
        in (
            "ConnectError",
            "ConnectTimeout",
            "ReadTimeout",
            "RemoteProtocolError",
            "ReadError",
            "WriteError",
            "PoolTimeout",
        )
        or "connection refused" in lowered
        or "could not connect" in lowered
    ):
        text = (
            f"the Chroma server does not answer ({name}: {text}). Is it running? Start one with "
            "`chroma run --path DIR --host 127.0.0.1 --port 8000`; synth keeps nothing half-stored, so run "
            "the command again once it is back"
        )
    elif any(code in lowered for code in ("401", "403", "unauthorized", "forbidden")):
        text = f"the Chroma server refused the request ({text}); check SYNTH_CHROMA_TOKEN"
    return without_secrets(text, secrets)


class Store:
    """A synth store: Chroma on disk (PersistentClient), or a Chroma server (HttpClient).

    On disk, the caller holds the locks (see locking.py and Synth's sessions): the data lock
    shared to read, or the writer lock, with which each write takes the data lock exclusively."""

    def __init__(
        self,
        path: str | Path,
        embedder_name: str,
        load_embedder,
        create: bool = True,
        url: str | None = None,
        token: str | None = None,
        locks=None,
    ):
        """`load_embedder` returns synth's Embedder; it is called only if Chroma needs to embed."""
        self.embedder_name = embedder_name
        self._load_embedder = load_embedder
        self._locks = locks
        self._secrets = (token,)
        self.server = url is not None
        self.location = public_url(url) if url is not None else str(path)
        self._client = _http_client(url, token) if url is not None else self._persistent_client(Path(path), create)
        self._open_collections(create)

    def _persistent_client(self, path: Path, create: bool):
        if not create and not path.exists():
            raise NoStoreError(f"no store at {path}: ingest something first (synth ingest PATH)")
        try:
            path.mkdir(parents=True, exist_ok=True)
            os.chmod(path, 0o700)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {path}: {exc.strerror}") from None
        _check_database(path)
        chromadb = _chroma()
        try:
            return chromadb.PersistentClient(
                path=str(path), settings=chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
            )
        except Exception as exc:
            damage = diagnose(path, exc)
            if damage:
                raise StoreError(damage) from None
            raise StoreError(
                f"cannot open the store at {path}: {exc}. If it was written by another version of "
                "synth or Chroma, move it aside and ingest again (synth --store NEW_PATH ingest ...)"
            ) from None

    @property
    def writer(self) -> bool:
        """Whether this process may write: a server, or the writer lock of the folder."""
        return self.server or self._locks is None or self._locks.writing

    def changing(self):
        """The context of a write: on an embedded store, no reader is inside."""
        if self._locks is None or self.server:
            return contextlib.nullcontext()
        if self._locks.writing:
            return self._locks.exclusive()
        if self._locks.reading:
            raise StoreError(
                f"synth opened the store at {self.location} for reading and then tried to write "
                "to it; this is a bug in synth"
            )
        return self._locks.one_write()  # outside any command (the library used directly)

    def _reopen_after(self, exc: Exception, attempt: int) -> bool:
        """A folder read that met index files in the middle of a rewrite (by a Chroma flush that
        outlives a write's lock): open the folder again and retry. True if it was reopened."""
        if self.server or not any(w in str(exc).lower() for w in _TRANSIENT):
            return False
        time.sleep(0.05 * 2**attempt)
        forget_client(self.location)
        self._client = self._persistent_client(Path(self.location), create=False)
        self._open_collections(False)
        return True

    def _explain(self, exc: Exception) -> str:
        if not self.server:
            damage = diagnose(Path(self.location), exc)
            if damage:
                return damage
        return _explain(exc, self._secrets)

    @_wrap("opening the collections")
    def _open_collections(self, create: bool) -> None:
        meta = {"synth_schema": SCHEMA, "embedding": self.embedder_name}
        existing = {c if isinstance(c, str) else c.name for c in self._client.list_collections()}
        if PASSAGES in existing:
            passages = self._client.get_collection(PASSAGES)
            found = passages.metadata or {}
            if found.get("synth_schema") != SCHEMA:
                raise StoreVersionError(
                    f"the store at {self.location} was written by a synth with store schema "
                    f"{found.get('synth_schema', 'unknown')}; this synth reads schema {SCHEMA}. "
                    "Ingest your files again into a new store (--store NEW_PATH)."
                )
            if found.get("embedding") != self.embedder_name:
                raise StoreVersionError(
                    f"the store at {self.location} was built with the embedding model "
                    f"{found.get('embedding')!r}, not {self.embedder_name!r}; use the same "
                    "SYNTH_EMBEDDINGS setting or ingest into a new store (--store NEW_PATH)."
                )
        elif self.server and not create:
            raise NoStoreError(
                f"the Chroma server at {self.location} holds no synth store yet: "
                "ingest something first (synth ingest PATH)"
            )
        config = {"hnsw": {"space": "cosine"}}
        function = _embedding_function(self.embedder_name, self._load_embedder)
        self._lazy = {}
        self._lazy_args = (meta, config, function)
        self._batch = max(1, min(1000, self._client.get_max_batch_size()))
        if not self.writer:
            create = False  # an embedded store is created by a writer only
        if create and not existing.issuperset(ALL):
            # every collection at once, so that readers never have to create one
            with self.changing():
                self._open_main(meta, config, function)
                for name in LAZY:
                    self._collection(name)
        else:
            writing = self._locks is not None and self._locks.writing
            with self.changing() if writing else contextlib.nullcontext():  # no reader meets the writer opening
                self._open_main(meta, config, function)

    def _open_main(self, meta: dict, config: dict, function) -> None:
        self._passages = self._client.get_or_create_collection(
            PASSAGES, metadata=meta, configuration=config, embedding_function=function
        )
        self._meetings = self._client.get_or_create_collection(
            MEETINGS, metadata=meta, configuration=config, embedding_function=function
        )
        self._config = self._client.get_or_create_collection(CONFIG, metadata=meta, embedding_function=function)

    @property
    def _insights(self):
        return self._collection(INSIGHTS)

    @property
    def _cache(self):
        return self._collection(CACHE)

    @property
    def _vision(self):
        return self._collection(VISION)

    @property
    def _flags(self):
        return self._collection(FLAGS)

    def _collection(self, name: str):
        """Collections a search never needs are opened the first time they are used."""
        if name not in self._lazy:
            meta, config, function = self._lazy_args
            extra = {"configuration": config} if LAZY[name] else {}
            self._lazy[name] = self._client.get_or_create_collection(
                name, metadata=meta, embedding_function=function, **extra
            )
        return self._lazy[name]

    # --- meetings -----------------------------------------------------------------------------

    @_wrap("reading the meetings")
    def meetings(self, with_postings: bool = False) -> list[tuple[MeetingRecord, str | None]]:
        """Every stored meeting, oldest first, and (if asked) its lexical postings."""
        include = ["metadatas", "documents"] if with_postings else ["metadatas"]
        got = self._meetings.get(include=include)
        documents = got.get("documents") or [None] * len(got["ids"])
        rows = [(_record_from_metadata(m), d) for m, d in zip(got["metadatas"], documents)]
        return sorted(rows, key=lambda row: (row[0].date, row[0].title))

    def meeting_records(self) -> list[MeetingRecord]:
        return [record for record, _ in self.meetings()]

    @_wrap("reading postings")
    def postings(self, meeting_ids: list[str]) -> dict[str, str]:
        """Lexical postings by version for the given meetings."""
        if not meeting_ids:
            return {}
        got = self._meetings.get(ids=meeting_ids, include=["metadatas", "documents"])
        return {m["version"]: d for m, d in zip(got["metadatas"], got["documents"])}

    @_wrap("reading a meeting")
    def meeting_version(self, meeting_id: str) -> str | None:
        """The version a meeting's record names now (None if it is not stored)."""
        got = self._meetings.get(ids=[meeting_id], include=["metadatas"])
        return got["metadatas"][0].get("version") if got["ids"] else None

    # Pending writes: a meeting version being written, recorded before its first passage and
    # removed after its old version is gone, with the process that writes it. A later process
    # removes what a dead one left (the passages of a version no record names).

    @_wrap("recording a pending write", writes=True)
    def mark_pending(self, meeting_id: str, version: str, owner: str) -> None:
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        self._config.upsert(
            ids=[f"pending:{meeting_id}:{version}"],
            embeddings=[[1.0]],
            documents=[owner],
            metadatas=[
                {"key": "pending", "meeting_id": meeting_id, "version": version, "owner": owner, "started": started}
            ],
        )

    @_wrap("clearing a pending write", writes=True)
    def unmark_pending(self, meeting_id: str, version: str) -> None:
        self._config.delete(ids=[f"pending:{meeting_id}:{version}"])

    @_wrap("reading pending writes")
    def pending_writes(self) -> list[dict]:
        return [dict(m) for m in self._config.get(where={"key": "pending"}, include=["metadatas"])["metadatas"]]

    @_wrap("removing an unfinished version", writes=True)
    def remove_version(self, meeting_id: str, version: str) -> int:
        """Delete the passages of one version of a meeting."""
        return self._delete_where(self._passages, {"$and": [{"meeting_id": meeting_id}, {"version": version}]})

    @_wrap("writing passages", writes=True)
    def write_passages(self, passages: list[Passage], embeddings: list[list[float]], record: MeetingRecord) -> None:
        """Write a meeting version's passages. They stay invisible until `commit_meeting`."""
        date_ord = _date_ordinal(record.date)
        for start in range(0, len(passages), self._batch):
            batch = passages[start : start + self._batch]
            self._passages.upsert(
                ids=[p.id for p in batch],
                embeddings=embeddings[start : start + self._batch],
                documents=[p.text for p in batch],
                metadatas=[_passage_metadata(p, date_ord) for p in batch],
            )

    @_wrap("committing a meeting", writes=True)
    def commit_meeting(self, record: MeetingRecord, postings: str, title_embedding: list[float]) -> None:
        """Make a written version visible: one upsert of the meeting's record."""
        self._meetings.upsert(
            ids=[record.meeting_id],
            embeddings=[title_embedding],
            documents=[postings],
            metadatas=[_record_metadata(record)],
        )

    @_wrap("removing old passages", writes=True)
    def remove_stale_passages(self, meeting_id: str, keep_version: str | None, also_keep: tuple = ()) -> int:
        """Delete passages of a meeting that belong to any version but `keep_version` (and
        `also_keep`: versions other processes are writing now)."""
        keep = [keep_version, *also_keep] if keep_version is not None else None
        return self._delete_all_but(self._passages, meeting_id, "version", keep)

    @_wrap("removing a meeting", writes=True)
    def forget(self, meeting_id: str) -> int:
        """Remove a meeting: its record first (it disappears at once), then its passages."""
        self._meetings.delete(ids=[meeting_id])
        self.remove_stale_insights(meeting_id, None)
        return self.remove_stale_passages(meeting_id, None)

    # --- passages -----------------------------------------------------------------------------

    @_wrap("searching")
    def query_passages(
        self, embedding: list[float], versions: list[str], n: int, team: str | None = None, every_version: bool = False
    ) -> list[tuple[str, str, float]]:
        """Nearest passages among the given meeting versions: (id, version, cosine similarity).

        `every_version` says the collection holds exactly these versions (no filter is then
        needed, which makes the query several times faster); results are still checked."""
        if not versions or n <= 0:
            return []
        conditions: list[dict] = [] if every_version else [{"version": {"$in": versions}}]
        if team:
            conditions.append({team_flag(team): True})
        where = None if not conditions else conditions[0] if len(conditions) == 1 else {"$and": conditions}
        result = self._passages.query(
            query_embeddings=[embedding], n_results=n, where=where, include=["distances", "metadatas"]
        )
        wanted = set(versions)
        return [
            (pid, meta["version"], 1.0 - dist)
            for pid, meta, dist in zip(result["ids"][0], result["metadatas"][0], result["distances"][0])
            if meta["version"] in wanted
        ]

    @_wrap("reading passages")
    def get_passages(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        """Passage text and metadata by id."""
        if not ids:
            return {}
        got = self._passages.get(ids=ids, include=["documents", "metadatas"])
        return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    @_wrap("reading embeddings")
    def similarities(self, vector: list[float], ids: list[str]) -> dict[str, float]:
        """Cosine similarity of a (unit) vector to stored passages, by id."""
        if not ids:
            return {}
        got = self._passages.get(ids=ids, include=["embeddings"])
        return {i: float(sum(a * b for a, b in zip(vector, e))) for i, e in zip(got["ids"], got["embeddings"])}

    @_wrap("counting")
    def count_passages(self) -> int:
        return self._passages.count()

    @_wrap("reading a meeting's turns")
    def meeting_turns(self, meeting_id: str, version: str) -> list[Turn]:
        """The turns of a stored meeting version, rebuilt from its passages."""
        got = self._passages.get(
            where={"$and": [{"meeting_id": meeting_id}, {"version": version}]}, include=["documents", "metadatas"]
        )
        rows = sorted(zip(got["documents"], got["metadatas"]), key=lambda row: row[1]["index"])
        turns: list[Turn] = []
        for text, meta in rows:
            spans = json.loads(meta.get("turns", "[]"))
            for line, (start, end, speaker) in zip(text.split("\n"), spans):
                body = line[len(speaker) + 2 :] if speaker and line.startswith(f"{speaker}: ") else line
                turns.append(Turn(speaker=speaker, text=body, start_line=start, end_line=end))
        return turns

    # --- insights -----------------------------------------------------------------------------

    @_wrap("writing insights", writes=True)
    def write_insights(self, insights: list[Insight], vectors: list[list[float]], run: str, version: str) -> None:
        """Write an extraction run's insights. They stay invisible until `commit_extraction`."""
        for start in range(0, len(insights), self._batch):
            batch = insights[start : start + self._batch]
            self._insights.upsert(
                ids=[f"{run}:{i.id}" for i in batch],
                embeddings=vectors[start : start + self._batch],
                documents=[i.statement for i in batch],
                metadatas=[_insight_metadata(i, run, version) for i in batch],
            )

    @_wrap("committing an extraction", writes=True)
    def commit_extraction(self, record: MeetingRecord) -> None:
        """Point the meeting at its extraction run (and record its counts): one upsert of its
        record, which keeps its postings and vector."""
        got = self._meetings.get(ids=[record.meeting_id], include=["documents", "embeddings", "metadatas"])
        if not got["ids"] or got["metadatas"][0].get("version") != record.version:
            raise StoreError(f"meeting {record.meeting_id} changed or was removed while it was being extracted")
        self._meetings.upsert(
            ids=[record.meeting_id],
            embeddings=[list(got["embeddings"][0])],
            documents=[got["documents"][0]],
            metadatas=[_record_metadata(record)],
        )

    @_wrap("removing old insights", writes=True)
    def remove_stale_insights(self, meeting_id: str, keep_run: str | None) -> int:
        """Delete insights of a meeting that belong to any extraction run but `keep_run`."""
        return self._delete_all_but(self._insights, meeting_id, "run", None if keep_run is None else [keep_run])

    def _delete_all_but(self, collection, meeting_id: str, field: str, keep: list[str] | None) -> int:
        """Delete a meeting's records in `collection` whose `field` is not in `keep` (all if None)."""
        where: dict[str, Any] = {"meeting_id": meeting_id}
        if keep is not None:
            where = {"$and": [where, {field: {"$nin": keep}}]}
        return self._delete_where(collection, where)

    def _delete_where(self, collection, where: dict) -> int:
        """Delete the records of `collection` that match `where`; how many there were."""
        stale = collection.get(where=where, include=[])["ids"]
        self._delete_ids(collection, stale)
        return len(stale)

    def _delete_ids(self, collection, ids: list[str]) -> None:
        for start in range(0, len(ids), self._batch):
            collection.delete(ids=ids[start : start + self._batch])

    @_wrap("reading insights")
    def insights(
        self, runs: list[str], kind: str | None = None, team: str | None = None, meeting_ids: list[str] | None = None
    ) -> list[Insight]:
        """The insights of the given (visible) runs, with optional filters."""
        if not runs:
            return []
        conditions: list[dict] = [{"run": {"$in": runs}}]
        if kind:
            conditions.append({"kind": kind})
        if team:
            conditions.append({"team": team})
        if meeting_ids is not None:
            conditions.append({"meeting_id": {"$in": meeting_ids or ["-"]}})
        where = conditions[0] if len(conditions) == 1 else {"$and": conditions}
        got = self._insights.get(where=where, include=["metadatas"])
        return [_insight_from_metadata(m) for m in got["metadatas"]]

    @_wrap("reading insight vectors")
    def insight_vectors(self, runs: list[str]) -> list[tuple[Insight, str, list[float]]]:
        """Every insight of the given runs with its run and statement vector."""
        if not runs:
            return []
        got = self._insights.get(where={"run": {"$in": runs}}, include=["metadatas", "embeddings"])
        return [(_insight_from_metadata(m), m["run"], list(e)) for m, e in zip(got["metadatas"], got["embeddings"])]

    # --- vision -------------------------------------------------------------------------------

    @_wrap("writing the vision", writes=True)
    def write_vision_statements(self, statements: list, vectors: list[list[float]]) -> None:
        """Write a vision version's statements; they count once the versions setting names it."""
        for start in range(0, len(statements), self._batch):
            batch = statements[start : start + self._batch]
            self._vision.upsert(
                ids=[f"{s.version}:{s.id}:{s.start_line}" for s in batch],
                embeddings=vectors[start : start + self._batch],
                documents=[s.text for s in batch],
                metadatas=[{k: v for k, v in s.model_dump().items() if v is not None} for s in batch],
            )

    @_wrap("reading the vision")
    def vision_statements(self, version: str) -> tuple[list[dict], list[list[float]]]:
        """The stored statements of a vision version (as dicts) and their vectors, in order."""
        got = self._vision.get(where={"version": version}, include=["metadatas", "embeddings"])
        rows = sorted(zip(got["metadatas"], got["embeddings"]), key=lambda row: row[0]["start_line"])
        return [dict(m) for m, _ in rows], [list(e) for _, e in rows]

    @_wrap("removing old vision statements", writes=True)
    def remove_other_vision_versions(self, keep: str) -> int:
        return self._delete_where(self._vision, {"version": {"$ne": keep}})

    # --- flags --------------------------------------------------------------------------------

    @_wrap("reading flags")
    def flags(self) -> list[dict]:
        got = self._flags.get(include=["documents"])
        return [json.loads(d) for d in got["documents"]]

    @_wrap("writing flags", writes=True)
    def put_flags(self, flags: list[dict]) -> None:
        for start in range(0, len(flags), self._batch):
            batch = flags[start : start + self._batch]
            self._flags.upsert(
                ids=[f["id"] for f in batch],
                embeddings=[[1.0]] * len(batch),
                documents=[json.dumps(f) for f in batch],
                metadatas=[{"type": f["type"], "status": f["status"]} for f in batch],
            )

    @_wrap("removing flags", writes=True)
    def delete_flags(self, ids: list[str]) -> None:
        self._delete_ids(self._flags, ids)

    # --- cache --------------------------------------------------------------------------------

    @_wrap("reading the model cache")
    def cache_get(self, keys: list[str]) -> dict[str, str]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for start in range(0, len(keys), self._batch):
            got = self._cache.get(ids=keys[start : start + self._batch], include=["documents"])
            found.update(zip(got["ids"], got["documents"]))
        return found

    @_wrap("writing the model cache", writes=True)
    def cache_put(self, key: str, value: str, kind: str = "extraction") -> None:
        self._cache.upsert(ids=[key], embeddings=[[1.0]], documents=[value], metadatas=[{"kind": kind}])

    # --- config -------------------------------------------------------------------------------

    @_wrap("reading a setting")
    def get_setting(self, key: str) -> Any:
        got = self._config.get(ids=[key], include=["documents"])
        return json.loads(got["documents"][0]) if got["ids"] else None

    @_wrap("writing a setting", writes=True)
    def set_setting(self, key: str, value: Any) -> None:
        self._config.upsert(ids=[key], embeddings=[[1.0]], documents=[json.dumps(value)], metadatas=[{"key": key}])


DATABASE = "chroma.sqlite3"
_SQLITE_HEADER = b"SQLite format 3\x00"
_DAMAGE_WORDS = (
    "malformed",
    "not a database",
    "disk image",
    "database corrupt",
    "nothing found on disk",
    "error creating hnsw segment reader",
)


def diagnose(folder: Path, exc: Exception | None = None) -> str | None:
    """Why the store folder looks damaged, with what to do, or None. Reads only; called before
    Chroma opens the folder (which would write to a damaged database) and after an error."""
    database = folder / DATABASE
    segments = [p for p in folder.iterdir() if p.is_dir() and len(p.name) == 36] if folder.is_dir() else []
    problem = None
    try:
        size = database.stat().st_size if database.exists() else None
        if size is None:
            problem = f"its database file {DATABASE} is missing" if segments else None
        elif size == 0:
            problem = f"its database file {DATABASE} is empty" if segments else None
        else:
            with open(database, "rb") as handle:
                header = handle.read(100)
            if not header.startswith(_SQLITE_HEADER):
                problem = f"{DATABASE} is not a SQLite database"
            elif len(header) == 100:
                page_size = int.from_bytes(header[16:18], "big")
                page_size = 65536 if page_size == 1 else page_size
                pages = int.from_bytes(header[28:32], "big")
                counter, valid_for = header[24:28], header[92:96]
                if counter == valid_for and pages and size < page_size * pages:
                    problem = f"{DATABASE} is truncated ({size} of {page_size * pages} bytes)"
            else:
                problem = f"{DATABASE} is truncated ({size} bytes)"
    except OSError as error:
        problem = f"{DATABASE} cannot be read ({error.strerror})"
    if problem is None and exc is not None and any(w in str(exc).lower() for w in _DAMAGE_WORDS):
        problem = f"Chroma reports: {exc}"
    if problem is None:
        return None
    return (
        f"the store at {folder} is damaged: {problem}. synth changed nothing in it. Restore the folder "
        f"from a backup, or move it aside and ingest your meetings again into a new store "
        f"(synth --store NEW_PATH ingest ...)"
    )


def _check_database(folder: Path) -> None:
    damage = diagnose(folder)
    if damage:
        raise StoreError(damage)


def _embedding_function(model_name: str, load_embedder):
    """synth's embedder in Chroma's interface, so Chroma never falls back to its own model
    (which it would try to download). synth passes vectors it computed itself; this is the
    guard for any path that would make Chroma embed."""
    from chromadb.api.types import EmbeddingFunction

    class SynthEmbeddingFunction(EmbeddingFunction):
        def __init__(self) -> None:
            self._embedder = None

        def __call__(self, input):  # noqa: A002 - Chroma's parameter name
            if self._embedder is None:
                self._embedder = load_embedder()
            return [list(v) for v in self._embedder.embed(list(input))]

        @staticmethod
        def name() -> str:
            return "synth"

        def get_config(self) -> dict:
            return {"model": model_name}

        @staticmethod
        def build_from_config(config: dict) -> SynthEmbeddingFunction:
            return SynthEmbeddingFunction()

        def default_space(self):
            return "cosine"

    return SynthEmbeddingFunction()


def hit_from_passage(text: str, metadata: dict, record: MeetingRecord, score: float) -> SearchHit:
    """A search result from a stored passage and its meeting."""
    return SearchHit(
        meeting_id=record.meeting_id,
        title=record.title,
        date=record.date,
        source=record.source,
        start_line=int(metadata["start_line"]),
        end_line=int(metadata["end_line"]),
        speakers=json.loads(metadata.get("speakers", "[]")),
        teams=json.loads(metadata.get("teams", "[]")),
        score=round(float(score), 4),
        text=text,
    )


_INSIGHT_FIELDS = set(Insight.model_fields)


def _insight_metadata(insight: Insight, run: str, version: str) -> dict:
    metadata: dict[str, Any] = {k: v for k, v in insight.model_dump().items() if v is not None}
    metadata.update(run=run, version=version, date_ord=_date_ordinal(insight.date))
    return metadata


def _insight_from_metadata(metadata: dict) -> Insight:
    return Insight(**{k: v for k, v in metadata.items() if k in _INSIGHT_FIELDS})


def _date_ordinal(date: str) -> int:
    return dt.date.fromisoformat(date).toordinal()


def _passage_metadata(passage: Passage, date_ord: int) -> dict:
    metadata: dict[str, Any] = {
        "meeting_id": passage.meeting_id,
        "version": passage.version,
        "index": passage.index,
        "start_line": passage.start_line,
        "end_line": passage.end_line,
        "date_ord": date_ord,
        "speakers": json.dumps(passage.speakers),
        "teams": json.dumps(passage.teams),
        "turns": json.dumps(passage.turns),
    }
    for team in passage.teams:
        if team in FUNCTIONS:
            metadata[team_flag(team)] = True
    return metadata


def _record_metadata(record: MeetingRecord) -> dict:
    data = record.model_dump()
    metadata: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, (list, dict)):
            metadata[key] = json.dumps(value)
        elif value is None:
            continue
        else:
            metadata[key] = value
    metadata["date_ord"] = _date_ordinal(record.date)
    return metadata


def _record_from_metadata(metadata: dict) -> MeetingRecord:
    data = dict(metadata)
    data.pop("date_ord", None)
    for key, empty in (("attendees", "[]"), ("speakers", "[]"), ("teams", "[]"), ("speaker_teams", "{}")):
        data[key] = json.loads(data.get(key, empty))
    return MeetingRecord(**data)
