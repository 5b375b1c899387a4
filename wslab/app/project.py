"""A project's inputs, loaded and checked once, before any work: what ``apply``, ``lfs analyze``
and ``config check`` share.

:func:`open_project` runs every check that ``wslab apply`` runs before it spends anything: LF
files (keys, labels, regexes, columns, Spark portability), prompt-LF and LLM settings, the corpus
(columns, rows, unique ids), the gold file (labels, ids in the corpus), annotations and the
precomputed votes. The corpus is opened once and the LFs compiled once; the stages get the
:class:`Project`'s parts as arguments and never read a file themselves. The output folder is not
checked here: :func:`wslab.core.rundir.run_folder` checks it before a run (``config check`` and
``lfs analyze`` call :func:`wslab.core.rundir.check_run_folder`, its first check, themselves).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from wslab.core import io
from wslab.core.config import Config
from wslab.core.data import Corpus, Gold, load_gold, load_tag_gold
from wslab.core.errors import ConfigError
from wslab.core.spans import EntitySpans, load_spans
from wslab.labeling.aggregate import MIN_LFS_FOR_LABEL_MODEL
from wslab.labeling.selection import candidate_names, check_selection
from wslab.labeling.apply import LFPlan, load_precomputed, load_python_lf, plan_lfs, split_precomputed
from wslab.labeling.spec import LFSpec, check_lf_set, load_lf_specs
from wslab.app.review_loop import ExpertLabels, expert_labels, frozen_gold

__all__ = ["Project", "open_project", "open_data", "load_lfs"]


@dataclass
class Project:
    cfg: Config
    corpus: Corpus
    plan: LFPlan
    gold: Gold | None
    annotations: pl.DataFrame | None
    precomputed: pl.DataFrame | None
    _positions: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    expert: ExpertLabels | None = None  # the review loop's answers (wslab.app.review_loop); gold already includes them
    gold_file: Gold | None = None  # the gold file as written (its seeded or given split), before the loop
    stored_votes: pl.DataFrame | None = None  # precomputed votes of LFs the specs also define: compared, not used
    spans: EntitySpans | None = None  # corpus.spans, checked (wslab.core.spans)
    llm_labels: Any = None  # multi-label: {tag: (raters, votes)} of the llm_labels file; a tag's run: its (raters, votes)

    @property
    def labels(self) -> list[str]:
        return self.cfg.label_names

    @property
    def specs(self) -> list[LFSpec]:
        return self.plan.specs

    def gold_positions(self, split: str) -> np.ndarray | None:
        """Corpus row positions of the gold ``dev`` or ``test`` items (None without gold); computed once."""
        if self.gold is None:
            return None
        if split not in self._positions:
            self._positions[split] = self.corpus.positions(self.gold.dev_ids if split == "dev" else self.gold.test_ids)
        return self._positions[split].copy()

    def expert_positions(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Corpus row positions of the expert-answered documents and their labels (None without)."""
        if self.expert is None:
            return None
        return self.corpus.positions(self.expert.ids), self.expert.y


def load_lfs(cfg: Config) -> list[LFSpec]:
    """Every LF of the config's spec files, checked as a set against the label names."""
    specs: list[LFSpec] = []
    for f in cfg.lfs.files:
        specs.extend(load_lf_specs(cfg.resolve(f)))
    check_lf_set(specs, cfg.label_names)
    check_votes(cfg, specs)
    if not specs and cfg.lfs.precomputed is None:
        raise ConfigError(f"{cfg.config_path or 'config'}: key 'lfs': no labeling functions; "
                          "expected lfs.files or lfs.precomputed")
    return specs


MULTILABEL_UNSUPPORTED = {"llm_baseline.enabled": lambda c: c.llm_baseline.enabled}
"""Config keys a multi-label project does not take yet."""


def check_votes(cfg: Config, specs: list[LFSpec]) -> None:
    """``vote: against`` only in a multi-label project; there, every LF declarative and naming its tag."""
    for spec in specs:
        where = f"{spec.source_file or 'LF spec'}: LF {spec.name!r}"
        if spec.vote == "against" and not cfg.multilabel:
            raise ConfigError(f"{where}: key 'vote': 'against' needs a multi-label project (multilabel: true in "
                              f"{cfg.config_path or 'the config'}); expected vote: for, or no vote key")
        if cfg.multilabel and spec.kind in ("python", "prompt"):
            check_tag_lf(cfg, spec, where)
    if cfg.multilabel:
        for key, used in MULTILABEL_UNSUPPORTED.items():
            if used(cfg):
                raise ConfigError(f"{cfg.config_path or 'config'}: key {key!r}: not supported in multi-label projects "
                                  "yet; expected it unset (or multilabel: false)")


