"""The dry run of ``wslab lfs author``: the pool of documents proposals are run on, and the judge.

The :class:`Pool` is the gold dev documents first, then a seeded sample of the corpus (never a
gold test document). :class:`Judge` validates one proposal, runs it on the pool (a ``prompt``
proposal only on the dev documents, and only when asked to), scores it on gold dev with
:func:`wslab.labeling.analysis.lf_summary` and keeps it if it meets the rules of
:mod:`wslab.labeling.author`. :func:`pick_examples` and :func:`pick_focus` choose the dev items
the author model is shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from wslab.core.errors import ConfigError
from wslab.labeling.aggregate import vote_counts
from wslab.labeling.analysis import lf_summary
from wslab.labeling.apply import check_columns
from wslab.labeling.author_prompt import ProposalRejected, proposal_to_spec
from wslab.labeling.compile import compile_lf
from wslab.labeling.spec import ABSTAIN, LFSpec
from wslab.core.llm import LLMClient, LLMSettings, MaskingSettings, mask_text

__all__ = ["Candidate", "Kept", "Pool", "Judge", "build_pool", "lf_votes", "pick_examples", "pick_focus",
           "near_duplicate", "describe_lf"]

MAX_DOC_CHARS = 600  # each document shown to the author model is cut to this many characters


@dataclass
class Candidate:
    """One proposal and what became of it."""

    round: int
    name: str
    kind: str
    label: str | None
    decision: str  # "accepted", "accepted_unscored" (prompt LF not run) or "rejected"
    reason: str
    coverage: float | None = None
    dev_n: int | None = None
    dev_accuracy: float | None = None
    dev_ci: list[float] | None = None
    chance: float | None = None
    proposal: Any = None  # what the model returned, as returned


def near_duplicate(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of the firing sets of two vote vectors (-1 = abstain); 0 when neither fires.

    >>> near_duplicate(np.array([1, 1, -1, -1]), np.array([1, -1, 1, -1]))
    0.3333333333333333
    """
    fa, fb = a != ABSTAIN, b != ABSTAIN
    union = int((fa | fb).sum())
    return int((fa & fb).sum()) / union if union else 0.0


def describe_lf(spec: LFSpec, extra: str = "") -> str:
    """One line describing an LF to the author model (kept so far, or rejected)."""
    if spec.prompt is not None:
        body = f"instruction={spec.prompt.get('instruction')!r} labels={spec.prompt.get('labels')}"
    else:
        body = json.dumps(spec.condition.model_dump(exclude_defaults=True, exclude={"kind"}),  # type: ignore[union-attr]
                          ensure_ascii=False)
    label = f" -> {spec.label}" if spec.label else ""
    return f"- {spec.name} ({spec.kind}{label}): {body}{extra}"


@dataclass
class Kept:
    """An LF of the current set and its votes on the pool."""

    spec: LFSpec
    votes: np.ndarray | None  # on the dry-run pool; None for LFs that were not run
    summary: str = ""


@dataclass
class Pool:
    """The documents of the dry run, with gold dev labels and masked texts for the author prompt."""

    frame: pl.DataFrame  # gold dev documents first, then the corpus sample (no gold test document)
    n_dev: int
    y_dev: np.ndarray
    dev_texts: list[str]  # masked
    sample_texts: list[str]  # masked, for the prompt
    masked: dict[str, int] = field(default_factory=dict)


