"""The plain summary that opens an entity page: a few clauses in the reader's language.

Each kind of entity (a state, an input of the chain, a supply link, an export control, a
company, an event, a source, a claim, a membership) has its own summary, made from SPARQL
over the store: every count and figure is the store's answer, never written here. The words
come from the pages' strings (``sum_*`` keys, with ``{placeholders}``), given by the web
layer as ``words``. A membership, a state and an export control also say where they stood
on a day (``on``), with :mod:`paxsilica.publish.as_of`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from paxsilica.publish import as_of
from paxsilica.publish.labels import HrefFor
from paxsilica.publish.readable import day, percent, quantity, readable
from paxsilica.publish.tables import Tables, local_key

# How many examples a clause names before it says "and N more".
EXAMPLES = 3


@dataclass
class Status:
    """Where something stood on a day: a key (``InForce``, ``signatory``, ``not-begun``…),
    its words, and the caveat in words when the status is unknown."""

    key: str
    text: str
    caveat: str = ""


@dataclass
class SourceCard:
    """What a source page shows first: title, publisher, date, address (or its absence), and
    the tables and rows of it the data was read from."""

    title: str | None
    publisher: str | None
    publisher_href: str | None
    date: str | None
    address: str | None
    read_from: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Summary:
    """The opening of an entity page: its name, the clauses about it, marks (``contested``,
    ``derived``), its status on a day (when its kind has one), a source's card."""

    name: str
    clauses: list[str]
    marks: list[str] = field(default_factory=list)
    status: Status | None = None
    dated: bool = False
    source: SourceCard | None = None


class _Reader:
    """Runs the summary's queries about one topic and words their answers in one language."""

    def __init__(
        self,
        tables: Tables,
        topic: str,
        lang: str,
        words: Mapping[str, str],
        on: datetime.date,
        href_for: HrefFor,
    ):
        self.href_for = href_for
        self.tables = tables
        self.topic = topic
        self.lang = lang
        self.words = words
        self.on = on
        self.labels = tables.labels()
        self.ps = tables.docs.site.ontology_ns
        self._own: dict[str, list[Any]] | None = None

    def own(self) -> dict[str, list[Any]]:
        """The topic's own statements, by property (an ontology term by its local name), read
        in one plain query that every store answers quickly."""
        if self._own is None:
            found: dict[str, list[Any]] = defaultdict(list)
            for x in self.select("SELECT ?p ?o WHERE { ?this ?p ?o }"):
                found[x["p"].value.removeprefix(self.ps)].append(x["o"])
            self._own = {k: sorted(v, key=lambda t: t.value) for k, v in found.items()}
        return self._own

    def values(self, *names: str) -> dict[str, Any]:
        """The first value of each property (None when it has none), by name."""
        own = self.own()
        return {name: next(iter(own.get(name, ())), None) for name in names}

    def select(self, query: str) -> list[dict[str, Any]]:
        return self.tables.select(query.replace("?this", str(ox.NamedNode(self.topic))))

    def first(self, query: str) -> dict[str, Any]:
        found = self.select(query)
        return found[0] if found else {}

    def count(self, query: str) -> int:
        found = self.first(query).get("n")
        return int(found.value) if found is not None else 0

    def name(self, term: Any) -> str:
        return self.labels.label(term.value, self.lang) if term is not None else ""

    def common(self, term: Any) -> str:
        """A concept's name inside a sentence: ``Founding signatory`` → ``founding signatory``."""
        return mid_sentence(self.name(term))

    def text(self, term: Any) -> str:
        return readable(term, self.lang).text if term is not None else ""

    def say(self, key: str, **values: Any) -> str:
        template = self.words.get(key, key)
        if "count" in values and values["count"] == 1:
            template = self.words.get(key + "_one", template)
        shown = {
            k: readable(ox.Literal(str(v), datatype=_INTEGER), self.lang).text
            if isinstance(v, int)
            else v
            for k, v in values.items()
        }
        return template.format(**shown)

    def in_language(self, terms: Iterable[Any]) -> str:
        by_lang = {t.language or "": t.value for t in terms if t is not None}
        return by_lang.get(self.lang) or by_lang.get("en") or next(iter(by_lang.values()), "")

    def names(self, terms: Iterable[Any], common: bool = False) -> str:
        """Some names, the first few and how many more."""
        shown = sorted({self.common(t) if common else self.name(t) for t in terms}, key=str.lower)
        listed = ", ".join(shown[:EXAMPLES])
        if len(shown) > EXAMPLES:
            listed += " " + self.say("sum_and_more", count=len(shown) - EXAMPLES)
        return listed

    def on_text(self) -> str:
        return day(self.on, self.lang)


