"""Documents about entities: the RDF graph a dereferenced IRI is answered with.

A document about an entity holds every triple with the entity as subject, the n-ary facts
that point at it (memberships, supply links, claims) whole with their nested blank nodes, the
triples that point at it, the labels of everything it mentions, and a few triples about the
document itself (its primary topic, licence and dataset). Documents are built with SPARQL
CONSTRUCT on the embedded store and cached, since the published data is read-only.

An entity that more than ``PAGE_SIZE`` things point at (a hub) gets its document in pages
(paxsilica.publish.neighbourhood): the first holds its own statements and the first things
pointing at it, each page says with Hydra where the others are and how many things point at
the entity through each property; all pages together hold what the whole document would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from paxsilica import bundle, iris, media
from paxsilica.config import Settings
from paxsilica.publish import neighbourhood as hub
from paxsilica.publish.cache import BoundedCache
from paxsilica.publish.neighbourhood import Neighbourhood, PageAddress
from paxsilica.publish.paging import PageError, Window
from paxsilica.publish.serialize import (
    Rendering,
    entity_prefixes,
    jsonld_context,
    rendering_of,
    serialize,
    used_prefixes,
)
from paxsilica.publish.void import dataset_license
from paxsilica.rdf.readable import ReadableStore
from paxsilica.rdf.terms import RDF_TYPE, RDFS_LABEL, RDFS_SUBCLASS_OF, vocabulary_term

FOAF_DOCUMENT = vocabulary_term("foaf", "Document")
FOAF_PRIMARY_TOPIC = vocabulary_term("foaf", "primaryTopic")
DCTERMS_LICENSE = vocabulary_term("dcterms", "license")
VOID_IN_DATASET = vocabulary_term("void", "inDataset")

# What names a thing for people, in the order a page prefers them.
LABEL_PREDICATES: tuple[ox.NamedNode, ...] = (
    RDFS_LABEL,
    vocabulary_term("skos", "prefLabel"),
    vocabulary_term("foaf", "name"),
    vocabulary_term("dcterms", "title"),
)
# Besides its names, what a document says about each thing it mentions: a source's address.
SUMMARY_PREDICATES: tuple[ox.NamedNode, ...] = (*LABEL_PREDICATES, vocabulary_term("schema", "url"))

# Classes of n-ary facts: a document about an entity includes each such fact that points at
# the entity as a whole, since the fact means nothing without its other members.
NARY_CLASS_LOCALS = (
    "Membership",
    "Participation",
    "SupplyLink",
    "Provision",
    "WorldTotal",
    "StatusAssessment",
    "Claim",
)

# Bounds a document's (or a page's) size: only an entity with more statements of its own, or
# n-ary facts of that size, reaches it now that what points at a hub comes in pages.
MAX_DOCUMENT_TRIPLES = 100_000
# How many documents (and pages) stay cached; an unknown IRI is never cached. As many counts
# of what points at an entity.
CACHE_SIZE = 1024

# The n-ary test is a FILTER EXISTS: as a join, Oxigraph starts from every fact of those
# classes (27 ms against 0.9 ms for a state's document at 100k triples).
_DESCRIBE_QUERY = """
CONSTRUCT {{ ?topic ?p ?o . ?s ?q ?topic . ?fact ?fp ?fo . }}
WHERE {{
  {{ ?topic ?p ?o }}
  UNION {{ ?s ?q ?topic }}
  UNION {{
    ?fact ?link ?topic .
    FILTER EXISTS {{ ?fact a ?nary . VALUES ?nary {{ {nary} }} }}
    ?fact ?fp ?fo .
  }}
}}
"""

# The predicates are a FILTER, not a second VALUES: Oxigraph would otherwise scan each
# predicate whole (2 s against 16 ms for 500 things on a million-triple store).
_SUMMARY_QUERY = """
CONSTRUCT {{ ?thing ?p ?value }}
WHERE {{
  VALUES ?thing {{ {things} }}
  ?thing ?p ?value .
  FILTER(?p IN ({predicates}))
}}
"""


class DocumentTooLarge(Exception):
    """A document would exceed the size bound; says which entity."""

    def __init__(self, topic: str):
        self.topic = topic
        super().__init__(
            f"the document about {topic} would hold more than {MAX_DOCUMENT_TRIPLES} triples"
        )


@dataclass(frozen=True)
class Paging:
    """Where a page of a paged document lies, and how many things point at its topic."""

    address: PageAddress
    counts: Neighbourhood


@dataclass
class Document:
    """An RDF document: its IRI, its primary topic, its triples and its cached renderings.

    A page of a hub's document also says where it lies (``paging``); None for a document
    held whole.
    """

    iri: str
    topic: str
    triples: tuple[ox.Triple, ...]
    paging: Paging | None = None
    renderings: dict[str, Rendering] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def rendered(self, key: str, render: Callable[[], bytes]) -> Rendering:
        """Return the rendering cached under a key, making it with ``render`` the first time."""
        cached = self.renderings.get(key)
        if cached is None:
            cached = rendering_of(render())
            with self._lock:
                self.renderings.setdefault(key, cached)
        return cached


def triple_order(topic: str) -> Callable[[ox.Triple], tuple]:
    """Return a sort key that puts the topic's triples first, then named, then blank subjects."""

    # Stable order (topic first, then named nodes, then blank nodes) so that every worker
    # serializes a document to the same bytes, and so the same entity tag.
    def key(triple: ox.Triple) -> tuple:
        subject = triple.subject
        rank = 0 if subject.value == topic else (1 if isinstance(subject, ox.NamedNode) else 2)
        return (rank, subject.value, triple.predicate.value, str(triple.object))

    return key


