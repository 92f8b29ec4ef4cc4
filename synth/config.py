"""Settings, resolved in one place: command-line flag, then environment variable, then default.

Each setting's default is the dataclass field's default below, and its environment variable is
in `ENV_VARS`; nothing else names either. The CLI passes only the flags a person gave (None when
not given) to `Settings.from_env`, which reads the environment variables for the rest. There is
no config file yet; it would be read between the environment and the defaults, here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .redact import public_url, register_secrets, url_password

if TYPE_CHECKING:
    from .models import SettingsStatus

DEFAULT_STORE = "store"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
STRUCTURED_METHODS = ("json_schema", "tools", "json_mode")  # the ways to ask a server for structured output


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
    # an OpenAI-compatible /v1 URL that computes the embeddings (python -m synth.embed_server on
    # another machine serves MiniLM's), with its key if it asks for one
    embeddings_url: str | None = None
    embeddings_key: str | None = field(default=None, repr=False)
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
    max_file_mb: float = 20.0  # ingest refuses a file larger than this (a .docx or zip: uncompressed)
    init_store: bool = False  # a writer may create a store in a folder that holds other files
    # where `--post` delivers (synth/deliver.py): secrets, like the API key
    slack_webhook: str | None = field(default=None, repr=False)
    webhook_url: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        from .errors import ConfigError

        self.store = Path(self.store)
        register_secrets(self.api_key, self.chroma_token, url_password(self.base_url), url_password(self.chroma_url))
        register_secrets(self.slack_webhook, self.webhook_url, self.webhook_secret)
        register_secrets(self.embeddings_key, url_password(self.embeddings_url))
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
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from keyword overrides (None means not given), then the environment, then the
        defaults."""
        values: dict[str, Any] = {}
        for name, variable in ENV_VARS.items():
            raw = os.environ.get(variable.name)
            if raw:  # an empty variable counts as not set
                values[name] = variable.parse(variable.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def llm_configured(self) -> bool:
        """A chat model is used when a key or a base URL is set and --offline is not."""
        return not self.offline and bool(self.api_key or self.base_url)

    @property
    def chat_model(self) -> str | None:
        """The model to ask: the configured one, or OpenAI's default when only a key is set."""
        if self.model:
            return self.model
        return DEFAULT_OPENAI_MODEL if self.api_key and not self.base_url else None

    def describe(self) -> SettingsStatus:
        """What `synth status` shows: never the key itself."""
        from .models import SettingsStatus

        return SettingsStatus(
            store=public_url(self.chroma_url) if self.chroma_url else str(self.store),
            chroma_token=("set" if self.chroma_token else "not set") if self.chroma_url else None,
            mode="llm" if self.llm_configured else "offline",
            offline_flag=self.offline,
            base_url=public_url(self.base_url) or ("https://api.openai.com/v1 (default)" if self.api_key else None),
            model=self.chat_model,
            api_key="set" if self.api_key else "not set",
            embeddings=self.embeddings,
            prompts_dir=str(self.prompts_dir) if self.prompts_dir else None,
            structured_output=self.structured or "detect",
            jobs=self.jobs,
            check_candidates=self.check_candidates,
        )


def default_of(name: str) -> Any:
    """The default of a setting (for help texts: they show it without writing it again)."""
    for f in dataclasses.fields(Settings):
        if f.name == name:
            return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    raise KeyError(name)


def _text(variable: str, raw: str) -> str:
    return raw


def _path(variable: str, raw: str) -> Path:
    return Path(raw)


def _on(variable: str, raw: str) -> bool:
    return raw.lower() in ("1", "true", "yes", "on", "y", "t")


def _not_off(variable: str, raw: str) -> bool:
    return raw.lower() not in ("0", "false", "no")


def _number(kind: Callable[[str], Any]) -> Callable[[str, str], Any]:
    def parse(variable: str, raw: str) -> Any:
        from .errors import ConfigError

        try:
            return kind(raw)
        except ValueError:
            raise ConfigError(f"{variable}={raw!r} is not a number") from None

    return parse


@dataclass(frozen=True)
class EnvVar:
    """The environment variable of a setting, and how its text becomes the setting's value."""

    name: str
    parse: Callable[[str, str], Any] = _text


ENV_VARS: dict[str, EnvVar] = {
    "store": EnvVar("SYNTH_STORE", _path),
    "chroma_url": EnvVar("SYNTH_CHROMA_URL"),
    "chroma_token": EnvVar("SYNTH_CHROMA_TOKEN"),
    "offline": EnvVar("SYNTH_OFFLINE", _on),
    "api_key": EnvVar("OPENAI_API_KEY"),
    "base_url": EnvVar("OPENAI_BASE_URL"),
    "model": EnvVar("SYNTH_MODEL"),
    "embeddings": EnvVar("SYNTH_EMBEDDINGS"),
    "embeddings_url": EnvVar("SYNTH_EMBEDDINGS_URL"),
    "embeddings_key": EnvVar("SYNTH_EMBEDDINGS_KEY"),
    "prompts_dir": EnvVar("SYNTH_PROMPTS", _path),
    "structured": EnvVar("SYNTH_STRUCTURED"),
    "jobs": EnvVar("SYNTH_JOBS", _number(int)),
    "window_chars": EnvVar("SYNTH_WINDOW_CHARS", _number(int)),
    "llm_timeout": EnvVar("SYNTH_LLM_TIMEOUT", _number(float)),
    "llm_retries": EnvVar("SYNTH_LLM_RETRIES", _number(int)),
    "check_candidates": EnvVar("SYNTH_CHECK_CANDIDATES", _number(int)),
    "check_batch": EnvVar("SYNTH_CHECK_BATCH", _number(int)),
    "auto_check": EnvVar("SYNTH_AUTO_CHECK", _not_off),
    "max_file_mb": EnvVar("SYNTH_MAX_FILE_MB", _number(float)),
    "init_store": EnvVar("SYNTH_INIT_STORE", _on),
    "slack_webhook": EnvVar("SYNTH_SLACK_WEBHOOK"),
    "webhook_url": EnvVar("SYNTH_WEBHOOK_URL"),
    "webhook_secret": EnvVar("SYNTH_WEBHOOK_SECRET"),
}


HOW_TO_CONFIGURE = (
    "To use a language model, set OPENAI_API_KEY (OpenAI), or OPENAI_BASE_URL and SYNTH_MODEL for a "
    "local OpenAI-compatible server (Ollama: http://localhost:11434/v1, llama.cpp: http://localhost:8080/v1)."
)
