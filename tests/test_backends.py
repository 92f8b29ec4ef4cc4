"""Team mode: the same commands on a store folder and on a real Chroma server give the same
results; a token reaches the server as an auth header; a server that is down or refuses the
token gets a clear error without the token in it."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from testkit import EXAMPLES, free_port

from synth.cli import cli

pytestmark = pytest.mark.slow  # a real Chroma server and the real model

SEQUENCE = [
    ["vision", "set", str(EXAMPLES / "vision.md"), "--json"],
    ["meetings", "--json"],
    ["search", "technicians losing signal offline", "--json", "--k", "5"],
    ["search", "QuickBooks", "--json", "--team", "sales", "--since", "2026-09-01"],
    ["ask", "what did sales hear about QuickBooks?", "--json"],
    ["insights", "--json"],
    ["flags", "--json"],
    ["brief", "--for", "sales", "--since", "2026-09-01", "--as-of", "2026-10-20", "--format", "json"],
    ["report", "--since", "2026-09-01", "--until", "2026-10-20", "--json", "--out", "{tmp}/report.html"],
    ["forget", "Design research readout"],
    ["meetings", "--json"],
]


def invoke(location: list[str], *args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["--offline", *location, *args], env=env, catch_exceptions=False)


def normalized(output: str):
    """JSON output without what differs by when or where it ran."""
    try:
        data = json.loads(output)
    except ValueError:
        return output

    def clean(value):
        if isinstance(value, dict):
            return {
                k: clean(v)
                for k, v in value.items()
                if k not in ("ingested_at", "set_at", "created_at", "updated_at", "generated_at", "extraction_run")
            }
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(data)


def test_a_chroma_server_behaves_as_the_store_folder(chroma_server, tmp_path):
    chroma_server.clear()
    meetings = tmp_path / "meetings"
    shutil.copytree(EXAMPLES / "meetings", meetings)
    results = {}
    for name, location in (
        ("folder", ["--store", str(tmp_path / "store")]),
        ("server", ["--chroma-url", chroma_server.url]),
    ):
        first = invoke(location, "ingest", str(meetings), "--roster", str(EXAMPLES / "roster.yaml"))
        assert first.exit_code == 0, first.output
        again = invoke(location, "ingest", str(meetings), "--roster", str(EXAMPLES / "roster.yaml"))
        assert "10 unchanged" in again.output, again.output
        outputs = []
        for args in SEQUENCE:
            result = invoke(location, *[a.replace("{tmp}", str(tmp_path)) for a in args])
            assert result.exit_code == 0, (name, args, result.output)
            outputs.append(normalized(result.output))
        results[name] = outputs
    assert not (tmp_path / "unused").exists()
    for args, folder, server in zip(SEQUENCE, results["folder"], results["server"]):
        assert (
            json.dumps(folder, indent=1, sort_keys=True).splitlines()
            == json.dumps(server, indent=1, sort_keys=True).splitlines()
        ), args
    searched = results["server"][2]
    assert len(searched) == 5 and all(hit["source"] and hit["start_line"] >= 1 for hit in searched)
    assert len(results["server"][-1]) == 9  # after forget


class TokenProxy:
    """A reverse proxy in front of the Chroma server that, like a team's gateway, lets through
    only requests with the right bearer token, and records the headers it saw."""

    def __init__(self, upstream: str, token: str):
        self.seen: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def forward(self):
                proxy.seen.append(self.headers.get("Authorization", ""))
                if self.headers.get("Authorization") != f"Bearer {token}":
                    body = json.dumps({"error": "Unauthorized", "message": "bad token"}).encode()
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                request = urllib.request.Request(
                    upstream + self.path,
                    data=data,
                    method=self.command,
                    headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as reply:
                        status, body, kind = reply.status, reply.read(), reply.headers.get("Content-Type")
                except urllib.error.HTTPError as error:
                    status, body, kind = error.code, error.read(), error.headers.get("Content-Type")
                self.send_response(status)
                self.send_header("Content-Type", kind or "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_token_is_sent_and_never_shown(chroma_server, tmp_path):
    chroma_server.clear()
    token = "chroma-token-MARKER-5f1c2d"
    proxy = TokenProxy(chroma_server.url, token)
    try:
        note = tmp_path / "2026-09-01-sync.md"
        note.write_text("**Ana (sales):** Three prospects asked about QuickBooks sync.\n")
        good = invoke(["--chroma-url", proxy.url], "ingest", str(note), env={"SYNTH_CHROMA_TOKEN": token})
        assert good.exit_code == 0, good.output
        assert proxy.seen and set(proxy.seen) == {f"Bearer {token}"}
        found = invoke(["--chroma-url", proxy.url], "search", "QuickBooks", "--json", env={"SYNTH_CHROMA_TOKEN": token})
        assert json.loads(found.output)[0]["source"] == str(note)
        status = invoke(["--chroma-url", proxy.url], "status", env={"SYNTH_CHROMA_TOKEN": token})
        assert "token set" in status.output and token not in status.output
        wrong = invoke(
            ["--chroma-url", proxy.url], "search", "QuickBooks", env={"SYNTH_CHROMA_TOKEN": "wrong-token-xyz"}
        )
        assert wrong.exit_code == 1 and "SYNTH_CHROMA_TOKEN" in wrong.output
        assert "wrong-token-xyz" not in wrong.output and "Traceback" not in wrong.output
        missing = invoke(["--chroma-url", proxy.url], "search", "QuickBooks")
        assert missing.exit_code == 1 and "refused" in missing.output
    finally:
        proxy.close()


def test_a_server_that_is_down_gets_a_clear_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    note = tmp_path / "n.md"
    note.write_text("Ana: notes.\n")
    for args in (["ingest", str(note)], ["search", "notes"], ["meetings"], ["status"]):
        result = invoke(["--chroma-url", url], *args)
        assert result.exit_code == 1, (args, result.output)
        assert "does not answer" in result.output and "chroma run" in result.output, result.output
        assert "Traceback" not in result.output
    bad = invoke(["--chroma-url", "ftp://example"], "meetings")
    assert bad.exit_code == 1 and "is not a URL like" in bad.output


def test_the_chroma_server_going_away_mid_ingest(tmp_path):
    """Killed while an ingest writes: a clear error, nothing half-stored once it is back, and a
    re-run completes every meeting exactly once."""
    import os
    import subprocess
    import sys
    import time

    from conftest import ChromaServer, assert_each_meeting_once_and_complete

    from synth.config import Settings

    folder = tmp_path / "meetings"
    folder.mkdir()
    for n in range(3):
        for source in sorted((EXAMPLES / "meetings").iterdir()):
            shutil.copy(source, folder / f"{source.stem}-{n}{source.suffix}")
    server = ChromaServer(tmp_path / "chroma")
    settings = Settings(store=tmp_path / "unused", chroma_url=server.url, offline=True)
    try:
        ingest = subprocess.Popen(
            [sys.executable, "-m", "synth", "--chroma-url", server.url, "--offline", "ingest", str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SYNTH_DEBUG": ""},
        )
        import chromadb

        client = chromadb.HttpClient(
            host="127.0.0.1", port=server.port, settings=chromadb.Settings(anonymized_telemetry=False)
        )
        deadline = time.monotonic() + 120
        while True:  # kill the server once some meetings are stored, mid-way through the rest
            assert time.monotonic() < deadline and ingest.poll() is None, "the ingest ended before the server died"
            try:
                if client.get_collection("synth_meetings").count() >= 3:
                    break
            except Exception:
                pass
            time.sleep(0.05)
        server.stop()
        out, err = ingest.communicate(timeout=120)
        assert ingest.returncode == 1, (out, err)
        assert "does not answer" in err and "Traceback" not in err + out, err
        server.start()
        stored = assert_each_meeting_once_and_complete(settings)
        assert 3 <= len(stored) < 30
        again = subprocess.run(
            [sys.executable, "-m", "synth", "--chroma-url", server.url, "--offline", "ingest", str(folder)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert again.returncode == 0, again.stderr
        assert f"{len(stored)} unchanged" in again.stdout
        records = assert_each_meeting_once_and_complete(settings, expected=30)
        from synth.app import Synth

        app = Synth(settings)
        assert app.store(create=False).meetings.count_passages() == sum(r.passages for r in records)
        assert {r.extraction for r in records} == {"done"}
    finally:
        server.stop()
