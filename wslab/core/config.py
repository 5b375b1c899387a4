"""``config.yaml``: the schema of a wslab project, validated by pydantic (unknown keys rejected).

Relative paths resolve against the folder of the config file. Example::

    task: Route customer-support messages to the right team.
    seed: 13
    corpus: {path: data/corpus.parquet, id_column: id, text_column: text}
    labels:
      tariff: Questions about tariffs, plans and fees.
      card: Card problems: blocked, lost, declined, reissue.
    gold: {path: data/gold.csv, dev_fraction: 0.5}
    lfs: {files: [lfs.yaml]}
    label_model: {restarts: 3}
    end_model: {enabled: true}
    output: {dir: runs/demo}
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from wslab.core.errors import ConfigError
from wslab.core.yamlfile import read_yaml
from wslab.core.llm.settings import LLMSettings
from wslab.core.validation import Strict, model_keys, validation_message  # noqa: F401  (re-exported)
from wslab.core.limits import MAX_TEXT_CHARS


MAX_LABELS = 127
"""Votes are Int8 (-1 = abstain), so class indices run 0..126 at most."""


def check_label_names(names: list[Any]) -> None:
    """Raise ValueError unless ``names`` are 2..MAX_LABELS distinct, non-blank texts other than ABSTAIN."""
    if len(names) < 2:
        raise ValueError(f"expected at least two labels; got {len(names)}")
    if len(names) > MAX_LABELS:
        raise ValueError(f"expected at most {MAX_LABELS} labels (votes are stored as Int8); got {len(names)}")
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"label names must be non-empty strings; got {name!r}")
        if name.strip().upper() == "ABSTAIN":
            raise ValueError("ABSTAIN is reserved; it is not a label")
        if name in seen:
            raise ValueError(f"label {name!r} is listed twice; expected distinct label names")
        seen.add(name)


class SpansConfig(Strict):
    """Where the two entities of a relation stand in each document: span columns, or marks in the text."""

    e1: list[str] | None = Field(None, min_length=2, max_length=2, description="[start column, end column] of the "
                                 "first entity: character offsets into the text, end exclusive (text[start:end]), "
                                 "e.g. [span1_start, span1_end] as `wslab import wrench` writes them.")
    e2: list[str] | None = Field(None, min_length=2, max_length=2, description="[start column, end column] of the "
                                 "second entity, as e1.")
    markers: bool = Field(False, description="The entities are marked in the text instead, as <e1>...</e1> and "
                          "<e2>...</e2> (SemEval-2010 Task 8), in either order.")

    @model_validator(mode="after")
    def _one_style(self) -> "SpansConfig":
        columns = self.e1 is not None or self.e2 is not None
        if columns and (self.e1 is None or self.e2 is None):
            raise ValueError("expected both e1 and e2 ([start column, end column] each)")
        if columns == self.markers:
            raise ValueError("expected either e1 and e2 (span columns) or markers: true, not "
                             + ("both" if columns else "neither"))
        return self


class CorpusConfig(Strict):
    path: Path = Field(description="Corpus file: parquet, csv or jsonl.")
    id_column: str = Field("id", description="Column with a unique document id.")
    text_column: str = Field("text", description="Column with the document text.")
    max_text_chars: int = Field(MAX_TEXT_CHARS, ge=100, description="Texts are cut to this many characters for features "
                                "(end model, cleanlab, cartography) and prompts; LFs see whole texts. "
                                "manifest.json counts the texts cut.")
    spans: SpansConfig | None = Field(None, description="Entity spans of a relation task. The text models then "
                                      "also learn from the text before, between and after the two entities and "
                                      "from the entity words, each hashed apart (the +spans candidates: "
                                      "gold_only+spans, gold+votes+spans, end_model(...)+gold@share+spans; chosen "
                                      "or not on gold dev like every candidate).")


class GoldConfig(Strict):
    path: Path = Field(description="Expert labels: csv or parquet with id and label columns.")
    id_column: str = "id"
    label_column: str = "label"
    split_column: str | None = Field(
        None, description="Optional column with 'dev' / 'test' per row; otherwise a seeded split."
    )
    dev_fraction: float = Field(0.5, gt=0.0, lt=1.0, description="Share of gold used as dev (stratified, seeded).")


class LFsConfig(Strict):
    files: list[Path] = Field(default_factory=list, description="Declarative LF spec files (YAML).")
    accuracy_floor: float = Field(0.5, ge=0.0, le=1.0, description="Flag an LF (below_floor) whose gold-dev "
                                  "accuracy CI lies below this; lf_analysis.csv also flags LFs far below the "
                                  "label model's learned accuracy and near-duplicate LFs.")
    precomputed: Path | None = Field(
        None, description="A parquet label matrix (id + one integer column per LF, -1 = abstain). A column "
        "named like an LF of lfs.files is not used: lf_analysis.csv compares it with that LF's votes "
        "(precomputed_agreement, flag precomputed_mismatch). With multilabel: a votes file (id, lf, label) whose "
        "label cell holds the tags the LF votes for (';'-separated, or a list), not:<tag> for a vote against."
    )
    python_paths: list[Path] = Field(
        default_factory=list, description="Folders added to sys.path for kind: python LFs (the config folder is always added)."
    )
    workers: int = Field(1, ge=1, description="Processes for kind: python LFs.")
    executor: Literal["polars", "spark"] = Field(
        "polars", description="Where declarative LFs run: polars (this machine, streaming) or spark (the same rules "
        "as Spark SQL expressions, no Python UDFs; needs pyspark and Java). With spark, text models also predict "
        "there (the fitted model broadcast, the same probabilities)."
    )
    spark_master: str | None = Field(
        None, description="Spark master for executor: spark, e.g. local[4]; leave unset under spark-submit."
    )
    spark_output: str | None = Field(
        None, description="Where Spark writes the label matrix (parquet folder); on a cluster a shared path such as "
        "hdfs:///tmp/wslab/label_matrix. Default: a temporary local folder (local mode)."
    )


class LabelModelConfig(Strict):
    """Snorkel's LabelModel settings. Which aggregation labels (majority vote, weighted vote, a label
    model) is chosen by pipeline selection on gold dev, or pinned with ``selection.candidate``."""

    n_epochs: int = Field(500, ge=1)
    lr: float = Field(0.01, gt=0)
    l2: float = Field(0.0, ge=0)
    restarts: int = Field(3, ge=1, le=20, description="Snorkel fits from derived seeds; the one that scores best "
                          "on gold dev (out of fold during selection) labels, the lowest training loss only without "
                          "gold.")
    class_balance: Literal["gold_dev", "uniform"] = Field(
        "gold_dev", description="Class prior for the label model: estimated from gold dev, or uniform."
    )


class EndModelConfig(Strict):
    enabled: bool = True
    kind: Literal["tfidf_logreg"] = "tfidf_logreg"
    C: float = Field(4.0, gt=0, description="Inverse regularisation strength of the logistic regression.")
    max_features: int = Field(200_000, ge=100, description="Hash buckets per n-gram family (word and char) of the "
                              "end model's hashed TF-IDF.")
    min_confidence: float = Field(0.0, ge=0.0, le=1.0, description="Train only on labels at least this confident.")
    max_train: int = Field(500_000, ge=100, description="Train on at most this many covered documents (sampled).")


class SelectionConfig(Strict):
    enabled: bool = Field(True, description="Choose the pipeline that writes labels.parquet among candidates (vote "
                          "models, label models, end models on weak labels, with gold dev, on gold dev alone) by a "
                          "K-fold out-of-fold score on gold dev. Off, or without gold: the default pipeline, "
                          "label_model(dev)+end_model (the label model where an LF voted, majority vote with fewer "
                          "than 3 LFs or LFs that never overlap, the end model on uncovered documents).")
    metric: str = Field("macro_f1", pattern=r"^(accuracy|macro_f1|f1:.+)$",
                        description="accuracy, macro_f1, or f1:<class> (F1 of one class; each candidate then weighs "
                        "the probability of <class> (two classes: a threshold) as chosen on gold dev, out of fold).")
    candidate: str | None = Field(None, description="Pin one candidate by its name (see the candidate table) "
                                  "instead of choosing.")
    folds: int = Field(5, ge=2, le=20, description="Folds over gold dev for the out-of-fold scores.")
    max_train: int = Field(5_000, ge=100, description="Weak-labelled documents the candidate end models train on "
                           "(sampled, gold items excluded).")
    max_features: int = Field(262_144, ge=100, description="Hash buckets per n-gram family (word and char) of the "
                              "text features every text candidate shares (at most end_model.max_features): "
                              "computed once per run for the sample, gold dev and gold test.")
    max_text_rows: int | None = Field(None, ge=0, description="An explicit budget, off by default (null): candidates "
                                      "whose text model would label more documents than this (every document for "
                                      "end-model and gold-trained candidates; only the uncovered ones for "
                                      "<votes>+end_model) are scored and shown but not chosen unless pinned. The "
                                      "corpus size alone never changes the choice.")
    gold_shares: list[float] = Field([0.5], min_length=1, description="Share of the training weight given to the "
                                     "gold dev items in end_model(..)+gold candidates; each share is one candidate.")

    @field_validator("gold_shares")
    @classmethod
    def _shares(cls, v: list[float]) -> list[float]:
        if any(not 0.0 < s < 1.0 for s in v):
            raise ValueError(f"expected shares strictly between 0 and 1; got {v}")
        return v


class EvaluationConfig(Strict):
    bootstrap: int = Field(1000, ge=0, description="Bootstrap replicates for 95% CIs (0 = no CIs).")


class OutputConfig(Strict):
    dir: Path = Field(Path("runs/latest"), description="Run folder; every artefact is written here.")


class SuspiciousConfig(Strict):
    enabled: bool = Field(True, description="Run cleanlab + cartography on the aggregated labels.")
    folds: int = Field(5, ge=2, description="Cross-fitting folds: one fit per fold gives its held-out rows' "
                       "out-of-fold probabilities (cleanlab) and the other rows' data-map points.")
    epochs: int = Field(5, ge=2, description="SGD epochs per fold; each epoch records the data-map (cartography) points.")
    max_items: int = Field(100_000, ge=100, description="Check at most this many labelled documents (sampled).")


class LLMBaselineConfig(Strict):
    enabled: bool = Field(False, description="Label the gold dev and test items zero-shot with the LLM (llm settings) "
                          "and report it as the row llm_zero_shot beside the label models.")
    instruction: str | None = Field(None, description="What to decide; default: choose the label that fits best.")
    model: str | None = Field(None, description="Overrides llm.model for the baseline.")
    shots: int = Field(0, ge=0, le=50, description="Solved examples per class from gold dev (never test, never the "
                       "document itself) for a second row, llm_few_shot; 0 = zero-shot only.")
    shot_selection: Literal["similar", "stratified"] = Field(
        "similar", description="similar = the TF-IDF nearest gold dev items of each class; stratified = a seeded "
        "random sample of each class.")
    reasoning: bool = Field(False, description="Ask for a short justification before the label; only the label "
                            "field is read (strictly: one of the allowed labels).")


class ReviewLoopConfig(Strict):
    answers: Path | None = Field(
        None, description="The append-only expert answers store (csv) that wslab relabel import writes and apply "
        "reads. Default: wslab_answers.csv beside the gold file (or the config)."
    )
    split: Path | None = Field(
        None, description="The frozen gold dev/test split (id, split), written at the first run and never moved. "
        "Default: wslab_split.csv beside the answers store."
    )
    rounds: Path | None = Field(
        None, description="Each round's final labels on gold test (round, id, label), to score every round on the "
        "same frozen test. Default: wslab_rounds.csv beside the answers store."
    )
    expert_labels: Literal["dev", "labels"] = Field(
        "dev", description="Expert labels of documents outside gold: dev = they join gold dev (training and "
        "selection) and override the weak labels; labels = they only override the weak labels."
    )


class Config(Strict):
    """A wslab project."""

    task: str = Field("", description="What the labels mean, in a sentence or two (shown to LLMs).")
    seed: int = Field(0, ge=0, description="The one seed: gold split, label model, end model, bootstrap.")
    corpus: CorpusConfig
    multilabel: bool = Field(False, description="A multi-label project: labels are tags, a document has none, one or "
                             "several; gold cells hold tags separated by ';' (csv) or a list (jsonl, parquet); an LF's "
                             "label is a tag and vote: against says the tag does not apply (a prompt LF answers "
                             "yes / no about its tag). Each tag is its own "
                             "binary pipeline (selection per tag on f1:<tag>), stored by a key of its inputs so a new "
                             "tag reruns only itself.")
    labels: dict[str, str] = Field(description="Label name -> one-line description. Order defines class indices "
                                   "(with multilabel: the tags, in the order of labels.parquet's columns).")
    gold: GoldConfig | None = None
    annotations: Path | None = Field(None, description="Optional long-form annotations (id, annotator, label).")
    llm_labels: Path | None = Field(None, description="An LLM's labels (id, label, optional annotator), e.g. from wslab "
                                    "llm-label: candidates of pipeline selection (the LLM alone, inside the vote "
                                    "candidates, with the gold-trained text model), their cost read from the file's "
                                    "cost manifest; with annotations, the agreement report scores the LLM as a rater "
                                    "(kappa with each assessor, against gold). With multilabel: label is a tag "
                                    "cell, and each tag's run sees yes / no from the LLM's tag set.")
    lfs: LFsConfig = Field(default_factory=LFsConfig)
    label_model: LabelModelConfig = Field(default_factory=LabelModelConfig)
    end_model: EndModelConfig = Field(default_factory=EndModelConfig)
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    suspicious: SuspiciousConfig = Field(default_factory=SuspiciousConfig)
    llm: LLMSettings | None = Field(None, description="LLM settings: the one client every LLM call goes through.")
    llm_baseline: LLMBaselineConfig = Field(default_factory=LLMBaselineConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    review_loop: ReviewLoopConfig = Field(default_factory=ReviewLoopConfig)

    # set by load_config, not by users
    _config_path: Path | None = PrivateAttr(None)

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        check_label_names(list(v))
        return v

    @property
    def label_names(self) -> list[str]:
        return list(self.labels)

    @property
    def config_path(self) -> Path | None:
        return self._config_path

    @property
    def base_dir(self) -> Path:
        return self._config_path.parent if self._config_path else Path.cwd()

    def resolve(self, path: Path | str) -> Path:
        """Resolve a path from the config against the config file's folder."""
        p = Path(path).expanduser()
        return Path(os.path.normpath(p if p.is_absolute() else self.base_dir / p))

    def review_path(self, which: Literal["answers", "split", "rounds"]) -> Path:
        """Where the review loop's project files live (see :class:`ReviewLoopConfig`)."""
        given = getattr(self.review_loop, which)
        if given is not None:
            return self.resolve(given)
        home = self.resolve(self.gold.path).parent if self.gold is not None else self.base_dir
        given_answers = self.review_loop.answers
        answers = self.resolve(given_answers) if given_answers is not None else home / "wslab_answers.csv"
        return answers if which == "answers" else answers.parent / f"wslab_{which}.csv"

    def hash(self) -> str:
        """A stable hash of the validated config (what the run manifest records)."""
        payload = self.model_dump_json()
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


