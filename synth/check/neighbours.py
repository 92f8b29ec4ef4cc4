"""Where the check finds insights' vectors and their nearest neighbours, by position in the list of
insights it checks: the store (a Chroma nearest-neighbour query, `synth.store.insights.
VisibleInsights`) or memory (`MemoryVectors`, for insights whose vectors are already loaded). The
check reads only the vectors of the insights it starts from and of the neighbours it is given, so
its cost grows with the new insights, not with the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..kinds import Kind
from ..models import Insight

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from .items import Array, Vector

    Positions = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Scope:
    """Which insights a neighbour may be: of these kinds, of these teams (None: any), dated on or
    after `first_date` and on or before `last_date` (None: no bound)."""

    kinds: tuple[Kind, ...]
    teams: tuple[str, ...] | None = None
    first_date: str | None = None
    last_date: str | None = None

    def holds(self, insight: Insight) -> bool:
        """Whether `insight` is in the scope."""
        return (
            insight.kind in self.kinds
            and (self.teams is None or insight.team in self.teams)
            and (self.first_date is None or insight.date >= self.first_date)
            and (self.last_date is None or insight.date <= self.last_date)
        )


@dataclass
class Nearest:
    """The nearest insights of a scope to one vector, nearest first (positions and cosine
    similarities), and a floor: no insight of the scope left out is closer than it (-1 when none
    was left out)."""

    positions: list[int]
    cosines: list[float]
    floor: float


class InsightVectors(Protocol):
    """Vectors and nearest neighbours of the insights a check holds, by position."""

    def vectors(self, positions: Sequence[int]) -> list[Vector]:
        """The vectors of the insights at `positions`, in that order."""
        ...

    def matrix(self, positions: Sequence[int]) -> Array:
        """The same vectors as the float32 rows of a matrix (what `vectors` gives, stacked)."""
        ...

    def nearest(self, vectors: Sequence[Vector], n: int, scope: Scope) -> list[Nearest]:
        """For each of `vectors`, its `n` nearest insights of `scope` by cosine similarity (without
        their vectors: those are read only for the insights that end in a pair or a theme)."""
        ...


class MemoryVectors:
    """`InsightVectors` over insights whose vectors are in memory: exact nearest neighbours."""

    def __init__(self, insights: Sequence[Insight], vectors: Sequence[Vector]):
        import numpy as np

        self.insights = list(insights)
        self._vectors = list(vectors)
        self._matrix = np.asarray(self._vectors, dtype=np.float32).reshape(len(self._vectors), -1)
        self._within: dict[Scope, Positions] = {}  # each scope asked for: the positions it holds

    def vectors(self, positions: Sequence[int]) -> list[Vector]:
        return [self._vectors[p] for p in positions]

    def matrix(self, positions: Sequence[int]) -> Array:
        import numpy as np

        return self._matrix[np.asarray(positions, dtype=np.int64)]

    def nearest(self, vectors: Sequence[Vector], n: int, scope: Scope) -> list[Nearest]:
        import numpy as np

        if scope not in self._within:
            self._within[scope] = np.asarray([k for k, i in enumerate(self.insights) if scope.holds(i)], dtype=np.int64)
        within = self._within[scope]
        if not within.size or n <= 0:
            return [Nearest([], [], -1.0) for _ in vectors]
        # the scope's rows gathered for this call only: a copy kept per scope (a check --all asks
        # for hundreds of scopes) held 2.1 GB at 300 meetings
        matrix = self._matrix[within]
        found = []
        for vector in vectors:
            # one vector at a time: a similarity does not depend on which vectors were asked with it
            sims = matrix @ np.asarray(vector, dtype=np.float32)
            order = nearest_first(sims, n)
            floor = float(sims[order[-1]]) if within.size > n else -1.0
            found.append(Nearest([int(within[k]) for k in order], [float(sims[k]) for k in order], floor))
        return found


def nearest_first(sims: Array, n: int) -> Positions:
    """The positions of the `n` largest of `sims`, largest first, a tie in position order: what a
    stable sort of all of them gives, without sorting all of them."""
    import numpy as np

    if n >= sims.size:
        return np.argsort(-sims, kind="stable")
    nth = np.partition(-sims, n - 1)[n - 1]
    near = np.nonzero(-sims <= nth)[0]  # every position as near as the n-th or nearer, ascending
    return near[np.argsort(-sims[near], kind="stable")][:n]


QUERY_BATCH = 64  # vectors per nearest-neighbour query


def nearest_of(vectors: Sequence[Vector], scopes: Sequence[Scope], source: InsightVectors, n: int) -> list[Nearest]:
    """The `n` nearest insights of each vector's scope, asked a batch of vectors of one scope at a time."""
    found: dict[int, Nearest] = {}
    by_scope: dict[Scope, list[int]] = {}
    for k, scope in enumerate(scopes):
        by_scope.setdefault(scope, []).append(k)
    for scope, ks in by_scope.items():
        for start in range(0, len(ks), QUERY_BATCH):
            batch = ks[start : start + QUERY_BATCH]
            found.update(zip(batch, source.nearest([vectors[k] for k in batch], n, scope)))
    return [found[k] for k in range(len(vectors))]
