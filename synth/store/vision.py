"""The vision: the statements of the current version in the vision collection (document = text,
with their vectors); the versions themselves (their text and when they were set) are settings,
and the versions setting is the commit that makes a new version current."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import VisionVersion
from . import codec
from .client import wrap

if TYPE_CHECKING:
    from ..vision import Vision, VisionStatement  # imported when used: a search never needs it
    from .core import Store

VERSIONS = "vision_versions"
TEXT = "vision_text:"

StatementVectors = list[tuple["VisionStatement", list[float]]]


class VisionRepo:
    """Vision versions and the current version's statement vectors."""

    def __init__(self, store: Store):
        self._store = store

    def versions(self) -> list[VisionVersion]:
        """Every version set, oldest first."""
        return [VisionVersion(**entry) for entry in self._store.settings.value(VERSIONS) or []]

    def latest(self) -> VisionVersion | None:
        """The current version's entry, or None if no vision was set."""
        versions = self.versions()
        return versions[-1] if versions else None

    def text(self, version: str) -> str | None:
        """The document of a version as it was set."""
        return self._store.settings.value(TEXT + version)

    def load(self, entry: VisionVersion) -> Vision:
        """A stored version, parsed again from its text."""
        from ..vision import parse_vision

        vision = parse_vision(self.text(entry.version) or "", entry.source, set_at=entry.set_at)
        vision.number = entry.number
        return vision

    def current(self) -> Vision | None:
        """The current vision, or None if none was set."""
        latest = self.latest()
        return self.load(latest) if latest else None

    @wrap("reading the vision")
    def vectors(self, vision: Vision) -> StatementVectors:
        """The statements of `vision` that have stored vectors, with them, in document order."""
        got = self._store._vision.get(where={"version": vision.version}, include=["metadatas", "embeddings"])
        by_place = {codec.statement_place(m): list(e) for m, e in zip(got["metadatas"], got["embeddings"])}
        return [(s, by_place[(s.id, s.start_line)]) for s in vision.statements if (s.id, s.start_line) in by_place]

    def current_with_vectors(self) -> tuple[Vision | None, StatementVectors]:
        """The current vision and its statements with their vectors (None and [] when none is set).
        A statement without a stored vector (a write cut short) is left out of both."""
        vision = self.current()
        if vision is None:
            return None, []
        statements = self.vectors(vision)
        if len(statements) != len(vision.statements):
            vision = vision.model_copy(update={"statements": [s for s, _ in statements]})
        return vision, statements

    def add(self, vision: Vision, text: str, vectors: list[list[float]]) -> VisionVersion:
        """Store a new version (`text` parsed as `vision`, `vectors` of its statements) and make
        it current; it gets the next number. The versions setting is the commit: an interruption
        before it leaves the previous version current."""
        versions = self.versions()
        vision.number = versions[-1].number + 1 if versions else 1
        self._write_statements(vision.statements, vectors)
        self._store.settings.set_value(TEXT + vision.version, text)
        entry = VisionVersion(
            version=vision.version,
            number=vision.number,
            source=vision.source,
            set_at=vision.set_at,
            statements=len(vision.statements),
            title=vision.title,
        )
        self._store.settings.set_value(VERSIONS, [v.model_dump() for v in versions + [entry]])
        self._remove_other_versions(vision.version)
        return entry

    @wrap("writing the vision", writes=True)
    def _write_statements(self, statements: list[VisionStatement], vectors: list[list[float]]) -> None:
        size = self._store.batch
        for start in range(0, len(statements), size):
            batch = statements[start : start + size]
            self._store._vision.upsert(
                ids=[codec.statement_id(s) for s in batch],
                embeddings=vectors[start : start + size],
                documents=[s.text for s in batch],
                metadatas=[codec.statement_metadata(s) for s in batch],
            )

    @wrap("removing old vision statements", writes=True)
    def _remove_other_versions(self, keep: str) -> int:
        return self._store.delete_where(self._store._vision, {"version": {"$ne": keep}})