_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def mid_sentence(name: str) -> str:
    """A common noun's label as it reads inside a sentence (acronyms and names kept)."""
    first = name.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].isalpha() and first[1:].islower():
        return name[0].lower() + name[1:]
    return name


# -- states and organisations --------------------------------------------------------------

_MEMBERSHIPS = """
SELECT ?m ?role ?day ?latest ?place WHERE {
  ?m a ps:Membership ; org:member ?this ; org:memberDuring/time:hasBeginning ?b .
  OPTIONAL { ?m org:role ?role }
  OPTIONAL { ?b time:inXSDDate ?day } OPTIONAL { ?b ps:noLaterThan ?latest }
  OPTIONAL { ?m ps:beganAt/ps:placeName ?place }
}
"""
_PARTICIPATIONS = """
SELECT ?m ?role ?day ?latest ?place WHERE {
  ?m a ps:Participation ; ps:party ?this ; time:hasTime/time:hasBeginning ?b .
  OPTIONAL { ?m ps:participationRole ?role }
  OPTIONAL { ?b time:inXSDDate ?day } OPTIONAL { ?b ps:noLaterThan ?latest }
  OPTIONAL { ?m ps:beganAt/ps:placeName ?place }
}
"""
# The shares of every input the topic supplies, by suppliers of its class (states with
# states, companies with companies), per stage and year: the leads are found in Python, the
# same on every store (a remote server compares literals of the subquery its own way).
SHARES = """
SELECT ?t ?stage ?y ?supplier ?s WHERE {
  { SELECT DISTINCT ?t ?stage ?y WHERE {
      ?mine ps:supplier ?this ; ps:technology ?t ; ps:supplyStage ?stage ;
         ps:referenceYear ?y ; ps:sharePercent ?share } }
  ?o ps:technology ?t ; ps:supplyStage ?stage ; ps:referenceYear ?y ; ps:sharePercent ?s ;
     ps:supplier ?supplier .
  ?supplier a <{class}> .
}
"""
_SUPPLIES = """
SELECT (COUNT(DISTINCT ?l) AS ?n) (COUNT(DISTINCT ?t) AS ?inputs) WHERE {
  ?l a ps:SupplyLink ; ps:supplier ?this ; ps:technology ?t }
"""
_COMPANIES = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a ps:Company ; ps:homeState ?this }"


def _tie_clause(r: _Reader, query: str, key: str) -> str | None:
    """The earliest membership (or participation) and its role, day and place."""
    found = r.select(query)
    dated = [x for x in found if x["day"] is not None or x["latest"] is not None]
    if not dated:
        return None
    first = min(dated, key=lambda x: (x["day"] or x["latest"]).value)
    place = r.in_language(x["place"] for x in found if x["m"] == first["m"])
    when = r.text(first["day"]) if first["day"] is not None else None
    clause = r.say(
        key if when else key + "_by",
        role=r.common(first["role"]) if first["role"] is not None else "",
        date=when or r.text(first["latest"]),
    )
    return f"{clause} ({place})" if place else clause


