"""Verbal bands for chance-corrected agreement coefficients (kappa, alpha, AC1).

Two scales are built in; a report always states which one it used.

``landis-koch`` (default; Landis & Koch 1977, Biometrics 33:159-174)::

    value <  0.00          poor
    0.00 <= value <= 0.20  slight
    0.20 <  value <= 0.40  fair
    0.40 <  value <= 0.60  moderate
    0.60 <  value <= 0.80  substantial
    0.80 <  value          almost perfect

``simple`` (a three-band scale common in annotation teams)::

    value <  0.60          poor
    0.60 <= value <= 0.80  good
    0.80 <  value          very high

Bands describe chance-corrected coefficients only. Percent agreement and accuracy are not
banded: they are not corrected for chance, so the same thresholds would mislead.

>>> band(0.43, "landis-koch")
'moderate'
>>> band(0.6, "simple")
'good'
"""

from __future__ import annotations

import math

from wslab.core.errors import InputError

# (label, upper bound, upper bound inclusive?) in increasing order; the last upper is +inf.
_SCALES: dict[str, dict] = {
    "landis-koch": {
        "reference": "Landis & Koch (1977)",
        "bands": [("poor", 0.0, False), ("slight", 0.2, True), ("fair", 0.4, True),
                  ("moderate", 0.6, True), ("substantial", 0.8, True),
                  ("almost perfect", math.inf, True)],
    },
    "simple": {
        "reference": "<0.6 poor, 0.6-0.8 good, >0.8 very high",
        "bands": [("poor", 0.6, False), ("good", 0.8, True), ("very high", math.inf, True)],
    },
}

SCALES = tuple(_SCALES)


def check_scale(scale: str) -> str:
    """Return ``scale`` if it is known, else raise InputError naming the choices."""
    if scale not in _SCALES:
        raise InputError(f"The 'scale' parameter must be one of {list(SCALES)}. Got {scale!r} instead.")
    return scale


def band(value: float | None, scale: str = "landis-koch") -> str | None:
    """The band label of a chance-corrected coefficient, or None when the value is undefined."""
    if value is None or not math.isfinite(value):
        return None
    for label, upper, inclusive in _SCALES[check_scale(scale)]["bands"]:
        if value < upper or (inclusive and value == upper):
            return label
    return _SCALES[scale]["bands"][-1][0]


def describe_scale(scale: str = "landis-koch") -> dict:
    """A JSON-serialisable description of a scale: name, reference and band boundaries."""
    spec = _SCALES[check_scale(scale)]
    bands = []
    lower: float | None = None
    lower_inclusive = True
    for label, upper, inclusive in spec["bands"]:
        bands.append({"band": label, "from": lower, "from_inclusive": lower_inclusive,
                      "to": None if math.isinf(upper) else upper, "to_inclusive": inclusive})
        lower, lower_inclusive = upper, not inclusive
    return {"name": scale, "reference": spec["reference"], "bands": bands,
            "applies_to": "chance-corrected coefficients (kappa, alpha, AC1); "
                          "percent agreement and accuracy are not banded"}