REMOVED_KEYS = {
    ("label_model", "kind"): "removed: pipeline selection chooses among majority vote, weighted vote and every "
                             "label-model setting on gold dev; to pin one, use selection.candidate (e.g. "
                             "selection.candidate: majority_vote or label_model(dev))",
}
"""Keys of older configs: (section, key) -> what to do instead."""
RENAMED_SECTIONS = {"quality": "suspicious", "review": "review_loop"}
"""Config sections under an earlier name -> their name now (an old config gets a one-line error)."""


def parse_config(data: Any, *, path: Path) -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a YAML mapping at the top level; got {type(data).__name__}")
    for (section, key), hint in REMOVED_KEYS.items():
        if isinstance(data.get(section), dict) and key in data[section]:
            raise ConfigError(f"{path}: key '{section}.{key}': {hint}")
    for old, new in RENAMED_SECTIONS.items():
        if old in data:
            raise ConfigError(f"{path}: key '{old}' was renamed; rename the section '{old}:' to '{new}:'")
    try:
        cfg = Config(**data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_message(exc, Config)}") from None
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    cfg._config_path = path.resolve()
    return cfg


def load_config(path: str | Path) -> Config:
    """Read, validate and return a config; raise ConfigError with one line on any problem."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: config file not found")
    return parse_config(read_yaml(p), path=p)


def config_json_schema() -> dict[str, Any]:
    """JSON Schema of config.yaml (for editor completion)."""
    return Config.model_json_schema()
