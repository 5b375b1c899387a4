"""Data maps: x = variability, y = confidence, colour = correctness, as allenai's cartography draws them.

Both functions take the cartography frame (``id``, ``text``, ``given_label``, optional
``suggested_label``, ``confidence``, ``variability``, ``correctness``, optional ``region``) and
return the artefact (PNG bytes, HTML text); the caller writes it with :mod:`wslab.core.io`.

- Every point is drawn. Past ``max_points`` (200,000) the HTML page draws the points outside
  the easy-to-learn region one by one and the rest as a density layer (and says so); the PNG
  draws the easy-to-learn points as a hexbin density.
- The three regions of :func:`wslab.cartography.regions.assign_regions` are shaded, and the
  histograms of confidence, variability and correctness are drawn beside the map.
- The HTML page (template in :mod:`wslab.cartography.map_page`) is self-contained: a canvas, inline
  JS/CSS, no network; zoom by dragging a rectangle or the wheel, a reset button, a class filter by
  given label, and a tooltip with id, given and suggested label, region, the three scores and
  the text. Untrusted text never becomes markup.
"""

from __future__ import annotations

import html
import io
import json

import numpy as np
import polars as pl

from wslab.cartography.map_page import PAGE
from wslab.cartography.regions import CONFIDENCE_THRESHOLD, REGIONS, VARIABILITY_THRESHOLD, assign_regions

__all__ = ["data_map_png", "data_map_html", "histograms"]

_REQUIRED = ("confidence", "variability", "correctness")
METRICS = ("confidence", "variability", "correctness")


def _check(frame: pl.DataFrame) -> pl.DataFrame:
    for name in _REQUIRED:
        if name not in frame.columns:
            raise ValueError(f"data map frame must have a {name!r} column; found {frame.columns}.")
    if "region" not in frame.columns:
        frame = frame.with_columns(assign_regions(frame))
    return frame


def _xmax(variability: np.ndarray) -> float:
    """The right end of the variability axis (and of its histogram)."""
    top = float(np.nanmax(variability)) if len(variability) else 0.0
    return round(max(0.05, top) * 1.05, 4)


def histograms(frame: pl.DataFrame, codes: np.ndarray, n_codes: int, *, bins: int = 20) -> dict:
    """Per metric: ``lo``, ``hi``, ``bins`` and ``counts`` (n_codes x bins) of the points whose
    class code (``codes``, index into the page's names) is each code; confidence and correctness
    on [0, 1], variability on [0, the axis end]."""
    out = {}
    for name in METRICS:
        x = frame[name].to_numpy().astype(np.float64)
        hi = _xmax(x) if name == "variability" else 1.0
        b = np.clip((x / hi * bins).astype(np.int64), 0, bins - 1)
        counts = np.zeros((n_codes, bins), dtype=np.int64)
        np.add.at(counts, (codes, b), 1)
        out[name] = {"lo": 0.0, "hi": hi, "bins": bins, "counts": counts.tolist()}
    return out


def _density(frame: pl.DataFrame, codes: np.ndarray, xmax: float, nx: int, ny: int) -> dict:
    """Sparse binned counts: ``cells`` = [flat cell index, total, {class code: count}] per non-empty cell."""
    bx = np.clip((frame["variability"].to_numpy() / xmax * nx).astype(np.int64), 0, nx - 1)
    by = np.clip((frame["confidence"].to_numpy() * ny).astype(np.int64), 0, ny - 1)
    cell = by * nx + bx
    counts = pl.DataFrame({"cell": cell, "code": codes}).group_by("cell", "code").len().sort("cell", "code")
    cells = []
    for (c,), grp in counts.group_by("cell", maintain_order=True):
        per = dict(zip(grp["code"].to_list(), grp["len"].to_list()))
        cells.append([int(c), int(sum(per.values())), {str(k): int(v) for k, v in per.items()}])
    return {"nx": nx, "ny": ny, "cells": cells, "max": max((c[1] for c in cells), default=1)}


