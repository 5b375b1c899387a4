"""Quality gates for ``apply``, ``lfs analyze`` and ``agreement``: ``--fail-under METRIC=VALUE``
(a floor: exit 1 below it) and ``--fail-over METRIC=VALUE`` (a ceiling: exit 1 above it).

A gate compares one measured number with a threshold; a CI job fails (exit 1) when any gate
does not pass. :func:`parse_gates` reads the option values (a bad one is a one-line
:class:`~wslab.core.errors.InputError`, exit 2), the ``*_measures`` functions take the numbers out of
a command's result, and :func:`evaluate_gates` returns the verdicts as JSON-ready dicts
``{"metric", "value", "threshold", "direction", "passed", "message"}`` (``direction``: ``under``
for a floor, ``over`` for a ceiling).

Higher is better for every metric except those in :data:`CEILINGS` (``flagged_share``), which
only ``--fail-over`` takes: a floor on them is almost surely a mistake, so it is an error that
points to ``--fail-over``. ``--fail-over`` takes any metric of the command, e.g. an upper bound
on accuracy that catches a leak of test labels. A metric the run could not measure (no gold, no
annotations, suspicious-label stage off) fails its gate.

>>> gates = parse_gates(["accuracy=0.8"], over=["flagged_share=0.1"], command="apply")
>>> [(g["metric"], g["direction"], g["passed"]) for g in evaluate_gates(gates, {"accuracy": Measure(0.82),
...                                                                            "flagged_share": Measure(0.12)})]
[('accuracy', 'under', True), ('flagged_share', 'over', False)]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wslab.core.errors import InputError

if TYPE_CHECKING:
    from wslab.app.pipeline import RunResult

__all__ = ["GATE_METRICS", "CEILINGS", "COMMAND_METRICS", "GATE_HELP", "OVER_HELP", "Gate", "Measure", "parse_gates",
           "evaluate_gates", "run_measures", "lf_measures", "agreement_measures"]

AGREEMENT_METRICS = ("percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")

GATE_METRICS: dict[str, str] = {
    "accuracy": "accuracy of the final labels on gold test",
    "macro_f1": "macro F1 of the final labels on gold test",
    "coverage": "share of corpus documents at least one LF votes on",
    "lf_accuracy": "gold-dev accuracy of the worst LF (every LF with dev votes must reach it)",
    "flagged_share": "share of checked documents flagged for relabeling (a ceiling: --fail-over only)",
    **{name: f"{name} between annotators" for name in AGREEMENT_METRICS},
}
CEILINGS = frozenset({"flagged_share"})

COMMAND_METRICS: dict[str, tuple[str, ...]] = {
    "apply": tuple(GATE_METRICS),
    "lfs analyze": ("coverage", "lf_accuracy"),
    "agreement": AGREEMENT_METRICS,
}

GATE_HELP = {command: ("Floor: exit 1 unless METRIC reaches VALUE (repeatable); METRIC one of "
                       f"{', '.join(n for n in names if n not in CEILINGS)}.")
             for command, names in COMMAND_METRICS.items()}
OVER_HELP = {command: ("Ceiling: exit 1 if METRIC is above VALUE (repeatable); METRIC one of "
                       f"{', '.join(names)}" + ("" if not CEILINGS & set(names) else
                                                f" ({', '.join(sorted(CEILINGS & set(names)))} takes only this one)")
                       + ".")
             for command, names in COMMAND_METRICS.items()}
GATE_HELP["agreement"] += " A bare VALUE gates on --metric."
OVER_HELP["agreement"] += " A bare VALUE gates on --metric."


@dataclass(frozen=True)
class Gate:
    metric: str
    threshold: float
    spec: str  # as written, for messages
    direction: str = "under"  # "under": a floor (--fail-under); "over": a ceiling (--fail-over)

    @property
    def option(self) -> str:
        return f"--fail-{self.direction}"


@dataclass(frozen=True)
class Measure:
    """A measured value (None: could not be measured), a label for messages and why it is missing."""

    value: float | None
    label: str = ""
    note: str = ""


def parse_gates(specs: Sequence[str], *, command: str, over: Sequence[str] = (),
                default_metric: str | None = None) -> list[Gate]:
    """``METRIC=VALUE`` strings -> gates, checked against the metrics ``command`` measures:
    ``specs`` from ``--fail-under`` (floors), ``over`` from ``--fail-over`` (ceilings).

    With ``default_metric`` (``agreement``'s ``--metric``), a bare number gates on that metric.
    """
    return ([_parse(spec, "under", command, default_metric) for spec in specs]
            + [_parse(spec, "over", command, default_metric) for spec in over])


def _parse(spec: str, direction: str, command: str, default_metric: str | None) -> Gate:
    known, option = COMMAND_METRICS[command], f"--fail-{direction}"
    name, sep, raw = spec.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep and default_metric is not None:
        name, raw = default_metric, spec.strip()
    if not sep and default_metric is None or not name:
        raise InputError(f"{option} {spec!r}: expected METRIC=VALUE, e.g. {option} accuracy=0.8; "
                         f"metrics of {command}: {', '.join(known)}")
    if name not in known:
        where = "" if name not in GATE_METRICS else f" is not measured by {command};"
        raise InputError(f"{option} {spec!r}: metric {name!r}{where or ' is unknown;'} expected one of "
                         f"{', '.join(known)}")
    if direction == "under" and name in CEILINGS:
        raise InputError(f"--fail-under {spec!r}: {name} is a ceiling (lower is better); "
                         f"expected --fail-over {name}={raw} (exit 1 above it)")
    try:
        threshold = float(raw)
    except ValueError:
        threshold = math.nan
    if not math.isfinite(threshold):
        raise InputError(f"{option} {spec!r}: value {raw!r} for {name}; expected a number, e.g. {name}=0.8")
    return Gate(name, threshold, spec, direction)


def evaluate_gates(gates: Sequence[Gate], measures: Mapping[str, Measure]) -> list[dict[str, Any]]:
    """One verdict per gate: ``{"metric", "value", "threshold", "passed", "message"}``."""
    return [_verdict(g, measures.get(g.metric, Measure(None, note="not measured"))) for g in gates]


def _verdict(gate: Gate, m: Measure) -> dict[str, Any]:
    label, t, over = m.label or gate.metric, gate.threshold, gate.direction == "over"
    if m.value is None:
        passed = False
        message = f"fail: {label} is undefined ({m.note or 'not measured'}); {gate.option} {t:g} cannot pass"
    else:
        passed = m.value <= t if over else m.value >= t
        if passed:
            message = f"pass: {label} = {m.value:.3f} {'<=' if over else '>='} {t:g}"
        else:
            message = f"fail: {label} = {m.value:.3f} is {'above' if over else 'below'} {gate.option} {t:g}"
    return {"metric": gate.metric, "value": m.value, "threshold": t, "direction": gate.direction, "passed": passed,
            "message": message}


# ------------------------------------------------------------------ measures of each command's result


def lf_measures(lfs: Any, *, covered: int, n_docs: int) -> dict[str, Measure]:
    """``coverage`` and ``lf_accuracy`` of an LF table (:func:`wslab.labeling.analysis.lf_summary`)."""
    out = {"coverage": Measure(covered / n_docs if n_docs else None, note="empty corpus")}
    rows = [r for r in lfs.to_dicts() if r.get("dev_n") and r.get("dev_accuracy") is not None]
    if rows:
        worst = min(rows, key=lambda r: r["dev_accuracy"])
        out["lf_accuracy"] = Measure(worst["dev_accuracy"], f"lf_accuracy (lowest: {worst['lf']})")
    else:
        note = "no gold dev" if "dev_n" not in lfs.columns else "no LF votes on a gold dev item"
        out["lf_accuracy"] = Measure(None, note=note)
    return out


def agreement_measures(report: Mapping[str, Any]) -> dict[str, Measure]:
    """The coefficients of an agreement report (:func:`wslab.quality.agreement_report.agreement_report`)."""
    from wslab.quality.agreement_report import metric_value

    out = {}
    for name in AGREEMENT_METRICS:
        value, label = metric_value(report, name)
        note = ("no pair of annotators has a defined kappa" if name == "cohen_kappa"
                else report[name].get("note", "undefined"))
        out[name] = Measure(value, label, note)
    return out


def run_measures(result: RunResult) -> dict[str, Measure]:
    """Every gate metric of a ``wslab apply`` run, from the values it returned."""
    rows = result.manifest["rows"]
    out = lf_measures(result.lf_table, covered=rows["covered"], n_docs=rows["corpus"])
    final = result.metrics.get("test", {}).get("final")
    for name in ("accuracy", "macro_f1"):
        out[name] = (Measure(final[name], f"{name} (final labels, gold test)") if final and name in final
                     else Measure(None, note="no gold test" if not final else "not reported for multi-label runs"))
    quality = result.manifest.get("quality")
    if quality and quality.get("items"):
        out["flagged_share"] = Measure(quality["flagged"] / quality["items"])
    else:
        out["flagged_share"] = Measure(None, note="suspicious-label stage off (suspicious.enabled) or nothing checked")
    if result.agreement is not None:  # the report as a value: nothing is read back from the run folder
        out.update(agreement_measures(result.agreement))
    else:
        out.update({name: Measure(None, note="no annotations in the config") for name in AGREEMENT_METRICS})
    return out
