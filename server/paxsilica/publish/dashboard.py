"""The home page's dashboard: the bloc over time, single points of failure, the bloc's share
per stage of the chain, the latest events and export-control changes, on a chosen day.

Bounded whatever the store's size: what depends on the data alone is read once per dataset
version by a few SELECTs (:class:`DashboardData`: the memberships and participations, the
status assessments, the supply links above the threshold, the shares of the chain's stages);
what depends on the day is worked out from them, plus one SELECT of the latest events with a
LIMIT. Lists show at most :data:`TOP` items, with a link to the index table holding the
rest. Names come from the labels of the IRIs shown only (never every label of the store).
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox
from babel.dates import format_skeleton

from paxsilica.publish import as_of
from paxsilica.publish.documents import Documents, summaries
from paxsilica.publish.labels import HrefFor, Labels, Link, link_to
from paxsilica.publish.readable import day, percent
from paxsilica.publish.tables import Tables, local_key, minerals_query, solutions

# The most items a list of the dashboard shows; the rest are in the index tables.
TOP = 10
# A share above this is a single point of failure (the SIA/BCG threshold, as ps:DominantSupplyLink).
THRESHOLD = Decimal(65)

SINGLE_POINTS_QUERY = """
SELECT ?link ?technology ?supplier ?share ?year ?stage WHERE {
  ?link a ps:SupplyLink ; ps:technology ?technology ; ps:supplier ?supplier ;
      ps:sharePercent ?share ; ps:supplyStage ?stage .
  OPTIONAL { ?link ps:referenceYear ?year }
  FILTER(?share > 65)
  # "Various countries" is no single supplier (as for ps:DominantSupplyLink).
  FILTER NOT EXISTS { ?supplier a ps:ProviderGroup }
}
"""
# The shares of the chain's stages (design, fabrication, assembly and test) by state.
STAGE_SHARES_QUERY = """
SELECT ?technology ?link ?supplier ?share ?year WHERE {
  ?technology ps:inputKind ps:ChainStage .
  ?link a ps:SupplyLink ; ps:technology ?technology ; ps:supplier ?supplier ;
      ps:sharePercent ?share .
  ?supplier a ps:State .
  OPTIONAL { ?link ps:referenceYear ?year }
}
"""
_EVENTS = """
SELECT ?event ?day WHERE {
  ?event a ps:Event .
  OPTIONAL { ?event ps:date ?date }
  OPTIONAL { ?event ps:noLaterThan ?latest }
  BIND(COALESCE(?date, ?latest) AS ?day)
  FILTER(BOUND(?day) && STR(?day) <= "{on}")
} ORDER BY DESC(STR(?day)) ?event LIMIT {limit}
"""
_HOMES = (
    "SELECT ?company ?state WHERE { VALUES ?company { COMPANIES } ?company ps:homeState ?state }"
)

# The drawing's measures, in SVG user units.
WIDTH = 720
PLOT_LEFT = 48
PLOT_RIGHT = WIDTH - 24
PLOT_TOP = 16
PLOT_HEIGHT = 150
TIMELINE_HEIGHT = PLOT_TOP + PLOT_HEIGHT + 56
STAGE_LABEL_WIDTH = 200
STAGE_BAR_WIDTH = 400
STAGE_ROW_HEIGHT = 34


@dataclass(frozen=True)
class SupplyFact:
    """A supply link with a share: which input, which supplier, how much, which year."""

    link: str
    technology: str
    supplier: str
    share: Decimal
    year: str
    stage: str


@dataclass
class DashboardData:
    """What the dashboard reads from the data once per dataset version: IRIs and numbers, the
    single points of failure split into inputs of the chain and minerals, largest first."""

    ties: list[as_of.Tie]
    assessments: list[as_of.Assessment]
    chain: list[SupplyFact]
    minerals: list[SupplyFact]
    mineral_iris: frozenset[str]
    stage_shares: list[SupplyFact]


def _select(docs: Documents, query: str) -> list[dict[str, Any]]:
    return solutions(docs.store.query(query, prefixes=docs.prefixes, default_graph=docs.graphs))


def _facts(answer: list[dict], stage: str | None = None) -> list[SupplyFact]:
    return [
        SupplyFact(
            s["link"].value,
            s["technology"].value,
            s["supplier"].value,
            Decimal(s["share"].value),
            s["year"].value if s["year"] is not None else "",
            stage or s["stage"].value,
        )
        for s in answer
    ]


def _latest(facts: Iterable[SupplyFact]) -> list[SupplyFact]:
    """Of each input and stage, the facts of its latest year only."""
    latest: dict[tuple[str, str], str] = {}
    kept = list(facts)
    for fact in kept:
        key = (fact.technology, fact.stage)
        latest[key] = max(latest.get(key, ""), fact.year)
    return [f for f in kept if f.year == latest[(f.technology, f.stage)]]


def dashboard_data(tables: Tables) -> DashboardData:
    """Read what the dashboard needs from the data (once per dataset version); the bloc's
    memberships and the status assessments are those the tables read."""
    docs = tables.docs
    single = _latest(_facts(_select(docs, SINGLE_POINTS_QUERY)))
    single.sort(key=lambda f: (-f.share, f.technology, f.supplier))
    stages = _latest(_facts(_select(docs, STAGE_SHARES_QUERY), stage="chain"))
    minerals = frozenset(s["row"].value for s in _select(docs, minerals_query(docs)))
    return DashboardData(
        tables.ties(),
        tables.assessments(),
        [f for f in single if f.technology not in minerals],
        [f for f in single if f.technology in minerals],
        minerals,
        stages,
    )


def home_states(docs: Documents, suppliers: Iterable[str]) -> dict[str, str]:
    """The home state (the first, by IRI) of each company among some suppliers."""
    wanted = sorted(set(suppliers))
    if not wanted:
        return {}
    query = _HOMES.replace("COMPANIES", " ".join(f"<{c}>" for c in wanted))
    found: dict[str, str] = {}
    for s in sorted(_select(docs, query), key=lambda s: s["state"].value):
        found.setdefault(s["company"].value, s["state"].value)
    return found


# -- the view, on a day and in a language --------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A day the bloc changed: who began or ended, and how many signatories and participants
    there were from that day."""

    day: datetime.date
    text: str
    began: tuple[tuple[Link, str], ...]
    ended: tuple[tuple[Link, str], ...]
    signatories: int
    participants: int
    x: float
    y: float


