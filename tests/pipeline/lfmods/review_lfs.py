"""Snorkel-style Python LFs used by the spine tests (the same rules as declarative LFs)."""

import re

from snorkel.labeling import labeling_function

_POS = re.compile(r"(?i)(?:^|\W)(?:great|love|excellent|happy)(?:\W|$)")


def kw_pos(x):
    return "pos" if _POS.search(x.text) else None


@labeling_function()
def stars_low(x):
    return 1 if x.stars <= 2 else -1


def returns_unknown(x):
    return "maybe"
