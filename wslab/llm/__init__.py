"""Everything wslab sends to an LLM goes through this package.

* :mod:`wslab.llm.client` -- the one client (OpenAI-compatible endpoint, retries, budget,
  structured output);
* :mod:`wslab.llm.settings` -- its settings (the ``llm:`` section of a config), prices and usage;
* :mod:`wslab.llm.parsing` -- reading replies: tolerant JSON, ``Retry-After``, error bodies;
* :mod:`wslab.llm.cache` -- the persistent response cache, keyed by what is sent;
* :mod:`wslab.llm.pii` -- the masking applied to every text before it leaves the machine.

Error messages and warnings of the client pass :func:`wslab.redact.redact`.
"""

from wslab.llm.cache import ResponseCache, cache_key
from wslab.llm.client import Completion, LLMClient, LLMError, LLMUnavailable, TokenLogprob
from wslab.llm.parsing import parse_json_tolerant
from wslab.llm.settings import LLMSettings, LLMUsage, ModelPrice, estimate_tokens
from wslab.llm.pii import MaskingSettings, MaskResult, mask_text

__all__ = ["LLMClient", "LLMSettings", "ModelPrice", "Completion", "TokenLogprob", "LLMUsage",
           "LLMError", "LLMUnavailable", "ResponseCache", "cache_key", "MaskingSettings",
           "MaskResult", "mask_text", "estimate_tokens", "parse_json_tolerant"]
