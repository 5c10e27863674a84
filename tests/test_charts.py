"""The charts say every value in words beside its mark, hide a hidden figure with its reason,
write numbers the Dutch way, and keep the trend's labels apart."""

import re
from itertools import pairwise

from app.web import charts


def texts(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]


def test_numbers_are_written_the_dutch_way() -> None:
    assert charts.number(2263, 0) == "2.263"
    assert charts.number(32.54) == "32,5"
    assert charts.number(9.0) == "9,0"
    assert charts.number(12345.678) == "12.345,7"
    assert charts.percent(0.4749) == "47%"


def test_a_bar_chart_writes_each_value_and_hides_a_hidden_one_with_its_reason() -> None:
    svg = charts.bars(
        [
            charts.Bar("Ludificering", 8.04, "#7b3294", previous=7.3),
            charts.Bar("Succeservaringen", None, "#0072b2", previous=9.4),
        ],
        label="Momenten per lesuur",
    )
    written = texts(svg)
    assert "Ludificering" in written and "8,0" in written
    assert "te weinig observaties" in written
    assert 'role="img"' in svg and 'aria-label="Momenten per lesuur"' in svg
    assert svg.count('fill="url(#p-hidden)"') == 1
    assert "vorig semester: 7,3" in svg and "= vorig semester" in written


def test_labels_are_escaped() -> None:
    svg = charts.bars([charts.Bar("<script>", 1.0)], label='a "label"')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'aria-label="a &#34;label&#34;"' in svg


def test_a_segment_is_labelled_only_where_its_label_fits() -> None:
    svg = charts.stacked(
        [
            (
                "Met een zone",
                [
                    charts.Segment("groen", 0.6, "#3f9b5a"),
                    charts.Segment("oranje", 0.32, "url(#p-oranje)"),
                    charts.Segment("rood", 0.08, "url(#p-rood)"),
                ],
            ),
            ("Verborgen rij", None),
        ],
        label="Zones",
    )
    written = texts(svg)
    assert "groen 60%" in written and "oranje 32%" in written
    assert "rood 8%" not in written  # too narrow for its words: its title still says it
    assert "<title>rood: 8%</title>" in svg
    assert "te weinig observaties" in written


def test_the_trend_keeps_close_labels_apart_and_leaves_out_hidden_rows() -> None:
    svg = charts.slopes(
        [
            ("Ludificering", "#7b3294", 7.3, 8.0),
            ("Verwachtingscues", "#9a6700", 7.4, 7.95),
            ("Belonging-signalen", "#1b7f79", 7.0, 7.9),
            ("Succeservaringen", "#0072b2", None, 9.0),
        ],
        label="Trend",
        before="2025-2026 semester 2",
        after="2026-2027 semester 1",
    )
    assert "Succeservaringen" not in svg
    # On the right 8,0 / 8,0 / 7,9 lie 11 px apart on the scale: their labels must not touch.
    right = sorted(
        float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" font-size="14"', svg)
    )
    assert len(right) == 3
    assert all(b - a >= 18 for a, b in pairwise(right))
