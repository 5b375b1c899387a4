"""The agreement report: inputs checked and coded, every coefficient, scores against gold.

:func:`agreement_report` is what ``wslab agreement`` prints (``--json``) and what the pipeline
and the HTML report call. It takes polars frames, never paths:

* ``ratings``: long form, columns ``id``, ``annotator``, ``label`` and optionally ``batch``
  (a wide table goes through :func:`wide_to_long` first). A row with an empty label means "not
  rated" and is dropped; identical duplicate (id, annotator) rows are collapsed; conflicting
  ones are an error.
* ``gold``: ``id``, ``label`` (the expert's label), optional; every gold id must be rated.
* ``label_sources``: extra label sources ``{name: frame with id, label}`` (a label model's output)
  scored against gold only; an empty label is an abstain.
* ``raters``: LLM raters ``{name: frame with id, label}`` (``wslab llm-label``'s file, the LLM
  baseline's answers). Each is scored as a rater without changing the annotators' own
  coefficients: Cohen's kappa with each annotator on the items both rated
  (``report["llm_raters"]``) and, with gold, a ``vs_gold`` source of kind ``llm``.

Categories are the declared ``order`` (ordinal) or ``categories`` (nominal), else the labels
seen in ratings and gold, sorted (numerically when every label is a number). Weighted Cohen's
kappa and ordinal/interval alpha are computed when the categories are ordered: an ``order`` is
declared, or ``level`` is ordinal/interval and the labels are numbers. Interval alpha uses the
labels' numeric values when all are numbers, else equally spaced ranks.

The result is a JSON-serialisable dict with the keys ``percent_agreement``, ``cohen_kappa``
(one entry per annotator pair), ``fleiss_kappa``, ``krippendorff_alpha``, ``gwet_ac1``,
``vs_gold``, ``batches``, ``warnings``, ``data`` and ``scale``; each coefficient is a dict with
``value``, ``ci``, ``n``, ``se``, ``ci_method``, ``band`` and, when undefined, ``note``.
See :mod:`wslab.quality.agreement` for the CI methods and the degenerate-case rules and
:mod:`wslab.quality.bands` for the band scales.

Warnings (``report["warnings"]``, plain sentences):

* kappa paradox: Gwet's AC1 exceeds Fleiss' kappa by >= 0.15 (a skewed prevalence);
* consistency is not correctness: on the gold items, the mean pairwise kappa between
  annotators exceeds their mean kappa against gold by >= 0.10;
* annotator batches below the gold-accuracy threshold;
* fewer than two annotators, or no item rated twice.
"""

from __future__ import annotations

from typing import Any

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from wslab.core.errors import ArgumentError, InputError
from wslab.core.progress import Reporter, get_reporter
from wslab.core.frames import as_polars, returns_like
from wslab.quality.agreement import (LEVELS, Coefficient, category_counts, cohen_kappa,
                                     fleiss_kappa_from_counts,
                                     fleiss_kappa_per_category_from_counts,
                                     gwet_ac1_from_counts, krippendorff_alpha_from_counts,
                                     percent_agreement_from_counts)
from wslab.quality.agreement_gold import batch_accuracy, majority_codes, score_against_gold
from wslab.quality.bands import band, check_scale, describe_scale

METRICS = ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "cohen_kappa", "percent_agreement")
RESERVED = ("id", "batch")
PARADOX_GAP = 0.15
GOLD_GAP = 0.10


# ---------------------------------------------------------------- input frames


