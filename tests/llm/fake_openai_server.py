"""An OpenAI-compatible chat-completions server for tests, on 127.0.0.1 (any free port).

Import it from any test folder by path (pytest runs with ``--import-mode=importlib``)::

    import importlib.util, pathlib
    spec = importlib.util.spec_from_file_location(
        "fake_openai_server", pathlib.Path(__file__).parents[1] / "llm" / "fake_openai_server.py")
    fos = importlib.util.module_from_spec(spec); spec.loader.exec_module(fos)

or put ``tests/llm`` on ``sys.path`` and ``from fake_openai_server import FakeOpenAIServer``.

API
---
``FakeOpenAIServer(answer=None, *, faults=None, latency_s=0.0, json_schema=True,
hold_after=None, token_logprob=-0.01)`` -- a context manager; ``with FakeOpenAIServer() as srv``
starts a threaded ``http.server`` and stops it on exit.

* ``srv.base_url``: ``"http://127.0.0.1:<port>/v1"``, to use as ``LLMSettings.base_url``.
* ``answer(body) -> str | dict | Answer``: the scripted model. ``body`` is the request JSON
  (``body["messages"]`` etc.). A ``dict`` is JSON-encoded as the message content; an
  :class:`Answer` also sets the per-token logprob. The default answer picks the first value of
  the ``enum`` found in the json_schema (or ``{"label": "ABSTAIN"}``).
* ``faults``: ``{request_ordinal: Fault}`` (0-based, counted over all requests the server
  received) or a callable ``(ordinal, body) -> Fault | None``. Fault kinds:
  ``Fault("429", retry_after="1")`` (header ``Retry-After``; ``retry_after_ms`` sets
  ``retry-after-ms``), ``Fault("500")``, ``Fault("hang", seconds=2.0)`` (no answer until the
  client has timed out), ``Fault("malformed")`` (status 200, body that is not JSON),
  ``Fault("truncated")`` (status 200, content cut in half, ``finish_reason="length"``),
  ``Fault("401")`` (an auth error whose message echoes the bearer token received, as some
  servers do), ``Fault("echo_auth")`` (a 200 answer whose content also carries the
  ``Authorization`` header received, as a careless proxy might).
* ``json_schema=False``: the server rejects ``response_format`` of type ``json_schema`` with a
  400, as servers without structured output do.
* ``chars_per_token=4``: the ``prompt_tokens`` reported are the characters of all messages
  divided by this (1 models a script such as Cyrillic that tokenizes densely).
* ``hold_after=n``: once ``n`` requests have been answered, every further request is held
  without an answer until :meth:`abort_held` (which drops them unanswered) -- a deterministic
  way to kill a client "halfway".
* ``srv.requests``: list of :class:`Recorded` (``ordinal``, ``body``, ``status``, ``paid``)
  for every request received (``usage``: the usage block of a 200 answer); ``paid`` is True once a 200 answer with ``usage`` was fully
  written (what a real provider would bill). ``srv.paid()`` lists the paid ones;
  ``srv.wait_paid(n, timeout)`` blocks until ``n`` requests were paid.
* helpers: ``user_text(body)`` returns the last user message; ``all_text(body)`` all message
  contents joined, e.g. to assert that no raw e-mail address ever reached the server;
  ``prompt_parts(body)`` splits a (few-shot) labeling prompt into the document asked about, the
  solved examples shown before it and the instruction.
* :class:`NoisyOracle`: a realistic labeler to pass as ``answer``. It knows each document's
  true label (``truth``: text -> label), answers from a known per-class confusion matrix with
  seeded draws, answers better when the prompt carries solved examples (``few_shot_gain``) and
  per instruction (``by_instruction``), and logs what each request showed (``oracle.log``).

Usage is reported as ``prompt_tokens = chars/4`` of all messages and ``completion_tokens`` =
number of content tokens; ``choices[0].logprobs.content`` is filled when ``logprobs`` is true.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    content: str | dict
    logprob: float = -0.01  # logprob given to every content token


@dataclass
class Fault:
    kind: str  # "429" | "500" | "hang" | "malformed" | "truncated" | "401"
    retry_after: str | None = None
    retry_after_ms: str | None = None
    seconds: float = 2.0


@dataclass
class Recorded:
    ordinal: int
    body: dict
    status: int | None = None
    paid: bool = False
    fault: str | None = None
    usage: dict | None = None
    received_at: float = field(default_factory=time.monotonic)


_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


def user_text(body: Mapping[str, Any]) -> str:
    users = [m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"]
    return users[-1] if users else ""


def all_text(body: Mapping[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))


def _find_enum(schema: Any) -> list | None:
    if isinstance(schema, dict):
        if "enum" in schema:
            return schema["enum"]
        for v in schema.values():
            found = _find_enum(v)
            if found:
                return found
    elif isinstance(schema, list):
        for v in schema:
            found = _find_enum(v)
            if found:
                return found
    return None


def default_answer(body: Mapping[str, Any]) -> dict:
    enum = _find_enum(body.get("response_format"))
    return {"label": enum[0] if enum else "ABSTAIN"}


_DOC = re.compile(r"<document-([0-9a-f]{12})>\n(.*?)\n</document-\1>", re.S)
_INSTRUCTION = re.compile(r"^Instruction: (.*)$", re.M)


@dataclass
class PromptParts:
    document: str | None  # the text between the markers of the last user message
    examples: list[tuple[str, str]]  # (text, label) of the solved examples shown before it
    instruction: str


def prompt_parts(body: Mapping[str, Any]) -> PromptParts:
    """The document asked about, the solved examples (user turn + assistant answer) before it,
    and the instruction, of a labeling prompt (:func:`wslab.labeling.prompt_lf.build_messages`)."""
    messages = list(body.get("messages", []))
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    examples: list[tuple[str, str]] = []
    for i, m in enumerate(messages[:max(last_user, 0)]):
        if m.get("role") != "user" or i + 1 >= len(messages) or messages[i + 1].get("role") != "assistant":
            continue
        found = _DOC.findall(str(m.get("content", "")))
        try:
            label = json.loads(messages[i + 1]["content"])["label"]
        except (ValueError, KeyError, TypeError):
            continue
        if found:
            examples.append((found[-1][1], label))
    text = str(messages[last_user].get("content", "")) if last_user >= 0 else ""
    docs = _DOC.findall(text)
    inst = _INSTRUCTION.search(text)
    return PromptParts(docs[-1][1] if docs else None, examples, inst.group(1).strip() if inst else "")


@dataclass
class OracleCall:
    document: str | None
    examples: list[tuple[str, str]]
    instruction: str
    answer: str
    reasoning: bool


Confusion = Mapping[str, Mapping[str, float]]


class NoisyOracle:
    """A labeler with a known confusion matrix, for ``FakeOpenAIServer(answer=NoisyOracle(...))``.

    ``truth``: document text -> true label. ``confusion[true][answer]``: the probability of
    answering ``answer`` (a label or ``ABSTAIN``) for a document of class ``true``; rows sum to
    1. With solved examples in the prompt the matrix is ``(1 - g) * confusion + g * identity``
    (``g = few_shot_gain``): a known gain. ``by_instruction``: ``{substring: confusion}``, used
    instead of ``confusion`` when the instruction contains the substring. The draw of a document
    is seeded by (``seed``, its text, zero- or few-shot) only, so the same document gets the
    same answer on every request and the draws of two instructions are paired (as one model's
    errors on hard documents are). A document not in ``truth`` gets ABSTAIN. A schema with a
    ``reasoning`` property gets one. Every answer is appended to ``log``.
    """

    def __init__(self, truth: Mapping[str, str], confusion: Confusion, *, few_shot_gain: float = 0.0,
                 by_instruction: Mapping[str, Confusion] | None = None, seed: int = 0) -> None:
        for name, conf in {"confusion": confusion, **dict(by_instruction or {})}.items():
            for true, row in conf.items():
                if abs(sum(row.values()) - 1.0) > 1e-9:
                    raise ValueError(f"{name}: row {true!r} sums to {sum(row.values())}, expected 1")
        self.truth = dict(truth)
        self.confusion = confusion
        self.few_shot_gain = few_shot_gain
        self.by_instruction = dict(by_instruction or {})
        self.seed = seed
        self.log: list[OracleCall] = []
        self._lock = threading.Lock()

    def matrix(self, instruction: str = "", *, few_shot: bool = False) -> dict[str, dict[str, float]]:
        """The confusion the oracle answers from (rows: true label)."""
        conf = next((c for key, c in self.by_instruction.items() if key in instruction), self.confusion)
        g = self.few_shot_gain if few_shot else 0.0
        return {t: {a: (1 - g) * p + (g if a == t else 0.0) for a, p in {**row, t: row.get(t, 0.0)}.items()}
                for t, row in conf.items()}

    def _draw(self, text: str, few_shot: bool) -> float:
        import hashlib

        h = hashlib.sha256(f"{self.seed}|{int(few_shot)}|{text}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2 ** 64

    def __call__(self, body: dict) -> dict:
        parts = prompt_parts(body)
        few = bool(parts.examples)
        true = self.truth.get(parts.document) if parts.document is not None else None
        answer = "ABSTAIN"
        if true is not None:
            row = self.matrix(parts.instruction, few_shot=few)[true]
            u, acc = self._draw(parts.document, few), 0.0
            # the true label first: a better matrix turns wrong answers right on the same draws
            for label in sorted(row, key=lambda a: a != true):
                acc += row[label]
                answer = label
                if u < acc:
                    break
        props = ((((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {})
                 .get("properties") or {})
        reasoning = "reasoning" in props or '"reasoning"' in all_text(body)
        with self._lock:
            self.log.append(OracleCall(parts.document, parts.examples, parts.instruction, answer, reasoning))
        return {"reasoning": "The document is about this.", "label": answer} if reasoning else {"label": answer}


class FakeOpenAIServer:
    def __init__(
        self,
        answer: Callable[[dict], str | dict | Answer] | None = None,
        *,
        faults: Mapping[int, Fault] | Callable[[int, dict], Fault | None] | None = None,
        latency_s: float = 0.0,
        json_schema: bool = True,
        hold_after: int | None = None,
        token_logprob: float = -0.01,
        chars_per_token: int = 4,
    ) -> None:
        self.chars_per_token = chars_per_token
        self.answer = answer or default_answer
        self.faults = faults or {}
        self.latency_s = latency_s
        self.json_schema = json_schema
        self.hold_after = hold_after
        self.token_logprob = token_logprob
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._paid_cond = threading.Condition(self._lock)
        self._release = threading.Event()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeOpenAIServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms per answer

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                server._handle(self)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that was killed mid-request is expected in these tests

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # ------------------------------------------------------------------ inspection
    def paid(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.paid]

    def wait_paid(self, n: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._paid_cond:
            while sum(r.paid for r in self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._paid_cond.wait(left)
        return True

    def abort_held(self) -> None:
        """Drop every held request without an answer and stop holding new ones."""
        self.hold_after = None
        self._release.set()

    # ------------------------------------------------------------------ serving
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            return self._send(h, 400, {"error": {"message": "body is not JSON"}})
        with self._lock:
            rec = Recorded(ordinal=len(self.requests), body=body)
            self.requests.append(rec)
            n_paid = sum(r.paid for r in self.requests)
        if self.hold_after is not None and n_paid >= self.hold_after:
            rec.fault = "held"
            self._release.wait()
            h.close_connection = True
            return  # dropped unanswered
        fault = self.faults(rec.ordinal, body) if callable(self.faults) else self.faults.get(rec.ordinal)
        if self.latency_s:
            time.sleep(self.latency_s)
        if fault is not None:
            rec.fault = fault.kind
            return self._fault(h, rec, fault)
        rf = body.get("response_format") or {}
        if rf.get("type") == "json_schema" and not self.json_schema:
            rec.status = 400
            return self._send(h, 400, {"error": {"message": "response_format of type json_schema is not supported by this server", "type": "invalid_request_error"}})
        self._answer(h, rec, body, truncated=False)

    def _fault(self, h: BaseHTTPRequestHandler, rec: Recorded, fault: Fault) -> None:
        if fault.kind == "429":
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            if fault.retry_after_ms is not None:
                headers["retry-after-ms"] = fault.retry_after_ms
            rec.status = 429
            return self._send(h, 429, {"error": {"message": "rate limited", "type": "rate_limit_error"}}, headers)
        if fault.kind == "500":
            rec.status = 500
            return self._send(h, 500, {"error": {"message": "internal error", "type": "server_error"}})
        if fault.kind == "401":
            rec.status = 401
            token = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
            return self._send(h, 401, {"error": {"message": f"Incorrect API key provided: {token}",
                                                 "type": "invalid_request_error"}})
        if fault.kind == "hang":
            self._stopping.wait(fault.seconds)
            h.close_connection = True
            return
        if fault.kind == "malformed":
            rec.status = 200
            data = b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{"index": 0, "mess'
            return self._send_bytes(h, 200, data)
        if fault.kind == "truncated":
            return self._answer(h, rec, rec.body, truncated=True)
        if fault.kind == "echo_auth":
            return self._answer(h, rec, rec.body, truncated=False, extra={"auth": h.headers.get("Authorization")})
        raise ValueError(f"unknown fault kind {fault.kind!r}")

    def _answer(self, h: BaseHTTPRequestHandler, rec: Recorded, body: dict, *, truncated: bool,
                extra: dict | None = None) -> None:
        ans = self.answer(body)
        logprob = self.token_logprob
        if isinstance(ans, Answer):
            logprob = ans.logprob
            ans = ans.content
        if extra:
            ans = {**ans, **extra}
        content = ans if isinstance(ans, str) else json.dumps(ans, ensure_ascii=False)
        finish = "stop"
        if truncated:
            content = content[: len(content) // 2]
            finish = "length"
        tokens = _TOKEN.findall(content)
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": finish,
        }
        if body.get("logprobs"):
            choice["logprobs"] = {"content": [
                {"token": t, "logprob": logprob, "bytes": list(t.encode()), "top_logprobs": []}
                for t in tokens
            ]}
        else:
            choice["logprobs"] = None
        prompt_tokens = max(1, len(all_text(body)) // self.chars_per_token)
        payload = {
            "id": f"chatcmpl-{rec.ordinal}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [choice],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                      "total_tokens": prompt_tokens + len(tokens)},
        }
        rec.status = 200
        rec.usage = payload["usage"]
        if self._send(h, 200, payload):
            with self._paid_cond:
                rec.paid = True
                self._paid_cond.notify_all()

    def _send(self, h: BaseHTTPRequestHandler, status: int, payload: dict,
              headers: Mapping[str, str] | None = None) -> bool:
        return self._send_bytes(h, status, json.dumps(payload).encode(), headers)

    @staticmethod
    def _send_bytes(h: BaseHTTPRequestHandler, status: int, data: bytes,
                    headers: Mapping[str, str] | None = None) -> bool:
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
            h.wfile.flush()
            return True
        except OSError:
            return False
