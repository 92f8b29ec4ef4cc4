"""A model server that fails in every way a real one does: each ingest finishes, each failure
is reported with its reason, the passages are searchable, and `synth extract --retry-failed`
completes the extraction once the server behaves."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_extraction import GOOD, MEETING

from synth.cli import cli

pytestmark = pytest.mark.slow  # the real store and model behind every model fault

FAULTS = {
    "429": ((429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"}), "HTTP 429"),
    "500": ((500, {"error": {"message": "internal"}}), "HTTP 500"),
    "malformed JSON": ("Sure! {insights: [kind=finding", "not a JSON object"),
    "truncated output": (
        {"content": '{"insights": [{"kind": "finding", "statement": "cut', "finish_reason": "length"},
        "cut off",
    ),
    "connection cut mid-body": ({"cut": True}, "broke off its reply"),
    "timeout": ({"delay": 1.5, "reply": json.dumps(GOOD)}, "timed out"),
    "refused": (None, "cannot connect"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_model_fault_is_reported_and_retryable(fault, tmp_path, openai_server):
    reply, reason = FAULTS[fault]
    notes = tmp_path / "notes"
    notes.mkdir()
    for name in ("acme-call.md", "brightline-call.md"):
        (notes / name).write_text(MEETING.replace("Acme", name.split("-")[0].title()))
    base = "http://127.0.0.1:9/v1" if reply is None else openai_server.url  # nothing listens on port 9
    openai_server.default = reply
    env = {
        "OPENAI_BASE_URL": base,
        "SYNTH_MODEL": "scripted",
        "SYNTH_LLM_RETRIES": "1",
        "SYNTH_LLM_TIMEOUT": "0.5",
        "SYNTH_AUTO_CHECK": "0",
        "OPENAI_API_KEY": "sk-test-fault-key",
    }
    store = ["--store", str(tmp_path / "store")]
    runner = CliRunner()
    first = runner.invoke(cli, [*store, "ingest", str(notes)], env=env, catch_exceptions=False)
    output = first.output
    assert "Traceback" not in output and "sk-test-fault-key" not in output
    assert "2 meetings stored" in output, output  # the ingest finished
    failures = [line for line in output.splitlines() if "extraction failed" in line]
    assert len(failures) == 2 and all(reason in line for line in failures), output
    assert "synth extract --retry-failed" in output
    found = runner.invoke(cli, [*store, "--offline", "search", "Excel every week", "--json"], catch_exceptions=False)
    assert {h["source"] for h in json.loads(found.output)} == {
        str(notes / "acme-call.md"),
        str(notes / "brightline-call.md"),
    }
    status = runner.invoke(cli, [*store, "status"], env=env, catch_exceptions=False).output
    assert "2 failed" in status
    # the server recovers: a retry extracts both meetings
    openai_server.default = json.dumps(GOOD)
    env["OPENAI_BASE_URL"] = openai_server.url
    retry = runner.invoke(cli, [*store, "extract", "--retry-failed"], env=env, catch_exceptions=False)
    assert retry.exit_code == 0, retry.output
    listing = json.loads(runner.invoke(cli, [*store, "meetings", "--json"], catch_exceptions=False).output)
    assert [m["extraction"] for m in listing] == ["done", "done"]
    assert all(m["insights"] == 6 for m in listing)