def check_tag_lf(cfg: Config, spec: LFSpec, where: str) -> None:
    """A Python or prompt LF of a multi-label project names its tag (``label:``); a prompt LF
    answers yes / no about it, so it takes neither ``vote: against`` nor a ``labels:`` subset."""
    if spec.label is None:
        raise ConfigError(f"{where}: key 'label': required for a {spec.kind} LF in a multi-label project; "
                          f"expected label: <tag>, one of {cfg.label_names}")
    if spec.kind == "prompt" and spec.vote == "against":
        raise ConfigError(f"{where}: key 'vote': a prompt LF votes both ways (yes: for the tag, no: against it); "
                          "expected no vote key")
    if spec.kind == "prompt" and (spec.prompt or {}).get("labels") is not None:
        raise ConfigError(f"{where}: key 'labels': a tag's prompt LF answers yes or no about its tag "
                          f"{spec.label!r}; expected no labels key")


def check_llm_use(cfg: Config, specs: list[LFSpec]) -> None:
    """Prompt-LF parameters, the LLM baseline and the LLM settings, before any paid call."""
    from wslab.labeling.baseline import check_llm_baseline

    prompt_specs = [s for s in specs if s.kind == "prompt"]
    if prompt_specs:
        from wslab.labeling.prompt_lf import llm_settings_from_config, parse_prompt_spec

        for spec in prompt_specs:
            parse_prompt_spec(spec.name, spec.prompt or {}, where=spec.source_file or "LF spec",
                              task_labels=cfg.label_names)
        if cfg.llm is None:
            raise ConfigError(f"{cfg.config_path}: key 'llm': required by prompt LF {prompt_specs[0].name!r}; "
                              "expected llm settings (base_url, model, ...)")
        llm_settings_from_config(cfg)
    check_llm_baseline(cfg)


def open_project(cfg: Config, *, prompt_lfs: bool = True) -> Project:
    """Load and check every input of ``cfg`` (see the module doc). ``prompt_lfs=False`` leaves
    prompt LFs out (``lfs analyze --no-prompt``)."""
    specs = [s for s in load_lfs(cfg) if prompt_lfs or s.kind != "prompt"]
    check_llm_use(cfg, specs)
    paths = [cfg.base_dir, *(cfg.resolve(p) for p in cfg.lfs.python_paths)]
    for spec in specs:
        if spec.kind == "python":
            load_python_lf(spec.condition.function, paths=paths)  # type: ignore[union-attr]
    corpus = open_corpus(cfg)
    check_texts(cfg, corpus)
    spans = load_spans(cfg.corpus.spans, corpus)
    plan = plan_lfs(corpus, specs, cfg.label_names, executor=cfg.lfs.executor)
    precomputed = stored = llm_labels = None
    if cfg.multilabel:  # votes files in the tags' form (wslab.app.tag_sources), checked before any paid call
        from wslab.app.tag_sources import load_tag_llm_labels, load_tag_precomputed

        if cfg.lfs.precomputed is not None:
            precomputed = load_tag_precomputed(cfg.resolve(cfg.lfs.precomputed), corpus.ids, cfg.label_names)
        if cfg.llm_labels is not None:
            llm_labels = load_tag_llm_labels(cfg.resolve(cfg.llm_labels), corpus, cfg.label_names)
    elif cfg.lfs.precomputed is not None:
        votes = load_precomputed(cfg.resolve(cfg.lfs.precomputed), corpus.ids, n_labels=len(cfg.label_names))
        precomputed, stored = split_precomputed(votes, plan.names)
    gold_file = open_gold(cfg, corpus)
    expert = expert_labels(cfg, corpus)  # multi-label: (n, tags) rows that replace the answered items' tags
    annotations = None
    if cfg.annotations is not None:
        annotations = io.read_table(cfg.resolve(cfg.annotations), required=["id", "annotator", "label"],
                                    what="annotations")
    if cfg.llm_labels is not None and not cfg.multilabel:  # read again by the agreement step; checked here
        io.read_table(cfg.resolve(cfg.llm_labels), required=["id", "label"], what="llm_labels")
    gold = frozen_gold(cfg, gold_file, expert)
    n_precomputed = 0 if precomputed is None else precomputed["lf"].n_unique() if cfg.multilabel else precomputed.width - 1
    check_selection_settings(cfg, gold, len(plan.names) + n_precomputed,
                             llm="file" if cfg.llm_labels is not None else None if cfg.multilabel else
                             "lfs" if any(sp.kind == "prompt" for sp in specs) else None)
    return Project(cfg=cfg, corpus=corpus, plan=plan, gold=gold, annotations=annotations,
                   precomputed=precomputed, expert=expert, gold_file=gold_file, stored_votes=stored, spans=spans,
                   llm_labels=llm_labels)


