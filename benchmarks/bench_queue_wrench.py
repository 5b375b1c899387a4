"""The suspicious-label queue on WRENCH youtube and sms: flagged share and flagged precision on gold dev.

Needs ../shared/data/wrench (skips with a note when absent). Each data set is imported with
``wslab import wrench`` and applied as written, the quality stage on (its defaults); the numbers
are the run manifest's ``queue_calibration`` (:mod:`wslab.quality.queue_calibration`): how many
gold dev items the queue checked and how many of their given labels were wrong, the share of
checked items flagged, the flag's precision on gold dev (wrong given labels among the flagged dev
items, Wilson 95% CI) beside each single signal's own flag (cleanlab's label issues,
cartography's hard-to-learn, LF conflicts), and how often the pre-filled suggestion beat the
given label. Gold test enters nothing here.

    python benchmarks/bench_queue_wrench.py                 # youtube and sms
    python benchmarks/bench_queue_wrench.py --tag before    # label the rows (e.g. run on another checkout)

Prints a markdown table and appends the runs to benchmarks/results/queue_wrench.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "wrench"
RESULTS = ROOT / "benchmarks" / "results" / "queue_wrench.json"
SIGNALS = ("cleanlab", "cartography", "lf_conflict")


def run_dataset(dataset: str, tmp: Path) -> dict:
    """Import, apply with the quality stage on, and return the manifest's queue numbers."""
    proj = tmp / dataset
    subprocess.run([sys.executable, "-m", "wslab", "import", "wrench", str(DATA / dataset), str(proj)], check=True,
                   capture_output=True)
    cfg_path = proj / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    cfg.pop("suspicious", None)  # the defaults, on
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wslab", "apply", str(cfg_path), "-q"], check=True)
    secs = time.perf_counter() - t0
    run_dir = (proj / cfg.get("output", {}).get("dir", "runs/latest")).resolve()
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    quality = manifest.get("quality") or {}
    return {"dataset": dataset, "chosen": manifest.get("chosen"), "seconds": round(secs, 1),
            "checked": quality.get("checked"), "calibration": quality.get("queue_calibration")}


def _rate(r: dict | None) -> str:
    if not r or not r.get("n"):
        return "- (n=0)"
    lo, hi = r["ci"]
    return f"{r['precision']:.2f} [{lo:.2f}, {hi:.2f}] ({r['hits']}/{r['n']})"


def markdown(runs: list[dict]) -> str:
    head = ("| run | data (chosen) | dev items checked | wrong given labels | flagged share | flag precision | "
            + " | ".join(f"{s} alone" for s in SIGNALS) + " | suggestion right / given right |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in runs:
        c = r["calibration"] or {}
        sug = c.get("suggestion") or {}
        sig = c.get("signals") or {}
        lines.append(
            f"| {r.get('tag', '')} | {r['dataset']} ({r['chosen']}) | {c.get('dev_items')} | {c.get('dev_wrong')} | "
            f"{c.get('flagged_share', 0):.3f} | {_rate(c.get('flagged'))} | "
            + " | ".join(_rate(sig.get(s)) for s in SIGNALS)
            + f" | {_rate(sug.get('suggestion_right'))} / {_rate(sug.get('given_right'))} |")
    return "\n".join(lines)


def main() -> None:
    args = sys.argv[1:]
    tag = args[args.index("--tag") + 1] if "--tag" in args else "after"
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in ("youtube", "sms"):
            runs.append({"tag": tag, **run_dataset(dataset, Path(tmp))})
    old = json.loads(RESULTS.read_text(encoding="utf-8"))["runs"] if RESULTS.exists() else []
    keep = [r for r in old if r.get("tag") != tag]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": keep + runs}, indent=1) + "\n", encoding="utf-8")
    print(markdown(keep + runs))


if __name__ == "__main__":
    main()
