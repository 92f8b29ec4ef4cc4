"""The lexical signal: BM25 over passages, from per-meeting postings kept in the store.

Each stored meeting version carries its postings (term -> passages and counts), written once at
ingest. A search merges the postings of the meetings it may look at, so exact names, numbers and
product terms are found without reading every passage.
"""

from __future__ import annotations

import json
import math
import re

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


class LexicalIndex:
    """BM25 over the union of several meetings' postings."""

    def __init__(self, postings: dict[str, str | dict]):
        """`postings` maps a meeting version to its postings document (or the parsed object)."""
        self._meetings: dict[str, dict] = {}
        total_length = 0
        self.size = 0
        for version, document in postings.items():
            data = json.loads(document) if isinstance(document, str) else document
            self._meetings[version] = data
            total_length += sum(data["lengths"])
            self.size += len(data["lengths"])
        self._average = total_length / self.size if self.size else 1.0

    def versions(self) -> set[str]:
        return set(self._meetings)

    def postings(self, version: str) -> dict:
        """The parsed postings of one meeting version, to reuse when the index is rebuilt."""
        return self._meetings[version]

    def scores(self, query: str, versions: set[str] | None = None) -> dict[tuple[str, int], float]:
        """The BM25 score of every passage that shares a term with the query, keyed by (meeting
        version, passage index).

        Document frequencies are over the whole index, so a score means the same whatever the
        filter; `versions` limits which meetings are scored.
        """
        terms = list(dict.fromkeys(tokenize(query)))
        scores: dict[tuple[str, int], float] = {}
        if not terms or not self.size:
            return scores
        for term in terms:
            df = sum(len(m["terms"].get(term, ())) // 2 for m in self._meetings.values())
            if not df:
                continue
            idf = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            for version, data in self._meetings.items():
                if versions is not None and version not in versions:
                    continue
                posting = data["terms"].get(term)
                if not posting:
                    continue
                lengths = data["lengths"]
                for i in range(0, len(posting), 2):
                    index, tf = posting[i], posting[i + 1]
                    norm = K1 * (1 - B + B * lengths[index] / self._average)
                    key = (version, index)
                    scores[key] = scores.get(key, 0.0) + idf * tf * (K1 + 1) / (tf + norm)
        return scores
