"""Fakes for the fast tier: stand-ins with the real interfaces, deterministic and instant.

`HashEmbedder` can stand in for the MiniLM model wherever synth embeds (ingest, extraction, the
retriever's query, the checker's items): it has the interface of `synth.embeddings.Embedder`
(`name`, `dimensions`, `embed`, `embed_batch`) and gives every text a unit vector made of hashed
word features. Texts that share words get similar vectors, texts that share none are nearly
orthogonal, and the same text gives the same vector in every process (no `hash()` salt).
"""

from __future__ import annotations

import hashlib
import math
import re

from synth.embeddings import Embedder

_WORD = re.compile(r"[a-z0-9]+")
# a few words that every sentence has; without them unrelated sentences would look alike
_COMMON = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "i", "in", "is", "it"]
    + ["of", "on", "or", "so", "that", "the", "this", "to", "was", "we", "with"]
)


class HashEmbedder(Embedder):
    """Unit vectors from hashed words and word prefixes (so "exports" is near "export").

    384 dimensions by default, the size of all-MiniLM-L6-v2's vectors, so that code which expects
    that size (the offline extractor's classifier) runs on these vectors too."""

    name = "hash-embedder"

    def __init__(self, dimensions: int = 384):
        self.dimensions = dimensions

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        return [self.vector(text) for text in texts]

    def vector(self, text: str) -> list[float]:
        """The unit vector of one text; a text without words gets a fixed vector of its own."""
        values = [0.0] * self.dimensions
        for word in _WORD.findall(text.lower()):
            if word in _COMMON:
                continue
            for feature, weight in ((f"w:{word}", 1.0), (f"p:{word[:5]}", 0.5)):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                slot = int.from_bytes(digest[:4], "little") % self.dimensions
                sign = 1.0 if digest[4] & 1 else -1.0
                values[slot] += sign * weight
        norm = math.sqrt(sum(v * v for v in values))
        if not norm:
            values[0] = 1.0
            return values
        return [v / norm for v in values]


def cosine(a: list[float], b: list[float]) -> float:
    """The cosine of two unit vectors."""
    return sum(x * y for x, y in zip(a, b, strict=True))