def leads(r: _Reader, supplier_class: str) -> list[tuple[str, Decimal]]:
    """The inputs where the topic holds the largest share among suppliers of its class for
    a stage and a year, with its best such share; largest first."""
    answer = r.select(SHARES.replace("{class}", r.ps + supplier_class))
    best: dict[tuple[str, str, str], Decimal] = {}
    for x in answer:
        key = (x["t"].value, x["stage"].value, x["y"].value)
        best[key] = max(best.get(key, Decimal(x["s"].value)), Decimal(x["s"].value))
    found: dict[str, Decimal] = {}
    for x in answer:
        key, share = (x["t"].value, x["stage"].value, x["y"].value), Decimal(x["s"].value)
        if x["supplier"].value == r.topic and share == best[key]:
            found[key[0]] = max(found.get(key[0], share), share)
    return sorted(found.items(), key=lambda item: (-item[1], item[0]))


def _leads_clause(r: _Reader, supplier_class: str, key: str) -> str | None:
    found = leads(r, supplier_class)
    if not found:
        return None
    examples = ", ".join(
        f"{r.common(ox.NamedNode(t))} ({percent(share, r.lang)})" for t, share in found[:EXAMPLES]
    )
    return r.say(key, count=len(found), examples=examples)


def _supplies_clause(r: _Reader) -> str | None:
    found = r.first(_SUPPLIES)
    links = int(found["n"].value) if found else 0
    if not links:
        return None
    return r.say("sum_supplies", count=links, inputs=int(found["inputs"].value))


def _standing(r: _Reader, party: str) -> Status:
    found = as_of.standing(as_of.standings(r.tables.ties(), r.on), party)
    words = r.say("bloc_" + found.status)
    return Status(found.status, r.say("sum_status_on", date=r.on_text(), status=words))


def party_summary(r: _Reader) -> Summary:
    clauses = [
        _tie_clause(r, _MEMBERSHIPS, "sum_member")
        or _tie_clause(r, _PARTICIPATIONS, "sum_participant")
        or r.say("sum_not_member"),
        _leads_clause(r, "State", "sum_leads"),
        _supplies_clause(r),
    ]
    companies = r.count(_COMPANIES)
    if companies:
        clauses.append(r.say("sum_home_of", count=companies))
    return Summary(r.name(ox.NamedNode(r.topic)), _present(clauses), status=_standing(r, r.topic))


def _present(clauses: Iterable[str | None]) -> list[str]:
    return [c for c in clauses if c]


# -- companies -----------------------------------------------------------------------------

_HOME = "SELECT ?home WHERE { ?this ps:homeState ?home } ORDER BY ?home"


def company_summary(r: _Reader) -> Summary:
    homes = [x["home"] for x in r.select(_HOME)]
    clauses = [
        r.say("sum_company_home", home=r.names(homes)) if homes else r.say("sum_company"),
        _leads_clause(r, "Company", "sum_leads_companies"),
        _supplies_clause(r),
    ]
    status = _standing(r, homes[0].value) if homes else None
    if status is not None:
        status.text = r.say("sum_home_standing", home=r.name(homes[0]), status=status.text)
    return Summary(r.name(ox.NamedNode(r.topic)), _present(clauses), status=status)


# -- inputs of the chain and minerals ------------------------------------------------------

_MINERAL = """
SELECT ?k WHERE { ?this ps:isTypeOf* ?k . ?k ps:inComponent <{minerals}> } LIMIT 1
"""
_TOP_LINK = """
SELECT ?l ?supplier ?share ?year ?stage ?basis WHERE {
  ?l a ps:SupplyLink ; ps:technology ?this ; ps:supplier ?supplier ; ps:sharePercent ?share .
  OPTIONAL { ?l ps:referenceYear ?year } OPTIONAL { ?l ps:supplyStage ?stage }
  OPTIONAL { ?l ps:shareBasis ?basis }
} ORDER BY DESC(STR(?year)) DESC(?share) ?l LIMIT 1
"""
_SUPPLIERS = """
SELECT (COUNT(DISTINCT ?supplier) AS ?n) WHERE {
  { ?l a ps:SupplyLink } UNION { ?l a ps:Provision }
  ?l ps:technology ?this ; ps:supplier ?supplier }
"""
_CONTROLS = """
SELECT DISTINCT ?control WHERE {
  ?control a ps:ExportControl ; ps:covers ?covered . ?this ps:isTypeOf* ?covered }
"""
_GOES_INTO = "SELECT ?into WHERE { ?this ps:goesInto ?into }"
_WORLD = """
SELECT ?amount ?unit ?year ?stage WHERE {
  ?w a ps:WorldTotal ; ps:technology ?this ; ps:quantity ?amount ; ps:referenceYear ?year .
  OPTIONAL { ?w ps:unitCode ?unit } OPTIONAL { ?w ps:supplyStage ?stage }
} ORDER BY DESC(STR(?year)) ?w LIMIT 1
"""


