"""The LLM client against the fake server: retries, Retry-After, cache, budget, fallbacks."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import sqlite3
import time

import pytest

from fake_openai_server import Answer, Fault
from wslab.core.errors import BudgetExceeded, ConfigError
from wslab.core.llm import LLMClient, LLMError, LLMSettings, LLMUnavailable, parse_json_tolerant

SCHEMA = {"type": "object", "properties": {"label": {"type": "string", "enum": ["a", "b", "ABSTAIN"]}},
          "required": ["label"], "additionalProperties": False}


def msgs(text="hello"):
    return [{"role": "user", "content": text}]


def test_every_fault_kind_is_retried_until_an_answer(server, settings_for):
    srv = server(faults={0: Fault("429", retry_after="0"), 1: Fault("500"), 2: Fault("malformed"),
                         3: Fault("truncated"), 4: Fault("hang", seconds=1.0)})
    client = LLMClient(settings_for(srv, timeout_s=0.3))
    [c] = client.complete_many([(msgs(), SCHEMA)])
    assert c.data == {"label": "a"} and not c.cached
    assert [r.fault for r in srv.requests] == ["429", "500", "malformed", "truncated", "hang", None]
    u = client.usage
    assert u.retries == 5 and u.faults == {"429": 1, "500": 1, "malformed_body": 1,
                                           "content:truncated": 1, "timeout": 1}
    # the truncated answer was paid for: it counts in tokens and cost
    assert u.calls == 2 and [r.paid for r in srv.requests] == [False, False, False, True, False, True]
    assert u.cost_usd == pytest.approx((u.input_tokens * 1.0 + u.output_tokens * 2.0) / 1e6)


def test_retry_after_is_honoured(server, settings_for):
    srv = server(faults={0: Fault("429", retry_after="1")})
    client = LLMClient(settings_for(srv))
    t0 = time.monotonic()
    client.complete_many([(msgs(), SCHEMA)])
    assert time.monotonic() - t0 >= 0.95  # backoff alone would wait about 0.01 s
    srv2 = server(faults={0: Fault("429", retry_after_ms="300")})
    delays: list[float] = []

    async def fake_sleep(d):
        delays.append(d)

    LLMClient(settings_for(srv2, cache_path=None), sleep=fake_sleep).complete_many([(msgs(), SCHEMA)])
    assert delays == [pytest.approx(0.3)]


def test_backoff_is_exponential_with_jitter(server, settings_for):
    srv = server(faults=lambda i, body: Fault("500") if i < 5 else None)
    delays: list[float] = []

    async def fake_sleep(d):
        delays.append(d)

    client = LLMClient(settings_for(srv, backoff_base_s=1.0, backoff_max_s=100.0), sleep=fake_sleep)
    client.complete_many([(msgs(), SCHEMA)])
    assert len(delays) == 5
    for k, d in enumerate(delays):  # equal jitter: in [cap/2, cap], cap = base * 2**k
        assert 2 ** k / 2 <= d <= 2 ** k


def test_gives_up_after_max_retries(server, settings_for):
    srv = server(faults=lambda i, body: Fault("500"))
    client = LLMClient(settings_for(srv, max_retries=2))
    with pytest.raises(LLMError, match="failed after 2 retries"):
        client.complete_many([(msgs(), SCHEMA)])
    assert len(srv.requests) == 3


def test_content_that_stays_unparseable_is_returned_as_an_error(server, settings_for):
    srv = server(lambda body: "I think it is a")
    client = LLMClient(settings_for(srv, max_retries=1))
    [c] = client.complete_many([(msgs(), SCHEMA)])
    assert c.data is None and "unparseable" in c.error and len(srv.requests) == 2


def test_cache_hit_never_pays_twice_even_in_a_new_client(server, settings_for):
    srv = server()
    first = LLMClient(settings_for(srv))
    first.complete_many([(msgs("x"), SCHEMA), (msgs("y"), SCHEMA), (msgs("x"), SCHEMA)])
    assert len(srv.requests) == 2 and first.usage.cache_hits == 1  # same call in flight is shared
    second = LLMClient(settings_for(srv))
    out = second.complete_many([(msgs("x"), SCHEMA), (msgs("y"), SCHEMA)])
    assert len(srv.requests) == 2 and all(c.cached and c.cost_usd == 0 for c in out)
    assert second.usage.calls == 0 and second.usage.cache_hits == 2
    # other parameters are another call
    LLMClient(settings_for(srv, temperature=0.5)).complete_many([(msgs("x"), SCHEMA)])
    assert len(srv.requests) == 3


def test_budget_stops_before_a_call_that_would_exceed_it(server, settings_for):
    srv = server()
    client = LLMClient(settings_for(srv, max_cost_usd=0.0004, concurrency=1))

    async def run():
        done = 0
        try:
            for i in range(100):
                await client.complete_json(msgs(f"document number {i} " * 20), SCHEMA, max_tokens=10)
                done += 1
        finally:
            await client.aclose()
        return done

    with pytest.raises(BudgetExceeded, match="max_cost_usd") as info:
        asyncio.run(run())
    assert info.value.exit_code == 3
    assert 0 < client.usage.calls < 100 and client.usage.cost_usd <= 0.0004
    assert len(srv.paid()) == client.usage.calls


def test_budget_needs_a_price(server, settings_for):
    srv = server()
    with pytest.raises(ConfigError, match="no price for model 'other'"):
        LLMClient(settings_for(srv, model="other", max_cost_usd=1.0))


def test_fallback_when_server_has_no_json_schema(server, settings_for):
    srv = server(lambda body: 'Sure: ```json\n{"label": "b"}\n```', json_schema=False)
    client = LLMClient(settings_for(srv))
    [c] = client.complete_many([(msgs(), SCHEMA)])
    assert c.data == {"label": "b"} and client.structured_output == "prompt"
    assert srv.requests[0].status == 400
    later = srv.requests[1].body
    assert "response_format" not in later and '"enum"' in later["messages"][-1]["content"]


def test_bare_label_reply_is_accepted_for_a_one_field_enum(server, settings_for):
    srv = server(lambda body: " B.\n", json_schema=False)
    [c] = LLMClient(settings_for(srv)).complete_many([(msgs(), SCHEMA)])
    assert c.data == {"label": "b"}
    srv2 = server(lambda body: "a or b")
    [c2] = LLMClient(settings_for(srv2, max_retries=0, cache_path=None)).complete_many([(msgs(), SCHEMA)])
    assert c2.data is None


def test_logprobs_are_captured(server, settings_for):
    srv = server(lambda body: Answer({"label": "a"}, logprob=math.log(0.5)))
    [c] = LLMClient(settings_for(srv)).complete_many([(msgs(), SCHEMA)], logprobs=True)
    assert c.logprobs and all(t.logprob == pytest.approx(math.log(0.5)) for t in c.logprobs)
    assert "".join(t.token for t in c.logprobs) == c.content
    assert srv.requests[0].body["logprobs"] is True
    [c2] = LLMClient(settings_for(srv)).complete_many([(msgs(), SCHEMA)], logprobs=True)
    assert c2.cached and c2.logprobs == c.logprobs


def test_api_key_is_sent_but_never_stored(server, settings_for, monkeypatch, tmp_path):
    secret = "sk-test-SECRET-123456"
    monkeypatch.setenv("MY_LLM_KEY", secret)
    srv = server()
    settings = settings_for(srv, api_key_env="MY_LLM_KEY")
    LLMClient(settings).complete_many([(msgs(), SCHEMA)])
    assert secret not in settings.model_dump_json()
    db = sqlite3.connect(tmp_path / "cache.sqlite")
    assert secret not in json.dumps(db.execute("SELECT * FROM responses").fetchall())
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes()
    with pytest.raises(ValueError, match="name of an environment variable"):
        LLMSettings(api_key_env="sk-abc-123")


def test_missing_key_for_openai_is_a_config_error(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    with pytest.raises(ConfigError, match="NO_SUCH_KEY_VAR is not set"):
        LLMClient(LLMSettings(model="gpt-4o-mini", api_key_env="NO_SUCH_KEY_VAR"))
    monkeypatch.delenv("WSLAB_LLM_MODEL", raising=False)
    with pytest.raises(ConfigError, match="llm.model"):
        LLMSettings().resolved_model()


def test_tolerant_parser():
    assert parse_json_tolerant('{"label": "a"}') == {"label": "a"}
    assert parse_json_tolerant('The answer is {"label": "a"} ok') == {"label": "a"}
    assert parse_json_tolerant("```\n{\"label\": \"a\"}\n```") == {"label": "a"}
    assert parse_json_tolerant('{"label": "a"') is None
    assert parse_json_tolerant("[1, 2]") is None


def test_retry_after_above_the_cap_is_capped_with_one_warning(server, settings_for):
    srv = server(faults={0: Fault("429", retry_after="3600"), 1: Fault("429", retry_after="86400"),
                         2: Fault("429", retry_after_ms="100")})
    delays: list[float] = []
    said: list[str] = []

    async def fake_sleep(d):
        delays.append(d)

    class Reporter:
        def info(self, message):
            said.append(message)

    client = LLMClient(settings_for(srv, retry_after_max_s=0.5), sleep=fake_sleep, reporter=Reporter())
    [c] = client.complete_many([(msgs(), SCHEMA)])
    assert c.data == {"label": "a"}
    assert delays == [0.5, 0.5, pytest.approx(0.1)]  # capped twice; a short wait is kept as asked
    assert len(said) == 1 and "3600 s" in said[0] and "retry_after_max_s" in said[0]


def test_unusable_content_is_asked_once_more_not_max_retries_times(server, settings_for):
    srv = server(lambda body: "")
    client = LLMClient(settings_for(srv, max_retries=6, cache_path=None))
    [c] = client.complete_many([(msgs(), SCHEMA)])
    assert c.data is None and c.error.startswith("content:unparseable") and len(srv.requests) == 2
    srv2 = server(faults=lambda i, body: Fault("truncated"))
    [c2] = LLMClient(settings_for(srv2, max_retries=6, cache_path=None)).complete_many([(msgs(), SCHEMA)])
    assert c2.error.startswith("content:truncated") and len(srv2.requests) == 2


def test_errors_never_carry_the_key_or_url_credentials(server, settings_for, monkeypatch):
    secret = "sk-test-SECRET-abcdef123456"
    monkeypatch.setenv("MY_LLM_KEY", secret)
    srv = server(faults=lambda i, body: Fault("401"))  # echoes the Authorization header it got
    with pytest.raises(LLMError) as info:
        LLMClient(settings_for(srv, api_key_env="MY_LLM_KEY")).complete_many([(msgs(), SCHEMA)])
    message = str(info.value)
    assert "HTTP 401" in message and "Incorrect API key provided: ***" in message and secret not in message
    assert srv.requests[0].status == 401 and not isinstance(info.value, LLMUnavailable)
    # credentials in the URL: the SDK sends them as Basic auth, which the server echoes too
    url = srv.base_url.replace("http://", "http://alice:hunter2pw@")
    with pytest.raises(LLMError) as info:
        LLMClient(settings_for(srv, api_key_env="MY_LLM_KEY", base_url=url)).complete_many([(msgs(), SCHEMA)])
    message = str(info.value)
    assert "http://***@127.0.0.1" in message and "Incorrect API key provided: Basic ***" in message
    for leak in (secret, "hunter2pw", "alice", base64.b64encode(b"alice:hunter2pw").decode()):
        assert leak not in message
