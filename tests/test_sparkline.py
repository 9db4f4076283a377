"""The SVG sparkline: well-formed, accessible, escaped, and sensible for empty and one-point series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

from hypothesis import given
from hypothesis import strategies as st

from paperwire.trending.sparkline import describe, sparkline_svg

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 9, 1, tzinfo=UTC)


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_a_series_is_a_line_with_title_and_description() -> None:
    points = [(T0, 1200), (T0 + timedelta(days=30), 1300), (T0 + timedelta(days=87), 1512)]
    svg = sparkline_svg(points, title="GitHub stars of a/b", element_id="stars-2607.1")
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "stars-2607-1-title stars-2607-1-desc"
    assert root.find(f"{SVG}title").text == "GitHub stars of a/b"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "1,200 stars on 1 Sep 2026, 1,512 on 27 Nov 2026 (+312)."  # type: ignore[union-attr]
    coords = [tuple(map(float, p.split(","))) for p in root.find(f"{SVG}polyline").get("points").split()]  # type: ignore[union-attr]
    assert coords[0] == (2.0, 30.0) and coords[-1] == (158.0, 2.0)  # lowest at the bottom left, highest top right
    assert [x for x, _ in coords] == sorted(x for x, _ in coords)
    assert "<script" not in svg and "href" not in svg


def test_empty_and_single_point_series() -> None:
    empty = parse(sparkline_svg([], title="GitHub stars of a/b"))
    assert empty.find(f"{SVG}desc").text == "No stars recorded yet."  # type: ignore[union-attr]
    assert empty.find(f"{SVG}polyline") is None and empty.find(f"{SVG}line") is not None
    one = parse(sparkline_svg([(T0, 7)], title="t"))
    points = one.find(f"{SVG}polyline").get("points").split()  # type: ignore[union-attr]
    assert points == ["2,16", "158,16"]  # a flat line across, its dot at the end
    assert one.find(f"{SVG}desc").text == "7 stars on 1 Sep 2026."  # type: ignore[union-attr]
    assert describe([(T0, 10), (T0 + timedelta(days=1), 4)]).endswith("(−6).")


def test_text_is_escaped() -> None:
    svg = sparkline_svg([(T0, 1)], title='<script>alert("x")</script> & co', desc="a < b", element_id='"><x')
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &lt; b" in svg
    assert parse(svg).get("aria-labelledby") == "---x-title ---x-desc"


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(-10**6, 10**9)), max_size=50))
def test_any_series_gives_a_well_formed_chart_inside_its_box(raw: list[tuple[int, int]]) -> None:
    points = [(T0 + timedelta(minutes=m), v) for m, v in raw]
    root = parse(sparkline_svg(points, title="t", width=100, height=20))
    line = root.find(f"{SVG}polyline")
    if not points:
        assert line is None
        return
    assert line is not None
    for pair in line.get("points", "").split():
        x, y = map(float, pair.split(","))
        assert 0 <= x <= 100 and 0 <= y <= 20
