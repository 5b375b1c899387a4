"""The LLM as a baseline: zero-shot and few-shot labels on the gold items, scored beside the label models.

With ``llm_baseline: {enabled: true}`` in the config, ``wslab apply`` asks the configured LLM
(``llm`` settings; ``llm_baseline.model`` overrides the model) for one label per gold dev and
test document and reports it as the row ``llm_zero_shot`` of the evaluation. With ``shots: K``
it asks a second time with K solved examples per class from gold dev in the prompt
(:func:`wslab.labeling.few_shot.pick_shots`: never a gold test item, never the document itself)
and reports the row ``llm_few_shot``. ``reasoning: true`` asks for a short justification before
the label; only the ``label`` field is read, and it must be one of the allowed labels.

The calls go through :func:`wslab.labeling.prompt_lf.run_prompt_lf`: PII-masked, delimited as
data, cached, resumable, inside the run's budget. An abstention is an uncovered item: it gets
the class prior's most frequent class, as uncovered items do for the label models, and
``coverage`` says how many items the LLM answered. :func:`cost_per_1k` gives each row's tokens
and cost per 1,000 documents: measured on the calls this run paid, or, when every answer came
from the store (a rerun), estimated from the requests (4 characters a token).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from wslab.core.progress import Reporter

BASELINE_ROW = "llm_zero_shot"
FEW_SHOT_ROW = "llm_few_shot"
DEFAULT_INSTRUCTION = "Choose the label that fits the document best."
REASONING_MAX_TOKENS = 300  # room for a sentence or two before the label, when llm.max_tokens is unset


def llm_baseline_votes(cfg: Any, docs: pl.DataFrame, *, row: str = BASELINE_ROW,
                       examples: list[list[tuple[str, str]]] | None = None, spent_usd: float = 0.0,
                       reporter: Reporter | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Votes (int8, aligned to ``docs`` with columns id, text; -1 = abstain) and a manifest block."""
    from wslab.labeling.prompt_lf import llm_settings_from_config, run_prompt_lf
    from wslab.core.llm import LLMClient

    base = cfg.llm_baseline
    settings = llm_settings_from_config(cfg).after_spending(spent_usd).with_overrides(  # one budget per run
        where="llm_baseline", model=base.model,
        max_tokens=(cfg.llm.max_tokens or REASONING_MAX_TOKENS) if base.reasoning and cfg.llm else None)
    work_dir = cfg.resolve(cfg.output.dir) / "prompt_lfs"
    client = LLMClient(settings, cache_path=settings.cache_path or work_dir / "llm_cache.sqlite",
                       reporter=reporter)
    result = run_prompt_lf(docs, name=f"baseline_{row}", labels=cfg.label_names,
                           instruction=base.instruction or DEFAULT_INSTRUCTION,
                           settings=settings, work_dir=work_dir, label_descriptions=cfg.labels,
                           task=cfg.task, client=client, examples=examples, reasoning=base.reasoning,
                           reporter=reporter)
    info = {"model": client.model, "documents": docs.height, "status": result.status,
            "resumed": result.resumed, "usage": result.usage, "masked": result.masked,
            "shots": base.shots if examples is not None else 0, "reasoning": base.reasoning,
            **({"shot_selection": base.shot_selection} if examples is not None else {}),
            **cost_per_1k(result.usage, result.extra, result.estimate, docs.height, settings.price(client.model))}
    return result.votes, info


def cost_per_1k(usage: dict[str, Any], extra: dict[str, Any], estimate: Any, n_docs: int,
                price: Any) -> dict[str, Any]:
    """``{"per_1k_docs": {"tokens_in", "tokens_out", "cost_usd", "basis"}}``: per paid call when this
    run paid any (``basis: measured``), else from the requests' length (``basis: estimate``).

    >>> cost_per_1k({"calls": 4, "input_tokens": 400, "output_tokens": 40, "cost_usd": 0.002}, {}, None, 4, None)
    {'per_1k_docs': {'tokens_in': 100000.0, 'tokens_out': 10000.0, 'cost_usd': 0.5, 'basis': 'measured'}}
    """
    if usage.get("calls"):
        k = 1000.0 / usage["calls"]
        return {"per_1k_docs": {"tokens_in": round(usage["input_tokens"] * k, 1),
                                "tokens_out": round(usage["output_tokens"] * k, 1),
                                "cost_usd": round(usage["cost_usd"] * k, 6), "basis": "measured"}}
    requests = max(int(extra.get("requests", 0)), 1)
    tin = extra.get("input_tokens_estimate", 0) / requests * 1000.0
    tout = (estimate.output_tokens / estimate.calls if estimate is not None and estimate.calls else 8) * 1000.0
    cost = None if price is None else (tin * price.input_per_1m + tout * price.output_per_1m) / 1e6
    return {"per_1k_docs": {"tokens_in": round(tin, 1), "tokens_out": round(tout, 1),
                            "cost_usd": None if cost is None else round(cost, 6), "basis": "estimate"}}


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


