"""A bar chart of any SELECT answer with a numeric column, as the SPARQL page draws it.

The chart is a model (bars with their coordinates and the numbers they show) that the page's
template draws as SVG, beside the results table that is its text equivalent. The numbers are
the answer's own: a bar's value is its literal read as a decimal, never rounded or rescaled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from paxsilica.rdf.literals import NUMERIC as NUMERIC_TYPES

# At most this many bars are drawn (the table below has every row the page shows).
MAX_BARS = 60
# The drawing's measures, in SVG user units.
WIDTH = 720
LABEL_WIDTH = 260
BAR_WIDTH = 360
ROW_HEIGHT = 22
BAR_HEIGHT = 16
MARGIN = 8
LABEL_CHARACTERS = 38


@dataclass(frozen=True)
class Bar:
    """One row of the answer as a bar: its label, its value, where it is drawn."""

    label: str
    value: Decimal
    text: str
    y: int
    length: float


@dataclass(frozen=True)
class BarChart:
    """The bars of one numeric column, labelled by another (or by row number)."""

    value_column: str
    label_column: str | None
    bars: tuple[Bar, ...]
    rows: int
    numeric_columns: tuple[str, ...]

    width = WIDTH
    label_width = LABEL_WIDTH
    bar_height = BAR_HEIGHT

    @property
    def height(self) -> int:
        return 2 * MARGIN + ROW_HEIGHT * len(self.bars)

    @property
    def cut(self) -> bool:
        """Whether some rows have no bar (beyond :data:`MAX_BARS`)."""
        return self.rows > len(self.bars)


def number(term: ox.Term | None) -> Decimal | None:
    """The value of a numeric literal, or None for anything else."""
    if not isinstance(term, ox.Literal) or term.datatype.value not in NUMERIC_TYPES:
        return None
    try:
        found = Decimal(term.value.strip())
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def numeric_columns(columns: Sequence[str], rows: Sequence[Sequence[ox.Term | None]]) -> list[str]:
    """The columns whose every bound value is a number (and that have one)."""
    found = []
    for position, name in enumerate(columns):
        values = [row[position] for row in rows if row[position] is not None]
        if values and all(number(v) is not None for v in values):
            found.append(name)
    return found


def bar_chart(
    columns: Sequence[str],
    rows: Sequence[Sequence[ox.Term | None]],
    label_of: Callable[[ox.Term], str],
    value_column: str | None = None,
) -> BarChart | None:
    """The chart of a numeric column (the one asked, else the first), or None when the answer
    has no numeric column."""
    numeric = numeric_columns(columns, rows)
    if not numeric:
        return None
    chosen = value_column if value_column in numeric else numeric[0]
    at = list(columns).index(chosen)
    label_at = next((i for i, c in enumerate(columns) if c not in numeric), None)
    drawn = [row for row in rows if row[at] is not None][:MAX_BARS]
    values = [number(row[at]) for row in drawn]
    top = max((v for v in values if v is not None and v > 0), default=Decimal(0))
    bars = tuple(
        Bar(
            _label(row, label_at, label_of, index),
            value,
            row[at].value,
            MARGIN + index * ROW_HEIGHT,
            float(BAR_WIDTH * value / top) if top and value > 0 else 0.0,
        )
        for index, (row, value) in enumerate(zip(drawn, values, strict=True))
    )
    label_column = columns[label_at] if label_at is not None else None
    return BarChart(chosen, label_column, bars, len(rows), tuple(numeric))


def _label(row: Sequence, at: int | None, label_of: Callable[[ox.Term], str], index: int) -> str:
    term = row[at] if at is not None else None
    text = label_of(term) if term is not None else f"#{index + 1}"
    return text if len(text) <= LABEL_CHARACTERS else text[: LABEL_CHARACTERS - 1] + "…"


__all__ = ["MAX_BARS", "Bar", "BarChart", "bar_chart", "number", "numeric_columns"]