SNORKEL_DEFAULTS = {"n_epochs": 100, "lr": 0.01, "l2": 0.0, "restarts": 1}
"""Snorkel's own LabelModel.fit defaults (one fit), a label-model candidate beside the config's."""


def label_model_grid(cfg: Config, n_lfs: int) -> list[tuple[str, dict]]:
    """The label-model settings selection tries: the config's, and Snorkel's defaults when they
    differ (none with fewer LFs than Snorkel needs)."""
    if n_lfs < MIN_LFS_FOR_LABEL_MODEL:
        return []
    lm = cfg.label_model
    grid = [("", dict(n_epochs=lm.n_epochs, lr=lm.lr, l2=lm.l2, restarts=lm.restarts))]
    if grid[0][1] != SNORKEL_DEFAULTS:
        grid.append((",snorkel", SNORKEL_DEFAULTS))
    return grid


def check_selection_settings(cfg: Config, gold: Gold | None, n_lfs: int, *, llm: str | None = None) -> None:
    """selection.metric and selection.candidate, when selection will run (gold, enabled, enough
    dev items for its folds): what apply would refuse after fitting every candidate. ``llm``:
    where LLM labels come from (``file``, ``lfs`` or None; :func:`candidate_names`)."""
    sel = cfg.selection
    if gold is None or not sel.enabled or len(gold.y_dev) < sel.folds:
        return
    if cfg.multilabel:  # each tag chooses on F1 of its tag (selection.metric does not apply); the pin is checked
        sel = sel.model_copy(update={"metric": f"f1:{cfg.label_names[0]}"})
    names = candidate_names([tag for tag, _ in label_model_grid(cfg, n_lfs)], gold_shares=sel.gold_shares,
                            text_models=cfg.end_model.enabled, llm=llm,
                            llm_label_model_tags=[tag for tag, _ in label_model_grid(cfg, n_lfs + 1)],
                            spans=cfg.corpus.spans is not None)
    try:
        check_selection(sel.metric, sel.candidate, cfg.label_names, names)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.config_path}: {exc}") from None


def open_corpus(cfg: Config) -> Corpus:
    """The config's corpus; texts fetched for features and prompts are cut to corpus.max_text_chars."""
    return Corpus.open(cfg.resolve(cfg.corpus.path), id_column=cfg.corpus.id_column,
                       text_column=cfg.corpus.text_column, max_chars=cfg.corpus.max_text_chars)


def check_texts(cfg: Config, corpus: Corpus) -> None:
    """The end model and the suspicious-label stage learn from texts: some text must be there."""
    users = [k for k, on in (("end_model", cfg.end_model.enabled), ("suspicious", cfg.suspicious.enabled)) if on]
    if users and corpus.text_stats()["empty"] == len(corpus):
        raise ConfigError(f"{corpus.name}: column {corpus.text_column!r} is empty in every document; expected some "
                          f"text for {' and '.join(users)} (or {users[0]}.enabled: false)")


def open_gold(cfg: Config, corpus: Corpus) -> Gold | None:
    """The config's gold file, checked against the corpus, split into dev and test."""
    if cfg.gold is None:
        return None
    g = cfg.gold
    if cfg.multilabel:
        return load_tag_gold(cfg.resolve(g.path), tags=cfg.label_names, id_column=g.id_column,
                             label_column=g.label_column, split_column=g.split_column, dev_fraction=g.dev_fraction,
                             seed=cfg.seed, corpus=corpus)
    return load_gold(cfg.resolve(g.path), labels=cfg.label_names, id_column=g.id_column, label_column=g.label_column,
                     split_column=g.split_column, dev_fraction=g.dev_fraction, seed=cfg.seed, corpus=corpus)


def open_data(cfg: Config) -> tuple[Corpus, Gold | None]:
    """The corpus handle and the gold set of ``cfg`` as a run sees it (frozen split, expert answers):
    what ``lfs author`` needs, without LFs."""
    corpus = open_corpus(cfg)
    return corpus, frozen_gold(cfg, open_gold(cfg, corpus), expert_labels(cfg, corpus))
