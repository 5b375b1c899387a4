"""wslab.core.stats: statistics shared by the stages (labeling, quality, cartography).

Confidence intervals, classification metrics with bootstrap CIs, and the text features and
default classifier. A stage package may import from here; no stage imports another stage.
"""

from wslab.core.stats.intervals import wilson_interval
from wslab.core.stats.metrics import classification_report

__all__ = ["wilson_interval", "classification_report"]
