"""The index tables: supply links, inputs of the chain, minerals, export controls, states,
companies, sources, events and claims, each as rows of readable cells built from SPARQL over
the store.

A table is a :class:`Spec`, made by :func:`table`: its columns (the first always names the
row's entity), the SELECT whose ``?row`` answers are its rows (the downloads' tests compare
with it), the function that makes one row's other cells from that row's values, and what the
rows share, worked out once per table (``prepare``). :func:`select`
filters, sorts and pages rows as a reader's request asks; nothing here knows HTTP. Cells keep
the machine value (a Decimal, a date, an IRI) beside the text shown in the reader's language,
so that the page, the CSV and the XLSX tell the same thing.
"""

from __future__ import annotations

import datetime
import threading
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from paxsilica import bundle
from paxsilica.publish import as_of
from paxsilica.publish.documents import Documents, summaries
from paxsilica.publish.labels import LABEL_PREDICATES, HrefFor, Labels, Link, link_to
from paxsilica.publish.readable import percent, readable, unit_words

DEFAULT_PAGE_SIZE = 50
# A page never holds more rows than this, whatever it asks.
MAX_PAGE_SIZE = 200
PAGE_SIZES = (25, 50, 100, 200)


@dataclass(frozen=True)
class Column:
    """A column: its name, its CSVW datatype, whether its cells name entities (then the
    downloads add ``<name>_iri``), whether it is a facet (filtered by ``?<name>=key``), and
    whether only the downloads carry it."""

    key: str
    datatype: str = "string"
    links: bool = False
    facet: bool = False
    hidden: bool = False


@dataclass(frozen=True)
class Cell:
    """What a row holds in a column: the text shown, the value kept, the entities named."""

    text: str = ""
    value: Any = None
    links: tuple[Link, ...] = ()
    key: str = ""
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.text and not self.links


EMPTY = Cell()


@dataclass
class Row:
    """One row: the entity it is about, its cells by column, and whether it shows data
    licensed apart (the ETO graphs)."""

    iri: str
    link: Link
    cells: dict[str, Cell]
    apart: bool = False


@dataclass
class Context:
    """What building a table's rows needs: the data, the language, the day, the words."""

    docs: Documents
    lang: str
    href_for: HrefFor
    labels: Labels
    on: datetime.date
    words: Mapping[str, str]
    standings: dict[str, as_of.Standing]
    assessments: list[as_of.Assessment]
    tables: Tables
    # The application's root path, which every link of the rows begins with.
    root: str = ""

    def select(self, query: str) -> list[dict[str, Any]]:
        return self.tables.select(query)

    def link(self, iri: str) -> Link:
        return link_to(iri, self.labels, self.lang, self.href_for)

    def links(self, iris: Iterable[str]) -> Cell:
        found = tuple(self.link(i) for i in iris)
        return Cell("; ".join(k.text for k in found), found[0].text if found else None, found)

    def all_of(self, values: Values, name: str) -> Cell:
        """The entities a variable names for a row, as one cell of links."""
        return self.links(t.value for t in values.get(name, ()))

    def entity_of(self, values: Values, name: str) -> Cell:
        """The first entity a variable names for a row, as a cell."""
        return self.entity(_iri(values, name))

    def entity(self, iri: str | None) -> Cell:
        if not iri:
            return EMPTY
        found = self.link(iri)
        return Cell(found.text, found.text, (found,), key=local_key(iri))

    def standing(self, party: str | None) -> Cell:
        if not party:
            return EMPTY
        found = as_of.standing(self.standings, party)
        return Cell(
            self.words.get("bloc_" + found.status, found.status), found.status, key=found.status
        )


# A row's values: each variable of the table's SELECT, its distinct terms for that row.
Values = dict[str, list]
# How a table makes a row's cells (besides its name): from the context, the row's IRI, its
# values and what ``prepare`` worked out once for all the rows.
Cells = Callable[[Context, str, Values, Any], dict[str, Cell]]


def _nothing(ctx: Context) -> None:
    return None


