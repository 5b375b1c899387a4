"""Agreement on tags (multi-label projects): per tag, and on whole tag sets with MASI.

A rater gives each item a *set* of tags (possibly empty). Two views:

* **per tag**: each tag is a binary rating, present or absent, and every coefficient of
  :func:`wslab.quality.agreement_report.agreement_report` (percent agreement, Cohen's kappa per
  pair, Fleiss' kappa, Krippendorff's alpha, Gwet's AC1, scores against gold, LLM raters and LFs
  as raters) is computed on it (:func:`tag_agreement_report`);
* **tag sets**: Krippendorff's alpha with the MASI distance between sets (Passonneau 2006,
  "Measuring agreement on set-valued items (MASI) for semantic and pragmatic annotation"):
  ``d(A, B) = 1 - J(A, B) * M(A, B)`` with ``J`` the Jaccard index ``|A & B| / |A | B|`` and the
  monotonicity weight ``M`` = 1 when ``A == B``, 2/3 when one contains the other, 1/3 when they
  overlap otherwise, 0 when disjoint (as NLTK's ``masi_distance``, the reference implementation
  the tests compare against). Two empty sets are identical (distance 0; NLTK
  divides by zero there).

Data: ``sets`` is an integer array of shape ``(n_items, n_raters, n_tags)``; ``sets[i, j, t]``
is 1 when rater ``j`` gave item ``i`` tag ``t``, 0 when not, and ``-1`` in every tag when
rater ``j`` did not rate item ``i``.

>>> sets = np.array([[[1, 0], [1, 0]], [[1, 1], [1, 0]], [[0, 0], [0, 0]], [[0, 1], [-1, -1]]])
>>> round(masi_alpha(sets, n_boot=0).value, 3)
0.667
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from wslab.core.errors import InputError
from wslab.core.frames import as_polars
from wslab.quality.agreement import Coefficient, krippendorff_alpha_from_counts
from wslab.quality.bands import band

__all__ = ["masi_distance_matrix", "masi_alpha", "tag_sets_from_frame", "tag_agreement_report", "tag_frame",
           "lf_tag_raters", "ABSENT", "PRESENT"]

ABSENT, PRESENT = "no", "yes"
"""The two categories of a tag's binary rating in the per-tag reports."""
_PARTIAL_SUBSET, _PARTIAL_OVERLAP = 2 / 3, 1 / 3


