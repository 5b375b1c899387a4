"""Text features and the default classifier shared by label-issue detection, cartography and the
end model.

The featurizer is unsupervised (TF-IDF statistics only, no labels), so fitting it once on a whole
table and cross-validating only the classifier leaks no label information between folds.

    >>> X = make_text_featurizer(max_features=50).fit_transform(["free prize now", "see you at lunch"])
    >>> X.shape[0]
    2
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from wslab.core.limits import MAX_TEXT_CHARS
from wslab.core.errors import InputError

__all__ = ["MAX_TEXT_CHARS", "make_text_featurizer", "default_text_classifier", "text_classifier", "build_features"]


def make_text_featurizer(
    *,
    max_features: int | None = 200_000,
    word_ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] = (2, 5),
    min_df: int = 1,
) -> FeatureUnion:
    """Return an unfitted scikit-learn transformer: TF-IDF over word and character n-grams.

    Word n-grams catch vocabulary ("free", "click here"); character n-grams inside word
    boundaries catch spelling variants, URLs and emoji-laden text. Both use sublinear tf and
    float32 output. ``max_features`` caps each of the two vocabularies.
    """
    common = dict(sublinear_tf=True, min_df=min_df, max_features=max_features, dtype=np.float32,
                  lowercase=True)
    return FeatureUnion([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=word_ngrams,
                                 token_pattern=r"(?u)\b\w+\b", **common)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=char_ngrams, **common)),
    ])


def default_text_classifier(*, C: float = 4.0, seed: int | None = None, max_iter: int = 1000) -> LogisticRegression:
    """Return an unfitted L2 logistic regression suited to sparse TF-IDF features."""
    return LogisticRegression(C=C, max_iter=max_iter, random_state=seed)


def text_classifier(*, C: float = 4.0, seed: int | None = None, max_iter: int = 1000) -> LogisticRegression:
    """An unfitted L2 logistic regression for the end model and the pipeline candidates: the
    Newton-CG solver, which on sparse hashed text converges in a few Hessian-vector iterations (on
    WRENCH youtube's 1,686 texts: 6 iterations, 0.09 CPU-s, against L-BFGS's 25 and 1.1 s; the same
    fit within tolerance), and warm-starts (``warm_start``) from a fit on similar data."""
    return LogisticRegression(C=C, solver="newton-cg", max_iter=max_iter, random_state=seed)


def build_features(
    df: pl.DataFrame,
    *,
    text_col: str | None = "text",
    feature_cols: Sequence[str] | None = None,
    featurizer=None,
    source: str = "table",
    max_chars: int | None = MAX_TEXT_CHARS,
) -> sp.csr_matrix | np.ndarray:
    """Return the feature matrix of shape (N, D) for the rows of ``df``.

    With ``feature_cols`` the named numeric columns are used as they are (a list-typed column,
    e.g. a precomputed embedding, is expanded into one feature per element); otherwise the
    ``text_col`` is featurized with ``featurizer`` (default :func:`make_text_featurizer`), each
    text cut to ``max_chars`` characters.
    """
    if feature_cols:
        blocks = []
        for col in feature_cols:
            if col not in df.columns:
                raise InputError(f"{source}: missing feature column {col!r}; found columns {df.columns}")
            s = df[col]
            if s.null_count():
                row = int(s.is_null().arg_true()[0])
                raise InputError(f"{source}: row {row + 2}: missing value in feature column {col!r}")
            if isinstance(s.dtype, (pl.List, pl.Array)):
                lengths = s.list.len() if isinstance(s.dtype, pl.List) else None
                if lengths is not None and lengths.n_unique() != 1:
                    raise InputError(f"{source}: embedding column {col!r} has rows of different lengths; "
                                     "expected one fixed-length vector per row")
                blocks.append(np.asarray(s.to_list(), dtype=np.float32))
            elif s.dtype.is_numeric() or s.dtype == pl.Boolean:
                blocks.append(s.cast(pl.Float32).to_numpy().reshape(-1, 1))
            else:
                raise InputError(f"{source}: feature column {col!r} has type {s.dtype}; expected numbers "
                                 "or a list of numbers")
        X = np.hstack(blocks)
        if not np.isfinite(X).all():
            raise InputError(f"{source}: feature columns contain NaN or infinite values; expected finite numbers")
        return X
    if text_col is None or text_col not in df.columns:
        raise InputError(f"{source}: missing text column {text_col!r}; found columns {df.columns}")
    texts = df[text_col].cast(pl.String).fill_null("")
    if max_chars is not None:
        texts = texts.str.slice(0, max_chars)
    if texts.str.strip_chars().str.len_chars().max() in (0, None):
        raise InputError(f"{source}: column {text_col!r} is empty in every row; expected some text to learn from")
    featurizer = featurizer if featurizer is not None else make_text_featurizer()
    return featurizer.fit_transform(texts.to_list()).tocsr()
