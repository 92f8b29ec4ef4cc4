"""Delivery of briefs and flags: Slack Block Kit within Slack's limits, the signed webhook, retries,
"new" flags sent once, and the webhook URL never shown or stored. Against a real HTTP server on
127.0.0.1 that records what it receives."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from testkit import run_on

from synth.brief.model import Brief, Cite, DecisionDetails, Fact, Section
from synth.config import Settings
from synth.deliver import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_HEADER,
    MAX_MESSAGE_CHARS,
    MAX_SECTION,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryError,
    Destination,
    brief_messages,
    destination,
    post,
    post_brief,
    short_cite,
    verify_signature,
)
from synth.errors import ConfigError

SIGNING_SECRET = "whsec-0123456789abcdef-signing"


class Recorder:
    """An HTTP server on 127.0.0.1 that records each POST and answers with the next scripted
    status (200 when none is left)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int | tuple[int, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                reply = outer.statuses.pop(0) if outer.statuses else 200
                status, headers = reply if isinstance(reply, tuple) else (reply, {})
                data = b"ok" if status == 200 else b"no"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, secret_path: str) -> str:
        return f"{self.base}/services/{secret_path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()


def long_brief(facts: int, text: str = "The team decided to ship the route optimizer") -> Brief:
    cites = [
        Cite(
            meeting_id=f"m{i}",
            title="Sync",
            date="2026-10-06",
            source=f"notes/2026-10-06-sync-{i}.md",
            start_line=i,
            end_line=i + 2,
        )
        for i in range(1, 4)
    ]
    section = Section(
        key="decisions",
        title="Decisions",
        empty="No decision.",
        facts=[
            Fact(
                id=f"D{n}",
                section="decisions",
                text=f"{text} <{n}> & more",
                who="Ana",
                date="2026-10-06",
                details=DecisionDetails(),
                cites=cites[: 1 + n % 3],
            )
            for n in range(facts)
        ],
    )
    return Brief(
        audience="engineering",
        period="since the last sync (2026-10-06)",
        since="2026-10-06",
        until="2026-10-20",
        meetings=[],
        meetings_stored=3,
        sections=[section, Section(key="risks", title="Risks", empty="No risk.", facts=[])],
        agenda=[],
        questions=[],
    )


def assert_within_slack_limits(message: dict) -> None:
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= MAX_BLOCKS
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= MAX_HEADER
    assert blocks[0]["text"]["type"] == "plain_text"
    assert len(json.dumps(blocks)) <= MAX_MESSAGE_CHARS
    assert message["text"]  # the notification's fallback text
    for block in blocks:
        assert block["type"] in ("header", "section", "context", "divider")
        if block["type"] == "section":
            assert block["text"]["type"] == "mrkdwn" and 0 < len(block["text"]["text"]) <= MAX_SECTION
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= MAX_CONTEXT_ELEMENTS


def test_a_long_brief_is_split_between_facts_within_slack_limits():
    brief = long_brief(120)
    messages = brief_messages(brief)
    assert len(messages) > 2
    for message in messages:
        assert_within_slack_limits(message)
    assert messages[1]["blocks"][0]["text"]["text"].endswith(f"(2/{len(messages)})")
    # each fact arrives once, in order, with every one of its citations whole in the same message
    seen = []
    for message in messages:
        blocks = message["blocks"]
        for i, block in enumerate(blocks):
            if block["type"] == "section" and block["text"]["text"].startswith("• "):
                fact = brief.sections[0].facts[len(seen)]
                assert "&lt;" in block["text"]["text"] and "&amp;" in block["text"]["text"]  # escaped for mrkdwn
                context = " ".join(e["text"] for e in blocks[i + 1]["elements"])
                for cite in fact.cites:
                    assert f"`{short_cite(cite.source, cite.start_line, cite.end_line)}`" in context
                seen.append(fact.id)
    assert seen == [f.id for f in brief.sections[0].facts]
    assert "No risk." in json.dumps(messages[-1])  # an empty section says so


def test_an_overlong_fact_is_clipped_but_its_citations_are_not():
    brief = long_brief(2, text="word " * 1500)
    messages = brief_messages(brief)
    assert len(messages) == 1
    assert_within_slack_limits(messages[0])
    assert "`2026-10-06-sync-1.md:1-3`" in json.dumps(messages[0])


def test_slack_post_retries_429_and_5xx_then_succeeds(recorder):
    recorder.statuses = [503, (429, {"Retry-After": "0"}), 200]
    where = Destination("slack", recorder.url("T0/B0/retrysecret123"))
    waits: list[float] = []
    post(where, b'{"text": "hi"}', sleep=waits.append, backoff=0.01)
    assert len(recorder.requests) == 3
    assert waits == [0.01, 0.0]  # exponential backoff, then the Retry-After the server gave
    assert json.loads(recorder.requests[-1]["body"]) == {"text": "hi"}


