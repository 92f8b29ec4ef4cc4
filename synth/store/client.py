"""Chroma itself: importing it quickly, opening a folder or a server, saying what went wrong.

The only module that imports chromadb (inside functions: `synth --help` stays instant).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from ..errors import ConfigError, NotAStoreError, StoreError
from ..redact import public_url, without_secrets

if TYPE_CHECKING:
    from ..embeddings import Embedder

READ_RETRIES = 4
# What Chroma says when a process reads a folder's index files while they are being rewritten.
_TRANSIENT = ("error finding id", "error creating hnsw segment reader", "nothing found on disk")

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


def chroma() -> Any:
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
            setattr(overrides.overrides, "_overrides", _mark_override)  # noqa: B010 - the stub types it as a function
    import chromadb

    return chromadb


def _mark_override(method: Any, check_signature: bool, check_at_runtime: bool) -> Any:
    method.__override__ = True
    return method


class StoreLike(Protocol):
    """What `wrap` needs of the store a repository belongs to."""

    location: str

    def changing(self) -> Any: ...

    def reopen_after(self, exc: Exception, attempt: int) -> bool: ...

    def explain(self, exc: Exception) -> str: ...


class HasStore(Protocol):
    """A repository (or the store itself): `_store` is the store it reads and writes."""

    @property
    def _store(self) -> StoreLike: ...


F = TypeVar("F", bound=Callable[..., Any])


def wrap(action: str, writes: bool = False) -> Callable[[F], F]:
    """Turn Chroma's exceptions into a StoreError that says what failed; `writes` marks a
    method that changes the store (on an embedded store, it runs with no reader inside)."""

    def decorator(function: F) -> F:
        @functools.wraps(function)
        def wrapped(self: HasStore, *args: Any, **kwargs: Any) -> Any:
            store = self._store
            for attempt in range(READ_RETRIES + 1):
                try:
                    if writes:
                        with store.changing():
                            return function(self, *args, **kwargs)
                    return function(self, *args, **kwargs)
                except (StoreError, KeyboardInterrupt):
                    raise
                except Exception as exc:
                    if not writes and attempt < READ_RETRIES and store.reopen_after(exc, attempt):
                        continue
                    raise StoreError(f"{action} failed in the store at {store.location}: {store.explain(exc)}") from exc

        return wrapped  # type: ignore[return-value]  # functools.wraps loses the ParamSpec of F

    return decorator


def is_transient(exc: Exception) -> bool:
    """Whether a folder read met index files in the middle of a rewrite."""
    return any(w in str(exc).lower() for w in _TRANSIENT)


def forget_client(location: str) -> None:
    """Drop Chroma's cached client of a store folder, so the next open reads what other
    processes wrote since, or starts clean after a write failed (see Session._drop_store)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(location, None)
    SharedSystemClient._identifier_to_refcount.pop(location, None)


READ_ONLY_COPY = "synth-readonly-"


def is_read_only(path: Path) -> bool:
    """Whether this process cannot write to the store folder or its database (a read-only mount,
    a backup owned by someone else)."""
    database = path / DATABASE
    return not os.access(path, os.W_OK) or (database.exists() and not os.access(database, os.W_OK))


def readable_copy(path: Path) -> Path:
    """A private copy of a store this process cannot write to, for reading. Chroma writes to its
    database when it opens it ("attempt to write a readonly database"), so a read-only store is
    read from a copy in the temporary folder, removed at exit (or, after a process that could not
    clean up, by the next one)."""
    import atexit
    import shutil
    import tempfile

    _remove_stale_copies(Path(tempfile.gettempdir()))
    folder = Path(tempfile.mkdtemp(prefix=f"{READ_ONLY_COPY}{os.getpid()}-"))
    _copies.append(folder)
    atexit.register(remove_read_only_copies)
    copy = folder / "store"
    try:
        shutil.copytree(path, copy, ignore=shutil.ignore_patterns("synth-*"))
    except (OSError, shutil.Error) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise StoreError(f"the store at {path} is read-only and could not be copied to read it: {exc}") from None
    return copy


_copies: list[Path] = []


