"""LLM-authored labeling functions: propose, validate, dry-run, score on gold dev, keep the good.

``wslab lfs author config.yaml`` runs :func:`author_lfs`. Each round the author model sees the
task, the label descriptions, a sample of corpus documents and some gold *dev* examples with
their labels (never a gold test item: test documents are left out of everything the model or
the dry run sees), and answers with LF proposals as structured output (a json_schema). Later
rounds show the dev items the current LF set gets wrong or leaves uncovered.

Every proposal is data. It is validated by :func:`wslab.labeling.spec.parse_lf` and compiled to a
Polars expression (regexes must compile in Polars' Rust engine); ``kind: python`` and anything
else that is not declarative is rejected -- nothing an LLM returns is ever executed. A valid
proposal is dry-run on the gold dev documents plus a sample of the corpus and kept only if

* it covers something (coverage > 0) and votes on at least one dev item,
* its dev accuracy is at least ``min_accuracy`` and the lower end of its Wilson 95% interval is
  above chance (the accuracy of an LF voting the same labels at random, see
  :func:`wslab.labeling.analysis.lf_summary`),
* it is not a near-duplicate of an LF already kept: same label and Jaccard similarity of the
  two firing sets above ``max_overlap``.

``kind: prompt`` proposals are validated and kept as specs without being run (running them
costs money), unless ``score_prompt_lfs`` is set: then they are run on the dev documents and
judged like the others. The LF file is rewritten atomically after every round with a provenance
block per LF (author, model, round, prompt hash, dev accuracy, CI, n, coverage), so a budget
stop or a failure keeps every LF accepted so far. A JSON report beside it lists every
candidate with the decision and its reason, and the LLM usage (tokens, cost, cache hits).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wslab.core import io
from wslab.core.errors import BudgetExceeded, ConfigError
from wslab.labeling.apply import check_columns
from wslab.labeling.author_pool import (Candidate, Judge, Kept, Pool, build_pool, describe_lf, lf_votes,
                                        near_duplicate, pick_examples, pick_focus)
from wslab.labeling.author_prompt import (ProposalRejected, build_author_messages, prompt_hash, proposal_schema,
                                          proposal_to_spec)
from wslab.labeling.compile import is_declarative
from wslab.labeling.spec import LFSpec, dump_lf_specs, load_lf_specs
from wslab.core.llm import LLMClient
from wslab.core.progress import Reporter, get_reporter

__all__ = ["author_lfs", "AuthoringResult", "Candidate", "proposal_schema", "build_author_messages",
           "proposal_to_spec", "ProposalRejected", "near_duplicate"]


@dataclass
class AuthoringResult:
    out_path: Path
    report_path: Path
    specs: list[LFSpec]  # everything in the written file: LFs it held before, then new ones
    accepted: list[str]  # names of the LFs accepted in this run
    candidates: list[Candidate]
    rounds_run: int
    model: str
    usage: dict[str, Any]  # LLM usage of the run (author calls and prompt-LF scoring)
    coverage_docs: int  # documents of the dry run (gold dev + corpus sample)
    dev_n: int
    stopped: str | None = None  # why the run ended early (budget), else None

    def decisions(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.candidates:
            out[c.decision] = out.get(c.decision, 0) + 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"out_path": str(self.out_path), "report_path": str(self.report_path),
                "model": self.model, "rounds_run": self.rounds_run, "stopped": self.stopped,
                "accepted": self.accepted, "decisions": self.decisions(), "usage": self.usage,
                "coverage_docs": self.coverage_docs, "dev_n": self.dev_n,
                "candidates": [asdict(c) for c in self.candidates]}


def author_lfs(cfg: Any, corpus: Any, gold: Any, *, out_path: str | Path, rounds: int = 3, per_round: int = 10,
               sample_size: int = 30, dev_examples: int = 30, min_accuracy: float = 0.7,
               max_overlap: float = 0.9, dry_run_docs: int = 50_000, model: str | None = None,
               score_prompt_lfs: bool = False, reporter: Reporter | None = None) -> AuthoringResult:
    """Let an LLM write LFs for the project ``cfg``; keep the good ones in ``out_path`` (YAML).

    ``model`` overrides ``llm.model`` for the author (prompt LFs keep ``llm.model``). LFs already
    in ``out_path`` are kept (a rerun adds to them); LFs of ``lfs.files`` count as the current set
    (names, near-duplicates, items still wrong) but are not copied. See the module doc for the rules.
    """
    _check_options(rounds=rounds, per_round=per_round, min_accuracy=min_accuracy, max_overlap=max_overlap)
    from wslab.labeling.prompt_lf import llm_settings_from_config

    rep = get_reporter(reporter)
    out_path = Path(out_path)
    settings = llm_settings_from_config(cfg)
    author_settings = settings.with_overrides(where="lfs author", model=model)
    work_dir = cfg.resolve(cfg.output.dir) / "prompt_lfs"
    cache_path = settings.cache_path or work_dir / "llm_cache.sqlite"
    client = LLMClient(author_settings, cache_path=cache_path, reporter=rep)
    pool = build_pool(cfg, corpus, gold, sample_size=sample_size, dry_run_docs=dry_run_docs,
                      rng=np.random.default_rng([cfg.seed, 7]), masking=author_settings.masking)
    kept, own_before = _current_lfs(cfg, out_path, pool)
    run = _Run(cfg=cfg, client=client, pool=pool, out_path=out_path, own_before=own_before, reporter=rep,
               max_tokens=max(author_settings.max_tokens or 0, 600 + 300 * per_round),
               options={"rounds": rounds, "per_round": per_round, "sample_size": sample_size,
                        "dev_examples": dev_examples, "min_accuracy": min_accuracy, "max_overlap": max_overlap,
                        "score_prompt_lfs": score_prompt_lfs})
    run.judge = Judge(cfg=cfg, pool=pool, kept=kept, taken={kp.spec.name for kp in kept},
                      min_accuracy=min_accuracy, max_overlap=max_overlap, score_prompt_lfs=score_prompt_lfs,
                      settings=settings, work_dir=work_dir, cache_path=cache_path,
                      extra_usage=run.extra_usage, used=run.usage)
    with rep.task("authoring rounds", total=rounds) as advance:
        for r in range(1, rounds + 1):
            if not run.round(r):
                break
            advance(1)
            run.write()
            if run.stopped:
                break
    run.write()
    return run.result()


def _check_options(*, rounds: int, per_round: int, min_accuracy: float, max_overlap: float) -> None:
    if rounds < 1 or per_round < 1:
        raise ConfigError(f"lfs author: rounds and per_round must be at least 1; got {rounds} and {per_round}")
    if not 0 < min_accuracy <= 1 or not 0 < max_overlap <= 1:
        raise ConfigError(f"lfs author: min_accuracy and max_overlap must be in (0, 1]; got {min_accuracy} and {max_overlap}")


def _current_lfs(cfg: Any, out_path: Path, pool: Pool) -> tuple[list[Kept], list[LFSpec]]:
    """The current LF set (what ``out_path`` holds, then the config's other LF files, declarative ones
    run on the pool) and the LFs of ``out_path`` alone, which the rewritten file keeps."""
    kept: list[Kept] = []
    own_before: list[LFSpec] = []
    seen_files = set()
    for f in [out_path, *(cfg.resolve(p) for p in cfg.lfs.files)]:
        f = Path(f).resolve()
        if f in seen_files or not f.exists():
            continue
        seen_files.add(f)
        for spec in load_lf_specs(f):
            votes = None
            if is_declarative(spec):
                check_columns([spec], pool.frame.columns, text_column=cfg.corpus.text_column, corpus_path=str(f))
                votes = lf_votes(spec, pool, cfg)
            kept.append(Kept(spec=spec, votes=votes))
            if f == out_path.resolve():
                own_before.append(spec.model_copy(update={"source_file": None}))
    return kept, own_before


@dataclass
class _Run:
    """One authoring run: asks the author model round by round, has the judge decide every proposal,
    and rewrites the LF file and its report (so a stop keeps everything accepted so far)."""

    cfg: Any
    client: LLMClient
    pool: Pool
    out_path: Path
    own_before: list[LFSpec]
    reporter: Reporter
    max_tokens: int
    options: dict[str, Any]  # the run's settings, recorded in the report
    judge: Judge = field(init=False)
    candidates: list[Candidate] = field(default_factory=list)
    accepted: list[LFSpec] = field(default_factory=list)
    rejected_notes: list[str] = field(default_factory=list)
    extra_usage: dict[str, float] = field(default_factory=dict)  # prompt-LF scoring, beside the author calls
    stopped: str | None = None
    rounds_run: int = 0

    @property
    def report_path(self) -> Path:
        return self.out_path.with_name(self.out_path.stem + ".authoring.json")

    def round(self, r: int) -> bool:
        """Run round ``r``; False when the run stops before it (nothing left to fix, budget reached)."""
        messages = self._messages(r)
        if messages is None:
            return False
        phash = prompt_hash(messages)
        try:
            completion = _ask(self.client, messages, proposal_schema(self.cfg.label_names), self.max_tokens)
        except BudgetExceeded as exc:
            self.stopped = str(exc)
            return False
        self.rounds_run = r
        self._decide(completion.data, r, {"author": "llm", "model": self.client.model, "round": r,
                                          "prompt_hash": phash})
        return True

    def _messages(self, r: int) -> list[dict[str, str]] | None:
        """Round ``r``'s prompt: dev examples first, then the dev items the current LFs get wrong."""
        cfg, pool, kept, k = self.cfg, self.pool, self.judge.kept, self.options["dev_examples"]
        round_rng = np.random.default_rng([cfg.seed, 7, r])
        focus: list[tuple[str, str, str]] = []
        examples: list[tuple[str, str]] = []
        if r == 1 and not any(kp.votes is not None for kp in kept):
            examples = pick_examples(pool, cfg.label_names, k, round_rng)
        else:
            focus, _ = pick_focus(kept, pool, cfg.label_names, k, round_rng)
            if not focus:
                self.reporter.info(f"lfs author: round {r}: every dev item is covered and right; stopping")
                return None
        return build_author_messages(
            task=cfg.task, labels=cfg.labels, round_no=r, rounds=self.options["rounds"],
            per_round=self.options["per_round"], sample=pool.sample_texts, examples=examples, focus=focus,
            current=[kp.summary or describe_lf(kp.spec) for kp in kept], rejected=self.rejected_notes[-20:])

    def _decide(self, data: Any, r: int, prov: dict[str, Any]) -> None:
        """Have the judge decide each proposal of one answer (at most twice the number asked for)."""
        proposals = (data or {}).get("lfs")
        if not isinstance(proposals, list):
            self.candidates.append(Candidate(r, "-", "-", None, "rejected", "the answer had no list under 'lfs'",
                                             proposal=data))
            proposals = []
        for i, item in enumerate(proposals[: self.options["per_round"] * 2]):
            try:
                cand = self.judge.consider(item, where=f"round {r} proposal {i + 1}", provenance=prov)
            except BudgetExceeded as exc:
                self.stopped = str(exc)
                cand = Candidate(r, str(item.get("name", "-") if isinstance(item, dict) else "-"), "prompt",
                                 None, "rejected", "not scored: LLM budget reached", proposal=item)
            self.candidates.append(cand)
            if cand.decision == "rejected":
                self.rejected_notes.append(f"- {cand.name} ({cand.kind}): {cand.reason}")
            else:
                self.accepted.append(self.judge.kept[-1].spec)
            if self.stopped:
                break

    def usage(self) -> dict[str, Any]:
        u = self.client.usage.as_dict()
        for k, v in self.extra_usage.items():
            u[k] = round(u.get(k, 0) + v, 6) if k == "cost_usd" else u.get(k, 0) + v
        return u

    def result(self) -> AuthoringResult:
        return AuthoringResult(out_path=self.out_path, report_path=self.report_path,
                               specs=[*self.own_before, *self.accepted], accepted=[s.name for s in self.accepted],
                               candidates=self.candidates, rounds_run=self.rounds_run, model=self.client.model,
                               usage=self.usage(), coverage_docs=self.pool.frame.height, dev_n=self.pool.n_dev,
                               stopped=self.stopped)

    def write(self) -> None:
        result = self.result()
        header = ("# LFs written by an LLM (wslab lfs author) and validated on gold dev items.\n"
                  "# Review and edit freely; provenance records how each was scored.\n")
        io.write_text(self.out_path, header + dump_lf_specs(result.specs))
        io.write_json(self.report_path, {**result.as_dict(), "settings": self.options, "masked": self.pool.masked})


def _ask(client: LLMClient, messages: list[dict[str, str]], schema: dict[str, Any], max_tokens: int):
    async def main():
        try:
            return await client.complete_json(messages, schema, max_tokens=max_tokens, schema_name="lf_proposals")
        finally:
            await client.aclose()

    return asyncio.run(main())
