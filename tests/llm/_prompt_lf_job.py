"""A prompt-LF run in its own process, so a test can SIGKILL it halfway.

    python _prompt_lf_job.py CORPUS.parquet WORK_DIR BASE_URL OUT.npy
"""

import sys

import numpy as np
import polars as pl

from wslab.labeling.prompt_lf import run_prompt_lf
from wslab.core.llm import LLMSettings

LABELS = ["ham", "spam"]
INSTRUCTION = "Is this message spam?"


def settings(base_url: str, work_dir: str) -> LLMSettings:
    return LLMSettings(base_url=base_url, model="fake", concurrency=4, backoff_base_s=0.01,
                       timeout_s=30.0, max_retries=2, cache_path=f"{work_dir}/cache.sqlite")


if __name__ == "__main__":
    corpus, work_dir, base_url, out = sys.argv[1:5]
    votes = run_prompt_lf(pl.read_parquet(corpus), name="job", instruction=INSTRUCTION,
                          labels=LABELS, settings=settings(base_url, work_dir), work_dir=work_dir).votes
    np.save(out, votes)
