"""The library's front door: what each command does, callable from Python without Click.

from synth.app import Synth
synth = Synth(Settings.from_env(store="store"))
synth.ingest(["examples/"])
for hit in synth.search("onboarding"):
    print(hit.source, hit.start_line, hit.text)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, Literal, ParamSpec, TypeVar

from . import collector
from .config import Settings
from .errors import NoStoreError, NotFoundError
from .ingest import Ingestor, SourceFile, expand_paths
from .inputs import (
    CheckReplyCache,
    DigestOwed,
    TurnsAround,
    brief_facts,
    check_inputs,
    refresh_digest,
    retrieve,
    save_check,
)
from .kinds import AssumptionStatus, FlagStatus, FlagType, Kind
from .models import (
    Answer,
    CheckReport,
    ExtractionCounts,
    Flag,
    IngestReport,
    Insight,
    MeetingRecord,
    SearchHit,
    StatusReport,
    StoreStatus,
    Tension,
    VisionVersion,
)
from .readers import ReadOptions
from .retriever import Filters, Retriever
from .store import Session

if TYPE_CHECKING:
    from .brief.model import Brief
    from .check import Judge
    from .deliver import Target
    from .embeddings import Embedder
    from .report import ReportData
    from .store import Store


P = ParamSpec("P")
R = TypeVar("R")


def _reads(method: Callable[Concatenate[Synth, P], R]) -> Callable[Concatenate[Synth, P], R]:
    """A command that only reads: on a store folder, it sees one state of the store (the data
    lock held shared while it runs), and writers wait for it (see store/locking.py)."""

    @functools.wraps(method)
    def wrapped(self: Synth, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._session(write=False):
            return method(self, *args, **kwargs)

    return wrapped


def _writes(method: Callable[Concatenate[Synth, P], R]) -> Callable[Concatenate[Synth, P], R]:
    """A command that changes the store: writers take turns (saying that they wait)."""

    @functools.wraps(method)
    def wrapped(self: Synth, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._session(write=True, command=method.__name__.replace("_", " ")):
            return method(self, *args, **kwargs)

    return wrapped


class Synth:
    """One store, one embedder, opened when first needed.

    Each command is a session (see store/session.py): a writing one holds the store's writer
    lock, a reading one the shared data lock, from its start to its end; the store is reopened
    when another process wrote since this one last looked. On a Chroma server there are no locks."""

    def __init__(
        self,
        settings: Settings,
        on_wait: Callable[[str], None] | None = None,
        *,
        embedder: Embedder | None = None,
        store: Store | None = None,
    ):
        """`embedder` replaces the one the settings name, and `store` the store they name (an open
        store, used as it is, without locks): the seams of the fast tests (tests/fakes.py)."""
        self.settings = settings
        self.on_wait = on_wait  # told when a command waits for another process's write
        self._embedder: Embedder | None = embedder
        self._retriever: Retriever | None = None
        self.session = Session(settings, lambda: self.embedder, on_wait, store=store)
        self.read_notes: list[str] = []  # what a reading command wants said on stderr (brief, report)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from .embeddings import get_embedder

            s = self.settings
            self._embedder = get_embedder(
                s.embeddings, api_key=s.api_key, base_url=s.base_url, url=s.embeddings_url, url_key=s.embeddings_key
            )
        return self._embedder

    def _session(self, write: bool, command: str = "read") -> contextlib.AbstractContextManager[None]:
        """The session of a command (see Session.command)."""
        return self.session.command(write, command)

    def store(self, create: bool = True) -> Store:
        """The store, opened when first needed (and again after another process wrote)."""
        return self.session.store(create)

    @property
    def retriever(self) -> Retriever:
        store = self.store(create=False)
        if self._retriever is None or self._retriever.store is not store:
            self._retriever = Retriever(store, self.embedder)  # a reopened store gets a new one
        return self._retriever

    # --- commands -----------------------------------------------------------------------------

    @_writes
    def ingest(
        self,
        paths: list[str],
        options: ReadOptions | None = None,
        on_files: Callable[[list[SourceFile]], Callable | None] | None = None,
        stdin: bytes | None = None,
        extract: bool = True,
        on_meeting: Callable[[str], None] | None = None,
        check: bool | None = None,
    ) -> IngestReport:
        """Ingest files, folders, globs or '-' (standard input). Bad files are reported, not raised."""
        options = options or ReadOptions()
        report = IngestReport()
        files = expand_paths(paths, report, skip=self.settings.store)
        store = self.store()
        if not options.roster:
            options.roster = store.settings.roster()
        progress = on_files(files) if on_files else None
        stored: list = []
        if files:
            ingestor = Ingestor(store, self.embedder, options, max_bytes=int(self.settings.max_file_mb * 1e6))
            ingestor.ingest(files, report, progress, stdin)
            stored = ingestor.stored
        if extract:
            # this run's meetings, and any an interrupted run left without insights
            done = {m.meeting_id for m, _ in stored}
            from .pipeline import reconstruct

            stored += [
                (reconstruct(store, r), r)
                for r in store.meetings.records()
                if r.extraction == "pending" and r.meeting_id not in done
            ]
            self._extract(stored, report, use_cache=True, on_meeting=on_meeting)
            if (self.settings.auto_check if check is None else check) and (stored or self._check_owed(store)):
                self._check_after(report)
        if stored:
            self.retriever.refresh()  # the lexicon file follows the new meetings (store/lexicon.py)
        return report

    @staticmethod
    def _check_owed(store: Store) -> bool:
        """Whether a check that follows a write is owed: the commits themselves mark it (a meeting
        record names its extraction run, the vision versions name the current one) and the check's
        saved state marks it done, so a process killed between the two leaves it for the next writer."""
        state = store.settings.check_state()
        latest = store.vision.latest()
        if latest is not None and state.vision != latest.version:
            return True
        return any(
            r.extraction_run and state.runs.get(r.meeting_id) != r.extraction_run for r in store.meetings.records()
        )

    def _check_after(self, report: IngestReport) -> None:
        """The check that follows extraction: the new insights against the vision and the rest."""
        checked = self._check(self.store())
        report.new_flags, report.open_flags = len(checked.new_flags), checked.open_flags
        report.warnings.extend(checked.warnings)

    def _extract(self, work, report: IngestReport, use_cache: bool, on_meeting=None) -> None:
        from .pipeline import extract_meetings, get_extractor

        if not work:
            return
        store = self.store()
        extractor = get_extractor(self.settings, store, self.embedder)
        extract_meetings(
            store,
            self.embedder,
            work,
            extractor,
            report,
            jobs=self.settings.jobs,
            use_cache=use_cache,
            progress=on_meeting,
        )

    @_writes
    def extract(
        self, meeting: str | None = None, everything: bool = False, retry_failed: bool = False, on_meeting=None
    ) -> IngestReport:
        """Run extraction again on purpose (the model is called again; the cache is not used),
        for one meeting, all of them, or those whose extraction failed (cached parts are reused)."""
        from .errors import SynthError
        from .pipeline import reconstruct

        records = self.store(create=False).meetings.records()
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
        if work and self.settings.auto_check:
            self._check_after(report)
        return report

    # --- vision and flags ---------------------------------------------------------------------

    @_writes
    def set_vision(self, path: str | Path, check: bool = True):
        """Store a new version of the vision document (the old ones stay in the history) and
        check every insight against it. Returns (vision, changed, check report or None)."""
        from .errors import InputError
        from .readers.decoding import decode_text
        from .vision import parse_vision

        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(str(path), f"cannot read the vision file: {exc.strerror}") from None
        if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(str(path), "is a binary file, not a Markdown vision document")
        text, _ = decode_text(raw, str(path))
        vision = parse_vision(text, str(path))
        store = self.store()
        latest = store.vision.latest()
        if latest and latest.version == vision.version:
            vision.number, vision.set_at = latest.number, latest.set_at
            # the re-check of a `vision set` killed after its commit is still owed: the check
            # state names the vision the last check saw
            owed = check and store.settings.check_state().vision != latest.version
            return vision, False, self._check(store) if owed else None
        vectors = self.embedder.embed([s.text for s in vision.statements])
        store.vision.add(vision, text, vectors)
        report = self._check(store) if check else None
        return vision, True, report

    @_reads
    def vision(self, version: str | None = None):
        """The current vision, or an earlier one by number or version hash; None if none is set."""
        return self._vision(version)

    def _vision(self, version: str | None):
        entries = self._vision_versions()
        if not entries:
            return None
        entry = entries[-1] if version is None else self._vision_entry(version, entries)
        return self.store(create=False).vision.load(entry)

    @_reads
    def vision_history(self) -> list[VisionVersion]:
        """The versions of the vision, oldest first."""
        return self._vision_versions()

    def _vision_versions(self) -> list[VisionVersion]:
        try:
            return self.store(create=False).vision.versions()
        except NoStoreError:
            return []

    @_reads
    def vision_diff(self, old: str | None = None, new: str | None = None):
        """Statements added and removed between two versions (default: the previous and the current)."""
        from .vision import diff

        entries = self._vision_versions()
        if len(entries) < 2 and not (old and new):
            raise NotFoundError(f"{len(entries)} vision version(s) stored; a diff needs two (synth vision set FILE)")
        first = self._vision(old or str(entries[-2].number))
        second = self._vision(new or str(entries[-1].number))
        return first, second, diff(first, second)

    @staticmethod
    def _vision_entry(version: str, entries: list[VisionVersion]) -> VisionVersion:
        wanted = version.strip().lower().lstrip("v")
        for entry in entries:
            if wanted == str(entry.number) or (len(wanted) >= 4 and entry.version.startswith(wanted)):
                return entry
        raise NotFoundError(f"no vision version {version!r}; `synth vision history` lists them")

    @_writes
    def check(self, since: dt.date | None = None, everything: bool = False) -> CheckReport:
        """Hold the new insights (or all of them, or those of meetings on or after `since`) against
        the vision and each other; store the flags."""
        return self._check(self.store(), since, everything)

    def _check(self, store: Store, since: dt.date | None = None, everything: bool = False) -> CheckReport:
        """The check, inside a writing command's session (its own, or ingest's, or vision set's)."""
        from .check import run_check

        with collector.paused():  # every visible insight is in memory from here to the end
            owed = DigestOwed(store, rebuild=everything)  # the check reads the insights the digest reads
            result = run_check(
                check_inputs(store, owed.rows),
                self._check_judge(store),
                since=since,
                everything=everything,
                candidates=self.settings.check_candidates,
            )
            save_check(store, result)
            # the brief's threads, in the flags' writing session, with the words the check read
            refresh_digest(store, owed=owed, known={insight.id: words for insight, (_, words) in result.terms})
        return result.report

    def _check_judge(self, store: Store) -> Judge | None:
        """The prompted judge when a model is configured (its replies cached in the store); None
        is the offline checker."""
        if not self.settings.llm_configured:
            return None
        from .check.judge_llm import LLMJudge

        return LLMJudge(self.settings, store.settings, CheckReplyCache(store), TurnsAround(store))

    @_reads
    def flags(self, status: FlagStatus | Literal["all"] | None = "open", kind: FlagType | None = None) -> list[Flag]:
        """Stored flags, newest evidence first."""
        try:
            found = self.store(create=False).flags.all()
        except NoStoreError:
            return []
        found = [
            f for f in found if (status in (None, "all") or f.status == status) and (kind is None or f.type == kind)
        ]
        newest = {f.id: max((s.date or "" for s in f.sides), default="") for f in found}
        found.sort(key=lambda f: (f.type, f.id))
        return sorted(found, key=lambda f: newest[f.id], reverse=True)

    def tensions(
        self, status: FlagStatus | Literal["all"] | None = "open", kind: FlagType | None = None
    ) -> list[Tension]:
        """The flags grouped into tensions, ranked by evidence (likely first)."""
        from .check.tensions import group_tensions

        return group_tensions(self.flags(status=status, kind=kind))

    @_writes
    def set_flag_status(self, flag: str, status: FlagStatus, note: str | None = None) -> Flag:
        """Resolve, dismiss or reopen a flag (by id or a unique prefix of it)."""
        return self.store(create=False).flags.set_status(flag, status, note)

    def brief(
        self,
        audience: str | None = None,
        since: dt.date | Literal["last"] | None = None,
        series: str | None = None,
        as_of: dt.date | None = None,
        prose: bool = True,
    ) -> Brief:
        """The brief before the next sync, for a function or a person; with a model configured,
        each section gets a lead written from the facts and checked against them. `since` is a
        day, or "last" (since the last meeting of the series, the default)."""
        from .brief.build import build_brief

        as_of = as_of or dt.date.today()
        if not (prose and self.settings.llm_configured):
            # the facts are read in one step; later meetings' words are read as they are needed,
            # each read a short step of its own, so a writer waiting is let through between them
            from .brief.build import brief_reads

            def reads(records: list[MeetingRecord], roster: dict[str, str]) -> tuple[list[str], set[str]]:
                return brief_reads(records, roster, audience, since, series, as_of)

            with collector.paused():  # the brief holds the insights it reads to its end
                with self._session(write=False):
                    facts = brief_facts(self.store(create=False), as_of, self._read_step, self.read_notes, reads=reads)
                return build_brief(facts, audience=audience, since=since, series=series)
        with self._session(write=True, command="brief"):  # the prose is cached in the store
            store = self.store(create=False)
            with collector.paused():
                brief = build_brief(brief_facts(store, as_of), audience=audience, since=since, series=series)
            from .brief.writer import BriefWriter

            return BriefWriter(self.settings, store).write(brief, store)

    def report(
        self, since: dt.date | None = None, until: dt.date | None = None, as_of: dt.date | None = None
    ) -> ReportData:
        """The alignment report's data: weekly series and the tables behind each chart."""
        from .report import build_report

        with collector.paused():  # the report holds the insights it reads to its end
            with self._session(write=False):  # later meetings' words are read in steps of their own
                facts = brief_facts(
                    self.store(create=False),
                    until or as_of or dt.date.today(),
                    self._read_step,
                    self.read_notes,
                    reads=lambda records, roster: (["roadblock", "assumption"], set()),  # beside the digest
                )
            return build_report(facts, since=since, until=until)

    @contextlib.contextmanager
    def _read_step(self) -> Iterator[Store]:
        """One short read of a long reading command: a session of its own (the store reopened if
        another process wrote since), so a long brief does not hold the data lock from end to end."""
        with self._session(write=False):
            yield self.store(create=False)

    @_reads
    def insights(
        self,
        kind: Kind | None = None,
        team: str | None = None,
        filters: Filters | None = None,
        status: AssumptionStatus | None = None,
    ) -> list[Insight]:
        """Stored insights (of the visible extraction runs), oldest meeting first."""
        filters = filters or Filters()
        store = self.store(create=False)
        records = store.meetings.records()
        if filters.meeting:
            records = [self._match_meeting(filters.meeting, records)]
        records = [
            r
            for r in records
            if r.extraction_run
            and (filters.since is None or r.date >= filters.since.isoformat())
            and (filters.until is None or r.date <= filters.until.isoformat())
        ]
        found = store.insights.query(
            [run for r in records if (run := r.extraction_run)],
            kind=kind,
            team=team,
            meeting_ids=[r.meeting_id for r in records],
        )
        if any(i.kind == "assumption" for i in found):
            from .check import assumption_statuses, insight_key

            statuses = assumption_statuses(store.flags.all())
            for insight in found:
                if insight.kind == "assumption":
                    got = statuses.get(insight_key(insight))
                    insight.status, insight.status_flag = (got.status, got.flag_id) if got else ("untested", None)
        if status:
            found = [i for i in found if i.status == status]
        return sorted(found, key=lambda i: (i.date, i.meeting_id, i.start_line, i.kind))

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[SearchHit]:
        """The k best passages for a query."""
        return self.search_with_count(query, k, filters)[0]

    def search_with_count(
        self,
        query: str,
        k: int = 10,
        filters: Filters | None = None,
    ) -> tuple[list[SearchHit], int]:
        """The k best passages for a query and how many meetings were searched."""
        vector = self.embedder.embed([query])[0] if query.strip() else None  # before the read lock: writers wait less
        with self._session(write=False):
            return self.retriever.search_with_count(query, k, filters, vector)

    def ask(
        self, question: str, filters: Filters | None = None, k: int = 6, on_token: Callable[[str], None] | None = None
    ) -> Answer:
        """Answer a question from the meetings, citing passages."""
        from .answer import Question, answer_chat, answer_question, question_scope

        scope, scoped = question_scope(question, filters or Filters())
        vector = self.embedder.embed([question])[0]  # before the read lock: writers wait less
        with self._session(write=False):
            retrieved = retrieve(self.retriever, self.store(create=False), question, vector, scoped, k)
        # the model is called after the read lock is released, so a writer need not wait for it
        chat = answer_chat(self.settings)
        return answer_question(
            Question(question, scope, scoped, vector), retrieved, self.embedder.embed, chat, on_token
        )

    # --- delivery -----------------------------------------------------------------------------

    def post_brief(self, target: Target, brief: Brief) -> int:
        """Post a brief to Slack or the webhook (synth/deliver.py); returns how many messages it
        took. No store lock is held while posting."""
        from .brief.render import to_markdown
        from .deliver import destination, post_brief

        return post_brief(destination(self.settings, target), brief, to_markdown(brief))

    def post_flags(
        self,
        target: Target,
        new: bool = True,
        status: FlagStatus | Literal["all"] | None = "open",
        kind: FlagType | None = None,
    ) -> list[Flag]:
        """Post flags to Slack or the webhook: the likely ones only (a channel is no place for weak
        evidence); with `new`, only those not yet posted to that destination. They are remembered
        as sent only once every message was accepted. Returns the flags posted."""
        from .check.tensions import likely
        from .deliver import destination, post_flags

        where = destination(self.settings, target)
        found = [f for f in self.flags(status=status, kind=kind) if likely(f)]
        if new and found:
            with self._session(write=False):
                sent = self.store(create=False).settings.delivered_flags(where.key)
            found = [f for f in found if f.id not in sent]
        if not found:
            return []
        post_flags(where, found)  # outside the locks: a writer never waits for the network
        with self._session(write=True, command="flags post"):
            self.store().settings.add_delivered_flags(where.key, [f.id for f in found])
        return found

    @_reads
    def meetings(self) -> list[MeetingRecord]:
        """Every stored meeting, oldest first."""
        return self.store(create=False).meetings.records()

    @_writes
    def forget(self, meeting: str) -> tuple[MeetingRecord, int, int]:
        """Remove one meeting, named by id or by a unique part of its title, and its words
        wherever synth keeps them: passages, insights, the flags that quote it, and the model
        cache (replies quote the windows and briefs they came from; the cache has no owner per
        reply, so all of it goes), then what Chroma and SQLite keep of deleted records on disk
        (Store.erase_freed_text). Returns the record, passages removed, flags removed."""
        record = self._match_meeting(meeting, self.store(create=False).meetings.records())
        store = self.store()
        removed = store.meetings.forget(record.meeting_id)
        self.retriever.refresh()  # the lexicon file drops the meeting's words
        citing = [f.id for f in store.flags.all() if any(s.meeting_id == record.meeting_id for s in f.sides)]
        if citing:
            store.flags.delete(citing)
        store.cache.clear()
        refresh_digest(store)
        store.erase_freed_text()  # last: what the digest held of the meeting goes too
        return record, removed, len(citing)

    @staticmethod
    def _match_meeting(meeting: str, records: list[MeetingRecord]) -> MeetingRecord:
        wanted = meeting.strip().lower()
        matches = [r for r in records if r.meeting_id.lower() == wanted] or [
            r for r in records if wanted in r.title.lower()
        ]
        if not matches:
            raise NotFoundError(f"no meeting matches {meeting!r}; `synth meetings` lists them")
        if len(matches) > 1:
            names = ", ".join(r.meeting_id for r in matches[:5])
            raise NotFoundError(f"{meeting!r} matches {len(matches)} meetings ({names}); give the meeting id")
        return matches[0]

    @_writes
    def set_roster(self, path: str | Path) -> dict[str, str]:
        from .roster import load_roster

        roster = load_roster(path)
        self.store().settings.set_roster(roster)
        return roster

    @_reads
    def roster(self) -> dict[str, str]:
        return self.store(create=False).settings.roster()

    @_reads
    def insights_stored(self) -> int:
        """How many insights the visible extraction runs hold."""
        return sum(r.insights for r in self.store(create=False).meetings.records() if r.extraction_run)

    @_reads
    def status(self) -> StatusReport:
        """Store, counts and model settings; never a secret."""
        settings = self.settings.describe()
        try:
            store = self.store(create=False)
        except NoStoreError:
            return StatusReport(settings=settings, store=StoreStatus(exists=False))
        records = store.meetings.records()
        return StatusReport(
            settings=settings,
            store=StoreStatus(
                exists=True,
                meetings=len(records),
                passages=store.meetings.count_passages(),
                turns=sum(r.turns for r in records),
                first_meeting=records[0].date if records else None,
                last_meeting=records[-1].date if records else None,
                roster_people=len(store.settings.roster()),
                insights=sum(r.insights for r in records if r.extraction_run),
                extraction=ExtractionCounts(
                    **{
                        state: sum(1 for r in records if r.extraction == state)
                        for state in ("done", "partial", "failed", "pending")
                    }
                ),
                extraction_failures=[
                    f"{r.meeting_id}: {r.extraction_error}" for r in records if r.extraction in ("failed", "partial")
                ],
                llm_calls=sum(r.llm_calls for r in records),
                prompt_tokens=sum(r.prompt_tokens for r in records),
                completion_tokens=sum(r.completion_tokens for r in records),
            ),
        )
