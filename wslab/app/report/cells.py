"""The values a report table cell shows, and their number formats. No HTML here: the
templates decide the markup, and escape every text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from wslab.app.report.charts import finite

__all__ = ["Badge", "Cell", "Table", "ci", "integer", "num", "pct", "scored"]


@dataclass(frozen=True)
class Badge:
    text: str
    kind: str = "warn"  # "warn" or "ok"
    title: str = ""


@dataclass(frozen=True)
class Cell:
    """One cell: ``text`` in the style ``style`` ("", "code", "id": code on one line, "name":
    code that breaks only after an underscore, "strong", "small", "txt" or "change": ``text`` → ``to``), then a muted ``ci`` and ``note``, then ``badges``; ``bar`` draws
    a small bar of that share (0-1) before the text."""

    text: str = ""
    style: str = ""
    ci: str = ""
    note: str = ""
    to: str | None = None
    bar: float | None = None
    badges: tuple[Badge, ...] = ()


@dataclass(frozen=True)
class Table:
    """A table: header texts, rows of cells (a plain str is a plain cell), right-aligned columns."""

    head: Sequence[str]
    rows: Sequence[Sequence[Cell | str]]
    num: frozenset[int] = frozenset()
    cls: str = ""

    @classmethod
    def of(cls, head: Sequence[str], rows: Sequence[Sequence[Cell | str]], *, num: Sequence[int] = (),
           cls_: str = "") -> Table:
        return cls(list(head), rows, frozenset(num), cls_)


def num(x: Any, digits: int = 3) -> str:
    """``x`` with ``digits`` decimals; "—" for a missing or non-finite value."""
    return f"{x:.{digits}f}" if finite(x) else "—"


def pct(x: Any, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%" if finite(x) else "—"


def integer(x: Any) -> str:
    return f"{int(x):,}" if finite(x) else "—"


def ci(bounds: Sequence[Any] | None, digits: int = 3) -> str:
    """``[lo, hi]``, or "" when the interval is missing or not finite."""
    if not bounds or len(bounds) != 2 or not all(finite(v) for v in bounds):
        return ""
    return f"[{bounds[0]:.{digits}f}, {bounds[1]:.{digits}f}]"


def scored(value: Any, bounds: Sequence[Any] | None = None, *, digits: int = 3, style: str = "") -> Cell:
    """A score with its CI."""
    return Cell(num(value, digits), style=style, ci=ci(bounds, digits))


def vs_best_text(row: dict) -> str:
    """A candidate against the raw best by dev OOF score: ``best``, or ``-0.028 (SE 0.012)``, the
    gap and the bootstrap standard error of the paired difference; empty without a comparison."""
    v = row.get("vs_best")
    if not v:
        return ""
    if v["best"] == row["name"]:
        return "best"
    return f"{-v['gap']:+.3f} (SE {v['se']:.3f})"


def decision_text(d: dict | None) -> str:
    """A candidate's decision rule: ``p(spam) >= 0.13`` (two classes) or ``spam x7.7`` (weight)."""
    if not d:
        return "argmax"
    if d.get("threshold") is not None:
        return f"p({d['class']}) >= {d['threshold']:.2f}"
    return f"{d['class']} x{d['weight']:.2g}"


def llm_cost_text(row: dict) -> str:
    """What the LLM labels a candidate reads cost: ``$0.0123``, ``unknown``, or ``—`` (no LLM)."""
    c = row.get("llm_cost")
    if not c:
        return "—"
    return "unknown" if c.get("usd") is None else f"${c['usd']:.4f}"


def llm_cost_bases(rows: Sequence[dict]) -> str:
    """Where the candidates' LLM costs come from, each once: ``llm_labels.csv.cost.json; prompt LFs, this run``."""
    seen: list[str] = []
    for r in rows:
        for part in str((r.get("llm_cost") or {}).get("basis") or "").split(" + "):
            if part and part not in seen:
                seen.append(part)
    return "; ".join(seen)
