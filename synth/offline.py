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

# A belief said as one ("I assume", "our hypothesis"), unlike a hedge ("I guess", "probably").
_EXPLICIT_BELIEF = re.compile(
    r"\b(?:i assume|we assume|assuming|assumption|hypothes[ie]s|we believe|i bet|my bet|we bet|we're betting)\b", re.I
)

# Kinds said without cue words (issue 15): how people write them in notes and say them in calls.
_NUM = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|half)"
_PEOPLE = (
    r"(?:customers?|users?|people|clients?|teams?|plants?|floors?|shops?|sites?|warehouses?|drivers?|techs?|"
    r"technicians?|buyers?|merchants?|managers?|owners?|operators?|leads?|companies|businesses|carriers?|"
    r"engineers?|admins?|schools?|clinics?|stores?|restaurants?|patients?|families|parents|students|teachers)"
)
# A first-person commitment: "I'll add ...", "I send the quote on Friday", "ok I call Frank tomorrow".
_COMMIT = re.compile(
    r"(?i:(?:^|[.;:!?]\s+|\b(?:ok|okay|so|then|and|yes|sure),?\s+)"
    r"i(?:'ll| will| am going to|'m going to|'m gonna)\s+"
    r"(?:send|call|ask|check|add|write|book|share|prepare|follow|set|fix|look|talk|get|put|update|draft|schedule|"
    r"push|bump|email|mail|phone|ping|bring|do|make|build|test|review|try|organise|organize|arrange|chase|visit)\b)"
    r"|\b[A-Z][a-z]+(?:'s| is) on it\b|\b[A-Z][a-z]+,? you (?:make|do|take|send|write|build|check)\b",
)
# "I send the quote on Friday": a plain first person with a time is a commitment too.
_I_DO = re.compile(r"(?:^|[.;:!?]\s+|\b(?:ok|okay|so|then|and|yes|sure),?\s+)i(?:'ll| will| can)?\s+[a-z]+", re.I)
_TIMED = re.compile(
    r"\b(?:today|tomorrow|tonight|this week|next week|on (?:mon|tue|wed|thu|fri)\w*|by \w+|until \w+)\b", re.I
)
# A team deciding: "we'll build the importer first", "we stop the campaign", "let's try one campaign",
# and decisions written as questions about what the team will do ("do we cut a build for X?").
_WE_DECIDE = re.compile(
    r"\b(?:we(?:'ll| will| are going to|'re going to)? (?:build|ship|go with|stop|drop|cut|put|keep|pull|"
    r"launch|switch|pick|choose|focus|skip|delay|postpone|kill|cancel)|let's (?:prototype|build|ship|go with|"
    r"keep|drop|pilot|target|launch|cut|use)|my answer is|i say (?:yes|no)|we (?:decided|agreed|settled))\b",
    re.I,
)
_ASK_DECIDE = re.compile(
    r"^(?:\W*)(?:so,? |ok,? |and )?(?:do|shall) we (?:build|ship|go with|cut|pull|keep|pilot|launch|drop|stop|"
    r"switch|commit|push|delay|book)\b[^?]*\?"
    r"|^(?:\W*)we (?:go with|put|build|ship|cut|pull|keep|stop|drop)\b[^?]*\?",
    re.I,
)
# Trouble said plainly: "the import stops when the file has 3,500 rows", "it's taken us three days".
_TROUBLE = re.compile(
    r"\b(?:stops? when|falls? over|crash(?:es|ed|ing)?|times? out|timed out|drops? (?:their|the|its|out)|"
    r"pins? (?:the|it|our)|won't (?:open|budge|let|allow|work|load|start)|can't (?:use|get|open|reach|see|find)|"
    r"(?:is|are) closed|takes? (?:too )?long|(?:is|are) taking|(?:has|have) taken|it's taken|confusing|"
    r"must (?:click|do|type|enter|re-?enter)|nobody knows|no one knows|(?:is|are) broken|doesn't (?:work|load|sync)|"
    r"never (?:finished|worked|loads?|arrived)|not working|keeps? (?:failing|crashing|dropping)|goes down|went down|"
    r"froze|freezes|frozen|hangs|by hand|manually|double-?key\w*|re-?key\w*|re-?typ\w*|"
    r"i had to (?:type|enter|key|copy)|dead on arrival|deal ?breaker|non-?starter|show-?stopper|"
    r"(?:will not|won't) (?:sign|approve|go live|pay|buy|use))\b",
    re.I,
)
# A number that was measured or counted: "median 5 days", "five of the seven techs", "41% to 63%".
_MEASURED = re.compile(
    r"\b(?:median|average|mean|avg)\b|\b" + _NUM + r" (?:out )?of (?:the |our )?(?:" + _NUM + r"|\w+ " + _NUM + r")\b|"
    r"(?<!\d)\d+(?:[.,]\d+)?\s?%|[$€£]\s?\d|\bwent from\b|\bof the " + _NUM + r"\b|"
    r"\b" + _NUM + r"(?: and a half)? (?:minutes|hours|days|weeks|months)\b",
    re.I,
)
# Something that happened to a customer: "Baltiq Cold left because ...", "we lost a compressor".
_EVENT = re.compile(
    r"\b(?:left because|churned|cancel(?:l)?ed|we lost|they lost|had fines|complained|silenced|switched to|"
    r"told (?:me|us)|said (?:that|they)|never finished|stayed on|gave up|described|reported|"
    r"(?:i|we) (?:saw|shadowed|watched|observed|interviewed|visited|measured|counted))\b",
    re.I,
)
# A claim about a whole class of people or things, without evidence: an assumption.
_GENERIC = re.compile(
    r"\b(?:every|all|any|most|no)\s+(?!(?:day|week|month|year|time|morning|night|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday)\b)(?:\w+\s+)?" + _PEOPLE + r"\b|\banyone (?:running|who|using|with|on)\b|"
    r"\b(?:don't|do not|doubt) (?:think )?(?:anyone|anybody)\b|\bnot a single (?:customer|user|ticket|request)\b|"
    r"\b(?:nobody|no one)(?:'s| is| has)? (?:ask|want|need|care|use|read|pay)\w*|"
    r"^(?:[\w'-]+\s+){0,2}" + _PEOPLE + r" (?:will|would|want|prefer|need|love|hate|don't|won't|always|never|"
    r"are going to|care|trust|pay|buy|close)\b",
    re.I,
)
_EVIDENCE_MARK = re.compile(
    r"\b(?:told (?:me|us)|said|we (?:saw|found|measured|learned|heard|tested)|data|survey|interviews?|"
    r"last (?:week|month|quarter|year)|in the pilot|at (?:the )?pilot|our experience|"
    + _NUM
    + r" of (?:the )?"
    + _NUM
    + r")\b|"
    r"(?<!\d)\d+(?:[.,]\d+)?\s?%",
    re.I,
)
# Minutes and bot summaries in the third person: "Adriana agreed to a small test", "Rafael agreed
# to call Lucia on Thursday".
_AGREED_TO = re.compile(r"\b(?:[A-Z][a-z]+|we|they|everyone|the team) (?:agreed|decided|committed) to\b")
# A prediction about what will happen if the team does something: "if we auto-approve, ... drops out".
_PREDICTS = re.compile(r"\b(?:i|we|she|he|they) (?:think|believe|expect|bet)s? (?:that )?if (?:we|they|you)\b", re.I)

