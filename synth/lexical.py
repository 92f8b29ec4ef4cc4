"""The lexical signal: BM25 over passages, from per-meeting postings kept in the store.

Each stored meeting version carries its postings (term -> passages and counts), written once at
ingest. A search merges them into one index of arrays (LexicalIndex: a sorted vocabulary, the
passages of each term with their counts, the passages' lengths), scored with numpy, so exact
names, numbers and product terms are found without reading every passage. A new meeting adds its
postings to the arrays of the others; nothing already there is parsed again. On a store folder the
arrays are kept in a file (store/lexicon.py).
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "didn",
        "doesn",
        "isn",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "ll",
        "ve",
        "re",
        "d",
        "m",
        "um",
        "uh",
        "mm",
        "hmm",
        "mhm",
        "yeah",
        "yes",
        "okay",
        "ok",
        "oh",
        "ah",
        "like",
        "gonna",
        "wanna",
        "kinda",
        "sort",
        "well",
        "right",
        "so",
        "really",
        "actually",
        "think",
        "know",
        "mean",
        "guess",
        "just",
        "thing",
        "things",
        "stuff",
        "get",
        "got",
        "go",
        "going",
        "say",
        "said",
        "says",
        "disfmarker",
        "vocalsound",
        "nonvocalsound",
        "gap",
        "pause",
        "comment",
        "summarize",
        "summarise",
        "discuss",
        "discussed",
        "discussion",
        "talk",
        "talked",
        "talking",
        "opinion",
        "opinions",
        "group",
        "meeting",
    ]
)
K1 = 1.2
B = 0.75


def stem(word: str) -> str:
    """A light English stemmer: plural and common verb endings, enough to match forms of a word."""
    if len(word) <= 4 or word[-1].isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: -len(suffix)] + keep
    return word


def tokenize(text: str) -> list[str]:
    """Index terms of a text: lower case, stop words dropped, lightly stemmed."""
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


def build_postings(texts: list[str]) -> str:
    """The postings document of one meeting version, as compact JSON."""
    lengths = []
    terms: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        tokens = tokenize(text)
        lengths.append(len(tokens))
        counts: dict[str, int] = {}
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
        for token, count in counts.items():
            terms.setdefault(token, []).extend((index, count))
    return json.dumps({"lengths": lengths, "terms": terms}, separators=(",", ":"))


class Vocabulary:
    """A sorted list of terms kept as one UTF-8 blob and the offsets of its terms, so a file's
    vocabulary is searched (by bisection) without decoding every term."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self.blob, self.offsets = blob, offsets

    @classmethod
    def of(cls, terms: list[str]) -> Vocabulary:
        import numpy as np

        encoded = [t.encode() for t in terms]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, at: int) -> str:
        return self.blob[self.offsets[at] : self.offsets[at + 1]].tobytes().decode()

    def find(self, term: str) -> int | None:
        """The position of a term, or None."""
        at = bisect.bisect_left(self, term)
        return at if at < len(self) and self[at] == term else None

    def terms(self) -> list[str]:
        text = self.blob.tobytes().decode()
        bounds = self.offsets.tolist()
        if text.isascii():
            return [text[a:b] for a, b in zip(bounds, bounds[1:])]
        return [self[at] for at in range(len(self))]


