"""Real clients against the real server: SPARQLWrapper, rdflib's SPARQLStore and plain HTTP,
talking to ``paxsilica serve`` on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

from publication_support import live_server, server_processes
from sparql_support import (
    EX,
    FIXTURE,
    RUNAWAY,
    SPARQL_JSON_ANSWER,
    ConnectionRecorder,
    cpu_seconds,
)

RANKS = f"SELECT ?thing ?rank WHERE {{ ?thing <{EX}rank> ?rank }} ORDER BY ?rank"
EXPECTED = [(EX + "alpha", 1), (EX + "beta", 2), (EX + "gamma", 3)]
TIMEOUT = 3


@pytest.fixture(scope="module")
def server():
    """The base URL of a running server with the fixture data and a short query timeout."""
    with live_server(["--data", str(FIXTURE), "--query-timeout", str(TIMEOUT)]) as base:
        yield base


def wrapper(base: str, query: str, method: str, return_format: str) -> SPARQLWrapper:
    client = SPARQLWrapper(base + "sparql")
    client.setQuery(query)
    client.setMethod(method)
    client.setReturnFormat(return_format)
    return client


def first_three(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return [row for row in rows if row[0].startswith(EX)]


# --- SPARQLWrapper -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_select_json(server: str, method: str) -> None:
    results = wrapper(server, RANKS, method, JSON).queryAndConvert()
    rows = [(b["thing"]["value"], int(b["rank"]["value"])) for b in results["results"]["bindings"]]
    assert first_three(rows) == EXPECTED


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_select_xml(server: str, method: str) -> None:
    document = wrapper(server, RANKS, method, XML).queryAndConvert()
    rows = []
    for result in document.getElementsByTagName("result"):
        values = {}
        for binding in result.getElementsByTagName("binding"):
            values[binding.getAttribute("name")] = binding.firstChild.firstChild.nodeValue
        rows.append((values["thing"], int(values["rank"])))
    assert first_three(rows) == EXPECTED


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("return_format", [CSV, TSV])
def test_sparqlwrapper_select_csv_tsv(server: str, method: str, return_format: str) -> None:
    body = wrapper(server, RANKS, method, return_format).queryAndConvert()
    delimiter = "," if return_format == CSV else "\t"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter=delimiter))
    assert rows[0] in (["thing", "rank"], ["?thing", "?rank"])
    values = [(row[0].strip("<>"), int(row[1])) for row in rows[1:]]
    assert first_three(values) == EXPECTED


def test_sparqlwrapper_post_directly(server: str) -> None:
    client = wrapper(server, RANKS, POST, JSON)
    client.setRequestMethod(POSTDIRECTLY)
    results = client.queryAndConvert()
    assert len(results["results"]["bindings"]) == 4


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("return_format", [JSON, XML])
def test_sparqlwrapper_ask(server: str, method: str, return_format: str) -> None:
    yes = wrapper(server, f"ASK {{ <{EX}alpha> ?p ?o }}", method, return_format).queryAndConvert()
    no = wrapper(server, f"ASK {{ <{EX}nothing> ?p ?o }}", method, return_format).queryAndConvert()
    if return_format == JSON:
        assert (yes["boolean"], no["boolean"]) == (True, False)
    else:
        booleans = [d.getElementsByTagName("boolean")[0].firstChild.nodeValue for d in (yes, no)]
        assert booleans == ["true", "false"]


def fixture_part(subject: str | None = None) -> rdflib.Graph:
    whole = rdflib.Graph()
    whole.parse(FIXTURE, format="turtle")
    if subject is None:
        return whole
    part = rdflib.Graph()
    for triple in whole.triples((rdflib.URIRef(subject), None, None)):
        part.add(triple)
    return part


# SPARQLWrapper reads RDF/XML into rdflib's ConjunctiveGraph, which rdflib 7 deprecates: the
# client's warning, not the endpoint's.
RDFLIB_DEPRECATION = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{EX}')) }}"


# Every format SPARQLWrapper asks for a graph in, and how its answer is read (None: SPARQLWrapper
# gives an rdflib graph already). It sends the name as a format parameter too (format=json-ld).
GRAPH_FORMATS = {TURTLE: "turtle", N3: "turtle", JSONLD: None, XML: None, RDFXML: None}


def as_graph(converted, return_format: str) -> rdflib.Graph:
    if isinstance(converted, rdflib.Graph):
        return converted
    graph = rdflib.Graph()
    graph.parse(data=converted, format=GRAPH_FORMATS[return_format] or "json-ld")
    return graph


@RDFLIB_DEPRECATION
@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("return_format", list(GRAPH_FORMATS))
def test_sparqlwrapper_construct(server: str, method: str, return_format: str) -> None:
    converted = wrapper(server, CONSTRUCT, method, return_format).queryAndConvert()
    assert isomorphic(as_graph(converted, return_format), fixture_part_without_local())


def fixture_part_without_local() -> rdflib.Graph:
    graph = fixture_part()
    for triple in list(graph.triples((None, None, None))):
        if not str(triple[0]).startswith(EX):
            graph.remove(triple)
    return graph


@RDFLIB_DEPRECATION
@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("return_format", list(GRAPH_FORMATS))
def test_sparqlwrapper_describe(server: str, method: str, return_format: str) -> None:
    converted = wrapper(server, f"DESCRIBE <{EX}beta>", method, return_format).queryAndConvert()
    assert isomorphic(as_graph(converted, return_format), fixture_part(EX + "beta"))


# --- rdflib's SPARQLStore ----------------------------------------------------------------------


@pytest.mark.parametrize("return_format", ["xml", "json"])
def test_rdflib_sparqlstore(server: str, return_format: str) -> None:
    # With "json", rdflib asks for SPARQL JSON for every query, CONSTRUCTs included.
    graph = rdflib.Graph(SPARQLStore(server + "sparql", returnFormat=return_format))
    rows = [(str(row.thing), int(row.rank)) for row in graph.query(RANKS)]
    assert first_three(rows) == EXPECTED
    alpha = rdflib.URIRef(EX + "alpha")
    assert set(graph.triples((alpha, None, None))) == set(fixture_part(EX + "alpha"))
    assert graph.query(f"ASK {{ <{EX}alpha> ?p ?o }}").askAnswer is True


def test_rdflib_sparqlstore_is_read_only(server: str) -> None:
    store = SPARQLStore(server + "sparql")
    with pytest.raises(TypeError):  # rdflib itself refuses; the endpoint would answer 403
        store.add((rdflib.URIRef(EX + "x"), rdflib.URIRef(EX + "y"), rdflib.Literal(1)))


# --- plain HTTP, every status -------------------------------------------------------------------


def http(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method=None
) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def encoded(**params) -> bytes:
    return urllib.parse.urlencode(params).encode()


def test_plain_http_statuses(server: str) -> None:
    endpoint = server + "sparql"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    cases = [
        (http(endpoint + "?" + urllib.parse.urlencode({"query": RANKS})), 200, "rank"),
        (
            http(endpoint, encoded(query="SELECT * WHERE {"), form),
            400,
            "Malformed query: error at 1:",
        ),
        (http(endpoint, encoded(format="json"), form), 400, "no query"),
        (http(endpoint, encoded(update="CLEAR ALL"), form), 403, "read-only"),
        (
            http(endpoint, b"DROP ALL", {"Content-Type": "application/sparql-update"}),
            403,
            "read-only",
        ),
        (
            http(endpoint, headers={"Accept": "image/png"}),
            406,
            "Not Acceptable",
        ),
        (
            http(endpoint, b"x" * (1024 * 1024 + 1), {"Content-Type": "application/sparql-query"}),
            413,
            "Too Large",
        ),
        (
            http(endpoint + "?" + urllib.parse.urlencode({"query": "ASK {} #" + "x" * 20_000})),
            414,
            "URI Too Long",
        ),
        (
            http(endpoint, RANKS.encode(), {"Content-Type": "text/plain"}),
            415,
            "Unsupported Media Type",
        ),
        (
            http(
                endpoint, encoded(query="SELECT * WHERE { SERVICE <http://127.0.0.1:9/> {} }"), form
            ),
            400,
            "Federated query is disabled",
        ),
    ]
    for (status, headers, body), expected_status, words in cases:
        assert status == expected_status, body[:300]
        assert words in body.decode("utf-8", "replace"), body[:300]
        assert headers["Access-Control-Allow-Origin"] == "*"
        if status >= 400:
            assert headers["Content-Type"].startswith("text/plain")
            assert b"Traceback" not in body


# --- time limits under concurrency -------------------------------------------------------------


def cut_off_while_another_client_is_served(base: str) -> None:
    """Run the runaway query on the server at base and check what the endpoint promises."""
    endpoint = base + "sparql"
    answers: dict[str, tuple] = {}

    def runaway() -> None:
        answers["runaway"] = http(
            endpoint, encoded(query=RUNAWAY), {"Content-Type": "application/x-www-form-urlencoded"}
        )

    thread = threading.Thread(target=runaway)
    thread.start()
    served = 0
    started = time.monotonic()
    while thread.is_alive() and time.monotonic() - started < TIMEOUT - 1:
        status, _, body = http(endpoint + "?" + urllib.parse.urlencode({"query": RANKS}))
        assert status == 200
        assert len(json.loads(body)["results"]["bindings"]) == 4
        served += 1
    assert thread.is_alive(), "the runaway query must still be running while the others are served"
    assert served > 0
    thread.join(timeout=TIMEOUT + 30)
    elapsed = time.monotonic() - started
    status, _, body = answers["runaway"]
    assert status == 503
    assert b"Query timeout" in body
    assert b"stopped" in body
    assert elapsed < TIMEOUT + 1.5
    # Nothing of the server is still computing the runaway query.
    processes = server_processes(base)
    spent = cpu_seconds(processes)
    time.sleep(1.0)
    assert cpu_seconds(processes) - spent < 0.5
    assert http(endpoint + "?" + urllib.parse.urlencode({"query": RANKS}))[0] == 200


def test_a_runaway_query_is_cut_off_while_another_client_is_served(server: str) -> None:
    before = server_processes(server)
    cut_off_while_another_client_is_served(server)
    # The slot that ran it has been stopped and another forked in its place.
    deadline = time.monotonic() + 10
    while len(server_processes(server)) != len(before) and time.monotonic() < deadline:
        time.sleep(0.1)
    after = server_processes(server)
    assert len(after) == len(before)
    assert len(before - after) == 1


def test_a_query_nested_as_deep_as_allowed_runs_on_the_large_stack(server: str) -> None:
    # 990 nested calls overflow an 8 MiB stack (the main thread's): the worker serves on a
    # thread with room for what the query guard lets through.
    nested = "SELECT (" + "CONCAT(" * 990 + "'a'" + ")" * 990 + " AS ?x) WHERE {}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = http(server + "sparql", encoded(query=nested), form)
    assert status == 200, body
    assert json.loads(body)["results"]["bindings"] == [{"x": {"type": "literal", "value": "a"}}]


# --- no outbound requests, unless allow-listed ----------------------------------------------------


def test_no_query_makes_the_server_connect_anywhere(server: str) -> None:
    endpoint = server + "sparql"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with ConnectionRecorder(SPARQL_JSON_ANSWER) as recorder:
        attempts = [
            f"SELECT * WHERE {{ SERVICE <{recorder.url}sparql> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{recorder.url}sparql> {{ ?s ?p ?o }} }}",
            f"PREFIX r: <{recorder.url}> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
            f"SELECT * FROM <{recorder.url}data.ttl> WHERE {{ ?s ?p ?o }}",
            f"SELECT * FROM NAMED <{recorder.url}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            f"LOAD <{recorder.url}data.ttl>",
        ]
        statuses = [http(endpoint, encoded(query=query), form)[0] for query in attempts]
        assert statuses == [400, 400, 400, 200, 200, 403]
        assert recorder.requests == []


def test_allow_listed_service_is_called_and_others_are_not() -> None:
    with (
        ConnectionRecorder(SPARQL_JSON_ANSWER) as allowed,
        ConnectionRecorder(SPARQL_JSON_ANSWER) as other,
        live_server(["--data", str(FIXTURE), "--service-allow", allowed.url]) as base,
    ):
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        query = f"SELECT ?remote WHERE {{ SERVICE <{allowed.url}sparql> {{ ?s ?p ?remote }} }}"
        status, _, body = http(base + "sparql", encoded(query=query), form)
        assert status == 200, body
        values = [b["remote"]["value"] for b in json.loads(body)["results"]["bindings"]]
        assert values == ["from the allowed endpoint"]
        assert len(allowed.requests) == 1
        assert b"POST /sparql" in allowed.requests[0]
        refused = f"SELECT * WHERE {{ SERVICE <{other.url}sparql> {{ ?s ?p ?o }} }}"
        status, _, body = http(base + "sparql", encoded(query=refused), form)
        assert status == 400
        assert b"not allowed" in body
        assert other.requests == []
        description = http(base + "sparql", headers={"Accept": "application/n-triples"})[2]
        assert b"BasicFederatedQuery" in description


def test_stopping_the_server_leaves_no_process_behind() -> None:
    with live_server(["--data", str(FIXTURE)]) as base:
        assert http(base + "sparql?" + urllib.parse.urlencode({"query": RANKS}))[0] == 200
        running = server_processes(base)
        # The event loop, two query slots and two document slots.
        assert len(running) == 5
    deadline = time.monotonic() + 10
    while server_processes(base) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server_processes(base) == set()