@dataclass(frozen=True)
class Spec:
    """A table: its key, its columns (the first names the row), the SELECT whose ``?row``
    answers are its rows, how a row's cells are made, and the default order."""

    key: str
    columns: tuple[Column, ...]
    query: str
    cells: Cells
    sort: str = "name"
    descending: bool = False
    dated: bool = False
    charts: bool = False
    prepare: Callable[[Context], Any] = _nothing

    def build(self, ctx: Context, found_solutions: list) -> list[Row]:
        """The table's rows, one per entity its SELECT answers, named then filled."""
        shared = self.prepare(ctx)
        return [
            _row(ctx, iri, {"name": _name(ctx, iri), **self.cells(ctx, iri, values, shared)})
            for iri, values in grouped(found_solutions).items()
        ]

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    @property
    def shown(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.hidden)

    @property
    def facets(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.facet)


NAME = Column("name", links=True)


def table(key: str, columns: tuple[Column, ...], query: str, cells: Cells, **options: Any) -> Spec:
    """A table whose first column names each row's entity, then the given columns."""
    return Spec(key, (NAME, *columns), query, cells, **options)


def local_key(iri: str) -> str:
    """The last segment of an IRI (``CN``, ``MarketShare``): what a facet filter names."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def solutions(results: Any) -> list[dict[str, Any]]:
    """A SELECT's answer as one dict per solution, variable name to term (None when unbound)."""
    names = [v.value for v in results.variables]
    return [{name: solution[name] for name in names} for solution in results]


def grouped(found_solutions: list[dict], row: str = "row") -> dict[str, dict[str, list]]:
    """Solutions grouped by the row they are about: each variable's distinct values, in order."""
    found: dict[str, dict[str, list]] = OrderedDict()
    for solution in found_solutions:
        values = found.setdefault(solution[row].value, defaultdict(list))
        for name, term in solution.items():
            _collect(values, name, term)
    return found


def _collect(values: dict[str, list], name: str, term: Any) -> None:
    if term is not None and term not in values[name]:
        values[name].append(term)


def _first(values: dict[str, list], name: str) -> Any:
    found = values.get(name)
    return found[0] if found else None


def _iri(values: dict[str, list], name: str) -> str | None:
    term = _first(values, name)
    return term.value if term is not None else None


def literal(term: ox.Literal | None, lang: str) -> Cell:
    """A literal's cell: formatted for the language, its value kept."""
    if term is None:
        return EMPTY
    shown = readable(term, lang)
    return Cell(shown.text, shown.value, key=str(shown.value))


def share(term: ox.Literal | None, lang: str) -> Cell:
    """A percentage's cell."""
    if term is None:
        return EMPTY
    value = Decimal(term.value)
    return Cell(percent(value, lang), value)


def count(value: int, lang: str) -> Cell:
    return Cell(literal(ox.Literal(str(value), datatype=_INTEGER), lang).text, value)


_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def _counts(ctx: Context, query: str) -> dict[str, int]:
    return {r["row"].value: int(r["n"].value) for r in ctx.select(query)}


def _row(ctx: Context, iri: str, cells: dict[str, Cell]) -> Row:
    return Row(iri, ctx.link(iri), cells, apart=iri in ctx.tables.apart_entities())


def _name(ctx: Context, iri: str) -> Cell:
    found = ctx.link(iri)
    return Cell(found.text, found.text, (found,))


# -- supply links --------------------------------------------------------------------------

SUPPLY_LINKS_QUERY = """
SELECT ?row ?technology ?supplier ?stage ?share ?year ?basis ?quantity ?unit ?source WHERE {
  ?row a ps:SupplyLink ; ps:technology ?technology ; ps:supplier ?supplier ;
      ps:supplyStage ?stage .
  OPTIONAL { ?row ps:sharePercent ?share }
  OPTIONAL { ?row ps:referenceYear ?year }
  OPTIONAL { ?row ps:shareBasis ?basis }
  OPTIONAL { ?row ps:quantity ?quantity }
  OPTIONAL { ?row ps:unitCode ?unit }
  OPTIONAL { ?row ps:source ?source }
}
"""
_HOME_STATES = "SELECT ?row ?state WHERE { ?row ps:homeState ?state }"


def _quantity(values: dict[str, list], lang: str) -> tuple[Cell, Cell]:
    amount, unit = _first(values, "quantity"), _first(values, "unit")
    if amount is None:
        return EMPTY, EMPTY
    code = unit.value if unit is not None else ""
    words = unit_words(code, lang)
    shown = readable(amount, lang)
    return Cell(f"{shown.text} {words}".strip(), shown.value), Cell(words, code, key=code)


