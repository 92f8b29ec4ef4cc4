"""Shared fixtures: the real embedding model, real Chroma stores in temporary folders, and a
local OpenAI-compatible HTTP server with scripted replies."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from testkit import EXAMPLES, free_port

from synth.app import Synth
from synth.config import Settings

# Fixtures that bring up the real store and the real embedding model: a test that uses one belongs
# to the slow tier, and `make test-fast` must never pay for it.
REAL_COMPONENT_FIXTURES = {"example_store", "example_app", "brief_store", "app", "backend", "chroma_server"}


def pytest_collection_modifyitems(config, items):
    """Refuse to run a test that uses the real store or model without the `slow` mark."""
    unmarked = [
        item.nodeid
        for item in items
        if REAL_COMPONENT_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("slow") is None
    ]
    if unmarked:
        raise pytest.UsageError("mark these @pytest.mark.slow (they use the real store): " + ", ".join(unmarked))


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """pytest removes the temporary folders of sessions before the last three when a session
    ends; a folder it cannot remove (one a killed run left mounted read-only) is that session's
    business, not a failure of this one: its warning is shown, not raised (filterwarnings =
    error), so the removal goes on through the other folders."""
    with warnings.catch_warnings():
        warnings.filterwarnings("default", message=r"\(rm_rf\)", category=pytest.PytestWarning)
        return (yield)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No test sees the developer's model settings; each sets what it needs."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "SYNTH_MODEL",
        "SYNTH_STORE",
        "SYNTH_OFFLINE",
        "SYNTH_PROMPTS",
        "SYNTH_EMBEDDINGS",
        "SYNTH_DEBUG",
        "SYNTH_STRUCTURED",
        "SYNTH_JOBS",
        "SYNTH_WINDOW_CHARS",
        "SYNTH_LLM_TIMEOUT",
        "SYNTH_LLM_RETRIES",
        "SYNTH_CHROMA_URL",
        "SYNTH_CHROMA_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


def assert_each_meeting_once_and_complete(store: Path | Settings, expected: int | None = None) -> list:
    """Every visible meeting has exactly its passages, nothing is stored twice, and nothing
    invisible is left behind."""
    app = Synth(store if isinstance(store, Settings) else Settings(store=store, offline=True))
    records = app.meetings()
    ids = [r.meeting_id for r in records]
    assert len(ids) == len(set(ids))
    sources = Counter(r.source for r in records)
    assert max(sources.values(), default=1) == 1, sources.most_common(3)
    if expected is not None:
        assert len(records) == expected
    with app._session(write=False):
        store_ = app.store(create=False)
        for record in records:
            versions = store_.meetings.passage_versions(record.meeting_id)
            assert versions.get(record.version) == record.passages, (record.source, versions)
    return records


class ChromaServer:
    """A real Chroma server (`chroma run`) on 127.0.0.1, started and stopped by its process id."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.start()

    def start(self) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        # open for the server's whole life, closed by stop()
        self.log = open(self.folder.parent / f"chroma-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.folder), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.process.returncode}; see {self.log.name}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("chroma run did not answer within 60 s")

    def stop(self) -> None:
        """Kill the server by its process id and wait until it is gone."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.log.close()

    def clear(self) -> None:
        import chromadb

        client = chromadb.HttpClient(
            host="127.0.0.1", port=self.port, settings=chromadb.Settings(anonymized_telemetry=False)
        )
        for collection in client.list_collections():
            client.delete_collection(collection if isinstance(collection, str) else collection.name)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data")
    yield server
    server.stop()
    assert server.process.poll() is not None


@pytest.fixture(params=["embedded", "server"])
def backend(request, tmp_path) -> dict:
    """Settings for a store of each kind: a folder, and a real Chroma server emptied for the test."""
    if request.param == "server":
        server = request.getfixturevalue("chroma_server")
        server.clear()
        return {"store": tmp_path / "unused", "chroma_url": server.url}
    return {"store": tmp_path / "store"}


@pytest.fixture
def app(backend) -> Synth:
    return Synth(Settings(**backend))


@pytest.fixture(scope="session")
def example_store(tmp_path_factory) -> Path:
    """The examples ingested once into a store; tests copy it when they change it."""
    path = tmp_path_factory.mktemp("examples") / "store"
    app = Synth(Settings(store=path))
    from synth.readers import ReadOptions
    from synth.roster import load_roster

    report = app.ingest([str(EXAMPLES / "meetings")], ReadOptions(roster=load_roster(EXAMPLES / "roster.yaml")))
    assert report.failed == 0 and report.meetings == 10
    return path


@pytest.fixture
def example_app(example_store, tmp_path) -> Synth:
    path = tmp_path / "store"
    shutil.copytree(example_store, path)
    return Synth(Settings(store=path))


@pytest.fixture(scope="session")
def brief_store(example_store, tmp_path_factory) -> Path:
    """The examples with the vision set and checked; tests only read it."""
    path = tmp_path_factory.mktemp("brief") / "store"
    shutil.copytree(example_store, path)
    app = Synth(Settings(store=path))
    app.set_vision(EXAMPLES / "vision.md")
    assert app.flags()
    return path


class ScriptedOpenAI:
    """A minimal OpenAI-compatible /v1/chat/completions server on 127.0.0.1.

    Each request takes the next scripted reply:
    - a string: the assistant's content;
    - a tuple (status, body) or (status, body, headers): an HTTP error;
    - a dict: {"content": ..., "finish_reason": ...}, {"tool_args": {...}} for a tool call,
      {"delay": seconds, ...} to answer late;
    - a callable: called with the request body, returns one of the above.
    When no reply is scripted, `default` (same forms) answers. Requests are recorded, with the
    time they arrived.
    """

    def __init__(self):
        self.replies: list = []
        self.requests: list[dict] = []
        self.default = "No reply scripted."
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with outer.lock:
                    outer.requests.append(
                        {
                            "path": self.path,
                            "body": body,
                            "time": time.monotonic(),
                            "auth": self.headers.get("Authorization"),
                        }
                    )
                    reply = outer.replies.pop(0) if outer.replies else outer.default
                if callable(reply):
                    reply = reply(body)
                if isinstance(reply, dict) and reply.get("delay"):
                    time.sleep(reply["delay"])
                    reply = {k: v for k, v in reply.items() if k != "delay"}
                    if set(reply) == {"reply"}:
                        reply = reply["reply"]
                if isinstance(reply, dict) and reply.get("cut"):
                    # the connection closes halfway through the body it announced
                    data = json.dumps({"id": "c1", "object": "chat.completion", "choices": []}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data) * 2))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if isinstance(reply, tuple):
                    status, payload, headers = reply if len(reply) == 3 else (*reply, {})
                    data = json.dumps(payload).encode()
                    try:
                        self.send_response(status)
                        self.send_header("Content-Type", "application/json")
                        for name, value in headers.items():
                            self.send_header(name, value)
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                message = {"role": "assistant", "content": reply}
                finish = "stop"
                if isinstance(reply, dict):
                    finish = reply.get("finish_reason", "stop")
                    if "tool_args" in reply:
                        message = {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": "call_1",
                                    "type": "function",
                                    "function": {
                                        "name": body.get("tools", [{}])[0].get("function", {}).get("name", "tool"),
                                        "arguments": reply["tool_args"]
                                        if isinstance(reply["tool_args"], str)
                                        else json.dumps(reply["tool_args"]),
                                    },
                                }
                            ],
                        }
                        finish = reply.get("finish_reason", "tool_calls")
                    else:
                        message = {"role": "assistant", "content": reply.get("content", "")}
                    reply = message["content"] or ""
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    words = reply.split(" ")
                    for i, word in enumerate(words):
                        piece = word if i == 0 else " " + word
                        chunk = {
                            "id": "c1",
                            "object": "chat.completion.chunk",
                            "created": 0,
                            "model": body["model"],
                            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    end = {
                        "id": "c1",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body["model"],
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    }
                    self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                    return
                data = json.dumps(
                    {
                        "id": "c1",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                    }
                ).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def openai_server():
    server = ScriptedOpenAI()
    yield server
    server.close()