def test_delivery_fails_clearly_after_the_last_try_without_the_url(recorder):
    recorder.statuses = [500, 502, 503, 500]
    secret_path = "T0/B0/failsecret456"
    where = Destination("slack", recorder.url(secret_path))
    with pytest.raises(DeliveryError, match="failed after 4 tries") as caught:
        post(where, b"{}", sleep=lambda s: None)
    assert secret_path not in str(caught.value) and "SYNTH_SLACK_WEBHOOK" in str(caught.value)
    assert len(recorder.requests) == 4
    recorder.statuses = [404]
    with pytest.raises(DeliveryError, match="refused the message: HTTP 404"):
        post(where, b"{}", sleep=lambda s: None)
    assert len(recorder.requests) == 5  # a 404 is not retried


def test_webhook_posts_the_brief_json_signed(recorder):
    where = Destination("webhook", recorder.url("hook"), SIGNING_SECRET)
    brief = long_brief(3)
    assert post_brief(where, brief, "# markdown") == 1
    request = recorder.requests[0]
    body = request["body"]
    data = json.loads(body)
    assert data["kind"] == "brief" and data["markdown"] == "# markdown"
    assert data["brief"] == json.loads(brief.model_dump_json())
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp, signature = headers[TIMESTAMP_HEADER.lower()], headers[SIGNATURE_HEADER.lower()]
    assert verify_signature(SIGNING_SECRET, timestamp, body, signature)
    assert not verify_signature(SIGNING_SECRET, timestamp, body.replace(b"markdown", b"markdowN"), signature)
    assert not verify_signature("another-secret", timestamp, body, signature)
    assert not verify_signature(SIGNING_SECRET, str(int(timestamp) - 3600), body, signature)  # a replay


def test_destination_needs_its_variables():
    with pytest.raises(ConfigError, match="SYNTH_SLACK_WEBHOOK"):
        destination(Settings(), "slack")
    with pytest.raises(ConfigError, match="SYNTH_WEBHOOK_SECRET"):
        destination(Settings(webhook_url="http://127.0.0.1:9/x"), "webhook")
    where = destination(Settings(webhook_url="http://127.0.0.1:9/x", webhook_secret=SIGNING_SECRET), "webhook")
    assert "127.0.0.1" not in where.key and where.key.startswith("webhook:")


# --- slow: the CLI on the examples store ---------------------------------------------------------


@pytest.mark.slow
def test_flags_post_new_sends_each_flag_once_and_nothing_on_failure(brief_store, tmp_path, recorder):
    store = tmp_path / "store"
    shutil.copytree(brief_store, store)
    secret_path = "T0123/B0456/cronsecret789xyz"
    env = {"SYNTH_SLACK_WEBHOOK": recorder.url(secret_path)}
    every_open = json.loads(run_on(store, "flags", "--json", offline=True).output)
    open_flags = [f for f in every_open if f["checker"] != "offline" or f["confidence"] >= 0.4]  # likely ones
    assert open_flags and len(open_flags) < len(every_open)  # possible flags are not posted

    recorder.statuses = [500] * 4  # Slack is down: exit 1, nothing remembered as sent
    failed = run_on(store, "flags", "--post", "slack", "--new", offline=True, env=env)
    assert failed.exit_code == 1 and "failed after 4 tries" in failed.output

    first = run_on(store, "flags", "--post", "slack", "--new", "--json", offline=True, env=env)
    assert first.exit_code == 0, first.output
    posted = json.loads(first.output.split("\nPosted")[0])
    assert {f["id"] for f in posted} == {f["id"] for f in open_flags}
    slack_messages = [json.loads(r["body"]) for r in recorder.requests[4:]]
    for message in slack_messages:
        assert_within_slack_limits(message)
    text = json.dumps(slack_messages)
    assert all(f"`{f['id']}`" in text for f in open_flags)

    again = run_on(store, "flags", "--post", "slack", "--new", offline=True, env=env)
    assert again.exit_code == 0 and "Posted 0 flags to slack." in again.output
    assert len(recorder.requests) == 4 + len(slack_messages)  # nothing sent the second time

    brief = run_on(
        store, "brief", "--for", "engineering", "--as-of", "2026-10-20", "--post", "slack", offline=True, env=env
    )
    assert brief.exit_code == 0 and "Posted the brief to slack" in brief.output
    header = json.loads(recorder.requests[-1]["body"])["blocks"][0]["text"]["text"]
    assert header.startswith("Brief for engineering: since the last")

    outputs = failed.output + first.output + again.output + brief.output
    assert secret_path not in outputs
    for path in Path(store).rglob("*"):
        if path.is_file():
            assert secret_path.encode() not in path.read_bytes(), path
