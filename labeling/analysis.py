"""LF analysis: polarity, coverage, overlaps, conflicts, and accuracy on gold dev.

All statistics are computed column-wise over the label matrix with numpy (Snorkel's
``LFAnalysis`` gives the same polarity, coverage, overlaps and conflicts; the tests check it).

* coverage: share of documents the LF votes on;
* overlaps: share of documents where the LF and at least one other LF vote;
* conflicts: share of documents where the LF and another LF vote different labels;
* dev accuracy: on gold dev items the LF votes on, with a Wilson 95% interval and n;
* chance: the accuracy of an LF that voted the same labels at random (sum over classes of the
  LF's vote share times the class's dev prevalence);
* conflict cost and gain (:func:`conflict_effects`): the gold dev items majority vote loses, and
  wins, because of the LF's vote where it conflicts with other LFs (leave-one-out; a tie counts
  as half an item for two labels, as majority vote breaks ties at random).

Flags: ``zero_coverage``, ``full_coverage`` (votes one label on every document: it separates nothing, and
a regex that fires on every text by construction is refused when the specs load),
``below_chance`` (dev accuracy below chance), ``no_dev_votes``,
``costly_conflicts`` (cost minus gain is at least ``min_conflict_cost``: dropping the LF would make
majority vote right on that many more gold dev items among those other LFs vote on).

:func:`explain_lfs` adds what explains a label model's result: each LF's accuracy as the label
model learned it beside its dev accuracy, and flags ``below_floor`` (the dev CI lies below a
configurable floor), ``below_label_model`` (the dev CI lies far below the learned accuracy: the
label model trusts the LF more than gold says it should) and ``duplicate_of:<LF>`` (fires on
nearly the same documents with the same votes as an earlier LF).

:func:`compare_precomputed` checks stored votes against the LFs they claim to be: where a project
gives both an LF spec and precomputed votes of the same name, the spec's votes are used and the
stored ones compared with them (``precomputed_agreement``; flag ``precomputed_mismatch``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from wslab.labeling.aggregate import vote_counts
from wslab.labeling.spec import ABSTAIN
from wslab.core.stats.intervals import wilson_interval


def lf_summary(L: np.ndarray, names: Sequence[str], labels: Sequence[str], *,
               L_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None,
               min_conflict_cost: float = 3.0) -> pl.DataFrame:
    """One row per LF: polarity, coverage, overlaps, conflicts, dev accuracy with CI, conflict
    cost and gain on dev, flags."""
    L = np.asarray(L)
    n, m = L.shape
    K = len(labels)
    voted = L != ABSTAIN
    counts = vote_counts(L, K)
    n_votes = voted.sum(axis=1)
    has_dev = L_dev is not None and y_dev is not None
    cost, gain = conflict_effects(L_dev, y_dev, K) if has_dev else (None, None)
    rows = []
    for j in range(m):
        col = L[:, j]
        on = voted[:, j]
        same = counts[np.arange(n), np.where(on, col, 0)]
        coverage = on.mean() if n else 0.0
        overlaps = (on & (n_votes > 1)).mean() if n else 0.0
        conflicts = (on & (n_votes - same > 0)).mean() if n else 0.0
        polarity = [labels[k] for k in np.unique(col[on])]
        row = {"lf": names[j], "polarity": ",".join(polarity), "coverage": float(coverage),
               "overlaps": float(overlaps), "conflicts": float(conflicts), "n_votes": int(on.sum())}
        flags = []
        if not on.any():
            flags.append("zero_coverage")
        elif on.all() and n > 1 and len(polarity) == 1:
            flags.append("full_coverage")
        if has_dev:
            dcol = L_dev[:, j]
            don = dcol != ABSTAIN
            n_dev = int(don.sum())
            correct = int((dcol[don] == y_dev[don]).sum())
            lo, hi = wilson_interval(correct, n_dev)
            acc = correct / n_dev if n_dev else float("nan")
            prevalence = np.bincount(y_dev, minlength=K) / max(len(y_dev), 1)
            vote_share = np.bincount(dcol[don], minlength=K) / n_dev if n_dev else np.zeros(K)
            chance = float(vote_share @ prevalence) if n_dev else float("nan")
            row.update({"dev_n": n_dev, "dev_accuracy": acc, "dev_ci_low": float(lo), "dev_ci_high": float(hi),
                        "chance": chance, "conflict_cost": float(cost[j]), "conflict_gain": float(gain[j])})
            if n_dev == 0:
                flags.append("no_dev_votes")
            elif acc < chance:
                flags.append("below_chance")
            if cost[j] > gain[j] and cost[j] - gain[j] >= min_conflict_cost:
                flags.append("costly_conflicts")
        row["flags"] = ",".join(flags)
        rows.append(row)
    return pl.DataFrame(rows)


def conflict_effects(L_dev: np.ndarray, y_dev: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(cost, gain) per LF, each of shape (m,): the gold dev items majority vote loses and wins
    because of the LF's vote, on the items where another LF votes too.

    An item's majority-vote score is 1 / (number of tied top labels) when the gold label is among
    them, else 0 (the expected accuracy under a random tie-break). The LF's effect on an item is
    the score with its vote minus the score without it; it is not zero only where the LF conflicts
    with another LF. ``cost`` sums the losses, ``gain`` the wins, so ``cost - gain`` is what
    majority vote would gain on these items without the LF. Leave-one-out: an LF whose wrong vote
    another LF repeats on an item lost by two or more votes is not charged for it.

    ``L_dev`` of shape (n, m) with -1 for abstain; ``y_dev`` of shape (n,), the gold class indices.

    >>> L = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]])  # gold is class 0 everywhere
    >>> cost, gain = conflict_effects(L, np.array([0, 0, 0]), 2)
    >>> cost.tolist(), gain.tolist()  # row 0: LF 0 or 1 turns a tie into a loss; row 1: LF 1 or 2 a tie into a win
    ([0.5, 0.5, 0.0], [0.0, 0.5, 0.5])
    """
    L, y = np.asarray(L_dev), np.asarray(y_dev)
    counts = vote_counts(L, n_classes)
    score = _majority_score(counts, y)
    several = counts.sum(axis=1) > 1
    m = L.shape[1]
    cost, gain = np.zeros(m), np.zeros(m)
    for j in range(m):
        rows = np.flatnonzero((L[:, j] != ABSTAIN) & several)
        without = counts[rows].copy()
        without[np.arange(len(rows)), L[rows, j]] -= 1
        delta = score[rows] - _majority_score(without, y[rows])
        cost[j], gain[j] = np.maximum(-delta, 0).sum(), np.maximum(delta, 0).sum()
    return cost, gain