def build_pool(cfg: Any, corpus: Any, gold: Any, *, sample_size: int, dry_run_docs: int, rng: np.random.Generator,
               masking: MaskingSettings) -> Pool:
    """Gold dev documents, then up to ``dry_run_docs`` sampled corpus documents; texts for the prompt masked."""
    if gold is None:
        where = cfg.config_path or "config"
        raise ConfigError(f"{where}: key 'gold': required by lfs author (LFs are scored on gold dev items); "
                          "expected gold: {path: gold.csv}")
    id_col, text_col = corpus.id_column, corpus.text_column
    corpus = corpus.frame
    dev_ids = gold.dev_ids
    dev = (pl.DataFrame({id_col: dev_ids})
           .join(corpus.filter(pl.col(id_col).is_in(dev_ids.implode())).collect(), on=id_col, how="left",
                 maintain_order="left"))
    rest = corpus.filter(~pl.col(id_col).is_in(gold.ids.implode()))  # no gold test item, ever
    n_rest = rest.select(pl.len()).collect().item()
    if n_rest > dry_run_docs:
        chosen = np.sort(rng.choice(n_rest, dry_run_docs, replace=False))
        rest_df = (rest.with_row_index("_row").filter(pl.col("_row").is_in(pl.Series(chosen, dtype=pl.UInt32).implode()))
                   .drop("_row").collect())
    else:
        rest_df = rest.collect()
    frame = pl.concat([dev, rest_df], how="vertical_relaxed")
    masked: dict[str, int] = {}

    def show(text: Any) -> str:
        m = mask_text(str(text or "")[:MAX_DOC_CHARS], masking)
        for k, v in m.counts.items():
            masked[k] = masked.get(k, 0) + v
        return m.text

    texts = rest_df[text_col].cast(pl.String).to_list()
    nonempty = [i for i, t in enumerate(texts) if t and t.strip()]
    pick = rng.choice(len(nonempty), min(sample_size, len(nonempty)), replace=False) if nonempty else []
    sample_texts = [show(texts[nonempty[i]]) for i in sorted(pick)]
    dev_texts = [show(t) for t in dev[text_col].cast(pl.String).to_list()]
    return Pool(frame=frame, n_dev=dev.height, y_dev=gold.y_dev, dev_texts=dev_texts,
                 sample_texts=sample_texts, masked=masked)


def lf_votes(spec: LFSpec, pool: Pool, cfg: Any) -> np.ndarray:
    """Votes of a declarative LF on every pool document (-1 = abstain)."""
    index = {name: i for i, name in enumerate(cfg.label_names)}
    expr = compile_lf(spec, index, text_column=cfg.corpus.text_column)
    return pool.frame.select(expr).to_series().to_numpy().astype(np.int64)


def _score(votes: np.ndarray, pool: Pool, labels: Sequence[str], *, dev_only: bool = False) -> dict[str, Any]:
    L = votes[:, None]
    L_all = L[: pool.n_dev] if dev_only else L
    row = lf_summary(L_all, ["lf"], labels, L_dev=L[: pool.n_dev], y_dev=pool.y_dev).row(0, named=True)
    return row