def _strings(frame: pl.DataFrame, name: str | None) -> list[str | None]:
    if name is None or name not in frame.columns:
        return [None] * frame.height
    return [None if x is None else str(x) for x in frame[name].to_list()]


def data_map_html(frame: pl.DataFrame, *, id_col: str = "id", text_col: str = "text",
                  label_col: str = "given_label", suggested_col: str = "suggested_label",
                  title: str = "Data map", max_points: int = 200_000, max_text_chars: int = 300,
                  bins: int = 20, density_bins: int = 160, seed: int | None = 0,
                  confidence_threshold: float = CONFIDENCE_THRESHOLD,
                  variability_threshold: float = VARIABILITY_THRESHOLD) -> str:
    """Return a self-contained interactive HTML data map of every row of ``frame``.

    Up to ``max_points`` rows are drawn one by one; past it, the rows outside the easy-to-learn
    region are (at most ``max_points`` of them, sampled with ``seed``) and the others form a
    density layer of ``density_bins`` x ``density_bins`` cells. Texts are cut at
    ``max_text_chars`` characters. A missing ``suggested_col`` shows as "—" in the tooltip.
    """
    frame = _check(frame)
    given, suggested = _strings(frame, label_col), _strings(frame, suggested_col)
    given = ["" if x is None else x for x in given]
    names = sorted(set(given) | {x for x in suggested if x is not None})
    code = {n: i for i, n in enumerate(names)}
    g = np.array([code[x] for x in given], dtype=np.int64)
    s = [-1 if x is None else code[x] for x in suggested]
    region_code = {r: i for i, r in enumerate(REGIONS)}
    r = np.array([region_code.get(x, 0) for x in frame["region"].to_list()], dtype=np.int64)

    drawn = np.arange(frame.height)
    density = None
    if frame.height > max_points:
        drawn = np.flatnonzero(r != region_code["easy-to-learn"])
        if drawn.size > max_points:
            drawn = np.sort(np.random.default_rng(seed).choice(drawn, max_points, replace=False))
    xmax = _xmax(frame["variability"].to_numpy())
    if drawn.size < frame.height:
        rest = np.setdiff1d(np.arange(frame.height), drawn)
        density = _density(frame[rest], g[rest], xmax, density_bins, density_bins)
    sub = frame[drawn]
    ids, texts = _strings(sub, id_col), _strings(sub, text_col)
    data = {
        "names": names, "regions": list(REGIONS), "xmax": xmax,
        "ct": confidence_threshold, "vt": variability_threshold,
        "classes": sorted({int(x) for x in g}, key=lambda k: names[k]),
        "n_total": frame.height, "n_density": int(frame.height - drawn.size), "density": density,
        "hist": histograms(frame, g, len(names), bins=bins),
        "points": {
            "id": ["" if x is None else x for x in ids],
            "t": ["" if x is None else x[:max_text_chars] for x in texts],
            "g": g[drawn].tolist(), "s": [s[i] for i in drawn], "r": r[drawn].tolist(),
            # 4 decimals by numpy (a Python round per value took a quarter of the page's CPU)
            "c": np.round(sub["confidence"].to_numpy().astype(np.float64), 4).tolist(),
            "v": np.round(sub["variability"].to_numpy().astype(np.float64), 4).tolist(),
            "k": np.round(sub["correctness"].to_numpy().astype(np.float64), 4).tolist(),
        },
    }
    if density is None:
        note = f"All {frame.height:,} points are drawn."
    else:
        note = (f"{frame.height:,} points: the {drawn.size:,} outside the easy-to-learn region are drawn one by one "
                f"(hover them), the other {frame.height - drawn.size:,} as a density layer "
                f"({density_bins}×{density_bins} cells, darker = more points).")
    # JSON inside <script>: escape "<", ">" and "&" so no text can close the tag.
    blob = (json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))
    return (PAGE.replace("__TITLE__", html.escape(title)).replace("__NOTE__", html.escape(note))
            .replace("__DATA__", blob))


