"""Running extraction over stored meetings: the LLM chain (windows in parallel, cached) or the
offline extractor, then grounding, merging, and an atomic switch to the new insights.

All store access happens on the calling thread; worker threads only talk to the model.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from .errors import ModelError
from .extraction import (
    EXTRACT_PROMPT,
    MAX_INSIGHTS_PER_WINDOW,
    ExtractionOutput,
    ModelInsight,
    Window,
    ground,
    make_windows,
    merge_duplicates,
    run_id,
    user_message,
)
from .llm.chain import PromptedChain
from .llm.structured import Usage
from .models import IngestReport, Insight, Meeting, MeetingRecord
from .redact import shortened

if TYPE_CHECKING:
    from .config import Settings
    from .store import Store


@dataclass
class WindowOutcome:
    items: list[ModelInsight] | None = None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)


class LLMExtractor(PromptedChain):
    """The prompted chain: one structured call per window, all kinds at once."""

    def __init__(self, settings: Settings, store: Store):
        super().__init__(settings, store.settings, EXTRACT_PROMPT, ExtractionOutput, max_tokens=2048)

    def windows(self, meeting: Meeting) -> list[Window]:
        return make_windows(meeting, self.settings.window_chars)

    def call(self, user: str) -> WindowOutcome:
        usage = Usage()
        try:
            result = self.chat.invoke(self.prompt, user, usage)
        except ModelError as exc:
            return WindowOutcome(error=str(exc), usage=usage)
        return WindowOutcome(items=list(cast(ExtractionOutput, result.value).insights), usage=usage)


def reconstruct(store: Store, record: MeetingRecord) -> Meeting:
    """A stored meeting with its turns, for extracting again without the source file."""
    return Meeting(
        meeting_id=record.meeting_id,
        title=record.title,
        date=dt.date.fromisoformat(record.date),
        team=record.team,
        attendees=record.attendees,
        source=record.source,
        format=record.format,
        content_hash=record.version,
        turns=store.meetings.turns(record),
        speaker_teams=record.speaker_teams,
    )


def extract_meetings(
    store: Store,
    embedder,
    work: list[tuple[Meeting, MeetingRecord]],
    extractor,
    report: IngestReport,
    jobs: int = 4,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Extract insights for each (meeting, record) and commit them; failures are recorded on the
    meeting (and in the report), never raised."""
    if not work:
        return
    if extractor.offline:
        for meeting, record in work:
            items = extractor.extract(meeting)
            window = Window(0, meeting.turns, "")
            _finish(store, embedder, meeting, record, [(window, WindowOutcome(items=items))], extractor, report)
            if progress:
                progress(meeting.meeting_id)
        return

    plans: dict[str, list[tuple[Window, str, str]]] = {}
    for meeting, _ in work:
        windows = extractor.windows(meeting)
        plans[meeting.meeting_id] = [
            (w, user := user_message(meeting, w, len(windows)), extractor.key(user)) for w in windows
        ]
    keys = [key for plan in plans.values() for _, _, key in plan]
    cached = store.cache.get_many(keys) if use_cache else {}
    outcomes: dict[str, list[WindowOutcome | None]] = {m.meeting_id: [None] * len(plans[m.meeting_id]) for m, _ in work}
    by_id = {m.meeting_id: (m, r) for m, r in work}
    remaining = {mid: len(plan) for mid, plan in plans.items()}

    def settle(meeting_id: str, index: int, outcome: WindowOutcome, key: str | None = None) -> None:
        """Record a window's outcome (caching a fresh reply); finish its meeting when complete."""
        if key is not None and outcome.items is not None:
            store.cache.put(key, ExtractionOutput(insights=outcome.items).model_dump_json())
        outcomes[meeting_id][index] = outcome
        remaining[meeting_id] -= 1
        if remaining[meeting_id] == 0:
            meeting, record = by_id[meeting_id]
            done = [o for o in outcomes[meeting_id] if o is not None]  # all of them, now
            pairs = [(plan[0], o) for plan, o in zip(plans[meeting_id], done)]
            _finish(store, embedder, meeting, record, pairs, extractor, report)
            if progress:
                progress(meeting_id)

    pending = []
    for meeting_id, plan in plans.items():
        if not plan:  # a meeting with no text: nothing to ask the model
            meeting, record = by_id[meeting_id]
            _finish(store, embedder, meeting, record, [], extractor, report)
            continue
        for index, (_, user, key) in enumerate(plan):
            if key in cached:
                try:
                    items = ExtractionOutput.model_validate_json(cached[key]).insights
                except ValueError:
                    pending.append((meeting_id, index, user, key))
                    continue
                report.cache_hits += 1
                settle(meeting_id, index, WindowOutcome(items=list(items)))
            else:
                pending.append((meeting_id, index, user, key))
    if pending and not extractor.chat.confirmed:
        # one call first, alone: it finds the structured-output method this server takes, so
        # the parallel calls after it do not each discover a refusal
        meeting_id, index, user, key = pending.pop(0)
        settle(meeting_id, index, extractor.call(user), key)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {
            pool.submit(extractor.call, user): (meeting_id, index, key) for meeting_id, index, user, key in pending
        }
        for future in as_completed(futures):
            meeting_id, index, key = futures[future]
            settle(meeting_id, index, future.result(), key)
    extractor.remember()


