"""Multi-label projects (``multilabel: true``): one binary run per tag, each stored by a key of
what produced it, so a new tag reruns only itself.

A tag's sub-problem is *tag* vs *not tag* (classes ``not:<tag>``, ``<tag>``): a single-label
run of two classes (:func:`wslab.app.pipeline.binary_run`: label models, every candidate
chosen out of fold on gold dev with ``f1:<tag>`` as the metric, so the per-tag decision
threshold is cross-fitted on dev; gold test never chooses) on the text features every tag
shares (:func:`wslab.app.pipeline.shared_features`, computed once per run and only when some
tag runs).

Its votes are the tag's own LFs (``vote: for`` -> 1, ``vote: against`` -> 0) and one more
column, ``<tag>:no_vote``, that votes 0 wherever none of the tag's ``for`` LFs fired: the
closed-world reading (what the tag's rules do not claim is weak evidence against the tag).
Without it a one-sided LF set gives the label model nothing to learn from, and the vote
candidates could never say "no". It is weak evidence and is treated as such: the label models
learn its accuracy, and the gold-trained candidates (``gold_only``, ``gold+votes``) compete
with every vote candidate on dev. The obvious alternative, "another tag's LF fired and this
one's did not", was rejected: it makes a tag's votes depend on the other tags' LFs, so adding a
tag would change every other tag's labels.

The store (``wslab_tags/`` beside the review loop's files, see
:meth:`wslab.core.config.Config.review_path`) holds per tag its votes, probabilities, source,
candidate table and test predictions under the key of :func:`tag_key`: the tag's LF specs,
the corpus file's content hash, the tag's gold column (ids, split, 0/1), the gold ids, and the
config sections the run reads. A tag whose key is stored is read back (its files untouched),
so after adding a tag only that tag's run happens (``manifest.json`` ``tags.<tag>.computed``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from wslab.core import artifacts as A
from wslab.core import io
from wslab.core.data import TagGold
from wslab.core.errors import InputError
from wslab.core.progress import Reporter, get_reporter
from wslab.core.project_lock import project_lock
from wslab.core.stats.multilabel import multilabel_metrics
from wslab.core.stats.ties import probs_to_preds
from wslab.labeling.analysis import lf_summary
from wslab.labeling.apply import label_matrix, load_python_lf, plan_lfs, votes_array
from wslab.app.project import Project
from wslab.app.tag_sources import llm_for_tag, precomputed_for_tag
from wslab.app.tag_stages import (checked_tags, expert_override, suspicious_tags, tag_agreement, tag_round,
                                  tag_rounds)

NO_VOTE = "{tag}:no_vote"
"""The closed-world column of a tag's votes (module doc)."""
SCORED = ("final", "majority_vote", "gold_only")
"""The rows of metrics.json ``test`` (gold_only when selection fitted it)."""


def negative(tag: str) -> str:
    return f"not:{tag}"


@dataclass
class TagOutput:
    """What one tag's run produced (stored, or read back from the store)."""

    key: str
    lf_names: list[str]
    votes: np.ndarray  # (n, m) int8 of the tag's LFs (no closed-world column)
    p: np.ndarray  # (n,) probability that the tag applies (after the tag's decision threshold)
    applies: np.ndarray  # (n,) bool: the final label
    source: np.ndarray  # (n,) object: the candidate that labelled each document
    chosen: str
    candidates: dict[str, Any] | None
    test_preds: dict[str, list[int]]  # per SCORED row: 0/1 on gold test (in gold.test_ids order)
    dev_oof: list[int] | None = None  # the chosen candidate's out-of-fold 0/1 on gold dev (gold.dev_ids order)
    computed: bool = True
    complete: bool = True  # false: a prompt LF got no answer for some document (not stored: asked again next run)


@dataclass
class TagsResult:
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    lf_table: pl.DataFrame
    chosen: dict[str, str]
    agreement: dict[str, Any] | None = None
    round: pl.DataFrame | None = None  # this run's final tags on gold test: the current review round


# ------------------------------------------------------------------ one tag