def _blank_closure(
    store: ReadableStore, triples: set[ox.Triple], graphs: Sequence[ox.NamedNode], topic: str
) -> None:
    """Add to ``triples`` the description of every blank node they mention, recursively.

    A blank node that is a subject may be described in part only (one pointing at the
    topic), so every one is looked up.
    """
    described: set[ox.BlankNode] = set()
    pending = [
        term for t in triples for term in (t.subject, t.object) if isinstance(term, ox.BlankNode)
    ]
    while pending:
        node = pending.pop()
        if node in described:
            continue
        described.add(node)
        for graph in graphs:
            for quad in store.quads_for_pattern(node, None, None, graph):
                triples.add(quad.triple)
                if isinstance(quad.object, ox.BlankNode) and quad.object not in described:
                    pending.append(quad.object)
        if len(triples) > MAX_DOCUMENT_TRIPLES:
            raise DocumentTooLarge(topic)


def summaries(
    store: ReadableStore, things: Iterable[ox.NamedNode], graphs: Sequence[ox.NamedNode]
) -> set[ox.Triple]:
    """Return the labels (and addresses) of the given named nodes: what names them for people."""
    things = sorted(set(things), key=lambda node: node.value)
    found: set[ox.Triple] = set()
    # Chunked so that a hub's document does not make one enormous VALUES clause.
    for start in range(0, len(things), 500):
        chunk = things[start : start + 500]
        query = _SUMMARY_QUERY.format(
            predicates=", ".join(str(p) for p in SUMMARY_PREDICATES),
            things=" ".join(str(t) for t in chunk),
        )
        found.update(store.query(query, default_graph=list(graphs)))
    return found


def subclass_closure(
    store: ReadableStore, classes: Iterable[ox.NamedNode]
) -> tuple[ox.NamedNode, ...]:
    """Return the classes with all their subclasses, sorted.

    Computed once here rather than with a property path in every document query: remote
    servers differ in how they evaluate ``rdfs:subClassOf*`` (Virtuoso 7 answers nothing).
    """
    subclasses: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for quad in store.quads_for_pattern(None, RDFS_SUBCLASS_OF, None):
        if isinstance(quad.subject, ox.NamedNode):
            subclasses.setdefault(quad.object, set()).add(quad.subject)
    found = set(classes)
    frontier = list(found)
    while frontier:
        for sub in subclasses.get(frontier.pop(), ()):
            if sub not in found:
                found.add(sub)
                frontier.append(sub)
    return tuple(sorted(found, key=lambda node: node.value))


def describe(
    store: ReadableStore,
    topic: str,
    graphs: Sequence[ox.NamedNode],
    *,
    nary_classes: Sequence[ox.NamedNode],
    document_iri: str | None = None,
    dataset_iri: str | None = None,
    license_iri: str | None = None,
) -> list[ox.Triple]:
    """Return the triples of the document about ``topic``; empty when nothing mentions it.

    ``graphs`` are the named graphs the document draws on (their union is the query's
    default graph). The document's own metadata is added when ``document_iri`` is given.
    """
    node = ox.NamedNode(topic)
    query = _DESCRIBE_QUERY.format(nary=" ".join(str(c) for c in nary_classes))
    triples: set[ox.Triple] = set()
    for triple in store.query(
        query, default_graph=list(graphs), substitutions={ox.Variable("topic"): node}
    ):
        triples.add(triple)
        if len(triples) > MAX_DOCUMENT_TRIPLES:
            raise DocumentTooLarge(topic)
    if not triples:
        return []
    _complete(store, triples, graphs, topic)
    if document_iri is not None:
        triples.update(document_metadata(document_iri, topic, dataset_iri, license_iri))
    return sorted(triples, key=triple_order(topic))


