"""The one client for every LLM call wslab makes.

Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, LM Studio) through the ``openai``
package. The client adds what the SDK leaves to the caller:

* base URL, model and key from config or environment (``OPENAI_BASE_URL``,
  ``WSLAB_LLM_MODEL``, and the variable named by ``api_key_env``); the key is only read from
  the environment and handed to the SDK -- never stored, logged, cached or written;
* a concurrency limit (asyncio semaphore);
* its own retry loop (the SDK's is switched off): exponential backoff with jitter on 429, 5xx,
  timeouts, connection errors and malformed bodies, honouring ``Retry-After`` /
  ``retry-after-ms`` up to ``retry_after_max_s`` (a longer wait is capped, with one warning);
  unparseable, empty or truncated content is retried once more, then returned with ``error``
  set (the caller records it as failed and retries it on its next run);
* after the retries a request that still fails raises :class:`LLMUnavailable` (exit code 4);
  an endpoint that refuses the request (auth, bad request) raises :class:`LLMError` at once;
* every error message and warning passes :func:`wslab.core.redact.redact` (the key, URL credentials);
* a persistent SQLite response cache (:mod:`wslab.core.llm.cache`);
* token and cost accounting from ``prices`` and a hard budget: a call that could take the spend
  past ``max_cost_usd`` is never started and :class:`~wslab.core.errors.BudgetExceeded` is raised;
* structured output through ``response_format`` json_schema, falling back to a schema in the
  prompt plus a tolerant JSON parser when the server rejects json_schema;
* logprobs captured when asked for and given.

Its settings, prices and usage totals live in :mod:`wslab.core.llm.settings`; reading replies (JSON,
``Retry-After``, error bodies) in :mod:`wslab.core.llm.parsing`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import random
import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wslab.core.errors import BudgetExceeded, ConfigError, WslabError
from wslab.core.llm.cache import ResponseCache, cache_key
from wslab.core.llm.parsing import bare_enum_answer, error_message, parse_json_tolerant, retry_after
from wslab.core.llm.settings import DEFAULT_BASE_URL, LLMSettings, LLMUsage, estimate_tokens
from wslab.core.progress import Reporter
from wslab.core.redact import contains_secret, redact, register_secret, register_url_credentials

__all__ = ["LLMClient", "Completion", "TokenLogprob", "LLMError", "LLMUnavailable"]

DEFAULT_OUTPUT_TOKENS = 64  # max_tokens sent when neither the caller nor llm.max_tokens sets it
ANSWER_CHARS_PER_TOKEN = 32  # an answer longer than this many characters per requested token is refused
CONTENT_RETRIES = 1  # an unusable answer (empty, prose, truncated) is asked again once, no more
log = logging.getLogger("wslab.core.llm")


class LLMError(WslabError):
    """The LLM endpoint refused the request (auth, bad request): a setting to fix, exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class LLMUnavailable(LLMError):
    """A request still failed after all retries (5xx, timeouts, ...): rerun later, exit code 4."""

    exit_code = 4


@dataclass(frozen=True)
class TokenLogprob:
    token: str
    logprob: float


@dataclass(frozen=True)
class Completion:
    content: str
    data: dict[str, Any] | None  # parsed JSON object, None when unparseable after retries
    logprobs: tuple[TokenLogprob, ...] | None
    input_tokens: int
    output_tokens: int
    cost_usd: float  # paid by this call; 0.0 for a cache hit
    cached: bool
    finish_reason: str | None
    model: str
    error: str | None = None


def _messages_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    return sum(estimate_tokens(str(m.get("content", ""))) + 4 for m in messages)


def _messages_tokens_bound(messages: Sequence[Mapping[str, Any]]) -> int:
    """At most this many input tokens: a token is at least one UTF-8 byte (what the budget reserves)."""
    return sum(len(str(m.get("content", "")).encode("utf-8")) + 8 for m in messages)


