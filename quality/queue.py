"""One ranked relabel queue from several suspicion signals, and its exports.

Every signal becomes a score in [0, 1] (higher = more suspicious) and, past a threshold, a
flag with a human-readable reason:

| signal | score | flag |
|---|---|---|
| cleanlab | ``1 - label_quality`` (self-confidence of the given label, out of sample) | ``is_label_issue`` |
| cartography | ``1 - confidence`` (mean p(given label) over training epochs) | region ``hard-to-learn`` |
| annotator disagreement | ``disagreement`` (share of annotators not giving the majority label) | >= ``disagreement_threshold`` |
| LF conflicts | ``c / (c + 1)`` for ``c`` LF votes against the label | ``c >= lf_conflict_threshold`` |

The merge rule: ``priority`` is the mean, over the signals available for the row, of the row's
*percentile rank* under each signal (the share of the other scored items that the row is
strictly more suspicious than; ties share the lower rank, so a row tied at the bottom scores
0, the single most suspicious row 1). A signal missing for an id is left out of that row's
mean, not counted as 0. The queue is sorted by priority, highest first; ``flagged`` marks rows
where cleanlab and cartography agree (both flag; one of them alone decides when only one ran),
or where annotator disagreement or LF conflicts flag. The two model signals are two views of
the same fits, so each alone flags many hard but correct examples: on flipped WRENCH labels
their agreement flagged at higher precision than either (youtube 0.87 / 0.81, sms 0.97 / 0.97
for uniform / class-conditional noise, against 0.77 / 0.67 / 0.84 / 0.86 for either one firing)
and on 100,000 overlapping-class documents at least as precisely as cleanlab alone
(benchmarks/results/issues.md). ``reasons`` still names every signal that fired.

Why ranks and not the raw scores: the scores are on different scales. Cleanlab's out-of-sample
probabilities spread over [0, 1], cartography's training-time confidences crowd near 1, a
disagreement share takes a few values and an LF-conflict count fewer still; averaging them raw
lets the signal with the widest spread decide the order on its own, whatever its accuracy.
A percentile rank puts every signal on the same uniform scale, so each one gets an equal vote
(rank averaging, the Borda count), and it is invariant to any monotone rescaling of a score,
so a recalibrated model or a different confidence threshold cannot change the vote weights.
The rule has no tuned parameter. On flipped WRENCH youtube/sms labels (2 data sets x uniform
and class-conditional noise x 5 seeds) it ranked at least as well as the mean of raw scores
in all four settings, and better than each signal alone in three of them; where one signal is
clearly the better one (youtube with class-conditional noise: precision@k cartography 0.720,
cleanlab 0.651), an equal vote still trails that signal (0.707). Other standard rules
(noisy-OR, max, mean of logits) did no better (benchmarks/results/issues.md).
"""

from __future__ import annotations

import polars as pl

__all__ = ["SIGNAL_SCORES", "build_queue", "percentile_rank", "flagged_queue", "to_label_studio_tasks", "label_studio_config",
           "SIGNAL_FLAGS", "queue_signals"]

from wslab.core.artifacts import QUEUE_COLUMNS, SIGNAL_SCORES  # noqa: E402


def _fmt(x: pl.Expr) -> pl.Expr:
    return x.round(2).cast(pl.String)


def percentile_rank(score: pl.Expr) -> pl.Expr:
    """The share of the other non-null values that each value is strictly greater than, in [0, 1].

    Ties share the lowest rank; null stays null; a lone value gets 0.

    >>> pl.DataFrame({"s": [0.1, 0.9, 0.5, 0.5, None]}).select(percentile_rank(pl.col("s")))["s"].to_list()
    [0.0, 1.0, 0.3333333333333333, 0.3333333333333333, None]
    """
    below = score.rank("min").cast(pl.Float64) - 1
    return below / pl.max_horizontal(score.count() - 1, pl.lit(1)).cast(pl.Float64)


