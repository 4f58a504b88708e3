"""Charts drawn on the server: a technology's suppliers as share bars, per year and stage.

The chart is a model (groups of bars with their coordinates) that a template draws as SVG
and as a table for screen readers; the numbers are the graph's numbers, read by one SELECT
(:data:`SUPPLIERS_QUERY`, which the tests compare the chart with). Each bar says whether its
supplier (a state, or a company through its home state) is a signatory of the bloc, a
participant or outside on the chosen day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pyoxigraph as ox

from paxsilica.publish import as_of
from paxsilica.publish.labels import Link
from paxsilica.publish.readable import percent
from paxsilica.publish.tables import Context, solutions

SUPPLIERS_QUERY = """
SELECT ?link ?supplier ?share ?year ?stage ?source WHERE {
  ?link a ps:SupplyLink ; ps:technology <TECHNOLOGY> ; ps:supplier ?supplier ;
      ps:sharePercent ?share ; ps:supplyStage ?stage .
  OPTIONAL { ?link ps:referenceYear ?year }
  OPTIONAL { ?link ps:source ?source }
}
"""
# The drawing's measures, in SVG user units.
WIDTH = 720
LABEL_WIDTH = 230
BAR_WIDTH = 380
BAR_HEIGHT = 16
ROW_HEIGHT = 22
HEADING_HEIGHT = 44
MARGIN = 12
LEGEND_HEIGHT = 30


@dataclass(frozen=True)
class Bar:
    """One supplier's share in a group: where it is drawn and what it says."""

    link: Link
    supplier: Link
    share: Decimal
    text: str
    standing: str
    standing_text: str
    y: int
    length: float


@dataclass(frozen=True)
class Group:
    """The bars of one year and stage, with the sources they come from."""

    year: str
    stage: Link
    sources: tuple[Link, ...]
    bars: tuple[Bar, ...]
    y: int


@dataclass(frozen=True)
class Chart:
    """A technology's supplier chart: its groups, its size, the day of the bloc markers."""

    technology: Link
    groups: tuple[Group, ...]
    width: int
    height: int
    label_width: int
    bar_width: int
    bar_height: int
    legend_y: int

    @property
    def bars(self) -> list[Bar]:
        return [bar for group in self.groups for bar in group.bars]


def suppliers_query(technology: str) -> str:
    """The SELECT of a technology's supply links that have a share."""
    return SUPPLIERS_QUERY.replace("TECHNOLOGY", technology)


def _gathered(answer: list[dict]) -> dict[tuple[str, str], dict[str, dict]]:
    """Supply links by (year, stage), each with its supplier, share and sources."""
    found: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
    for s in answer:
        year = s["year"].value if s["year"] is not None else ""
        link = found[(year, s["stage"].value)].setdefault(
            s["link"].value,
            {"supplier": s["supplier"].value, "share": Decimal(s["share"].value), "sources": []},
        )
        if s["source"] is not None and s["source"].value not in link["sources"]:
            link["sources"].append(s["source"].value)
    return found


def _bar(ctx: Context, iri: str, link: dict, y: int) -> Bar:
    supplier = link["supplier"]
    party = ctx.tables.home_states().get(supplier, supplier)
    standing = as_of.standing(ctx.standings, party).status
    share = link["share"]
    return Bar(
        ctx.link(iri),
        ctx.link(supplier),
        share,
        percent(share, ctx.lang),
        standing,
        ctx.words.get("bloc_" + standing, standing),
        y,
        float(min(share, Decimal(100))) * BAR_WIDTH / 100,
    )


def technology_chart(ctx: Context, technology: str) -> Chart | None:
    """The chart of a technology's suppliers, or None when no supply link has a share."""
    gathered = _gathered(solutions(_query(ctx, technology)))
    if not gathered:
        return None
    groups = []
    y = MARGIN
    for year, stage in sorted(gathered, key=lambda k: (k[0], k[1]), reverse=True):
        links = gathered[(year, stage)]
        order = sorted(
            links, key=lambda i: (-links[i]["share"], ctx.link(links[i]["supplier"]).text)
        )
        bars = tuple(
            _bar(ctx, iri, links[iri], y + HEADING_HEIGHT + n * ROW_HEIGHT)
            for n, iri in enumerate(order)
        )
        sources = sorted({s for link in links.values() for s in link["sources"]})
        groups.append(Group(year, ctx.link(stage), tuple(ctx.link(s) for s in sources), bars, y))
        y += HEADING_HEIGHT + len(bars) * ROW_HEIGHT + MARGIN
    return Chart(
        ctx.link(technology),
        tuple(groups),
        WIDTH,
        y + LEGEND_HEIGHT,
        LABEL_WIDTH,
        BAR_WIDTH,
        BAR_HEIGHT,
        y + 8,
    )


def _query(ctx: Context, technology: str) -> ox.QuerySolutions:
    docs = ctx.docs
    return docs.store.query(
        suppliers_query(technology), prefixes=docs.prefixes, default_graph=docs.graphs
    )
