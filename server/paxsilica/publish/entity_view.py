"""The view of an entity's page: its facts, the n-ary facts about it, links back, sources.

Plain Python over a document's triples: the page template shows it, in one language. Links
back are grouped by property with their counts (collapsed when long, as LodView shows
inverse links); a hub's page shows one page of them, with links to the other pages and to
each property's own list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import pyoxigraph as ox

from paxsilica.publish.documents import Document, Documents
from paxsilica.publish.labels import LABEL_PREDICATES, HrefFor, Labels, Link, link_to
from paxsilica.publish.neighbourhood import PageAddress, collection_query
from paxsilica.publish.paging import PageLinks, page_links
from paxsilica.publish.readable import number, percent, quantity, readable
from paxsilica.rdf.terms import RDF_TYPE, XSD_STRING, vocabulary_term

if TYPE_CHECKING:
    from paxsilica.publish.summary import Summary

DESCRIPTION_PREDICATES = (
    vocabulary_term("dcterms", "description"),
    vocabulary_term("skos", "definition"),
    vocabulary_term("rdfs", "comment"),
)
SOURCE_PREDICATE_LOCALS = ("source", "claimedBy", "contradictedBy")
SOURCE_PREDICATES_EXTERNAL = (
    vocabulary_term("prov", "wasDerivedFrom"),
    vocabulary_term("dcterms", "source"),
)
SCHEMA_URL = vocabulary_term("schema", "url")
DCTERMS_TITLE = vocabulary_term("dcterms", "title")
RDF_LANG_STRING = vocabulary_term("rdf", "langString")
# Blank nodes nested deeper than this in one value are shown as an ellipsis.
MAX_NESTED_BLANK_NODES = 6
# A property's links back are shown open up to this many, collapsed beyond.
OPEN_INCOMING = 12
# A kind of fact is shown open up to this many facts, collapsed beyond.
OPEN_FACTS = 4
TIME = "http://www.w3.org/2006/time#"
TIME_BEGINNING = ox.NamedNode(TIME + "hasBeginning")
TIME_END = ox.NamedNode(TIME + "hasEnd")
TIME_DATE = ox.NamedNode(TIME + "inXSDDate")
# Shown in the readable view by the value of another (quantities by their unit) or elsewhere
# on the page (types and names at the top).
_UNIT_LOCAL = "unitCode"
_QUANTITY_LOCALS = ("quantity", "worldQuantity")
_PERCENT_LOCALS = ("sharePercent", "deMinimisPercent")


@dataclass
class Value:
    """One value of a property: a link, a literal, or a nested blank node's rows."""

    link: Link | None = None
    text: str | None = None
    language: str | None = None
    datatype: Link | None = None
    nested: list[Row] | None = None


@dataclass
class Row:
    """A property and its values."""

    predicate: Link
    values: list[Value]


@dataclass
class Fact:
    """An n-ary fact about the entity, shown whole."""

    link: Link
    kind: Link
    rows: list[Row]
    fields: list[Row] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)


@dataclass
class Cited:
    """A source cited by the entity or its facts."""

    link: Link
    title: str | None
    address: str | None


@dataclass
class Incoming:
    """The things pointing at the entity through one property: how many, those on this page,
    and where the property's whole list is (None when this page shows them all)."""

    predicate: Link
    count: int
    subjects: list[Link]
    more: str | None = None
    wording: str | None = None

    @property
    def open(self) -> bool:
        """Whether the group is shown open: a short list, all on this page."""
        return self.more is None and self.count <= OPEN_INCOMING


@dataclass
class Paging:
    """Where a page of a hub's document lies: its pager, the document's first page (its own
    statements; None on that page), and the property a page is restricted to."""

    links: PageLinks
    document: str | None
    property: Link | None = None


@dataclass
class EntityView:
    """Everything an entity page shows."""

    iri: str
    label: str
    description: str | None
    types: list[Link]
    rows: list[Row]
    facts: list[tuple[Link, list[Fact]]]
    incoming: list[Incoming]
    sources: list[Cited]
    document_iri: str
    paging: Paging | None = None
    fields: list[Row] = field(default_factory=list)
    summary: Summary | None = None


