"""The only package that talks to Chroma: a synth store and its repositories.

Collections:
- passages: one record per passage of a meeting version (its vector and what a query filters
  on; its text is in the version's texts record);
- meetings: one record per stored meeting; its upsert is the commit that makes a version
  visible (metadata = the meeting);
- insights: one record per insight of an extraction run (document = statement); a run is
  visible when the meeting record names it (`extraction_run`), so a new run is written in
  full, then committed by updating the meeting record, then the old runs are removed;
- cache: model replies per transcript window or checked pair, keyed by prompt version, model and text;
- vision: the statements of the current vision version (document = text); the versions
  themselves (their text and when they were set) are settings, and the versions setting is the
  commit that makes a new version current;
- flags: what `synth check` found, with the status a person gave it (no vector);
- config: small settings of the store (the roster, what each server accepted), the pending
  writes (a meeting version being written, by which host and process), and per meeting version
  its passages' texts and its lexical postings (packed into metadata: see codec.py).

Each record type has its repository (`store.meetings`, `store.insights`, `store.vision`,
`store.flags`, `store.cache`, `store.settings`); codec.py holds every conversion between
synth's models and Chroma's records. meetings.py describes the commit protocol of a meeting.

The store is a folder (PersistentClient; processes take turns through locking.py, and a
`Session` opens the store for a command) or a Chroma server (HttpClient, with a token sent as
auth headers).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import diagnose, forget_client
    from .codec import DenseHit, passage_turns
    from .core import Store
    from .insights import InsightVector
    from .meetings import PendingWrite
    from .session import Session

# Loaded when first asked for: `synth --help` imports store.locking, which must not load the
# models and the repositories with it.
_EXPORTS = {
    "DenseHit": "codec",
    "InsightVector": "insights",
    "PendingWrite": "meetings",
    "Session": "session",
    "Store": "core",
    "diagnose": "client",
    "forget_client": "client",
    "passage_turns": "codec",
}
__all__ = [
    "DenseHit",
    "InsightVector",
    "PendingWrite",
    "Session",
    "Store",
    "diagnose",
    "forget_client",
    "passage_turns",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
