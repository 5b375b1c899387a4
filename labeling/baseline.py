"""The LLM as a baseline: zero-shot labels on the gold items, scored beside the label models.

With ``llm_baseline: {enabled: true}`` in the config, ``wslab apply`` asks the configured LLM
(``llm`` settings; ``llm_baseline.model`` overrides the model) for one label per gold dev and
test document and reports it as the row ``llm_zero_shot`` of the evaluation. The calls go through
:func:`wslab.labeling.prompt_lf.run_prompt_lf`: PII-masked, delimited as data, cached,
resumable, inside the run's budget. An abstention is an uncovered item: it gets the class
prior's most frequent class, as uncovered items do for the label models, and ``coverage`` says
how many items the LLM answered.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from wslab.core.progress import Reporter

BASELINE_ROW = "llm_zero_shot"
DEFAULT_INSTRUCTION = "Choose the label that fits the document best."


def llm_baseline_votes(cfg: Any, docs: pl.DataFrame, *, spent_usd: float = 0.0,
                       reporter: Reporter | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Votes (int8, aligned to ``docs`` with columns id, text; -1 = abstain) and a manifest block."""
    from wslab.labeling.prompt_lf import llm_settings_from_config, run_prompt_lf
    from wslab.core.llm import LLMClient

    settings = llm_settings_from_config(cfg).after_spending(spent_usd).with_overrides(  # one budget per run
        where="llm_baseline", model=cfg.llm_baseline.model)
    work_dir = cfg.resolve(cfg.output.dir) / "prompt_lfs"
    client = LLMClient(settings, cache_path=settings.cache_path or work_dir / "llm_cache.sqlite",
                       reporter=reporter)
    result = run_prompt_lf(docs, name=f"baseline_{BASELINE_ROW}", labels=cfg.label_names,
                               instruction=cfg.llm_baseline.instruction or DEFAULT_INSTRUCTION,
                               settings=settings, work_dir=work_dir, label_descriptions=cfg.labels,
                               task=cfg.task, client=client, reporter=reporter)
    return result.votes, {"model": client.model, "documents": docs.height, "status": result.status,
                          "resumed": result.resumed, "usage": result.usage, "masked": result.masked}


def votes_to_probs(votes: np.ndarray, n_classes: int, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-hot probabilities where the LLM answered, ``prior`` where it abstained; and the covered mask.

    >>> p, c = votes_to_probs(np.array([1, -1]), 2, np.array([0.7, 0.3]))
    >>> p.tolist(), c.tolist()
    ([[0.0, 1.0], [0.7, 0.3]], [True, False])
    """
    votes = np.asarray(votes)
    covered = votes >= 0
    probs = np.tile(np.asarray(prior, dtype=float), (len(votes), 1))
    probs[covered] = np.eye(n_classes)[votes[covered]]
    return probs, covered


def check_llm_baseline(cfg: Any) -> None:
    """Before any work: the baseline needs gold items to label and valid llm settings."""
    if not cfg.llm_baseline.enabled:
        return
    from wslab.core.errors import ConfigError
    from wslab.labeling.prompt_lf import llm_settings_from_config

    where = cfg.config_path or "config"
    if cfg.gold is None:
        raise ConfigError(f"{where}: key 'llm_baseline.enabled': the LLM baseline labels the gold items; "
                          "expected a gold section")
    if cfg.llm is None:
        raise ConfigError(f"{where}: key 'llm': required by llm_baseline; expected llm settings (base_url, model, ...)")
    llm_settings_from_config(cfg)


def llm_baseline_predictions(cfg: Any, corpus: Any, gold_ids: pl.Series, prior: np.ndarray,
                             llm_usage: dict[str, Any], *, reporter: Reporter | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
    """(probs (n, K), covered (n,)) aligned to the rows of ``corpus`` (a :class:`wslab.core.data.Corpus`):
    the LLM's answers on the gold items, the prior elsewhere (uncovered). Adds the calls' tokens
    and cost to ``llm_usage`` (the manifest's block)."""
    docs = pl.DataFrame({"id": gold_ids, "text": corpus.texts(gold_ids)})
    votes, info = llm_baseline_votes(cfg, docs, spent_usd=float(llm_usage.get("cost_usd", 0.0)), reporter=reporter)
    u = info["usage"]
    llm_usage["tokens_in"] = llm_usage.get("tokens_in", 0) + u["input_tokens"]
    llm_usage["tokens_out"] = llm_usage.get("tokens_out", 0) + u["output_tokens"]
    llm_usage["cost_usd"] = round(llm_usage.get("cost_usd", 0.0) + u["cost_usd"], 6)
    llm_usage["baseline"] = info
    K = len(cfg.label_names)
    all_votes = np.full(len(corpus), -1, dtype=np.int64)
    all_votes[corpus.positions(gold_ids)] = votes
    return votes_to_probs(all_votes, K, prior)
