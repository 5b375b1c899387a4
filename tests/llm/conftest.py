"""Fixtures of the LLM-layer tests: the fake OpenAI server and fast client settings."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_openai_server import FakeOpenAIServer  # noqa: E402

PRICES = {"fake": {"input_per_1m": 1.0, "output_per_1m": 2.0}}


@pytest.fixture
def server():
    """Start a FakeOpenAIServer; call ``server(answer, **options)`` to get a started one."""
    started: list[FakeOpenAIServer] = []

    def make(answer=None, **options) -> FakeOpenAIServer:
        srv = FakeOpenAIServer(answer, **options).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def settings_for(tmp_path):
    """LLMSettings pointing at a fake server, with short backoff and a cache in tmp_path."""
    from wslab.core.llm import LLMSettings

    def make(srv: FakeOpenAIServer, **overrides) -> LLMSettings:
        base = dict(base_url=srv.base_url, model="fake", backoff_base_s=0.01, backoff_max_s=0.05,
                    timeout_s=2.0, concurrency=4, prices=PRICES, seed=0,
                    cache_path=tmp_path / "cache.sqlite")
        base.update(overrides)
        return LLMSettings(**base)

    return make