def document_metadata(
    document_iri: str, topic: str, dataset_iri: str | None, license_iri: str | None
) -> list[ox.Triple]:
    """Return what a document says of itself: its primary topic, licence and dataset."""
    document = ox.NamedNode(document_iri)
    out = [
        ox.Triple(document, RDF_TYPE, FOAF_DOCUMENT),
        ox.Triple(document, FOAF_PRIMARY_TOPIC, ox.NamedNode(topic)),
    ]
    if license_iri:
        out.append(ox.Triple(document, DCTERMS_LICENSE, ox.NamedNode(license_iri)))
    if dataset_iri:
        out.append(ox.Triple(document, VOID_IN_DATASET, ox.NamedNode(dataset_iri)))
    return out


def _complete(
    store: ReadableStore, triples: set[ox.Triple], graphs: Sequence[ox.NamedNode], topic: str
) -> None:
    """Add the blank nodes' descriptions and the labels of what the triples mention."""
    _blank_closure(store, triples, graphs, topic)
    node = ox.NamedNode(topic)
    mentioned = {
        term
        for t in triples
        for term in (t.subject, t.object)
        if isinstance(term, ox.NamedNode) and term != node
    }
    triples |= summaries(store, mentioned, graphs)
    if len(triples) > MAX_DOCUMENT_TRIPLES:
        raise DocumentTooLarge(topic)


def graph_triples(store: ReadableStore, graph: ox.NamedNode, topic: str = "") -> list[ox.Triple]:
    """Return the triples of one named graph in a stable order."""
    return sorted(
        (quad.triple for quad in store.quads_for_pattern(None, None, None, graph)),
        key=triple_order(topic),
    )


