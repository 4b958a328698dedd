"""The client the assistant uses: any OpenAI-compatible chat server (ours, vLLM, llama.cpp, Ollama)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import httpx
import httpx2
import openai
from openai import Stream
from openai.types.chat import ChatCompletionChunk

from inference.deadline import DeadlineTransport, within

DEFAULT_CONTEXT_LENGTH = 2048
# Connecting gets at most this share of a request's time, so a connection that times out leaves
# time for the one retry.
CONNECT_SHARE = 0.5


@dataclass(frozen=True)
class Completion:
    """A whole reply from the model server."""

    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    model: str


class InferenceError(Exception):
    """The model server could not produce a reply; the message says why in plain words."""


class ContextLengthError(InferenceError):
    """The conversation does not fit in the model's context window."""


def count_tokens(text: str) -> int:
    """Estimate tokens without a tokenizer: one per 3 characters, rounded up, so it over-counts."""
    # BPE tokenizers average about 4 characters per English token; 3 leaves headroom for code,
    # numbers and other languages, so a prompt budgeted with this estimate fits in practice.
    return math.ceil(len(text) / 3)


class InferenceClient:
    """Chat with an OpenAI-compatible model server, with timeouts, retries and clear errors.

    A request ends within `timeout` seconds whatever the server does (trickling bytes, sending
    headers and then nothing), retries included; a streamed reply gets `timeout` seconds until its
    first token and again after each token, so a long answer from a busy but working server is not
    cut off. A request that fails before the server answers is retried `max_retries` times within
    that time.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        model: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 1,
    ) -> None:
        root = base_url.rstrip("/")
        self.base_url = root[: -len("/v1")] if root.endswith("/v1") else root
        self.timeout = timeout
        self._api_key = api_key
        self._model = model
        self._context_length: int | None = None
        # The SDK retries connection errors, timeouts, 408/409/429 and 5xx with backoff; the
        # deadline set around each call (`within`) bounds the retries too.
        limits = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)
        self._openai = openai.OpenAI(
            base_url=f"{self.base_url}/v1",
            api_key=api_key or "unused",
            timeout=httpx2.Timeout(timeout, connect=timeout * CONNECT_SHARE),
            max_retries=max_retries,
            http_client=httpx2.Client(transport=DeadlineTransport(limits=limits)),
        )

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        seed: int | None = None,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
    ) -> Completion:
        """Generate a whole reply."""
        model = self.model_name()
        with self._errors(), within(self._deadline()):
            response = self._openai.chat.completions.create(
                model=model,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
                stop=stop or None,
                seed=seed,
                frequency_penalty=frequency_penalty,
                presence_penalty=presence_penalty,
            )
        choice = response.choices[0]
        used = response.usage
        return Completion(
            text=choice.message.content or "",
            finish_reason=choice.finish_reason or "stop",
            prompt_tokens=used.prompt_tokens if used else 0,
            completion_tokens=used.completion_tokens if used else 0,
            model=response.model or model,
        )

    def stream_chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        seed: int | None = None,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
    ) -> Iterator[str]:
        """Yield the reply's text deltas; closing the iterator closes the HTTP stream."""
        model = self.model_name()
        deadline = self._deadline()
        with self._errors(), within(deadline):
            # stream=True selects the streaming overload; the cast says so to the type checker.
            stream = cast(
                "Stream[ChatCompletionChunk]",
                self._openai.chat.completions.create(
                    model=model,
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=max_tokens,
                    temperature=temperature,
                    stop=stop or None,
                    seed=seed,
                    frequency_penalty=frequency_penalty,
                    presence_penalty=presence_penalty,
                    stream=True,
                ),
            )
        chunks = iter(stream)
        try:
            while True:
                # The deadline is set around each read only: between reads this generator is
                # suspended, and the caller's code must not run under it.
                with self._errors(), within(deadline):
                    chunk = next(chunks, None)
                if chunk is None:
                    return
                for choice in chunk.choices:
                    if choice.delta.content or choice.finish_reason:
                        # Progress: keep-alive comments and empty events do not count.
                        deadline = self._deadline()
                    if choice.delta.content:
                        yield choice.delta.content
        finally:
            # Closing the response makes the server see a disconnect and stop generating.
            stream.close()

    def models(self) -> list[str]:
        """Ids of the models the server offers."""
        with self._errors(), within(self._deadline()):
            return [m.id for m in self._openai.models.list().data]

    def health(self) -> bool:
        """True when the server answers its health check (or, lacking one, lists models)."""
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        try:
            response = httpx.get(
                f"{self.base_url}/health", timeout=min(self.timeout, 5.0), headers=headers
            )
        except httpx.HTTPError:
            return False
        if response.status_code == 404:  # Ollama and others have no /health
            try:
                return bool(self.models())
            except InferenceError:
                return False
        return response.status_code == 200

    def context_length(self) -> int:
        """The model's context window as the server reports it, else a conservative default."""
        if self._context_length is None:
            self._context_length = self._fetch_context_length() or DEFAULT_CONTEXT_LENGTH
        return self._context_length

    @property
    def model(self) -> str:
        """The model this client talks to, as far as it knows it yet ("" before its first call
        when none was configured); for records of what answered, without a request of its own."""
        return self._model or ""

    def model_name(self) -> str:
        """The configured model, or the first one the server offers."""
        if self._model is None:
            names = self.models()
            if not names:
                raise InferenceError(f"model server at {self.base_url} offers no model")
            self._model = names[0]
        return self._model

    def _fetch_context_length(self) -> int | None:
        with self._errors(), within(self._deadline()):
            entries = self._openai.models.list().data
        wanted = self._model
        for entry in entries:
            if wanted is not None and entry.id != wanted:
                continue
            extra: dict[str, Any] = entry.model_extra or {}
            for key in ("max_model_len", "context_length", "context_window"):
                value = extra.get(key)
                if isinstance(value, int) and value > 0:
                    return value
        return None

    def _errors(self) -> _ErrorTranslator:
        return _ErrorTranslator(self.base_url)

    def _deadline(self) -> float:
        return time.monotonic() + self.timeout


class _ErrorTranslator:
    """Turns the SDK's exceptions into InferenceError with a message a person can act on."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        where = f"model server at {self.base_url}"
        # Reading a stream raises httpx's own errors: the SDK wraps only the request itself.
        if isinstance(exc, httpx2.TimeoutException):
            raise InferenceError(f"{where} did not answer in time") from exc
        if isinstance(exc, httpx2.HTTPError):
            raise InferenceError(f"{where} broke off the reply: {exc}") from exc
        if exc is None or not isinstance(exc, openai.OpenAIError):
            return
        if isinstance(exc, openai.APITimeoutError):
            raise InferenceError(f"{where} did not answer in time") from exc
        if isinstance(exc, openai.APIConnectionError):
            raise InferenceError(f"{where} is not reachable") from exc
        if isinstance(exc, openai.AuthenticationError):
            raise InferenceError(f"{where} rejected the API key") from exc
        if isinstance(exc, openai.APIStatusError):
            message = _error_message(exc)
            if _error_code(exc) == "context_length_exceeded":
                raise ContextLengthError(message) from exc
            raise InferenceError(f"{where} answered {exc.status_code}: {message}") from exc
        raise InferenceError(f"{where} failed: {exc}") from exc


def _error_body(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return body if isinstance(body, dict) else {}


def _error_message(exc: openai.APIStatusError) -> str:
    return str(_error_body(exc).get("message") or exc.message)


def _error_code(exc: openai.APIStatusError) -> str | None:
    code = _error_body(exc).get("code")
    return code if isinstance(code, str) else None