def build_queue(
    items: pl.DataFrame,
    *,
    extra_signals: pl.DataFrame | None = None,
    disagreement_threshold: float = 0.3,
    lf_conflict_threshold: int = 1,
) -> pl.DataFrame:
    """Merge the signals of ``items`` (and ``extra_signals``) into one ranked frame.

    ``items`` has one row per item: ``id``, ``text``, ``given_label``, ``suggested_label`` and
    any of ``label_quality``, ``is_label_issue``, ``p_suggested`` (cleanlab), ``confidence``,
    ``variability``, ``correctness``, ``region`` (cartography), ``disagreement``,
    ``lf_conflicts``. ``extra_signals`` is an optional frame keyed by ``id`` with
    ``disagreement`` (float in [0, 1]) and/or ``lf_conflicts`` (int >= 0); ids it does not
    name get no score for that signal. Returns the columns of ``QUEUE_COLUMNS`` that apply,
    sorted by ``priority`` (descending), with ``rank`` starting at 1.
    """
    for name in ("id", "text", "given_label", "suggested_label"):
        if name not in items.columns:
            raise ValueError(f"items must have a {name!r} column; found {items.columns}.")
    df = items
    if extra_signals is not None:
        if "id" not in extra_signals.columns:
            raise ValueError(f"extra_signals must have an 'id' column; found {extra_signals.columns}.")
        keep = [c for c in ("disagreement", "lf_conflicts") if c in extra_signals.columns]
        unknown = [c for c in extra_signals.columns if c not in ("id", *keep)]
        if unknown:
            raise ValueError(f"extra_signals has unknown column {unknown[0]!r}; expected 'disagreement' "
                             "and/or 'lf_conflicts'.")
        df = df.drop([c for c in keep if c in df.columns])
        extra = extra_signals.select(pl.col("id").cast(df.schema["id"]), *keep).unique("id", keep="first")
        df = df.join(extra, on="id", how="left", maintain_order="left")

    scores: list[pl.Expr] = []
    reasons: list[pl.Expr] = []
    model_flags: list[pl.Expr] = []  # the model's two views of the label: flag where they agree
    other_flags: list[pl.Expr] = []  # any other signal flags on its own
    if "label_quality" in df.columns:
        scores.append((1 - pl.col("label_quality")).clip(0, 1).alias("cleanlab_score"))
        if "is_label_issue" in df.columns:
            reasons.append(pl.when(pl.col("is_label_issue")).then(
                pl.lit("cleanlab label issue (quality ") + _fmt(pl.col("label_quality")) + pl.lit(")")))
            model_flags.append(pl.col("is_label_issue"))
    if "confidence" in df.columns:
        scores.append((1 - pl.col("confidence")).clip(0, 1).alias("cartography_score"))
        if "region" in df.columns:
            reasons.append(pl.when(pl.col("region") == "hard-to-learn").then(
                pl.lit("hard-to-learn (confidence ") + _fmt(pl.col("confidence")) + pl.lit(")")))
            model_flags.append(pl.col("region") == "hard-to-learn")
    if "disagreement" in df.columns:
        scores.append(pl.col("disagreement").cast(pl.Float64).clip(0, 1).alias("disagreement_score"))
        reasons.append(pl.when(pl.col("disagreement") >= disagreement_threshold).then(
            pl.lit("annotators disagree (") + (pl.col("disagreement") * 100).round(0).cast(pl.Int64).cast(pl.String)
            + pl.lit("%)")))
        other_flags.append(pl.col("disagreement") >= disagreement_threshold)
    if "lf_conflicts" in df.columns:
        c = pl.col("lf_conflicts").cast(pl.Float64)
        scores.append((c / (c + 1)).alias("lf_conflict_score"))
        reasons.append(pl.when(pl.col("lf_conflicts") >= lf_conflict_threshold).then(
            pl.col("lf_conflicts").cast(pl.Int64).cast(pl.String) + pl.lit(" conflicting LF votes")))
        other_flags.append(pl.col("lf_conflicts") >= lf_conflict_threshold)
    if not scores:
        raise ValueError("items carry no signal; expected cleanlab, cartography, disagreement or LF-conflict columns.")
    df = df.with_columns(scores)
    names = [s.meta.output_name() for s in scores]
    reason_list = pl.concat_list([r.fill_null(pl.lit(None, pl.String)) for r in reasons]).list.drop_nulls() \
        if reasons else pl.lit([], pl.List(pl.String))
    flags = ([pl.all_horizontal(model_flags)] if model_flags else []) + other_flags
    df = df.with_columns(
        pl.mean_horizontal([percentile_rank(pl.col(n)) for n in names]).alias("priority"),
        reason_list.list.join("; ").alias("reasons"),
        (pl.any_horizontal([f.fill_null(False) for f in flags]) if flags else pl.lit(False)).alias("flagged"),
    )
    df = df.sort(["priority", "id"], descending=[True, False], nulls_last=True)
    df = df.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64))
    return df.select([c for c in QUEUE_COLUMNS if c in df.columns])


