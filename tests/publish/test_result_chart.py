"""The bar chart of a SELECT answer: which columns are numbers, and bars that keep them."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox

from paxsilica.publish import result_chart
from paxsilica.publish.result_chart import bar_chart, numeric_columns

XSD = "http://www.w3.org/2001/XMLSchema#"


def lit(value: str, local: str = "decimal") -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + local))


def test_only_columns_of_numbers_are_numeric() -> None:
    rows = [
        [
            ox.Literal("Gallium", language="en"),
            lit("98"),
            lit("2024", "gYear"),
            lit("3", "integer"),
        ],
        [ox.Literal("Germanium", language="en"), lit("83.5"), lit("2023", "gYear"), None],
    ]
    assert numeric_columns(["name", "share", "year", "n"], rows) == ["share", "n"]
    assert numeric_columns(["name"], [[None]]) == []


def test_bars_keep_the_answers_numbers_and_scale_to_the_largest() -> None:
    rows = [
        [ox.Literal("a"), lit("50")],
        [ox.Literal("b"), lit("100")],
        [ox.Literal("c"), lit("0")],
    ]
    chart = bar_chart(["label", "value"], rows, lambda t: t.value)
    assert chart is not None
    assert [b.value for b in chart.bars] == [Decimal(50), Decimal(100), Decimal(0)]
    assert [b.label for b in chart.bars] == ["a", "b", "c"]
    lengths = [b.length for b in chart.bars]
    assert lengths[1] == result_chart.BAR_WIDTH
    assert lengths[0] == result_chart.BAR_WIDTH / 2
    assert lengths[2] == 0


def test_a_column_is_chosen_by_name_and_bars_are_capped() -> None:
    rows = [[lit(str(i), "integer"), lit(str(2 * i), "integer")] for i in range(100)]
    chart = bar_chart(["x", "y"], rows, lambda t: t.value, value_column="y")
    assert chart.value_column == "y"
    assert chart.label_column is None  # no column of words: rows are numbered
    assert chart.bars[3].label == "#4"
    assert len(chart.bars) == result_chart.MAX_BARS
    assert chart.cut


def test_an_answer_without_numbers_has_no_chart() -> None:
    assert bar_chart(["s"], [[ox.NamedNode("https://example.org/a")]], str) is None
