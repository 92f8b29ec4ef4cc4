"""The library's front door: what each command does, callable from Python without Click.

    from synth.app import Synth
    synth = Synth(Settings.from_env(store="store"))
    synth.ingest(["examples/"])
    for hit in synth.search("onboarding"):
        print(hit.source, hit.start_line, hit.text)
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .config import Settings
from .errors import NotFoundError
from .ingest import Ingestor, SourceFile, expand_paths
from .models import Answer, IngestReport, Insight, MeetingRecord, SearchHit
from .readers import ReadOptions
from .retriever import Filters, Retriever

ROSTER_SETTING = "roster"


class Synth:
    """One store, one embedder, opened when first needed."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._store = None
        self._embedder = None
        self._retriever: Retriever | None = None

    @property
    def embedder(self):
        if self._embedder is None:
            from .embeddings import get_embedder

            s = self.settings
            self._embedder = get_embedder(s.embeddings, api_key=s.api_key, base_url=s.base_url)
        return self._embedder

    def store(self, create: bool = True):
        if self._store is None:
            from .embeddings import MINILM
            from .store import Store

            name = MINILM if self.settings.embeddings == "minilm" else f"openai:{self.settings.embeddings}"
            self._store = Store(self.settings.store, name, lambda: self.embedder, create=create)
        return self._store

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = Retriever(self.store(create=False), self.embedder)
        return self._retriever

    # --- commands -----------------------------------------------------------------------------

    def ingest(self, paths: list[str], options: ReadOptions | None = None,
               on_files: Callable[[list[SourceFile]], Callable | None] | None = None,
               stdin: bytes | None = None, extract: bool = True,
               on_meeting: Callable[[str], None] | None = None) -> IngestReport:
        """Ingest files, folders, globs or '-' (standard input). Bad files are reported, not raised."""
        options = options or ReadOptions()
        report = IngestReport()
        files = expand_paths(paths, report, skip=self.settings.store)
        store = self.store()
        if not options.roster:
            options.roster = store.get_setting(ROSTER_SETTING) or {}
        progress = on_files(files) if on_files else None
        stored: list = []
        if files:
            ingestor = Ingestor(store, self.embedder, options)
            ingestor.ingest(files, report, progress, stdin)
            stored = ingestor.stored
        if extract:
            # this run's meetings, and any an interrupted run left without insights
            done = {m.meeting_id for m, _ in stored}
            from .pipeline import reconstruct

            stored += [(reconstruct(store, r), r) for r in store.meeting_records()
                       if r.extraction == "pending" and r.meeting_id not in done]
            self._extract(stored, report, use_cache=True, on_meeting=on_meeting)
        return report

    def _extract(self, work, report: IngestReport, use_cache: bool, on_meeting=None) -> None:
        from .pipeline import extract_meetings, get_extractor

        if not work:
            return
        store = self.store()
        extractor = get_extractor(self.settings, store, self.embedder)
        extract_meetings(store, self.embedder, work, extractor, report, jobs=self.settings.jobs,
                         use_cache=use_cache, progress=on_meeting)

    def extract(self, meeting: str | None = None, everything: bool = False, retry_failed: bool = False,
                on_meeting=None) -> IngestReport:
        """Run extraction again on purpose (the model is called again; the cache is not used),
        for one meeting, all of them, or those whose extraction failed (cached parts are reused)."""
        from .errors import SynthError
        from .pipeline import reconstruct

        records = self.meetings()
        if meeting:
            chosen = [self._match_meeting(meeting, records)]
        elif everything:
            chosen = records
        elif retry_failed:
            chosen = [r for r in records if r.extraction in ("failed", "partial", "pending")]
        else:
            raise SynthError("say which meetings: synth extract MEETING, --all, or --retry-failed")
        report = IngestReport()
        store = self.store()
        work = [(reconstruct(store, r), r) for r in chosen]
        self._extract(work, report, use_cache=retry_failed and not meeting and not everything, on_meeting=on_meeting)
        report.meetings = len(work)
        return report

    def insights(self, kind: str | None = None, team: str | None = None, filters: Filters | None = None,
                 status: str | None = None) -> list[Insight]:
        """Stored insights (of the visible extraction runs), oldest meeting first."""
        filters = filters or Filters()
        records = self.meetings()
        if filters.meeting:
            records = [self._match_meeting(filters.meeting, records)]
        records = [r for r in records if r.extraction_run
                   and (filters.since is None or r.date >= filters.since.isoformat())
                   and (filters.until is None or r.date <= filters.until.isoformat())]
        found = self.store(create=False).insights([r.extraction_run for r in records], kind=kind, team=team,
                                                  meeting_ids=[r.meeting_id for r in records])
        if status:
            found = [i for i in found if i.status == status]
        return sorted(found, key=lambda i: (i.date, i.meeting_id, i.start_line, i.kind))

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[SearchHit]:
        """The k best passages for a query."""
        return self.retriever.search(query, k, filters)

    def ask(self, question: str, filters: Filters | None = None, k: int = 6,
            on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer a question from the meetings, citing passages."""
        from .answer import answer_question

        return answer_question(self, question, filters or Filters(), k, on_token)

    def meetings(self) -> list[MeetingRecord]:
        return self.store(create=False).meeting_records()

    def forget(self, meeting: str) -> tuple[MeetingRecord, int]:
        """Remove one meeting, named by id or by a unique part of its title."""
        record = self._match_meeting(meeting, self.meetings())
        removed = self.store().forget(record.meeting_id)
        return record, removed

    @staticmethod
    def _match_meeting(meeting: str, records: list[MeetingRecord]) -> MeetingRecord:
        wanted = meeting.strip().lower()
        matches = [r for r in records if r.meeting_id.lower() == wanted] or \
                  [r for r in records if wanted in r.title.lower()]
        if not matches:
            raise NotFoundError(f"no meeting matches {meeting!r}; `synth meetings` lists them")
        if len(matches) > 1:
            names = ", ".join(r.meeting_id for r in matches[:5])
            raise NotFoundError(f"{meeting!r} matches {len(matches)} meetings ({names}); give the meeting id")
        return matches[0]

    def set_roster(self, path: str | Path) -> dict[str, str]:
        from .roster import load_roster

        roster = load_roster(path)
        self.store().set_setting(ROSTER_SETTING, roster)
        return roster

    def roster(self) -> dict[str, str]:
        return self.store(create=False).get_setting(ROSTER_SETTING) or {}

    def status(self) -> dict:
        """Store, counts and model settings; never a secret."""
        info = {"settings": self.settings.describe()}
        if not Path(self.settings.store).exists():
            info["store"] = {"exists": False, "meetings": 0, "passages": 0}
            return info
        store = self.store(create=False)
        records = store.meeting_records()
        info["store"] = {
            "exists": True, "meetings": len(records), "passages": store.count_passages(),
            "turns": sum(r.turns for r in records),
            "first_meeting": records[0].date if records else None,
            "last_meeting": records[-1].date if records else None,
            "roster_people": len(store.get_setting(ROSTER_SETTING) or {}),
            "insights": sum(r.insights for r in records if r.extraction_run),
            "extraction": {state: sum(1 for r in records if r.extraction == state)
                           for state in ("done", "partial", "failed", "pending")},
            "extraction_failures": [f"{r.meeting_id}: {r.extraction_error}" for r in records
                                    if r.extraction in ("failed", "partial")],
            "llm_calls": sum(r.llm_calls for r in records),
            "prompt_tokens": sum(r.prompt_tokens for r in records),
            "completion_tokens": sum(r.completion_tokens for r in records),
        }
        return info
