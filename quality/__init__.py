"""wslab.quality: agreement statistics, evaluation on gold, label issues and relabel queues.

The agreement statistics are imported at once; the label-issue, queue and relabel names (which
need scikit-learn and cleanlab) are imported on first use, so ``import wslab.quality`` for
agreement alone does not load scikit-learn. Cleanlab and cartography merged into one queue is
:func:`wslab.find_suspicious_labels` (it joins two stages, so it lives above them).

>>> import pandas as pd
>>> from wslab.quality import agreement_report
>>> ratings = pd.DataFrame({"id": ["1", "1", "2", "2"], "annotator": ["a", "b", "a", "b"],
...                         "label": ["x", "x", "y", "x"]})
>>> agreement_report(ratings, n_boot=0)["percent_agreement"]["value"]
0.5
"""

from importlib import import_module

from wslab.quality.agreement import (Coefficient, cohen_kappa, fleiss_kappa,  # noqa: E402
                                     fleiss_kappa_per_category, gwet_ac1, krippendorff_alpha,
                                     percent_agreement)
from wslab.quality.agreement_report import agreement_report, wide_to_long  # noqa: E402
from wslab.quality.evaluate import evaluate  # noqa: E402
from wslab.quality.signals import annotator_disagreement, lf_conflicts  # noqa: E402

# label issues, relabel queue and expert answers: name -> module, imported lazily
_LAZY = {
    "default_cv_classifier": "label_issues", "find_label_issues": "label_issues",
    "multiannotator_consensus": "label_issues", "out_of_sample_pred_probs": "label_issues",
    "build_queue": "queue", "flagged_queue": "queue", "to_label_studio_tasks": "queue",
    "label_studio_config": "queue", "apply_answers": "relabel", "class_health": "health",
}

__all__ = ["Coefficient", "cohen_kappa", "fleiss_kappa", "fleiss_kappa_per_category", "gwet_ac1",
           "krippendorff_alpha", "percent_agreement", "agreement_report", "wide_to_long", "evaluate",
           "lf_conflicts", "annotator_disagreement", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f"wslab.quality.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wslab.quality' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