class _PageBuilder:
    """Builds links and rows for the terms of one document in one language."""

    def __init__(
        self,
        docs: Documents,
        document: Document,
        lang: str,
        href_for: HrefFor,
        ontology: Labels,
        words: Mapping[str, str],
    ):
        self.docs = docs
        self.lang = lang
        self.words = words
        self.ps = docs.site.ontology_ns
        self.href_for = href_for
        self.labels = Labels(document.triples, docs.site, ontology)
        self.by_subject: dict[ox.Term, list[ox.Triple]] = defaultdict(list)
        for t in document.triples:
            self.by_subject[t.subject].append(t)
        self.source_predicates = {
            *(ox.NamedNode(docs.site.ontology_ns + local) for local in SOURCE_PREDICATE_LOCALS),
            *SOURCE_PREDICATES_EXTERNAL,
        }

    def link(self, iri: str) -> Link:
        return link_to(iri, self.labels, self.lang, self.href_for)

    def literal_in_language(
        self, subject: ox.Term, predicates: Sequence[ox.NamedNode]
    ) -> str | None:
        for predicate in predicates:
            values = [
                t.object
                for t in self.by_subject.get(subject, ())
                if t.predicate == predicate and isinstance(t.object, ox.Literal)
            ]
            for wanted in (self.lang, "en", None):
                for value in sorted(values, key=lambda v: v.value):
                    if wanted is None or value.language == wanted:
                        return value.value
        return None

    def value(self, term: ox.Term, seen: frozenset) -> Value:
        if isinstance(term, ox.NamedNode):
            return Value(link=self.link(term.value))
        if isinstance(term, ox.BlankNode):
            if term in seen or len(seen) >= MAX_NESTED_BLANK_NODES:
                return Value(text="…")
            return Value(nested=self.rows(term, seen | {term}))
        datatype = None
        if not term.language and term.datatype not in (XSD_STRING, RDF_LANG_STRING):
            datatype = self.link(term.datatype.value)
        return Value(text=term.value, language=term.language, datatype=datatype)

    def rows(self, subject: ox.Term, seen: frozenset = frozenset()) -> list[Row]:
        grouped: dict[ox.NamedNode, list[ox.Term]] = defaultdict(list)
        for t in self.by_subject.get(subject, ()):
            grouped[t.predicate].append(t.object)
        rows = []
        for predicate, objects in grouped.items():
            values = [self.value(o, seen) for o in objects]
            values.sort(key=lambda v: (v.link.text if v.link else (v.text or "")).casefold())
            rows.append(Row(self.link(predicate.value), values))
        # rdf:type first, then by the property's name in the page's language.
        rows.sort(key=lambda r: (r.predicate.iri != RDF_TYPE.value, r.predicate.text.casefold()))
        return rows

    def say(self, key: str, **values: str) -> str:
        return self.words.get(key, key).format(**values)

    def objects(self, subject: ox.Term, predicate: ox.NamedNode) -> list[ox.Term]:
        return [t.object for t in self.by_subject.get(subject, ()) if t.predicate == predicate]

    def instant(self, node: ox.Term) -> str | None:
        """An OWL-Time instant as a day, or its bounds when only they are known."""
        for predicate, key in (
            (TIME_DATE, None),
            (ox.NamedNode(self.ps + "noLaterThan"), "no_later_than"),
            (ox.NamedNode(self.ps + "noEarlierThan"), "no_earlier_than"),
        ):
            for value in self.objects(node, predicate):
                if isinstance(value, ox.Literal):
                    shown = readable(value, self.lang).text
                    return self.say(key, date=shown) if key else shown
        return None

    def interval(self, node: ox.Term) -> str | None:
        """An OWL-Time interval collapsed to its days: ``from 12 December 2025``."""
        parts = []
        for predicate, key in ((TIME_BEGINNING, "from_date"), (TIME_END, "until_date")):
            for end in self.objects(node, predicate):
                shown = self.instant(end)
                if shown is not None:
                    parts.append(self.say(key, date=shown))
        return " ".join(parts) or None

    def when(self, node: ox.BlankNode) -> str | None:
        """What a blank node says in words when it is a time: an interval or an instant."""
        return self.interval(node) or self.instant(node)

    def shown(self, predicate: ox.NamedNode, term: ox.Literal, subject: ox.Term) -> str:
        """A literal as a reader reads it: units in words, percentages, yes and no."""
        local = predicate.value.removeprefix(self.ps)
        if local in _QUANTITY_LOCALS:
            unit = next((u.value for u in self.objects(subject, self.unit) if u), None)
            return quantity(term, unit, self.lang)
        if local in _PERCENT_LOCALS:
            try:
                return percent(Decimal(term.value), self.lang)
            except InvalidOperation:
                return term.value
        if term.datatype is not None and term.datatype.value.endswith("#boolean"):
            return self.words.get("value_" + term.value, term.value)
        return readable(term, self.lang).text

    def in_language(self, literals: list[ox.Literal]) -> list[ox.Literal]:
        """The literals of the page's language, else English, else all (untagged kept)."""
        tagged = [v for v in literals if v.language]
        for wanted in (self.lang, "en"):
            chosen = [v for v in tagged if v.language == wanted]
            if chosen:
                return [v for v in literals if not v.language] + chosen
        return literals

    def readable_values(self, subject, predicate, objects, seen) -> list[Value]:
        literals = self.in_language([o for o in objects if isinstance(o, ox.Literal)])
        values = [Value(text=self.shown(predicate, o, subject)) for o in literals]
        for o in objects:
            if isinstance(o, ox.NamedNode):
                values.append(Value(link=self.link(o.value)))
            elif isinstance(o, ox.BlankNode):
                said = self.when(o)
                if said is not None:
                    values.append(Value(text=said))
                elif o in seen or len(seen) >= MAX_NESTED_BLANK_NODES:
                    values.append(Value(text="…"))
                else:
                    values.append(Value(nested=self.fields(o, seen | {o})))
        return values

    def fields(
        self,
        subject: ox.Term,
        seen: frozenset = frozenset(),
        topic: bool = False,
        around: ox.Term | None = None,
    ):
        """The readable rows of a subject: no types or names (the page shows them above),
        values formatted, times collapsed, quantities with their units; a fact about the
        page's topic (``around``) does not name the topic again."""
        skipped = {RDF_TYPE, *LABEL_PREDICATES, self.unit}
        if topic:
            skipped |= set(DESCRIPTION_PREDICATES)
        grouped: dict[ox.NamedNode, list[ox.Term]] = defaultdict(list)
        for t in self.by_subject.get(subject, ()):
            if t.predicate not in skipped and t.object != around:
                grouped[t.predicate].append(t.object)
        rows = []
        for predicate, objects in grouped.items():
            values = self.readable_values(subject, predicate, objects, seen)
            values.sort(key=lambda v: (v.link.text if v.link else (v.text or "")).casefold())
            rows.append(Row(self.link(predicate.value), values))
        rows.sort(key=lambda r: r.predicate.text.casefold())
        return rows

    @property
    def unit(self) -> ox.NamedNode:
        return ox.NamedNode(self.ps + _UNIT_LOCAL)


