"""The offline extractor: insights without a language model.

Each sentence of the transcript is a candidate. Decisions, actions and roadblocks come from a
small softmax classifier over the sentence's MiniLM embedding, cue-phrase features and its
position in the meeting, trained on the AMI train meetings (bench/train_offline.py writes
synth/data/offline_model.json); its probability is the confidence. Findings, assumptions and
requests have no training data there, so they come from cue phrases alone, with lower
confidences that say so. The quote is always the transcript sentence itself.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .check.compare import PROMISE, REFUTES, SUPPORTS, read
from .chunker import _MARKERS
from .extraction import ModelInsight
from .models import Meeting

MODEL_FILE = Path(__file__).resolve().parent / "data" / "offline_model.json"
CLASSES = ("none", "decision", "action", "roadblock")
MIN_WORDS = 5

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
_FILLERS = re.compile(r"(?<![\w'])(?:um+|uh+|erm|er|hmm+|mm+-?hmm+|mm+|uh-huh)(?![\w'])\s*[,.]?", re.I)
_DAYS = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|next week|next month|"
    r"end of (?:the )?(?:day|week|month|quarter|sprint)|eod|eow|the next meeting|q[1-4])"
)

CUES: dict[str, list[str]] = {
    "decision": [
        r"\b(?:we(?:'ve| have)? decided|decision is|we(?:'re| are) going with|we(?:'ll| will) go with|let's go with|"
        r"agreed|we agree|settled on|final answer|that's settled|"
        r"we(?:'ll| will) (?:use|keep|drop|stick with|ship|launch)|"
        r"so we(?:'ll| will)|we(?:'re| are) not going to|we won't|go ahead with)\b",
    ],
    "action": [
        r"\b(?:i|i'll|you|we|he|she|they)"
        r"(?:'ll| will| are going to| am going to|'m going to|'re going to| need to| should| gonna|'m gonna) "
        r"(?:send|look|work|check|follow|write|prepare|draft|update|schedule|talk|call|email|set up|share|find|make|"
        r"get|put|bring|book|review|test|fix|ask|run|create|build|design|sketch|present)\b",
        r"\b(?:action item|to do|todo|can you|could you|please|by " + _DAYS + r"|before " + _DAYS + r"|next time)\b",
    ],
    "roadblock": [
        r"\b(?:blocked|blocker|blocking|stuck|can't|cannot|unable|couldn't|problem|issue|bug|broken|fails?|failing|"
        r"waiting (?:on|for)|depends on|delay(?:ed)?|risk|hard to|difficult|too (?:expensive|slow|complicated|hard)|"
        r"not possible|doesn't work|don't work|won't work|limitation|constraint|bottleneck)\b",
    ],
    "assumption": [
        r"\b(?:i assume|we assume|assuming|assumption|presumably|i bet|i guess|i'd guess|should be fine|"
        r"nobody (?:really )?(?:needs|wants|uses|cares)|no one (?:needs|wants|uses)|everyone (?:has|wants|needs|uses)|"
        r"(?:most|all) (?:customers|users|people|shops|teams) (?:will|would|don't|won't|have|want)|we believe|"
        r"hypothes[ie]s|my guess|i'm pretty sure|i'm sure they|they'll probably|probably (?:fine|won't|will|don't))\b",
    ],
    "request": [
        r"\b(?:is a must|must have|deal breaker|has to (?:work|be|support|run)|(?:will|won't|will not) approve|"
        r"asked (?:for|about|if|whether|us|how|when|to)|"
        r"can (?:it|beacon|the app|your app) (?:book|do|handle|support|schedule|sync)|"
        r"requested|requests?|wish(?:es|ed)? (?:we|it|there|they)|would love|"
        r"want(?:s|ed)? (?:a|an|to be able|us to)|need(?:s|ed)? (?:a|an|to be able|us to)|feature request|"
        r"can we (?:get|add|have)|if only|please add|would like (?:a|an|to see|us to)|kept asking)\b",
    ],
    "finding": [
        r"\b(?:(?:customers?|users?|clients?|prospects?|buyers?|technicians|owners|dispatchers|people) "
        r"(?:told|said|say|says|mentioned|complained|reported|keep|kept|love|hate|don't|do not|are|were|prefer|use)|"
        r"we (?:found|learned|heard|saw|noticed|discovered)|found that|turns out|(?:nobody|no one) (?:has )?asked|"
        r"(?:do not|don't|doesn't|does not|never) care about|gave up|the data|data shows|survey|"
        r"interviews?|research|percent|churn(?:ed)?|conversion|trial|competitors?)\b",
    ],
}
_COMPILED = {kind: [re.compile(p, re.I) for p in patterns] for kind, patterns in CUES.items()}
CUE_KINDS = tuple(CUES)
# Confidence of the cue-only kinds: a cue is evidence, not proof.
CUE_CONFIDENCE = {"assumption": 0.45, "request": 0.45, "finding": 0.4}
# Cues the classifier's features do not carry, applied after it: a promise to a customer, a
# plainly stated blocker, a belief ("I think ..."), and evidence about an assumption (a finding).
_BLOCKED = re.compile(
    r"\b(?:(?:is|are|am|still|we're|i'm) blocked|blocker|roadblock|stuck on|waiting on|"
    r"can(?:no|')t ship|has not (?:approved|raised)|hasn't (?:approved|raised))\b",
    re.I,
)
_BELIEF = re.compile(r"\b(?:i (?:still )?think|i believe|we believe|my bet is|i'm convinced|i feel like)\b", re.I)
_EVIDENCE_ABOUT_ASSUMPTION = re.compile(REFUTES.pattern + "|" + SUPPORTS.pattern, re.I)
_PRONOUN = re.compile(r"\b(?:it|that|this|them|those)\b", re.I)
LATE_CONFIDENCE = {"promise": 0.5, "roadblock": 0.5, "assumption": 0.35, "finding": 0.4}


def clean(text: str) -> str:
    """A sentence without transcription markers and fillers."""
    text = _FILLERS.sub("", _MARKERS.sub("", text))
    return re.sub(r"\s+([,.?!])", r"\1", re.sub(r"\s+", " ", text)).strip(" ,")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def cue_vector(text: str) -> list[float]:
    """One feature per kind: whether any of its cue phrases occurs."""
    return [1.0 if any(p.search(text) for p in _COMPILED[kind]) else 0.0 for kind in CUE_KINDS]


def features(embedding, text: str, position: float) -> list[float]:
    """What the classifier sees of a sentence."""
    n_words = len(text.split())
    return list(embedding) + cue_vector(text) + [position, position * position, min(n_words, 40) / 40.0, 1.0]


@lru_cache(maxsize=1)
def load_model() -> dict:
    data = json.loads(MODEL_FILE.read_text())
    import numpy as np

    data["W"] = np.asarray(data["weights"], dtype=np.float32)
    return data


def probabilities(rows: list[list[float]]):
    import numpy as np

    model = load_model()
    x = np.asarray(rows, dtype=np.float32)
    logits = x @ model["W"]
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


class Candidate(NamedTuple):
    """A sentence the extractor considers."""

    sentence: str  # as written
    speaker: str | None
    position: float  # in the meeting: 0 at the first turn, 1 at the last
    cleaned: str  # without transcription markers and fillers
    start_line: int  # first and last line of its turn
    end_line: int
    previous: str | None  # the sentence before it in the turn


class OfflineExtractor:
    """Cue phrases and a trained classifier over sentence embeddings; no network."""

    offline = True
    name = "offline"

    def __init__(self, embedder, thresholds: dict[str, float] | None = None):
        self.embedder = embedder
        self.thresholds = thresholds or load_model()["thresholds"]

    def candidates(self, meeting: Meeting) -> list[Candidate]:
        """Each sentence long enough to say something, with where it stands (see `Candidate`)."""
        total = max(1, len(meeting.turns) - 1)
        found: list[Candidate] = []
        for index, turn in enumerate(meeting.turns):
            previous = None
            for sentence in sentences(turn.text):
                cleaned = clean(sentence)
                if len(cleaned.split()) >= MIN_WORDS:
                    found.append(
                        Candidate(
                            sentence, turn.speaker, index / total, cleaned, turn.start_line, turn.end_line, previous
                        )
                    )
                previous = sentence
        return found

    def scores(self, meeting: Meeting):
        """Candidates with their class probabilities and cue flags."""
        found = self.candidates(meeting)
        if not found:
            return found, None, []
        vectors = self.embedder.embed([c[3] for c in found])
        rows = [features(v, c[3], c[2]) for v, c in zip(vectors, found)]
        return found, probabilities(rows), [cue_vector(c[3]) for c in found]

    def extract(self, meeting: Meeting) -> list[ModelInsight]:
        found, probs, cues = self.scores(meeting)
        items: list[ModelInsight] = []
        for (sentence, speaker, _, cleaned, _, _, previous), p, cue in zip(
            found, probs if probs is not None else [], cues
        ):
            labelled = _LABELLED.match(cleaned)
            if labelled:  # notes that say what a line is: "Action: ...", "Decision: ..."
                kind = _LABEL_KINDS[labelled.group(1).lower()]
                items.append(self._item(kind, sentence, cleaned[labelled.end() :], speaker, LABEL_CONFIDENCE))
                continue
            if PROMISE.search(cleaned):
                items.append(self._item("promise", sentence, cleaned, speaker, LATE_CONFIDENCE["promise"], previous))
                continue
            if _EVIDENCE_ABOUT_ASSUMPTION.search(cleaned) and re.search(
                r"\b(?:assum|idea|hypothes|belie)", cleaned, re.I
            ):
                # "that breaks my assumption": evidence about an assumption, not one
                items.append(self._item("finding", sentence, cleaned, speaker, LATE_CONFIDENCE["finding"], previous))
                continue
            best = int(p[1:].argmax()) + 1
            kind = CLASSES[best]
            if re.search(r"\b(?:that|this|the) assumption\b", cleaned, re.I) and not _BELIEF.search(cleaned):
                cue = list(cue)
                cue[CUE_KINDS.index("assumption")] = 0.0  # talk about an assumption ("hold that assumption loosely")
            if cue[CUE_KINDS.index("assumption")] and p[best] < 0.8:
                # "I assume ..." says what it is more reliably than the classifier, which never saw one
                items.append(self._item("assumption", sentence, cleaned, speaker, CUE_CONFIDENCE["assumption"]))
                continue
            if p[best] >= self.thresholds[kind]:
                items.append(self._item(kind, sentence, cleaned, speaker, float(p[best])))
                continue
            # a cue phrase for a trained kind lowers the bar to half the threshold
            cued = [
                (float(p[i]), CLASSES[i])
                for i in range(1, len(CLASSES))
                if cue[CUE_KINDS.index(CLASSES[i])] and p[i] >= self.thresholds[CLASSES[i]] / 2
            ]
            if cued:
                confidence, kind = max(cued)
                items.append(self._item(kind, sentence, cleaned, speaker, confidence))
                continue
            if _BLOCKED.search(cleaned):
                items.append(self._item("roadblock", sentence, cleaned, speaker, LATE_CONFIDENCE["roadblock"]))
                continue
            for k, flag in zip(CUE_KINDS, cue):
                if flag and k in CUE_CONFIDENCE:
                    items.append(self._item(k, sentence, cleaned, speaker, CUE_CONFIDENCE[k], previous))
                    break
            else:
                if _BELIEF.search(cleaned):
                    items.append(
                        self._item("assumption", sentence, cleaned, speaker, LATE_CONFIDENCE["assumption"], previous)
                    )
        return items

    def _item(
        self,
        kind: str,
        sentence: str,
        cleaned: str,
        speaker: str | None,
        confidence: float,
        previous: str | None = None,
    ) -> ModelInsight:
        """An insight from one sentence (its quote); a short one that points back ("it", "that")
        takes the sentence before it into its statement, so the statement says what it is about."""
        owner = due = None
        context = ""
        if previous and _PRONOUN.search(cleaned) and len(read(cleaned).terms) <= 3:
            context = clean(previous) + " "
        if kind == "action":
            owner, due = _owner_due(cleaned, speaker)
        cleaned = re.sub(r"^[\s\-*•>#]+", "", context + cleaned) or cleaned
        statement = cleaned[0].upper() + cleaned[1:]
        if statement[-1] not in ".?!":
            statement += "."
        return ModelInsight(
            kind=kind,
            statement=statement,
            quote=sentence,
            speaker=speaker,
            confidence=round(confidence, 3),
            owner=owner,
            due=due,
        )


LABEL_CONFIDENCE = 0.9
_LABEL_KINDS = {
    "action": "action",
    "action item": "action",
    "ai": "action",
    "todo": "action",
    "to do": "action",
    "next step": "action",
    "decision": "decision",
    "decided": "decision",
    "agreed": "decision",
    "blocker": "roadblock",
    "blocked": "roadblock",
    "roadblock": "roadblock",
    "risk": "roadblock",
    "assumption": "assumption",
    "hypothesis": "assumption",
    "request": "request",
    "feature request": "request",
    "ask": "request",
    "finding": "finding",
    "learned": "finding",
    "insight": "finding",
}
_LABELLED = re.compile(
    r"^[\s\-*•>#]*(" + "|".join(sorted(_LABEL_KINDS, key=len, reverse=True)) + r")s?\s*[:\u2013\u2014-]\s+", re.I
)
_OWNER = re.compile(r"\b([A-Z][a-z]+)(?:'ll| will| is going to| can| to (?=[a-z]+ ))")
_DUE = re.compile(r"\b(?:by|before|on|until)\s+(" + _DAYS + r"|\d{4}-\d{2}-\d{2}|\w+ \d{1,2}(?:st|nd|rd|th)?)\b", re.I)


def _owner_due(text: str, speaker: str | None) -> tuple[str | None, str | None]:
    owner = None
    match = _OWNER.search(text)
    if match and match.group(1).lower() not in ("we", "you", "it", "that", "this", "they", "there"):
        owner = match.group(1)
    elif re.search(r"\bi(?:'ll| will| am going to|'m going to|'m gonna)\b", text, re.I):
        owner = speaker
    due = _DUE.search(text)
    return owner, due.group(1) if due else None