def supply_link_cells(ctx: Context, iri: str, values: Values, homes: dict) -> dict[str, Cell]:
    supplier = _iri(values, "supplier")
    quantity, unit = _quantity(values, ctx.lang)
    return {
        "technology": ctx.entity_of(values, "technology"),
        "supplier": ctx.entity(supplier),
        "bloc": ctx.standing(homes.get(supplier or "", supplier)),
        "stage": ctx.entity_of(values, "stage"),
        "share": share(_first(values, "share"), ctx.lang),
        "year": literal(_first(values, "year"), ctx.lang),
        "basis": ctx.entity_of(values, "basis"),
        "quantity": quantity,
        "unit": unit,
        "sources": ctx.all_of(values, "source"),
    }


SUPPLY_LINKS = table(
    "supply-links",
    (
        Column("technology", links=True, facet=True),
        Column("supplier", links=True, facet=True),
        Column("bloc", facet=True),
        Column("stage", links=True, facet=True),
        Column("share", "number"),
        Column("year", "gYear", facet=True),
        Column("basis", links=True, facet=True),
        Column("quantity", "number"),
        Column("unit", hidden=True),
        Column("sources", links=True),
    ),
    SUPPLY_LINKS_QUERY,
    supply_link_cells,
    sort="share",
    descending=True,
    dated=True,
    prepare=lambda ctx: ctx.tables.home_states(),
)


# -- inputs of the chain and minerals ------------------------------------------------------

TECHNOLOGIES_QUERY = """
SELECT ?row ?kind ?component WHERE {
  ?row a ps:Technology .
  OPTIONAL { ?row ps:inputKind ?kind }
  OPTIONAL { ?row ps:inComponent ?component }
}
"""
MINERALS_QUERY = """
SELECT ?row ?control WHERE {
  ?row a ps:Material ; ps:isTypeOf* ?kind .
  ?kind ps:inComponent <{component}> .
  OPTIONAL { ?control a ps:ExportControl ; ps:covers ?covered . ?covered ps:isTypeOf* ?row }
}
"""


@dataclass(frozen=True)
class Leader:
    """A technology's largest supplier in the latest year with shares, and how many supply."""

    supplier: str | None
    share: Cell
    year: Cell
    suppliers: int


def leaders(links: list[Row]) -> dict[str, Leader]:
    """Each technology's leading supplier, from the supply-link rows."""
    by_technology: dict[str, list[Row]] = defaultdict(list)
    for row in links:
        technology = row.cells["technology"].links
        if technology:
            by_technology[technology[0].iri].append(row)
    return {iri: _leader(rows) for iri, rows in by_technology.items()}


def _leader(rows: list[Row]) -> Leader:
    suppliers = {r.cells["supplier"].links[0].iri for r in rows if r.cells["supplier"].links}
    shared = [r for r in rows if r.cells["share"].value is not None]
    if not shared:
        return Leader(None, EMPTY, EMPTY, len(suppliers))
    best = max(shared, key=lambda r: (r.cells["year"].value or "", r.cells["share"].value))
    top = best.cells["supplier"].links
    return Leader(
        top[0].iri if top else None, best.cells["share"], best.cells["year"], len(suppliers)
    )


def _leader_cells(ctx: Context, leader: Leader | None) -> dict[str, Cell]:
    if leader is None:
        return {"suppliers": count(0, ctx.lang)}
    return {
        "suppliers": count(leader.suppliers, ctx.lang),
        "leader": ctx.entity(leader.supplier),
        "leader_share": leader.share,
        "leader_year": leader.year,
        "leader_bloc": ctx.standing(leader.supplier),
    }


def technology_cells(ctx: Context, iri: str, values: Values, tops: dict) -> dict[str, Cell]:
    return {
        "kind": ctx.entity_of(values, "kind"),
        "component": ctx.all_of(values, "component"),
        **_leader_cells(ctx, tops.get(iri)),
    }


def _leaders(ctx: Context) -> dict[str, Leader]:
    return leaders(ctx.tables.rows(SUPPLY_LINKS, ctx))


_LEADER_COLUMNS = (
    Column("suppliers", "integer"),
    Column("leader", links=True, facet=True),
    Column("leader_share", "number"),
    Column("leader_year", "gYear"),
    Column("leader_bloc", facet=True),
)
TECHNOLOGIES = table(
    "technologies",
    (Column("kind", links=True, facet=True), Column("component", links=True), *_LEADER_COLUMNS),
    TECHNOLOGIES_QUERY,
    technology_cells,
    dated=True,
    charts=True,
    prepare=_leaders,
)


