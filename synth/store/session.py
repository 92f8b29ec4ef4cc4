"""Sessions: how a `Synth` opens its store for one command, with the locks of locking.py.

Each command is a session: a writing one holds the store's writer lock, a reading one the shared
data lock, from its start to its end; the store is reopened when another process wrote since
this one last looked. On a Chroma server there are no locks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import StoreError
from .client import (
    folder_state,
    forget_client,
    is_read_only,
    make_folder,
    not_a_store,
    read_only_error,
    read_only_store,
    refuse_foreign_folder,
)
from .locking import WRITER_FILE, StoreLocks, for_store

if TYPE_CHECKING:
    from ..embeddings import Embedder
    from .core import Store


class Session:
    """The store of one `Synth`: opened when first needed, within the session of a command."""

    def __init__(
        self,
        settings: Settings,
        load_embedder: Callable[[], Embedder],
        on_wait: Callable[[str], None] | None = None,
        store: Store | None = None,
    ):
        """`store` is a store already open (the fast tests' in-memory one, tests/fakes.py): the
        session hands it out and takes no locks, as on a server."""
        self.settings = settings
        self.on_wait = on_wait  # told when a command waits for another process's write
        self._load_embedder = load_embedder
        self._given = store is not None
        self._store: Store | None = store
        self._locks: StoreLocks | None = None
        self._active = False  # a command's session is open

    @contextlib.contextmanager
    def command(self, write: bool, command: str = "read") -> Iterator[None]:
        """The session of a command: a writing one (`write`) holds the writer lock, a reading one
        the shared data lock, until it ends. Commands do not nest: a command that needs another's
        work calls its session-free part (Synth._check, for one), so the lock a command holds is
        the one it took."""
        if self._active:
            raise RuntimeError(f"synth {command}: a session is already open in this process")
        if self.settings.chroma_url or self._given:  # a server or a given store: no locks; only marks the command
            self._active = True
            try:
                yield
            finally:
                self._active = False
            return
        folder = Path(self.settings.store)
        locks = None
        # Look before touching: a reader changes nothing in a folder that is not a store, and a
        # writer creates a store only where nothing of anyone else's is.
        state = folder_state(folder)
        if state == "empty" and not write and (folder / WRITER_FILE).exists():
            # a writer may be creating the store right now: wait for its write, then look again
            with contextlib.suppress(OSError):
                for_store(folder).acquire_read()
                for_store(folder).release_read()
            state = folder_state(folder)
        if state == "file" or (state == "other" and not (write and self.settings.init_store)):
            raise refuse_foreign_folder(folder) if write and state == "other" else not_a_store(folder, state)
        if write:
            if state == "store" and is_read_only(folder):
                raise read_only_store(folder)
            make_folder(folder)
            locks = for_store(folder)
            try:
                locks.acquire_writer(command, self.on_wait)
            except OSError as exc:
                raise read_only_error(folder, exc) or StoreError(
                    f"cannot lock the store at {folder} for writing: {exc.strerror or exc}"
                ) from None
        elif state == "store":
            try:
                locks = for_store(folder)
                locks.acquire_read()
            except OSError:
                locks = None  # a folder this user cannot write to (a read-only backup): read without locks
        else:
            self._store = None  # no store (any more): an open one is not read as if it were there
        self._locks = locks
        self._active = True
        try:
            if locks is not None and self._store is not None and locks.seen not in (None, locks.generation()):
                self._store = None  # another process wrote since: store() reopens it
            if write and locks is not None and state != "store":
                # a new store is created at once, with no reader inside: a search that starts
                # meanwhile waits for it (above) instead of finding a folder with half a store
                self._store = None
                with locks.exclusive():
                    self.store()
            if write and self._store is not None:
                self._store.tune()  # opened to read before: written now
            yield
        except (StoreError, OSError):
            if write:  # a failed write (a full disk) can leave Chroma's client unable to answer
                self._drop_store()
            raise
        finally:
            self._active = False
            self._locks = None
            if locks is not None:
                if write:
                    locks.release_writer()
                else:
                    locks.release_read()

    def _drop_store(self) -> None:
        """After a writing command failed, open the store with a new Chroma client next time.
        After a write that failed on a full disk, Chroma's client of the folder never answered
        again in this process (the next ingest of the MCP server or `watch` waited forever; the
        database itself was not locked). The old client is not stopped: whoever still holds it
        (a Store of another Synth of this process) keeps what it had."""
        self._store = None
        forget_client(str(self.settings.store))

    def store(self, create: bool = True) -> Store:
        """The store, opened (or reopened, after another process wrote) when first needed."""
        if self._store is None:
            from ..embeddings import MINILM
            from .core import Store

            name = MINILM if self.settings.embeddings == "minilm" else f"openai:{self.settings.embeddings}"
            locks = self._locks
            if locks is None and not self.settings.chroma_url:
                locks = for_store(Path(self.settings.store))  # used outside a command: each write takes turns
            seen = locks.generation() if locks is not None else None
            if locks is not None and locks.seen not in (None, seen):
                forget_client(str(self.settings.store))  # Chroma's cached client saw an older store
            self._store = Store(
                self.settings.store,
                name,
                self._load_embedder,
                create=create,
                url=self.settings.chroma_url,
                token=self.settings.chroma_token,
                locks=locks,
            )
            if locks is not None:
                locks.seen = seen
        return self._store
