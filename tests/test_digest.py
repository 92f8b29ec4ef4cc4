"""The brief's digest (synth/brief/digest.py): threads, resolutions and lines spoken, kept by the
writer, read by brief and report only when it holds for the store; the same output without it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from testkit import EXAMPLES, example_meetings, run_on

from synth.app import Synth
from synth.brief.digest import VERSION, Digest, MeetingEntry, record_token, records_token, reusable
from synth.brief.render import to_markdown
from synth.config import Settings
from synth.inputs import STALE_DIGEST, StoredTexts, refresh_digest, stored_digest
from synth.models import MeetingRecord
from synth.report import MAX_WEEKS, to_html
from synth.store.digest import read_digest, write_digest
from synth.store.insights import InsightRepo

AS_OF = dt.date(2026, 10, 20)
PERIODS = [dt.date(2026, 9, 1), dt.date(2026, 10, 13), "last"]
AUDIENCES = [None, "engineering", "sales", "leadership", "Dana Whitfield"]


def record(meeting_id: str, date: str, version: str = "v1", run: str | None = "r1") -> MeetingRecord:
    return MeetingRecord(
        meeting_id=meeting_id,
        title=meeting_id,
        date=date,
        source=f"{meeting_id}.md",
        format="md",
        version=version,
        passages=1,
        turns=1,
        ingested_at="2026-01-01T00:00:00",
        extraction_run=run,
        speaker_teams={"Ann": "sales"},
    )


def digest_of(records: list[MeetingRecord]) -> Digest:
    return Digest(
        token=records_token(records),
        last_date=max(r.date for r in records),
        threads={"roadblock": []},
        meetings={r.meeting_id: MeetingEntry(token=record_token(r), lines={}) for r in records},
    )


def test_the_digest_holds_only_for_the_records_it_was_built_from_and_a_day_that_sees_them_all():
    records = [record("a", "2026-01-01"), record("b", "2026-01-08")]
    digest = digest_of(records)
    assert digest.holds_for(records, "2026-01-08") and digest.holds_for(list(reversed(records)), "2027-01-01")
    assert not digest.holds_for(records, "2026-01-07")  # a brief of the past sees fewer meetings
    changed = [
        [records[0], record("b", "2026-01-08", version="v2")],  # a changed file
        [records[0], record("b", "2026-01-08", run="r2")],  # extracted again
        [records[0], record("b", "2026-01-09")],  # moved to another day
        [records[0], records[1].model_copy(update={"speaker_teams": {"Ann": "design"}})],  # the roster changed
        [records[0]],  # forgotten
    ]
    for other in changed:
        assert not digest.holds_for(other, "2027-01-01")
    assert not digest.model_copy(update={"version": VERSION - 1}).holds_for(records, "2027-01-01")


def test_an_earlier_digest_is_reused_only_when_the_new_meetings_come_after_it():
    records = [record("a", "2026-01-01"), record("b", "2026-01-08")]
    earlier = digest_of(records)
    assert reusable(earlier, records + [record("c", "2026-01-09")]) is earlier
    assert reusable(earlier, records + [record("c", "2026-01-08")]) is None  # the same day as its last
    assert reusable(earlier, records + [record("c", "2026-01-02")]) is None  # between its meetings
    assert reusable(earlier, [records[0], record("b", "2026-01-08", run="r2")]) is None
    assert reusable(earlier, [records[1], record("c", "2026-01-09")]) is None  # one it read is gone
    assert reusable(None, records) is None


def outputs(app: Synth) -> list[str]:
    """Briefs for several audiences and periods, and the report, as text."""
    out = [to_markdown(app.brief(audience=a, since=s, as_of=AS_OF, prose=False)) for a in AUDIENCES for s in PERIODS]
    return out + [to_html(app.report(since=dt.date(2026, 9, 1), until=AS_OF)), to_html(app.report(as_of=AS_OF))]


def record_passage_reads(monkeypatch) -> list[str]:
    """The day after which each vector's passages are read (one entry per vector)."""
    calls: list[str] = []
    real = StoredTexts.passages_near_many

    def recorded(self, vectors, after, *args, **kwargs):
        calls.extend([after] * len(vectors))
        return real(self, vectors, after, *args, **kwargs)

    monkeypatch.setattr(StoredTexts, "passages_near_many", recorded)
    return calls


