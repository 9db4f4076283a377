"""A small, accessible SVG line chart of a time series, drawn by Paperwire (no script, no external files).

``sparkline_svg`` is pure: the same points give the same text. Every piece
of text is escaped, the chart has a ``<title>`` and a ``<desc>`` (what a
screen reader says: "1,200 stars on 1 Sep 2026, 1,512 on 27 Nov 2026, +312"),
and it scales with the font through ``currentColor``. An empty series is a
chart that says so; a single point is a flat line with its dot.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import datetime

_ID_RE = re.compile(r"[^A-Za-z0-9_-]")


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _day(when: datetime) -> str:
    return f"{when.day} {when:%b %Y}"


def describe(points: Sequence[tuple[datetime, float]], unit: str = "stars") -> str:
    """A sentence for the chart: first and last values with their days and the change."""
    if not points:
        return f"No {unit} recorded yet."
    (t0, v0), (t1, v1) = points[0], points[-1]
    if len(points) == 1 or t0 == t1:
        return f"{v1:,.0f} {unit} on {_day(t1)}."
    change = v1 - v0
    return f"{v0:,.0f} {unit} on {_day(t0)}, {v1:,.0f} on {_day(t1)} ({'+' if change >= 0 else '−'}{abs(change):,.0f})."


def sparkline_svg(points: Sequence[tuple[datetime, float]], *, title: str, desc: str | None = None,
                  width: int = 160, height: int = 32, element_id: str = "sparkline", unit: str = "stars") -> str:
    """An inline SVG of ``points`` (``(time, value)``, any order) as a line with a dot on the last value.

    ``title`` names the chart (shown as a tooltip, read first by screen
    readers); ``desc`` defaults to ``describe(points)``. ``element_id`` makes the
    ids of title and desc unique when a page shows several charts.
    """
    ordered = sorted(points, key=lambda p: p[0])
    ident = _ID_RE.sub("-", element_id) or "sparkline"
    text = desc if desc is not None else describe(ordered, unit)
    pad = 2.0
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-title {ident}-desc">'
            f'<title id="{ident}-title">{html.escape(title)}</title>'
            f'<desc id="{ident}-desc">{html.escape(text)}</desc>')
    if not ordered:
        mid = _fmt(height / 2)
        return (head + f'<line x1="{_fmt(pad)}" y1="{mid}" x2="{_fmt(width - pad)}" y2="{mid}" stroke="currentColor" '
                'stroke-opacity="0.35" stroke-dasharray="2 3"/></svg>')
    t0, t1 = ordered[0][0], ordered[-1][0]
    span = (t1 - t0).total_seconds()
    low = min(v for _, v in ordered)
    high = max(v for _, v in ordered)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def x(when: datetime) -> float:
        return pad + (inner_w * (when - t0).total_seconds() / span if span > 0 else inner_w)

    def y(value: float) -> float:
        return pad + (inner_h * (high - value) / (high - low) if high > low else inner_h / 2)

    coords = [(x(t), y(v)) for t, v in ordered]
    if span <= 0:  # one instant: a flat line across, the value at its end
        coords = [(pad, coords[-1][1]), coords[-1]]
    line = " ".join(f"{_fmt(cx)},{_fmt(cy)}" for cx, cy in coords)
    last_x, last_y = coords[-1]
    return (head + f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" '
            f'stroke-linecap="round" points="{line}"/>'
            f'<circle cx="{_fmt(last_x)}" cy="{_fmt(last_y)}" r="2" fill="currentColor"/></svg>')