@dataclass
class LexicalIndex:
    """BM25 over the passages of several meeting versions, as arrays: the meetings in order, the
    first passage of each, every passage's length, a sorted vocabulary and, per term (CSR), the
    passages that hold it with their counts. Passages are numbered across meetings in order."""

    versions: list[str]
    starts: np.ndarray  # (meetings + 1,) int64: the first passage of each meeting, then the total
    lengths: np.ndarray  # (passages,) int32: terms in each passage
    vocabulary: Vocabulary
    term_starts: np.ndarray  # (terms + 1,) int64: where each term's postings begin
    passages: np.ndarray  # (postings,) int32: the passage of each posting
    counts: np.ndarray  # (postings,) int32: how often the term occurs in it

    @classmethod
    def empty(cls) -> LexicalIndex:
        import numpy as np

        none = np.zeros(0, dtype=np.int32)
        return cls([], np.zeros(1, dtype=np.int64), none, Vocabulary.of([]), np.zeros(1, dtype=np.int64), none, none)

    @classmethod
    def of(cls, postings: Mapping[str, str | dict]) -> LexicalIndex:
        """The index of meeting versions' postings documents (JSON or parsed), in that order."""
        return cls.empty().with_versions(list(postings), postings)

    @property
    def size(self) -> int:
        return len(self.lengths)

    def position(self) -> dict[str, int]:
        """Each version's place in the index."""
        return {v: at for at, v in enumerate(self.versions)}

    def with_versions(self, order: list[str], new: Mapping[str, str | dict]) -> LexicalIndex:
        """The index of the versions `order`, in that order: those already here are copied as
        arrays (no document is parsed again), the others come from `new` (postings documents).
        Versions added after all of these (a new meeting) are merged in without sorting every
        posting again (`_appended`), to the same index."""
        added = order[len(self.versions) :]
        if self.size and added and order[: len(self.versions)] == self.versions and not set(added) & set(self.versions):
            return self._appended(added, new)
        return self._rebuilt(order, new)

    def _appended(self, added: list[str], new: Mapping[str, str | dict]) -> LexicalIndex:
        """`_rebuilt` of these versions and then `added`: the new terms merged into the sorted
        vocabulary, and each term's postings those of the added versions (in their order), then
        its postings here (as `_rebuilt` orders them), placed without sorting what is here."""
        import numpy as np

        old_terms = self.vocabulary.terms()
        lengths = [np.asarray(self.lengths, dtype=np.int32)]
        parts: list[_Entries] = []
        start = self.size
        for version in added:
            document = new[version]
            data = json.loads(document) if isinstance(document, str) else document
            lengths.append(np.asarray(data["lengths"], dtype=np.int32))
            parts.append(_entries(data["terms"], start))
            start += len(lengths[-1])
        known = set(old_terms)
        fresh = sorted(set().union(*(p.terms for p in parts)) - known)
        inserted = np.asarray([bisect.bisect_left(old_terms, t) for t in fresh], dtype=np.int64)
        size = len(old_terms)
        # an old term's place among old and fresh terms; a fresh term's: its insertion point plus
        # the fresh terms before it
        moved = np.arange(size, dtype=np.int64) + np.searchsorted(inserted, np.arange(size), side="right")
        place = {t: int(inserted[k]) + k for k, t in enumerate(fresh)}
        merged = list(heapq.merge(old_terms, fresh))  # both sorted, no term in both

        def merged_at(term: str) -> int:
            return place[term] if term in place else int(moved[bisect.bisect_left(old_terms, term)])

        term = np.concatenate([np.asarray([merged_at(t) for t in p.terms], dtype=np.int64)[p.term] for p in parts])
        passage = np.concatenate([p.passage for p in parts])
        counts = np.concatenate([p.counts for p in parts])
        fresh_count = np.bincount(term, minlength=len(merged))
        old_count = np.zeros(len(merged), dtype=np.int64)
        old_count[moved] = np.diff(self.term_starts)
        term_starts = np.zeros(len(merged) + 1, dtype=np.int64)
        np.cumsum(fresh_count + old_count, out=term_starts[1:])
        by_term = np.argsort(term, kind="stable")
        ordered = term[by_term]
        rank = np.arange(len(ordered)) - np.searchsorted(ordered, ordered, side="left")
        into_fresh = term_starts[ordered] + rank
        old_term = np.repeat(np.arange(size), np.diff(self.term_starts))
        into_old = (
            term_starts[moved[old_term]]
            + fresh_count[moved[old_term]]
            + (np.arange(len(old_term)) - self.term_starts[old_term])
        )
        passages = np.empty(len(ordered) + len(old_term), dtype=np.int32)
        every_count = np.empty(len(passages), dtype=np.int32)
        passages[into_fresh], every_count[into_fresh] = passage[by_term], counts[by_term]
        passages[into_old], every_count[into_old] = self.passages, self.counts
        after = self.size + np.cumsum([len(x) for x in lengths[1:]], dtype=np.int64)
        starts = np.concatenate([np.asarray(self.starts, dtype=np.int64), after])
        return LexicalIndex(
            [*self.versions, *added],
            starts,
            np.concatenate(lengths).astype(np.int32),
            Vocabulary.of(merged),
            term_starts,
            passages,
            every_count,
        )

    def _rebuilt(self, order: list[str], new: Mapping[str, str | dict]) -> LexicalIndex:
        """The index of the versions `order`: every posting grouped by term again."""
        import numpy as np

        here = self.position()
        remap = np.full(self.size, -1, dtype=np.int64)  # a passage's number in the new index
        lengths: list[np.ndarray] = []
        parts: list[_Entries] = []
        start = 0
        for version in order:
            if version in here:
                first, last = int(self.starts[here[version]]), int(self.starts[here[version] + 1])
                remap[first:last] = np.arange(start, start + last - first)
                lengths.append(np.asarray(self.lengths[first:last]))
            else:
                document = new[version]
                data = json.loads(document) if isinstance(document, str) else document
                lengths.append(np.asarray(data["lengths"], dtype=np.int32))
                parts.append(_entries(data["terms"], start))
            start += len(lengths[-1])
        moved = remap[self.passages]
        kept = moved >= 0
        term_of = np.repeat(np.arange(len(self.vocabulary)), np.diff(self.term_starts))
        parts.append(_Entries(self.vocabulary.terms(), term_of[kept], moved[kept], self.counts[kept]))
        return _assemble(order, lengths, parts)

    def score_array(self, query: str) -> np.ndarray:
        """The BM25 score of every passage (0 where it shares no term with the query).

        Document frequencies are over the whole index, so a score means the same whatever
        meetings a search then looks at."""
        import numpy as np

        scores = np.zeros(self.size)
        if not self.size:
            return scores
        average = int(self.lengths.sum()) / self.size
        for term in dict.fromkeys(tokenize(query)):
            at = self.vocabulary.find(term)
            if at is None:
                continue
            first, last = int(self.term_starts[at]), int(self.term_starts[at + 1])
            df = last - first
            if not df:
                continue
            idf = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            where = self.passages[first:last]
            tf = self.counts[first:last].astype(np.float64)
            norm = K1 * (1 - B + B * self.lengths[where] / average)
            scores[where] += idf * tf * (K1 + 1) / (tf + norm)
        return scores

    def scores(self, query: str, versions: set[str] | None = None) -> dict[tuple[str, int], float]:
        """The BM25 score of every passage that shares a term with the query, keyed by (meeting
        version, passage index); `versions` limits which meetings are listed."""
        import numpy as np

        array = self.score_array(query)
        found: dict[tuple[str, int], float] = {}
        for at in np.flatnonzero(array).tolist():
            m = int(np.searchsorted(self.starts, at, side="right")) - 1
            if versions is None or self.versions[m] in versions:
                found[(self.versions[m], at - int(self.starts[m]))] = float(array[at])
        return found


