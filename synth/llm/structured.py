"""Structured output from any OpenAI-compatible server, into a pydantic model.

Servers differ in how they can be held to a schema: OpenAI takes `response_format` of type
`json_schema`; llama.cpp's server rejects that and takes `json_object` (with a `schema`); some
only do tool calls. synth tries them in the order json_schema, tools, json_mode, starting from
the one configured (SYNTH_STRUCTURED) or remembered for this base URL, and moves on when the
server refuses one (an HTTP 400/404/422/501 about the request). Whatever the method, the reply
is validated against the pydantic model here; an invalid reply is retried once with the
validation error, then reported.

Transient failures (429 with Retry-After, 5xx, timeouts, refused connections) are retried by the
openai client underneath, with exponential backoff that honours Retry-After.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from ..config import STRUCTURED_METHODS
from ..errors import ModelError
from ..redact import shortened

METHODS = STRUCTURED_METHODS  # tried in this order
TOOL_NAME = "record_output"


class Refused(Exception):
    """The server does not accept this way of asking for structured output."""


class InvalidOutput(Exception):
    """The model replied, but not with valid output for the schema."""


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens


@dataclass
class StructuredResult:
    value: BaseModel
    method: str
    usage: Usage = field(default_factory=Usage)


class StructuredChat:
    """Calls a chat model for output of one pydantic type, finding a method the server takes."""

    def __init__(self, model, schema: type[BaseModel], first_method: str | None = None, fixed: bool = False):
        self.model = model
        self.schema = schema
        self.method = first_method if first_method in METHODS else METHODS[0]
        self.fixed = fixed
        self._confirmed = False
        self._json_schema = _inline_schema(schema)

    @property
    def confirmed(self) -> bool:
        """Whether a call has succeeded with the current method."""
        return self._confirmed

    def invoke(self, system: str, user: str, usage: Usage | None = None) -> StructuredResult:
        """One validated reply. Raises ModelError (with the reason) when none could be had;
        `usage` counts every call made, including those of a failed attempt."""
        from langchain_core.messages import HumanMessage, SystemMessage

        messages = [SystemMessage(content=system), HumanMessage(content=user)]
        usage = usage if usage is not None else Usage()
        while True:
            method = self.method
            try:
                value = self._invoke_validated(method, messages, usage)
            except Refused as exc:
                following = METHODS[METHODS.index(method) + 1 :] if not self.fixed else ()
                if not following or self._confirmed:
                    raise ModelError(f"the server refused structured output ({method}): {exc}") from None
                self.method = following[0]
                continue
            self._confirmed = True
            return StructuredResult(value, method, usage)

    def _invoke_validated(self, method: str, messages: list, usage: Usage) -> BaseModel:
        """Ask; if the reply is invalid, ask once more with the validation error."""
        from langchain_core.messages import AIMessage, HumanMessage

        try:
            return self._parse(self._call(method, messages, usage), method)
        except InvalidOutput as first:
            reply, problem = first.args
            retry = messages + [
                AIMessage(content=reply[:4000] or "(empty)"),
                HumanMessage(
                    content=(
                        f"That reply is not valid: {problem}. Reply again with only a JSON object that "
                        "matches the schema, nothing else."
                    )
                ),
            ]
            try:
                return self._parse(self._call(method, retry, usage), method)
            except InvalidOutput as second:
                raise ModelError(f"invalid output twice; last problem: {second.args[1]}") from None

    def _call(self, method: str, messages: list, usage: Usage):
        import openai

        model = self._bound(method)
        try:
            message = model.invoke(messages)
        except openai.LengthFinishReasonError:
            usage.calls += 1
            raise InvalidOutput("", "the output was cut off (the model hit its token limit)") from None
        except (openai.BadRequestError, openai.NotFoundError, openai.UnprocessableEntityError) as exc:
            if _about_the_method(exc, method):
                raise Refused(_short(exc)) from None
            raise ModelError(f"the server rejected the request: {_short(exc)}") from None
        except openai.APIStatusError as exc:
            # llama-cpp-python answers an unknown response_format with a 500 that names it
            if exc.status_code == 501 or (exc.status_code != 429 and _names_the_method(exc, method)):
                raise Refused(_short(exc)) from None
            raise ModelError(f"HTTP {exc.status_code} after retries: {_short(exc)}") from None
        except openai.APITimeoutError:
            raise ModelError("the request timed out after retries") from None
        except openai.APIConnectionError as exc:
            causes: list[BaseException] = []
            cause = exc.__cause__ or exc.__context__
            while cause is not None and len(causes) < 10:
                causes.append(cause)
                cause = cause.__cause__ or cause.__context__
            if causes and not any(
                type(c).__name__ in ("ConnectError", "ConnectionRefusedError", "ConnectTimeout") for c in causes
            ):
                root = causes[-1]
                cause_text = shortened(str(root), 200)
                raise ModelError(
                    f"the server broke off its reply, after retries ({type(root).__name__}: {cause_text})"
                ) from None
            raise ModelError(f"cannot connect to the server after retries ({_short(exc)})") from None
        except openai.APIError as exc:
            raise ModelError(_short(exc)) from None
        usage.calls += 1
        meta = getattr(message, "usage_metadata", None) or {}
        usage.prompt_tokens += int(meta.get("input_tokens") or 0)
        usage.completion_tokens += int(meta.get("output_tokens") or 0)
        finish = (getattr(message, "response_metadata", None) or {}).get("finish_reason")
        if finish == "length":
            raise InvalidOutput(_content(message), "the output was cut off (the model hit its token limit)")
        return message

    def _bound(self, method: str):
        if method == "json_schema":
            return self.model.bind(
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": self.schema.__name__, "schema": self._json_schema, "strict": False},
                }
            )
        if method == "tools":
            tool = {
                "type": "function",
                "function": {
                    "name": TOOL_NAME,
                    "description": self.schema.__doc__ or "Record the output.",
                    "parameters": self._json_schema,
                },
            }
            return self.model.bind(tools=[tool], tool_choice={"type": "function", "function": {"name": TOOL_NAME}})
        return self.model.bind(response_format={"type": "json_object", "schema": self._json_schema})

    def _parse(self, message, method: str) -> BaseModel:
        if method == "tools":
            calls = getattr(message, "tool_calls", None) or []
            if calls:
                data = calls[0].get("args")
                return self._validate(data, json.dumps(data))
            invalid = getattr(message, "invalid_tool_calls", None) or []
            if invalid:
                raw = invalid[0].get("args") or ""
                raise InvalidOutput(
                    raw, f"the tool call arguments are not valid JSON ({invalid[0].get('error') or 'unparseable'})"
                )
            # Some servers answer in the content even when asked for a tool call.
        text = _content(message)
        data = _json_from_text(text)
        if data is None:
            raise InvalidOutput(text, "it is not a JSON object")
        return self._validate(data, text)

    def _validate(self, data, raw: str) -> BaseModel:
        if isinstance(data, list) and len(self.schema.model_fields) == 1:
            data = {next(iter(self.schema.model_fields)): data}
        try:
            return self.schema.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
            raise InvalidOutput(raw, f"it does not match the schema ({problems})") from None


def _content(message) -> str:
    content = getattr(message, "content", "")
    if isinstance(content, list):
        content = "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return content or ""


_FENCE = re.compile(r"```(?:json)?\s*+(.*?)```", re.S)


def _json_from_text(text: str):
    """The JSON value of a reply: the whole text, a fenced block, or the outermost {...}."""
    candidates = [text.strip()]
    candidates += [m.strip() for m in _FENCE.findall(text)]
    first, last = text.find("{"), text.rfind("}")
    if 0 <= first < last:
        candidates.append(text[first : last + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, (dict, list)):
            return value
    return None


def _about_the_method(exc, method: str) -> bool:
    """Whether a 4xx is the server refusing this way of asking (not, say, a too-long prompt)."""
    if getattr(exc, "status_code", None) in (404, 422):
        return True
    text = _short(exc, 2000).lower()
    words = {
        "json_schema": ("response_format", "json_schema", "schema"),
        "tools": ("tool", "function"),
        "json_mode": ("response_format", "json_object", "json"),
    }[method]
    return any(w in text for w in words) or "not supported" in text or "unsupported" in text


def _names_the_method(exc, method: str) -> bool:
    text = _short(exc, 2000).lower()
    return {
        "json_schema": "json_schema" in text,
        "tools": "tool" in text and ("support" in text or "input should be" in text),
        "json_mode": "json_object" in text and "response_format" in text,
    }[method]


def _short(exc: Exception, limit: int = 200) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        message = body.get("message") or (inner.get("message") if isinstance(inner, dict) else inner)
        if message:
            return shortened(str(message), limit)
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return shortened(text, limit)  # masked before it is cut: a key across the cut leaves no piece


def _inline_schema(schema: type[BaseModel]) -> dict:
    """The JSON schema with $defs inlined: small servers (llama.cpp grammars) handle it better."""
    raw = schema.model_json_schema()
    defs = raw.pop("$defs", {})

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].split("/")[-1]])
            return {k: resolve(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(raw)
