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
from paxsilica.publish.paging import PageError
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
        iris.entity_iri("initiative", "pax-silica"),
        iris.entity_iri("technology", "gallium"),
    ],
)
def test_document_follows_the_rules(docs: Documents, union: rdflib.Graph, topic: str) -> None:
    document = docs.entity(topic)
    assert document is not None
    assert isomorphic(as_graph(document.triples), expected_document(union, topic))


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


# --- hubs: documents in pages -------------------------------------------------------------------

HYDRA = iris.KNOWN_VOCABULARIES["hydra"]
JAPAN = iris.entity_iri("state", "JP")
HUBS = [
    iris.entity_iri("initiative", "pax-silica"),
    iris.entity_iri("source", "seed-article"),
    XT,
    # Japan supplies inputs of the ETO dataset: its pages carry the ETO data's licence.
    JAPAN,
]


@pytest.fixture(scope="module")
def paged(fixture_store: ox.Store) -> Documents:
    """Documents whose pages hold three things pointing at the entity: the fixture has hubs."""
    return Documents(fixture_store, load_settings({}), page_size=3)


def hydra_value(graph: rdflib.Graph, subject, local: str):
    return graph.value(subject, rdflib.URIRef(HYDRA + local))


def without_paging(graph: rdflib.Graph) -> rdflib.Graph:
    """The graph without what a page says of itself: Hydra terms and the pages' own IRIs."""
    out = rdflib.Graph()
    for s, p, o in graph:
        if str(p).startswith(HYDRA) or str(o).startswith(HYDRA) or "?" in str(s):
            continue
        out.add((s, p, o))
    return out


def page_number(iri: str) -> str:
    return iri.rpartition("page=")[2]


def follow(docs: Documents, topic: str, property_iri: str | None = None) -> list[rdflib.Graph]:
    """Every page of a document, read as a client would: each parsed alone (its blank nodes
    its own), the next one found by hydra:next."""
    pages, page = [], None
    while True:
        document = docs.entity(topic, page, property_iri)
        graph = as_graph(document.triples)
        pages.append(graph)
        views = list(graph.objects(None, rdflib.URIRef(HYDRA + "view")))
        assert len(views) == 1
        following = hydra_value(graph, views[0], "next")
        if following is None:
            return pages
        page = page_number(str(following))


@pytest.mark.parametrize("topic", HUBS)
def test_a_hubs_pages_make_its_whole_document(
    paged: Documents, union: rdflib.Graph, topic: str
) -> None:
    pages = follow(paged, topic)
    assert len(pages) > 1
    whole = rdflib.Graph()
    for page in pages:
        whole += without_paging(page)
    licence = bundle.CC_BY_NC if topic == JAPAN else iris.LICENSE_IRI
    expected = expected_document(union, topic, license_iri=licence)
    assert isomorphic(whole, expected)


@pytest.mark.parametrize("topic", HUBS)
def test_a_hubs_pages_count_what_points_at_it(
    paged: Documents, union: rdflib.Graph, topic: str
) -> None:
    subject = rdflib.URIRef(topic)
    pointing: dict[str, set] = {}
    for s, p, _ in union.triples((None, None, subject)):
        pointing.setdefault(str(p), set()).add(s)
    first = as_graph(paged.entity(topic).triples)
    document = rdflib.URIRef(iris.Site().document_for(topic))
    total = len(set().union(*pointing.values()))
    assert int(hydra_value(first, document, "totalItems")) == total
    last = hydra_value(first, hydra_value(first, document, "view"), "last")
    assert page_number(str(last)) == str(-(-total // 3))
    collections = set(first.objects(document, rdflib.URIRef(HYDRA + "collection")))
    assert len(collections) == len(pointing)
    for collection in collections:
        manages = hydra_value(first, collection, "manages")
        assert hydra_value(first, manages, "object") == subject
        prop = str(hydra_value(first, manages, "property"))
        assert int(hydra_value(first, collection, "totalItems")) == len(pointing[prop])
        # Following a property's own pages lists exactly what points at it through it.
        # (Blank nodes, each page parsed alone, are compared by number: an ontology restriction
        # with owl:hasValue points at the initiative.)
        listed: list = []
        for page in follow(paged, topic, prop):
            listed += {s for s, _, _ in page.triples((None, rdflib.URIRef(prop), subject))}
        named = {s for s in listed if not isinstance(s, rdflib.BNode)}
        assert named == {s for s in pointing[prop] if not isinstance(s, rdflib.BNode)}
        assert len(listed) == len(pointing[prop])


def test_an_ordinary_document_is_whole_without_paging(paged: Documents) -> None:
    document = paged.entity(MEMBERSHIP)
    assert document.paging is None
    assert not any(str(t.predicate.value).startswith(HYDRA) for t in document.triples)


def test_pages_that_do_not_exist(paged: Documents) -> None:
    hub = HUBS[0]
    with pytest.raises(PageError, match="no page 99") as beyond:
        paged.entity(hub, "99")
    assert beyond.value.status == 404
    with pytest.raises(PageError, match="page number") as word:
        paged.entity(hub, "two")
    assert word.value.status == 400
    with pytest.raises(PageError, match="nothing points at"):
        paged.entity(hub, None, "http://example.org/unused")
    with pytest.raises(PageError, match="no page 2"):
        paged.entity(MEMBERSHIP, "2")


def test_blank_facts_and_blank_pointers_are_paged_whole(tmp_path) -> None:
    hub = iris.entity_iri("state", "XB")
    extra = tmp_path / "blank.ttl"
    extra.write_text(
        f"@prefix ps: <{iris.ONTOLOGY_NS}> .\n"
        f'<{hub}> a ps:State ; <http://www.w3.org/2000/01/rdf-schema#label> "Blankland"@en .\n'
        + "".join(
            f"[] a ps:SupplyLink ; ps:supplier <{hub}> ; ps:sharePercent {n} ;"
            f' ps:note [ ps:text "nested {n}" ] .\n'
            for n in range(5)
        )
        + "".join(f'[] ps:mentions <{hub}> ; ps:text "plain {n}" .\n' for n in range(3))
    )
    store = build_store([FIXTURE, extra], progress=False)
    docs = Documents(store, load_settings({}), page_size=2)
    pages = follow(docs, hub)
    assert len(pages) == 4
    whole = rdflib.Graph()
    for page in pages:
        whole += without_paging(page)
    assert isomorphic(whole, expected_document(published_union(store), hub))
