"""The command line: exit codes, output, JSON shapes, help, secrets."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from testkit import DATA, EXAMPLES, ROOT, run

from synth.cli import cli
from synth.helpdoc import command_paths, render

HIT_FIELDS = ["meeting_id", "title", "date", "source", "start_line", "end_line", "speakers", "teams", "score", "text"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, code, expected",
    [
        (["search", "Okta", "--json"], 0, "Single sign-on with Okta"),
        (["search", "Okta", "--team", "astrology"], 2, "not a function synth knows"),  # a usage error (issue 14)
        (["search", "Okta", "--since", "last tuesday"], 2, "is not a date"),
        (["search", "Okta", "--meeting", "no such meeting"], 1, "no meeting matches"),
        (["search", "Okta", "--k", "0"], 2, "Invalid value"),
        (["ask", "why did accounts churn?"], 0, "never scheduled"),
        (["meetings"], 0, "10 meetings."),
        (["forget", "product sync"], 1, "matches 2 meetings"),
        (["status"], 0, "meetings:   10"),
        (["frobnicate"], 2, "No such command"),
    ],
)
def test_commands(example_app, args, code, expected):
    result = run("--store", str(example_app.settings.store), *args)
    assert result.exit_code == code, result.output
    assert expected in result.output


@pytest.mark.slow
def test_search_json_is_exactly_the_documented_objects(example_app):
    result = run("--store", str(example_app.settings.store), "search", "QuickBooks sync", "--json", "--k", "4")
    hits = json.loads(result.output)
    assert len(hits) == 4 and all(list(h) == HIT_FIELDS for h in hits)


@pytest.mark.slow
def test_ingest_reports_bad_files_and_exits_1(tmp_path):
    store = tmp_path / "s"
    result = run(
        "--store",
        str(store),
        "ingest",
        str(EXAMPLES / "meetings" / "2026-09-08-product-sync.md"),
        str(DATA / "bad" / "broken-timestamps.vtt"),
        str(DATA / "bad" / "empty.md"),
        str(tmp_path / "nope.md"),
    )
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3
    assert any("broken-timestamps.vtt:6: broken timestamp" in line for line in errors)
    assert "1 meetings stored" in result.output and "3 failed" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_ingest_from_stdin_with_title_and_team(tmp_path):
    store = tmp_path / "s"
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Ana>Customers want a Slack integration.\n"
    result = run("--store", str(store), "ingest", "-", "--title", "Acme call", "--team", "sales", input=vtt)
    assert result.exit_code == 0, result.output
    meetings = json.loads(run("--store", str(store), "meetings", "--json").output)
    assert [(m["title"], m["team"], m["source"], m["format"]) for m in meetings] == [
        ("Acme call", "sales", "<stdin>", "vtt")
    ]
    again = run("--store", str(store), "ingest", "-", "--title", "Acme call", "--team", "sales", input=vtt)
    assert "1 unchanged" in again.output


@pytest.mark.slow
def test_roster_set_then_used_by_ingest(tmp_path):
    store = tmp_path / "s"
    assert run("--store", str(store), "roster", "set", str(EXAMPLES / "roster.yaml")).exit_code == 0
    assert "sales              Dana Whitfield" in run("--store", str(store), "roster", "show").output
    run("--store", str(store), "ingest", str(EXAMPLES / "meetings" / "2026-09-17-engineering-standup.txt"))
    hits = json.loads(run("--store", str(store), "search", "calendar quota", "--team", "engineering", "--json").output)
    assert hits and "engineering" in hits[0]["teams"]


def test_no_traceback_for_unexpected_errors_unless_debugging(tmp_path):
    result = run("--store", str(tmp_path / "missing"), "meetings")
    assert result.exit_code == 1 and "no store at" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_the_api_key_is_never_printed(example_app, openai_server):
    secret = "sk-marker-DO-NOT-PRINT-1234567890"
    openai_server.replies = ["It was setup time [1]."] * 2
    env = {"OPENAI_API_KEY": secret, "OPENAI_BASE_URL": openai_server.url, "SYNTH_MODEL": "m"}
    outputs = [
        run("--store", str(example_app.settings.store), *args, env=env).output
        for args in (
            ["status"],
            ["status", "--json"],
            ["ask", "why did accounts churn?"],
            ["ask", "why did accounts churn?", "--json"],
            ["meetings"],
        )
    ]
    assert all(secret not in out for out in outputs)
    assert "api key: set" in outputs[0]
    stored = b"".join(p.read_bytes() for p in example_app.settings.store.rglob("*") if p.is_file())
    assert secret.encode() not in stored


def test_every_command_has_help_with_an_example():
    for path in command_paths():
        command = cli
        for name in path:
            command = command.commands[name]
        assert command.help, path
        if not isinstance(command, click.Group):
            assert "Example:" in command.help, path


def test_docs_help_is_generated_from_the_current_help():
    assert (ROOT / "docs" / "help.md").read_text() == render(), "run `make help-doc`"


@pytest.mark.slow
def test_help_starts_without_heavy_imports():
    import subprocess
    import sys

    code = (
        "import sys; from synth.cli import cli\n"
        "try: cli(['--help'], prog_name='synth')\nexcept SystemExit: pass\n"
        "heavy=[m for m in ('chromadb','onnxruntime','langchain_core','openai','numpy') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "HEAVY []" in out


@pytest.mark.slow
def test_a_reading_command_exits_at_once_with_its_whole_output_and_exit_code(example_store, tmp_path):
    """`synth` ends a process that wrote nothing without Python's teardown: its output must still
    be complete (flushed) and its exit code kept, on success and on error."""
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "synth", *args], capture_output=True, text=True, timeout=120)

    listed = run("--store", str(example_store), "meetings", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 10
    hits = run("--store", str(example_store), "search", "crawl spaces", "--k", "20", "--json")
    assert hits.returncode == 0 and len(json.loads(hits.stdout)) == 12  # every passage of the examples
    missing = run("--store", str(tmp_path / "none"), "search", "crawl spaces")
    assert missing.returncode == 1 and "no store at" in missing.stderr
    usage = run("search")
    assert usage.returncode == 2 and "Missing argument" in usage.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "x", "--team", "astrology"], "Invalid value for '--team': 'astrology' is not a function"),
        (["insights", "--until", "2026-02-30"], "Invalid value for '--until': '2026-02-30' is not a date"),
        (["ingest", "-", "--date", "soon"], "Invalid value for '--date': 'soon' is not a date"),
        (["brief", "--since", "the other day"], "'the other day' is not a date"),
        (["report", "--out", "r.html", "--since", "x"], "Invalid value for '--since'"),
        (["check", "--since", "x"], "Invalid value for '--since'"),
        (["insights", "--status", "maybe"], "Invalid value for '--status'"),
    ],
)
def test_a_bad_option_value_is_a_usage_error_before_any_work(tmp_path, args, message):
    result = run("--store", str(tmp_path / "none"), *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "none").exists()


def test_settings_resolve_flag_then_environment_then_default(tmp_path, monkeypatch):
    from synth.config import Settings

    monkeypatch.delenv("SYNTH_STORE", raising=False)
    monkeypatch.delenv("SYNTH_JOBS", raising=False)
    assert Settings.from_env().store.name == "store" and Settings.from_env().jobs == 4
    monkeypatch.setenv("SYNTH_STORE", str(tmp_path / "from-env"))
    monkeypatch.setenv("SYNTH_JOBS", "7")
    assert Settings.from_env().store == tmp_path / "from-env" and Settings.from_env().jobs == 7
    assert Settings.from_env(store=tmp_path / "flag", jobs=2).store == tmp_path / "flag"
    shown = json.loads(run("--store", str(tmp_path / "flag"), "status", "--json").output)["settings"]
    assert shown["store"] == str(tmp_path / "flag") and shown["jobs"] == 7


def test_a_bad_setting_in_the_environment_is_one_line_and_exit_1(tmp_path):
    result = run("--store", str(tmp_path / "none"), "status", env={"SYNTH_JOBS": "many"})
    assert result.exit_code == 1 and "SYNTH_JOBS='many' is not a number" in result.output
    assert "Traceback" not in result.output


def test_synth_debug_lets_the_error_through(tmp_path):
    from synth.errors import NoStoreError

    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "none"), "meetings"], env={"SYNTH_DEBUG": "1"})
    assert isinstance(result.exception, NoStoreError)
