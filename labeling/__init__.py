"""wslab.labeling: labeling-function specs, compilation to Polars, appliers, label models,
LF analysis and the end model.

>>> import polars as pl
>>> from wslab.labeling import apply_lfs, majority_vote, votes_array
>>> df = pl.DataFrame({"id": ["1", "2", "3"], "text": ["win a prize", "lunch?", "free prize"]})
>>> L = apply_lfs(df, [{"name": "prize", "label": "spam", "kind": "keywords", "keywords": ["prize"]},
...                    {"name": "free", "label": "spam", "kind": "keywords", "keywords": ["free"]},
...                    {"name": "lunch", "label": "ham", "kind": "keywords", "keywords": ["lunch"]}], ["ham", "spam"])
>>> majority_vote(votes_array(L), 2).labels.tolist()
[1, 0, 1]
"""

from wslab.core.artifacts import ABSTAIN
from wslab.labeling.aggregate import (Aggregation, LabelModels, class_prior, final_probs, fit_label_models,
                                      majority_vote)
from wslab.labeling.label_model import LabelModelFit, fit_label_model
from wslab.labeling.analysis import lf_summary
from wslab.labeling.apply import LFPlan, apply_lfs, label_matrix, load_precomputed, plan_lfs, votes_array
from wslab.labeling.end_model import EndModel, end_model_probs, train_end_model
from wslab.labeling.spec import LFSpec, dump_lf_specs, load_lf_specs, parse_lf
from wslab.core.stats.ties import probs_to_preds

__all__ = ["ABSTAIN", "LFSpec", "parse_lf", "load_lf_specs", "dump_lf_specs", "apply_lfs", "plan_lfs", "LFPlan",
           "label_matrix", "load_precomputed", "votes_array", "lf_summary", "Aggregation", "LabelModels",
           "majority_vote", "fit_label_model", "LabelModelFit", "fit_label_models", "class_prior", "final_probs",
           "probs_to_preds", "EndModel", "train_end_model", "end_model_probs"]