def pick_examples(pool: Pool, labels: Sequence[str], k: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """Up to ``k`` dev items, about the same number per class, in a seeded order."""
    if k <= 0 or pool.n_dev == 0:
        return []
    by_class = [list(rng.permutation(np.flatnonzero(pool.y_dev == c))) for c in range(len(labels))]
    picked: list[int] = []
    while len(picked) < min(k, pool.n_dev):
        for idx in by_class:
            if idx and len(picked) < k:
                picked.append(int(idx.pop()))
    return [(pool.dev_texts[i], labels[pool.y_dev[i]]) for i in sorted(picked)]


def pick_focus(kept: Sequence[Kept], pool: Pool, labels: Sequence[str], k: int,
           rng: np.random.Generator) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """Dev items the kept LFs get wrong (majority vote; ties count as wrong) or leave uncovered."""
    run = [kp.votes[: pool.n_dev] for kp in kept if kp.votes is not None]
    n = pool.n_dev
    if run:
        counts = vote_counts(np.stack(run, axis=1), len(labels))
    else:
        counts = np.zeros((n, len(labels)), dtype=np.int64)
    total = counts.sum(axis=1)
    top = counts.max(axis=1)
    unique_top = (counts == top[:, None]).sum(axis=1) == 1
    pred = counts.argmax(axis=1)
    uncovered = total == 0
    wrong = ~uncovered & (~unique_top | (pred != pool.y_dev))
    stats = {"dev_wrong": int(wrong.sum()), "dev_uncovered": int(uncovered.sum()), "dev_n": n}
    wrong_idx = rng.permutation(np.flatnonzero(wrong))
    unc_idx = rng.permutation(np.flatnonzero(uncovered))
    take_wrong = wrong_idx[: max(k // 2, k - len(unc_idx))]
    take_unc = unc_idx[: k - len(take_wrong)]
    out = []
    for i in sorted(np.concatenate([take_wrong, take_unc]).astype(int)):
        if uncovered[i]:
            note = "no LF fires"
        else:
            note = ", ".join(f"{labels[c]} x{counts[i, c]}" for c in range(len(labels)) if counts[i, c])
        out.append((pool.dev_texts[i], labels[pool.y_dev[i]], note))
    return out, stats


def _unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    i = 2
    while f"{name[:75]}_{i}" in taken:
        i += 1
    return f"{name[:75]}_{i}"


@dataclass
class Judge:
    """Validates, dry-runs and scores proposals against the LFs kept so far (``kept``, ``taken``)."""

    cfg: Any
    pool: Pool
    kept: list[Kept]
    taken: set[str]
    min_accuracy: float
    max_overlap: float
    score_prompt_lfs: bool
    settings: LLMSettings
    work_dir: Path
    cache_path: Path
    extra_usage: dict[str, float]
    used: Any  # () -> usage so far, for the budget left to prompt-LF scoring

    def consider(self, item: Any, *, where: str, provenance: dict[str, Any]) -> Candidate:
        """A decided :class:`Candidate`; an accepted LF is appended to ``kept`` (with provenance)."""
        is_dict = isinstance(item, dict)
        cand = Candidate(provenance["round"], str(item.get("name") or "-") if is_dict else "-",
                         str(item.get("kind")) if is_dict else "-", item.get("label") if is_dict else None,
                         "rejected", "", proposal=item)
        try:
            spec = proposal_to_spec(item, labels=self.cfg.label_names, where=where)
            spec = spec.model_copy(update={"name": _unique_name(spec.name, self.taken)})
            cand.name = spec.name
            if spec.prompt is not None and not self.score_prompt_lfs:
                self._check_prompt_duplicate(spec)
                spec = spec.model_copy(update={"provenance": {**provenance, "scored": False}})
                cand.decision, cand.reason = "accepted_unscored", "prompt LF: validated, not run (costs money)"
                self.kept.append(Kept(spec=spec, votes=None))
            else:
                self._score(spec, cand, provenance)
        except ProposalRejected as exc:
            cand.reason = str(exc)
            return cand
        self.taken.add(cand.name)
        return cand

    def _check_prompt_duplicate(self, spec: LFSpec) -> None:
        for kp in self.kept:
            if (kp.spec.prompt is not None and kp.spec.prompt.get("labels") == spec.prompt.get("labels")  # type: ignore[union-attr]
                    and _norm(kp.spec.prompt.get("instruction")) == _norm(spec.prompt.get("instruction"))):  # type: ignore[union-attr]
                raise ProposalRejected(f"near-duplicate of {kp.spec.name!r} (same instruction and label)")

    def _prompt_votes(self, spec: LFSpec) -> np.ndarray:
        """Run a prompt LF on the gold dev documents (only) and return pool-sized votes."""
        from wslab.labeling.prompt_lf import run_prompt_lf

        pool, cfg = self.pool, self.cfg
        dev_docs = pl.DataFrame({"id": [str(j) for j in range(pool.n_dev)],
                                 "text": pool.frame[cfg.corpus.text_column].head(pool.n_dev).cast(pl.String)})
        settings = self.settings.after_spending(float(self.used().get("cost_usd", 0.0)))
        res = run_prompt_lf(dev_docs, name=f"author_{spec.name}", instruction=spec.prompt["instruction"],  # type: ignore[index]
                                labels=cfg.label_names, vote_labels=spec.prompt["labels"],  # type: ignore[index]
                                settings=settings, work_dir=self.work_dir / "authoring",
                                label_descriptions=cfg.labels, task=cfg.task,
                                client=LLMClient(settings, cache_path=self.cache_path))
        for k, v in res.usage.items():
            if isinstance(v, (int, float)):
                self.extra_usage[k] = self.extra_usage.get(k, 0) + v
        votes = np.full(pool.frame.height, ABSTAIN, dtype=np.int64)
        votes[: pool.n_dev] = res.votes
        return votes

    def _score(self, spec: LFSpec, cand: Candidate, provenance: dict[str, Any]) -> None:
        cfg, pool = self.cfg, self.pool
        if spec.prompt is not None:
            votes = self._prompt_votes(spec)
        else:
            try:
                check_columns([spec], pool.frame.columns, text_column=cfg.corpus.text_column,
                              corpus_path=str(cfg.corpus.path))
            except ConfigError as exc:
                raise ProposalRejected(re.sub(r"^.*?: LF '[^']*': ", "", str(exc))) from None
            votes = lf_votes(spec, pool, cfg)
        row = _score(votes, pool, cfg.label_names, dev_only=spec.prompt is not None)
        acc = row["dev_accuracy"]
        cand.coverage, cand.dev_n = row["coverage"], row["dev_n"]
        cand.dev_accuracy = None if acc != acc else acc
        cand.dev_ci = [row["dev_ci_low"], row["dev_ci_high"]] if row["dev_n"] else None
        cand.chance = None if row["chance"] != row["chance"] else row["chance"]
        _judge(row, min_accuracy=self.min_accuracy)
        label = _vote_label(spec)
        for kp in self.kept:
            sim = near_duplicate(votes, kp.votes) if kp.votes is not None else 0.0
            if _vote_label(kp.spec) == label and sim > self.max_overlap:
                raise ProposalRejected(f"near-duplicate of {kp.spec.name!r} (Jaccard {sim:.2f} of the firing "
                                       f"sets > {self.max_overlap}, same label)")
        spec = spec.model_copy(update={"provenance": {
            **provenance, "dev_accuracy": round(float(acc), 4),
            "dev_ci": [round(float(row["dev_ci_low"]), 4), round(float(row["dev_ci_high"]), 4)],
            "dev_n": int(row["dev_n"]), "chance": round(float(row["chance"]), 4),
            "coverage": round(float(row["coverage"]), 4),
            "coverage_docs": pool.n_dev if spec.prompt is not None else pool.frame.height}})
        cand.decision = "accepted"
        cand.reason = (f"dev accuracy {acc:.3f} [{row['dev_ci_low']:.3f}, {row['dev_ci_high']:.3f}] "
                       f"n={row['dev_n']}, chance {row['chance']:.3f}")
        self.kept.append(Kept(spec=spec, votes=votes,
                               summary=describe_lf(spec, f"  [dev accuracy {acc:.2f}, n={row['dev_n']}]")))


def _vote_label(spec: LFSpec) -> str | None:
    return spec.label or ((spec.prompt or {}).get("labels") or [None])[0]


def _norm(text: Any) -> str:
    return " ".join(str(text or "").casefold().split())


def _judge(row: Mapping[str, Any], *, min_accuracy: float) -> None:
    """Raise :class:`ProposalRejected` unless the scored LF meets the acceptance rules."""
    if row["n_votes"] == 0:
        raise ProposalRejected("zero coverage: fires on no document of the dry run")
    if row["dev_n"] == 0:
        raise ProposalRejected("no dev votes: fires on no gold dev item, so its accuracy is unknown")
    acc, lo, chance = row["dev_accuracy"], row["dev_ci_low"], row["chance"]
    if acc < min_accuracy:
        raise ProposalRejected(f"dev accuracy {acc:.3f} (n={row['dev_n']}) is below min_accuracy {min_accuracy}")
    if not lo > chance:
        raise ProposalRejected(f"Wilson 95% lower bound {lo:.3f} (n={row['dev_n']}) is not above chance {chance:.3f}")