def record_insight_reads(monkeypatch) -> list[int]:
    """How many insights each read of insights with vectors returned."""
    counts: list[int] = []
    real = InsightRepo.with_vector_rows

    def recorded(self, *args, **kwargs):
        rows = real(self, *args, **kwargs)
        counts.append(len(rows))
        return rows

    monkeypatch.setattr(InsightRepo, "with_vector_rows", recorded)
    return counts


def digest_now(app: Synth) -> Digest | None:
    with app._session(write=False):
        return stored_digest(app.store(create=False))


@pytest.mark.slow
def test_brief_and_report_are_the_same_with_the_digest_and_without_it(brief_store, tmp_path, monkeypatch):
    """The writer's digest replaces the brief's own thread work, and changes no byte of it; a
    store without it (written by an older synth) gives the same output, slower, with a note."""
    path = tmp_path / "store"
    shutil.copytree(brief_store, path)
    app = Synth(Settings(store=path, offline=True))
    calls = record_passage_reads(monkeypatch)
    insights = record_insight_reads(monkeypatch)
    with_digest = outputs(app)
    assert app.read_notes == []
    read_with_digest, insights_with_digest = len(calls), sum(insights)
    with app._session(write=True):
        write_digest(app.store(), None)
    calls.clear()
    insights.clear()
    without = outputs(app)
    assert without == with_digest
    # with it, a brief reads the kinds it follows and its period's insights, the report two kinds
    assert insights_with_digest < sum(insights)
    assert STALE_DIGEST in app.read_notes
    # without the digest each brief looks up the open roadblock threads in later meetings again
    assert len(calls) > read_with_digest + len(AUDIENCES) * len(PERIODS)
    with app._session(write=False):
        assert read_digest(app.store(create=False)) is None  # reading never writes it


@pytest.mark.slow
def test_a_reader_of_an_old_store_says_so_and_writes_nothing(brief_store, tmp_path):
    path = tmp_path / "store"
    shutil.copytree(brief_store, path)
    app = Synth(Settings(store=path, offline=True))
    with app._session(write=True):
        write_digest(app.store(), None)
    result = run_on(path, "brief", "--as-of", AS_OF.isoformat(), offline=True)
    assert result.exit_code == 0 and "## Open roadblocks" in result.output
    assert "Note: the store's digest of threads is missing or out of date" in result.stderr
    assert digest_now(app) is None  # the reader did not build it
    assert run_on(path, "check", "--all", offline=True).exit_code == 0  # a writer builds it again
    assert "digest" not in run_on(path, "brief", "--as-of", AS_OF.isoformat(), offline=True).stderr


@pytest.mark.slow
def test_a_digest_that_no_longer_holds_is_never_read(brief_store, tmp_path):
    """A write the digest did not follow (a kill before it, or a store changed by hand) leaves a
    digest whose token is not the store's: the brief works the threads out itself."""
    path = tmp_path / "store"
    shutil.copytree(brief_store, path)
    app = Synth(Settings(store=path, offline=True))
    expected = to_markdown(app.brief(since=dt.date(2026, 9, 1), as_of=AS_OF, prose=False))
    with app._session(write=True):
        store = app.store()
        digest = stored_digest(store)
        assert digest is not None and digest.threads["roadblock"]
        emptied = digest.model_copy(update={"threads": {k: [] for k in digest.threads}})
        write_digest(store, emptied.model_copy(update={"token": "another state"}).model_dump(mode="json"))
    assert to_markdown(app.brief(since=dt.date(2026, 9, 1), as_of=AS_OF, prose=False)) == expected
    assert STALE_DIGEST in app.read_notes
    with app._session(write=True):
        write_digest(app.store(), emptied.model_dump(mode="json"))  # the store's token: it is read
    assert "No open roadblock" in to_markdown(app.brief(since=dt.date(2026, 9, 1), as_of=AS_OF, prose=False))
    app.check(everything=True)  # `check --all` builds the digest again from nothing
    assert to_markdown(app.brief(since=dt.date(2026, 9, 1), as_of=AS_OF, prose=False)) == expected


