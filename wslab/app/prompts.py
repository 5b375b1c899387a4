"""``wslab prompts compare`` as a library call: two instructions scored on the same gold dev items.

Each instruction labels the same gold dev documents (all of them, or a seeded sample) through
the one LLM client -- PII-masked, cached, resumable, inside ``llm.max_cost_usd`` -- like a
prompt LF. The result gives each one's accuracy and macro F1 (an abstention is wrong), the
difference B - A with a paired bootstrap CI, McNemar's test on the items one got right and the
other wrong, and each one's cost. Gold test is never read. The answers are kept in
``<output.dir>/prompt_lfs`` (with the response cache), so comparing again -- or comparing A
with a new C -- pays only for what was never asked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from wslab.core.config import Config
from wslab.core.errors import ConfigError, InputError
from wslab.core.progress import Reporter

__all__ = ["compare_prompts", "read_instruction"]


def read_instruction(path: Path) -> str:
    """The instruction in a text file (stripped); InputError when missing or empty."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise InputError(f"{path}: instruction file not found; expected a text file with the instruction") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the instruction ({exc}); expected a UTF-8 text file") from None
    if not text:
        raise InputError(f"{path}: the instruction file is empty; expected the instruction text")
    return text


def _dev_sample(cfg: Config, sample: int | None) -> tuple[pl.DataFrame, np.ndarray]:
    """(id, text) of the gold dev items to label (all, or ``sample`` of them, seeded) and their classes."""
    from wslab.app.project import open_data

    corpus, gold = open_data(cfg)
    if gold is None:
        raise ConfigError(f"{cfg.config_path or 'config'}: key 'gold': prompts compare scores on gold dev; "
                          "expected a gold section")
    ids, y = gold.dev_ids, gold.y_dev
    if sample is not None and sample < len(y):
        keep = np.sort(np.random.default_rng(cfg.seed).choice(len(y), sample, replace=False))
        ids, y = ids.gather(keep), y[keep]
    return pl.DataFrame({"id": ids, "text": corpus.texts(ids)}), y


def compare_prompts(cfg: Config, a: Path, b: Path, *, sample: int | None = None, n_boot: int | None = None,
                    reporter: Reporter | None = None) -> dict[str, Any]:
    """Score the instructions in files ``a`` and ``b`` on the same gold dev items (see module doc)."""
    from wslab.core import rundir
    from wslab.core.stats.paired import paired_comparison
    from wslab.labeling.baseline import cost_per_1k
    from wslab.labeling.prompt_lf import llm_settings_from_config, run_prompt_lf

    if sample is not None and sample < 1:
        raise InputError(f"--sample must be 1 or more. Got {sample} instead.")
    instructions = {"a": read_instruction(a), "b": read_instruction(b)}  # before any paid call
    if cfg.llm is None:
        raise ConfigError(f"{cfg.config_path or 'config'}: key 'llm': required by prompts compare; "
                          "expected llm settings (base_url, model, ...)")
    rundir.check_run_folder(cfg)  # the answers live in output.dir/prompt_lfs, as a run's do
    docs, y = _dev_sample(cfg, sample)
    settings = llm_settings_from_config(cfg)
    work_dir = cfg.resolve(cfg.output.dir) / "prompt_lfs"
    out: dict[str, Any] = {"n": docs.height, "model": settings.resolved_model(), "prompts": {}}
    votes, spent = {}, 0.0
    for key, path in (("a", a), ("b", b)):
        text = instructions[key]
        tag = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        step = settings.after_spending(spent).with_overrides(where="prompts compare")  # one budget for both
        result = run_prompt_lf(docs, name=f"prompt_{tag}", instruction=text, labels=cfg.label_names,
                               settings=step, work_dir=work_dir, label_descriptions=cfg.labels, task=cfg.task,
                               reporter=reporter)
        spent += result.usage["cost_usd"]
        votes[key] = result.votes
        out["prompts"][key] = {"file": str(path), "sha": tag, "status": result.status, "resumed": result.resumed,
                               "usage": result.usage,
                               **cost_per_1k(result.usage, result.extra, result.estimate, docs.height,
                                             step.price(out["model"]))}
    boot = cfg.evaluation.bootstrap if n_boot is None else n_boot
    scores = paired_comparison(y, votes["a"], votes["b"], len(cfg.label_names), n_boot=boot,
                               rng=np.random.default_rng(cfg.seed))
    for key in ("a", "b"):
        out["prompts"][key].update(scores.pop(key))
    out.update(scores)
    out["cost_usd"] = round(spent, 6)
    return out
