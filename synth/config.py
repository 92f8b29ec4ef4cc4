"""Settings, resolved in one place: command-line flag, then environment variable, then default.

Click reads the flags and their environment variables (`envvar=`); the library builds a
Settings from keyword arguments or from the environment alone (`Settings.from_env()`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_STORE = "store"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


@dataclass
class Settings:
    """Everything synth needs to know to run. The API key and the Chroma token are never printed
    or stored."""

    store: Path = field(default_factory=lambda: Path(DEFAULT_STORE))
    chroma_url: str | None = None  # a Chroma server instead of the store folder
    chroma_token: str | None = field(default=None, repr=False)
    offline: bool = False
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    model: str | None = None
    embeddings: str = "minilm"
    prompts_dir: Path | None = None
    verbose: bool = False
    structured: str | None = None  # json_schema, tools or json_mode; None: detect
    jobs: int = 4
    window_chars: int = 6000
    llm_timeout: float = 120.0
    llm_retries: int = 4
    check_candidates: int = 3  # pairs per insight and kind of pair that synth check judges
    check_batch: int = 8  # pairs per model call
    auto_check: bool = True  # check the new insights after every ingest and extract

    def __post_init__(self) -> None:
        from .errors import ConfigError

        self.store = Path(self.store)
        register_secrets(self.api_key, self.chroma_token, _url_password(self.base_url), _url_password(self.chroma_url))
        if self.structured is not None and self.structured not in STRUCTURED_METHODS:
            raise ConfigError(f"SYNTH_STRUCTURED={self.structured!r}: use one of {', '.join(STRUCTURED_METHODS)}")
        if self.jobs < 1 or self.window_chars < 500 or self.llm_timeout <= 0 or self.llm_retries < 0:
            raise ConfigError(
                "--jobs must be at least 1, SYNTH_WINDOW_CHARS at least 500, "
                "SYNTH_LLM_TIMEOUT above 0 and SYNTH_LLM_RETRIES at least 0"
            )
        if not 1 <= self.check_candidates <= 50 or not 1 <= self.check_batch <= 50:
            raise ConfigError("SYNTH_CHECK_CANDIDATES and SYNTH_CHECK_BATCH must be between 1 and 50")
        if self.prompts_dir is not None:
            self.prompts_dir = Path(self.prompts_dir)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Settings from the environment, with keyword overrides (None means not given)."""
        env = os.environ
        values = dict(
            store=Path(env.get("SYNTH_STORE") or DEFAULT_STORE),
            chroma_url=env.get("SYNTH_CHROMA_URL") or None,
            chroma_token=env.get("SYNTH_CHROMA_TOKEN") or None,
            offline=env.get("SYNTH_OFFLINE", "").lower() in ("1", "true", "yes"),
            api_key=env.get("OPENAI_API_KEY") or None,
            base_url=env.get("OPENAI_BASE_URL") or None,
            model=env.get("SYNTH_MODEL") or None,
            embeddings=env.get("SYNTH_EMBEDDINGS") or "minilm",
            prompts_dir=Path(env["SYNTH_PROMPTS"]) if env.get("SYNTH_PROMPTS") else None,
            structured=env.get("SYNTH_STRUCTURED") or None,
            jobs=_number(env, "SYNTH_JOBS", 4, int),
            window_chars=_number(env, "SYNTH_WINDOW_CHARS", 6000, int),
            llm_timeout=_number(env, "SYNTH_LLM_TIMEOUT", 120.0, float),
            llm_retries=_number(env, "SYNTH_LLM_RETRIES", 4, int),
            check_candidates=_number(env, "SYNTH_CHECK_CANDIDATES", 3, int),
            check_batch=_number(env, "SYNTH_CHECK_BATCH", 8, int),
            auto_check=env.get("SYNTH_AUTO_CHECK", "1").lower() not in ("0", "false", "no"),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["store"] = Path(values["store"])
        return cls(**values)

    @property
    def llm_configured(self) -> bool:
        """A chat model is used when a key or a base URL is set and --offline is not."""
        return not self.offline and bool(self.api_key or self.base_url)

    @property
    def chat_model(self) -> str | None:
        if self.model:
            return self.model
        return DEFAULT_OPENAI_MODEL if self.api_key and not self.base_url else None

    def describe(self) -> dict:
        """What `synth status` shows: never the key itself."""
        return {
            "store": public_url(self.chroma_url) if self.chroma_url else str(self.store),
            "chroma_token": ("set" if self.chroma_token else "not set") if self.chroma_url else None,
            "mode": "llm" if self.llm_configured else "offline",
            "offline_flag": self.offline,
            "base_url": public_url(self.base_url) or ("https://api.openai.com/v1 (default)" if self.api_key else None),
            "model": self.chat_model,
            "api_key": "set" if self.api_key else "not set",
            "embeddings": self.embeddings,
            "prompts_dir": str(self.prompts_dir) if self.prompts_dir else None,
            "structured_output": self.structured or "detect",
            "jobs": self.jobs,
            "check_candidates": self.check_candidates,
        }


STRUCTURED_METHODS = ("json_schema", "tools", "json_mode")


_URL_CREDENTIALS = re.compile(r"(https?://)[^/@\s]*@")
_SECRETS: set[str] = set()  # every key and token this process was given: masked wherever text is shown


def register_secrets(*values: str | None) -> None:
    """Remember secrets to mask; a process that holds one also has freed memory overwritten."""
    given = {v for v in values if v and len(v) >= 4}
    if given:
        _SECRETS.update(given)
        scrub_freed_memory()


def _url_password(url: str | None) -> str | None:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).password if url else None
    except ValueError:  # a malformed URL is reported where it is used
        return None


M_PERTURB = -6  # glibc's mallopt parameter: fill freed memory with a byte, and new memory with its complement
_scrubbed = False


def scrub_freed_memory() -> None:
    """From now on, glibc overwrites memory when it is freed, in this process.

    Chroma writes its HNSW files with their unused slots as they lie in memory, and that memory
    can hold what the process freed before: the headers of a model request, API key included,
    were found in a data_level0.bin (tests/test_secrets.py reproduces it). With freed memory
    overwritten, the files hold a fill byte there instead. Embedding gets about 10% slower, so
    this is only on when a secret is held. Without glibc's mallopt (macOS, musl) nothing changes."""
    global _scrubbed
    if _scrubbed:
        return
    _scrubbed = True
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(M_PERTURB, 0x5A)
    except (OSError, AttributeError):
        pass


def public_url(url: str | None) -> str | None:
    """A URL fit to show or store: any user:password@ part is masked."""
    return without_secrets(url) if url else url


def without_secrets(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """Text fit to show or store: the given secrets, every registered one, and any password in a
    URL masked."""
    for secret in sorted({*secrets, *_SECRETS} - {None}, key=len, reverse=True):
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def _number(env, name: str, default, kind):
    from .errors import ConfigError

    value = env.get(name)
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number") from None


HOW_TO_CONFIGURE = (
    "To use a language model, set OPENAI_API_KEY (OpenAI), or OPENAI_BASE_URL and SYNTH_MODEL for a "
    "local OpenAI-compatible server (Ollama: http://localhost:11434/v1, llama.cpp: http://localhost:8080/v1)."
)
