"""``wslab demo``: a realistic, seeded demo project (bank support messages, ru/en/mixed).

The data is generated in :mod:`wslab.app.demo.generate` and written as a project (config, README) by
:mod:`wslab.app.demo.project`; the phrase banks, the demo's LFs and the README template are data
files in ``wslab/app/demo/data/``.
"""

from wslab.app.demo.generate import (ASSESSOR_ACCURACY, ASSESSORS, BATCH_SIZE, CHANNELS, CLASS_SHARES, DATA,
                                 LABELS, MISSING_RATE, SHARED_CONFUSION, DemoData, PhraseBank, build_demo,
                                 data_text, generate_corpus, lfs_yaml, phrase_bank, sample_gold, simulate_annotations)
from wslab.app.demo.project import PIPELINE_SEED, DemoSummary, config_dict, config_yaml, write_demo

__all__ = [
    "ASSESSORS", "ASSESSOR_ACCURACY", "BATCH_SIZE", "CHANNELS", "CLASS_SHARES", "DATA", "LABELS", "MISSING_RATE",
    "PIPELINE_SEED", "SHARED_CONFUSION", "DemoData", "DemoSummary", "PhraseBank", "build_demo", "config_dict",
    "config_yaml", "data_text", "generate_corpus", "lfs_yaml", "phrase_bank", "sample_gold",
    "simulate_annotations", "write_demo",
]