@pytest.mark.slow
def test_a_later_meeting_reuses_the_earlier_digest_and_is_the_only_one_read(example_store, tmp_path, monkeypatch):
    """Ingesting a later meeting looks open roadblock threads up in that meeting only (a thread its
    roadblocks joined too: the earlier meetings were read for it already), links only its
    insights to the others (the earlier threads stay linked), and keeps the threads and
    resolutions a digest built from nothing has."""
    import synth.brief.facts as facts_module

    path = tmp_path / "store"
    shutil.copytree(example_store, path)
    app = Synth(Settings(store=path, offline=True))
    last = max(app.meetings(), key=lambda r: r.date)
    source = Path(last.source)
    app.forget(last.meeting_id)
    before = digest_now(app)  # forget is a writer: it brought the digest up to date
    assert before is not None and before.holds_for(app.meetings(), last.date)
    calls = record_passage_reads(monkeypatch)
    relinked: list[int] = []
    monkeypatch.setattr(facts_module, "linked_pairs", recording(facts_module.linked_pairs, relinked, 1))
    app.ingest([str(source)])
    after = digest_now(app)
    assert after is not None and after.holds_for(app.meetings(), last.date)
    joined = [i for i in app.insights(kind="roadblock") if i.meeting_id == last.meeting_id]
    earlier = {m for t in before.threads["roadblock"] for m in t.members}
    grown = [t for t in after.threads["roadblock"] if set(t.members) & earlier and not set(t.members) <= earlier]
    assert joined and grown  # the new meeting's roadblocks joined an earlier thread
    assert calls and not [day for day in calls if day < before.last_date] and not relinked
    calls.clear()
    with app._session(write=True):
        write_digest(app.store(), None)
        refresh_digest(app.store())
        rebuilt = stored_digest(app.store())
    assert rebuilt is not None and any(day < before.last_date for day in calls)
    assert after.threads == rebuilt.threads


@pytest.mark.slow
def test_report_spans_the_meetings_and_draws_at_most_ten_years(brief_store):
    app = Synth(Settings(store=brief_store, offline=True))
    dates = sorted(r.date for r in app.meetings())
    data = app.report(as_of=dt.date(2027, 6, 1))  # no --since, no --until: the meetings' dates
    assert (data.since, data.until) == (dates[0], dates[-1])
    long = app.report(since=dt.date(1990, 1, 1), until=dt.date(2026, 10, 20))
    assert len(long.charts[0].x) == MAX_WEEKS and long.charts[0].x[-1] == "2026-10-19"
    assert long.insights == data.insights


@pytest.mark.slow
def test_the_brief_reads_vectors_a_few_runs_at_a_time_in_the_order_of_one_read(brief_store, monkeypatch):
    """A read's memory grows with its rows, so the brief's insights come a few runs at a time; the
    same insights, in the order of one read of them all, with the same vectors as float32 rows.
    With the folder's file of vectors (store/vectors.py), only their ids are asked of Chroma."""
    import numpy as np

    from synth.store import insights as insight_store
    from synth.store import vectors

    monkeypatch.setattr(insight_store, "RUNS_PER_READ", 3)
    app = Synth(Settings(store=brief_store, offline=True))
    path = vectors.path_of(brief_store)
    assert path.exists()  # the writer's check and digest read every insight with its vector
    with app._session(write=False):
        store = app.store(create=False)
        runs = [r.extraction_run for r in store.meetings.records() if r.extraction_run][::-1]  # not as stored
        real = type(store._insights).get

        def read_counted(*kinds: str) -> tuple[list, list[int]]:
            reads: list[int] = []

            def counted(collection, *args, **kwargs):
                got = real(collection, *args, **kwargs)
                if collection.name == store._insights.name:  # not the read of the runs' packs (config)
                    reads.append(len(got["ids"]))
                return got

            monkeypatch.setattr(type(store._insights), "get", counted)
            try:
                return store.insights.with_vector_rows(runs, list(kinds)), reads
            finally:
                monkeypatch.setattr(type(store._insights), "get", real)

        from_file, file_reads = read_counted("finding", "request")
        path.rename(path.with_name("aside.bin"))
        try:
            rows, reads = read_counted("finding", "request")
        finally:
            path.with_name("aside.bin").replace(path)
        whole = store.insights.with_vectors(runs, ["finding", "request"])
    assert len(runs) == 10 and len(whole) > 20
    for got in (rows, from_file):
        assert [(r.insight, r.run) for r in got] == [(r.insight, r.run) for r in whole]
        assert all(
            r.vector.dtype == np.float32 and np.array_equal(r.vector, np.float32(w.vector)) for r, w in zip(got, whole)
        )
    assert reads[0] == len(whole) and len(reads) == 1 + 4  # the ids in one read, then 10 runs 3 at a time
    assert max(reads[1:]) < len(whole)
    assert file_reads == [len(whole)]  # the ids only: every vector from the file