@dataclass(frozen=True)
class BlocTimeline:
    """The bloc over time: its steps, the step lines as SVG paths, the axis."""

    steps: tuple[Step, ...]
    signatory_path: str
    participant_path: str
    ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, int], ...]
    on_x: float
    width: int
    height: int
    first_text: str
    last_text: str
    bottom: float = PLOT_TOP + PLOT_HEIGHT


@dataclass(frozen=True)
class SinglePoint:
    """A supplier holding more than the threshold of an input or mineral."""

    technology: Link
    supplier: Link
    link: Link
    stage: Link
    share: str
    year: str
    standing: str
    standing_text: str
    chart: str


@dataclass(frozen=True)
class StageBar:
    """The bloc's combined share of one stage of the chain: a sum this site computes."""

    stage: Link
    year: str
    signatories: str
    participants: str
    signatory_length: float
    participant_length: float
    y: int
    chart: str
    states: int
    signatory_sum: Decimal = Decimal(0)
    participant_sum: Decimal = Decimal(0)


@dataclass(frozen=True)
class Change:
    """An export control's status from a day (a status assessment)."""

    control: Link
    status: Link
    assessment: Link
    day: str


@dataclass
class DashboardView:
    """The dashboard in one language on one day."""

    on: datetime.date
    on_text: str
    timeline: BlocTimeline | None
    chain_points: list[SinglePoint]
    chain_total: int
    mineral_points: list[SinglePoint]
    mineral_total: int
    stages: list[StageBar]
    stage_height: int
    events: list[tuple[Link, str]]
    changes: list[Change]
    changes_total: int
    more: dict[str, str] = field(default_factory=dict)


def _standings_over(ties: list[as_of.Tie], when: datetime.date) -> tuple[int, int]:
    found = as_of.standings(ties, when)
    signatories = sum(1 for s in found.values() if s.status == as_of.SIGNATORY)
    return signatories, len(found) - signatories


def _step_path(points: list[tuple[float, float]]) -> str:
    """An SVG path going right then up or down between points (a step line)."""
    if not points:
        return ""
    parts = [f"M{points[0][0]:.1f} {points[0][1]:.1f}"]
    for (_, y0), (x1, y1) in itertools.pairwise(points):
        parts.append(f"H{x1:.1f}")
        if y1 != y0:
            parts.append(f"V{y1:.1f}")
    return " ".join(parts)


