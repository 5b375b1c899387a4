"""wslab.quality: agreement statistics, evaluation metrics, label issues and relabel queues.

The agreement statistics are imported at once; the label-issue, queue and relabel names (which
need scikit-learn and cleanlab) are imported on first use, so ``import wslab.quality`` for
agreement alone does not load scikit-learn.
"""

from importlib import import_module

# agreement (issue 7)
from wslab.quality.agreement import (Coefficient, cohen_kappa, fleiss_kappa,  # noqa: E402
                                     fleiss_kappa_per_category, gwet_ac1, krippendorff_alpha,
                                     percent_agreement)
from wslab.quality.agreement_report import agreement_report, wide_to_long  # noqa: E402

# label issues, relabel queue and expert answers (issue 4): name -> module, imported lazily
_LAZY = {
    "build_features": "features", "default_text_classifier": "features", "make_text_featurizer": "features",
    "default_cv_classifier": "label_issues", "find_label_issues": "label_issues",
    "multiannotator_consensus": "label_issues", "out_of_sample_pred_probs": "label_issues",
    "build_queue": "queue", "flagged_queue": "queue", "to_label_studio_tasks": "queue",
    "apply_answers": "relabel", "next_version_path": "relabel",
    "SuspicionResult": "suspicious", "find_suspicious_labels": "suspicious",
}

__all__ = ["Coefficient", "cohen_kappa", "fleiss_kappa", "fleiss_kappa_per_category", "gwet_ac1",
           "krippendorff_alpha", "percent_agreement", "agreement_report", "wide_to_long", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f"wslab.quality.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'wslab.quality' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