def _kind_clause(r: _Reader) -> str:
    minerals = r.tables.docs.site.entity_base + "component/mineral-refining-and-processing"
    if r.select(_MINERAL.replace("{minerals}", minerals)):
        return r.say("sum_mineral")
    kind = r.values("inputKind")["inputKind"]
    if kind is not None:
        return r.say("sum_input_kind", kind=r.common(kind))
    return r.say("sum_input")


def _top_clause(r: _Reader, marks: list[str]) -> str | None:
    top = r.first(_TOP_LINK)
    if not top:
        return None
    derived = top["basis"] is not None and local_key(top["basis"].value) == "ComputedShare"
    if derived:
        marks.append("derived")
    return r.say(
        "sum_top_supplier_derived" if derived else "sum_top_supplier",
        supplier=r.name(top["supplier"]),
        share=percent(Decimal(top["share"].value), r.lang),
        details=_details(r, top.get("stage"), top.get("year")),
    )


def _details(r: _Reader, stage: Any, year: Any) -> str:
    """A stage and a year, as far as they are known: ``refining and processing, 2023``."""
    return ", ".join(p for p in (r.common(stage) if stage is not None else "", r.text(year)) if p)


def _world_clause(r: _Reader) -> str | None:
    found = r.first(_WORLD)
    if not found:
        return None
    unit = found["unit"].value if found["unit"] is not None else None
    return r.say(
        "sum_world",
        amount=quantity(found["amount"], unit, r.lang),
        details=_details(r, found["stage"], found["year"]),
    )


def technology_summary(r: _Reader) -> Summary:
    marks: list[str] = []
    controls = [x["control"] for x in r.select(_CONTROLS)]
    into = [x["into"] for x in r.select(_GOES_INTO)]
    suppliers = r.count(_SUPPLIERS)
    clauses = [
        _kind_clause(r),
        _top_clause(r, marks),
        r.say("sum_suppliers", count=suppliers) if suppliers else None,
        _world_clause(r),
        r.say("sum_goes_into", names=r.names(into, common=True)) if into else None,
        r.say("sum_controlled", count=len(controls), names=r.names(controls)) if controls else None,
    ]
    return Summary(r.name(ox.NamedNode(r.topic)), _present(clauses), marks)


# -- supply links --------------------------------------------------------------------------


_LINK = {
    "supplier": "supplier",
    "technology": "technology",
    "stage": "supplyStage",
    "share": "sharePercent",
    "qualifier": "shareQualifier",
    "year": "referenceYear",
    "basis": "shareBasis",
    "amount": "quantity",
    "world": "worldQuantity",
    "unit": "unitCode",
    "estimated": "estimated",
    "confidence": "confidence",
}


def _share_text(r: _Reader, found: dict) -> str:
    if found.get("share") is None:
        return r.say("sum_no_share")
    shown = percent(Decimal(found["share"].value), r.lang)
    qualifier = found.get("qualifier")
    if qualifier is not None and local_key(qualifier.value) != "Exactly":
        shown = f"{r.common(qualifier)} {shown}"
    return shown