def flagged_queue(queue: pl.DataFrame, *, top: int | None = None) -> pl.DataFrame:
    """The rows an expert should see: flagged ones, in priority order, at most ``top``."""
    out = queue.filter(pl.col("flagged"))
    return out.head(top) if top is not None else out


SIGNAL_FLAGS = {"cleanlab": pl.col("is_label_issue"), "cartography": pl.col("region") == "hard-to-learn",
                "lf_conflict": pl.col("lf_conflicts") >= 1, "disagreement": pl.col("disagreement") >= 0.3}
"""The signals that can put an item in the queue, and the flag of each (as in :func:`build_queue`'s
default thresholds); :func:`queue_signals` names those that flagged a row."""

_SIGNAL_COLUMNS = {"cleanlab": "is_label_issue", "cartography": "region", "lf_conflict": "lf_conflicts",
                   "disagreement": "disagreement"}


def queue_signals(queue: pl.DataFrame) -> pl.Series:
    """Per row, the signals that flagged it, comma-separated (``cleanlab,lf_conflict``; "" for none)."""
    parts = [pl.when(expr.fill_null(False)).then(pl.lit(name)) for name, expr in SIGNAL_FLAGS.items()
             if _SIGNAL_COLUMNS[name] in queue.columns]
    if not parts:
        return pl.Series("signals", [""] * queue.height, dtype=pl.String)
    return queue.select(pl.concat_list(parts).list.drop_nulls().list.join(",").alias("signals")).to_series()


def _tag_list(cell: str | None) -> list[str]:
    return [t for t in (cell or "").split(";") if t]


def _tag_tasks(queue: pl.DataFrame, *, from_name: str, to_name: str, model_version: str) -> list[dict]:
    """Multi-label tasks: the given tags pre-selected (the expert removes or adds tags), the
    suggested tags and the suspect tags shown beside the text."""
    signals = queue_signals(queue).to_list()
    tasks = []
    for row, sig in zip(queue.iter_rows(named=True), signals):  # one task per queued item
        given = _tag_list(row["given_label"])
        tasks.append({
            "data": {"wslab_id": str(row["id"]), "text": row["text"], "given_label": row["given_label"] or "",
                     "suggested_label": row["suggested_label"] or "", "suspect_tags": row.get("suspect_tags") or "",
                     "reasons": row.get("reasons") or "", "signals": sig, "priority": row.get("priority"),
                     "suggestion_note": f"Pre-selected: the given tags ({', '.join(given) or 'none'}); wslab suggests "
                                        f"{', '.join(_tag_list(row['suggested_label'])) or 'no tag'}"},
            "predictions": [{"model_version": model_version, "score": row.get("priority"),
                             "result": [{"from_name": from_name, "to_name": to_name, "type": "choices",
                                         "value": {"choices": given}}]}],
        })
    return tasks