def tag_project(project: Project, tag: str) -> Project:
    """The binary project of ``tag``: classes (not:tag, tag), the tag's LFs voting 1 (for) or 0
    (against), the tag's gold column, selection on ``f1:<tag>``."""
    cfg = project.cfg
    sel = cfg.selection.model_copy(update={"metric": f"f1:{tag}"})
    tcfg = cfg.model_copy(update={"labels": {negative(tag): f"not {tag}", tag: cfg.labels[tag]}, "multilabel": False,
                                  "selection": sel})
    specs = [s.model_copy(update={"label": tag if s.vote == "for" else negative(tag), "vote": "for"})
             for s in project.specs if s.label == tag]
    plan = plan_lfs(project.corpus, specs, tcfg.label_names, executor=cfg.lfs.executor)
    gold = project.gold.for_tag(tag) if isinstance(project.gold, TagGold) else None
    sub = Project(cfg=tcfg, corpus=project.corpus, plan=plan, gold=gold, annotations=None,
                  precomputed=precomputed_for_tag(project.precomputed, project.corpus.ids, tag),
                  llm_labels=llm_for_tag(project.llm_labels, tag))
    sub._positions = project._positions  # the gold rows' positions: found once for every tag
    return sub


def tag_votes(sub: Project, tag: str, *, llm: dict[str, Any] | None = None,
              reporter: Reporter | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(names, L with the closed-world column, the LFs' votes alone) of a tag's project. Python
    LFs say whether they fire; prompt LFs answer yes / no / ABSTAIN about the tag
    (:func:`wslab.labeling.prompt_lf.tag_answers`), their usage added to ``llm`` (the run's)."""
    cfg = sub.cfg
    usage = llm if llm is not None else {}

    def prompt_votes(docs: pl.DataFrame, specs: list) -> np.ndarray:
        from wslab.labeling.prompt_lf import run_prompt_lfs, tag_answers

        votes, used = run_prompt_lfs(cfg, docs, specs, answers=tag_answers(tag, cfg.labels[tag]),
                                     spent_usd=float(usage.get("cost_usd") or 0.0), reporter=reporter)
        add_llm_usage(usage, used)
        return votes

    names = [*sub.plan.names, *(sub.precomputed.columns[1:] if sub.precomputed is not None else [])]
    if names:
        votes = votes_array(label_matrix(sub.corpus, sub.plan, python_paths=python_paths(cfg), workers=cfg.lfs.workers,
                                         prompt_votes=prompt_votes, precomputed=sub.precomputed, tag=tag,
                                         reporter=reporter))
    else:
        votes = np.empty((len(sub.corpus), 0), dtype=np.int8)
    claimed = (votes == 1).any(axis=1)
    no_vote = np.where(claimed, A.ABSTAIN, 0).astype(np.int8)[:, None]
    return [*names, NO_VOTE.format(tag=tag)], np.hstack([votes, no_vote]), votes


def python_paths(cfg: Any) -> list[Path]:
    """Where Python LFs are imported from: the config folder, then ``lfs.python_paths``."""
    return [cfg.base_dir, *map(cfg.resolve, cfg.lfs.python_paths)]


def add_llm_usage(total: dict[str, Any], used: dict[str, Any]) -> None:
    """Add one tag's prompt-LF usage (:func:`wslab.labeling.prompt_lf.run_prompt_lfs`) to the run's."""
    for k, v in used.items():
        if k == "lfs":
            total.setdefault("lfs", {}).update(v)
        elif k == "masked":
            masked = total.setdefault("masked", {})
            for kind, n in v.items():
                masked[kind] = masked.get(kind, 0) + n
        elif isinstance(v, (int, float)):
            total[k] = round(total.get(k, 0) + v, 6) if k == "cost_usd" else total.get(k, 0) + v


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (streamed)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tag_key(project: Project, tag: str, corpus_digest: str) -> str:
    """The key of a tag's outputs: what its run reads (module doc), hashed."""
    cfg, gold = project.cfg, project.gold
    specs = [s.model_dump(mode="json", exclude={"source_file", "description", "provenance"})
             for s in project.specs if s.label == tag]
    payload: dict[str, Any] = {
        "tag": tag, "lfs": specs, "corpus": corpus_digest, "seed": cfg.seed, "version": metadata.version("wslab"),
        "config": {k: getattr(cfg, k).model_dump(mode="json") for k in
                   ("label_model", "end_model", "selection", "evaluation")},
        "corpus_config": cfg.corpus.model_dump(mode="json", exclude={"path"}), "executor": cfg.lfs.executor}
    kinds = {s.kind for s in project.specs if s.label == tag}
    if "prompt" in kinds:  # what the answers depend on (as the vote store's key), never the URL or the budget
        llm = cfg.llm.model_dump(mode="json", include={"model", "temperature", "max_tokens", "structured_output",
                                                       "masking"}) if cfg.llm is not None else None
        payload["llm"] = {"settings": llm, "task": cfg.task, "description": cfg.labels[tag]}
    if "python" in kinds:  # the functions' source files: an edited function reruns its tag
        payload["python"] = python_sources(cfg, [s for s in project.specs if s.label == tag and s.kind == "python"])
    if project.precomputed is not None:  # the tag's rows of the votes file (sorted by LF and id)
        rows = project.precomputed.filter(pl.col("tag") == tag)
        payload["precomputed"] = hashlib.sha256(rows.write_csv().encode()).hexdigest() if rows.height else None
    if project.llm_labels is not None:  # the tag's LLM votes (the llm_labels file as this tag sees it)
        raters, v = project.llm_labels[tag]
        payload["llm_labels"] = [raters, hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()]
    if isinstance(gold, TagGold):
        column = gold.tag_matrix[:, gold.tags.index(tag)]
        payload["gold"] = hashlib.sha256(json.dumps([gold.ids.to_list(), gold.is_dev.astype(int).tolist(),
                                                     column.astype(int).tolist()]).encode()).hexdigest()
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def python_sources(cfg: Any, specs: list) -> dict[str, str]:
    """sha256 of the source file of each Python LF's function (its name when it has none)."""
    out = {}
    for spec in specs:
        fn = load_python_lf(spec.condition.function, paths=python_paths(cfg))
        try:
            out[spec.name] = file_digest(Path(inspect.getsourcefile(fn) or ""))
        except (OSError, TypeError):
            out[spec.name] = spec.condition.function
    return out


def compute_tag(project: Project, tag: str, key: str, *, binary_run: Callable, features: Callable[[], Any],
                llm: dict[str, Any], reporter: Reporter | None) -> TagOutput:
    """Run one tag's binary pipeline (module doc) and return what it produced (prompt-LF usage
    added to ``llm``)."""
    sub = tag_project(project, tag)
    failed = int(llm.get("failed") or 0)
    names, L, votes = tag_votes(sub, tag, llm=llm, reporter=reporter)
    needs_features = sub.gold is not None and sub.cfg.selection.enabled and sub.cfg.end_model.enabled
    run = binary_run(sub, L, names, features=features() if needs_features else None, reporter=reporter)
    test_pos = sub.gold_positions("test")
    preds: dict[str, list[int]] = {}
    if test_pos is not None:
        preds["final"] = probs_to_preds(run.probs[test_pos]).tolist()
        preds["majority_vote"] = probs_to_preds(run.models.majority_vote.probs[test_pos]).tolist()
        if run.selection is not None and "gold_only" in run.selection.test:
            preds["gold_only"] = probs_to_preds(run.selection.test["gold_only"]).tolist()
    sel = run.selection
    dev_oof = None if sel is None else probs_to_preds(sel.oof[sel.chosen], rows=sub.gold_positions("dev")).tolist()
    cands = None if sel is None else {"metric": sel.metric, "folds": sel.folds, "chosen": sel.chosen,
                                      "pinned": sel.pinned, "rows": sel.rows, "rule": sel.rule,
                                      "learning_curve": sel.learning_curve}
    return TagOutput(key=key, lf_names=names[:-1], votes=votes, p=run.probs[:, 1],
                     applies=probs_to_preds(run.probs) == 1, source=np.asarray(run.source, dtype=object),
                     chosen=run.chosen, candidates=cands, test_preds=preds, dev_oof=dev_oof,
                     complete=int(llm.get("failed") or 0) == failed)


# ------------------------------------------------------------------ the store


class TagStore:
    """Per tag a folder: ``tag.json`` (key, chosen, candidates, test predictions, the chosen
    candidate's out-of-fold labels of gold dev, LF names),
    ``labels.parquet`` (p, applies, source) and ``votes.parquet``; written atomically, and only
    when the tag was computed (a stored tag's files are never rewritten). Read and written under
    the project lock of the answers store ``lock`` (:func:`wslab.core.project_lock.project_lock`)."""

    def __init__(self, root: Path, lock: Path) -> None:
        self.root, self.lock = root, lock

    def folder(self, tag: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", tag)[:40]
        return self.root / f"{safe}-{hashlib.sha1(tag.encode()).hexdigest()[:8]}"

    def load(self, tag: str, key: str) -> TagOutput | None:
        with project_lock(self.lock):
            return self._load(tag, key)

    def _load(self, tag: str, key: str) -> TagOutput | None:
        d = self.folder(tag)
        try:
            meta = json.loads((d / "tag.json").read_text(encoding="utf-8"))
            if meta.get("key") != key or "dev_oof" not in meta:  # no dev_oof: an earlier wslab's store
                return None
            labels, votes = pl.read_parquet(d / "labels.parquet"), pl.read_parquet(d / "votes.parquet")
        except (OSError, ValueError, pl.exceptions.PolarsError):
            return None  # missing or unreadable: computed again
        return TagOutput(key=key, lf_names=meta["lf_names"], votes=votes.to_numpy().astype(np.int8).reshape(
                         labels.height, len(meta["lf_names"])), p=labels["p"].to_numpy(),
                         applies=labels["applies"].to_numpy(), source=labels["source"].to_numpy().astype(object),
                         chosen=meta["chosen"], candidates=meta["candidates"], test_preds=meta["test_preds"],
                         dev_oof=meta["dev_oof"], computed=False)

    def save(self, tag: str, out: TagOutput) -> None:
        with project_lock(self.lock):
            self._save(tag, out)

    def _save(self, tag: str, out: TagOutput) -> None:
        d = self.folder(tag)
        d.mkdir(parents=True, exist_ok=True)
        (d / "tag.json").unlink(missing_ok=True)  # written last: a half-saved tag never matches a key
        io.write_table(d / "votes.parquet", pl.DataFrame({n: out.votes[:, j] for j, n in enumerate(out.lf_names)},
                                                         schema={n: pl.Int8 for n in out.lf_names}))
        io.write_table(d / "labels.parquet", pl.DataFrame({"p": out.p, "applies": out.applies,
                                                           "source": pl.Series(out.source, dtype=pl.String)}))
        io.write_json(d / "tag.json", {"tag": tag, "key": out.key, "lf_names": out.lf_names, "chosen": out.chosen,
                                       "candidates": out.candidates, "test_preds": out.test_preds,
                                       "dev_oof": out.dev_oof})


# ------------------------------------------------------------------ the run


def run_tags(project: Project, run: Any, *, binary_run: Callable, shared_features: Callable,
             versions: dict[str, str], reporter: Reporter | None = None) -> TagsResult:
    """Every tag's outputs (stored or computed), assembled into the run folder: labels.parquet,
    label_matrix.parquet, lf_analysis.csv, the suspicious-label files, agreement.json (with
    annotations), metrics.json (with the review rounds scored per tag), manifest.json and
    report.html (:mod:`wslab.app.tag_stages`). ``run``: the pipeline's run (``stage``, ``write``,
    ``write_review``, ``timings``); ``binary_run``, ``shared_features``: its steps; ``versions``:
    the package versions for the manifest."""
    cfg, tags = project.cfg, project.labels
    store = TagStore(cfg.review_path("answers").parent / "wslab_tags", lock=cfg.review_path("answers"))
    digest = file_digest(project.corpus.path) if project.corpus.path is not None else "in-memory"
    cache: dict[str, Any] = {}

    def features() -> Any:  # computed once, and only when some tag runs
        if "f" not in cache:
            with run.stage("text_features"):
                cache["f"] = shared_features(project, np.ones(len(project.corpus), dtype=bool))
        return cache["f"]

    outputs: dict[str, TagOutput] = {}
    for tag in tags:
        key = tag_key(project, tag, digest)
        stored = store.load(tag, key)
        if stored is not None:
            outputs[tag] = stored
            continue
        with run.stage(f"tag:{tag}"):
            outputs[tag] = compute_tag(project, tag, key, binary_run=binary_run, features=features,
                                       llm=run.llm, reporter=reporter)
            if outputs[tag].complete:
                store.save(tag, outputs[tag])
    votes = {t: (o.lf_names, o.votes) for t, o in outputs.items()}
    applies, p, source = expert_override(project, *(np.stack([getattr(outputs[t], k) for t in tags], axis=1)
                                                    for k in ("applies", "p", "source")))
    run.write("labels", A.LABELS, tags_frame(project.corpus.ids, tags, applies, p, source))
    run.write("label_matrix", A.LABEL_MATRIX, pl.DataFrame({"id": project.corpus.ids.cast(pl.String), **{
        n: pl.Series(o.votes[:, j], dtype=pl.Int8) for o in outputs.values() for j, n in enumerate(o.lf_names)}}))
    lf_table = tags_lf_table(project, votes)
    run.write("lf_analysis", A.LF_ANALYSIS, lf_table)
    with run.stage("quality"):  # the shared text features when gold made them possible
        given, on_dev = checked_tags(project, applies, {t: outputs[t].dev_oof for t in tags})
        suspicious = suspicious_tags(project, given, votes, features() if project.gold is not None else None,
                                     given_on_dev=on_dev, reporter=reporter)
    if suspicious is not None:
        run.write_review(suspicious, tags)
    with run.stage("evaluation"):
        metrics = tags_metrics(project, outputs)
        this_round = tag_round(project, final_test_preds(tags, outputs)) if "test" in metrics else None
        metrics["rounds"] = tag_rounds(project, this_round, metrics.get("test", {}).get("final"))
    with run.stage("agreement"):
        agreement = tag_agreement(project, votes)
    if agreement is not None:
        run.write("agreement", A.AGREEMENT, agreement)
    run.write("metrics", A.METRICS, metrics)
    manifest = tags_manifest(project, run, outputs, versions=versions,
                             quality=suspicious.summary if suspicious is not None else None)
    run.write("manifest", A.MANIFEST, manifest)
    write_tag_report(run, reporter=reporter)
    return TagsResult(metrics=metrics, manifest=manifest, lf_table=lf_table, chosen=metrics["chosen"],
                      agreement=agreement, round=this_round)


def final_test_preds(tags: list[str], outputs: dict[str, TagOutput]) -> np.ndarray:
    """(n_test, tags) 0/1: the final tags on gold test, as metrics.json ``test.final`` scored them."""
    return np.array([outputs[t].test_preds["final"] for t in tags], dtype=np.int8).T.reshape(-1, len(tags))


def tag_report_available() -> bool:
    """Whether this wslab's report shows multi-label runs (its ``wslab.app.report.tags`` module)."""
    return importlib.util.find_spec("wslab.app.report.tags") is not None


def check_tag_report(run_dir: Path) -> None:
    """``wslab report`` of a multi-label run folder (metrics.json ``multilabel: true``) when this
    wslab's report does not show such runs: one-line InputError instead of a traceback."""
    from wslab.app.report.load import read_json

    metrics = read_json(Path(run_dir) / A.METRICS, required=False)
    if isinstance(metrics, dict) and metrics.get("multilabel") and not tag_report_available():
        raise InputError(f"{run_dir}: a multi-label run; this wslab's report does not show multi-label runs yet "
                         "(metrics.json and the run's tables hold its results)")


def write_tag_report(run: Any, *, reporter: Reporter | None = None) -> None:
    """report.html of the run folder, or one line saying why there is none."""
    if not tag_report_available():
        get_reporter(reporter).info("multi-label run: report.html skipped (this wslab's report does not show "
                                    "multi-label runs yet)")
        return
    from wslab.app.report import build_report

    run.write("report", A.REPORT, build_report(run.dir))


def tags_frame(ids: pl.Series, tags: list[str], applies: np.ndarray, p: np.ndarray, source: np.ndarray) -> pl.DataFrame:
    """labels.parquet of a multi-label run (:func:`wslab.core.artifacts.tag_labels_schema`) from
    (n, tags) matrices: whether each tag applies, its probability, the candidate (or ``expert``)."""
    names = np.asarray(tags, dtype=object)
    frame = pl.DataFrame({
        "id": ids.cast(pl.String),
        "tags": pl.Series([names[row].tolist() for row in applies.astype(bool)], dtype=pl.List(pl.String)),
        **{f"p_{t}": pl.Series(p[:, j], dtype=pl.Float64) for j, t in enumerate(tags)},
        **{f"source_{t}": pl.Series(source[:, j], dtype=pl.String) for j, t in enumerate(tags)},
    })
    return A.check_schema(frame, A.tag_labels_schema(tags), name=A.LABELS)


def analyze_tags(project: Project, *, llm: dict[str, Any] | None = None,
                 reporter: Reporter | None = None) -> tuple[pl.DataFrame, int]:
    """``wslab lfs analyze`` of a multi-label project: (the LF table of :func:`tags_lf_table`,
    documents some LF votes on); prompt-LF usage added to ``llm``. Nothing is stored or fitted."""
    votes = {}
    for tag in project.labels:
        sub = tag_project(project, tag)
        names, _, v = tag_votes(sub, tag, llm=llm, reporter=reporter)
        votes[tag] = (names[:-1], v)
    covered = sum(((v != A.ABSTAIN).any(axis=1) for _, v in votes.values()), np.zeros(len(project.corpus), bool))
    return tags_lf_table(project, votes), int(covered.sum())


def tags_lf_table(project: Project, votes: dict[str, tuple[list[str], np.ndarray]]) -> pl.DataFrame:
    """lf_analysis.csv: each tag's LFs summarised on its binary votes (``votes``: tag -> (LF
    names, (n, m) votes)), a ``tag`` column first."""
    gold, dev_pos = project.gold, project.gold_positions("dev")
    parts = []
    for tag, (names, L) in votes.items():
        if not names:
            continue
        y_dev = gold.for_tag(tag).y_dev if isinstance(gold, TagGold) else None
        table = lf_summary(L, names, [negative(tag), tag], y_dev=y_dev,
                           L_dev=L[dev_pos] if dev_pos is not None else None)
        parts.append(table.select(pl.lit(tag).alias("tag"), pl.all()))
    return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame({"tag": [], "name": []},
                                                                                 schema={"tag": pl.String,
                                                                                         "name": pl.String})


def tags_metrics(project: Project, outputs: dict[str, TagOutput]) -> dict[str, Any]:
    """metrics.json of a multi-label run: per tag the chosen candidate and its candidate table;
    on gold test the final tags, majority vote and (when fitted) gold only, scored per tag and
    over all tags (:func:`wslab.core.stats.multilabel.multilabel_metrics`)."""
    cfg, gold, tags = project.cfg, project.gold, project.labels
    metrics: dict[str, Any] = {"multilabel": True, "labels": tags, "chosen": {t: o.chosen for t, o in outputs.items()},
                               "candidates": {t: json.loads(json.dumps(o.candidates)) for t, o in outputs.items()
                                              if o.candidates is not None}}  # a copy: the CIs are shared below
    if not isinstance(gold, TagGold):
        return metrics
    y_test = gold.y_test
    metrics["test"] = {}
    for i, row in enumerate(SCORED):
        if all(row in outputs[t].test_preds for t in tags):
            pred = np.array([outputs[t].test_preds[row] for t in tags], dtype=np.int8).T.reshape(y_test.shape)
            metrics["test"][row] = multilabel_metrics(y_test, pred, tags, n_boot=cfg.evaluation.bootstrap,
                                                      seed=cfg.seed)
    metrics["gold"] = {"n_dev": int(gold.is_dev.sum()), "n_test": int((~gold.is_dev).sum())}
    share_tag_cis(metrics)
    return metrics


def share_tag_cis(metrics: dict[str, Any]) -> None:
    """One CI per number: a candidate row whose test F1 is a ``test`` row's F1 of that tag (the
    chosen one as ``final``, ``majority_vote``, ``gold_only``) takes that row's CI."""
    for tag, cands in metrics.get("candidates", {}).items():
        names = {"final": cands["chosen"], "majority_vote": "majority_vote", "gold_only": "gold_only"}
        rows = {r["name"]: r for r in cands["rows"]}
        for key, block in metrics.get("test", {}).items():
            row = rows.get(names[key])
            ci = block["ci"].get("per_tag", {}).get(tag, {}).get("f1")
            if row is not None and row.get("test") and ci and abs(row["test"]["value"] - block["per_tag"][tag]["f1"]) < 1e-12:
                row["test"] = {**row["test"], "ci": ci}


def tags_manifest(project: Project, run: Any, outputs: dict[str, TagOutput], *,
                  versions: dict[str, str], quality: dict[str, Any] | None = None) -> dict[str, Any]:
    """manifest.json of a multi-label run; ``tags.<tag>``: its key, and whether this run computed
    it (false: read back from the store)."""
    cfg, gold = project.cfg, project.gold
    return {"config_hash": cfg.hash(), "config_path": str(cfg.config_path) if cfg.config_path else None,
            "seed": cfg.seed, "versions": versions, "timings_s": run.timings,
            "rows": {"corpus": len(project.corpus), "lfs": sum(len(o.lf_names) for o in outputs.values()),
                     "covered": int(sum(((o.votes != A.ABSTAIN).any(axis=1) for o in outputs.values()),
                                        np.zeros(len(project.corpus), dtype=bool)).sum()),
                     "gold_dev": int(gold.is_dev.sum()) if gold is not None else 0,
                     "gold_test": int((~gold.is_dev).sum()) if gold is not None else 0},
            "chosen": {t: o.chosen for t, o in outputs.items()}, "llm": run.llm, "quality": quality,
            "texts": project.corpus.text_stats(), "files": {k: v.name for k, v in run.files.items()},
            "multilabel": True, "tags": {t: {"key": o.key, "computed": o.computed} for t, o in outputs.items()}}
