"""Hostile input: requests generated from the endpoint's OpenAPI description never get a 5xx.

Every operation of /openapi.json gets requests built from its declared parameters and bodies,
filled with random text, SPARQL-looking fragments, hostile headers and wrong content types.
Each answer must be one of the statuses the description declares, below 500, with a body and
no stack trace.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paxsilica.web import sparql
from sparql_support import EX, FIXTURE

SPEC = json.loads((Path(sparql.__file__).parent / "openapi.json").read_text(encoding="utf-8"))
OPERATIONS = [
    (path, method, operation)
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
]

# Pieces of SPARQL that reach the parser, the guard and the evaluator; none of them can make
# a query that runs long (every pattern has a constant subject).
FRAGMENTS = [
    "SELECT",
    "ASK",
    "CONSTRUCT",
    "DESCRIBE",
    "INSERT DATA",
    "LOAD",
    "WHERE",
    "*",
    "{",
    "}",
    "(",
    ")",
    "<",
    ">",
    "#",
    "'",
    '"',
    '"""',
    "\\u0000",
    "?x",
    "$y",
    "_:b",
    "<http://127.0.0.1:9/>",
    f"<{EX}alpha> ?p ?o",
    f"<{EX}beta> <{EX}rank> ?r",
    "SERVICE",
    "SERVICE <http://127.0.0.1:9/sparql> { }",
    "FROM <http://127.0.0.1:9/g>",
    "FROM NAMED",
    "GRAPH ?g",
    "FILTER(?r > 1)",
    "BIND(1/0 AS ?z)",
    "VALUES ?x { 1 }",
    "PREFIX e: <http://e/>",
    "BASE <x:>",
    "LIMIT 3",
    "OFFSET -1",
    "ORDER BY",
    "GROUP BY ?x",
    "COUNT(*)",
    "REGEX(?x, '(', 'q')",
    "\x00",
    "\ud7ff",
    "é",
    "\n",
    " ",
]

sparqlish = st.lists(st.sampled_from(FRAGMENTS), max_size=14).map(" ".join)
# Now and then something far over the size limits (query string, body).
oversized = st.sampled_from(["x" * 20_000, "é" * 9_000, "SELECT * WHERE { " + "{" * 5_000])
text = st.one_of(
    st.text(max_size=200),
    sparqlish,
    st.just(f"SELECT * WHERE {{ <{EX}alpha> ?p ?o }}"),
    st.integers(0, 9).flatmap(lambda n: oversized if n == 0 else sparqlish),
)


def sometimes(strategy, one_in: int):
    """The strategy's values one time in ``one_in``, None otherwise."""
    return st.integers(0, one_in - 1).flatmap(lambda n: strategy if n == 0 else st.none())


# Header values must be Latin-1 without line breaks to be sent at all.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=120,
)
media_types = st.sampled_from(
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
        "text/turtle",
        "application/ld+json",
        "application/rdf+xml",
        "application/n-triples",
        "text/html",
        "*/*",
        "image/png",
        "application/json;q=0.1",
        "text/*;q=0",
        "*/*;q=abc",
        ";;;",
    ]
)
accept = st.one_of(header_text, st.lists(media_types, max_size=4).map(", ".join))
content_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/sparql-query",
        "application/sparql-query; charset=latin-1",
        "application/sparql-query; charset=nonsense",
        "application/sparql-update",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/json",
        "",
    ]
)


def value_for(schema: dict):
    if schema.get("type") == "array":
        return st.lists(text, max_size=3)
    return text


def parameters_strategy(operation: dict):
    """A strategy for the query-string parameters and headers an operation declares."""
    query: dict = {}
    headers: dict = {}
    for parameter in operation.get("parameters", []):
        name, value = parameter["name"], value_for(parameter["schema"])
        if parameter["in"] == "query":
            # Mostly a query; the others now and then (update= alone is a 403 at once).
            if name == "query":
                query[name] = st.integers(0, 4).flatmap(lambda n, v=value: v if n else st.none())
            else:
                query[name] = sometimes(value, 6)
        elif parameter["in"] == "header":
            headers[name] = st.one_of(st.none(), accept)
    # Parameters nobody declared, too.
    query["unexpected"] = sometimes(text, 4)
    headers["User-Agent"] = st.one_of(st.none(), st.just("Mozilla/5.0"), header_text)
    return st.fixed_dictionaries(query), st.fixed_dictionaries(headers)


def body_strategy(operation: dict):
    """A strategy for (content type, body) pairs: the declared ones filled at random, and others."""
    declared = operation.get("requestBody", {}).get("content", {})
    choices = []
    for content_type, media in declared.items():
        properties = media["schema"].get("properties")
        if properties:
            form = st.fixed_dictionaries(
                {
                    name: value_for(schema) if name == "query" else sometimes(value_for(schema), 5)
                    for name, schema in properties.items()
                }
            )
            choices.append(st.tuples(st.just(content_type), form))
        else:
            choices.append(st.tuples(st.just(content_type), text))
    choices.append(st.tuples(content_types, st.one_of(text, st.binary(max_size=300))))
    choices.append(st.tuples(content_types, st.binary(min_size=5000, max_size=5000)))
    return st.one_of(*choices)


def without_none(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


@pytest.fixture(scope="module")
def app(make_app):
    return make_app(data_files=(str(FIXTURE),), query_timeout=10.0, max_body_bytes=4096)


def check(response, operation: dict) -> None:
    body = response.get_data()
    assert response.status_code < 500, body[:500]
    assert str(response.status_code) in operation["responses"], (response.status_code, body[:300])
    assert b"Traceback" not in body
    assert response.headers.get("Content-Type") or response.status_code == 204


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS, ids=lambda v: str(v)[:20])
def test_generated_requests_never_fail_the_server(client, path, method, operation) -> None:
    query_strategy, header_strategy = parameters_strategy(operation)
    body = body_strategy(operation) if method == "post" else st.just(None)

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(query=query_strategy, headers=header_strategy, payload=body)
    def run(query, headers, payload) -> None:
        arguments = {"query_string": without_none(query), "headers": without_none(headers)}
        if payload is not None:
            content_type, data = payload
            if isinstance(data, dict):
                data = without_none(data)
            arguments.update(data=data, content_type=content_type or None)
        response = client.open(path, method=method.upper(), **arguments)
        check(response, operation)

    run()


@given(query=text, accept_header=accept)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_any_query_text_gets_an_answer_or_a_clear_refusal(client, query, accept_header) -> None:
    response = client.post(
        "/sparql",
        data=query.encode("utf-8", "surrogatepass"),
        content_type="application/sparql-query",
        headers={"Accept": accept_header},
    )
    check(response, SPEC["paths"]["/sparql"]["post"])
    if response.status_code == 400:
        assert len(response.get_data(as_text=True).strip()) > len("400 ")
