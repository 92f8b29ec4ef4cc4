"""Flags: what `synth check` found, with the status a person gave it (the flag as JSON, packed
in the metadata; a flag written before has it as its document; no vector worth an index)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..errors import NotFoundError
from ..kinds import FlagStatus
from ..models import Flag
from . import codec, limits
from .client import wrap

if TYPE_CHECKING:
    from .core import Store


class FlagRepo:
    """The flags collection."""

    def __init__(self, store: Store):
        self._store = store

    @wrap("reading flags")
    def all(self) -> list[Flag]:
        """Every stored flag, whatever its status."""
        got = self._store._flags.get(include=["documents", "metadatas"])
        return [codec.flag_from_stored(d, m) for d, m in zip(got["documents"], got["metadatas"])]

    @wrap("reading flags")
    def open_ids(self) -> list[str]:
        """The ids of the open flags, in the store's order (no flag is read)."""
        return list(self._store._flags.get(where={"status": "open"}, include=[])["ids"])

    @wrap("reading flags")
    def some(self, ids: list[str]) -> dict[str, Flag]:
        """The stored flags with these ids (those that exist), by id."""
        found: dict[str, Flag] = {}
        for part in limits.slices(list(dict.fromkeys(ids)), self._store.batch):
            got = self._store._flags.get(ids=part, include=["documents", "metadatas"])
            found.update(
                (i, codec.flag_from_stored(d, m)) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])
            )
        return found

    def put(self, flags: list[Flag]) -> None:
        """Store flags (a flag with the id of a stored one replaces it)."""
        self._upsert([f.id for f in flags], [codec.flag_metadata(f) for f in flags])

    @wrap("removing flags", writes=True)
    def delete(self, ids: list[str]) -> None:
        """Remove flags by id."""
        self._store.delete_ids(self._store._flags, ids)

    def set_status(self, id_prefix: str, status: FlagStatus, note: str | None = None) -> Flag:
        """Resolve, dismiss or reopen the flag whose id starts with `id_prefix` (it must name one);
        `note` replaces the flag's note when given."""
        wanted = id_prefix.strip().lower()
        matches = [f for f in self.all() if f.id.startswith(wanted)]
        if not matches:
            raise NotFoundError(f"no flag {id_prefix!r}; `synth flags --status all` lists them")
        if len(matches) > 1:
            raise NotFoundError(f"{id_prefix!r} matches {len(matches)} flags; give more of the id")
        updated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        flag = matches[0].model_copy(
            update=dict(status=status, note=note if note is not None else matches[0].note, updated_at=updated_at)
        )
        self.put([flag])
        return flag

    @wrap("writing flags", writes=True)
    def _upsert(self, ids: list[str], metadatas: list[codec.Metadata]) -> None:
        size = self._store.batch
        for start in range(0, len(ids), size):
            self._store._flags.upsert(
                ids=ids[start : start + size],
                embeddings=[[1.0]] * len(ids[start : start + size]),
                metadatas=metadatas[start : start + size],
            )
