"""Where the brief's digest (synth/brief/digest.py) is kept: one JSON value in the config
collection. The store holds it as it is given; what it means, and when it still holds, is the
brief's business."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Store

DIGEST = "brief_digest"


def read_digest(store: Store) -> Any:
    """The stored digest as JSON, or None when no writer has built one."""
    return store.settings.value(DIGEST)


def write_digest(store: Store, value: Any) -> None:
    """Keep a digest (JSON), replacing the one before."""
    store.settings.set_value(DIGEST, value)