def _amounts_clause(r: _Reader, found: dict) -> str | None:
    if found.get("amount") is None:
        return None
    unit = found["unit"].value if found.get("unit") is not None else None
    amount = quantity(found["amount"], unit, r.lang)
    if found.get("world") is None:
        return r.say("sum_quantity", amount=amount)
    return r.say("sum_quantity_of", amount=amount, world=quantity(found["world"], unit, r.lang))


def supply_link_summary(r: _Reader) -> Summary:
    own = r.values(*_LINK.values())
    found = {name: own[local] for name, local in _LINK.items()}
    marks: list[str] = []
    basis = found.get("basis")
    clauses = [
        r.say(
            "sum_link",
            share=_share_text(r, found),
            technology=r.common(found.get("technology")),
            details=_details(r, found.get("stage"), found.get("year")),
        ),
        _amounts_clause(r, found),
        r.common(basis) if basis is not None else None,
        r.say("sum_estimated") if r.text(found.get("estimated")) == "true" else None,
        r.common(found.get("confidence")) if found.get("confidence") is not None else None,
    ]
    if basis is not None and local_key(basis.value) == "ComputedShare":
        marks.append("derived")
    supplier = r.name(found.get("supplier")) or r.name(ox.NamedNode(r.topic))
    return Summary(supplier, _present(clauses), marks)


# -- export controls -----------------------------------------------------------------------


def _control_status(r: _Reader, issued: datetime.date | None) -> Status:
    found = as_of.status_on(r.tables.assessments(), r.topic, r.on)
    if found is None:
        key = "not-issued" if issued is not None and r.on < issued else "not-assessed"
        return Status(key, r.say("sum_status_on", date=r.on_text(), status=r.say("status_" + key)))
    key = local_key(found.status)
    words = mid_sentence(r.name(ox.NamedNode(found.status)))
    caveat = r.tables.caveat(found.iri, r.lang) if key == "StatusUnknown" else ""
    if key == "StatusUnknown" and not caveat:
        caveat = r.say("sum_unknown_caveat")
    return Status(key, r.say("sum_status_on", date=r.on_text(), status=words), caveat)


def export_control_summary(r: _Reader) -> Summary:
    """An export control: who imposed it, its announced days, what it covers, its status."""
    summarised = measure_summary(r)
    issued = r.values("issuedOn")["issuedOn"]
    issued_day = readable(issued, "en").value if issued is not None else None
    summarised.status = _control_status(
        r, issued_day if isinstance(issued_day, datetime.date) else None
    )
    summarised.dated = True
    return summarised


def measure_summary(r: _Reader) -> Summary:
    """A trade measure (a suspension too): who imposed it, its days, what it covers or
    suspends; only an export control's status is assessed, so only it says one."""
    own = r.values("imposedBy", "issuedOn", "inForceFrom", "suspendedUntil")
    first = {
        "imposer": own["imposedBy"],
        "issued": own["issuedOn"],
        "from": own["inForceFrom"],
        "until": own["suspendedUntil"],
    }
    covered, suspended = r.own().get("covers", []), r.own().get("suspends", [])
    clauses = [
        r.say("sum_imposed_by", imposer=r.name(first["imposer"])) if first.get("imposer") else None,
        r.say("sum_issued", date=r.text(first["issued"])) if first.get("issued") else None,
        r.say("sum_in_force_from", date=r.text(first["from"])) if first.get("from") else None,
        r.say("sum_suspended_until", date=r.text(first["until"])) if first.get("until") else None,
        r.say("sum_covers", names=r.names(covered, common=True)) if covered else None,
        r.say("sum_suspends", names=r.names(suspended)) if suspended else None,
    ]
    return Summary(r.name(ox.NamedNode(r.topic)), _present(clauses))


# -- memberships and participations --------------------------------------------------------