def mineral_cells(ctx: Context, iri: str, values: Values, tops: dict) -> dict[str, Cell]:
    return {**_leader_cells(ctx, tops.get(iri)), "controls": ctx.all_of(values, "control")}


def minerals_query(docs: Documents) -> str:
    """The minerals: the materials under the mineral-refining component, or kinds of them."""
    component = docs.site.entity_base + "component/mineral-refining-and-processing"
    return MINERALS_QUERY.replace("{component}", component)


# -- export controls -----------------------------------------------------------------------

EXPORT_CONTROLS_QUERY = """
SELECT ?row ?imposer ?issued ?from ?suspendedUntil ?source WHERE {
  ?row a ps:ExportControl .
  OPTIONAL { ?row ps:imposedBy ?imposer }
  OPTIONAL { ?row ps:issuedOn ?issued }
  OPTIONAL { ?row ps:inForceFrom ?from }
  OPTIONAL { ?row ps:suspendedUntil ?suspendedUntil }
  OPTIONAL { ?row ps:source ?source }
}
"""
_CAVEATS = "SELECT ?row ?comment WHERE { ?row a ps:StatusAssessment ; rdfs:comment ?comment }"


def _status(ctx: Context, control: str, issued: Cell) -> dict[str, Cell]:
    found = as_of.status_on(ctx.assessments, control, ctx.on)
    if found is None:
        before = isinstance(issued.value, datetime.date) and ctx.on < issued.value
        key = "not-issued" if before else "not-assessed"
        return {"status": Cell(ctx.words.get("status_" + key, key), key, key=key)}
    label = ctx.link(found.status)
    note = ctx.tables.caveat(found.iri, ctx.lang) if key_of(found.status) == "StatusUnknown" else ""
    until = (
        literal(ox.Literal(found.until.isoformat(), datatype=_DATE), ctx.lang)
        if found.until
        else EMPTY
    )
    return {
        "status": Cell(label.text, key_of(found.status), (label,), key_of(found.status), note),
        "status_from": literal(ox.Literal(found.starts.isoformat(), datatype=_DATE), ctx.lang),
        "status_until": until,
        "assessment": ctx.entity(found.iri),
    }


_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")


def key_of(iri: str) -> str:
    return local_key(iri)


def export_control_cells(ctx: Context, iri: str, values: Values, _: None) -> dict[str, Cell]:
    issued = literal(_first(values, "issued"), ctx.lang)
    return {
        "imposer": ctx.entity_of(values, "imposer"),
        "issued": issued,
        "in_force_from": literal(_first(values, "from"), ctx.lang),
        "suspended_until": literal(_first(values, "suspendedUntil"), ctx.lang),
        **_status(ctx, iri, issued),
        "sources": ctx.all_of(values, "source"),
    }


EXPORT_CONTROLS = table(
    "export-controls",
    (
        Column("imposer", links=True, facet=True),
        Column("issued", "date"),
        Column("in_force_from", "date"),
        Column("suspended_until", "date"),
        Column("status", facet=True),
        Column("status_from", "date"),
        Column("status_until", "date"),
        Column("assessment", links=True, hidden=True),
        Column("sources", links=True),
    ),
    EXPORT_CONTROLS_QUERY,
    export_control_cells,
    sort="issued",
    dated=True,
)


# -- states, companies, sources ------------------------------------------------------------

STATES_QUERY = """
SELECT ?row ?alpha2 ?alpha3 WHERE {
  ?row a ps:State .
  OPTIONAL { ?row ps:isoAlpha2 ?alpha2 }
  OPTIONAL { ?row ps:isoAlpha3 ?alpha3 }
}
"""
_SUPPLIED = (
    "SELECT ?row (COUNT(DISTINCT ?link) AS ?n) WHERE { ?link ps:supplier ?row } GROUP BY ?row"
)
_COMPANIES = "SELECT ?row (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c ps:homeState ?row } GROUP BY ?row"
_CITED = "SELECT ?row (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x ps:source ?row } GROUP BY ?row"


