"""synth brief and synth report on the examples: audiences, periods, citations that resolve to
real lines, JSON that carries the same facts as the Markdown, and prose checked against the facts."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from testkit import run_on

from synth.app import Synth
from synth.brief.render import CITATION, cite_text, to_markdown
from synth.brief.writer import verify
from synth.config import Settings

AS_OF = "2026-10-20"


def run(store: Path, *args: str, env: dict | None = None):
    """The brief's commands run offline; an exception is reported as an exit code, not raised."""
    return run_on(store, *args, offline=True, env=env, catch_exceptions=True)


def lines_of(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


def assert_citations_resolve(text: str) -> int:
    """Every file:line in a brief names an existing file and lines inside it that say something."""
    found = CITATION.findall(text)
    for source, start, end in found:
        lines = lines_of(source)
        first, last = int(start), int(end or start)
        assert 1 <= first <= last <= len(lines), f"{source}:{start}-{end} is outside the file ({len(lines)} lines)"
        assert any(lines[n - 1].strip() for n in range(first, last + 1)), f"{source}:{start} is blank"
    return len(found)


@pytest.mark.slow
@pytest.mark.parametrize(
    "audience, first_section",
    [
        (None, "What each function learned"),
        ("engineering", "Customer problems behind requests"),
        ("sales", "Committed versus exploring"),
        ("leadership", "Decisions needed"),
        ("design", "What each function learned"),
        ("Dana Whitfield", "Your actions"),
    ],
)
def test_briefs_for_each_audience_cite_real_lines(brief_store, audience, first_section):
    args = ["brief", "--since", "2026-09-01", "--as-of", AS_OF] + (["--for", audience] if audience else [])
    result = run(brief_store, *args)
    assert result.exit_code == 0, result.output
    headings = re.findall(r"^## (.+)$", result.output, re.M)
    assert headings[0] == first_section
    assert headings[-2:] == ["Suggested agenda", "Questions worth asking"]
    assert assert_citations_resolve(result.output) > 20
    data = json.loads(run(brief_store, *args, "--format", "json").output)
    for fact in [f for s in data["sections"] for f in s["facts"]] + data["agenda"] + data["questions"]:
        assert fact["cites"], fact
        for cite in fact["cites"]:
            assert cite["end_line"] <= len(lines_of(cite["source"]))
    if audience == "Dana Whitfield":
        assert data["person"] == "Dana Whitfield" and data["audience"] == "sales"


@pytest.mark.slow
def test_the_sales_brief_says_what_must_not_be_promised(brief_store):
    data = json.loads(
        run(
            brief_store, "brief", "--for", "sales", "--since", "2026-09-01", "--as-of", AS_OF, "--format", "json"
        ).output
    )
    sections = {s["key"]: s for s in data["sections"]}
    committed = [f["text"] for f in sections["commitments"]["facts"]]
    assert any(t.startswith("Committed: Offline mode") for t in committed)
    assert any(t.startswith("Exploring: Accounting integrations") for t in committed)
    must_not = " ".join(f["text"] for f in sections["do_not_promise"]["facts"])
    assert "QuickBooks" in must_not and "enterprise fleets" in must_not
    assert "Northside Plumbing" in must_not  # the promise already made, with its quote


@pytest.mark.slow
def test_the_engineering_brief_leads_with_problems_and_technical_roadblocks(brief_store):
    data = json.loads(
        run(
            brief_store, "brief", "--for", "engineering", "--since", "2026-09-01", "--as-of", AS_OF, "--format", "json"
        ).output
    )
    sections = {s["key"]: s for s in data["sections"]}
    roadblocks = sections["roadblocks"]["facts"]
    open_ones = [f for f in roadblocks if f["details"]["state"] == "open"]
    # engineering's own or technical roadblocks first, the longest open first among them
    assert all(f["team"] == "engineering" or f["details"]["technical"] for f in open_ones[:2])
    # customer success cleaning spreadsheets by hand (09-08) and engineering's missing test
    # accounts with messy spreadsheets (10-08) are one thread, still raised
    spreadsheets = next(f for f in roadblocks if "test accounts" in f["text"])
    assert spreadsheets["details"]["technical"] and spreadsheets["details"]["last_raised"] == "2026-10-08"
    assert spreadsheets["details"]["meetings"] == 2 and spreadsheets["details"]["open_days"] == 42
    # blocked on 09-08, still blocked on 09-17, "calendar sync is unblocked" on 10-06
    calendar = next(f for f in roadblocks if "Google Calendar" in f["text"])
    assert calendar["details"] == {
        "state": "resolved",
        "resolved_on": "2026-10-06",
        "raised_by": "Tom Becker (engineering)",
        "open_days": 28,
        "mentions": 2,
        "meetings": 2,
        "last_raised": "2026-09-17",
        "technical": False,
    }
    assert "calendar sync is unblocked" in calendar["text"] and calendar["cites"][-1]["start_line"] == 17
    requests = sections["problems"]["facts"]
    maintenance = next(f for f in requests if "recurring maintenance" in f["text"])
    assert maintenance["details"]["meetings"] == 3
    assert "Northside" in maintenance["details"]["customers"] and maintenance["details"]["unnamed_customers"] == 5
    assert maintenance["details"]["fit"] == "not on the roadmap"


@pytest.mark.slow
def test_the_default_period_is_since_the_last_meeting_of_the_series(brief_store):
    data = json.loads(run(brief_store, "brief", "--as-of", AS_OF, "--format", "json").output)
    assert data["period"] == "since the last Cross-functional product sync (2026-10-06)"
    assert [m["date"] for m in data["meetings"]] == ["2026-10-06", "2026-10-08"]
    decisions = next(s for s in data["sections"] if s["key"] == "decisions")["facts"]
    assert [d["text"] for d in decisions] == ["Offline mode ships with day-long queues, target moves to mid-December."]
    actions = next(s for s in data["sections"] if s["key"] == "actions")["facts"]
    overdue = {a["details"]["owner"]: a["details"] for a in actions if a["details"]["state"] == "overdue"}
    assert overdue["Julia"]["due"] == "2026-09-26" and overdue["Julia"]["overdue_days"] == 24
    assumptions = next(s for s in data["sections"] if s["key"] == "assumptions")["facts"]
    assert assumptions[0]["details"]["changed_on"] == "2026-10-06"  # the hourly-connectivity assumption fell
    assert assumptions[0]["details"]["status"] == "invalidated"
    unheard = next(s for s in data["sections"] if s["key"] == "unheard")["facts"]
    assert {f["team"] for f in unheard} == {"design"}  # Lena last spoke on 09-24
    last = run(brief_store, "brief", "--as-of", AS_OF, "--since", "last", "--format", "json")
    assert json.loads(last.output)["period"] == data["period"]
    standup = json.loads(
        run(brief_store, "brief", "--as-of", AS_OF, "--series", "engineering standup", "--format", "json").output
    )
    assert standup["since"] == "2026-09-17" and standup["series"] == "Engineering standup"


@pytest.mark.slow
def test_an_empty_period_says_so(brief_store):
    result = run(brief_store, "brief", "--since", "2026-11-01", "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "0 meetings in the period, 10 stored." in result.output
    assert "_No function reported a finding since 2026-11-01 (0 meetings in the period)._" in result.output
    assert "_No decision recorded since 2026-11-01" in result.output
    assert "_No request heard since 2026-11-01" in result.output
    assert "Engineering: not heard from since 2026-10-08" in result.output
    assert "## Open roadblocks\n\n- **[R1]**" in result.output  # what is still open is still shown
    empty = run(brief_store, "brief", "--as-of", "2026-12-30", "--series", "nothing like it")
    assert empty.exit_code == 1 and "no meeting series matches 'nothing like it'" in empty.output


@pytest.mark.slow
def test_json_carries_the_same_facts_as_the_markdown(brief_store):
    for audience in ("leadership", "Omar"):
        args = ["brief", "--for", audience, "--since", "2026-09-01", "--as-of", AS_OF]
        markdown = run(brief_store, *args).output
        data = json.loads(run(brief_store, *args, "--format", "json").output)
        facts = [f for s in data["sections"] for f in s["facts"]] + data["agenda"] + data["questions"]
        bullets = re.findall(r"^- \*\*\[(\w+)\]\*\* ", markdown, re.M)
        assert bullets == [f["id"] for f in facts]
        for fact in facts:
            assert fact["text"] in markdown
        from synth.brief import Cite

        for cite in (Cite(**c) for f in facts for c in f["cites"]):
            assert cite_text(cite) in markdown
        for section in data["sections"]:
            if not section["facts"]:
                assert f"_{section['empty']}_" in markdown


@pytest.mark.slow
def test_brief_output_files_and_bad_options(brief_store, tmp_path):
    out = tmp_path / "brief.html"
    result = run(brief_store, "brief", "--for", "sales", "--as-of", AS_OF, "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "Committed versus exploring" in page and "default-src 'none'" in page
    assert assert_citations_resolve(page) > 5
    for args, code, message in [
        (["--for", "nobody at all"], 1, "neither a function"),
        # a bad option value is a usage error, exit 2 (issue 14)
        (["--since", "yesterday"], 2, "Invalid value for '--since': 'yesterday' is not a date"),
        (["--as-of", "2026-13-01"], 2, "Invalid value for '--as-of': '2026-13-01' is not a date"),
        (["--out", str(tmp_path)], 1, "is a folder"),
    ]:
        result = run(brief_store, "brief", *args)
        assert result.exit_code == code and message in result.output, (args, result.output)
    assert run(tmp_path / "none", "brief").exit_code == 1


@pytest.mark.slow
def test_roadblocks_resolve_and_actions_come_due(app, tmp_path):
    first = tmp_path / "2026-09-01-platform-sync.md"
    first.write_text(
        "---\ntitle: Platform sync\nteam: engineering\n---\n"
        "**Tom Becker:** Roadblock: we are blocked on the Stripe webhook verification.\n"
        "**Aisha Khan:** Roadblock: the staging database keeps running out of disk.\n"
    )
    second = tmp_path / "2026-09-15-platform-sync.md"
    second.write_text(
        "---\ntitle: Platform sync\nteam: engineering\n---\n"
        "**Tom Becker:** Good news: the Stripe webhook verification is fixed, we are unblocked.\n"
        "**Aisha Khan:** Action: Aisha to resize the staging database by September 20.\n"
    )
    import datetime as dt

    app.ingest([str(first)])
    alone = app.brief(as_of=dt.date(2026, 9, 10))  # a series needs two meetings: the last 14 days
    assert alone.period == "the last 14 days (2026-08-27 to 2026-09-10)" and len(alone.meetings) == 1
    app.ingest([str(second)])

    brief = app.brief(as_of=dt.date(2026, 10, 1))
    assert brief.period == "since the last Platform sync (2026-09-15)"
    roadblocks = next(s for s in brief.sections if s.key == "roadblocks").facts
    assert [(f.details["state"], f.details["open_days"]) for f in roadblocks] == [("open", 30), ("resolved", 14)]
    assert roadblocks[1].cites[-1].start_line == 5 and roadblocks[1].cites[-1].source == str(second)
    actions = next(s for s in brief.sections if s.key == "actions").facts
    assert actions[0].details == {
        "owner": "Aisha",
        "due": "2026-09-20",
        "due_as_said": "September 20",
        "state": "overdue",
        "overdue_days": 11,
    }
    early = app.brief(as_of=dt.date(2026, 9, 16))
    assert next(s for s in early.sections if s.key == "actions").facts[0].details["state"] == "due"
    assert_citations_resolve(to_markdown(brief))


def test_verify_keeps_only_sentences_backed_by_the_facts():
    from synth.brief import Fact
    from synth.brief.model import OpenRoadblockDetails, RequestDetails

    facts = {
        "R1": Fact(
            id="R1",
            section="roadblocks",
            text="Calendar sync is blocked.",
            details=OpenRoadblockDetails(
                open_days=42, raised_by="Tom", mentions=1, meetings=1, last_raised="2026-09-01", technical=True
            ),
            cites=[],
        ),
        "Q2": Fact(
            id="Q2",
            section="requests",
            text="Three prospects asked for recurring visits.",
            details=RequestDetails(
                meetings=3,
                mentions=3,
                in_period=1,
                customers=[],
                unnamed_customers=0,
                heard_by=[],
                first_heard="2026-09-01",
                last_heard="2026-09-08",
                fit="not on the roadmap",
                customer_count=0,
            ),
            cites=[],
        ),
    }
    text, dropped = verify(
        "Calendar sync has been blocked for 42 days [r1]. It blocks 7 customers [R1]. "
        "Visits came up three times [Q2; Z9]. Nobody knows why.",
        facts,
    )
    assert text == "Calendar sync has been blocked for 42 days [R1]. Visits came up three times [Q2]."
    assert dropped == {"citation": 1, "number": 1}


@pytest.mark.slow
def test_the_prose_chain_is_checked_against_the_facts(brief_store, tmp_path, openai_server):
    store = tmp_path / "store"
    shutil.copytree(brief_store, store)
    offline = Synth(Settings(store=store)).brief(audience="engineering", since=dt.date(2026, 9, 1), as_of=_day(AS_OF))
    roadblock = next(s for s in offline.sections if s.key == "roadblocks").facts[0]
    days = roadblock.details["open_days"]
    openai_server.default = json.dumps(
        {
            "leads": [
                {
                    "section": "roadblocks",
                    "text": f"This has been open for {days} days [{roadblock.id}]. "
                    f"It costs us 57 deals [{roadblock.id}]. Everything is fine [X77].",
                },
                {"section": "no_such_section", "text": "Ignore the facts [R1]."},
            ]
        }
    )
    app = Synth(Settings(store=store, base_url=openai_server.url, model="scripted", llm_retries=0, llm_timeout=10))
    brief = app.brief(audience="engineering", since=dt.date(2026, 9, 1), as_of=_day(AS_OF))
    assert brief.mode == "llm:scripted"
    lead = next(s for s in brief.sections if s.key == "roadblocks").prose
    assert lead == f"This has been open for {days} days [{roadblock.id}]."
    assert brief.dropped == {"number": 1, "citation": 1, "section": 1}
    sent = openai_server.requests[0]["body"]["messages"]
    assert "You write the lead of each section" in sent[0]["content"]
    assert f"[{roadblock.id}] {roadblock.text[:40]}" in sent[-1]["content"]
    markdown = to_markdown(brief)
    assert lead in markdown and "3 sentences dropped" in markdown
    assert [f.id for f in brief.all_facts()] == [f.id for f in offline.all_facts()]  # the same facts
    again = app.brief(audience="engineering", since=dt.date(2026, 9, 1), as_of=_day(AS_OF))
    assert len(openai_server.requests) == 1 and next(s for s in again.sections if s.key == "roadblocks").prose == lead
    openai_server.default = (500, {"error": {"message": "boom"}})
    failed = app.brief(audience="sales", since=dt.date(2026, 9, 1), as_of=_day(AS_OF))
    assert failed.mode == "offline" and any("could not write the prose" in n for n in failed.notes)


def _day(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


@pytest.mark.slow
def test_report_numbers_match_the_store(brief_store, tmp_path):
    app = Synth(Settings(store=brief_store))
    data = app.report(since=dt.date(2026, 9, 1), until=_day(AS_OF))
    charts = {c.id: c for c in data.charts}
    assert list(charts) == ["insights", "roadblocks", "roadblock_age", "assumptions", "flags", "heard"]
    assert data.insights == len(app.insights()) == sum(sum(s.values) for s in charts["insights"].series)
    assert charts["insights"].x[0] == "2026-08-31" and len(charts["insights"].x) == 8
    assert sum(charts["flags"].series[0].values) == len(app.flags())
    # roadblock threads opened and resolved per week (issue 15 reads plain trouble too: "we clean them
    # by hand", "re-typing every invoice"); the open ones by age, oldest first
    assert sum(charts["roadblocks"].series[0].values) == 9 and sum(charts["roadblocks"].series[1].values) == 2
    assert charts["roadblock_age"].series[0].values == [42, 42, 40, 35, 28, 28, 19]
    last_week = {s.name: s.values[-1] for s in charts["assumptions"].series}
    assert last_week["invalidated"] == 2 and last_week["validated"] == 0 and sum(last_week.values()) == 5
    heard = {s.name: sum(s.values) for s in charts["heard"].series}
    assert heard["customers"] > 0 and set(heard) >= {"sales", "engineering", "design"}
    result = run(brief_store, "report", "--since", "2026-09-01", "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 0 and (tmp_path / "r.html").read_text().count("<table>") == 6
    assert (
        run(
            brief_store, "report", "--since", "2026-12-01", "--until", "2026-11-01", "--out", str(tmp_path / "x.html")
        ).exit_code
        == 1
    )
    assert not (tmp_path / "x.html").exists()
