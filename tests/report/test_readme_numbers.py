"""The README's WRENCH numbers block is what benchmarks/results/wrench.json says (issue 23.6).

The pipeline is not rerun here: benchmarks/bench_wrench.py runs it and writes the JSON and the
block together; this test catches a README edited by hand or a JSON regenerated without the README.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_wrench", ROOT / "benchmarks" / "bench_wrench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_wrench_block_equals_the_committed_results():
    bench = _bench()
    results = json.loads((ROOT / "benchmarks" / "results" / "wrench.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert bench.readme_numbers(readme) == bench.readme_block(results), \
        "README.md's WRENCH numbers differ from benchmarks/results/wrench.json: run python benchmarks/bench_wrench.py --readme"
    labels = [r["label"] for r in results["runs"]]
    assert "youtube" in labels and "sms (stored votes)" in labels
    for r in results["runs"]:  # every figure in the block comes from the run, with its CI
        final = r["models"]["final"]
        assert final["ci"][0] <= final["value"] <= final["ci"][1]
        assert f"`{r['chosen']}`" in bench.readme_block({"runs": [r]})


def test_readme_block_changes_with_the_results():
    bench = _bench()
    run = {"label": "youtube", "metric": "accuracy", "chosen": "gold_only", "rule": None,
           "models": {m: {"value": 90.0, "ci": [85.0, 94.0]} for m in bench.MODELS}}
    block = bench.readme_block({"runs": [run]})
    assert "| youtube | accuracy | 90.0 [85.0, 94.0] |" in block
    run["models"]["final"]["value"] = 91.0
    assert bench.readme_block({"runs": [run]}) != block
    assert bench.readme_numbers("x\n" + block + "\ny") == block
