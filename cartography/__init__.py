"""wslab.cartography: dataset cartography (training dynamics, data maps)."""

from wslab.cartography.dynamics import (TrainingDynamics, data_map_metrics,  # noqa: E402
                                        record_training_dynamics)
from wslab.cartography.plots import data_map_html, data_map_png  # noqa: E402
from wslab.cartography.regions import REGIONS, assign_regions  # noqa: E402
