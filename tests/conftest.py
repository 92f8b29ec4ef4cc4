"""Shared fixtures: the real embedding model, real Chroma stores in temporary folders, and a
local OpenAI-compatible HTTP server with scripted replies."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from synth.app import Synth
from synth.config import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No test sees the developer's model settings; each sets what it needs."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SYNTH_MODEL", "SYNTH_STORE", "SYNTH_OFFLINE",
                 "SYNTH_PROMPTS", "SYNTH_EMBEDDINGS", "SYNTH_DEBUG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def app(tmp_path) -> Synth:
    return Synth(Settings(store=tmp_path / "store"))


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


class ScriptedOpenAI:
    """A minimal OpenAI-compatible /v1/chat/completions server on 127.0.0.1.

    Each request takes the next scripted reply: a string (the assistant's content), or a tuple
    (status, body) for an error. Requests are recorded.
    """

    def __init__(self):
        self.replies: list = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                outer.requests.append({"path": self.path, "body": body,
                                       "auth": self.headers.get("Authorization")})
                reply = outer.replies.pop(0) if outer.replies else "No reply scripted."
                if isinstance(reply, tuple):
                    status, payload = reply
                    data = json.dumps(payload).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    words = reply.split(" ")
                    for i, word in enumerate(words):
                        piece = word if i == 0 else " " + word
                        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                                 "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    end = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                           "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                    self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
                    return
                data = json.dumps({
                    "id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

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
