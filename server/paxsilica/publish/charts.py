"""Charts drawn on the server: bars per year and stage, and a member's timeline.

Three bar charts share one model (groups of bars with their coordinates) that one template
draws as SVG and as a table for screen readers: a technology's suppliers by share
(:data:`SUPPLIERS_QUERY`), the inputs where a state is the largest supplier
(:data:`LEADS_QUERY`) and a mineral's production by country in its unit
(:data:`PRODUCTION_QUERY`). The numbers are the graph's numbers, read by those SELECTs (the
tests compare each chart with them). Each bar says whether its supplier (a state, or a
company through its home state) is a signatory of the bloc, a participant or outside on the
chosen day. A member's timeline (:func:`member_timeline`) places its memberships and
participations on a line of days.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pyoxigraph as ox

from paxsilica.publish import as_of
from paxsilica.publish.labels import Link
from paxsilica.publish.readable import day, number, percent, unit_words
from paxsilica.publish.tables import Context, Tables

SUPPLIERS_QUERY = """
SELECT ?link ?supplier ?share ?year ?stage ?source WHERE {
  ?link a ps:SupplyLink ; ps:technology <TECHNOLOGY> ; ps:supplier ?supplier ;
      ps:sharePercent ?share ; ps:supplyStage ?stage .
  OPTIONAL { ?link ps:referenceYear ?year }
  OPTIONAL { ?link ps:source ?source }
}
"""
# Where a state is the largest supplier: its share equals the largest of its input, stage and
# year (ties lead together). The chart reads the same in two bounded steps (_LINKS_OF, _TOPS).
LEADS_QUERY = """
SELECT ?link ?technology ?share ?year ?stage WHERE {
  ?link a ps:SupplyLink ; ps:supplier <STATE> ; ps:technology ?technology ;
      ps:sharePercent ?share ; ps:supplyStage ?stage ; ps:referenceYear ?year .
  {
    SELECT ?technology ?stage ?year (MAX(?other) AS ?top) WHERE {
      ?rival a ps:SupplyLink ; ps:technology ?technology ; ps:supplyStage ?stage ;
          ps:referenceYear ?year ; ps:sharePercent ?other .
    } GROUP BY ?technology ?stage ?year
  }
  FILTER(?share = ?top)
}
"""
_LINKS_OF = """
SELECT ?link ?technology ?share ?year ?stage ?source WHERE {
  ?link a ps:SupplyLink ; ps:supplier <STATE> ; ps:technology ?technology ;
      ps:sharePercent ?share ; ps:supplyStage ?stage ; ps:referenceYear ?year .
  OPTIONAL { ?link ps:source ?source }
}
"""
_TOPS = """
SELECT ?technology ?stage ?year (MAX(?other) AS ?top) WHERE {
  VALUES ?technology { TECHNOLOGIES }
  ?rival a ps:SupplyLink ; ps:technology ?technology ; ps:supplyStage ?stage ;
      ps:referenceYear ?year ; ps:sharePercent ?other .
} GROUP BY ?technology ?stage ?year
"""
PRODUCTION_QUERY = """
SELECT ?link ?supplier ?quantity ?unit ?share ?year ?stage ?source WHERE {
  ?link a ps:SupplyLink ; ps:technology <MINERAL> ; ps:supplier ?supplier ;
      ps:quantity ?quantity ; ps:supplyStage ?stage .
  OPTIONAL { ?link ps:unitCode ?unit }
  OPTIONAL { ?link ps:sharePercent ?share }
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
TIMELINE_HEIGHT = 96
TIMELINE_LEFT = 40
TIMELINE_RIGHT = WIDTH - 40


@dataclass(frozen=True)
class Bar:
    """One bar of a group: the fact it draws, what it names (a supplier or an input), its
    number (a share, or a quantity in ``unit``), where it is drawn and what it says."""

    link: Link
    subject: Link
    value: Decimal
    text: str
    standing: str
    standing_text: str
    y: int
    length: float
    share: Decimal | None = None
    unit: str = ""

    @property
    def supplier(self) -> Link:
        return self.subject


@dataclass(frozen=True)
class Group:
    """The bars of one year and stage, with the sources they come from."""

    year: str
    stage: Link
    sources: tuple[Link, ...]
    bars: tuple[Bar, ...]
    y: int
    # The unit of the group's quantities in words (production charts only).
    unit: str = ""


@dataclass(frozen=True)
class Chart:
    """A bar chart about one entity: its kind (``technology``, ``state``, ``mineral``), its
    groups, its size."""

    kind: str
    subject: Link
    groups: tuple[Group, ...]
    width: int
    height: int
    label_width: int
    bar_width: int
    bar_height: int
    legend_y: int

    @property
    def technology(self) -> Link:
        return self.subject

    @property
    def bars(self) -> list[Bar]:
        return [bar for group in self.groups for bar in group.bars]

    @property
    def path(self) -> str:
        """Where the chart is, below the site's root (``/charts/state/JP``)."""
        return f"/charts/{self.kind}/{self.subject.iri.rstrip('/').rsplit('/', 1)[-1]}"


def suppliers_query(technology: str) -> str:
    """The SELECT of a technology's supply links that have a share."""
    return SUPPLIERS_QUERY.replace("TECHNOLOGY", technology)


def leads_query(state: str) -> str:
    """The SELECT of the supply links where a state holds the largest share."""
    return LEADS_QUERY.replace("STATE", state)


def production_query(mineral: str) -> str:
    """The SELECT of a mineral's supply links that have a quantity."""
    return PRODUCTION_QUERY.replace("MINERAL", mineral)


def _value(term: ox.Literal | None) -> str:
    return term.value if term is not None else ""


def _gathered(answer: list[dict], subject: str, value: str) -> dict[tuple, dict[str, dict]]:
    """Supply links by (year, stage, unit), each with what it names, its number and sources."""
    found: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for s in answer:
        key = (_value(s["year"]), s["stage"].value, _value(s.get("unit")))
        share = s.get("share")
        link = found[key].setdefault(
            s["link"].value,
            {
                "subject": s[subject].value,
                "value": Decimal(s[value].value),
                "share": Decimal(share.value) if share is not None else None,
                "sources": [],
            },
        )
        source = s.get("source")
        if source is not None and source.value not in link["sources"]:
            link["sources"].append(source.value)
    return found


def _standing(ctx: Context, supplier: str) -> tuple[str, str]:
    party = ctx.tables.home_states().get(supplier, supplier)
    standing = as_of.standing(ctx.standings, party).status
    return standing, ctx.words.get("bloc_" + standing, standing)


def _share_text(value: Decimal, ctx: Context) -> str:
    return percent(value, ctx.lang)


def _named(ctx: Context, subject: str, gathered: dict[tuple, dict[str, dict]]) -> Context:
    """The context with the labels of what the chart shows only (not the whole dataset's)."""
    iris = {subject}
    for (_, stage, _), links in gathered.items():
        iris.add(stage)
        for iri, link in links.items():
            iris.update((iri, link["subject"], *link["sources"]))
    return dataclasses.replace(ctx, labels=ctx.tables.labels_of(iris))


def _layout(
    ctx: Context,
    kind: str,
    subject: str,
    gathered: dict[tuple, dict[str, dict]],
    text: Callable[[dict, str], str],
    standing_of: Callable[[dict], str],
) -> Chart:
    """Place the groups (latest year first) and their bars (largest first) on the drawing."""
    ctx = _named(ctx, subject, gathered)
    groups = []
    y = MARGIN
    for year, stage, unit in sorted(gathered, reverse=True):
        links = gathered[(year, stage, unit)]
        order = sorted(
            links, key=lambda i: (-links[i]["value"], ctx.link(links[i]["subject"]).text)
        )
        largest = max((links[i]["value"] for i in order), default=Decimal(0))
        unit_text = unit_words(unit, ctx.lang)
        bars = []
        for n, iri in enumerate(order):
            link = links[iri]
            standing = standing_of(link)
            bars.append(
                Bar(
                    ctx.link(iri),
                    ctx.link(link["subject"]),
                    link["value"],
                    text(link, unit_text),
                    standing,
                    ctx.words.get("bloc_" + standing, standing),
                    y + HEADING_HEIGHT + n * ROW_HEIGHT,
                    _length(kind, link["value"], largest),
                    link["share"],
                    unit,
                )
            )
        sources = sorted({s for link in links.values() for s in link["sources"]})
        groups.append(
            Group(
                year,
                ctx.link(stage),
                tuple(ctx.link(s) for s in sources),
                tuple(bars),
                y,
                unit_text,
            )
        )
        y += HEADING_HEIGHT + len(bars) * ROW_HEIGHT + MARGIN
    return Chart(
        kind,
        ctx.link(subject),
        tuple(groups),
        WIDTH,
        y + LEGEND_HEIGHT,
        LABEL_WIDTH,
        BAR_WIDTH,
        BAR_HEIGHT,
        y + 8,
    )


def _length(kind: str, value: Decimal, largest: Decimal) -> float:
    """A bar's length: a share on a 0-100 scale; a quantity against the group's largest."""
    if kind == "mineral":
        return float(value / largest) * BAR_WIDTH if largest > 0 else 0.0
    return float(min(value, Decimal(100))) * BAR_WIDTH / 100


def technology_chart(ctx: Context, technology: str) -> Chart | None:
    """The chart of a technology's suppliers, or None when no supply link has a share."""
    answer = ctx.select(suppliers_query(technology))
    gathered = _gathered(answer, "supplier", "share")
    if not gathered:
        return None
    return _layout(
        ctx,
        "technology",
        technology,
        gathered,
        lambda link, _: _share_text(link["value"], ctx),
        lambda link: _standing(ctx, link["subject"])[0],
    )


def state_leads(tables: Tables, state: str) -> list[dict]:
    """The answer of :data:`LEADS_QUERY`, read in two bounded steps: the state's own links,
    then the largest share of each of their inputs, stages and years."""
    own = tables.select(_LINKS_OF.replace("STATE", state))
    technologies = sorted({s["technology"].value for s in own})
    if not technologies:
        return []
    values = " ".join(f"<{t}>" for t in technologies)
    tops = {
        (s["technology"].value, s["stage"].value, s["year"].value): Decimal(s["top"].value)
        for s in tables.select(_TOPS.replace("TECHNOLOGIES", values))
    }
    return [
        s
        for s in own
        if Decimal(s["share"].value)
        == tops.get((s["technology"].value, s["stage"].value, s["year"].value))
    ]


def state_chart(ctx: Context, state: str) -> Chart | None:
    """The inputs where a state is the largest supplier, by year and stage; None when none."""
    gathered = _gathered(state_leads(ctx.tables, state), "technology", "share")
    if not gathered:
        return None
    standing = _standing(ctx, state)[0]
    return _layout(
        ctx,
        "state",
        state,
        gathered,
        lambda link, _: _share_text(link["value"], ctx),
        lambda _: standing,
    )


def mineral_chart(ctx: Context, mineral: str) -> Chart | None:
    """A mineral's production by country, by year, stage and unit; None when no quantity."""
    gathered = _gathered(ctx.select(production_query(mineral)), "supplier", "quantity")
    if not gathered:
        return None

    def text(link: dict, unit: str) -> str:
        amount = f"{number(link['value'], ctx.lang)} {unit}".strip()
        share = link["share"]
        return f"{amount} ({percent(share, ctx.lang)})" if share is not None else amount

    return _layout(
        ctx,
        "mineral",
        mineral,
        gathered,
        text,
        lambda link: _standing(ctx, link["subject"])[0],
    )


# -- a member's timeline -------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A membership or participation on the timeline: its kind, days and place."""

    tie: Link
    kind: str
    kind_text: str
    begins: datetime.date
    ends: datetime.date | None
    begins_text: str
    ends_text: str
    x: float
    x_end: float
    y: int


@dataclass(frozen=True)
class Timeline:
    """A party's memberships and participations on a line from the first to the last day."""

    party: Link
    marks: tuple[Mark, ...]
    first: str
    last: str
    on_x: float
    width: int
    height: int


def _x(when: datetime.date, first: datetime.date, last: datetime.date) -> float:
    span = max((last - first).days, 1)
    return TIMELINE_LEFT + (when - first).days * (TIMELINE_RIGHT - TIMELINE_LEFT) / span


def member_timeline(ctx: Context, party: str) -> Timeline | None:
    """A party's memberships and participations, or None when it has none with a day."""
    ties = sorted(
        (t for t in ctx.tables.ties() if t.party == party and t.begins is not None),
        key=lambda t: (t.begins, t.kind),
    )
    if not ties:
        return None
    ctx = dataclasses.replace(ctx, labels=ctx.tables.labels_of({party, *(t.iri for t in ties)}))
    days = [t.begins for t in ties] + [t.ends for t in ties if t.ends] + [ctx.on]
    first, last = min(days), max(days)
    marks = []
    for n, tie in enumerate(ties):
        ends = tie.ends
        marks.append(
            Mark(
                ctx.link(tie.iri) if tie.iri else ctx.link(party),
                tie.kind,
                ctx.words.get("bloc_" + tie.kind, tie.kind),
                tie.begins,
                ends,
                day(tie.begins, ctx.lang),
                day(ends, ctx.lang) if ends else "",
                _x(tie.begins, first, last),
                _x(ends or max(last, ctx.on), first, last),
                30 + n * 18,
            )
        )
    height = 30 + len(marks) * 18 + 40
    return Timeline(
        ctx.link(party),
        tuple(marks),
        day(first, ctx.lang),
        day(last, ctx.lang),
        _x(ctx.on, first, last),
        WIDTH,
        max(height, TIMELINE_HEIGHT),
    )


_HAS = {
    "technology": "SELECT ?link WHERE { ?link ps:technology <IRI> ; ps:sharePercent ?n } LIMIT 1",
    "mineral": "SELECT ?link WHERE { ?link ps:technology <IRI> ; ps:quantity ?n } LIMIT 1",
}


def has_chart(tables: Tables, kind: str, iri: str) -> bool:
    """Whether a chart of that kind has something to draw about the entity: a small query or
    two, and no labels (an entity's page asks it)."""
    if kind == "state":
        return any(t.party == iri and t.begins for t in tables.ties()) or bool(
            state_leads(tables, iri)
        )
    return bool(tables.select(_HAS[kind].replace("IRI", iri)))
