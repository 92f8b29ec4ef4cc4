"""The Store: one synth store (a folder or a Chroma server), its collections and repositories.

See the package docstring (synth/store/__init__.py) for the collections and what each holds.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NoStoreError, NotAStoreError, StoreVersionError
from ..redact import public_url
from . import client
from .cache import ReplyCache
from .client import diagnose, forget_client, wrap
from .flags import FlagRepo
from .insights import InsightRepo
from .meetings import MeetingRepo
from .settings import SettingsRepo
from .vision import VisionRepo

if TYPE_CHECKING:
    from ..embeddings import Embedder
    from .locking import StoreLocks


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
# Chroma replays every write it has not yet flushed into a collection's vector index on each new
# write, and flushes after `sync_threshold` of them (1,000 by default): a write to the settings
# collection, whose records hold the digest and the check's state, read up to a thousand such
# records again (25 to 40 ms for one small write at 300 meetings, a dozen writes per ingest).
# The collections whose index is of one-number vectors (or of one title per meeting) flush
# sooner, which costs them nothing worth counting; passages and insights keep the default (their
# index is rewritten whole at each flush).
SYNC_THRESHOLD = {CONFIG: 10, FLAGS: 10, CACHE: 10, MEETINGS: 100}


class Store:
    """A synth store: Chroma on disk (PersistentClient), or a Chroma server (HttpClient).

    On disk, the caller holds the locks (see locking.py and Session): the data lock shared to
    read, or the writer lock, with which each write takes the data lock exclusively."""

    def __init__(
        self,
        path: str | Path,
        embedder_name: str,
        load_embedder: Callable[[], Embedder],
        create: bool = True,
        url: str | None = None,
        token: str | None = None,
        locks: StoreLocks | None = None,
    ):
        """`load_embedder` returns synth's Embedder; it is called only if Chroma needs to embed."""
        self.embedder_name = embedder_name
        self._load_embedder = load_embedder
        self._locks = locks
        self._secrets = (token,)
        self.server = url is not None
        self.location: str = (public_url(url) or "") if url is not None else str(path)
        self.meetings = MeetingRepo(self)
        self.insights = InsightRepo(self)
        self.vision = VisionRepo(self)
        self.flags = FlagRepo(self)
        self.cache = ReplyCache(self)
        self.settings = SettingsRepo(self)
        self._client = (
            client.http_client(url, token) if url is not None else self._persistent_client(Path(path), create)
        )
        self._open_collections(create)

    @property
    def _store(self) -> Store:  # what `wrap` uses, as on the repositories
        return self

    def _persistent_client(self, path: Path, create: bool) -> Any:
        """Chroma's client of the folder. Only a writer (`create`) makes a folder or a database;
        a reader finds a store there or says there is none, having changed nothing."""
        state = client.folder_state(path)
        if state == "file":
            raise client.not_a_store(path, state)
        if not create and state != "store":
            if state == "other":
                raise client.not_a_store(path, state)
            raise NoStoreError(f"no store at {path}: ingest something first (synth ingest PATH)")
        if not create and client.is_read_only(path):
            return client.persistent_client(client.readable_copy(path))  # a mounted backup, say
        client.make_folder(path)
        return client.persistent_client(path)

    @property
    def writer(self) -> bool:
        """Whether this process may write: a server, or the writer lock of the folder."""
        return self.server or self._locks is None or self._locks.writing

    def changing(self) -> contextlib.AbstractContextManager[None]:
        """The context of a write: on an embedded store, no reader is inside."""
        from ..errors import StoreError

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

    def reopen_after(self, exc: Exception, attempt: int) -> bool:
        """A folder read that met index files in the middle of a rewrite (by a Chroma flush that
        outlives a write's lock): open the folder again and retry. True if it was reopened."""
        if self.server or not client.is_transient(exc):
            return False
        time.sleep(0.05 * 2**attempt)
        forget_client(self.location)
        self._client = self._persistent_client(Path(self.location), create=False)
        self._open_collections(False)
        return True

    def explain(self, exc: Exception) -> str:
        """What went wrong, in words a person can act on: damage of the folder first."""
        if not self.server:
            full = client.disk_full(Path(self.location), exc)
            if full:
                return full
            damage = diagnose(Path(self.location), exc)
            if damage:
                return damage
        return client.explain(exc, self._secrets)

    @wrap("opening the collections")
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
        elif not create:  # a Chroma folder of someone else's: a reader creates no collection in it
            raise NotAStoreError(f"{self.location} is not a synth store (run `synth ingest` to create one)")
        config = {"hnsw": {"space": "cosine"}}
        function = client.embedding_function(self.embedder_name, self._load_embedder)
        self._lazy: dict[str, Any] = {}
        self._lazy_args = (meta, config, function)
        self.batch = max(1, min(1000, self._client.get_max_batch_size()))
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

    def _open_main(self, meta: dict[str, Any], config: dict[str, Any], function: Any) -> None:
        self._passages = self._client.get_or_create_collection(
            PASSAGES, metadata=meta, configuration=config, embedding_function=function
        )
        self._meetings = self._tuned(
            MEETINGS,
            self._client.get_or_create_collection(
                MEETINGS, metadata=meta, configuration=_synced(MEETINGS, config), embedding_function=function
            ),
        )
        self._config = self._tuned(
            CONFIG,
            self._client.get_or_create_collection(
                CONFIG, metadata=meta, configuration=_synced(CONFIG), embedding_function=function
            ),
        )

    def _tuned(self, name: str, collection: Any) -> Any:
        """`collection`, its flush setting (SYNC_THRESHOLD) given by a writer to a collection made
        before it was set; Chroma uses it from the next time the store is opened. A server that
        refuses the change keeps its own: only speed depends on it."""
        if not self.writer:
            return collection
        with contextlib.suppress(Exception):
            if (collection.configuration.get("hnsw") or {}).get("sync_threshold") != SYNC_THRESHOLD[name]:
                with self.changing():
                    collection.modify(configuration=_synced(name))
        return collection

    def tune(self) -> None:
        """Give the collections opened so far their flush setting (`_tuned`): a store a process
        opened to read and now writes (the MCP server, `synth watch`)."""
        opened = [(MEETINGS, self._meetings), (CONFIG, self._config), *self._lazy.items()]
        for name, collection in opened:
            if name in SYNC_THRESHOLD:
                self._tuned(name, collection)

    # The repositories reach the collections through these, so that a reopened store's
    # collections are the ones they use.

    @property
    def _insights(self) -> Any:
        return self._collection(INSIGHTS)

    @property
    def _cache(self) -> Any:
        return self._collection(CACHE)

    @property
    def _vision(self) -> Any:
        return self._collection(VISION)

    @property
    def _flags(self) -> Any:
        return self._collection(FLAGS)

    def _collection(self, name: str) -> Any:
        """Collections a search never needs are opened the first time they are used."""
        if name not in self._lazy:
            meta, config, function = self._lazy_args
            configuration = _synced(name, config if LAZY[name] else None)
            extra = {"configuration": configuration} if configuration else {}
            collection = self._client.get_or_create_collection(
                name, metadata=meta, embedding_function=function, **extra
            )
            self._lazy[name] = self._tuned(name, collection) if name in SYNC_THRESHOLD else collection
        return self._lazy[name]

    def erase_freed_text(self) -> None:
        """Remove the words of deleted records from where Chroma keeps them after a delete (see
        client.erase_freed_text). On a Chroma server synth cannot reach its database: README's
        "Safety" section says what remains there and how an admin removes it."""
        if self.server:
            return
        with self.changing():
            client.erase_freed_text(Path(self.location))

    # --- deleting, for the repositories -------------------------------------------------------

    def delete_all_but(self, collection: Any, meeting_id: str, field: str, keep: list[str] | None) -> int:
        """Delete a meeting's records in `collection` whose `field` is not in `keep` (all if None)."""
        where: dict[str, Any] = {"meeting_id": meeting_id}
        if keep is not None:
            where = {"$and": [where, {field: {"$nin": keep}}]}
        return self.delete_where(collection, where)

    def delete_where(self, collection: Any, where: dict[str, Any]) -> int:
        """Delete the records of `collection` that match `where`; how many there were."""
        stale = collection.get(where=where, include=[])["ids"]
        self.delete_ids(collection, stale)
        return len(stale)

    def delete_ids(self, collection: Any, ids: list[str]) -> None:
        """Delete records by id, in batches Chroma accepts."""
        for start in range(0, len(ids), self.batch):
            collection.delete(ids=ids[start : start + self.batch])


def _synced(name: str, config: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """A collection's configuration with its flush setting (SYNC_THRESHOLD), if it has one."""
    if name not in SYNC_THRESHOLD:
        return config
    threshold = SYNC_THRESHOLD[name]
    hnsw = {**((config or {}).get("hnsw") or {}), "sync_threshold": threshold, "batch_size": threshold}
    return {**(config or {}), "hnsw": hnsw}