class _Retry(Exception):
    def __init__(self, kind: str, delay: float | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.delay = delay  # None: exponential backoff


class LLMClient:
    """Async client; one per run. Use ``await complete_json(...)`` or :meth:`complete_many`.

    ``sleep`` can be replaced in tests. Call :meth:`aclose` (or use ``async with``) at the end of
    an event loop; the SDK client is created lazily inside the running loop. Warnings go to
    ``reporter`` (or the ``wslab.core.llm`` logger when there is none), redacted.
    """

    def __init__(self, settings: LLMSettings, *, cache: ResponseCache | None = None,
                 cache_path: str | Path | None = None,
                 sleep: Callable[[float], Any] = asyncio.sleep,
                 reporter: Reporter | None = None) -> None:
        self.settings = settings
        self.model = settings.resolved_model()
        self.base_url = settings.resolved_base_url()
        if settings.max_cost_usd is not None and settings.price(self.model) is None:
            raise ConfigError(f"llm.prices: no price for model {self.model!r}; a budget "
                              "(llm.max_cost_usd) needs input_per_1m and output_per_1m for it")
        if os.environ.get(settings.api_key_env) is None and self.base_url == DEFAULT_BASE_URL:
            raise ConfigError(f"llm.api_key_env: environment variable {settings.api_key_env} is "
                              f"not set; expected the API key for {self.base_url} there")
        register_secret(os.environ.get(settings.api_key_env))
        register_url_credentials(self.base_url)
        path = cache_path or settings.cache_path
        self.cache = cache if cache is not None else (ResponseCache(path) if path else None)
        self.usage = LLMUsage()
        self.structured_output = settings.structured_output
        self._sleep = sleep
        self._rng = random.Random(settings.seed)
        self._reserved = 0.0
        self._sdk: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sem: asyncio.Semaphore | None = None
        self._inflight: dict[str, asyncio.Future[Completion]] = {}
        self.reporter = reporter
        self._warned: set[str] = set()

    # ------------------------------------------------------------------ plumbing
    def _ensure_loop_state(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            from openai import AsyncOpenAI

            self._loop = loop
            self._inflight = {}
            self._sem = asyncio.Semaphore(self.settings.concurrency)
            self._sdk = AsyncOpenAI(
                api_key=os.environ.get(self.settings.api_key_env) or "not-needed",
                base_url=self.base_url,
                timeout=self.settings.timeout_s,
                max_retries=0,
            )

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
        self._sdk = None
        self._loop = None

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        price = self.settings.price(model)
        if price is None:
            return 0.0
        return (input_tokens * price.input_per_1m + output_tokens * price.output_per_1m) / 1e6

    def _backoff(self, attempt: int) -> float:
        cap = min(self.settings.backoff_max_s, self.settings.backoff_base_s * (2 ** attempt))
        return cap / 2 + self._rng.uniform(0, cap / 2)

    def _reserve(self, amount: float) -> None:
        limit = self.settings.max_cost_usd
        if limit is None:
            return
        if self.usage.cost_usd + self._reserved + amount > limit:
            raise BudgetExceeded(self.budget_message())
        self._reserved += amount

    def budget_message(self) -> str:
        """What a budget stop says: the spend so far, counted from every paid call."""
        return (f"LLM budget reached: spent ${self.usage.cost_usd:.4f} of llm.max_cost_usd "
                f"${self.settings.max_cost_usd or 0:.4f} ({self.usage.calls} paid calls); everything paid for "
                "is saved, rerun with a larger budget to continue")

    def _fault(self, kind: str) -> None:
        self.usage.faults[kind] = self.usage.faults.get(kind, 0) + 1

    def warn_once(self, topic: str, message: str) -> None:
        """One warning per ``topic`` and client, redacted, to the reporter or the logger."""
        if topic in self._warned:
            return
        self._warned.add(topic)
        message = redact(message)
        if self.reporter is not None:
            self.reporter.info(f"warning: {message}")
        else:
            log.warning(message)

    def _delay(self, retry: _Retry, attempt: int) -> float:
        """The wait before the next attempt: the server's Retry-After (capped) or backoff."""
        if retry.delay is None:
            return self._backoff(attempt)
        cap = self.settings.retry_after_max_s
        if retry.delay > cap:
            self.warn_once("retry_after", f"LLM endpoint asked to wait {retry.delay:.0f} s (Retry-After); "
                           f"waiting llm.retry_after_max_s = {cap:g} s instead")
            return cap
        return retry.delay

    def _request(self, messages: list[dict[str, Any]], schema: Mapping[str, Any], *,
                 logprobs: bool, max_tokens: int | None, schema_name: str) -> tuple[dict, dict]:
        """(kwargs for the SDK, params for the cache key) in the current structured-output mode."""
        msgs = [dict(m) for m in messages]
        kwargs: dict[str, Any] = {"model": self.model, "temperature": self.settings.temperature}
        kwargs["max_tokens"] = max_tokens or self.settings.max_tokens or DEFAULT_OUTPUT_TOKENS  # always capped
        if logprobs:
            kwargs["logprobs"] = True
        if self.structured_output == "json_schema":
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                "name": schema_name, "strict": True, "schema": dict(schema)}}
        else:
            msgs.append({"role": "system", "content": (
                "Reply with one JSON object and nothing else. It must match this JSON schema: "
                + json.dumps(schema, ensure_ascii=False, sort_keys=True))})
        kwargs["messages"] = msgs
        params = {k: v for k, v in kwargs.items() if k not in ("model", "messages")}
        params["mode"] = self.structured_output
        return kwargs, params

    # ------------------------------------------------------------------ the call
    async def complete_json(self, messages: list[dict[str, Any]], schema: Mapping[str, Any], *,
                            logprobs: bool = False, max_tokens: int | None = None,
                            schema_name: str = "answer") -> Completion:
        """One chat completion whose content is a JSON object matching ``schema``.

        Returns a :class:`Completion` (``data`` None if the content stayed unparseable after all
        retries). Raises :class:`BudgetExceeded` before a call that could exceed the budget and
        :class:`LLMError` when the endpoint fails for good.
        """
        self._ensure_loop_state()
        kwargs, params = self._request(messages, schema, logprobs=logprobs, max_tokens=max_tokens,
                                       schema_name=schema_name)
        key = cache_key(self.model, kwargs["messages"], params)
        hit = self._cached(key)
        if hit is not None:
            return hit
        pending = self._inflight.get(key)
        if pending is not None:  # the same call is already on its way: share its answer
            done = await asyncio.shield(pending)
            self.usage.cache_hits += 1
            return dataclasses.replace(done, cost_usd=0.0, cached=True)
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await self._call(messages, schema, kwargs, key, logprobs=logprobs,
                                      max_tokens=max_tokens, schema_name=schema_name)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters, if any, re-raise it
            raise
        else:
            future.set_result(result)
            return result
        finally:
            self._inflight.pop(key, None)

    async def _call(self, messages: list[dict[str, Any]], schema: Mapping[str, Any],
                    kwargs: dict[str, Any], key: str, *, logprobs: bool, max_tokens: int | None,
                    schema_name: str) -> Completion:
        assert self._sem is not None
        s = self.settings
        async with self._sem:
            attempt = 0
            content_retries = 0
            last = "no attempt"
            while True:
                estimate = self.cost(self.model, _messages_tokens_bound(kwargs["messages"]),
                                     kwargs["max_tokens"])  # the most this call can cost
                self._reserve(estimate)
                try:
                    return await self._attempt(kwargs, key, logprobs, schema)
                except _Retry as r:
                    last = r.kind
                    self._fault(r.kind)
                    if r.kind == "json_schema_unsupported":
                        self.structured_output = "prompt"
                        kwargs, params = self._request(messages, schema, logprobs=logprobs,
                                                       max_tokens=max_tokens, schema_name=schema_name)
                        key = cache_key(self.model, kwargs["messages"], params)
                        hit = self._cached(key)
                        if hit is not None:
                            return hit
                        continue  # a mode switch is not a retry
                    if attempt >= s.max_retries:
                        break
                    if r.kind.startswith("content:"):  # paid for: ask once more, not max_retries times
                        if content_retries >= CONTENT_RETRIES:
                            break
                        content_retries += 1
                    delay = self._delay(r, attempt)
                    attempt += 1
                    self.usage.retries += 1
                    if delay > 0:
                        await self._sleep(delay)
                finally:
                    self._reserved -= estimate
        self.usage.failed += 1
        if last.startswith("content:"):
            return Completion(content="", data=None, logprobs=None, input_tokens=0,
                              output_tokens=0, cost_usd=0.0, cached=False, finish_reason=None,
                              model=self.model, error=f"{last} after {attempt} retries")
        raise LLMUnavailable(f"LLM endpoint {self.base_url} failed after {s.max_retries} retries "
                             f"(last: {last}); rerun later, answers already received are saved")

    def _cached(self, key: str) -> Completion | None:
        if self.cache is None:
            return None
        got = self.cache.get(key)
        if got is None:
            return None
        self.usage.cache_hits += 1
        lps = got.get("logprobs")
        return Completion(
            content=got["content"], data=got["data"],
            logprobs=tuple(TokenLogprob(t, lp) for t, lp in lps) if lps is not None else None,
            input_tokens=got["input_tokens"], output_tokens=got["output_tokens"], cost_usd=0.0,
            cached=True, finish_reason=got.get("finish_reason"), model=got["model"])

    async def _attempt(self, kwargs: dict[str, Any], key: str, logprobs: bool,
                       schema: Mapping[str, Any]) -> Completion:
        """One HTTP call; the answer, or :class:`_Retry` naming what went wrong."""
        raw = await self._post(kwargs)
        try:
            body = json.loads(raw.text)
            choice = body["choices"][0]
            content = choice["message"].get("content") or ""
            finish = choice.get("finish_reason")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise _Retry("malformed_body") from None
        in_tok, out_tok, cost = self._account(body.get("usage") or {}, kwargs["messages"], content)
        if len(content) > ANSWER_CHARS_PER_TOKEN * kwargs["max_tokens"]:
            raise _Retry("content:too_long")  # paid, but neither parsed nor stored
        lps = _token_logprobs(choice.get("logprobs")) if logprobs else None
        data = parse_json_tolerant(content)
        if data is None:
            data = bare_enum_answer(content, schema)
        if data is None:
            raise _Retry("content:truncated" if finish == "length" else "content:unparseable")
        completion = Completion(content=content, data=data, logprobs=lps, input_tokens=in_tok,
                                output_tokens=out_tok, cost_usd=cost, cached=False,
                                finish_reason=finish, model=self.model)
        self._store(key, completion)
        return completion

    async def _post(self, kwargs: dict[str, Any]) -> Any:
        """The raw HTTP response; transient failures raise :class:`_Retry`, refusals :class:`LLMError`."""
        import openai

        assert self._sdk is not None
        try:
            return await self._sdk.chat.completions.with_raw_response.create(**kwargs)
        except openai.APITimeoutError:
            raise _Retry("timeout") from None
        except openai.APIConnectionError:
            raise _Retry("connection") from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            if status == 429:
                raise _Retry("429", retry_after(exc.response.headers)) from None
            if status >= 500 or status == 408:
                raise _Retry(str(status), retry_after(exc.response.headers)) from None
            message = error_message(exc)
            if (status in (400, 422) and "response_format" in kwargs
                    and re.search(r"response_format|json_schema|schema", message, re.I)):
                raise _Retry("json_schema_unsupported") from None
            raise LLMError(f"LLM endpoint {self.base_url} refused the request with HTTP {status}: "
                           f"{message}") from None

    def _account(self, usage: Mapping[str, Any], messages: Sequence[Mapping[str, Any]],
                 content: str) -> tuple[int, int, float]:
        """Add a paid answer to the usage; (input tokens, output tokens, cost), estimated if not reported."""
        in_tok = usage.get("prompt_tokens")
        out_tok = usage.get("completion_tokens")
        if in_tok is None or out_tok is None:
            self.usage.estimated_usage += 1
            in_tok = _messages_tokens(messages) if in_tok is None else in_tok
            out_tok = estimate_tokens(content) if out_tok is None else out_tok
        cost = self.cost(self.model, int(in_tok), int(out_tok))
        self.usage.calls += 1
        self.usage.input_tokens += int(in_tok)
        self.usage.output_tokens += int(out_tok)
        self.usage.cost_usd += cost
        return int(in_tok), int(out_tok), cost

    def _store(self, key: str, c: Completion) -> None:
        if contains_secret(c.content):  # the endpoint echoed the key: never written to disk
            self.warn_once("secret_in_answer", "an LLM answer contained the API key or URL credentials; "
                           "it was used but not cached")
            return
        if self.cache is None:
            return
        try:
            self.cache.put(key, self.model, {
                "content": c.content, "data": c.data, "finish_reason": c.finish_reason, "model": self.model,
                "input_tokens": c.input_tokens, "output_tokens": c.output_tokens, "cost_usd": c.cost_usd,
                "logprobs": [[t.token, t.logprob] for t in c.logprobs] if c.logprobs is not None else None,
            })
        except (OSError, sqlite3.Error) as exc:  # disk full: the answer still reaches the caller's store
            self.warn_once("cache_write", f"LLM response cache {self.cache.path}: cannot write ({exc}); "
                           "answers are used but not cached")

    # ------------------------------------------------------------------ sync helper
    def complete_many(self, requests: Sequence[tuple[list[dict[str, Any]], Mapping[str, Any]]], *,
                      logprobs: bool = False, max_tokens: int | None = None) -> list[Completion]:
        """Run ``[(messages, schema), ...]`` concurrently from synchronous code, in order."""

        async def main() -> list[Completion]:
            try:
                return list(await asyncio.gather(*(
                    self.complete_json(m, sch, logprobs=logprobs, max_tokens=max_tokens)
                    for m, sch in requests)))
            finally:
                await self.aclose()

        return asyncio.run(main())


def _token_logprobs(block: Any) -> tuple[TokenLogprob, ...] | None:
    """The per-token logprobs of a choice's ``logprobs`` block, None when there are none."""
    if isinstance(block, dict) and isinstance(block.get("content"), list):
        return tuple(TokenLogprob(str(t.get("token", "")), float(t.get("logprob", 0.0)))
                     for t in block["content"] if isinstance(t, dict))
    return None
