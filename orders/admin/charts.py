"""Small server-rendered SVG charts (bars and lines over days), readable without JavaScript.

Pure Python: values in, SVG markup out. Each chart is an `img` with a title and a description
for assistive technology, every mark carries its own `<title>` (a tooltip) and `data-day` /
`data-value`; pages also show the same numbers as a table. Scales start at zero and end on a
"nice" number (1, 2 or 5 times a power of ten per tick), so empty, single-day and all-zero series
draw sensibly. Colours come from CSS classes (orders/static/orders/admin-es.css).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

__all__ = ["HEIGHT", "WIDTH", "Point", "Scale", "bar_chart", "line_chart", "nice_scale"]

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 12, 36  # room for the value labels (left) and the day labels (below)
TICKS = 4  # about this many steps up the value axis
X_LABELS = 6  # about this many day labels along the bottom


@dataclass(frozen=True, slots=True)
class Point:
    """One value of a series: `key` identifies it (an ISO day), `label` is the axis text, `text` the tooltip."""

    key: str
    label: str
    value: Decimal
    text: str


@dataclass(frozen=True, slots=True)
class Scale:
    """A value axis from 0 to `top`, with gridlines at `ticks`."""

    top: Decimal
    ticks: tuple[Decimal, ...]

    def fraction(self, value: Decimal) -> float:
        """Where `value` sits between 0 (bottom) and 1 (top); outside values are clamped."""
        return min(1.0, max(0.0, float(value / self.top)))


def nice_scale(values: Sequence[Decimal], *, whole: bool = False) -> Scale:
    """The scale for `values`: from 0 to a nice top at or above the largest (whole steps for counts)."""
    largest = max((v for v in values if v > 0), default=Decimal(0))
    if largest == 0:
        return Scale(Decimal(1), (Decimal(0), Decimal(1)))
    step = _nice_step(largest / TICKS)
    if whole:
        step = max(step, Decimal(1))
    steps = math.ceil(largest / step)
    ticks = tuple((step * n).normalize() for n in range(steps + 1))
    return Scale(ticks[-1], ticks)


def _nice_step(raw: Decimal) -> Decimal:
    """The smallest of 1, 2, 5 times a power of ten that is at least `raw` (> 0)."""
    power = Decimal(10) ** raw.adjusted()
    for multiple in (1, 2, 5, 10):
        if power * multiple >= raw:
            return power * multiple
    raise AssertionError("unreachable: 10 * 10**adjusted() exceeds any positive number")


def bar_chart(points: Sequence[Point], *, chart_id: str, title: str, description: str, whole: bool = True) -> str:
    """A bar per point (counts: whole-number ticks by default)."""
    return _chart(points, chart_id=chart_id, title=title, description=description, whole=whole, kind="bar")


def line_chart(points: Sequence[Point], *, chart_id: str, title: str, description: str, whole: bool = False) -> str:
    """A line through the points, with a marker on each (amounts: decimal ticks by default)."""
    return _chart(points, chart_id=chart_id, title=title, description=description, whole=whole, kind="line")


def _chart(points: Sequence[Point], *, chart_id: str, title: str, description: str, whole: bool,
           kind: str) -> str:
    ident = escape(chart_id)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="es-chart es-chart-{kind}s" id="{ident}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{ident}-title {ident}-desc">',
             f'<title id="{ident}-title">{escape(title)}</title>',
             f'<desc id="{ident}-desc">{escape(description)}</desc>']
    if not points:
        parts.append(f'<text class="es-chart-empty" x="{WIDTH / 2:g}" y="{HEIGHT / 2:g}" '
                     f'text-anchor="middle">No figures for this period</text></svg>')
        return "".join(parts)
    scale = nice_scale([p.value for p in points], whole=whole)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / len(points)

    def x_of(index: int) -> float:
        return LEFT + slot * (index + 0.5)

    def y_of(value: Decimal) -> float:
        return TOP + plot_height * (1 - scale.fraction(value))

    parts.append('<g class="es-chart-grid">')
    for tick in scale.ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_number(tick))}</text>')
    parts.append("</g>")
    parts.append('<g class="es-chart-marks">')
    if kind == "bar":
        width = max(1.0, slot * 0.7)
        for index, point in enumerate(points):
            y = y_of(point.value)
            parts.append(f'<rect x="{x_of(index) - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
                         f'height="{TOP + plot_height - y:.1f}"{_data(point)}>'
                         f'<title>{escape(point.text)}</title></rect>')
    else:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x_of(i):.1f},{y_of(p.value):.1f}" for i, p in enumerate(points))
        parts.append(f'<path class="es-chart-line" d="{path}"/>')
        for index, point in enumerate(points):
            parts.append(f'<circle cx="{x_of(index):.1f}" cy="{y_of(point.value):.1f}" r="3.5"{_data(point)}>'
                         f'<title>{escape(point.text)}</title></circle>')
    parts.append("</g>")
    parts.append('<g class="es-chart-axis">'
                 f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_height}" y2="{TOP + plot_height}"/>')
    every = max(1, math.ceil(len(points) / X_LABELS))
    for index, point in enumerate(points):
        if (len(points) - 1 - index) % every == 0:  # the newest day always has its label
            parts.append(f'<text x="{x_of(index):.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                         f'{escape(point.label)}</text>')
    parts.append("</g></svg>")
    return "".join(parts)


def _data(point: Point) -> str:
    return f' data-day="{escape(point.key)}" data-value="{escape(_number(point.value))}"'


def _number(value: Decimal) -> str:
    """A tick or value without exponent or trailing zeros ("100", "2.5")."""
    return f"{value.normalize():f}" if value != 0 else "0"