@pytest.mark.slow
def test_a_meeting_that_resolves_and_leans_on_earlier_threads_gives_the_digest_built_from_nothing(
    example_store, tmp_path, monkeypatch
):
    """The examples' 2026-10-06 sync resolves roadblocks raised on 09-08 and 09-17 and acts on an
    assumption of 09-17. Ingested after the earlier meetings, the refreshed digest (open threads
    scored in memory against the new meeting's passages, the old leaning kept) is the digest a
    writer builds from nothing; only the new meetings' passages are read."""
    from synth.store.meetings import MeetingRepo

    path = tmp_path / "store"
    shutil.copytree(example_store, path)
    app = Synth(Settings(store=path, offline=True))
    later = sorted(app.meetings(), key=lambda r: r.date)[-2:]
    for record_ in reversed(later):
        app.forget(record_.meeting_id)
    read: list[str] = []
    real = MeetingRepo.passages_with_vectors

    def recorded(self, meeting_id, version):
        read.append(meeting_id)
        return real(self, meeting_id, version)

    monkeypatch.setattr(MeetingRepo, "passages_with_vectors", recorded)
    for record_ in later:
        before = digest_now(app)
        assert before is not None and before.last_date < record_.date
        read.clear()
        app.ingest([record_.source])
        after = digest_now(app)
        assert (
            after is not None and read and set(read) <= {r.meeting_id for r in app.meetings() if r.date == record_.date}
        )
        with app._session(write=True):
            refresh_digest(app.store(), rebuild=True)
            rebuilt = stored_digest(app.store())
        assert after == rebuilt
    sync = later[0]
    meeting_of = {i.id: i.meeting_id for i in app.insights()}
    new = {r.meeting_id for r in app.meetings() if r.date == sync.date}
    resolved = [t for t in after.threads["roadblock"] if t.resolution and t.resolution.date == sync.date]
    assert resolved and all(meeting_of[m] not in new for t in resolved for m in t.members)
    leaning = [t for t in after.threads["assumption"] if any(meeting_of[i] in new for i in t.leaning)]
    assert any(all(meeting_of[m] not in new for m in t.members) for t in leaning)


@pytest.mark.slow
def test_what_leant_on_an_earlier_thread_is_kept_as_the_earlier_digest_judged_it(example_store, tmp_path):
    """A later meeting does not score again what leant on a thread before it (a word's weight
    shifts a little with each insight added; the pair of earlier insights keeps what it was, as
    thread links do): an action the earlier digest counted stays counted when the thread grows
    by a meeting, and only a digest built from nothing (`check --all`) judges it again."""
    from synth.store.digest import read_digest, write_digest

    path = tmp_path / "store"
    shutil.copytree(example_store, path)
    app = Synth(Settings(store=path, offline=True))
    last = max(app.meetings(), key=lambda r: r.date)
    app.forget(last.meeting_id)
    with app._session(write=True):
        refresh_digest(app.store(), rebuild=True)
        earlier = read_digest(app.store())
    acting = [i.id for i in app.insights() if i.kind in ("decision", "action", "promise")]
    thread = next(t for t in earlier["threads"]["assumption"] if set(acting) - set(t["leaning"]))
    unrelated = next(i for i in acting if i not in thread["leaning"])  # it did not lean: below ACTED_ON
    thread["leaning"].append(unrelated)
    with app._session(write=True):
        write_digest(app.store(), earlier)
    app.ingest([last.source])
    grown = digest_now(app)
    assert grown is not None
    held = [t for t in grown.threads["assumption"] if t.members[: len(thread["members"])] == thread["members"]]
    assert len(held) == 1 and unrelated in held[0].leaning
    app.check(everything=True)  # built from nothing: judged again
    rebuilt = digest_now(app)
    assert rebuilt is not None
    again = [t for t in rebuilt.threads["assumption"] if t.members[0] == thread["members"][0]]
    assert again and all(unrelated not in t.leaning for t in again)