def _since(ctx: Context, party: str) -> Cell:
    found = as_of.standing(ctx.standings, party)
    if found.since is None:
        return EMPTY
    return literal(ox.Literal(found.since.isoformat(), datatype=_DATE), ctx.lang)


def state_cells(ctx: Context, iri: str, values: Values, counts: tuple) -> dict[str, Cell]:
    supplied, companies = counts
    return {
        "alpha2": literal(_first(values, "alpha2"), ctx.lang),
        "alpha3": literal(_first(values, "alpha3"), ctx.lang),
        "bloc": ctx.standing(iri),
        "since": _since(ctx, iri),
        "companies": count(companies.get(iri, 0), ctx.lang),
        "supply_links": count(supplied.get(iri, 0), ctx.lang),
    }


STATES = table(
    "states",
    (
        Column("alpha2"),
        Column("alpha3"),
        Column("bloc", facet=True),
        Column("since", "date"),
        Column("companies", "integer"),
        Column("supply_links", "integer"),
    ),
    STATES_QUERY,
    state_cells,
    dated=True,
    prepare=lambda ctx: (_counts(ctx, _SUPPLIED), _counts(ctx, _COMPANIES)),
)

COMPANIES_QUERY = """
SELECT ?row ?home ?source WHERE {
  ?row a ps:Company .
  OPTIONAL { ?row ps:homeState ?home }
  OPTIONAL { ?row ps:source ?source }
}
"""


def company_cells(ctx: Context, iri: str, values: Values, supplied: dict) -> dict[str, Cell]:
    home = _iri(values, "home")
    return {
        "home": ctx.entity(home),
        "bloc": ctx.standing(home),
        "supply_links": count(supplied.get(iri, 0), ctx.lang),
        "sources": ctx.all_of(values, "source"),
    }


COMPANIES = table(
    "companies",
    (
        Column("home", links=True, facet=True),
        Column("bloc", facet=True),
        Column("supply_links", "integer"),
        Column("sources", links=True),
    ),
    COMPANIES_QUERY,
    company_cells,
    dated=True,
    prepare=lambda ctx: _counts(ctx, _SUPPLIED),
)

SOURCES_QUERY = """
SELECT ?row ?title ?publisher ?date ?url ?locator WHERE {
  ?row a ps:Source .
  OPTIONAL { ?row dcterms:title ?title }
  OPTIONAL { ?row dcterms:publisher ?publisher }
  OPTIONAL { ?row dcterms:date ?date }
  OPTIONAL { ?row schema:url ?url }
}
"""


def _address(ctx: Context, url: Any) -> Cell:
    if url is None:
        return Cell(ctx.words.get("no_address", "no address"), None, key="none")
    return Cell(url.value, url.value, (Link(url.value, url.value, url.value, external=True),))


def source_cells(ctx: Context, iri: str, values: Values, cited: dict) -> dict[str, Cell]:
    return {
        "title": _text(values, "title", ctx.lang),
        "publisher": ctx.entity_of(values, "publisher"),
        "date": literal(_first(values, "date"), ctx.lang),
        "address": _address(ctx, _first(values, "url")),
        "cited": count(cited.get(iri, 0), ctx.lang),
    }


def _text(values: Values, name: str, lang: str) -> Cell:
    """A text in the reader's language (else English, else any) as a cell."""
    found = _pick_language(values.get(name, ()), lang)
    return Cell(found, found) if found else EMPTY


def _pick_language(terms: Iterable[ox.Literal], lang: str) -> str:
    by_lang = {t.language or "": t.value for t in terms}
    return by_lang.get(lang) or by_lang.get("en") or next(iter(by_lang.values()), "")


SOURCES = table(
    "sources",
    (
        Column("title"),
        Column("publisher", links=True, facet=True),
        Column("date"),
        Column("address", "anyURI"),
        Column("cited", "integer"),
    ),
    SOURCES_QUERY,
    source_cells,
    prepare=lambda ctx: _counts(ctx, _CITED),
)

MINERALS = table(
    "minerals",
    (*_LEADER_COLUMNS, Column("controls", links=True)),
    MINERALS_QUERY,
    mineral_cells,
    dated=True,
    charts=True,
    prepare=_leaders,
)


# -- events and claims ---------------------------------------------------------------------