class Documents:
    """The documents one application publishes, built on demand and cached."""

    def __init__(self, store: ReadableStore, settings: Settings, page_size: int | None = None):
        self.store = store
        self.settings = settings
        # How many things pointing at an entity a page holds (neighbourhood.PAGE_SIZE).
        self.page_size = page_size or hub.PAGE_SIZE
        site = self.site = settings.site
        self.ontology_iri = site.ontology_iri
        self.dataset_iri = site.dataset_iri
        self.ontology_graph = ox.NamedNode(site.graph(iris.GRAPH_ONTOLOGY))
        self.shapes_graph = ox.NamedNode(site.graph(iris.GRAPH_SHAPES))
        self.prefixes = site.prefixes
        self.nary_classes = subclass_closure(
            store,
            (
                *(ox.NamedNode(site.ontology_ns + local) for local in NARY_CLASS_LOCALS),
                vocabulary_term("org", "Membership"),
            ),
        )
        # Every graph but the shapes: the shapes describe the data, they are not part of it.
        self.graphs = sorted(
            (g for g in store.named_graphs() if g != self.shapes_graph), key=lambda g: g.value
        )
        self._cache = BoundedCache(CACHE_SIZE)
        self._counts = BoundedCache(CACHE_SIZE)
        self._context: dict | None = None
        self._context_rendering: Rendering | None = None
        self._license: str | None = None

    # -- facts the documents need ------------------------------------------------------------

    @property
    def context(self) -> dict:
        """The JSON-LD context the server publishes and compacts with."""
        if self._context is None:
            self._context = jsonld_context(self.store, self.ontology_graph, self.prefixes)
        return self._context

    def context_document(self) -> Rendering:
        """The published context as a JSON-LD context document."""
        if self._context_rendering is None:
            body = json.dumps({"@context": self.context}, indent=2, ensure_ascii=False)
            self._context_rendering = rendering_of(body.encode())
        return self._context_rendering

    @property
    def license_iri(self) -> str:
        """The dataset's licence: as the data states it, else the ontology's, else CC BY 4.0."""
        if self._license is None:
            self._license = dataset_license(self.store, self.site)
        return self._license

    def document_licence(self, entity_iri: str) -> str:
        """The licence of an entity's document: CC BY-NC 4.0 when it shows ETO-derived data."""
        apart = [g for g in self.graphs if bundle.licensed_apart(g)]
        if bundle.mentions_apart(self.store, entity_iri, apart):
            return bundle.CC_BY_NC
        return self.license_iri

    # -- documents -----------------------------------------------------------------------------

    def neighbourhood(self, entity_iri: str) -> Neighbourhood:
        """How many things point at an entity, in all and through each property (cached)."""
        return self._counts.get(
            entity_iri, lambda: hub.neighbourhood(self.store, entity_iri, self.graphs)
        )

    def entity(
        self, entity_iri: str, page: str | None = None, property_iri: str | None = None
    ) -> Document | None:
        """Return the document about an entity under /id/, or None when nothing mentions it.

        For a hub, the document is its first page; ``page`` (a page number, as the request
        gives it) and ``property_iri`` (only what points at the entity through it) choose
        another page, or raise PageError for one that does not exist.
        """
        document_iri = self.site.document_for(entity_iri)
        if document_iri is None:
            return None
        if page in (None, "", "1") and property_iri is None:
            return self._cache.get(
                "entity " + entity_iri, lambda: self._first_page(entity_iri, document_iri)
            )
        return self._cache.get(
            f"page {entity_iri} {property_iri} {page}",
            lambda: self._page(entity_iri, document_iri, page, property_iri),
        )

    def _first_page(self, entity_iri: str, document_iri: str) -> Document | None:
        pointing = hub.things_pointing_at(
            self.store, entity_iri, self.graphs, 0, self.page_size + 1
        )
        if len(pointing) > self.page_size:
            return self._page(entity_iri, document_iri, None, None)
        triples = describe(
            self.store,
            entity_iri,
            self.graphs,
            nary_classes=self.nary_classes,
            document_iri=document_iri,
            dataset_iri=self.dataset_iri,
            license_iri=self.document_licence(entity_iri),
        )
        return Document(document_iri, entity_iri, tuple(triples)) if triples else None

    def _page(
        self, entity_iri: str, document_iri: str, page: str | None, property_iri: str | None
    ) -> Document | None:
        counts = self.neighbourhood(entity_iri)
        if property_iri is not None and property_iri not in counts.by_property:
            raise PageError(f"nothing points at {entity_iri} through {property_iri}")
        window = Window.parse(page, self.page_size, counts.count(property_iri))
        address = PageAddress(document_iri, window, property_iri)
        things = hub.things_pointing_at(
            self.store, entity_iri, self.graphs, window.offset, window.size, property_iri
        )
        triples = hub.page_statements(
            self.store, entity_iri, things, self.graphs, self.nary_classes, property_iri
        )
        if property_iri is None and window.page == 1:
            triples.update(self._own_statements(entity_iri))
        else:  # the entity's names, so that every page can say what it is about
            triples.update(summaries(self.store, [ox.NamedNode(entity_iri)], self.graphs))
        if not triples:
            return None
        _complete(self.store, triples, self.graphs, entity_iri)
        triples.update(
            document_metadata(
                address.answer_iri, entity_iri, self.dataset_iri, self.document_licence(entity_iri)
            )
        )
        triples.update(hub.paging_triples(address, entity_iri, counts))
        ordered = tuple(sorted(triples, key=triple_order(entity_iri)))
        return Document(address.answer_iri, entity_iri, ordered, Paging(address, counts))

    def _own_statements(self, entity_iri: str) -> set[ox.Triple]:
        node = ox.NamedNode(entity_iri)
        found: set[ox.Triple] = set()
        for graph in self.graphs:
            found.update(q.triple for q in self.store.quads_for_pattern(node, None, None, graph))
            if len(found) > MAX_DOCUMENT_TRIPLES:
                raise DocumentTooLarge(entity_iri)
        return found

    def graph(self, graph_iri: str, topic: str | None = None) -> Document | None:
        """Return a whole named graph as a document (the ontology is one), or None if absent."""
        node = ox.NamedNode(graph_iri)
        if node not in set(self.store.named_graphs()):
            return None
        topic = topic or graph_iri

        def build() -> Document:
            return Document(topic, topic, tuple(graph_triples(self.store, node, topic)))

        return self._cache.get("graph " + graph_iri, build)

    def ontology(self) -> Document | None:
        """Return the ontology document (the ontology graph, whose topic is the ontology IRI)."""
        return self.graph(self.ontology_graph.value, self.ontology_iri)

    def render(self, document: Document, media_type: media.MediaType) -> Rendering:
        """Return a document serialized in an RDF format, cached."""

        def render() -> bytes:
            prefixes = {**self.prefixes, **entity_prefixes(document.triples, self.site)}
            prefixes = used_prefixes(document.triples, prefixes)
            return serialize(document.triples, media_type, prefixes, self.context)

        return document.rendered(media_type.key, render)