_TIE = """
SELECT ?party ?role ?group ?day ?latest ?end ?event WHERE {
  { ?this org:member ?party ; org:memberDuring ?period .
    OPTIONAL { ?this org:role ?role } OPTIONAL { ?this org:organization ?group } }
  UNION
  { ?this ps:party ?party ; time:hasTime ?period .
    OPTIONAL { ?this ps:participationRole ?role } OPTIONAL { ?this ps:participationIn ?group } }
  OPTIONAL { ?period time:hasBeginning ?b .
    OPTIONAL { ?b time:inXSDDate ?day } OPTIONAL { ?b ps:noLaterThan ?latest } }
  OPTIONAL { ?period time:hasEnd/time:inXSDDate ?end }
  OPTIONAL { ?this ps:beganAt ?event }
} LIMIT 1
"""


def _tie_status(r: _Reader, found: dict) -> Status:
    begins = found.get("day") or found.get("latest")
    begin_day = readable(begins, "en").value if begins is not None else None
    end = found.get("end")
    end_day = readable(end, "en").value if end is not None else None
    if not isinstance(begin_day, datetime.date):
        key = "unknown"
    elif r.on < begin_day:
        key = "not-begun"
    elif isinstance(end_day, datetime.date) and end_day < r.on:
        key = "ended"
    else:
        key = "in-force"
    text = r.say("sum_status_on", date=r.on_text(), status=r.say("tie_" + key))
    caveat = r.say("sum_tie_unknown_caveat") if key == "unknown" else ""
    return Status(key, text, caveat)


def tie_summary(r: _Reader) -> Summary:
    found = r.first(_TIE)
    begins = found.get("day") or found.get("latest")
    clauses = [
        r.say(
            "sum_tie",
            role=r.common(found.get("role")),
            group=r.name(found.get("group")),
        ),
        r.say("sum_tie_from" if found.get("day") else "sum_tie_by", date=r.text(begins))
        if begins is not None
        else None,
        r.say("sum_tie_until", date=r.text(found["end"])) if found.get("end") else None,
        r.say("sum_began_at", event=r.name(found["event"])) if found.get("event") else None,
    ]
    name = r.name(found.get("party")) or r.name(ox.NamedNode(r.topic))
    return Summary(name, _present(clauses), status=_tie_status(r, found), dated=True)


# -- events --------------------------------------------------------------------------------

_BEGAN_HERE = "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?m a ps:Membership ; ps:beganAt ?this }"
_PARTICIPANTS = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?this ps:participant ?p }"


def event_summary(r: _Reader, kind: str) -> Summary:
    own = r.values("date", "hostState")
    first = {"date": own["date"], "host": own["hostState"]}
    place = r.in_language(r.own().get("placeName", ()))
    began, participants = r.count(_BEGAN_HERE), r.count(_PARTICIPANTS)
    clauses = [
        kind + (" " + r.say("sum_on", date=r.text(first["date"])) if first.get("date") else ""),
        r.say("sum_in", place=place) if place else None,
        r.say("sum_host", host=r.name(first["host"])) if first.get("host") else None,
        r.say("sum_signed_here", count=began) if began else None,
        r.say("sum_participants", count=participants) if participants else None,
    ]
    return Summary(r.name(ox.NamedNode(r.topic)), _present(clauses))


# -- sources and claims --------------------------------------------------------------------

DCTERMS = "http://purl.org/dc/terms/"
SCHEMA_URL = "https://schema.org/url"
CITED = """
SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {
  { ?x ps:source ?this } UNION { ?x ps:claimedBy ?this } UNION { ?x ps:contradictedBy ?this } }
"""
_LOCATORS = """
SELECT ?where (COUNT(DISTINCT ?x) AS ?n) WHERE {
  ?x ps:source ?this ; ps:sourceLocator ?locator .
  BIND(IF(CONTAINS(?locator, ", "), STRBEFORE(?locator, ", "), ?locator) AS ?where)
} GROUP BY ?where ORDER BY DESC(?n) ?where
"""