def _types(page: _PageBuilder, topic: ox.NamedNode) -> list[Link]:
    return sorted(
        (
            page.link(t.object.value)
            for t in page.by_subject.get(topic, ())
            if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)
        ),
        key=lambda link: link.text,
    )


def _fact_kind(page: _PageBuilder, node: ox.Term, nary: set[ox.NamedNode]) -> str | None:
    """The n-ary class of a node, or None when it is not an n-ary fact."""
    return next(
        (
            u.object.value
            for u in page.by_subject.get(node, ())
            if u.predicate == RDF_TYPE and u.object in nary
        ),
        None,
    )


def _facts(
    page: _PageBuilder, document: Document, topic: ox.NamedNode, nary: set[ox.NamedNode]
) -> tuple[list[tuple[Link, list[Fact]]], list[ox.Term]]:
    """The n-ary facts that point at the topic, grouped by kind; and their nodes."""
    kinds = {
        t.subject: kind
        for t in document.triples
        if t.object == topic
        and t.subject != topic
        and (kind := _fact_kind(page, t.subject, nary)) is not None
    }
    by_kind: dict[str, list[Fact]] = defaultdict(list)
    for node in sorted(kinds, key=lambda n: n.value):
        kind = kinds[node]
        by_kind[kind].append(
            Fact(
                page.link(node.value),
                page.link(kind),
                page.rows(node),
                page.fields(node, around=topic),
                _marks(page, node),
            )
        )
    grouped = [
        (facts[0].kind, sorted(facts, key=lambda f: f.link.text.casefold()))
        for facts in by_kind.values()
    ]
    return sorted(grouped, key=lambda pair: pair[0].text), list(kinds)


