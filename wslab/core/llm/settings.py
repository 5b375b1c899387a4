"""The ``llm:`` section of a config (:class:`LLMSettings`, :class:`ModelPrice`) and the running
totals of a client (:class:`LLMUsage`), with the rough token count used for estimates.

The API key itself never appears here: ``api_key_env`` names the environment variable that
holds it, and :class:`~wslab.core.llm.LLMClient` reads it from there.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from wslab.core.validation import Strict, validation_message
from wslab.core.errors import ConfigError
from wslab.core.llm.pii import MaskingSettings

__all__ = ["LLMSettings", "ModelPrice", "LLMUsage", "estimate_tokens", "DEFAULT_BASE_URL"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class ModelPrice(Strict):
    """USD per one million tokens."""

    input_per_1m: float = Field(ge=0)
    output_per_1m: float = Field(ge=0)


class LLMSettings(Strict):
    """The ``llm:`` section of a config. The API key itself never appears here."""

    base_url: str | None = None  # None: $OPENAI_BASE_URL, else the OpenAI API
    model: str | None = None  # None: $WSLAB_LLM_MODEL
    api_key_env: str = "OPENAI_API_KEY"  # the NAME of the variable that holds the key
    concurrency: int = Field(8, ge=1, le=512)
    max_retries: int = Field(6, ge=0, le=100)
    timeout_s: float = Field(60.0, gt=0)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    retry_after_max_s: float = Field(120.0, ge=0)  # a longer Retry-After is capped (with a warning)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    max_cost_usd: float | None = Field(None, gt=0)
    prices: dict[str, ModelPrice] = Field(default_factory=dict)
    cache_path: Path | None = None  # None: the caller's default (prompt LFs: <work_dir>/llm_cache.sqlite)
    structured_output: Literal["json_schema", "prompt"] = "json_schema"
    estimate_above_calls: int = Field(1000, ge=0)  # print a cost estimate before larger runs
    seed: int | None = None  # jitter of the backoff
    masking: MaskingSettings = Field(default_factory=MaskingSettings)  # applied before any text is sent

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("must be the name of an environment variable (letters, digits, _), "
                             "not the key itself")
        return value

    def resolved_base_url(self) -> str:
        return self.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL

    def resolved_model(self) -> str:
        model = self.model or os.environ.get("WSLAB_LLM_MODEL")
        if not model:
            raise ConfigError("llm.model: no model configured; expected llm.model in the config "
                              "or the environment variable WSLAB_LLM_MODEL")
        return model

    def price(self, model: str) -> ModelPrice | None:
        return self.prices.get(model)

    def with_overrides(self, *, where: str = "llm", **updates: Any) -> LLMSettings:
        """A copy with ``updates`` (``None`` values skipped), validated like the config.

        An invalid value is a one-line :class:`ConfigError` naming ``where`` and the key.
        """
        updates = {k: v for k, v in updates.items() if v is not None}
        try:
            return LLMSettings(**{**self.model_dump(), **updates})
        except ValidationError as exc:
            raise ConfigError(f"{where}: {validation_message(exc, LLMSettings, prefix='llm')}") from None

    def after_spending(self, spent_usd: float) -> LLMSettings:
        """The settings for the next step of a run that has spent ``spent_usd``: one budget
        (``max_cost_usd``) for the whole run, whatever number of clients it uses."""
        if self.max_cost_usd is None:
            return self
        return self.model_copy(update={"max_cost_usd": max(self.max_cost_usd - spent_usd, 1e-12)})


@dataclass
class LLMUsage:
    """Running totals of one client; ``as_dict()`` goes into the run manifest."""

    calls: int = 0  # paid HTTP answers (including ones whose content had to be retried)
    cache_hits: int = 0
    retries: int = 0
    failed: int = 0  # requests that ended without a usable answer
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    estimated_usage: int = 0  # answers without a usage block (tokens estimated from chars)
    faults: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cost_usd"] = round(self.cost_usd, 6)
        return d


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters per token) for estimates and budget reservations."""
    return max(1, len(text) // 4)