EVENTS_QUERY = """
SELECT ?row ?kind ?date ?place ?host ?participant ?signer ?confidence ?source WHERE {
  ?row a ps:Event .
  OPTIONAL { ?row a ?kind . ?kind rdfs:subClassOf ps:Event . FILTER(?kind != ps:Event) }
  OPTIONAL { ?row ps:date ?date }
  OPTIONAL { ?row ps:placeName ?place }
  OPTIONAL { ?row ps:hostState ?host }
  OPTIONAL { ?row ps:participant ?participant }
  OPTIONAL { ?row ps:signedBy ?signer }
  OPTIONAL { ?row ps:confidence ?confidence }
  OPTIONAL { ?row ps:source ?source }
}
"""


def event_cells(ctx: Context, iri: str, values: Values, _: None) -> dict[str, Cell]:
    return {
        "event_kind": ctx.all_of(values, "kind"),
        "date": literal(_first(values, "date"), ctx.lang),
        "place": _text(values, "place", ctx.lang),
        "host": ctx.entity_of(values, "host"),
        "participants": ctx.all_of(values, "participant"),
        "signers": ctx.all_of(values, "signer"),
        "confidence": ctx.entity_of(values, "confidence"),
        "sources": ctx.all_of(values, "source"),
    }


EVENTS = table(
    "events",
    (
        Column("event_kind", links=True, facet=True),
        Column("date", "date"),
        Column("place"),
        Column("host", links=True, facet=True),
        Column("participants", links=True, facet=True),
        Column("signers", links=True),
        Column("confidence", links=True, facet=True),
        Column("sources", links=True),
    ),
    EVENTS_QUERY,
    event_cells,
    sort="date",
    descending=True,
)

CLAIMS_QUERY = """
SELECT ?row ?text ?about ?claimedBy ?contradictedBy ?confidence ?comment WHERE {
  ?row a ps:Claim .
  OPTIONAL { ?row ps:claimText ?text }
  OPTIONAL { ?row ps:about ?about }
  OPTIONAL { ?row ps:claimedBy ?claimedBy }
  OPTIONAL { ?row ps:contradictedBy ?contradictedBy }
  OPTIONAL { ?row ps:confidence ?confidence }
  OPTIONAL { ?row rdfs:comment ?comment }
}
"""


def _contested(ctx: Context, values: Values) -> Cell:
    """Whether a claim is contested: some source contradicts it (what defines
    ps:ContestedClaim, so the answer needs no reasoner)."""
    key = "contested" if values.get("contradictedBy") else "uncontested"
    return Cell(ctx.words.get("claim_" + key, key), key == "contested", key=key)


def claim_cells(ctx: Context, iri: str, values: Values, _: None) -> dict[str, Cell]:
    return {
        "contested": _contested(ctx, values),
        "confidence": ctx.entity_of(values, "confidence"),
        "claim_text": _text(values, "text", ctx.lang),
        "about": ctx.all_of(values, "about"),
        "claimed_by": ctx.all_of(values, "claimedBy"),
        "contradicted_by": ctx.all_of(values, "contradictedBy"),
        "note": _text(values, "comment", ctx.lang),
    }


CLAIMS = table(
    "claims",
    (
        Column("contested", "boolean", facet=True),
        Column("confidence", links=True, facet=True),
        Column("claim_text"),
        Column("about", links=True, facet=True),
        Column("claimed_by", links=True, facet=True),
        Column("contradicted_by", links=True),
        Column("note"),
    ),
    CLAIMS_QUERY,
    claim_cells,
    sort="contested",
    descending=True,
)

SPECS: dict[str, Spec] = {
    spec.key: spec
    for spec in (
        SUPPLY_LINKS,
        TECHNOLOGIES,
        MINERALS,
        EXPORT_CONTROLS,
        STATES,
        COMPANIES,
        SOURCES,
        EVENTS,
        CLAIMS,
    )
}


# -- the tables of one dataset -------------------------------------------------------------


