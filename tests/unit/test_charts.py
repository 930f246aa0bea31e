"""The dashboard's SVG charts: scales that suit any series, valid SVG with accessible names, one mark per day."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from orders.admin.charts import HEIGHT, Point, bar_chart, line_chart, nice_scale

SVG = "{http://www.w3.org/2000/svg}"
D = Decimal


def points(*values: str | int) -> list[Point]:
    return [Point(f"2026-11-{n + 1:02d}", f"{n + 1} Nov", D(v), f"{n + 1} Nov: {v}") for n, v in enumerate(values)]


@pytest.mark.parametrize("values, whole, top, ticks", [
    ([], False, "1", ["0", "1"]),  # nothing: still an axis
    ([D(0), D(0)], True, "1", ["0", "1"]),  # all zero: no division by zero
    ([D(3)], True, "3", ["0", "1", "2", "3"]),  # counts step by whole numbers
    ([D(1)], False, "1", ["0", "0.5", "1"]),
    ([D(7), D(2)], True, "8", ["0", "2", "4", "6", "8"]),
    ([D("12.50")], False, "15", ["0", "5", "10", "15"]),
    ([D("999.99"), D("1")], False, "1000", ["0", "500", "1000"]),
    ([D("0.03")], False, "0.03", ["0", "0.01", "0.02", "0.03"]),
    ([D(-5), D(2)], False, "2", ["0", "0.5", "1", "1.5", "2"]),  # negatives are clamped to the axis
])
def test_scale_starts_at_zero_and_ends_on_a_nice_number_at_or_above_the_largest(values, whole, top, ticks):
    scale = nice_scale(values, whole=whole)
    assert scale.top == D(top)
    assert [f"{t:f}" for t in scale.ticks] == ticks
    assert all(v <= scale.top for v in values)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on markup that is not well-formed XML


def test_bar_chart_has_an_accessible_name_and_one_bar_per_day_with_its_value():
    root = parse(bar_chart(points(0, 2, 4), chart_id="orders", title="Orders per day", description="3 days"))

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "orders-title orders-desc"
    assert root.find(f"{SVG}title").text == "Orders per day"
    assert root.find(f"{SVG}title").get("id") == "orders-title"
    assert root.find(f"{SVG}desc").text == "3 days"
    bars = root.findall(f".//{SVG}rect")
    assert [(b.get("data-day"), b.get("data-value")) for b in bars] == [
        ("2026-11-01", "0"), ("2026-11-02", "2"), ("2026-11-03", "4")]
    assert [b.find(f"{SVG}title").text for b in bars] == ["1 Nov: 0", "2 Nov: 2", "3 Nov: 4"]
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == 0 and 0 < heights[1] < heights[2]
    # The tallest bar reaches the top tick exactly when the value is the top (4 -> scale 0..4 in whole steps).
    assert float(bars[2].get("y")) == pytest.approx(12, abs=0.1)


def test_line_chart_of_one_day_puts_its_point_in_the_middle():
    root = parse(line_chart(points("12.50"), chart_id="rev", title="Revenue", description="one day"))

    [circle] = root.findall(f".//{SVG}circle")
    assert circle.get("data-day") == "2026-11-01" and circle.get("data-value") == "12.5"
    assert float(circle.get("cx")) == pytest.approx((64 + 720 - 16) / 2, abs=0.1)
    assert 0 < float(circle.get("cy")) < HEIGHT
    assert root.find(f".//{SVG}path").get("d").startswith("M")


def test_all_zero_series_draws_on_the_axis_without_failing():
    root = parse(line_chart(points(0, 0, 0), chart_id="z", title="Revenue", description="nothing sold"))
    assert {c.get("cy") for c in root.findall(f".//{SVG}circle")} == {f"{HEIGHT - 36:.1f}"}  # the bottom of the plot


def test_empty_series_says_so():
    root = parse(bar_chart([], chart_id="e", title="Orders per day", description="none"))
    assert root.find(f"{SVG}title").text == "Orders per day"
    assert "No figures" in "".join(root.itertext())
    assert root.findall(f".//{SVG}rect") == []


def test_text_is_escaped():
    svg = bar_chart([Point("<d>", "<x>", D(1), "a & b</title><script>")], chart_id='c"', title="<t>",
                    description="&")
    root = parse(svg)
    assert "<script>" not in svg
    assert root.find(f".//{SVG}rect/{SVG}title").text == "a & b</title><script>"


def test_thirty_days_label_the_newest_day_and_only_a_few_others():
    series = points(*range(30))
    root = parse(bar_chart(series, chart_id="m", title="t", description="d"))
    labels = [t.text for t in root.findall(f"{SVG}g[@class='es-chart-axis']/{SVG}text")]
    assert labels[-1] == "30 Nov"
    assert 4 <= len(labels) <= 7
