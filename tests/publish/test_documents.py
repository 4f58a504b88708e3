"""Documents about entities: content by the rules, blank nodes, labels, metadata, formats."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from paxsilica import bundle, iris, media
from paxsilica.config import load_settings
from paxsilica.publish.documents import (
    Documents,
    DocumentTooLarge,
    describe,
    entity_prefixes,
    serialize,
)
from paxsilica.rdf.store import build_store
from publication_support import (
    FIXTURE,
    expected_document,
    parse,
    published_union,
)

XT = iris.entity_iri("state", "XT")
MEMBERSHIP = iris.entity_iri("membership", "XT-2026-01-01")


@pytest.fixture(scope="module")
def fixture_store() -> ox.Store:
    return build_store([FIXTURE], progress=False)


@pytest.fixture(scope="module")
def docs(fixture_store: ox.Store) -> Documents:
    return Documents(fixture_store, load_settings({}))


@pytest.fixture(scope="module")
def union(fixture_store: ox.Store) -> rdflib.Graph:
    return published_union(fixture_store)


def as_graph(triples) -> rdflib.Graph:
    return parse(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), "application/n-triples")


@pytest.mark.parametrize(
    "topic",
    [
        XT,
        MEMBERSHIP,
        iris.entity_iri("technology", "testium"),
        iris.entity_iri("source", "xt-gazette"),
        iris.entity_iri("state", "JP"),
        iris.entity_iri("initiative", "pax-silica"),
        iris.entity_iri("technology", "gallium"),
    ],
)
def test_document_follows_the_rules(docs: Documents, union: rdflib.Graph, topic: str) -> None:
    document = docs.entity(topic)
    assert document is not None
    # Japan supplies inputs of the ETO dataset: its document carries the ETO data's licence.
    licence = bundle.CC_BY_NC if topic == iris.entity_iri("state", "JP") else iris.LICENSE_IRI
    assert isomorphic(
        as_graph(document.triples), expected_document(union, topic, license_iri=licence)
    )


def test_state_document_holds_its_facts_whole(docs: Documents) -> None:
    graph = as_graph(docs.entity(XT).triples)
    ps = rdflib.Namespace(iris.ONTOLOGY_NS)
    time = rdflib.Namespace(iris.KNOWN_VOCABULARIES["time"])
    org = rdflib.Namespace(iris.KNOWN_VOCABULARIES["org"])
    membership = rdflib.URIRef(MEMBERSHIP)
    # The membership, its interval and the interval's beginning, two blank nodes down.
    assert (membership, org.member, rdflib.URIRef(XT)) in graph
    interval = graph.value(membership, org.memberDuring)
    assert isinstance(interval, rdflib.BNode)
    beginning = graph.value(interval, time.hasBeginning)
    assert graph.value(beginning, time.inXSDDate) == rdflib.Literal(
        "2026-01-01", datatype=rdflib.XSD.date
    )
    # The supply link and the claim, with every one of their properties.
    link = rdflib.URIRef(iris.entity_iri("supply-link", "testium-XT-refining"))
    assert graph.value(link, ps.sharePercent) == rdflib.Literal("42.5", datatype=rdflib.XSD.decimal)
    claim = rdflib.URIRef(iris.entity_iri("claim", "xt-rumour"))
    assert (claim, ps.claimedBy, rdflib.URIRef(iris.entity_iri("source", "xt-gazette"))) in graph
    # Incoming links, and the labels of what it mentions (the company, the source's address).
    company = rdflib.URIRef(iris.entity_iri("company", "xt-corp"))
    assert (company, ps.homeState, rdflib.URIRef(XT)) in graph
    assert graph.value(company, rdflib.RDFS.label, any=True) is not None
    source = rdflib.URIRef(iris.entity_iri("source", "xt-gazette"))
    assert graph.value(source, rdflib.URIRef(iris.KNOWN_VOCABULARIES["schema"] + "url"))


def test_document_metadata(docs: Documents) -> None:
    graph = as_graph(docs.entity(XT).triples)
    foaf = rdflib.Namespace(iris.KNOWN_VOCABULARIES["foaf"])
    void = rdflib.Namespace(iris.KNOWN_VOCABULARIES["void"])
    document = rdflib.URIRef(iris.DOCUMENT_BASE + "state/XT")
    assert graph.value(document, foaf.primaryTopic) == rdflib.URIRef(XT)
    assert graph.value(document, void.inDataset) == rdflib.URIRef(iris.DATASET_IRI)
    assert graph.value(document, rdflib.DCTERMS.license) == rdflib.URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )


def test_document_about_the_unknown_is_none(docs: Documents) -> None:
    assert docs.entity(iris.entity_iri("state", "ZZ")) is None
    assert docs.entity("http://example.org/elsewhere") is None
    assert docs.entity(iris.ENTITY_BASE) is None


def test_shapes_stay_out_of_entity_documents(docs: Documents) -> None:
    shapes_ns = iris.CANONICAL_BASE + "shapes"
    for topic in (XT, iris.entity_iri("initiative", "pax-silica")):
        assert not any(
            term.value.startswith(shapes_ns)
            for t in docs.entity(topic).triples
            for term in (t.subject, t.object)
            if isinstance(term, ox.NamedNode)
        )


def test_documents_are_cached_and_stable(docs: Documents) -> None:
    first = docs.entity(XT)
    assert docs.entity(XT) is first
    turtle = docs.render(first, media.TURTLE)
    assert docs.render(first, media.TURTLE) is turtle
    # A second, independent builder produces the same bytes (the same ETag in every worker).
    other = Documents(docs.store, docs.settings)
    assert other.render(other.entity(XT), media.TURTLE).etag == turtle.etag


@pytest.mark.parametrize("media_type", media.GRAPH_TYPES, ids=lambda t: t.key)
def test_every_format_round_trips(docs: Documents, media_type: media.MediaType) -> None:
    document = docs.entity(XT)
    body = docs.render(document, media_type).body
    assert isomorphic(parse(body, media_type.mime), as_graph(document.triples))


def test_jsonld_is_compacted_with_the_published_context(docs: Documents) -> None:
    body = json.loads(docs.render(docs.entity(XT), media.JSON_LD).body)
    assert body["@context"] == docs.context
    published = json.loads(docs.context_document().body)["@context"]
    assert published == docs.context
    assert published["ps"] == iris.ONTOLOGY_NS
    # Object properties coerce to IRIs, so values read as plain strings under short terms.
    assert published["supplier"] == {"@id": "ps:supplier", "@type": "@id"}
    nodes = {node["@id"]: node for node in body["@graph"]}
    link = nodes[iris.entity_iri("supply-link", "testium-XT-refining")]
    assert link["supplier"] == XT


def test_prefixes_name_the_kinds_of_entities() -> None:
    triples = [
        ox.Triple(
            ox.NamedNode("http://127.0.0.1:8000/id/supply-link/a"),
            ox.NamedNode("http://example.org/p"),
            ox.NamedNode("http://127.0.0.1:8000/id/state/JP"),
        )
    ]
    assert entity_prefixes(triples, iris.Site("http://127.0.0.1:8000/")) == {
        "state": "http://127.0.0.1:8000/id/state/",
        "supply-link": "http://127.0.0.1:8000/id/supply-link/",
    }


def test_html_is_not_an_rdf_serialization() -> None:
    with pytest.raises(ValueError, match="not an RDF format"):
        serialize([], media.HTML, {})


def test_base_rewritten_documents_use_the_public_base() -> None:
    base = "http://127.0.0.1:8123/"
    settings = load_settings({}, base_iri=base)
    store = build_store([FIXTURE], site=settings.site, progress=False)
    docs = Documents(store, settings)
    topic = base + "id/state/XT"
    document = docs.entity(topic)
    assert document.iri == base + "doc/state/XT"
    union = published_union(store, base)
    assert isomorphic(as_graph(document.triples), expected_document(union, topic, base))
    assert iris.CANONICAL_BASE.encode() not in docs.render(document, media.TURTLE).body


def test_describe_without_metadata(fixture_store: ox.Store, docs: Documents) -> None:
    triples = describe(fixture_store, XT, docs.graphs, nary_classes=docs.nary_classes)
    assert triples
    foaf_topic = ox.NamedNode(iris.KNOWN_VOCABULARIES["foaf"] + "primaryTopic")
    assert not any(t.predicate == foaf_topic for t in triples)


def test_size_bound(fixture_store: ox.Store, docs: Documents, monkeypatch) -> None:
    monkeypatch.setattr("paxsilica.publish.documents.MAX_DOCUMENT_TRIPLES", 20)
    with pytest.raises(DocumentTooLarge, match="initiative/pax-silica"):
        describe(
            fixture_store,
            iris.entity_iri("initiative", "pax-silica"),
            docs.graphs,
            nary_classes=docs.nary_classes,
        )
