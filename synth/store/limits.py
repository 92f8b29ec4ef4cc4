"""The database's limits on one request, and the batching that keeps every request under them.

Chroma's embedded store is SQLite, which accepts at most 32,766 bound values in one statement
(Chroma adds a few of its own): an `$in` filter or an id list longer than that fails. Every list
whose length grows with the store is sent in slices of `IN_LIMIT` values, at most two lists per
request, so no request passes the limit at any store size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

IN_LIMIT = 10_000  # values of one list in one request; two such lists stay under SQLite's 32,766

T = TypeVar("T")


def slices(values: Sequence[T], size: int | None = None) -> Iterator[list[T]]:
    """`values` in consecutive slices of at most `size` (IN_LIMIT by default); nothing for none."""
    step = size or IN_LIMIT
    for start in range(0, len(values), step):
        yield list(values[start : start + step])