def data_map_png(frame: pl.DataFrame, *, title: str = "Data map", max_points: int = 200_000,
                 seed: int | None = 0, dpi: int = 110, bins: int = 20,
                 confidence_threshold: float = CONFIDENCE_THRESHOLD,
                 variability_threshold: float = VARIABILITY_THRESHOLD) -> bytes:
    """Render the data map (every point, the shaded regions, the three histograms) as PNG bytes
    with matplotlib's Agg canvas (no pyplot state). Past ``max_points`` rows the easy-to-learn
    points are drawn as a hexbin density under the others."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    frame = _check(frame)
    fig = Figure(figsize=(11, 6.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 2, width_ratios=(2.3, 1))
    ax = fig.add_subplot(grid[:, 0])
    x, y, k = (frame[c].to_numpy().astype(np.float64) for c in ("variability", "confidence", "correctness"))
    xmax = _xmax(x)
    ct, vt = confidence_threshold, variability_threshold
    for (x0, x1, y0, y1), colour, name in (((0, vt, ct, 1.02), "tab:green", "easy-to-learn"),
                                           ((0, vt, -0.02, ct), "tab:red", "hard-to-learn\n(if correctness < 0.5)"),
                                           ((vt, xmax, -0.02, 1.02), "orange", "ambiguous")):
        ax.fill_between([x0, min(x1, xmax)], y0, y1, color=colour, alpha=0.1, linewidth=0, zorder=0)
        ax.text(x0 + 0.01 * xmax, y1 - 0.03 if y1 > 1 else y0 + 0.02, name, fontsize=8, color="0.2",
                va="top" if y1 > 1 else "bottom", zorder=3, bbox={"facecolor": "white", "alpha": 0.7, "linewidth": 0})
    one_by_one = np.ones(frame.height, dtype=bool)
    if frame.height > max_points:
        one_by_one = (frame["region"] != "easy-to-learn").to_numpy()
        ax.hexbin(x[~one_by_one], y[~one_by_one], gridsize=80, extent=(0, xmax, 0, 1), bins="log", cmap="Greys",
                  mincnt=1, zorder=1, rasterized=True)
    n = int(one_by_one.sum())
    size = 10 if n < 3000 else 4 if n < 30_000 else 1
    sc = _points(ax, x[one_by_one], y[one_by_one], k[one_by_one], size=size)
    fig.colorbar(sc, ax=ax, label="correctness", fraction=0.04, pad=0.01, alpha=0.7)
    ax.set(xlabel="variability", ylabel="confidence", xlim=(0, xmax), ylim=(-0.02, 1.02))
    shown = "" if n == frame.height else f", {frame.height - n:,} easy-to-learn as density"
    ax.set_title(f"{title} (n={frame.height:,}{shown})")
    for row, (name, values) in enumerate(zip(METRICS, (y, x, k))):
        h = fig.add_subplot(grid[row, 1])
        h.hist(values, bins=bins, range=(0, xmax if name == "variability" else 1), color="#4c78a8")
        h.set_xlabel(name, fontsize=9)
        h.tick_params(labelsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _points(ax, x: np.ndarray, y: np.ndarray, k: np.ndarray, *, size: float):
    """Draw the points coloured by ``k`` in [0, 1] as ``scatter(c=k, cmap="coolwarm_r", s=size)``
    would, with one marker line per colour of the colormap's table (correctness takes a few
    values): Agg stamps a line's markers from one cached raster, where a scatter draws each
    point's path (100,000 points: ~0.9 of 1.3 CPU-s). Returns the mappable for the colour bar."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    cmap, norm = colormaps["coolwarm_r"], Normalize(0, 1)
    entry = np.clip((np.nan_to_num(k) * cmap.N).astype(np.int64), 0, cmap.N - 1)
    for e in np.unique(entry):
        at = entry == e
        ax.plot(x[at], y[at], linestyle="none", marker="o", markersize=np.sqrt(size), markeredgewidth=0,
                color=cmap(int(e)), alpha=0.7, rasterized=True, zorder=2)
    return ScalarMappable(norm=norm, cmap=cmap)
