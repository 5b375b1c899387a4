"""Everything wslab sends to an LLM goes through this package.

* :mod:`wslab.core.llm.client` -- the one client (OpenAI-compatible endpoint, retries, budget,
  structured output);
* :mod:`wslab.core.llm.settings` -- its settings (the ``llm:`` section of a config), prices and usage;
* :mod:`wslab.core.llm.parsing` -- reading replies: tolerant JSON, ``Retry-After``, error bodies;
* :mod:`wslab.core.llm.cache` -- the persistent response cache, keyed by what is sent;
* :mod:`wslab.core.llm.pii` -- the masking applied to every text before it leaves the machine.

Error messages and warnings of the client pass :func:`wslab.core.redact.redact`.
"""

from wslab.core.llm.cache import ResponseCache, cache_key
from wslab.core.llm.client import Completion, LLMClient, LLMError, LLMUnavailable, TokenLogprob
from wslab.core.llm.parsing import parse_json_tolerant
from wslab.core.llm.settings import LLMSettings, LLMUsage, ModelPrice, estimate_tokens
from wslab.core.llm.pii import MaskingSettings, MaskResult, mask_text

__all__ = ["LLMClient", "LLMSettings", "ModelPrice", "Completion", "TokenLogprob", "LLMUsage",
           "LLMError", "LLMUnavailable", "ResponseCache", "cache_key", "MaskingSettings",
           "MaskResult", "mask_text", "estimate_tokens", "parse_json_tolerant"]