def source_card(r: _Reader) -> SourceCard:
    """A source's title, publisher, date, address and the tables the data read from it."""
    own = r.own()
    first = r.values(DCTERMS + "date")
    title = r.in_language(own.get(DCTERMS + "title", ())) or None
    publisher = next(iter(own.get(DCTERMS + "publisher", ())), None)
    url = next(iter(own.get(SCHEMA_URL, ())), None)
    return SourceCard(
        title,
        r.name(publisher) if publisher is not None else None,
        r.href_for(publisher.value) if publisher is not None else None,
        r.text(first[DCTERMS + "date"]) if first[DCTERMS + "date"] is not None else None,
        url.value if url is not None else None,
        [
            (x["where"].value, r.say("source_rows", count=int(x["n"].value)))
            for x in r.select(_LOCATORS)
        ],
    )


def source_summary(r: _Reader) -> Summary:
    card = source_card(r)
    cited = r.count(CITED)
    clauses = [
        r.say("sum_published_by", publisher=card.publisher) if card.publisher else None,
        card.date,
        r.say("sum_cited", count=cited) if cited else None,
        None if card.address else r.say("sum_no_address"),
    ]
    marks = [] if card.address else ["no-address"]
    return Summary(
        card.title or r.name(ox.NamedNode(r.topic)), _present(clauses), marks, source=card
    )


def claim_summary(r: _Reader) -> Summary:
    own = r.own()
    by, against = own.get("claimedBy", []), own.get("contradictedBy", [])
    confidence = r.values("confidence")["confidence"]
    text = r.in_language(own.get("claimText", ()))
    clauses = [
        r.say("sum_claimed_by", by=r.names(by)) if by else None,
        f"“{text}”" if text else None,
        r.say("sum_contested", count=len({a.value for a in against}), names=r.names(against))
        if against
        else r.say("sum_uncontested"),
        r.common(confidence) if confidence is not None else None,
    ]
    marks = ["contested"] if against else []
    return Summary(r.name(ox.NamedNode(r.topic)), _present(clauses), marks)


# -- anything else -------------------------------------------------------------------------

_DATES = """
SELECT ?p ?value WHERE {
  ?this ?p ?value FILTER(isLiteral(?value) && DATATYPE(?value) IN (xsd:date, xsd:gYear))
} ORDER BY ?value
"""


def generic_summary(r: _Reader, kind: str) -> Summary:
    dates = [f"{r.common(x['p'])} {r.text(x['value'])}" for x in r.select(_DATES)]
    return Summary(r.name(ox.NamedNode(r.topic)), _present([kind, *dates[:EXAMPLES]]))


# What kind of summary a page gets: the first of its classes found here, in this order.
_BY_CLASS: tuple[tuple[str, Callable[[_Reader], Summary]], ...] = (
    ("Membership", tie_summary),
    ("Participation", tie_summary),
    ("SupplyLink", supply_link_summary),
    ("ExportControl", export_control_summary),
    ("TradeMeasure", measure_summary),
    ("Claim", claim_summary),
    ("Source", source_summary),
    ("Company", company_summary),
    ("State", party_summary),
    ("InternationalOrganization", party_summary),
    ("Technology", technology_summary),
    ("Material", technology_summary),
)
_EVENTS = ("Event", "Summit", "SigningEvent")


def summary(
    tables: Tables,
    topic: str,
    types: Iterable[str],
    lang: str,
    words: Mapping[str, str],
    on: datetime.date,
    href_for: HrefFor = lambda iri: None,
) -> Summary:
    """The summary of an entity of the given classes (IRIs), in a language, on a day;
    ``href_for`` links the names a card shows (a source's publisher)."""
    r = _Reader(tables, topic, lang, words, on, href_for)
    classes = {t.removeprefix(r.ps) for t in types if t.startswith(r.ps)}
    for name, make in _BY_CLASS:
        if name in classes:
            return make(r)
    kinds = sorted(types, key=lambda t: (not t.startswith(r.ps), t))
    kind = mid_sentence(r.labels.label(kinds[0], lang)) if kinds else ""
    if classes & set(_EVENTS):
        return event_summary(r, kind)
    return generic_summary(r, kind)
