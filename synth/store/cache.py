"""The model cache: replies per transcript window, checked pair or brief section, keyed by
prompt version, model and text (document = the reply; no vector worth an index)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from .client import wrap

if TYPE_CHECKING:
    from .core import Store

ReplyKind = Literal["extraction", "check", "brief"]


class ReplyCache:
    """The cache collection."""

    def __init__(self, store: Store):
        self._store = store

    @wrap("reading the model cache")
    def get_many(self, keys: list[str]) -> dict[str, str]:
        """The cached replies of the keys that have one."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        size = self._store.batch
        for start in range(0, len(keys), size):
            got = self._store._cache.get(ids=keys[start : start + size], include=["documents"])
            found.update(zip(got["ids"], got["documents"]))
        return found

    @wrap("writing the model cache", writes=True)
    def put(self, key: str, value: str, kind: ReplyKind = "extraction") -> None:
        """Cache a reply."""
        self._store._cache.upsert(ids=[key], embeddings=[[1.0]], documents=[value], metadatas=[{"kind": kind}])

    @wrap("clearing the model cache", writes=True)
    def clear(self) -> int:
        """Remove every cached reply (they quote the meetings they came from); how many there were."""
        ids = self._store._cache.get(include=[])["ids"]
        self._store.delete_ids(self._store._cache, ids)
        return len(ids)