def recording(function, calls: list, name: str | None = None):
    """`function`, appending `name` (or its last argument) to `calls` at each call."""

    def recorded(*args, **kwargs):
        calls.append(name if name is not None else args[-1])
        return function(*args, **kwargs)

    return recorded


@pytest.mark.slow
def test_one_ingest_reads_the_insights_once_and_only_the_new_ones_for_what_they_say(
    example_store, tmp_path, monkeypatch
):
    """The check after an ingest and the digest refresh share one read of the visible insights with
    their vectors (the check asks the store for no vector and no nearest neighbour); the
    "done"/"resolved" patterns are matched against the new meeting's insights only (the others'
    are kept in the digest), and the digest is still the one built from nothing."""
    import synth.brief.facts as facts_module

    path = tmp_path / "store"
    shutil.copytree(example_store, path)
    app = Synth(Settings(store=path, offline=True))
    last = max(app.meetings(), key=lambda r: r.date)
    app.forget(last.meeting_id)
    old = {f"{i.statement} {i.quote}" for i in app.insights()}
    reads: list[str] = []
    for name in ("visible", "with_vector_rows", "visible_with_vectors", "vectors", "nearest"):
        monkeypatch.setattr(InsightRepo, name, recording(getattr(InsightRepo, name), reads, name))
    matched: list[str] = []
    monkeypatch.setattr(facts_module, "said_without_negation", recording(facts_module.said_without_negation, matched))
    app.ingest([last.source])
    assert reads == ["visible_with_vectors"]
    new = {f"{i.statement} {i.quote}" for i in app.insights() if i.meeting_id == last.meeting_id}
    assert new & set(matched)
    assert not (set(matched) & old) - new
    after = digest_now(app)
    monkeypatch.undo()
    with app._session(write=True):
        refresh_digest(app.store(), rebuild=True)
        rebuilt = stored_digest(app.store())
    assert after is not None and after == rebuilt


@pytest.mark.slow
def test_a_new_meetings_content_words_are_read_once_and_kept_once(tmp_path, monkeypatch):
    """The check after an ingest reads the new insights' content words and keeps them in their
    run's pack; the digest refreshed in the same session takes them from the check, not reading
    them again nor writing the pack a second time. Every insight then has its words kept."""
    from synth.check.run import reader_fingerprint
    from synth.store.insights import InsightRepo

    folder = example_meetings(tmp_path / "meetings", "2026-09-08-product-sync.md")
    app = Synth(Settings(store=tmp_path / "store", offline=True))
    assert app.ingest([str(folder)]).meetings == 1
    kept: list[list[str]] = []
    real = InsightRepo.keep_terms
    monkeypatch.setattr(
        InsightRepo,
        "keep_terms",
        lambda repo, runs, terms: kept.append([i.id for i, _ in terms]) or real(repo, runs, terms),
    )
    later = EXAMPLES / "meetings" / "2026-10-06-product-sync.md"
    shutil.copy(later, folder / later.name)
    assert app.ingest([str(folder / later.name)]).meetings == 1
    with app._session(write=False):
        store = app.store(create=False)
        records = store.meetings.records()
        rows = store.insights.visible(records)
    new = sorted(r.insight.id for r in rows if r.insight.source.endswith(later.name))
    assert new and [sorted(ids) for ids in kept] == [new]  # once: by the check
    assert all(r.kept_terms is not None and r.kept_terms[0] == reader_fingerprint() for r in rows)