def _marks(page: _PageBuilder, node: ox.Term) -> list[str]:
    """What a reader must know of a fact before its figures: contested, derived."""
    ps = page.ps
    marks = []
    types = {t.value for t in page.objects(node, RDF_TYPE)}
    if ps + "ContestedClaim" in types or page.objects(node, ox.NamedNode(ps + "contradictedBy")):
        marks.append("contested")
    if ox.NamedNode(ps + "ComputedShare") in page.objects(node, ox.NamedNode(ps + "shareBasis")):
        marks.append("derived")
    return marks


def _wording(page: _PageBuilder, predicate: str, count: int) -> str | None:
    """A link back in words: ``home state of 93 companies``; None for a property with none."""
    local = predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    template = page.words.get("back_" + local)
    return template.format(count=number(count, page.lang)) if template else None


def _incoming(page: _PageBuilder, document: Document, topic: ox.NamedNode) -> list[Incoming]:
    """The links back, by property: counted over the whole document, listed for this page."""
    by_predicate: dict[str, set[str]] = defaultdict(set)
    for t in document.triples:
        if (
            t.object == topic
            and isinstance(t.subject, ox.NamedNode)
            and t.subject != topic
            and t.subject.value != document.iri
        ):
            by_predicate[t.predicate.value].add(t.subject.value)
    paging = document.paging
    counts = paging.counts.by_property if paging else {}
    groups = []
    for predicate in set(by_predicate) | (set(counts) if paging else set()):
        subjects = sorted(
            (page.link(s) for s in by_predicate.get(predicate, ())),
            key=lambda link: link.text.casefold(),
        )
        count = counts.get(predicate, len(subjects))
        more = None
        if paging is not None and count > len(subjects):
            more = page.href_for(paging.address.document + collection_query(predicate))
        wording = _wording(page, predicate, count)
        groups.append(Incoming(page.link(predicate), count, subjects, more, wording))
    return sorted(groups, key=lambda g: g.predicate.text.casefold())


def _paging(page: _PageBuilder, document: Document) -> Paging | None:
    paging = document.paging
    if paging is None:
        return None
    address = paging.address
    base, window = address.document, address.window

    def href(number: int) -> str | None:
        return page.href_for(PageAddress(base, window.at(number), address.property_iri).answer_iri)

    return Paging(
        links=page_links(window, href),
        document=None if address.answer_iri == base else page.href_for(base),
        property=page.link(address.property_iri) if address.property_iri else None,
    )


def _sources(page: _PageBuilder, document: Document, citing: set[ox.Term]) -> list[Cited]:
    cited_nodes = sorted(
        {
            t.object
            for t in document.triples
            if t.subject in citing
            and t.predicate in page.source_predicates
            and isinstance(t.object, ox.NamedNode)
        },
        key=lambda node: node.value,
    )
    sources = []
    for node in cited_nodes:
        address = next(
            (
                t.object.value
                for t in page.by_subject.get(node, ())
                if t.predicate == SCHEMA_URL and isinstance(t.object, ox.NamedNode)
            ),
            None,
        )
        title = page.literal_in_language(node, (DCTERMS_TITLE,))
        sources.append(Cited(page.link(node.value), title, address))
    return sorted(sources, key=lambda s: s.link.text.casefold())


def entity_view(
    docs: Documents,
    document: Document,
    lang: str,
    href_for: HrefFor,
    ontology: Labels,
    words: Mapping[str, str] | None = None,
) -> EntityView:
    """Return the view of a document's primary topic; ``ontology`` names the ontology's terms,
    ``words`` are the pages' strings in the language (the readable fields' phrases)."""
    page = _PageBuilder(docs, document, lang, href_for, ontology, words or {})
    topic = ox.NamedNode(document.topic)
    facts, fact_nodes = _facts(page, document, topic, set(docs.nary_classes))
    citing = {topic, *fact_nodes} | {
        t.subject for t in document.triples if isinstance(t.subject, ox.BlankNode)
    }
    return EntityView(
        iri=document.topic,
        label=page.labels.label(document.topic, lang),
        description=page.literal_in_language(topic, DESCRIPTION_PREDICATES),
        types=_types(page, topic),
        rows=page.rows(topic),
        facts=facts,
        incoming=_incoming(page, document, topic),
        sources=_sources(page, document, citing),
        document_iri=document.iri,
        paging=_paging(page, document),
        fields=page.fields(topic, topic=True),
    )
