"""Dereferencing through the Flask test client: 303, negotiation, headers, formats, errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from conftest import require_tool
from paxsilica import bundle, iris, media, paths
from paxsilica.config import load_settings
from paxsilica.publish.cache import BoundedCache
from paxsilica.publish.documents import Documents
from paxsilica.rdf.remote import Endpoint, RemoteStore, push_dataset
from paxsilica.web.server import build_application
from paxsilica.web.state import published
from publication_support import FIXTURE, expected_document, parse, published_union
from virtuoso import VirtuosoServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDF_TYPES = [t for t in media.DOCUMENT_TYPES if t is not media.HTML]


@pytest.fixture(scope="module", params=["embedded", "virtuoso"])
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, make_app
) -> Iterator[Flask]:
    """The application over the embedded store, then over a real Virtuoso holding the same data."""
    if request.param == "embedded":
        yield make_app(data_files=[str(FIXTURE)])
        return
    require_tool("virtuoso-t", "the dereferencing tests also run against a real Virtuoso 7")
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso-publication"))
    server.start()
    try:
        endpoint = Endpoint(server.update_url, server.user, server.password)
        push_dataset(endpoint, [str(FIXTURE)], progress=False)
        yield build_application(load_settings({}, endpoint=server.sparql_url))
    finally:
        server.stop()


@pytest.fixture
def backend(app: Flask) -> str:
    """Which store the application reads: "embedded" or "virtuoso"."""
    with app.app_context():
        return "virtuoso" if isinstance(published().store, RemoteStore) else "embedded"


@pytest.fixture(scope="module")
def union(app: Flask) -> rdflib.Graph:
    with app.app_context():
        return published_union(published().store)


# --- 303 ---------------------------------------------------------------------------------------


def test_entity_iri_answers_303_to_its_document(client: FlaskClient) -> None:
    response = client.get("/id/state/JP", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/doc/state/JP"
    # The same target whatever is asked for: the document does the negotiating.
    browser = client.get("/id/state/JP", headers={"Accept": BROWSER_ACCEPT, "User-Agent": BROWSER})
    assert browser.status_code == 303
    assert browser.headers["Location"] == "/doc/state/JP"


def test_entity_iri_with_a_dot_in_its_key(client: FlaskClient) -> None:
    assert (
        client.get("/id/technology/testium.v2").headers["Location"] == "/doc/technology/testium.v2"
    )
    response = client.get("/doc/technology/testium.v2", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = parse(response.data, response.content_type)
    assert (rdflib.URIRef(iris.entity_iri("technology", "testium.v2")), None, None) in graph
    assert client.get("/doc/technology/testium.v2.nt").content_type.startswith(
        "application/n-triples"
    )


def test_unknown_iri_under_the_base_is_404(client: FlaskClient) -> None:
    response = client.get("/id/state/ZZ", headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/plain")
    assert "state/ZZ" in response.get_data(as_text=True)
    page = client.get("/id/state/ZZ", headers={"Accept": BROWSER_ACCEPT, "User-Agent": BROWSER})
    assert page.status_code == 404
    assert page.content_type.startswith("text/html")
    assert "<h1>404 Not Found</h1>" in page.get_data(as_text=True)
    assert client.get("/doc/state/ZZ").status_code == 404
    assert client.get("/nothing/here").status_code == 404


# --- negotiation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "user_agent", "expected"),
    [
        ("text/turtle", None, media.TURTLE),
        ("application/ld+json", None, media.JSON_LD),
        ("application/rdf+xml", None, media.RDF_XML),
        ("application/n-triples", None, media.N_TRIPLES),
        ("text/html", None, media.HTML),
        (None, None, media.TURTLE),
        ("*/*", "curl/8.0", media.TURTLE),
        ("*/*", BROWSER, media.HTML),
        (BROWSER_ACCEPT, BROWSER, media.HTML),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", None, media.JSON_LD),
        (
            "application/rdf+xml;q=0.2, application/n-triples;q=0.3, text/html;q=0.1",
            None,
            media.N_TRIPLES,
        ),
        ("text/html;q=0, text/*;q=0.5", None, media.TURTLE),
        ("application/json", None, media.JSON_LD),
        ("image/png, application/x-turtle;q=0.4", None, media.TURTLE),
    ],
)
def test_negotiation_honours_q_values(
    client: FlaskClient, accept: str | None, user_agent: str | None, expected: media.MediaType
) -> None:
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if user_agent is not None:
        headers["User-Agent"] = user_agent
    response = client.get("/doc/state/JP", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected.mime
    assert response.headers["Content-Location"] == f"/doc/state/JP.{expected.extension}"
    vary = {v.strip() for v in response.headers["Vary"].split(",")}
    assert "Accept" in vary


def test_link_header_lists_every_format(client: FlaskClient) -> None:
    response = client.get("/doc/state/JP", headers={"Accept": "text/turtle"})
    link = response.headers["Link"]
    for media_type in media.DOCUMENT_TYPES:
        assert (
            f'</doc/state/JP.{media_type.extension}>; rel="alternate"; type="{media_type.mime}"'
            in link
        )


def test_unacceptable_type_is_406_with_the_offer(client: FlaskClient) -> None:
    response = client.get("/doc/state/JP", headers={"Accept": "image/png, application/pdf"})
    assert response.status_code == 406
    text = response.get_data(as_text=True)
    for media_type in media.DOCUMENT_TYPES:
        assert media_type.mime in text
    assert 'rel="alternate"' in response.headers["Link"]


@pytest.mark.parametrize("media_type", media.DOCUMENT_TYPES, ids=lambda t: t.key)
def test_extension_urls_pick_the_format(client: FlaskClient, media_type: media.MediaType) -> None:
    response = client.get(f"/doc/state/JP.{media_type.extension}", headers={"Accept": "image/png"})
    assert response.status_code == 200
    assert response.mimetype == media_type.mime
    assert "Content-Location" not in response.headers


def test_unknown_extension_is_a_clear_404(client: FlaskClient) -> None:
    response = client.get("/doc/state/JP.docx")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert ".docx" in text
    assert ".ttl" in text


# --- content -----------------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", RDF_TYPES, ids=lambda t: t.key)
@pytest.mark.parametrize(
    "key", ["state/XT", "state/JP", "membership/XT-2026-01-01", "claim/xt-rumour"]
)
def test_documents_are_the_expected_graph(
    client: FlaskClient, union: rdflib.Graph, media_type: media.MediaType, key: str
) -> None:
    # Japan is an ETO provider: its document shows data licensed apart; and a hub, whose
    # document comes in pages.
    licence = bundle.CC_BY_NC if key == "state/JP" else iris.LICENSE_IRI
    expected = expected_document(union, iris.ENTITY_BASE + key, license_iri=licence)
    whole, _ = follow_pages(client, f"/doc/{key}", media_type)
    assert isomorphic(whole, expected)


def test_jsonld_context_is_published_and_embedded(client: FlaskClient) -> None:
    context = client.get("/context.jsonld")
    assert context.status_code == 200
    assert context.mimetype == "application/ld+json"
    published_context = json.loads(context.data)["@context"]
    document = json.loads(client.get("/doc/state/XT.jsonld").data)
    # Embedded whole, so that no JSON-LD processor has to fetch anything.
    assert document["@context"] == published_context
    assert published_context["psid"] == iris.ENTITY_BASE


# --- caching headers ---------------------------------------------------------------------------


def test_etag_and_conditional_get(client: FlaskClient) -> None:
    first = client.get("/doc/state/JP", headers={"Accept": "text/turtle"})
    etag = first.headers["ETag"]
    again = client.get("/doc/state/JP", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other = client.get(
        "/doc/state/JP", headers={"Accept": "application/ld+json", "If-None-Match": etag}
    )
    assert other.status_code == 200
    assert other.headers["ETag"] != etag


def test_head_has_the_headers_and_no_body(client: FlaskClient) -> None:
    get = client.get("/doc/state/JP", headers={"Accept": "application/rdf+xml"})
    head = client.head("/doc/state/JP", headers={"Accept": "application/rdf+xml"})
    assert head.status_code == 200
    assert head.data == b""
    for name in ("Content-Type", "ETag", "Link", "Vary", "Content-Location", "Content-Length"):
        assert head.headers[name] == get.headers[name]
    assert client.head("/id/state/JP").status_code == 303


# --- the ontology ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ontology_source() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in paths.ontology_files():
        graph.parse(path, format="turtle")
    return graph


def numbers_by_value(graph: rdflib.Graph) -> rdflib.Graph:
    """Return the graph with xsd:integer and xsd:decimal literals written as canonical decimals.

    Virtuoso keeps numbers by value, not by lexical form: it answers "65"^^xsd:decimal as
    "65"^^xsd:integer. Served from Virtuoso, the ontology is compared number by value.
    """
    numeric = {XSD.integer, XSD.decimal}
    out = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.datatype in numeric:
            o = rdflib.Literal(str(Decimal(str(o)).normalize()), datatype=XSD.decimal)
        out.add((s, p, o))
    return out


@pytest.mark.parametrize("media_type", RDF_TYPES, ids=lambda t: t.key)
def test_ontology_dereferences_in_every_format(
    client: FlaskClient, ontology_source: rdflib.Graph, media_type: media.MediaType, backend: str
) -> None:
    negotiated = client.get("/ontology", headers={"Accept": media_type.mime})
    assert negotiated.status_code == 200
    assert negotiated.headers["Content-Location"] == f"/ontology.{media_type.extension}"
    served = parse(negotiated.data, negotiated.content_type)
    if backend == "virtuoso":
        assert isomorphic(numbers_by_value(served), numbers_by_value(ontology_source))
    else:
        assert isomorphic(served, ontology_source)
    by_extension = client.get(f"/ontology.{media_type.extension}")
    assert by_extension.data == negotiated.data


def test_ontology_terms_resolve_to_the_ontology(client: FlaskClient) -> None:
    # A hash IRI's fragment never reaches the server: /ontology#State asks for /ontology.
    response = client.get("/ontology", headers={"Accept": BROWSER_ACCEPT, "User-Agent": BROWSER})
    assert response.mimetype == "text/html"
    assert 'id="State"' in response.get_data(as_text=True)
    lookup = client.get("/lookup", query_string={"iri": iris.ONTOLOGY_NS + "State"})
    assert lookup.status_code == 303
    assert lookup.headers["Location"] == "/ontology#State"
    version = client.get("/ontology/0.2.0")
    assert version.status_code == 303
    assert version.headers["Location"] == "/ontology"
    assert client.get("/ontology/9.9.9").status_code == 404


# --- other published IRIs ------------------------------------------------------------------------


def test_graph_names_dereference(client: FlaskClient) -> None:
    response = client.get("/graph/instances", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    graph = parse(response.data, response.content_type)
    japan = rdflib.URIRef(iris.entity_iri("membership", "JP-2025-12-12"))
    assert (japan, None, None) in graph
    user_graph = client.get("/graph/user/publication.ttl", headers={"Accept": "text/turtle"})
    assert user_graph.status_code == 200
    assert client.get("/graph/user/publication.ttl.nt").mimetype == "application/n-triples"
    assert client.get("/graph/nope").status_code == 404


def test_shapes_and_dataset_iris_dereference(client: FlaskClient) -> None:
    shapes = client.get("/shapes", headers={"Accept": "text/turtle"})
    assert shapes.status_code == 200
    assert b"sh:NodeShape" in shapes.data or b"NodeShape" in shapes.data
    dataset = client.get("/dataset")
    assert dataset.status_code == 303
    assert dataset.headers["Location"] == "/.well-known/void"


def test_lookup_refuses_iris_outside_the_base(client: FlaskClient) -> None:
    response = client.get("/lookup", query_string={"iri": "http://dbpedia.org/resource/Japan"})
    assert response.status_code == 404
    assert "outside" in response.get_data(as_text=True)
    inside = client.get("/lookup", query_string={"iri": iris.entity_iri("state", "JP")})
    assert inside.status_code == 303
    assert inside.headers["Location"] == "/id/state/JP"
    assert client.get("/lookup").status_code == 400


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/id/state/J%20P", 400),
        ("/id/state/%3Cscript%3E", 400),
        ("/doc/state/J%22P", 400),
        ("/id/state/%ZZ", 400),
        ("/id/", 404),
        ("/id/state/JP/../../ontology", 404),
        ("/doc/state/JP.", 404),
        ("/doc/..", 404),
        ("/id/state/%00", 400),
        ("/graph/%7B", 400),
        ("/ontology.exe", 404),
        ("/.well-known/void.exe", 404),
        ("/dumps/../../etc/passwd", 404),
        ("/id/" + "x" * 5000, 404),
    ],
)
def test_bad_paths_get_a_clear_status_never_a_500(
    client: FlaskClient, path: str, status: int
) -> None:
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert text.startswith(str(status))


def test_methods_other_than_get_are_refused(client: FlaskClient) -> None:
    response = client.post("/doc/state/JP")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


# --- another base -----------------------------------------------------------------------------


def test_base_iri_rewrites_everything_served(make_app) -> None:
    base = "http://127.0.0.1:8765/"
    client = make_app(base_iri=base).test_client()
    assert client.get("/id/state/JP").headers["Location"] == "/doc/state/JP"
    for path in ("/doc/state/JP.ttl", "/doc/state/JP.jsonld", "/ontology.rdf", "/context.jsonld"):
        body = client.get(path).data
        assert iris.CANONICAL_BASE.encode() not in body, path
        assert base.encode() in body, path
    graph = parse(client.get("/doc/state/JP.nt").data, "application/n-triples")
    foaf = rdflib.Namespace(iris.KNOWN_VOCABULARIES["foaf"])
    assert graph.value(rdflib.URIRef(base + "doc/state/JP"), foaf.primaryTopic) == rdflib.URIRef(
        base + "id/state/JP"
    )


def test_a_document_beyond_the_size_bound_is_refused_clearly(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("paxsilica.publish.documents.MAX_DOCUMENT_TRIPLES", 5)
    client = app.test_client()
    # An entity not requested before, so that no cached document hides the bound.
    response = client.get("/doc/company/xt-corp", headers={"Accept": "text/turtle"})
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "company/xt-corp" in text
    assert "more than 5 triples" in text
    assert "SPARQL" in text
    assert client.get("/id/company/xt-corp").status_code == 403


# --- hubs: documents in pages ----------------------------------------------------------------

HYDRA = iris.KNOWN_VOCABULARIES["hydra"]
HUB = "initiative/pax-silica"


@pytest.fixture
def paged_client(app: Flask) -> Iterator[FlaskClient]:
    """A client of the application with documents in pages of three things pointing at the
    entity (the fixture's hubs then have several pages)."""
    dataset = published(app)
    saved = dataset.documents, dataset.answers
    dataset.documents = Documents(dataset.store, dataset.settings, page_size=3)
    dataset.answers = BoundedCache(64)
    try:
        yield app.test_client()
    finally:
        dataset.documents, dataset.answers = saved


def local_path(iri: str) -> str:
    return "/" + iri[len(iris.CANONICAL_BASE) :]


def follow_pages(
    client: FlaskClient, path: str, media_type: media.MediaType
) -> tuple[rdflib.Graph, int]:
    """Read a document page by page, following hydra:next as a client would; return what the
    pages hold besides what they say of themselves (Hydra's), and how many pages there were."""
    whole, seen = rdflib.Graph(), 0
    while path:
        response = client.get(path, headers={"Accept": media_type.mime})
        assert response.status_code == 200, path
        assert response.mimetype == media_type.mime
        page = parse(response.data, response.content_type)
        for s, p, o in page:
            if not (str(p).startswith(HYDRA) or str(o).startswith(HYDRA) or "?" in str(s)):
                whole.add((s, p, o))
        following = [
            page.value(view, rdflib.URIRef(HYDRA + "next"))
            for view in page.objects(None, rdflib.URIRef(HYDRA + "view"))
        ]
        path = local_path(str(following[0])) if following and following[0] is not None else None
        seen += 1
    return whole, seen


@pytest.mark.parametrize("media_type", RDF_TYPES, ids=lambda t: t.key)
def test_following_hydra_next_gets_the_whole_document(
    paged_client: FlaskClient, union: rdflib.Graph, media_type: media.MediaType
) -> None:
    whole, seen = follow_pages(paged_client, f"/doc/{HUB}", media_type)
    pointing = set(union.subjects(None, rdflib.URIRef(iris.ENTITY_BASE + HUB)))
    assert seen == -(-len(pointing) // 3)
    assert isomorphic(whole, expected_document(union, iris.ENTITY_BASE + HUB))


def test_pages_name_their_formats_and_refuse_what_does_not_exist(
    paged_client: FlaskClient,
) -> None:
    response = paged_client.get(f"/doc/{HUB}?page=2", headers={"Accept": "text/turtle"})
    assert response.headers["Content-Location"] == f"/doc/{HUB}.ttl?page=2"
    assert f'</doc/{HUB}.nt?page=2>; rel="alternate"' in response.headers["Link"]
    assert paged_client.get(f"/doc/{HUB}.nt?page=2").mimetype == "application/n-triples"
    first = paged_client.get(f"/doc/{HUB}?page=1", headers={"Accept": "text/turtle"})
    assert first.data == paged_client.get(f"/doc/{HUB}", headers={"Accept": "text/turtle"}).data
    assert paged_client.get(f"/doc/{HUB}?page=99").status_code == 404
    assert paged_client.get(f"/doc/{HUB}?page=0").status_code == 400
    assert paged_client.get(f"/doc/{HUB}?property=not%20an%20iri").status_code == 400
    unused = paged_client.get(f"/doc/{HUB}?property=http://example.org/p")
    assert unused.status_code == 404
    assert "nothing points at" in unused.get_data(as_text=True)


def test_a_hubs_page_shows_counts_collapsed_links_and_a_pager(
    paged_client: FlaskClient, union: rdflib.Graph
) -> None:
    hub = rdflib.URIRef(iris.ENTITY_BASE + HUB)
    org = rdflib.Namespace(iris.KNOWN_VOCABULARIES["org"])
    memberships = {
        local_path(str(s)).replace("/doc/", "/id/", 1)
        for s in union.subjects(org.organization, hub)
    }
    headers = {"Accept": "text/html", "User-Agent": BROWSER}
    first = paged_client.get(f"/doc/{HUB}", headers=headers).get_data(as_text=True)
    assert '<details class="incoming">' in first  # a long list, collapsed
    assert f'<span class="count">{len(memberships)}</span>' in first
    assert "property=http%3A%2F%2Fwww.w3.org%2Fns%2Forg%23organization" in first
    # The property's own list, page after page, shows every membership.
    found, path = set(), f"/doc/{HUB}?property=http%3A%2F%2Fwww.w3.org%2Fns%2Forg%23organization"
    while path:
        page = paged_client.get(path, headers=headers).get_data(as_text=True)
        found |= {m for m in memberships if f'href="{m}"' in page}
        following = re.search(r'<a href="([^"]+)" rel="next">', page)
        path = following.group(1).replace("&amp;", "&") if following else None
    assert found == memberships