class _Naming:
    """Links for the IRIs a view shows, named from their own labels only."""

    def __init__(self, docs: Documents, iris: Iterable[str], ontology: Labels, href_for: HrefFor):
        nodes = (ox.NamedNode(i) for i in set(iris) if i)
        self.labels = Labels(summaries(docs.store, nodes, docs.graphs), docs.site, ontology)
        self.href_for = href_for

    def link(self, iri: str, lang: str) -> Link:
        return link_to(iri, self.labels, lang, self.href_for)


@dataclass
class Dashboard:
    """The dashboard over one dataset: its data read once, its views per day and language."""

    docs: Documents
    data: DashboardData
    ontology: Labels

    def view(
        self,
        on: datetime.date,
        lang: str,
        href_for: HrefFor,
        words: Mapping[str, str],
        root: str = "",
    ) -> DashboardView:
        """Return the dashboard on a day, in a language."""
        data = self.data
        standings = as_of.standings(data.ties, on)
        events = self._events(on)
        changes = sorted(
            (a for a in data.assessments if a.starts <= on),
            key=lambda a: (a.starts, a.iri),
            reverse=True,
        )
        chain, minerals = data.chain, data.minerals
        shown = [*chain[:TOP], *minerals[:TOP]]
        homes = home_states(self.docs, (f.supplier for f in shown))
        iris = {t.party for t in data.ties} | {e for e, _ in events}
        iris |= {i for f in shown for i in (f.link, f.technology, f.supplier, f.stage)}
        iris |= {i for a in changes[:TOP] for i in (a.iri, a.control, a.status)}
        iris |= {f.technology for f in data.stage_shares}
        naming = _Naming(self.docs, iris, self.ontology, href_for)

        def link(iri: str) -> Link:
            return naming.link(iri, lang)

        def point(fact: SupplyFact) -> SinglePoint:
            party = homes.get(fact.supplier, fact.supplier)
            standing = as_of.standing(standings, party).status
            kind = "mineral" if fact.technology in data.mineral_iris else "technology"
            return SinglePoint(
                link(fact.technology),
                link(fact.supplier),
                link(fact.link),
                link(fact.stage),
                percent(fact.share, lang),
                fact.year,
                standing,
                words.get("bloc_" + standing, standing),
                f"{root}/charts/{kind}/{local_key(fact.technology)}?date={on.isoformat()}",
            )

        stages = _stage_bars(data.stage_shares, standings, lang, link, root, on)
        return DashboardView(
            on=on,
            on_text=day(on, lang),
            timeline=_timeline(data.ties, on, lang, link),
            chain_points=[point(f) for f in chain[:TOP]],
            chain_total=len(chain),
            mineral_points=[point(f) for f in minerals[:TOP]],
            mineral_total=len(minerals),
            stages=stages,
            stage_height=len(stages) * STAGE_ROW_HEIGHT + 36,
            events=[(link(e), d) for e, d in _event_days(events, lang)],
            changes=[
                Change(link(a.control), link(a.status), link(a.iri), day(a.starts, lang))
                for a in changes[:TOP]
            ],
            changes_total=len(changes),
            more=_more(root, on),
        )

    def _events(self, on: datetime.date) -> list[tuple[str, str]]:
        query = _EVENTS.replace("{on}", on.isoformat()).replace("{limit}", str(TOP))
        return [(s["event"].value, s["day"].value) for s in _select(self.docs, query)]


