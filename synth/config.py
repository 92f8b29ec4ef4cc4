"""Settings, resolved in one place: command-line flag, then environment variable, then default.

Click reads the flags and their environment variables (`envvar=`); the library builds a
Settings from keyword arguments or from the environment alone (`Settings.from_env()`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_STORE = "store"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


@dataclass
class Settings:
    """Everything synth needs to know to run. The API key is never printed or stored."""

    store: Path = field(default_factory=lambda: Path(DEFAULT_STORE))
    offline: bool = False
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    model: str | None = None
    embeddings: str = "minilm"
    prompts_dir: Path | None = None
    verbose: bool = False

    def __post_init__(self) -> None:
        self.store = Path(self.store)
        if self.prompts_dir is not None:
            self.prompts_dir = Path(self.prompts_dir)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Settings from the environment, with keyword overrides (None means not given)."""
        env = os.environ
        values = dict(
            store=Path(env.get("SYNTH_STORE") or DEFAULT_STORE),
            offline=env.get("SYNTH_OFFLINE", "").lower() in ("1", "true", "yes"),
            api_key=env.get("OPENAI_API_KEY") or None,
            base_url=env.get("OPENAI_BASE_URL") or None,
            model=env.get("SYNTH_MODEL") or None,
            embeddings=env.get("SYNTH_EMBEDDINGS") or "minilm",
            prompts_dir=Path(env["SYNTH_PROMPTS"]) if env.get("SYNTH_PROMPTS") else None,
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
            "store": str(self.store),
            "mode": "llm" if self.llm_configured else "offline",
            "offline_flag": self.offline,
            "base_url": self.base_url or ("https://api.openai.com/v1 (default)" if self.api_key else None),
            "model": self.chat_model,
            "api_key": "set" if self.api_key else "not set",
            "embeddings": self.embeddings,
            "prompts_dir": str(self.prompts_dir) if self.prompts_dir else None,
        }


HOW_TO_CONFIGURE = (
    "To use a language model, set OPENAI_API_KEY (OpenAI), or OPENAI_BASE_URL and SYNTH_MODEL for a "
    "local OpenAI-compatible server (Ollama: http://localhost:11434/v1, llama.cpp: http://localhost:8080/v1)."
)