def _finish(
    store: Store,
    embedder,
    meeting: Meeting,
    record: MeetingRecord,
    results: list[tuple[Window, WindowOutcome]],
    extractor,
    report: IngestReport,
) -> None:
    """Ground, merge and store one meeting's insights, then point its record at them."""
    insights: list[Insight] = []
    usage = Usage()
    errors = []
    dropped = 0
    for window, outcome in results:
        usage.add(outcome.usage)
        if outcome.items is None:
            # a failure reason is stored and shown: it is a SynthError's message, masked when made
            errors.append(f"part {window.index + 1}: {outcome.error or ''}")
            continue
        grounded = ground(
            outcome.items,
            window,
            meeting,
            extractor.name,
            prompt=getattr(extractor, "prompt", ""),
            limit=None if extractor.offline else MAX_INSIGHTS_PER_WINDOW,
        )
        insights.extend(grounded.insights)
        dropped += grounded.dropped
    vectors = embedder.embed([i.statement for i in insights]) if insights else []
    insights, kept = merge_duplicates(insights, vectors)
    vectors = [vectors[i] for i in kept]

    failed_all = bool(results) and len(errors) == len(results)
    status = "failed" if failed_all else "partial" if errors else "done"
    new_run = run_id(meeting.content_hash, extractor.name)
    keep_run = record.extraction_run if failed_all else new_run
    record = record.model_copy(
        update=dict(
            extraction=status,
            extraction_error=shortened(f"{len(errors)} of {len(results)} parts failed; " + "; ".join(errors[:3]), 1000)
            if errors
            else None,
            extraction_run=keep_run,
            extractor=extractor.name if not failed_all else record.extractor,
            insights=len(insights) if not failed_all else record.insights,
            llm_calls=record.llm_calls + usage.calls,
            prompt_tokens=record.prompt_tokens + usage.prompt_tokens,
            completion_tokens=record.completion_tokens + usage.completion_tokens,
        )
    )
    store.insights.write_run(record, None if failed_all else new_run, insights, vectors)
    report.llm_calls += usage.calls
    report.dropped_ungrounded += dropped
    if errors:
        report.extraction_failed.append(f"{meeting.source}: extraction {status}: {record.extraction_error}")
    if not failed_all:
        for insight in insights:
            report.insights[insight.kind] = report.insights.get(insight.kind, 0) + 1


def get_extractor(settings, store, embedder):
    """The LLM chain when a model is configured, else the offline extractor."""
    if settings.llm_configured:
        return LLMExtractor(settings, store)
    from .offline import OfflineExtractor

    return OfflineExtractor(embedder)


def dumps_insights(insights: list[Insight]) -> str:
    return json.dumps([i.model_dump() for i in insights], indent=2)