def _as_str(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.strip_chars()


def _require(df: pl.DataFrame, columns: Sequence[str], name: str, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{name}: missing column {missing[0]!r} in {what}; found columns {df.columns}")


@returns_like("df")
def wide_to_long(df: pl.DataFrame, *, name: str = "annotations", exclude: Sequence[str] = ("label",),
                 ignore: Sequence[str] = ()) -> pl.DataFrame:
    """Wide ratings (``id`` + one column per annotator, optional ``batch``) to long form.

    Columns in ``exclude`` and ``ignore`` are skipped (``exclude``: e.g. the gold ``label``).
    Empty cells are "not rated". Polars or pandas in, the same out. An annotator column with no label at all is an error.

    >>> wide_to_long(pl.DataFrame({"id": [1, 2], "ann": ["a", None]})).drop("_row").rows()
    [('1', 'ann', 'a')]
    """
    df = as_polars(df, name=name)
    _require(df, ["id"], name, "wide ratings")
    skip = set(RESERVED) | set(exclude) | set(ignore)
    annotators = [c for c in df.columns if c not in skip]
    if not annotators:
        raise InputError(f"{name}: no annotator column; expected 'id' plus one label column per "
                         f"annotator, found columns {df.columns}")
    for col in annotators:
        if df.select((_as_str(col).is_null() | (_as_str(col) == "")).all()).item():
            raise InputError(f"{name}: annotator column {col!r} is empty; expected at least one "
                             "label (drop the column if it is unused)")
    keep = ["batch"] if "batch" in df.columns else []
    long = (
        df.with_row_index("_row")
        .select("_row", _as_str("id").alias("id"), *[_as_str(c).alias(c) for c in annotators + keep])
        .unpivot(index=["_row", "id", *keep], on=annotators, variable_name="annotator", value_name="label")
        .filter(pl.col("label").is_not_null() & (pl.col("label") != ""))
    )
    # ``_row`` keeps the wide table's row so that errors name the line of the user's file
    return long.select("id", "annotator", "label", *keep, "_row")


def _check_labels(df: pl.DataFrame, categories: Sequence[str] | None, name: str, what: str) -> None:
    if categories is None:
        return
    bad = df.filter(~pl.col("label").is_in(list(categories))).sort("_row").head(1)
    if bad.height:
        row = bad["_row"][0] + 2
        who = f" of annotator {bad['annotator'][0]!r}" if "annotator" in bad.columns else ""
        raise InputError(f"{name}: row {row}: label {bad['label'][0]!r}{who} in {what} is not in the "
                         f"declared label set {list(categories)}")


def _clean_ratings(ratings: pl.DataFrame, name: str, categories: Sequence[str] | None) -> pl.DataFrame:
    _require(ratings, ["id", "annotator", "label"], name, "ratings")
    keep = ["batch"] if "batch" in ratings.columns else []
    indexed = ratings if "_row" in ratings.columns else ratings.with_row_index("_row")
    df = indexed.select(
        "_row", _as_str("id").alias("id"), _as_str("annotator").alias("annotator"),
        _as_str("label").alias("label"), *[_as_str(c).alias(c) for c in keep])
    for col in ("id", "annotator"):
        bad = df.filter(pl.col(col).is_null() | (pl.col(col) == "")).head(1)
        if bad.height:
            raise InputError(f"{name}: row {bad['_row'][0] + 2}: missing value in column {col!r} of ratings")
    df = df.filter(pl.col("label").is_not_null() & (pl.col("label") != ""))
    if df.height == 0:
        raise InputError(f"{name}: no rating has a label; expected at least one labelled row")
    _check_labels(df, categories, name, "ratings")
    df = _with_keys(df)
    n_ann = len(df["_ann"].dtype.categories)
    key = df["_item"].to_physical().to_numpy().astype(np.int64) * n_ann + df["_ann"].to_physical().to_numpy()
    if np.bincount(key).max() > 1:  # a repeated (id, annotator): the slow check names the row
        n_keys = _first_conflict(df, ["id", "annotator"], name, "(id, annotator)",
                                 "expected one label per annotator and item")
        if n_keys < df.height:  # identical duplicates: keep the first
            df = df.sort("_row").unique(subset=["id", "annotator"], keep="first", maintain_order=True)
    return df


def _with_keys(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with ``_item`` (the id as an Enum of the ids in order of first appearance) and
    ``_ann`` (the annotator as an Enum of the sorted annotators): integer codes from one hash pass
    per column, shared by the duplicate check and the coding (:func:`_code_ratings`)."""
    ids = df["id"].unique(maintain_order=True)
    annotators = df["annotator"].unique().sort()
    return df.with_columns(pl.col("id").cast(pl.Enum(ids)).alias("_item"),
                           pl.col("annotator").cast(pl.Enum(annotators)).alias("_ann"))


def _first_conflict(df: pl.DataFrame, key: list[str], name: str, what: str, expected: str) -> int:
    """Raise InputError at the first row that repeats ``key`` with another label; return #keys."""
    groups = df.group_by(key).agg(pl.col("label").n_unique().alias("_k"))
    bad = groups.filter(pl.col("_k") > 1)
    if bad.height:
        rows = (df.join(bad.select(key), on=key).sort("_row")
                .with_columns(pl.col("label").first().over(key).alias("_first"),
                              pl.col("_row").first().over(key).alias("_row0"))
                .filter(pl.col("label") != pl.col("_first")).head(1))
        value = tuple(rows[c][0] for c in key) if len(key) > 1 else rows[key[0]][0]
        raise InputError(f"{name}: row {rows['_row'][0] + 2}: duplicate {what} {value!r} with different "
                         f"labels ({rows['_first'][0]!r} in row {rows['_row0'][0] + 2}, "
                         f"{rows['label'][0]!r} here); {expected}")
    return groups.height


def _clean_single(df: pl.DataFrame, name: str, what: str, categories: Sequence[str] | None,
                  *, allow_empty_label: bool) -> pl.DataFrame:
    _require(df, ["id", "label"], name, what)
    out = df.with_row_index("_row").select("_row", _as_str("id").alias("id"), _as_str("label").alias("label"),
                                            *([_as_str("batch").alias("batch")] if "batch" in df.columns else []))
    bad = out.filter(pl.col("id").is_null() | (pl.col("id") == "")).head(1)
    if bad.height:
        raise InputError(f"{name}: row {bad['_row'][0] + 2}: missing value in column 'id' of {what}")
    empty = pl.col("label").is_null() | (pl.col("label") == "")
    if allow_empty_label:
        out = out.filter(~empty)
    else:
        bad = out.filter(empty).head(1)
        if bad.height:
            raise InputError(f"{name}: row {bad['_row'][0] + 2}: missing value in column 'label' of {what}")
    _check_labels(out, categories, name, what)
    _first_conflict(out, ["id"], name, f"id in {what}", "expected one label per id")
    return out.unique(subset=["id"], keep="first", maintain_order=True)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _resolve_categories(observed: list[str], categories: Sequence[str] | None, order: Sequence[str] | None,
                        level: str | None) -> tuple[list[str], bool, str, list[float] | None]:
    """Return (categories, ordered, headline level, numeric values or None)."""
    if level is not None and level not in LEVELS:
        raise InputError(f"The 'level' parameter must be one of {list(LEVELS)}. Got {level!r} instead.")
    for what, seq in (("order", order), ("label set", categories)):
        if seq is not None:
            dup = [c for c in seq if list(seq).count(c) > 1]
            if dup or not seq:
                raise InputError(f"The declared {what} must list distinct labels. Got {list(seq)} instead.")
    if order is not None and categories is not None and set(order) != set(categories):
        raise InputError(f"The declared order {list(order)} and label set {list(categories)} name different labels")
    numeric_obs = all(_is_number(c) for c in observed)
    if order is not None:
        cats, ordered = list(order), True
    elif categories is not None:
        cats, ordered = list(categories), False
    else:
        cats = sorted(observed, key=float) if numeric_obs else sorted(observed)
        ordered = False
    numeric = all(_is_number(c) for c in cats)
    if categories is not None and order is None and numeric:
        cats = sorted(cats, key=float)
    if level is None:
        level = "ordinal" if ordered else "nominal"
    if level != "nominal" and not ordered:
        if not numeric:
            raise ArgumentError(f"level {level!r} needs ordered labels: declare {{order}} (e.g. "
                                f"{','.join(cats[:3])}) or use numeric labels", "order")
        ordered = True
    values = [float(c) for c in cats] if numeric else None
    return cats, ordered, level, values


# ---------------------------------------------------------------- report


def _coef(c: Coefficient, scale: str | None) -> dict:
    out = c.to_dict()
    if scale is not None:
        out["band"] = band(c.value, scale)
    return out


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def agreement_report(ratings: pl.DataFrame, gold: pl.DataFrame | None = None, *,
                     label_sources: Mapping[str, pl.DataFrame] | None = None,
                     raters: Mapping[str, pl.DataFrame] | None = None,
                     categories: Sequence[str] | None = None, order: Sequence[str] | None = None,
                     level: str | None = None, scale: str = "landis-koch", confidence: float = 0.95,
                     n_boot: int = 1000, seed: int | np.random.Generator = 0,
                     min_batch_accuracy: float = 0.8, names: Mapping[str, str] | None = None,
                     reporter: Reporter | None = None) -> dict:
    """Agreement among annotators and against gold, as one JSON-serialisable dict.

    ``names`` maps ``"ratings"``, ``"gold"`` and each label-source name to the file name used in
    error messages. See the module docstring for the inputs and the result. Frames may be
    polars or pandas.
    """
    ratings = as_polars(ratings, name="ratings")
    gold = as_polars(gold, name="gold") if gold is not None else None
    sources = {k: as_polars(v, name=k) for k, v in (label_sources or {}).items()}
    check_scale(scale)
    names = dict(names or {})
    r_name, g_name = names.get("ratings", "ratings"), names.get("gold", "gold")
    if sources and gold is None:
        raise InputError(f"label_sources {list(sources)} are scored against gold; pass a gold table too")
    if not 0.0 <= min_batch_accuracy <= 1.0:
        raise InputError(f"The 'min_batch_accuracy' parameter must be between 0 and 1. Got {min_batch_accuracy!r} instead.")
    declared = order if order is not None else categories
    with get_reporter(reporter).task("agreement", total=4) as advance:
        df = _clean_ratings(ratings, r_name, declared)
        gold_df = _clean_single(gold, g_name, "gold", declared, allow_empty_label=False) if gold is not None else None
        observed = df["label"].unique().to_list()
        if gold_df is not None:
            observed = sorted(set(observed) | set(gold_df["label"].unique().to_list()))
        cats, ordered, level, values = _resolve_categories(observed, categories, order, level)
        items, annotators, codes = _code_ratings(df, cats)
        counts = category_counts(codes, n_categories=len(cats))
        advance(1)
        report: dict = {"data": _data_block(df, items, codes, annotators, cats, ordered, level, values, confidence),
                        "scale": describe_scale(scale),
                        "percent_agreement": _coef(percent_agreement_from_counts(counts, confidence=confidence), None),
                        "cohen_kappa": _pairwise_kappas(codes, annotators, len(cats), ordered, confidence, scale)}
        advance(1)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        report.update(_chance_corrected(counts, cats, ordered, level, values, n_boot, rng, confidence, scale))
        advance(1)
        warnings = _warnings(report, counts, annotators, cats)
        report["vs_gold"] = None
        report["batches"] = {"threshold": min_batch_accuracy, "rows": [], "n_flagged": 0,
                             "note": "needs gold and a 'batch' column in the ratings"}
        if gold_df is not None:
            report["vs_gold"] = _vs_gold(df, gold_df, items, codes, counts, annotators, cats, sources,
                                         names, declared, confidence, scale, warnings, g_name, r_name)
            if "batch" in df.columns:
                report["batches"] = _batches(df, gold_df, min_batch_accuracy, confidence, warnings)
        report["llm_raters"] = None
        if raters:
            llm_codes = {name: _rater_codes(as_polars(frame, name=name), items, cats, names.get(name, name),
                                            declared, name) for name, frame in raters.items()}
            report["llm_raters"] = _llm_vs_annotators(llm_codes, codes, annotators, len(cats), confidence, scale)
            if gold_df is not None:
                report["vs_gold"]["sources"].extend(_llm_vs_gold(llm_codes, gold_df, items, cats, confidence, scale))
        report["warnings"] = warnings
        advance(1)
    first = ("percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1",
             "vs_gold", "batches", "warnings")
    return {**{key: report[key] for key in first}, **report}


def _code_ratings(df: pl.DataFrame, cats: list[str]) -> tuple[pl.DataFrame, list[str], np.ndarray]:
    """(items with ``_item`` index, annotators, codes (items x annotators), -1 = not rated)."""
    if "_item" not in df.columns:
        df = _with_keys(df)
    items = pl.DataFrame({"id": df["_item"].dtype.categories}).with_row_index("_item")
    annotators = df["_ann"].dtype.categories.to_list()
    label = df["label"].cast(pl.Enum(cats)).to_physical().to_numpy().astype(np.int16)
    codes = np.full((items.height, len(annotators)), -1, dtype=np.int16)
    codes[df["_item"].to_physical().to_numpy(), df["_ann"].to_physical().to_numpy()] = label
    return items, annotators, codes


def _data_block(df: pl.DataFrame, items: pl.DataFrame, codes: np.ndarray, annotators: list[str], cats: list[str],
                ordered: bool, level: str, values: Any, confidence: float) -> dict:
    per_item = (codes >= 0).sum(1)
    return {
        "n_items": int(items.height), "n_ratings": int(df.height),
        "n_items_rated_twice": int((per_item >= 2).sum()),
        "ratings_per_item": {"min": int(per_item.min()), "mean": float(per_item.mean()), "max": int(per_item.max())},
        "annotators": annotators, "categories": cats, "ordered": ordered, "level": level,
        "interval_values": values if values is not None else (list(range(len(cats))) if ordered else None),
        "confidence": confidence,
    }


def _pairwise_kappas(codes: np.ndarray, annotators: list[str], k: int, ordered: bool, confidence: float,
                     scale: str) -> list[dict]:
    pairs = []
    for a in range(len(annotators)):  # loop over annotator pairs, not items
        for b in range(a + 1, len(annotators)):
            entry = {"annotators": [annotators[a], annotators[b]],
                     **_coef(cohen_kappa(codes[:, a], codes[:, b], n_categories=k, confidence=confidence), scale)}
            if ordered:
                entry["weighted"] = {w: _coef(cohen_kappa(codes[:, a], codes[:, b], weights=w, n_categories=k,
                                                          confidence=confidence), scale)
                                     for w in ("linear", "quadratic")}
            pairs.append(entry)
    return pairs


def _chance_corrected(counts: np.ndarray, cats: list[str], ordered: bool, level: str, values: Any, n_boot: int,
                      rng: np.random.Generator, confidence: float, scale: str) -> dict:
    """Fleiss' kappa (overall and per category), Krippendorff's alpha per level, Gwet's AC1."""
    fk = _coef(fleiss_kappa_from_counts(counts, confidence=confidence), scale)
    fk["per_category"] = {c: _coef(res, scale) for c, res in
                          zip(cats, fleiss_kappa_per_category_from_counts(counts, confidence=confidence))}
    levels_run = [lv for lv in LEVELS if lv == "nominal" or ordered]
    alphas = {lv: _coef(krippendorff_alpha_from_counts(
        counts, level=lv, values=values if lv == "interval" else None,
        n_boot=n_boot, seed=rng, confidence=confidence), scale) for lv in levels_run}
    return {"fleiss_kappa": fk, "krippendorff_alpha": {**alphas[level], "level": level, "levels": alphas},
            "gwet_ac1": _coef(gwet_ac1_from_counts(counts, confidence=confidence), scale)}


def _warnings(report: dict, counts: np.ndarray, annotators: list[str], cats: list[str]) -> list[str]:
    warnings: list[str] = []
    if len(annotators) < 2:
        warnings.append(f"only one annotator ({annotators[0]!r}): agreement between annotators is "
                        "undefined; only the scores against gold are meaningful")
    elif report["data"]["n_items_rated_twice"] == 0:
        warnings.append("no item was rated by two annotators: agreement between annotators is undefined")
    paradox = _paradox_warning(report, counts, cats)
    if paradox:
        warnings.append(paradox)
    return warnings


def _batches(df: pl.DataFrame, gold_df: pl.DataFrame, threshold: float, confidence: float,
             warnings: list[str]) -> dict:
    """Gold accuracy per annotator and batch; a warning names the batches below ``threshold``."""
    rows = batch_accuracy(df.filter(pl.col("id").is_in(gold_df["id"].implode())), gold_df,
                          threshold=threshold, confidence=confidence)
    flagged = [r for r in rows if r["flagged"]]
    if flagged:
        shown = ", ".join(f"{r['annotator']}/{r['batch']} ({r['accuracy']['value']:.2f}, n={r['n']})"
                          for r in flagged[:5])
        more = f" and {len(flagged) - 5} more" if len(flagged) > 5 else ""
        warnings.append(f"{len(flagged)} annotator batch(es) below gold accuracy {threshold:g}: {shown}{more}")
    return {"threshold": threshold, "rows": rows, "n_flagged": len(flagged)}


def _paradox_warning(report: dict, counts: np.ndarray, cats: list[str]) -> str | None:
    kappa, ac1 = report["fleiss_kappa"]["value"], report["gwet_ac1"]["value"]
    if kappa is None or ac1 is None or ac1 - kappa < PARADOX_GAP:
        return None
    share = counts.sum(0) / max(counts.sum(), 1)
    top = int(share.argmax())
    pa = report["percent_agreement"]["value"]
    return (f"kappa paradox: Fleiss' kappa {kappa:.2f} ({report['fleiss_kappa']['band']}) but Gwet's AC1 "
            f"{ac1:.2f} ({report['gwet_ac1']['band']}) with {cats[top]!r} in {share[top]:.0%} of ratings. "
            f"The skewed prevalence inflates kappa's chance agreement; raw agreement is {pa:.2f}. "
            "Believe AC1 for overall consistency, and read the per-category kappas for the rare "
            "classes, where the disagreement is.")


def _vs_gold(df, gold_df, items, codes, counts, annotators, cats, label_sources, names, declared,
             confidence, scale, warnings, g_name, r_name) -> dict:
    k = len(cats)
    gold_items = gold_df.join(items, on="id", how="left")
    absent = gold_items.filter(pl.col("_item").is_null())
    if absent.height:
        raise InputError(f"{g_name}: {absent.height} gold id(s) are absent from {r_name} (first: "
                         f"{absent['id'][0]!r}); expected every gold item to be annotated")
    idx = gold_items["_item"].to_numpy()
    gcode = gold_items["label"].replace_strict(cats, list(range(k)), return_dtype=pl.Int64).to_numpy()
    sources = []
    for j, name in enumerate(annotators):
        sources.append({"name": name, "kind": "annotator",
                        **score_against_gold(codes[idx, j], gcode, cats, confidence=confidence, scale=scale)})
    maj = majority_codes(counts[idx])
    n_ties = int(((maj < 0) & (counts[idx].sum(1) > 0)).sum())
    sources.append({"name": "majority", "kind": "majority", "n_ties": n_ties,
                    "note": "tied items are abstentions (not scored)",
                    **score_against_gold(maj, gcode, cats, confidence=confidence, scale=scale)})
    for name, frame in label_sources.items():
        src = _clean_single(frame, names.get(name, name), f"label source {name!r}", declared, allow_empty_label=True)
        extra = sorted(set(src["label"].unique().to_list()) - set(cats))
        cats_x = cats + extra
        pred = gold_df.select("id").join(src.select("id", "label"), on="id", how="left", maintain_order="left")
        pcode = pred["label"].replace_strict(cats_x, list(range(len(cats_x))), default=-1,
                                            return_dtype=pl.Int64).to_numpy()
        sources.append({"name": name, "kind": "label_source",
                        **score_against_gold(pcode, gcode, cats_x, confidence=confidence, scale=scale)})

    # consistency vs correctness, on the gold items only
    inter = []
    for a in range(len(annotators)):
        for b in range(a + 1, len(annotators)):
            inter.append(cohen_kappa(codes[idx, a], codes[idx, b], n_categories=k).value)
    inter_mean = _mean(inter)
    gold_mean = _mean([s["cohen_kappa"]["value"] for s in sources if s["kind"] == "annotator"])
    acc_mean = _mean([s["accuracy"]["value"] for s in sources if s["kind"] == "annotator"])
    if inter_mean is not None and gold_mean is not None and inter_mean - gold_mean >= GOLD_GAP:
        warnings.append(f"annotators agree with each other (mean pairwise kappa {inter_mean:.2f} on the gold "
                        f"items) clearly more than with gold (mean kappa vs gold {gold_mean:.2f}, mean "
                        f"accuracy {acc_mean:.2f}): they share errors. Consistency is not correctness; "
                        "trust the scores against gold.")
    return {"n_gold": int(gold_df.height), "sources": sources,
            "mean_pairwise_kappa_on_gold": inter_mean, "mean_kappa_vs_gold": gold_mean}


def _rater_codes(frame: pl.DataFrame, items: pl.DataFrame, cats: list[str], file: str,
                 declared: Sequence[str] | None, name: str) -> np.ndarray:
    """An LLM rater's label code per item of the ratings (-1 = not rated, or a label outside ``cats``)."""
    src = _clean_single(frame, file, f"LLM labels {name!r}", declared, allow_empty_label=True)
    got = items.join(src.select("id", "label"), on="id", how="left", maintain_order="left")
    return got["label"].replace_strict(cats, list(range(len(cats))), default=-1, return_dtype=pl.Int64).to_numpy()


def _llm_vs_annotators(llm_codes: Mapping[str, np.ndarray], codes: np.ndarray, annotators: list[str], k: int,
                       confidence: float, scale: str) -> dict:
    """Cohen's kappa of each LLM rater with each annotator (items both rated), and their mean."""
    pairs = []
    for name, llm in llm_codes.items():
        for j, ann in enumerate(annotators):
            pairs.append({"rater": name, "annotator": ann,
                          **_coef(cohen_kappa(llm, codes[:, j], n_categories=k, confidence=confidence), scale)})
    means = {name: _mean([p["value"] for p in pairs if p["rater"] == name]) for name in llm_codes}
    return {"names": list(llm_codes), "cohen_kappa": pairs, "mean_kappa_vs_annotators": means,
            "n_rated": {name: int((llm >= 0).sum()) for name, llm in llm_codes.items()}}


def _llm_vs_gold(llm_codes: Mapping[str, np.ndarray], gold_df: pl.DataFrame, items: pl.DataFrame, cats: list[str],
                 confidence: float, scale: str) -> list[dict]:
    """Each LLM rater scored against gold (items it did not rate: abstentions)."""
    gold_items = gold_df.join(items, on="id", how="inner", maintain_order="left")
    idx = gold_items["_item"].to_numpy()
    gcode = gold_items["label"].replace_strict(cats, list(range(len(cats))), return_dtype=pl.Int64).to_numpy()
    return [{"name": name, "kind": "llm", **score_against_gold(llm[idx], gcode, cats, confidence=confidence,
                                                                 scale=scale)} for name, llm in llm_codes.items()]


def metric_value(report: dict, metric: str) -> tuple[float | None, str]:
    """The value a ``--fail-under`` gate compares, and a label for messages.

    ``cohen_kappa`` gates on the lowest pairwise (unweighted) kappa.
    """
    if metric not in METRICS:
        raise InputError(f"The 'metric' parameter must be one of {list(METRICS)}. Got {metric!r} instead.")
    if metric == "cohen_kappa":
        vals = [(p["value"], "/".join(p["annotators"])) for p in report["cohen_kappa"] if p["value"] is not None]
        if not vals:
            return None, "cohen_kappa"
        value, pair = min(vals)
        return value, f"cohen_kappa (lowest pair {pair})"
    return report[metric]["value"], metric