# What a belief about the market is about: a bet the team plans around, not a design opinion.
_MARKET = re.compile(
    r"\b(?:market|segment|enterprise|smb|mid-?market|fleets?|money|revenue|price|pricing|pay|buy|deals?|churn|"
    r"convert|conversion|adoption|demand|competitors?|sell|sales)\b",
    re.I,
)
# Someone outside asking for something: "can we see the waiting time per carrier?", "we'd need ...".
_ASKS = re.compile(
    r"\b(?:can (?:we|i|you|the system|the app|your \w+|it) (?:see|have|get|keep|export|move|open|book|do|use|add|"
    r"publish|send|show)|could (?:your|the|you) \w+|we'd need|we would need|(?:needs|wants) (?:the|our|one|a|an|to)|"
    r"any news on|it would be great if|would be great to|we want to (?:see|have|get|know)|my \w+ wants|"
    r"ask(?:s|ed)? (?:again )?for|one (?:login|invoice|account|bill|report) for|"
    r"(?:i|we) (?:will |'ll )?need (?!to\b)|we'd want|want(?:s)? to know if|can (?:your|the system|the app) \w+|"
    r"can " + _PEOPLE + r" \w+)\b",
    re.I,
)
# A commitment to a customer: "we can have the SAP connection ready for you in December".
_FOR_YOU = re.compile(
    r"\b(?:ready for you|for you by|live for you|i can commit|we can commit|i'll (?:send|get|have) you\b[^.]*\bby|"
    r"i can have (?:it|that|this|a|the|your) [^.]*\bby|i'll make sure (?:of it|it)|will be in the \w+ release|"
    r"you(?:'ll| will) have (?:it|that|this)\b)",
    re.I,
)


def clean(text: str) -> str:
    """A sentence without transcription markers and fillers."""
    text = _FILLERS.sub("", _MARKERS.sub("", text))
    return re.sub(r"(?<!\s)\s+([,.?!])", r"\1", re.sub(r"\s+", " ", text)).strip(" ,")


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
            if (PROMISE.search(cleaned) and _commits(cleaned)) or _FOR_YOU.search(cleaned):
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
            if (
                cue[CUE_KINDS.index("assumption")]
                and not _EXPLICIT_BELIEF.search(cleaned)
                and not _GENERIC.search(cleaned)
            ):
                cue = list(cue)
                cue[CUE_KINDS.index("assumption")] = 0.0  # a hedge ("I guess", "probably") is not an assumption
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
            late = _late_kind(cleaned)
            if late:
                kind, confidence = late
                items.append(self._item(kind, sentence, cleaned, speaker, confidence, previous))
        return budget(items)

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
    "approved": "decision",
    "resolved": "decision",
    "learned": "finding",
    "insight": "finding",
}
_LABELLED = re.compile(
    r"^[\s\-*•>#]*(" + "|".join(sorted(_LABEL_KINDS, key=len, reverse=True)) + r")s?\s*[:\u2013\u2014-]\s+", re.I
)
_OWNER = re.compile(r"\b([A-Z][a-z]+)(?:'ll| will| is going to| can| to (?=[a-z]+ ))")
_DUE = re.compile(r"\b(?:by|before|on|until)\s+(" + _DAYS + r"|\d{4}-\d{2}-\d{2}|\w+ \d{1,2}(?:st|nd|rd|th)?)\b", re.I)


