"""The prompted chain: a prompt file and a structured chat, the base of every model-backed step
(the extractor, the check's judge, the brief's writer)."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from ..config import Settings
from ..extraction import cache_key, server_key
from .chat import chat_model
from .prompts import load_prompt
from .structured import StructuredChat


class MethodMemory(Protocol):
    """Where a chain remembers the structured-output method each model server accepted (the
    store's settings)."""

    def structured_method(self, server: str) -> str | None: ...

    def set_structured_method(self, server: str, method: str) -> None: ...


class PromptedChain:
    """A prompt file and a structured chat that starts with the output method this server
    accepted last time; replies are cached by prompt version, model, server and message."""

    offline = False

    def __init__(
        self, settings: Settings, memory: MethodMemory, prompt_name: str, schema: type[BaseModel], max_tokens: int
    ) -> None:
        self.settings = settings
        self._memory = memory
        self.prompt = load_prompt(prompt_name, settings.prompts_dir)
        self.name = f"llm:{settings.chat_model}"
        self._server = server_key(settings.base_url)
        self._remembered = memory.structured_method(self._server)
        self.chat = StructuredChat(
            chat_model(settings, max_tokens=max_tokens), schema, first_method=settings.structured or self._remembered
        )

    def key(self, user: str) -> str:
        """The cache key of a reply to this user message."""
        return cache_key(self.prompt, self.settings.chat_model or "", self.settings.base_url, user)

    def remember(self) -> None:
        """Keep the structured-output method this server took, for the next run."""
        if self.chat.confirmed and self.chat.method != self._remembered:
            self._memory.set_structured_method(self._server, self.chat.method)
            self._remembered = self.chat.method
