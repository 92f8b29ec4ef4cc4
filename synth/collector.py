"""Python's cycle collector, paused while a command holds the whole store's insights in memory.

A full collection walks every object alive. The check after an ingest, the digest, the brief and
the report read every visible insight (8,530 at 300 meetings, with their words and items), and
each object they make counts towards the next collection, so the collector's passes grow with the
store: at 300 meetings 0.20 s of an ingest, 0.21 s of a brief and 0.19 s of a report, against
0.01 to 0.03 s paused (`python bench/scale.py collector`). What these steps make is freed by
reference counting (they build no cycles that outlive them), so the collector is paused for
their length and started again after, where it finds any cycle they left.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The cycle collector off for the block, then as it was (nested blocks, a caller that turned
    it off itself)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
