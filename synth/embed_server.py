"""An OpenAI-compatible embedding endpoint serving all-MiniLM-L6-v2, so that one machine embeds
for a team (the others set SYNTH_EMBEDDINGS_URL=http://HOST:PORT/v1):

    python -m synth.embed_server [--host 127.0.0.1] [--port 8765]

It answers POST /v1/embeddings (`input`: a text or a list of texts; `encoding_format`: float or
base64) with the vectors this machine's synth would compute. It has no authentication: bind it
to a private network, or put it behind a proxy that checks a key.
"""

from __future__ import annotations

import argparse
import base64
import json
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .embeddings import MINILM, Embedder, get_embedder

MAX_REQUEST_BYTES = 8_000_000
MAX_TEXTS = 2048  # OpenAI's own limit per request


def make_server(host: str = "127.0.0.1", port: int = 8765, embedder: Embedder | None = None) -> ThreadingHTTPServer:
    """A server (not started: call serve_forever) answering with `embedder`'s vectors."""
    model = embedder or get_embedder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
                self._answer(404, _error(f"no such endpoint {self.path}; POST /v1/embeddings"))
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self._answer(413, _error(f"the request is larger than {MAX_REQUEST_BYTES} bytes"))
                return
            try:
                request = json.loads(self.rfile.read(length))
                texts = _texts(request)
            except ValueError as exc:
                self._answer(400, _error(str(exc)))
                return
            vectors = model.embed(texts)
            self._answer(200, _reply(vectors, request.get("encoding_format") == "base64", model.name))

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the name http.server uses
            """Quiet: no request lines on stderr."""

    return ThreadingHTTPServer((host, port), Handler)


def _texts(request: Any) -> list[str]:
    """The texts of a request, or ValueError saying what is wrong with it."""
    if not isinstance(request, dict):
        raise ValueError("the request must be a JSON object")
    if request.get("model") not in (None, MINILM):
        raise ValueError(f"this server serves {MINILM}, not {request.get('model')!r}")
    texts = request.get("input")
    texts = [texts] if isinstance(texts, str) else texts
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError("input must be a text or a non-empty list of texts")
    if len(texts) > MAX_TEXTS:
        raise ValueError(f"at most {MAX_TEXTS} texts a request")
    return texts


def _reply(vectors: list[list[float]], as_base64: bool, model: str) -> dict[str, Any]:
    def encoded(vector: list[float]) -> Any:
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode() if as_base64 else vector

    data = [{"object": "embedding", "index": i, "embedding": encoded(v)} for i, v in enumerate(vectors)]
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": 0, "total_tokens": 0}}


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error"}}


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve all-MiniLM-L6-v2 embeddings (OpenAI-compatible).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    print(f"serving {MINILM} embeddings at http://{args.host}:{server.server_port}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