class _Entries(NamedTuple):
    """Postings of some meetings: each entry's term (a position in `terms`), passage and count."""

    terms: list[str]
    term: np.ndarray
    passage: np.ndarray
    counts: np.ndarray


def _entries(terms: dict[str, list[int]], start: int) -> _Entries:
    """The entries of one meeting's postings, its passages numbered from `start`."""
    import numpy as np

    flat: list[int] = []
    for posting in terms.values():
        flat.extend(posting)
    pairs = np.asarray(flat, dtype=np.int64).reshape(-1, 2)
    term = np.repeat(np.arange(len(terms)), [len(p) // 2 for p in terms.values()])
    return _Entries(list(terms), term, pairs[:, 0] + start, pairs[:, 1])


def _assemble(order: list[str], lengths: list[np.ndarray], parts: list[_Entries]) -> LexicalIndex:
    """An index from its meetings' passage lengths and entries: the vocabulary sorted (only terms
    some passage holds) and the entries grouped by term."""
    import numpy as np

    every = sorted(set().union(*(p.terms for p in parts)))
    ids = {t: at for at, t in enumerate(every)}
    term = np.concatenate([np.asarray([ids[t] for t in p.terms], dtype=np.int64)[p.term] for p in parts])
    used, term = np.unique(term, return_inverse=True)  # a term no meeting holds any more goes
    vocabulary = [every[at] for at in used.tolist()]
    by_term = np.argsort(term, kind="stable")
    term_starts = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum(np.bincount(term, minlength=len(vocabulary)), out=term_starts[1:])
    starts = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum([len(x) for x in lengths], out=starts[1:])
    return LexicalIndex(
        list(order),
        starts,
        np.concatenate([np.zeros(0, dtype=np.int32), *lengths]).astype(np.int32),
        Vocabulary.of(vocabulary),
        term_starts,
        np.concatenate([p.passage for p in parts]).astype(np.int32)[by_term],
        np.concatenate([p.counts for p in parts]).astype(np.int32)[by_term],
    )
