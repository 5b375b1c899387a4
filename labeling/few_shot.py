"""Solved examples for a few-shot LLM prompt, picked from gold dev only.

:func:`pick_shots` chooses, for every document to label, ``k`` examples of each class from a
pool (the caller passes gold dev: gold test never enters a prompt). A document is never its
own example: a pool item with the document's id or the same text is skipped, so a gold dev
document is never shown its own gold label. Two ways to choose:

* ``similar``: the ``k`` pool items of each class nearest to the document by TF-IDF cosine
  similarity (word unigrams and bigrams, fitted on the pool); the closest come last, next to
  the document;
* ``stratified``: ``k`` items of each class at random (one seeded permutation per class, so
  most documents see the same examples; a document that is itself among them gets the next one).

Classes alternate in the returned order, so no label is always last.

>>> pool = ["great fun", "awful mess", "great joy", "awful day"]
>>> shots = pick_shots(["great day", "awful joy"], ["x", "y"], pool, ["a", "b", "c", "d"],
...                    [0, 1, 0, 1], n_classes=2, k=1, how="similar")
>>> [[pool[i] for i in s] for s in shots]
[['great fun', 'awful day'], ['great joy', 'awful mess']]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np

__all__ = ["pick_shots", "SHOT_SELECTION"]

SHOT_SELECTION = ("similar", "stratified")


def pick_shots(texts: Sequence[str], ids: Sequence[str], pool_texts: Sequence[str], pool_ids: Sequence[str],
               pool_y: Sequence[int], *, n_classes: int, k: int,
               how: Literal["similar", "stratified"] = "similar", seed: int = 0) -> list[list[int]]:
    """Per document, the pool positions of its examples (at most ``k`` per class, never itself)."""
    if how not in SHOT_SELECTION:
        raise ValueError(f"The 'how' parameter of pick_shots must be one of {list(SHOT_SELECTION)}. Got {how!r} instead.")
    pool_y = np.asarray(pool_y, dtype=np.int64)
    by_class = [np.flatnonzero(pool_y == c) for c in range(n_classes)]
    if how == "similar":
        orders = [[row[pool_y[row] == c] for c in range(n_classes)] for row in _by_similarity(texts, pool_texts)]
    else:
        rng = np.random.default_rng(seed)
        perms = [rng.permutation(idx) for idx in by_class]
        orders = [perms] * len(texts)
    pool_ids, pool_texts = list(pool_ids), list(pool_texts)
    out = []
    for doc_id, text, per_class in zip(ids, texts, orders, strict=True):
        chosen = [[int(j) for j in order if pool_ids[j] != doc_id and pool_texts[j] != text][:k]
                  for order in per_class]
        if how == "similar":
            chosen = [c[::-1] for c in chosen]  # the most similar last, next to the document
        out.append(_interleave(chosen))
    return out


def _interleave(per_class: list[list[int]]) -> list[int]:
    """Round-robin over the classes: [a1, b1, a2, b2, ...]."""
    longest = max((len(c) for c in per_class), default=0)
    return [c[i] for i in range(longest) for c in per_class if i < len(c)]


def _by_similarity(texts: Sequence[str], pool_texts: Sequence[str], *, block: int = 1000) -> Iterator[np.ndarray]:
    """Per document, the pool positions by TF-IDF cosine similarity (descending; ties by position),
    computed ``block`` documents at a time."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
    try:
        pool = vec.fit_transform([t or "" for t in pool_texts]).T.tocsc()
    except ValueError:  # no word in any pool text: nothing is similar, keep the pool's order
        yield from (np.arange(len(pool_texts)) for _ in texts)
        return
    for s in range(0, len(texts), block):
        sim = (vec.transform([t or "" for t in texts[s:s + block]]) @ pool).toarray()
        yield from np.argsort(-sim, axis=1, kind="stable")
