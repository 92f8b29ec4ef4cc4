"""The only module that builds chat models: LangChain's ChatOpenAI over the openai package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import HOW_TO_CONFIGURE, Settings
from ..errors import ConfigError, ModelError
from ..redact import StreamMasker, public_url, shortened, without_secrets


def chat_model(settings: Settings, streaming: bool = False, max_tokens: int | None = None) -> Any:
    """A chat model for any OpenAI-compatible endpoint (a LangChain `ChatOpenAI`, typed `Any` so
    that this module does not import LangChain until a model is built)."""
    if not settings.llm_configured:
        raise ConfigError("no language model configured. " + HOW_TO_CONFIGURE)
    model = settings.chat_model
    if not model:
        raise ConfigError(
            f"OPENAI_BASE_URL is set ({public_url(settings.base_url)}) but no model: set SYNTH_MODEL "
            "(or --model) to a model that server serves"
        )
    from langchain_openai import ChatOpenAI

    # The openai client retries 408/409/429/5xx, timeouts and refused connections with
    # exponential backoff, and honours Retry-After.
    return ChatOpenAI(
        model=model,
        base_url=settings.base_url,
        api_key=settings.api_key or "not-needed",
        temperature=0,
        streaming=streaming,
        max_retries=settings.llm_retries,
        timeout=settings.llm_timeout,
        max_tokens=max_tokens,
    )


def complete(settings: Settings, system: str, user: str, on_token: Callable[[str], None] | None = None) -> str:
    """One chat completion; tokens are passed to `on_token` as they arrive when it is given.

    The system text is a prompt file; the user text is data and is passed as it is, never
    expanded as a template.
    """
    from langchain_core.messages import HumanMessage, SystemMessage

    model = chat_model(settings, streaming=on_token is not None)
    messages = [SystemMessage(content=system), HumanMessage(content=user)]
    try:
        # a server may put the key into its reply (an echo, a debugging proxy): masked like errors
        if on_token is None:
            return without_secrets(str(model.invoke(messages).content))
        parts = []
        shown = StreamMasker(on_token)
        for chunk in model.stream(messages):
            text = chunk.content if isinstance(chunk.content, str) else ""
            if text:
                parts.append(text)
                shown(text)
        shown.flush()
        return without_secrets("".join(parts))
    except Exception as exc:
        raise ModelError(
            f"the model {settings.chat_model!r} at {public_url(settings.base_url) or 'OpenAI'} failed: "
            f"{type(exc).__name__}: {_first_line(exc)}"
        ) from None


def _first_line(exc: Exception) -> str:
    """The first line of an exception's message, at most 200 characters."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return shortened(text, 200)  # masked before it is cut
