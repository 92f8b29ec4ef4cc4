"""Turn-aware chunking: passages never cut a speaker turn unless the turn alone is too long."""

from __future__ import annotations

import re

from .models import Meeting, Passage, Turn
from .store.codec import passage_id  # the store owns the id scheme of passages

MAX_CHARS = 900
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


_MARKERS = re.compile(r"\{[a-z]+\}|\[(?:inaudible|crosstalk|laughter|laughs|music|silence)\]", re.I)
_FILLERS = re.compile(r"(?<![\w'])(?:um+|uh+|erm|er|hmm+|mm+-?hmm+|mm+|uh-huh|you know|i mean)(?![\w'])\s*[,.]?", re.I)
_BACKCHANNEL = re.compile(
    r"^(?:\W|yeah|yes|yep|no|okay|ok|right|sure|mm-hmm|uh-huh|mm|hmm|oh|ah|so|well|and|but|alright|great|cool|good|exactly|true)*$",
    re.I,
)


def embedding_text(text: str) -> str:
    """What the embedding model sees of a passage: transcription markers, fillers and bare
    backchannel lines ("Mm-hmm.", "Yeah.") removed; they carry no topic and dilute the vector."""
    kept = []
    for line in text.split("\n"):
        speaker, sep, body = line.partition(": ")
        if not sep:
            speaker, body = "", line
        body = _FILLERS.sub("", _MARKERS.sub("", body))
        body = re.sub(r"(?<!\s)\s+([,.?!])", r"\1", re.sub(r"\s+", " ", body)).strip(" ,")
        if not body or _BACKCHANNEL.match(body.replace(" ", "")):
            continue
        kept.append(f"{speaker}: {body}" if speaker else body)
    return "\n".join(kept) or text


def turn_line(turn: Turn) -> str:
    text = " ".join(turn.text.split("\n"))
    return f"{turn.speaker}: {text}" if turn.speaker else text


def chunk_meeting(meeting: Meeting, max_chars: int = MAX_CHARS) -> list[Passage]:
    """Pack whole turns into passages of at most `max_chars`; split only a turn that is longer."""
    pieces: list[Turn] = []
    for turn in meeting.turns:
        pieces.extend(split_long_turn(turn, max_chars))
    groups: list[list[Turn]] = []
    size = 0
    for piece in pieces:
        length = len(turn_line(piece)) + 1
        if groups and size + length <= max_chars:
            groups[-1].append(piece)
            size += length
        else:
            groups.append([piece])
            size = length
    passages = []
    for index, group in enumerate(groups):
        speakers = list(dict.fromkeys(t.speaker for t in group if t.speaker))
        teams = sorted(
            {meeting.speaker_teams.get(s, "unknown") for s in speakers} | ({meeting.team} if meeting.team else set())
        )
        passages.append(
            Passage(
                id=passage_id(meeting.meeting_id, meeting.content_hash, index),
                meeting_id=meeting.meeting_id,
                version=meeting.content_hash,
                index=index,
                text="\n".join(turn_line(t) for t in group),
                start_line=group[0].start_line,
                end_line=max(t.end_line for t in group),
                speakers=speakers,
                teams=[t for t in teams if t != "unknown"] or ["unknown"],
                turns=[(t.start_line, t.end_line, t.speaker) for t in group],
            )
        )
    return passages


def split_long_turn(turn: Turn, max_chars: int) -> list[Turn]:
    """A turn longer than a passage, cut at sentence ends (at spaces for a run-on sentence)."""
    prefix = len(turn.speaker) + 2 if turn.speaker else 0
    budget = max(200, max_chars - prefix)
    if len(turn.text) <= budget:
        return [turn]
    sentences: list[str] = []
    for sentence in _SENTENCE_END.split(turn.text):
        while len(sentence) > budget:
            cut = sentence.rfind(" ", 0, budget)
            cut = cut if cut > budget // 2 else budget
            sentences.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            sentences.append(sentence)
    parts: list[str] = []
    for sentence in sentences:
        if parts and len(parts[-1]) + 1 + len(sentence) <= budget:
            parts[-1] = f"{parts[-1]} {sentence}"
        else:
            parts.append(sentence)
    # Line numbers: a long turn usually sits on one line; spread multi-line turns proportionally.
    span = turn.end_line - turn.start_line
    result, done, total = [], 0, sum(len(p) for p in parts)
    for part in parts:
        first = turn.start_line + (span * done) // total
        done += len(part)
        last = turn.start_line + (span * done + total - 1) // total
        result.append(
            Turn(
                speaker=turn.speaker, text=part, start_line=first, end_line=max(first, last), start_time=turn.start_time
            )
        )
    return result
