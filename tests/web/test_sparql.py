"""The SPARQL endpoint through the Flask test client: protocol, formats, errors, limits, page."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from paxsilica import iris
from paxsilica.sparql.examples import load_examples
from sparql_results import competency_questions, expected_answer, read_expected
from sparql_support import EX, FIXTURE

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)", "Accept": "text/html,*/*;q=0.8"}
FIXTURE_GRAPH = iris.user_graph_iri("sparql-fixture.ttl")
RANKS = f"SELECT ?thing ?rank WHERE {{ ?thing <{EX}rank> ?rank }} ORDER BY ?rank"
ITEMS = f"SELECT ?item WHERE {{ <{EX}items> <{EX}item> ?item }} ORDER BY ?item"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
COMPETENCY = competency_questions()


@pytest.fixture(scope="module")
def app(make_app):
    return make_app(data_files=(str(FIXTURE),), query_timeout=2.0)


@pytest.fixture(scope="module")
def small(make_app):
    """An endpoint with small limits."""
    app = make_app(
        data_files=(str(FIXTURE),), max_rows=5, max_body_bytes=2000, max_query_string_bytes=600
    )
    return app.test_client()


def ranks(response) -> list[tuple[str, int]]:
    assert response.status_code == 200, response.data
    results = json.loads(response.data)
    return [(b["thing"]["value"], int(b["rank"]["value"])) for b in results["results"]["bindings"]]


EXPECTED_RANKS = [
    (EX + "alpha", 1),
    (EX + "beta", 2),
    (EX + "gamma", 3),
    ("https://w3id.org/pax-silica/id/test/local", 4),
]


# --- the three ways to send a query --------------------------------------------------------------


def test_get(client) -> None:
    response = client.get("/sparql", query_string={"query": RANKS})
    assert response.mimetype == "application/sparql-results+json"
    assert ranks(response) == EXPECTED_RANKS


def test_post_form(client) -> None:
    assert ranks(client.post("/sparql", data={"query": RANKS})) == EXPECTED_RANKS


def test_post_direct(client) -> None:
    response = client.post(
        "/sparql", data=RANKS.encode(), content_type="application/sparql-query; charset=utf-8"
    )
    assert ranks(response) == EXPECTED_RANKS


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "UTF-16"])
def test_a_query_in_another_charset_is_refused(client, charset: str) -> None:
    # The protocol takes queries in UTF-8 only (W3C test bad_query_non_utf8).
    query = 'SELECT ("été" AS ?word) WHERE {}'
    for content_type in ("application/sparql-query", "application/x-www-form-urlencoded"):
        body = query if content_type.endswith("query") else f"query={query}"
        response = client.post(
            "/sparql", data=body.encode(charset), content_type=f"{content_type}; charset={charset}"
        )
        assert response.status_code == 415, content_type
        assert "UTF-8" in response.get_data(as_text=True)


def test_a_query_declared_utf8_is_read(client) -> None:
    query = 'SELECT ("été" AS ?word) WHERE {}'
    for charset in ("utf-8", "UTF8"):
        response = client.post(
            "/sparql",
            data=query.encode(),
            content_type=f"application/sparql-query; charset={charset}",
        )
        assert json.loads(response.data)["results"]["bindings"][0]["word"]["value"] == "été"


def test_relative_iris_resolve_against_the_endpoint(client) -> None:
    # W3C test query_content_type_construct: the service supplies the base IRI.
    response = client.post(
        "/sparql",
        data="CONSTRUCT { <s> <p> 1 } WHERE {}",
        content_type="application/sparql-query",
        headers={"Accept": "application/n-triples"},
    )
    assert response.status_code == 200
    assert response.data.decode().split() == [
        f"<{iris.CANONICAL_BASE}s>",
        f"<{iris.CANONICAL_BASE}p>",
        '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
        ".",
    ]


def test_the_endpoint_answers_with_a_final_slash_too(client) -> None:
    response = client.get("/sparql/", query_string={"query": "ASK {}"})
    assert response.status_code == 200
    assert json.loads(response.data)["boolean"] is True


def test_default_and_named_graph_uris(client) -> None:
    everything = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def number(response) -> int:
        assert response.status_code == 200, response.data
        return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])

    fixture_size = len(list(ox.parse(path=str(FIXTURE))))
    union = number(client.get("/sparql", query_string={"query": everything}))
    assert union > fixture_size
    only = {"query": everything, "default-graph-uri": FIXTURE_GRAPH}
    assert number(client.get("/sparql", query_string=only)) == fixture_size
    assert number(client.post("/sparql", data=only)) == fixture_size
    graphs = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    named = {"query": graphs, "named-graph-uri": [FIXTURE_GRAPH, iris.GRAPH_ONTOLOGY]}
    assert number(client.get("/sparql", query_string=named)) == 2
    # The protocol's dataset replaces the query's FROM.
    from_query = f"SELECT (COUNT(*) AS ?n) FROM <{iris.GRAPH_ONTOLOGY}> WHERE {{ ?s ?p ?o }}"
    ontology = number(client.get("/sparql", query_string={"query": from_query}))
    assert ontology != fixture_size
    overridden = {"query": from_query, "default-graph-uri": FIXTURE_GRAPH}
    assert number(client.get("/sparql", query_string=overridden)) == fixture_size


def test_from_selects_a_local_graph_and_never_loads(client) -> None:
    query = f"SELECT ?rank FROM <{FIXTURE_GRAPH}> WHERE {{ ?s <{EX}rank> ?rank }}"
    response = client.get("/sparql", query_string={"query": query})
    assert len(json.loads(response.data)["results"]["bindings"]) == 4
    remote = "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }"
    response = client.get("/sparql", query_string={"query": remote})
    assert response.status_code == 200
    assert json.loads(response.data)["results"]["bindings"] == []


# --- formats -----------------------------------------------------------------------------------


def read_items(response) -> list[int]:
    mime = response.mimetype
    if mime == "text/csv":
        return [int(row["item"]) for row in csv.DictReader(io.StringIO(response.data.decode()))]
    formats = {
        "application/sparql-results+json": ox.QueryResultsFormat.JSON,
        "application/sparql-results+xml": ox.QueryResultsFormat.XML,
        "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    }
    return [int(s["item"].value) for s in ox.parse_query_results(response.data, formats[mime])]


@pytest.mark.parametrize(
    ("accept", "mime"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("text/turtle, text/tab-separated-values;q=0.1", "text/tab-separated-values"),
    ],
)
def test_select_negotiation(client, accept: str, mime: str) -> None:
    response = client.get("/sparql", query_string={"query": ITEMS}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mime
    assert read_items(response) == list(range(1, 13))
    assert response.headers["Vary"] == "Accept"


@pytest.mark.parametrize("key", ["json", "xml", "csv", "tsv", "text/csv", "srj"])
def test_format_parameter(client, key: str) -> None:
    response = client.get("/sparql", query_string={"query": ITEMS, "format": key})
    assert response.status_code == 200
    assert read_items(response) == list(range(1, 13))


@pytest.mark.parametrize(
    ("name", "accept", "mime"),
    [
        ("xml", "*/*", "application/rdf+xml"),
        ("json", "*/*", "application/ld+json"),
        ("turtle", "*/*", "text/turtle"),
        ("nt", "*/*", "application/n-triples"),
        # A results-only format leaves a graph to the Accept header.
        ("csv", "application/n-triples", "application/n-triples"),
    ],
)
def test_format_names_fit_the_kind_of_answer(client, name: str, accept: str, mime: str) -> None:
    """SPARQLWrapper sends format=xml (or json) whatever the query: each kind gets its own."""
    query = f"CONSTRUCT WHERE {{ <{EX}alpha> ?p ?o }}"
    response = client.get(
        "/sparql", query_string={"query": query, "format": name}, headers={"Accept": accept}
    )
    assert response.status_code == 200
    assert response.mimetype == mime


def fixture_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(FIXTURE, format="turtle")
    return graph


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", None),
        ("application/n-quads", "nt"),
        ("application/trig", "turtle"),
        ("*/*", "turtle"),
    ],
)
def test_construct_negotiation(client, accept: str, rdflib_format: str | None) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{FIXTURE_GRAPH}> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    body = response.data
    if rdflib_format is None:
        triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.JSON_LD)]
        body, rdflib_format = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), "nt"
    got = rdflib.Graph()
    got.parse(data=body, format=rdflib_format)
    assert isomorphic(got, fixture_graph())


def test_a_turtle_answer_uses_the_prefixes_the_query_declares(client) -> None:
    query = (
        f"PREFIX ex: <{EX}>\nBASE <{EX}>\nPREFIX rel: <relative/>\n"
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{FIXTURE_GRAPH}> {{ ?s ?p ?o }} }}"
    )
    response = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "text/turtle"}
    )
    text = response.get_data(as_text=True)
    declared = re.findall(r"@prefix (\w*):", text)
    # The absolute one only: a relative prefix IRI would need the BASE to mean anything.
    assert declared == ["ex"]
    assert f"<{EX}alpha>" not in text
    assert "ex:alpha" in text
    got = rdflib.Graph()
    got.parse(data=text, format="turtle")
    assert isomorphic(got, fixture_graph())


def test_describe(client) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": f"DESCRIBE <{EX}alpha>"},
        headers={"Accept": "application/n-triples"},
    )
    got = rdflib.Graph()
    got.parse(data=response.data, format="nt")
    alpha = rdflib.URIRef(EX + "alpha")
    assert set(got.subjects()) == {alpha}
    assert set(got.triples((alpha, None, None))) == set(
        fixture_graph().triples((alpha, None, None))
    )


def test_ask(client) -> None:
    response = client.get("/sparql", query_string={"query": f"ASK {{ <{EX}alpha> ?p ?o }}"})
    assert json.loads(response.data) == {"head": {}, "boolean": True}


def test_an_answer_nobody_accepts_comes_in_its_kind_default(client) -> None:
    # HTTP lets a server answer in a type the client did not list: the kind's default format
    # beats a 406 for clients that ask for one kind whatever the query (rdflib's SPARQLStore).
    png = client.get("/sparql", query_string={"query": ITEMS}, headers={"Accept": "image/png"})
    assert png.status_code == 200
    assert png.mimetype == "application/sparql-results+json"
    turtle = client.get("/sparql", query_string={"query": ITEMS}, headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    assert turtle.mimetype == "application/sparql-results+json"
    construct = (
        f"CONSTRUCT {{ <{EX}items> <{EX}item> ?item }} WHERE {{ <{EX}items> <{EX}item> ?item }}"
    )
    graph = client.get(
        "/sparql",
        query_string={"query": construct},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert graph.status_code == 200
    assert graph.mimetype == "text/turtle"
    assert len(rdflib.Graph().parse(data=graph.data, format="turtle")) == 12


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("json-ld", "application/ld+json"),
        ("n3", "text/turtle"),
        ("rdf+xml", "application/rdf+xml"),
        ("rdf", "application/rdf+xml"),
        ("xml", "application/rdf+xml"),
        ("turtle", "text/turtle"),
        ("n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
    ],
)
def test_format_names_common_clients_send(client, name: str, mime: str) -> None:
    construct = (
        f"CONSTRUCT {{ <{EX}items> <{EX}item> ?item }} WHERE {{ <{EX}items> <{EX}item> ?item }}"
    )
    for parameter in ("format", "output"):
        response = client.get("/sparql", query_string={"query": construct, parameter: name})
        assert response.status_code == 200, (parameter, name)
        assert response.mimetype == mime, (parameter, name)


# --- the service description and the page -------------------------------------------------------


def test_service_description(client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    graph = rdflib.Graph()
    graph.parse(data=response.data, format="turtle")
    service = graph.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert graph.value(service, SD.endpoint) == rdflib.URIRef(iris.SPARQL_ENDPOINT_IRI)
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph
    assert (service, rdflib.RDFS.seeAlso, rdflib.URIRef(iris.VOID_IRI)) in graph
    assert (
        service,
        SD.resultFormat,
        rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON"),
    ) in graph
    dataset = graph.value(service, SD.defaultDataset)
    names = {graph.value(named, SD.name) for named in graph.objects(dataset, SD.namedGraph)}
    expected = {iris.GRAPH_ONTOLOGY, iris.GRAPH_INSTANCES, iris.GRAPH_SHAPES, FIXTURE_GRAPH}
    assert {rdflib.URIRef(g) for g in expected} <= names


def test_service_description_in_other_formats(client) -> None:
    for accept in ("application/ld+json", "application/rdf+xml", "application/n-triples"):
        response = client.get("/sparql", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.mimetype == accept
        assert b"sparql-service-description" in response.data


def test_query_page_for_browsers(client) -> None:
    response = client.get("/sparql", headers=BROWSER)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'id="sparql-query"' in page
    assert 'action="/sparql"' in page
    assert "sparql-query.js" in page
    assert "<script>" not in page
    for example in load_examples(iris.Site()):
        assert example.title in html.unescape(page)


@pytest.mark.parametrize("example", load_examples(iris.Site()), ids=lambda e: e.title[:40])
def test_every_example_runs(client, example) -> None:
    response = client.post("/sparql", data={"query": example.query}, headers={"Accept": "*/*"})
    assert response.status_code == 200, response.data


@pytest.mark.parametrize("question", COMPETENCY, ids=[q.stem for q in COMPETENCY])
def test_competency_questions_over_http(client, question: Path) -> None:
    response = client.post(
        "/sparql",
        data={"query": question.read_text(encoding="utf-8")},
        headers={"Accept": "text/csv"},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
    variables, expected = read_expected(expected_answer(question))
    assert rows[0] == variables
    assert [tuple(row) for row in rows[1:]] == expected


def test_results_as_an_html_table_without_javascript(client) -> None:
    response = client.get("/sparql", query_string={"query": RANKS}, headers=BROWSER)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    table = page[page.index('id="sparql-results"') : page.index("</table>")]
    assert table.count("<tr>") == 1 + 4
    assert '<a href="/id/test/local"' in table  # an entity under the base: its page here
    assert f'href="{EX}alpha"' in table
    assert "format=csv" in page
    assert 'download="results.csv"' in page


def test_html_is_escaped_and_locked_down(client) -> None:
    # A literal holding markup, and an IRI with a javascript: scheme, from the data.
    query = f"SELECT ?label ?see WHERE {{ <{EX}gamma> ?p ?label ; <{EX}seeAlso> ?see }}"
    page = client.get("/sparql", query_string={"query": query}, headers=BROWSER)
    text = page.get_data(as_text=True)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert" in text
    assert 'href="javascript:' not in text
    assert 'href="https://www.wikidata.org/wiki/Q1"' in text
    # The query itself, echoed in an error page.
    hostile = "SELECT * WHERE { </textarea><script>alert(1)</script> }"
    error = client.get("/sparql", query_string={"query": hostile}, headers=BROWSER)
    assert error.status_code == 400
    body = error.get_data(as_text=True)
    assert "<script>alert(1)" not in body
    assert "&lt;/textarea&gt;&lt;script&gt;" in body
    for response in (page, error):
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


# --- errors --------------------------------------------------------------------------------------


def test_malformed_query_is_400_with_the_parser_message_and_position(client) -> None:
    response = client.get(
        "/sparql", query_string={"query": "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = }"}
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Malformed query: error at 3:" in text
    assert "  FILTER(?o = }\n" in text
    assert re.search(r"\n +\^", text)


@pytest.mark.parametrize(
    ("send", "status", "words"),
    [
        (lambda c: c.post("/sparql", data={}), 400, "no query"),
        (lambda c: c.get("/sparql", query_string={"query": "  "}), 400, "empty"),
        (lambda c: c.get("/sparql", query_string={"query": [ITEMS, ITEMS]}), 400, "exactly one"),
        (
            lambda c: c.get("/sparql", query_string={"query": ITEMS, "format": "pdf"}),
            400,
            "unknown format",
        ),
        (lambda c: c.get("/sparql", query_string={"update": "CLEAR ALL"}), 403, "read-only"),
        (lambda c: c.post("/sparql", data={"update": "CLEAR ALL"}), 403, "read-only"),
        (
            lambda c: c.post("/sparql", data="CLEAR ALL", content_type="application/sparql-update"),
            403,
            "read-only",
        ),
        (
            lambda c: c.post(
                "/sparql",
                data="INSERT DATA { <http://a> <http://b> <http://c> }",
                content_type="application/sparql-query",
            ),
            403,
            "read-only",
        ),
        (
            lambda c: c.post("/sparql", data=ITEMS, content_type="text/plain"),
            415,
            "Unsupported Media Type",
        ),
        (
            lambda c: c.post("/sparql", data=b"\xff\xfe", content_type="application/sparql-query"),
            400,
            "not valid utf-8",
        ),
        (
            lambda c: c.get(
                "/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://x/> {} }"}
            ),
            400,
            "Federated query is disabled",
        ),
    ],
)
def test_errors(client, send, status: int, words: str) -> None:
    response = send(client)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert words.lower() in response.get_data(as_text=True).lower()
    assert "Traceback" not in response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_body_and_query_string_limits(small) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3000
    response = small.post("/sparql", data={"query": big})
    assert response.status_code == 413
    assert "2000" in response.get_data(as_text=True)
    response = small.post("/sparql", data=big, content_type="application/sparql-query")
    assert response.status_code == 413
    response = small.get("/sparql", query_string={"query": big})
    assert response.status_code == 414
    assert "POST" in response.get_data(as_text=True)
    # Under the limits, the same endpoint answers.
    assert small.post("/sparql", data={"query": ITEMS}).status_code == 200


def test_truncated_results_say_so(small) -> None:
    response = small.get("/sparql", query_string={"query": ITEMS})
    assert response.headers["X-Paxsilica-Truncated"] == "true"
    assert response.headers["X-Paxsilica-Max-Rows"] == "5"
    # Scripts on other sites may read the signal (CORS).
    assert "X-Paxsilica-Truncated" in response.headers["Access-Control-Expose-Headers"]
    document = json.loads(response.data)
    assert len(document["results"]["bindings"]) == 5
    assert document["paxsilica"]["truncated"] is True
    assert document["paxsilica"]["maxRows"] == 5
    csv_response = small.get(
        "/sparql", query_string={"query": ITEMS}, headers={"Accept": "text/csv"}
    )
    assert csv_response.headers["X-Paxsilica-Truncated"] == "true"
    assert len(csv_response.data.decode().strip().splitlines()) == 1 + 5
    whole = small.get("/sparql", query_string={"query": ITEMS + " LIMIT 5"})
    assert "X-Paxsilica-Truncated" not in whole.headers
    assert "paxsilica" not in json.loads(whole.data)


# --- CORS and the OpenAPI description ------------------------------------------------------------


def test_cors(client) -> None:
    preflight = client.open(
        "/sparql",
        method="OPTIONS",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"]
    response = client.post(
        "/sparql", data={"query": ITEMS}, headers={"Origin": "https://a.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_openapi_description(client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = json.loads(response.data)
    assert spec["openapi"].startswith("3.")
    assert {"get", "post", "options"} <= set(spec["paths"]["/sparql"])
    statuses = set(spec["paths"]["/sparql"]["post"]["responses"])
    assert {"200", "400", "403", "406", "413", "414", "415", "503"} <= statuses


def test_head_describes_the_service_like_get(make_app) -> None:
    client = make_app().test_client()
    get = client.get("/sparql", headers={"Accept": "text/turtle"})
    head = client.head("/sparql", headers={"Accept": "text/turtle"})
    assert get.status_code == head.status_code == 200
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.data == b""