class Tables:
    """The tables over one dataset: what every table needs is read once (labels, the bloc's
    memberships, the status assessments), and rows are kept per table, language and day."""

    def __init__(self, docs: Documents, ontology_labels: Labels | None = None, size: int = 48):
        self.docs = docs
        self._ontology_labels = ontology_labels
        self._size = size
        self._rows: OrderedDict[tuple, list[Row]] = OrderedDict()
        self._lock = threading.RLock()
        self._once: dict[str, Any] = {}

    def _read_once(self, name: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._once:
                self._once[name] = make()
            return self._once[name]

    def prepare(self) -> None:
        """Read now what every table, chart and summary reads first (so that processes forked
        afterwards share it instead of each reading it on its first request)."""
        self.labels()
        self.ties()
        self.assessments()
        self.home_states()
        self.apart_entities()

    def select(self, query: str) -> list[dict[str, Any]]:
        docs = self.docs
        return solutions(docs.store.query(query, prefixes=docs.prefixes, default_graph=docs.graphs))

    def labels(self) -> Labels:
        """Every label of the dataset, read once."""

        def make() -> Labels:
            predicates = " ".join(str(p) for p in LABEL_PREDICATES)
            query = f"CONSTRUCT {{ ?x ?p ?l }} WHERE {{ VALUES ?p {{ {predicates} }} ?x ?p ?l }}"
            triples = self.docs.store.query(query, default_graph=self.docs.graphs)
            return Labels(triples, self.docs.site, self._ontology_labels)

        return self._read_once("labels", make)

    def labels_of(self, iris: Iterable[str]) -> Labels:
        """The labels of some IRIs only (a chart's), the ontology's terms as the fallback."""
        nodes = (ox.NamedNode(i) for i in set(iris) if i)
        triples = summaries(self.docs.store, nodes, self.docs.graphs)
        return Labels(triples, self.docs.site, self._ontology_labels)

    def ties(self) -> list[as_of.Tie]:
        docs = self.docs
        return self._read_once("ties", lambda: as_of.ties(docs.store, docs.prefixes, docs.graphs))

    def assessments(self) -> list[as_of.Assessment]:
        docs = self.docs
        return self._read_once(
            "assessments", lambda: as_of.assessments(docs.store, docs.prefixes, docs.graphs)
        )

    def home_states(self) -> dict[str, str]:
        """Each company's home state (the first, by IRI), which places it in or out of the bloc."""

        def make() -> dict[str, str]:
            found: dict[str, str] = {}
            for r in sorted(self.select(_HOME_STATES), key=lambda r: r["state"].value):
                found.setdefault(r["row"].value, r["state"].value)
            return found

        return self._read_once("homes", make)

    def caveat(self, assessment: str, lang: str) -> str:
        """The words of an assessment saying why its status is unknown."""

        def make() -> dict[str, dict[str, str]]:
            found: dict[str, dict[str, str]] = defaultdict(dict)
            for r in self.select(_CAVEATS):
                found[r["row"].value][r["comment"].language or ""] = r["comment"].value
            return found

        by_lang = self._read_once("caveats", make).get(assessment, {})
        return by_lang.get(lang) or by_lang.get("en") or ""

    def apart_entities(self) -> frozenset[str]:
        """The entities the graphs licensed apart say something about or point at."""

        def make() -> frozenset[str]:
            graphs = [g for g in self.docs.graphs if bundle.licensed_apart(g)]
            if not graphs:
                return frozenset()
            names = " ".join(str(g) for g in graphs)
            found: set[str] = set()
            for pattern in ("?x ?p ?o", "?s ?p ?x FILTER(isIRI(?x))"):
                inside = f"VALUES ?g {{ {names} }} GRAPH ?g {{ {pattern} }}"
                query = f"SELECT DISTINCT ?x WHERE {{ {inside} }}"
                found.update(r["x"].value for r in self.select(query) if r["x"] is not None)
            return frozenset(found)

        return self._read_once("apart", make)

    def query_of(self, spec: Spec) -> str:
        """The SELECT whose ``?row`` answers are the table's rows."""
        return minerals_query(self.docs) if spec is MINERALS else spec.query

    def context(
        self,
        lang: str,
        on: datetime.date,
        href_for: HrefFor,
        words: Mapping[str, str],
        root: str = "",
        labels: Labels | None = None,
    ) -> Context:
        """What building rows needs on a day; ``labels`` (for a few IRIs: see
        :meth:`labels_of`) spares reading every label of the dataset."""
        return Context(
            self.docs,
            lang,
            href_for,
            labels if labels is not None else self.labels(),
            on,
            words,
            as_of.standings(self.ties(), on),
            self.assessments(),
            self,
            root,
        )

    def rows(self, spec: Spec, ctx: Context) -> list[Row]:
        """All the rows of a table in a language on a day (kept for the next request)."""
        key = (spec.key, ctx.lang, ctx.on if spec.dated else None, ctx.root)
        with self._lock:
            found = self._rows.get(key)
        if found is not None:
            return found
        answer = self._read_once("answer " + spec.key, lambda: self.select(self.query_of(spec)))
        made = spec.build(ctx, answer)
        with self._lock:
            self._rows[key] = made
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)
        return made