def masi_distance_matrix(sets: np.ndarray) -> np.ndarray:
    """MASI distances between the rows of a 0/1 matrix ``sets`` (K, n_tags): shape (K, K).

    >>> masi_distance_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0]])).round(3).tolist()
    [[0.0, 0.667, 1.0, 1.0], [0.667, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0]]
    """
    s = np.asarray(sets, dtype=np.float64)
    inter = s @ s.T
    size = s.sum(1)
    a, b = size[:, None], size[None, :]
    union = a + b - inter
    weight = np.where((inter == a) & (inter == b), 1.0,
                      np.where(inter == np.minimum(a, b), _PARTIAL_SUBSET,
                               np.where(inter > 0, _PARTIAL_OVERLAP, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(union > 0, 1.0 - inter / np.where(union > 0, union, 1.0) * weight, 0.0)
    return dist


def _check_sets(sets: np.ndarray) -> np.ndarray:
    sets = np.asarray(sets)
    if sets.ndim != 3:
        raise InputError(f"sets must be a 3-d array (n_items, n_raters, n_tags), but it has {sets.ndim} dimension(s)")
    if sets.size and not np.issubdtype(sets.dtype, np.integer):
        raise InputError(f"sets must hold 0/1 (-1 = not rated), but its dtype is {sets.dtype}")
    if sets.size and (sets.min() < -1 or sets.max() > 1):
        raise InputError("sets must hold 0, 1 or -1 (not rated); found other values")
    missing = (sets < 0)
    if (missing.any(-1) != missing.all(-1)).any():
        raise InputError("sets: a rating is -1 (not rated) in some tags but not all; expected -1 in every tag "
                         "of an unrated item")
    return sets


def masi_alpha(sets: np.ndarray, *, n_boot: int = 1000, seed: int | np.random.Generator = 0,
               confidence: float = 0.95) -> Coefficient:
    """Krippendorff's alpha on tag sets with the MASI distance; CI: percentile bootstrap over items.

    ``sets``: (n_items, n_raters, n_tags), see the module docstring. Items with fewer than two
    ratings do not count (as in Krippendorff's alpha everywhere).
    """
    sets = _check_sets(sets)
    n_items, n_raters, n_tags = sets.shape
    rated = sets[..., 0] >= 0 if n_tags else np.ones((n_items, n_raters), dtype=bool)
    flat = sets.reshape(n_items * n_raters, n_tags)[rated.reshape(-1)]
    if flat.shape[0] == 0:
        return Coefficient(None, None, 0, None, "percentile bootstrap over items", "no item has two ratings")
    distinct, code = np.unique(flat.astype(np.int8), axis=0, return_inverse=True)
    item = np.repeat(np.arange(n_items), n_raters)[rated.reshape(-1)]
    counts = np.zeros((n_items, len(distinct)), dtype=np.int64)
    np.add.at(counts, (item, code.reshape(-1)), 1)
    res = krippendorff_alpha_from_counts(counts, distance=masi_distance_matrix(distinct), n_boot=n_boot,
                                         seed=seed, confidence=confidence)
    if res.value is None and res.n:
        return Coefficient(None, None, res.n, None, res.method, "every rating is the same tag set: expected "
                           "disagreement is 0, so alpha is undefined")
    return Coefficient(res.value, res.ci, res.n, res.se, res.method, res.note,
                       {**res.extra, "distance": "MASI (Passonneau 2006)", "n_tag_sets": int(len(distinct))})


# ---------------------------------------------------------------- frames of tag cells


def tag_sets_from_frame(df: pl.DataFrame, tags: Sequence[str], *, name: str, label_col: str = "label",
                        rows: pl.Series | None = None) -> np.ndarray:
    """The ``label_col`` cells of ``df`` (``;``-separated text or lists) as an (n, n_tags) 0/1 matrix;
    an unknown or repeated tag is an InputError naming ``name`` and the row (``rows[i]`` + 2, else i + 2)."""
    from wslab.core.data import tag_matrix

    cells = df[label_col].to_list()
    at = [int(r) + 2 for r in rows.to_list()] if rows is not None else None
    return tag_matrix(cells, tags, where=name, rows=at)


def tag_frame(ids: Sequence[str], matrix: np.ndarray, tags: Sequence[str]) -> pl.DataFrame:
    """``id`` and ``label`` (tag cells ``a;b`` in tag order) of an (n, tags) 0/1 matrix: gold or an
    LLM's tags as :func:`tag_agreement_report` takes them.

    >>> tag_frame(["1", "2"], np.array([[1, 1], [0, 0]]), ["a", "b"]).rows()
    [('1', 'a;b'), ('2', '')]
    """
    names = np.asarray(list(tags), dtype=object)
    return pl.DataFrame({"id": [str(i) for i in ids],
                         "label": [";".join(names[np.asarray(row, dtype=bool)]) for row in matrix]},
                        schema={"id": pl.String, "label": pl.String})


def lf_tag_raters(ids: Sequence[str], votes: Mapping[str, tuple[str, np.ndarray]]) -> dict[str, dict[str, pl.DataFrame]]:
    """LFs as raters of their tag, for :func:`tag_agreement_report`'s ``tag_raters``: ``votes`` maps
    an LF name to (its tag, its votes per item: 1 = the tag applies, 0 = it does not (``vote:
    against``), -1 = abstain). Abstains are left out (not rated).

    >>> r = lf_tag_raters(["a", "b", "c"], {"kw": ("card", np.array([1, -1, 0]))})
    >>> r["card"]["lf:kw"].rows()
    [('a', 'yes'), ('c', 'no')]
    """
    out: dict[str, dict[str, pl.DataFrame]] = {}
    id_arr = np.asarray([str(i) for i in ids], dtype=object)
    for name, (tag, v) in votes.items():
        v = np.asarray(v)
        rated = v >= 0
        out.setdefault(tag, {})[f"lf:{name}"] = pl.DataFrame(
            {"id": id_arr[rated].tolist(), "label": np.where(v[rated] == 1, PRESENT, ABSENT).tolist()},
            schema={"id": pl.String, "label": pl.String})
    return out


def _binary(ids: Sequence[str], matrix: np.ndarray, j: int, extra: dict | None = None) -> pl.DataFrame:
    return pl.DataFrame({"id": list(ids), "label": np.where(matrix[:, j] == 1, PRESENT, ABSENT).tolist(),
                         **(extra or {})})


def _long_ratings(ratings: pl.DataFrame, tags: Sequence[str], name: str) -> tuple[pl.DataFrame, np.ndarray]:
    """Long ratings (id, annotator, label cell[, batch]): every row is a rating (an empty cell = no tag)."""
    for col in ("id", "annotator", "label"):
        if col not in ratings.columns:
            raise InputError(f"{name}: missing column {col!r} in ratings; found columns {ratings.columns}")
    df = ratings.with_row_index("_row").with_columns(pl.col("id").cast(pl.String).str.strip_chars(),
                                                     pl.col("annotator").cast(pl.String).str.strip_chars())
    for col in ("id", "annotator"):
        bad = df.filter(pl.col(col).is_null() | (pl.col(col) == "")).head(1)
        if bad.height:
            raise InputError(f"{name}: row {bad['_row'][0] + 2}: missing value in column {col!r} of ratings")
    matrix = tag_sets_from_frame(df, tags, name=name, rows=df["_row"])
    dup = df.select(pl.struct("id", "annotator").is_duplicated()).to_series()
    if dup.any():
        i = int(dup.arg_true()[0])
        raise InputError(f"{name}: row {df['_row'][i] + 2}: ({df['id'][i]!r}, {df['annotator'][i]!r}) rated twice; "
                         "expected one row per annotator and item")
    return df, matrix


def _sets_array(df: pl.DataFrame, matrix: np.ndarray) -> tuple[list[str], list[str], np.ndarray]:
    items = df["id"].unique(maintain_order=True).to_list()
    annotators = sorted(df["annotator"].unique().to_list())
    i_of = {v: i for i, v in enumerate(items)}
    a_of = {v: j for j, v in enumerate(annotators)}
    sets = np.full((len(items), len(annotators), matrix.shape[1]), -1, dtype=np.int8)
    sets[[i_of[v] for v in df["id"].to_list()], [a_of[v] for v in df["annotator"].to_list()]] = matrix
    return items, annotators, sets


def _per_tag_frames(frames: Mapping[str, pl.DataFrame], tags: Sequence[str], names: Mapping[str, str]) -> dict:
    """``{source: (ids, 0/1 matrix)}`` of frames with an ``id`` and a tag-cell ``label`` column."""
    out = {}
    for src, frame in frames.items():
        frame = as_polars(frame, name=src)
        if "id" not in frame.columns or "label" not in frame.columns:
            raise InputError(f"{names.get(src, src)}: missing column 'id' or 'label'; found columns {frame.columns}")
        ids = frame["id"].cast(pl.String).to_list()
        out[src] = (ids, tag_sets_from_frame(frame, tags, name=names.get(src, src)))
    return out


def tag_agreement_report(ratings: pl.DataFrame | None, gold: pl.DataFrame | None = None, *, tags: Sequence[str],
                         raters: Mapping[str, pl.DataFrame] | None = None,
                         label_sources: Mapping[str, pl.DataFrame] | None = None,
                         tag_raters: Mapping[str, Mapping[str, pl.DataFrame]] | None = None,
                         scale: str = "landis-koch", confidence: float = 0.95, n_boot: int = 1000,
                         seed: int | np.random.Generator = 0, min_batch_accuracy: float = 0.8,
                         names: Mapping[str, str] | None = None) -> dict:
    """Agreement of a multi-label project, as one JSON-serialisable dict.

    ``ratings``: long (``id``, ``annotator``, ``label`` = tag cell[, ``batch``]); every row is a
    rating and an empty cell means "no tag". ``gold``: ``id``, ``label`` (tag cells).
    ``raters``: LLM labelers ``{name: frame(id, label tag cell)}``; ``label_sources``: other tag
    sources scored against gold; ``tag_raters``: raters of one tag only, ``{tag: {name:
    frame(id, label "yes"/"no")}}`` (an LF voting for the tag = "yes", against = "no"; abstains
    left out).

    Keys: ``multilabel`` (True), ``tags``, ``data``, ``masi_alpha`` (Krippendorff's alpha on
    tag sets, MASI distance), ``per_tag`` (``{tag: agreement_report(...)}`` on the tag's binary
    ratings), ``tag_table`` (one row per tag: prevalence and the headline coefficients), and,
    for the gates, ``krippendorff_alpha`` (= the MASI alpha), ``fleiss_kappa``, ``gwet_ac1`` and
    ``percent_agreement`` (each the lowest over the tags, naming it) and ``cohen_kappa`` (every
    tag's annotator pairs).
    """
    from wslab.quality.agreement_report import agreement_report

    tags = list(tags)
    if len(set(tags)) != len(tags) or not tags:
        raise InputError(f"The declared tags must be distinct and at least one. Got {tags} instead.")
    names = dict(names or {})
    r_name, g_name = names.get("ratings", "ratings"), names.get("gold", "gold")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ratings = as_polars(ratings, name=r_name)
    df, matrix = _long_ratings(ratings, tags, r_name)
    items, annotators, sets = _sets_array(df, matrix)
    gold_parts = _per_tag_frames({"gold": gold}, tags, {"gold": g_name}) if gold is not None else {}
    rater_parts = _per_tag_frames(raters or {}, tags, names)
    source_parts = _per_tag_frames(label_sources or {}, tags, names)
    keep = ["batch"] if "batch" in df.columns else []
    per_tag = {}
    for j, tag in enumerate(tags):  # one binary report per tag
        long = _binary(df["id"].to_list(), matrix, j, {"annotator": df["annotator"].to_list(),
                                                        **{c: df[c].cast(pl.String).to_list() for c in keep}})
        g = _binary(*gold_parts["gold"], j) if gold_parts else None
        tag_raters_j = {**{n: _binary(ids, m, j) for n, (ids, m) in rater_parts.items()},
                        **dict((tag_raters or {}).get(tag, {}))}
        per_tag[tag] = agreement_report(
            long, g, raters=tag_raters_j or None,
            label_sources={n: _binary(ids, m, j) for n, (ids, m) in source_parts.items()} or None,
            categories=[ABSENT, PRESENT], scale=scale, confidence=confidence, n_boot=n_boot, seed=rng,
            min_batch_accuracy=min_batch_accuracy, names={**names, "ratings": f"{r_name} (tag {tag!r})"})
    masi = masi_alpha(sets, n_boot=n_boot, seed=rng, confidence=confidence)
    report = {"multilabel": True, "tags": tags,
              "data": {"n_items": len(items), "n_ratings": int(df.height), "annotators": annotators,
                       "n_items_rated_twice": int(((sets[..., 0] >= 0).sum(1) >= 2).sum()) if tags else 0,
                       "confidence": confidence, "prevalence": _prevalence(matrix, tags)},
              "masi_alpha": {**masi.to_dict(), "band": band(masi.value, scale)},
              "per_tag": per_tag, "tag_table": _tag_table(per_tag, matrix, tags)}
    report.update(_gate_values(report, per_tag, tags))
    report["warnings"] = [f"tag {t!r}: {w}" for t, rep in per_tag.items() for w in rep["warnings"]]
    return report


def _prevalence(matrix: np.ndarray, tags: list[str]) -> dict:
    share = matrix.mean(0) if len(matrix) else np.zeros(len(tags))
    return {t: float(share[j]) for j, t in enumerate(tags)}


def _tag_table(per_tag: dict, matrix: np.ndarray, tags: list[str]) -> list[dict]:
    rows = []
    for j, tag in enumerate(tags):
        rep = per_tag[tag]
        row = {"tag": tag, "prevalence": float(matrix[:, j].mean()) if len(matrix) else None,
               **{k: rep[k]["value"] for k in ("percent_agreement", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1")}}
        if rep["vs_gold"] is not None:
            row["mean_kappa_vs_gold"] = rep["vs_gold"]["mean_kappa_vs_gold"]
        rows.append(row)
    return rows


def _gate_values(report: dict, per_tag: dict, tags: list[str]) -> dict:
    """The keys a gate reads: MASI alpha as ``krippendorff_alpha``; the lowest tag for the others."""
    out: dict = {"krippendorff_alpha": {**report["masi_alpha"], "level": "MASI on tag sets"}}
    for metric in ("percent_agreement", "fleiss_kappa", "gwet_ac1"):
        defined = [(per_tag[t][metric]["value"], t) for t in tags if per_tag[t][metric]["value"] is not None]
        if defined:
            value, tag = min(defined)
            out[metric] = {**per_tag[tag][metric], "tag": tag, "summary": "lowest over the tags"}
        else:
            out[metric] = {"value": None, "ci": None, "n": 0, "note": "undefined for every tag"}
    out["cohen_kappa"] = [{**pair, "tag": t} for t in tags for pair in per_tag[t]["cohen_kappa"]]
    return out