def to_label_studio_tasks(queue: pl.DataFrame, *, from_name: str = "label", to_name: str = "text",
                          model_version: str = "wslab", multilabel: bool = False) -> list[dict]:
    """Label Studio import JSON: one task per row, the suggested label pre-filled as a prediction
    (``multilabel``: the given tags pre-selected, the suggested and suspect tags shown).

    Task ``data`` holds ``wslab_id`` (the item id as text; Label Studio's JSON_MIN and CSV exports
    overwrite a ``data.id`` with the task id), ``text``, ``given_label``, ``suggested_label``,
    ``reasons``, ``signals`` and ``priority``, so the expert sees why the item is in the queue and
    the export carries them back; the prediction ``score`` is ``p_suggested`` when known (the
    model's probability of its suggestion), else the priority.
    """
    if multilabel:
        return _tag_tasks(queue, from_name=from_name, to_name=to_name, model_version=model_version)
    score_col = "p_suggested" if "p_suggested" in queue.columns else "priority"
    signals = queue_signals(queue).to_list()
    calibrated = "show_suggestion" in queue.columns
    tasks = []
    for row, sig in zip(queue.iter_rows(named=True), signals):
        score = row.get(score_col)
        shown = bool(row["show_suggestion"]) if calibrated else True
        task: dict = {
            "data": {"wslab_id": str(row["id"]), "text": row["text"], "given_label": row["given_label"],
                     "suggested_label": row["suggested_label"] if shown else "", "reasons": row.get("reasons") or "",
                     "signals": sig, "priority": row.get("priority"),
                     "suggestion_note": _suggestion_note(row, shown, calibrated)},
        }
        if shown:
            task["predictions"] = [{
                "model_version": model_version,
                "score": None if score is None else round(float(score), 6),
                "result": [{"from_name": from_name, "to_name": to_name, "type": "choices",
                            "value": {"choices": [row["suggested_label"]]}}],
            }]
        tasks.append(task)
    return tasks


def _suggestion_note(row: dict, shown: bool, calibrated: bool) -> str:
    """The task's line about the pre-filled answer: what it is, and why it is (not) there."""
    if not calibrated:
        return f"Pre-filled: {row['suggested_label']} (wslab's suggestion)"
    if shown:
        return (f"Pre-filled: {row['suggested_label']} (on gold dev, suggestions this confident were right more often "
                "than the given label)")
    if row["suggested_label"] == row["given_label"]:
        return "No pre-filled answer: the model agrees with the given label"
    return ("No pre-filled answer: on gold dev, suggestions this confident were not right more often than the "
            "given label (or too few to tell)")


def label_studio_config(labels: list[str], *, from_name: str = "label", to_name: str = "text",
                        multilabel: bool = False) -> str:
    """The Label Studio labeling config that matches :func:`to_label_studio_tasks`: the document
    text first and largest (20 px), then small grey meta lines (13 px, not bold): the given label,
    why the item is queued and the note on the pre-filled answer; every class of ``labels`` as a
    choice below (``multilabel``: every tag, several may be chosen, ``choice="multiple"``)."""
    from xml.sax.saxutils import quoteattr

    choices = "\n".join(f"    <Choice value={quoteattr(str(x))}/>" for x in labels)
    meta = 'style="font-weight: normal; font-size: 13px; color: #555; margin: 2px 0"'
    given = "Given tags: $given_label (suspect: $suspect_tags)" if multilabel else "Given label: $given_label"
    return ('<View>\n'
            '  <View style="font-size: 20px; line-height: 1.5; margin-bottom: 12px">\n'
            f'    <Text name="{to_name}" value="$text"/>\n  </View>\n'
            f'  <Header value="{given}" size="6" {meta}/>\n'
            f'  <Header value="Why queued: $reasons" size="6" {meta}/>\n'
            f'  <Header value="$suggestion_note" size="6" {meta}/>\n'
            f'  <Choices name="{from_name}" toName="{to_name}" choice="{"multiple" if multilabel else "single"}" '
            'showInLine="true">\n'
            f"{choices}\n  </Choices>\n</View>\n")