def _majority_score(counts: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row, majority vote's expected accuracy with ties broken at random."""
    is_max = counts == counts.max(axis=1, keepdims=True)
    return is_max[np.arange(len(y)), y] / is_max.sum(axis=1)


def compare_precomputed(table: pl.DataFrame, L: np.ndarray, stored: pl.DataFrame, *,
                        gold_rows: np.ndarray | None = None, min_agreement: float = 0.95) -> pl.DataFrame:
    """``table`` (rows in the column order of ``L``) with ``precomputed_agreement``: for each LF
    whose name is a column of ``stored`` (precomputed votes aligned to the rows of ``L``), the
    share of documents where either votes on which both give the same vote (null elsewhere), and
    with ``gold_rows`` (row positions of the gold items) ``precomputed_agreement_gold``, the same
    on the gold items. Flag ``precomputed_mismatch`` when either is below ``min_agreement``.

    >>> t = pl.DataFrame({"lf": ["a", "b"], "flags": ["", ""]})
    >>> L = np.array([[0, 1], [1, -1], [-1, -1], [1, 0]])
    >>> out = compare_precomputed(t, L, pl.DataFrame({"a": [0, 0, -1, 1]}))
    >>> out["precomputed_agreement"].to_list(), out["flags"].to_list()
    ([0.6666666666666666, None], ['precomputed_mismatch', ''])
    """
    L = np.asarray(L)
    names = table["lf"].to_list()
    flags = [[f for f in (row or "").split(",") if f] for row in table["flags"].to_list()]
    shares: dict[str, list[float | None]] = {"precomputed_agreement": [None] * len(names)}
    if gold_rows is not None:
        shares["precomputed_agreement_gold"] = [None] * len(names)
    for j, name in enumerate(names):
        if name not in stored.columns:
            continue
        ours, theirs = L[:, j], stored[name].to_numpy()
        for key, rows in (("precomputed_agreement", slice(None)), ("precomputed_agreement_gold", gold_rows)):
            if key in shares:
                shares[key][j] = _agreement(ours[rows], theirs[rows])
        if any(v[j] is not None and v[j] < min_agreement for v in shares.values()):
            flags[j].append("precomputed_mismatch")
    return table.with_columns(pl.Series("flags", [",".join(f) for f in flags], dtype=pl.String),
                              *(pl.Series(k, v, dtype=pl.Float64) for k, v in shares.items()))


def _agreement(a: np.ndarray, b: np.ndarray) -> float | None:
    either = (a != ABSTAIN) | (b != ABSTAIN)
    return float((a[either] == b[either]).mean()) if either.any() else None


def explain_lfs(table: pl.DataFrame, L: np.ndarray, *, learned_accuracy: np.ndarray | None = None,
                accuracy_floor: float = 0.5, gap: float = 0.15, duplicate_jaccard: float = 0.9) -> pl.DataFrame:
    """``table`` (:func:`lf_summary` of ``L``) with ``learned_accuracy`` and the flags above.

    >>> L = np.array([[0, 0, 1], [0, 0, -1], [1, 1, 1], [-1, -1, 0]])
    >>> t = lf_summary(L, ["a", "b", "c"], ["x", "y"], L_dev=L, y_dev=np.array([0, 0, 1, 1]))
    >>> explain_lfs(t, L, learned_accuracy=np.array([0.9, 0.9, 0.95]))["flags"].to_list()
    ['', 'duplicate_of:a', 'below_chance,below_label_model']
    """
    L = np.asarray(L)
    flags = [[f for f in (row or "").split(",") if f] for row in table["flags"].to_list()]
    has_dev = "dev_ci_high" in table.columns
    duplicates = _duplicates(L, duplicate_jaccard)
    for j in range(L.shape[1]):
        hi = table["dev_ci_high"][j] if has_dev else None
        if hi is not None and hi == hi:  # not NaN: the LF has dev votes
            if hi < accuracy_floor:
                flags[j].append("below_floor")
            if learned_accuracy is not None and hi < learned_accuracy[j] - gap:
                flags[j].append("below_label_model")
        if j in duplicates:
            flags[j].append(f"duplicate_of:{table['lf'][duplicates[j]]}")
    out = table.with_columns(pl.Series("flags", [",".join(f) for f in flags], dtype=pl.String))
    if learned_accuracy is not None:
        out = out.with_columns(pl.Series("learned_accuracy", np.asarray(learned_accuracy, dtype=float)))
    return out


def _duplicates(L: np.ndarray, threshold: float, *, max_rows: int = 200_000) -> dict[int, int]:
    """LF j -> the first earlier LF that fires on nearly the same rows (Jaccard >= threshold) and
    votes the same there; measured on an evenly spaced sample of at most ``max_rows`` rows."""
    if L.shape[0] > max_rows:
        L = L[np.linspace(0, L.shape[0] - 1, max_rows).astype(np.int64)]
    on = (L != ABSTAIN).astype(np.float32)
    both = on.T @ on  # (m, m) rows where both fire
    fired = np.diag(both)
    union = fired[:, None] + fired[None, :] - both
    with np.errstate(invalid="ignore", divide="ignore"):
        close = np.where(union > 0, both / union, 0.0) >= threshold
    out: dict[int, int] = {}
    for j in range(L.shape[1]):
        for i in np.flatnonzero(close[j, :j]):
            rows = (L[:, i] != ABSTAIN) & (L[:, j] != ABSTAIN)
            if (L[rows, i] == L[rows, j]).all():
                out[j] = int(i)
                break
    return out