# -- what a reader asks: filter, sort, page ------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A reader's request of a table: sort, filters (text, facets), page."""

    sort: str | None = None
    descending: bool | None = None
    text: str = ""
    facets: Mapping[str, str] = field(default_factory=dict)
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE


@dataclass
class Selection:
    """The rows a request selects: all that match (for downloads) and the page shown."""

    matching: list[Row]
    rows: list[Row]
    page: int
    pages: int
    size: int
    sort: str
    descending: bool
    options: dict[str, list[tuple[str, str]]]

    @property
    def total(self) -> int:
        return len(self.matching)

    @property
    def apart(self) -> bool:
        """Whether what is shown or downloaded holds data licensed apart."""
        return any(r.apart for r in self.matching)


def folded(text: str) -> str:
    """Text for matching and sorting: case and accents folded (``Taïwan`` = ``taiwan``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _matches(row: Row, request: Request) -> bool:
    for key, wanted in request.facets.items():
        cell = row.cells.get(key, EMPTY)
        if wanted not in {cell.key, *(local_key(k.iri) for k in cell.links)}:
            return False
    if request.text:
        needle = folded(request.text)
        return any(needle in folded(c.text) for c in row.cells.values())
    return True


def _sort_key(value: Any) -> tuple:
    if isinstance(value, str):
        return (1, folded(value))
    if isinstance(value, datetime.date):
        return (0, value.toordinal())
    return (0, value)


def ordered(rows: list[Row], column: str, descending: bool) -> list[Row]:
    """Rows by a column's values (empty cells last either way), then by name."""
    rows = sorted(rows, key=lambda r: folded(r.link.text))
    known = [r for r in rows if r.cells.get(column, EMPTY).value is not None]
    unknown = [r for r in rows if r.cells.get(column, EMPTY).value is None]
    known.sort(key=lambda r: _sort_key(r.cells[column].value), reverse=descending)
    return known + unknown


def options(rows: list[Row], spec: Spec) -> dict[str, list[tuple[str, str]]]:
    """The values each facet can take in the table, as (key, text), by text."""
    found: dict[str, dict[str, str]] = {c.key: {} for c in spec.facets}
    for row in rows:
        for key, choices in found.items():
            cell = row.cells.get(key, EMPTY)
            if cell.key:
                choices.setdefault(cell.key, cell.text)
            elif cell.links:
                # A cell naming entities is found by each of them (_matches).
                for named in cell.links:
                    choices.setdefault(local_key(named.iri), named.text)
    return {k: sorted(v.items(), key=lambda kv: folded(kv[1])) for k, v in found.items()}


def check(spec: Spec, request: Request) -> None:
    """Refuse what the table cannot do: raise ValueError saying why."""
    if request.sort is not None and spec.column(request.sort) is None:
        names = ", ".join(c.key for c in spec.columns)
        raise ValueError(f"no column {request.sort!r} to sort by; columns: {names}")
    for key in request.facets:
        column = spec.column(key)
        if column is None or not column.facet:
            names = ", ".join(c.key for c in spec.facets)
            raise ValueError(f"no filter {key!r} on this table; filters: {names}")
    if not 1 <= request.size <= MAX_PAGE_SIZE:
        raise ValueError(f"a page holds between 1 and {MAX_PAGE_SIZE} rows")
    if request.page < 1:
        raise ValueError("pages are numbered from 1")


def select(rows: list[Row], spec: Spec, request: Request) -> Selection:
    """The rows a request selects, sorted, and its page (the last page when beyond it)."""
    check(spec, request)
    sort = request.sort or spec.sort
    descending = spec.descending if request.descending is None else request.descending
    if request.sort is not None and request.descending is None:
        descending = False
    matching = ordered([r for r in rows if _matches(r, request)], sort, descending)
    pages = max(1, -(-len(matching) // request.size))
    page = min(request.page, pages)
    start = (page - 1) * request.size
    shown = matching[start : start + request.size]
    return Selection(
        matching, shown, page, pages, request.size, sort, descending, options(rows, spec)
    )
