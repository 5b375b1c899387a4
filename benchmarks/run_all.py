"""Run every benchmark (``benchmarks/bench_*.py``) and assemble benchmarks/RESULTS.md.

Each script prints a markdown section and writes it to ``benchmarks/results/<name>.md``.
RESULTS.md is rebuilt from those sections, with this machine's facts on top.

    python benchmarks/run_all.py              # all
    python benchmarks/run_all.py apply issues # only bench_apply.py and bench_issues.py
    python benchmarks/run_all.py --assemble   # only rebuild RESULTS.md from benchmarks/results/
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["wrench", "reuters", "relation", "speed", "text_predict", "apply", "label_model", "label_model_scaling", "10m", "agreement", "issues", "queue", "loop", "llm"]


def machine_facts() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return (f"- machine: {platform.machine()}, {os.cpu_count()} cores, {mem} memory, no GPU\n"
            f"- Python {platform.python_version()} on {platform.system()} {platform.release()}\n")


def assemble() -> Path:
    sections = sorted((HERE / "results").glob("*.md"),
                      key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else len(ORDER), p.stem))
    body = "\n\n".join(p.read_text(encoding="utf-8").strip() for p in sections)
    text = ("# Benchmark results\n\nWritten by `make bench` (benchmarks/run_all.py); each section comes from "
            "one script in benchmarks/ and states what it measured and against which reference.\n\n"
            f"## Machine\n\n{machine_facts()}\n{body}\n")
    out = HERE / "RESULTS.md"
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out


def main(argv: list[str]) -> int:
    if argv == ["--assemble"]:  # rebuild RESULTS.md from the sections already written
        print(f"wrote {assemble()}")
        return 0
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in argv]
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"== {script.name}: exit {rc} in {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(script.name)
    out = assemble()
    print(f"wrote {out}")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