def few_shot_examples(cfg: Any, ids: pl.Series, texts: list[str], dev_ids: pl.Series, dev_texts: list[str],
                      y_dev: np.ndarray) -> list[list[tuple[str, str]]]:
    """Per document, its solved examples ``(text, label)`` from gold dev (``llm_baseline.shots`` per class)."""
    from wslab.labeling.few_shot import pick_shots

    base = cfg.llm_baseline
    picks = pick_shots(texts, ids.cast(pl.String).to_list(), dev_texts, dev_ids.cast(pl.String).to_list(), y_dev,
                       n_classes=len(cfg.label_names), k=base.shots, how=base.shot_selection, seed=cfg.seed)
    names = cfg.label_names
    return [[(dev_texts[j], names[int(y_dev[j])]) for j in row] for row in picks]


@dataclass
class BaselineRows:
    """What the LLM baseline gives the evaluation, per row (``llm_zero_shot``, ``llm_few_shot``)."""

    preds: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # (probs (n, K), covered (n,))
    info: dict[str, dict[str, Any]] = field(default_factory=dict)  # metrics.json's llm_baseline block
    answers: dict[str, pl.DataFrame] = field(default_factory=dict)  # id, label (abstentions left out)


def llm_baseline_predictions(cfg: Any, corpus: Any, gold: Any, prior: np.ndarray, llm_usage: dict[str, Any], *,
                             reporter: Reporter | None = None) -> BaselineRows:
    """Per row (``llm_zero_shot``, and ``llm_few_shot`` with shots): the predictions on the gold
    items in the order gold test, then gold dev; the row's block (model, status, tokens and cost
    per 1,000 documents); its answers. Adds the calls' tokens and cost to ``llm_usage`` (the
    manifest's ``llm`` block)."""
    ids = pl.concat([gold.test_ids, gold.dev_ids])
    texts = corpus.texts(ids)
    docs = pl.DataFrame({"id": ids, "text": texts})
    todo: dict[str, list[list[tuple[str, str]]] | None] = {BASELINE_ROW: None}
    if cfg.llm_baseline.shots > 0:
        todo[FEW_SHOT_ROW] = few_shot_examples(cfg, ids, list(texts), gold.dev_ids, list(corpus.texts(gold.dev_ids)),
                                               gold.y_dev)
    out = BaselineRows()
    names = np.asarray(cfg.label_names, dtype=object)
    for row, examples in todo.items():
        votes, info = llm_baseline_votes(cfg, docs, row=row, examples=examples,
                                         spent_usd=float(llm_usage.get("cost_usd", 0.0)), reporter=reporter)
        u = info["usage"]
        llm_usage["tokens_in"] = llm_usage.get("tokens_in", 0) + u["input_tokens"]
        llm_usage["tokens_out"] = llm_usage.get("tokens_out", 0) + u["output_tokens"]
        llm_usage["cost_usd"] = round(llm_usage.get("cost_usd", 0.0) + u["cost_usd"], 6)
        llm_usage["baseline" if row == BASELINE_ROW else "baseline_few_shot"] = info
        out.preds[row] = votes_to_probs(votes, len(cfg.label_names), prior)
        out.info[row] = {k: info[k] for k in ("model", "documents", "shots", "reasoning", "per_1k_docs", "status")}
        out.info[row].update({k: info[k] for k in ("shot_selection",) if k in info})
        keep = votes >= 0
        out.answers[row] = pl.DataFrame({"id": ids.cast(pl.String).filter(pl.Series(keep)),
                                         "label": names[votes[keep]].tolist()}, schema={"id": pl.String, "label": pl.String})
    return out