def remove_read_only_copies() -> None:
    """Remove the copies of read-only stores this process made."""
    import shutil

    while _copies:
        shutil.rmtree(_copies.pop(), ignore_errors=True)


def _remove_stale_copies(temporary: Path) -> None:
    """Copies of read-only stores whose process is gone."""
    import shutil

    for entry in temporary.glob(f"{READ_ONLY_COPY}*"):
        pid = entry.name[len(READ_ONLY_COPY) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            pass


def persistent_client(path: Path) -> Any:
    """A client of the store folder at `path` (which exists), or a StoreError that says what to do."""
    check_database(path)
    chromadb = chroma()
    try:
        return chromadb.PersistentClient(
            path=str(path), settings=chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        )
    except Exception as exc:
        damage = disk_full(path, exc) or diagnose(path, exc)
        if damage:
            raise StoreError(damage) from None
        raise StoreError(
            f"cannot open the store at {path}: {exc}. If it was written by another version of "
            "synth or Chroma, move it aside and ingest again (synth --store NEW_PATH ingest ...)"
        ) from None


def http_client(url: str, token: str | None) -> Any:
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
    chromadb = chroma()
    try:
        return chromadb.HttpClient(
            host=parts.hostname,
            port=port,
            ssl=parts.scheme == "https",
            headers=headers,
            settings=chromadb.Settings(anonymized_telemetry=False, allow_reset=False),
        )
    except Exception as exc:
        raise StoreError(f"cannot use the Chroma server at {shown}: {explain(exc, (token,))}") from None


def explain(exc: Exception, secrets: tuple[str | None, ...] = ()) -> str:
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


_FULL_WORDS = ("no space left", "disk is full", "database or disk is full", "enospc")
_LOW_SPACE = 32 * 1024 * 1024  # below this, Chroma's vaguer failures ("Error in compaction") are a full disk


def disk_full(folder: Path, exc: Exception) -> str | None:
    """The message for a write that failed because the disk holding the store is full, or None.
    Chroma often says only "Error in compaction: Failed to apply logs"; the free space decides."""
    import shutil

    text = f"{exc} {exc.__cause__ or ''}".lower()
    try:
        free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
    except OSError:
        return None
    said = any(w in text for w in _FULL_WORDS) or getattr(exc, "errno", None) == errno.ENOSPC
    if said or (free < _LOW_SPACE and ("compaction" in text or "apply logs" in text or "disk i/o" in text)):
        return (
            f"the disk holding the store is full ({free / 1e6:.1f} MB free); nothing was lost: "
            "free space and run the command again"
        )
    return None


def check_database(folder: Path) -> None:
    """Raise a StoreError if the store folder looks damaged."""
    damage = diagnose(folder)
    if damage:
        raise StoreError(damage)


# What a folder may hold and still be "empty" for a new store: the project's own store/ holds a
# README and a .gitignore; the lock files are what a writer interrupted before its first write leaves.
_HARMLESS = {".gitignore", ".gitkeep", ".keep", ".DS_Store"}
_HARMLESS_PREFIXES = ("README", "readme", "synth-generation")
_SYNTH_LOCK = re.compile(r"^synth-[a-z]+\.lock$")  # the writer, data, turn and watch locks

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FolderState = Literal["missing", "file", "empty", "store", "other"]


def folder_state(path: Path) -> FolderState:
    """What is at the store path, looked at without changing anything: nothing, a file, a folder
    with nothing of anyone's in it (only a README, a .gitignore, synth's lock files), a synth store
    (its database file is there), or a folder of other things."""
    try:
        if not path.exists():
            return "missing"
        if not path.is_dir():
            return "file"
        if (path / DATABASE).exists():
            return "store"
        names = [entry.name for entry in os.scandir(path)]
    except OSError as exc:
        raise StoreError(f"cannot look at the store folder {path}: {exc.strerror or exc}") from None
    if any(_UUID.match(name) and (path / name).is_dir() for name in names):
        return "store"  # Chroma's index folders without their database: a damaged store, said so on opening
    if all(name in _HARMLESS or name.startswith(_HARMLESS_PREFIXES) or _SYNTH_LOCK.match(name) for name in names):
        return "empty"
    return "other"


def not_a_store(path: Path, state: FolderState) -> NotAStoreError:
    """The error for a store path that is a file or a folder of other things."""
    if state == "file":
        return NotAStoreError(f"{path} is a file, not a store folder; give --store a folder")
    return NotAStoreError(f"{path} is not a synth store (run `synth ingest` to create one)")


def refuse_foreign_folder(path: Path) -> NotAStoreError:
    """The error for a writer asked to create a store in a folder of other things."""
    return NotAStoreError(
        f"{path} is not a synth store and holds other files; synth creates a store only in a new or empty "
        "folder (or one with just a README and a .gitignore). Give --store a new folder, or add --init-store "
        "to create the store in this one anyway"
    )


def make_folder(path: Path) -> None:
    """Create the store folder, readable by this user only. A folder that exists already is left
    as it is (its permissions are its owner's)."""
    try:
        path.mkdir(parents=True)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create the store folder {path}: {exc.strerror}") from None
    try:
        os.chmod(path, 0o700)
    except OSError as exc:
        raise StoreError(f"cannot make the store folder {path} private: {exc.strerror}") from None


def read_only_store(path: Path) -> StoreError:
    """What a writer says about a store it cannot write to."""
    return StoreError(
        f"the store at {path} is read-only: synth can search and read it, but not write to it. "
        "Copy it to a folder you can write to (synth --store COPY ...) to change it"
    )


def read_only_error(path: Path, exc: OSError) -> StoreError | None:
    """`read_only_store` when `exc` says the store is read-only."""
    return read_only_store(path) if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else None


def embedding_function(model_name: str, load_embedder: Callable[[], Embedder]) -> Any:
    """synth's embedder in Chroma's interface, so Chroma never falls back to its own model
    (which it would try to download). synth passes vectors it computed itself; this is the
    guard for any path that would make Chroma embed."""
    from chromadb.api.types import EmbeddingFunction

    class SynthEmbeddingFunction(EmbeddingFunction):
        def __init__(self) -> None:
            self._embedder: Embedder | None = None

        def __call__(self, input: Any) -> Any:  # noqa: A002 - Chroma's parameter name
            if self._embedder is None:
                self._embedder = load_embedder()
            return [list(v) for v in self._embedder.embed(list(input))]

        @staticmethod
        def name() -> str:
            return "synth"

        def get_config(self) -> dict[str, str]:
            return {"model": model_name}

        @staticmethod
        def build_from_config(config: dict[str, str]) -> SynthEmbeddingFunction:
            return SynthEmbeddingFunction()

        def default_space(self) -> Literal["cosine"]:
            return "cosine"

    return SynthEmbeddingFunction()


# The topic Chroma's write-ahead queue files each record under: its collection's id behind this.
_TOPIC = "persistent://default/default/"


def erase_freed_text(folder: Path) -> None:
    """Remove from a store folder's database the words of records that were deleted: Chroma's
    write-ahead queue (`embeddings_queue`) keeps every write's document and metadata until its
    vector index next flushes, the full-text index keeps deleted words in its segments until they
    are merged, and SQLite keeps freed pages. The queue's entries that the metadata segment has
    applied lose their metadata (the vector index replays only ids and vectors from them), the
    full-text index is merged, and the database is rewritten (VACUUM). The caller holds the data
    lock exclusively, so no other process has the database open."""
    import sqlite3

    applied = (
        "SELECT m.seq_id FROM max_seq_id m JOIN segments s ON s.id = m.segment_id "
        f"WHERE s.scope = 'METADATA' AND '{_TOPIC}' || s.collection = embeddings_queue.topic"
    )
    try:
        with contextlib.closing(sqlite3.connect(folder / DATABASE, timeout=60, isolation_level=None)) as db:
            db.execute(
                f"UPDATE embeddings_queue SET metadata = NULL WHERE metadata IS NOT NULL AND seq_id <= ({applied})"
            )
            db.execute("INSERT INTO embedding_fulltext_search(embedding_fulltext_search) VALUES ('optimize')")
            db.execute("VACUUM")
    except sqlite3.Error as exc:
        raise StoreError(
            f"erasing the forgotten words from {folder / DATABASE} failed: {disk_full(folder, exc) or exc}"
        ) from None
