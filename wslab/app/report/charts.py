"""The report's inline SVG bar chart: horizontal bars with optional CI whiskers.

Every text placed in the SVG (group and series labels, which come from the run) is escaped
here, so the returned :class:`markupsafe.Markup` is safe to put in the page as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

__all__ = ["BLUE", "DARK", "GREY", "Bar", "bar_chart", "finite", "nice_range"]

BLUE, GREY, DARK = "#2563eb", "#9ca3af", "#111827"

Bar = tuple[str, float | None, Sequence[float] | None, str]
"""One bar: (series label, value, [lo, hi] or None, colour)."""

LABEL_W, RIGHT, BAR_H, GAP, TOP, BOTTOM = 190, 120, 16, 14, 26, 40


def finite(x: object) -> bool:
    """A real, finite number (not a bool)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def nice_range(values: Sequence[float | None], *, floor_at_zero: bool = False) -> tuple[float, float]:
    """An axis range on a 0.1 grid around ``values``: from a step below the smallest (or 0) to
    just past the largest, within [0, 1].

    >>> nice_range([0.71, 0.82, 0.88])
    (0.6, 0.9)
    >>> nice_range([0.2, 0.5], floor_at_zero=True)
    (0.0, 0.5)
    """
    shown = [v for v in values if finite(v)] or [0.0, 1.0]
    lo = 0.0 if floor_at_zero else max(0.0, math.floor(min(shown) * 10 - 0.5) / 10)
    hi = min(1.0, math.ceil(max(shown) * 10 - 1e-9) / 10)
    return lo, max(hi, round(lo + 0.1, 1))


def _step(span: float) -> float:
    return 0.05 if span <= 0.3 else 0.1 if span <= 0.6 else 0.2


def bar_chart(groups: Sequence[tuple[str, Sequence[Bar]]], *, title: str, axis: str, width: int = 720,
              xmin: float = 0.0, xmax: float = 1.0, fmt: Callable[[float], str] = lambda v: f"{v:.3f}") -> Markup:
    """An SVG chart of ``groups`` = [(group label, [bar, ...]), ...] on the axis [xmin, xmax],
    labelled ``axis`` under the ticks."""
    n_bars = sum(len(bars) for _, bars in groups)
    height = TOP + n_bars * (BAR_H + 3) + len(groups) * GAP + BOTTOM
    plot_w = width - LABEL_W - RIGHT

    def x(v: float) -> float:
        return LABEL_W + plot_w * (max(xmin, min(v, xmax)) - xmin) / (xmax - xmin)

    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    step = _step(xmax - xmin)
    for i in range(int((xmax - xmin) / step + 1e-9) + 1):
        v = xmin + step * i
        parts.append(f'<line x1="{x(v):.1f}" y1="{TOP - 6}" x2="{x(v):.1f}" y2="{height - BOTTOM + 4}" '
                     f'stroke="#e5e7eb"/><text x="{x(v):.1f}" y="{height - BOTTOM + 18}" text-anchor="middle" '
                     f'class="tick">{escape(fmt(v))}</text>')
    parts.append(f'<text x="{LABEL_W + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" '
                 f'class="axis">{escape(axis)}</text>')
    y = TOP
    for group, bars in groups:
        gy = y
        for bar in bars:
            parts.extend(_bar(bar, group, y, x, fmt, several=len(bars) > 1))
            y += BAR_H + 3
        parts.append(f'<text x="{LABEL_W - 8}" y="{gy + (y - gy) / 2 + 4:.1f}" text-anchor="end" '
                     f'class="lab">{escape(group)}</text>')
        y += GAP
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar(bar: Bar, group: str, y: float, x: Callable[[float], float], fmt: Callable[[float], str], *,
         several: bool) -> list[str]:
    name, value, ci, colour = bar
    if not finite(value):
        return []
    out = [f'<rect x="{LABEL_W}" y="{y}" width="{x(value) - LABEL_W:.1f}" height="{BAR_H}" fill="{colour}" '
           f'rx="2"><title>{escape(group)} {escape(name)}: {escape(fmt(value))}</title></rect>']
    end = x(value)
    if ci and len(ci) == 2 and all(finite(c) for c in ci):
        lo, hi, cy = x(ci[0]), x(ci[1]), y + BAR_H / 2
        out.append(f'<path d="M{lo:.1f},{cy} H{hi:.1f} M{lo:.1f},{cy - 5} V{cy + 5} M{hi:.1f},{cy - 5} V{cy + 5}" '
                   f'stroke="{DARK}" stroke-width="1.4" fill="none"/>')
        end = max(end, hi)
    label = fmt(value) + (f"  {name}" if several else "")
    out.append(f'<text x="{end + 6:.1f}" y="{y + BAR_H - 3}" class="val">{escape(label)}</text>')
    return out
