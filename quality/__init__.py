"""wslab.quality: agreement statistics, evaluation metrics, label issues and relabel queues."""

# agreement (issue 7)
from wslab.quality.agreement import (Coefficient, cohen_kappa, fleiss_kappa,  # noqa: E402
                                     fleiss_kappa_per_category, gwet_ac1, krippendorff_alpha,
                                     percent_agreement)
from wslab.quality.agreement_report import agreement_report, wide_to_long  # noqa: E402
