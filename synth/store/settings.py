"""Small settings of the store, each under a typed method: the roster, what the last check saw,
the structured-output method each model server accepted.

They live in the config collection (the JSON value packed in the metadata, see codec.pack; a
value written before is the record's document), beside the pending writes of meetings.py and
the vision history of vision.py.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..models import CheckState
from . import codec
from .client import wrap

if TYPE_CHECKING:
    from .core import Store

ROSTER = "roster"
CHECK_STATE = "check_state"
STRUCTURED_METHOD = "structured_method:"
DELIVERED_FLAGS = "delivered_flags:"


class SettingsRepo:
    """Typed settings; `value`/`set_value` are for the store's own repositories."""

    def __init__(self, store: Store):
        self._store = store

    @wrap("reading a setting")
    def value(self, key: str) -> Any:
        """The JSON value stored under `key`, or None."""
        got = self._store._config.get(ids=[key], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        packed = codec.unpack(got["metadatas"][0])
        return json.loads(packed if packed is not None else got["documents"][0])

    @wrap("writing a setting", writes=True)
    def set_value(self, key: str, value: Any) -> None:
        """Store a JSON value under `key` (emptying the document a value written before was kept in)."""
        self._store._config.upsert(
            ids=[key],
            embeddings=[[1.0]],
            documents=[""],
            metadatas=[{"key": key, **codec.pack(json.dumps(value), level=1)}],  # written again and again
        )

    def roster(self) -> dict[str, str]:
        """The store's roster: person -> function (empty when none is set)."""
        return self.value(ROSTER) or {}

    def set_roster(self, roster: dict[str, str]) -> None:
        """Keep a roster for later ingests."""
        self.set_value(ROSTER, roster)

    def check_state(self) -> CheckState:
        """What the last check saw (nothing before the first check)."""
        return CheckState(**(self.value(CHECK_STATE) or {}))

    def set_check_state(self, state: CheckState) -> None:
        """Record what a check saw, so the next one checks only what is new."""
        self.set_value(CHECK_STATE, state.model_dump())

    def structured_method(self, server: str) -> str | None:
        """The structured-output method the model server `server` (see extraction.server_key) accepted last."""
        return self.value(STRUCTURED_METHOD + server)

    def set_structured_method(self, server: str, method: str) -> None:
        """Remember the structured-output method a model server accepted."""
        self.set_value(STRUCTURED_METHOD + server, method)

    def delivered_flags(self, destination: str) -> set[str]:
        """The ids of the flags already posted to a destination (its key: a hash, never its URL)."""
        return set(self.value(DELIVERED_FLAGS + destination) or [])

    def add_delivered_flags(self, destination: str, flag_ids: list[str]) -> None:
        """Remember that these flags were posted to a destination, so a later run sends only new ones."""
        self.set_value(DELIVERED_FLAGS + destination, sorted(self.delivered_flags(destination) | set(flag_ids)))