PER_KIND = 6  # insights of one kind kept per meeting, the most confident first


def budget(items: list[ModelInsight]) -> list[ModelInsight]:
    """At most PER_KIND insights of each kind per meeting, the most confident (the earliest of
    equals), in the meeting's order: a long discussion yields a handful worth reading, not dozens."""
    keep: set[int] = set()
    for kind in {i.kind for i in items}:
        ranked = sorted((k for k, i in enumerate(items) if i.kind == kind), key=lambda k: -items[k].confidence)
        keep.update(ranked[:PER_KIND])
    return [item for k, item in enumerate(items) if k in keep]


_TOLD_NOT = re.compile(r"\b(?:nobody|no one|never|didn't|did not|haven't|have not|hasn't)\b[^.]*\btold\b", re.I)
_HEDGE = re.compile(r"\b(?:might|maybe|perhaps|possibly|not sure|could be)\b", re.I)
_COMMITMENT = re.compile(
    r"\b(?:will|'ll|would|going to|gonna|by|in (?:january|february|march|april|may|june|july|august|september|"
    r"october|november|december)|q[1-4]|ready|ship(?:s|ped)?|have (?:it|that|this)|on (?:our|the) (?:roadmap|list)|"
    r"next (?:week|month|quarter|release)|this (?:week|month|quarter)|promised|guarantee[sd]?|assured|committed)\b",
    re.I,
)


def _commits(text: str) -> bool:
    """Whether a sentence that reports telling a customer something holds a commitment: a
    future, a date, a readiness; not a hedge ("there might be some slippage") or a denial
    ("nobody ever told him")."""
    return bool(_COMMITMENT.search(text)) and not _TOLD_NOT.search(text) and not _HEDGE.search(text)


def _late_kind(text: str) -> tuple[str, float] | None:
    """The kind of a sentence the classifier and the cue phrases left alone, from how it is said:
    a plainly stated blocker or trouble, a first-person commitment, a team's decision (also one
    written as a question), a request, a measured fact, a claim about a whole class of people
    (an assumption unless it gives evidence), a belief about customers. None: an opinion or
    chatter, which is not an insight ("I think we should ..." in a design discussion is not)."""
    if _BLOCKED.search(text):
        return "roadblock", LATE_CONFIDENCE["roadblock"]
    if _COMMIT.search(text) or (_I_DO.search(text) and _TIMED.search(text)):
        return "action", 0.45
    if _AGREED_TO.search(text):
        return ("action" if _TIMED.search(text) else "decision"), 0.4
    if _WE_DECIDE.search(text) or _ASK_DECIDE.search(text):
        return "decision", 0.4
    evidence = bool(_EVIDENCE_MARK.search(text) or _EVENT.search(text) or _MEASURED.search(text))
    if (_GENERIC.search(text) or _PREDICTS.search(text)) and not evidence:
        return "assumption", 0.4  # a claim about a whole class, or a prediction, before any cue
    if _TROUBLE.search(text):
        return "roadblock", 0.4
    if len(re.findall(r"\d+(?:[.,]\d+)?", text)) >= 2 and not text.rstrip().endswith("?"):
        return "finding", 0.4  # several numbers: something was counted
    about_one = re.search(r"\b(?:that|this|the|my|our) (?:assumption|hypothesis)\b", text, re.I)
    for kind, flag in zip(CUE_KINDS, cue_vector(text)):
        if kind == "assumption" and about_one and not _BELIEF.search(text):
            continue  # talk about an assumption ("hold that assumption loosely") is not one
        if flag and kind in CUE_CONFIDENCE:
            return kind, CUE_CONFIDENCE[kind]
    if _ASKS.search(text):
        return "request", 0.4
    if (_MEASURED.search(text) or _EVENT.search(text)) and not text.rstrip().endswith("?"):
        return "finding", 0.4
    about_market = re.search(r"\b" + _PEOPLE + r"\b", text, re.I) or _MARKET.search(text)
    if _BELIEF.search(text) and about_market and not evidence:
        return "assumption", LATE_CONFIDENCE["assumption"]
    return None


def _owner_due(text: str, speaker: str | None) -> tuple[str | None, str | None]:
    owner = None
    match = _OWNER.search(text)
    if match and match.group(1).lower() not in ("we", "you", "it", "that", "this", "they", "there"):
        owner = match.group(1)
    elif re.search(r"\bi(?:'ll| will| am going to|'m going to|'m gonna)\b", text, re.I):
        owner = speaker
    due = _DUE.search(text)
    return owner, due.group(1) if due else None