def _event_days(events: list[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    found = []
    for iri, text in events:
        try:
            found.append((iri, day(datetime.date.fromisoformat(text), lang)))
        except ValueError:
            found.append((iri, text))
    return found


def _more(root: str, on: datetime.date) -> dict[str, str]:
    """Where the lists the dashboard cuts short continue: the index tables, on the same day."""
    date = f"date={on.isoformat()}"
    return {
        "chain": f"{root}/tables/technologies?sort=leader_share&order=desc&{date}",
        "minerals": f"{root}/tables/minerals?sort=leader_share&order=desc&{date}",
        "members": f"{root}/tables/states?bloc=signatory&{date}",
        "participants": f"{root}/tables/states?bloc=participant&{date}",
        "controls": f"{root}/tables/export-controls?sort=status_from&order=desc&{date}",
        "events": f"{root}/index/ps:Event",
    }


def _timeline(
    ties: list[as_of.Tie], on: datetime.date, lang: str, link: Any
) -> BlocTimeline | None:
    """The number of signatories and participants on each day the bloc changed, to ``on``."""
    days = sorted(
        {t.begins for t in ties if t.begins}
        | {t.ends + datetime.timedelta(1) for t in ties if t.ends}
    )
    if not days:
        return None
    first, last = min(days[0], on), max(days[-1], on)
    span = max((last - first).days, 1)

    def x(when: datetime.date) -> float:
        return PLOT_LEFT + (when - first).days * (PLOT_RIGHT - PLOT_LEFT) / span

    counts = {d: _standings_over(ties, d) for d in days}
    top = max(max(s + p for s, p in counts.values()), 1)

    def y(n: int) -> float:
        return PLOT_TOP + PLOT_HEIGHT - n * PLOT_HEIGHT / top

    steps = []
    for d in days:
        began = tuple(
            (link(t.party), t.kind) for t in sorted(ties, key=lambda t: t.party) if t.begins == d
        )
        ended = tuple(
            (link(t.party), t.kind)
            for t in sorted(ties, key=lambda t: t.party)
            if t.ends and t.ends + datetime.timedelta(1) == d
        )
        signed, taking_part = counts[d]
        steps.append(Step(d, day(d, lang), began, ended, signed, taking_part, x(d), y(signed)))
    right = (PLOT_RIGHT, 0)
    signatory = [(PLOT_LEFT, y(0))] + [(s.x, y(s.signatories)) for s in steps]
    together = [(PLOT_LEFT, y(0))] + [(s.x, y(s.signatories + s.participants)) for s in steps]
    signatory.append((right[0], signatory[-1][1]))
    together.append((right[0], together[-1][1]))
    months = _months(first, last)
    return BlocTimeline(
        tuple(steps),
        _step_path(signatory),
        _step_path(together),
        tuple((x(m), day_month(m, lang)) for m in months),
        tuple((y(n), n) for n in _count_ticks(top)),
        x(on),
        WIDTH,
        TIMELINE_HEIGHT,
        day(first, lang),
        day(last, lang),
    )


def day_month(when: datetime.date, lang: str) -> str:
    """A month as an axis names it (``Jan 2026``, ``janv. 2026``)."""
    return format_skeleton("yMMM", when, locale=lang)


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of the months between two days, at most about eight of them."""
    months = []
    current = datetime.date(first.year, first.month, 1)
    if current < first:
        current = _next_month(current)
    while current <= last:
        months.append(current)
        current = _next_month(current)
    stride = max(1, -(-len(months) // 8))
    return months[::stride]


def _next_month(when: datetime.date) -> datetime.date:
    return datetime.date(when.year + when.month // 12, when.month % 12 + 1, 1)


def _count_ticks(top: int) -> list[int]:
    stride = max(1, -(-top // 4))
    return list(range(0, top + 1, stride))


def _stage_bars(
    facts: list[SupplyFact],
    standings: dict[str, as_of.Standing],
    lang: str,
    link: Any,
    root: str,
    on: datetime.date,
) -> list[StageBar]:
    """Per stage of the chain, the sum of its signatories' and participants' stated shares."""
    by_stage: dict[str, list[SupplyFact]] = defaultdict(list)
    for fact in facts:
        by_stage[fact.technology].append(fact)
    bars = []
    for n, (stage, found) in enumerate(sorted(by_stage.items())):
        sums = {as_of.SIGNATORY: Decimal(0), as_of.PARTICIPANT: Decimal(0)}
        for fact in found:
            status = as_of.standing(standings, fact.supplier).status
            if status in sums:
                sums[status] += fact.share
        signed, taking_part = sums[as_of.SIGNATORY], sums[as_of.PARTICIPANT]
        bars.append(
            StageBar(
                link(stage),
                found[0].year,
                percent(signed, lang),
                percent(taking_part, lang),
                float(min(signed, Decimal(100))) * STAGE_BAR_WIDTH / 100,
                float(min(taking_part, Decimal(100) - min(signed, Decimal(100))))
                * STAGE_BAR_WIDTH
                / 100,
                12 + n * STAGE_ROW_HEIGHT,
                f"{root}/charts/technology/{local_key(stage)}?date={on.isoformat()}",
                len({f.supplier for f in found}),
                signed,
                taking_part,
            )
        )
    return bars
