"""wslab.quality: agreement statistics, evaluation metrics, label issues and relabel queues."""

# agreement (issue 7)
from wslab.quality.agreement import (Coefficient, cohen_kappa, fleiss_kappa,  # noqa: E402
                                     fleiss_kappa_per_category, gwet_ac1, krippendorff_alpha,
                                     percent_agreement)
from wslab.quality.agreement_report import agreement_report, wide_to_long  # noqa: E402

# label issues, relabel queue and expert answers (issue 4)
from wslab.quality.features import build_features, default_text_classifier, make_text_featurizer  # noqa: E402
from wslab.quality.label_issues import (find_label_issues, multiannotator_consensus,  # noqa: E402
                                        out_of_sample_pred_probs)
from wslab.quality.queue import build_queue, flagged_queue, to_label_studio_tasks  # noqa: E402
from wslab.quality.relabel import apply_answers, next_version_path  # noqa: E402
from wslab.quality.suspicious import SuspicionResult, find_suspicious_labels  # noqa: E402
