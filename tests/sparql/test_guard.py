"""The query guard: SERVICE, FROM and updates found in query text the way Oxigraph reads it.

Oxigraph itself is the oracle: a query that makes pyoxigraph connect to a local listener used
SERVICE, so the guard must refuse it, whatever tricks its text plays.
"""

from __future__ import annotations

from unittest import mock

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from paxsilica.rdf import query_text
from paxsilica.rdf.query_text import text_figures, tokenize
from paxsilica.sparql import guard as query_guard
from paxsilica.sparql.guard import (
    QueryRefused,
    inspect,
    looks_like_update,
    normalize_allow_list,
    prologue_prefixes,
)
from sparql_support import ConnectionRecorder


def oracle_store() -> ox.Store:
    """A store where the triple patterns of the cases below match, so SERVICE gets evaluated."""
    store = ox.Store()
    s, p = ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p")
    for value in (
        ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
        ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.Literal("a#b"),
        ox.Literal("it's"),
        ox.Literal("x"),
        ox.NamedNode("http://e/#"),
    ):
        store.add(ox.Quad(s, p, value))
    store.add(ox.Quad(s, ox.NamedNode("http://e/p#"), s))
    return store


ORACLE = oracle_store()


def oxigraph_calls_service(query: str, recorder: ConnectionRecorder) -> bool:
    """Run a query in this process (no guard, no sandbox); say whether it reached the listener."""
    before = len(recorder.requests)
    try:
        results = ORACLE.query(query)
        if isinstance(results, ox.QuerySolutions | ox.QueryTriples):
            list(results)
    except (SyntaxError, OSError, ValueError):
        pass
    # The listener records a request before it answers or hangs up, and Oxigraph waits for
    # that, so whatever reached the listener is recorded by now.
    return len(recorder.requests) > before


TRICKY_SERVICE = [
    "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "select * where { service <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICESILENT<{url}>{ ?s ?p ?o } }",
    "SELECT*{SERVICE<{url}>{?s ?p ?o}}",
    "PREFIX : <{url}> SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    "PREFIX e: <{url}> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p true SERVICE <{url}> { ?x ?y ?z } }",
    "SELECT * WHERE { ?s ?p trueSERVICE <{url}> { ?x ?y ?z } }",
    "SELECT * WHERE { ?s ?p 1SERVICE <{url}> { ?x ?y ?z } }",
    "SELECT * WHERE { ?s <http://e/p#> ?o SERVICE <{url}> { ?x ?y ?z } }",
    "SELECT * WHERE { ?s ?p <http://e/#> SERVICE <{url}> { ?x ?y ?z } }",
    "SELECT * WHERE { ?s ?p 'a#b' . SERVICE <{url}> { ?x ?y ?z } }",
    "SELECT * WHERE { ?s ?p '''it's'''. SERVICE <{url}> { ?x ?y ?z } }",
    "SELECT * WHERE { ?s ?p <http://e/\\u0023> SERVICE <{url}> { ?x ?y ?z } }",
    "SELECT * WHERE { # a comment\n SERVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { FILTER(?a<?b) SERVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } } } }",
    "ASK { FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
]


@pytest.mark.parametrize("template", TRICKY_SERVICE)
def test_every_service_oxigraph_would_call_is_refused(template: str) -> None:
    with ConnectionRecorder() as recorder:
        query = template.replace("{url}", recorder.url)
        assert oxigraph_calls_service(query, recorder), "the case must be a real SERVICE call"
        with pytest.raises(QueryRefused) as refused:
            inspect(query)
    assert refused.value.status == 400
    assert "SERVICE" in refused.value.message
    assert "disabled" in refused.value.message


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?service WHERE { ?service ?p ?o }",
        "SELECT * WHERE { ?s ?p 'SERVICE <http://x/> {}' }",
        'SELECT * WHERE { ?s ?p """SERVICE""" }',
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> {}",
        "PREFIX schema: <https://schema.org/> SELECT * WHERE { ?s schema:serviceType ?o }",
        "SELECT * WHERE { ?s <http://e/service> ?o }",
        "SELECT * WHERE { _:service ?p ?o }",
    ],
)
def test_the_word_service_outside_code_is_no_federation(query: str) -> None:
    assert inspect(query).service_targets == ()


@pytest.fixture(scope="module")
def listener():
    with ConnectionRecorder() as recorder:
        yield recorder


# Pieces of a group graph pattern that match the oracle store, so that what follows them runs.
PADDING = [
    "?s ?p ?o .",
    "?s ?p ?o",
    "# a comment with SERVICE <http://x/> {}\n",
    "FILTER(true)",
    "FILTER(?s<?p)",
    "BIND('#' AS ?hash)",
    "BIND('''it's''' AS ?text)",
    "OPTIONAL { ?s ?p 'a#b' }",
    "?s <http://e/p#> ?x .",
    "?s ?p <http://e/#>",
    "?s ?p true",
    "?s ?p 1",
    "VALUES ?v { 'x' }",
    "{ }",
]


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    before=st.lists(st.sampled_from(PADDING), max_size=3),
    after=st.lists(st.sampled_from(PADDING), max_size=2),
    glue=st.sampled_from([" ", "\n", "", "# SERVICE\n", " . "]),
    keyword=st.sampled_from(["SERVICE", "service", "Service", "sErViCe"]),
    silent=st.sampled_from(["", " SILENT", "SILENT", "\nsilent"]),
    target=st.sampled_from(["<{url}>", " <{url}>", " :x", ":x", " e:y", "e:y", "\n<{url}>"]),
    inner=st.sampled_from(["{ ?x ?y ?z }", "{}", " { FILTER(true) }", "{?x ?y ?z}"]),
    form=st.sampled_from(["SELECT * WHERE { %s }", "ASK { %s }", "SELECT*{%s}"]),
)
def test_guard_refuses_whatever_makes_oxigraph_connect(
    listener: ConnectionRecorder, before, after, glue, keyword, silent, target, inner, form
) -> None:
    body = " ".join(before) + glue + keyword + silent + target + inner + " " + " ".join(after)
    prologue = "PREFIX : <{url}> PREFIX e: <{url}> "
    query = (prologue + form % body).replace("{url}", listener.url)
    # Only the arrangements Oxigraph accepts as a SERVICE call count; if the strategy made too
    # few of them, Hypothesis fails the test for filtering too much.
    assume(oxigraph_calls_service(query, listener))
    with pytest.raises(QueryRefused):
        inspect(query)


def test_from_clauses_are_noticed() -> None:
    assert inspect("SELECT * FROM <http://g/1> WHERE { ?s ?p ?o }").names_dataset
    assert inspect("SELECT * FROM NAMED <http://g/1> WHERE { GRAPH ?g { ?s ?p ?o } }").names_dataset
    assert inspect("ASKFROM<http://g/1>{}").names_dataset
    assert not inspect("SELECT * WHERE { ?s ?p 'from here' }").names_dataset
    assert not inspect("SELECT ?from WHERE { ?from ?p ?o }").names_dataset


def test_allowed_services_are_resolved_and_checked() -> None:
    allow = normalize_allow_list(["http://127.0.0.1:8890", "https://query.example.org/sparql"])
    assert allow == ("http://127.0.0.1:8890/", "https://query.example.org/sparql")
    facts = inspect(
        "PREFIX e: <http://127.0.0.1:8890/> SELECT * WHERE { SERVICE e:sparql { ?s ?p ?o } "
        "SERVICE SILENT <https://query.example.org/sparql> { ?a ?b ?c } }",
        allow,
    )
    assert facts.service_targets == (
        "http://127.0.0.1:8890/sparql",
        "https://query.example.org/sparql",
    )
    refused_cases = [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:88901/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:8890@evil.example/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
        "PREFIX e: <http://evil.example/> SELECT * WHERE { SERVICE e:x { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    ]
    for query in refused_cases:
        with pytest.raises(QueryRefused) as refused:
            inspect(query, allow)
        assert refused.value.status == 400, query


def test_updates_are_recognised_after_the_parser_fails() -> None:
    for update in [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "PREFIX e: <http://e/> DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <http://g>",
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "insertdata{}",
    ]:
        assert looks_like_update(update), update
    for other in ["SELECT * WHERE {", "address", "", "# just a comment"]:
        assert not looks_like_update(other), other


def test_long_queries_are_bounded_before_the_parser_sees_them() -> None:
    deep = "SELECT * WHERE { FILTER(" + "(" * 40_000 + "1" + ")" * 40_000 + ") }"
    with pytest.raises(QueryRefused, match="nested too deeply"):
        inspect(deep)
    many = "SELECT * WHERE { FILTER(" + "!" * (query_guard.MAX_TOKENS + 10) + "true) }"
    with pytest.raises(QueryRefused, match="too long"):
        inspect(many)
    # Long but flat and modest: fine.
    values = "SELECT * WHERE { VALUES ?x { " + " ".join(str(n) for n in range(20_000)) + " } }"
    assert inspect(values).service_targets == ()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("DESCRIBE <http://ex.org/a>", {}),
        (
            "PREFIX a: <http://a.org/> prefix B: <http://b.org/#> SELECT * {}",
            {"a": "http://a.org/", "B": "http://b.org/#"},
        ),
        (
            "BASE <http://ex.org/> PREFIX : <x/> PREFIX ex: <http://ex.org/> ASK {}",
            {"ex": "http://ex.org/"},
        ),
        (
            "# a comment\nPREFIX e\u00e9: <http://e.org/> VERSION '1.2' PREFIX f: <urn:f:> ASK {}",
            {"e\u00e9": "http://e.org/", "f": "urn:f:"},
        ),
        # Declarations after the prologue are no prefixes of the query's; a cut query has none.
        ("SELECT * { ?s ?p ?o } PREFIX late: <http://late.org/>", {}),
        ("PREFIX cut:", {}),
    ],
)
def test_the_prefixes_of_the_prologue_are_read(query: str, expected: dict) -> None:
    assert prologue_prefixes(query) == expected


# --- inputs that once made the lexer quadratic -------------------------------------------------

ADVERSARIAL = {
    "a.a.a": lambda n: ("SELECT * { " + "a." * n)[:n],
    "an unterminated string": lambda n: ('SELECT * { ?s ?p "' + "x" * n)[:n],
    "deep brackets": lambda n: ("SELECT * { " + "(" * n)[:n],
    "prefixed names": lambda n: ("SELECT * { " + "a:b.c " * n)[:n],
    "a long string's quotes": lambda n: ("'''" + "a''" * n)[:n],
    "dots after a blank node": lambda n: ("_:a" + "." * n)[:n],
    "keywords everywhere": lambda n: ("SELECT * { " + "fromservice " * n)[:n],
    "a run of numbers": lambda n: ("SELECT * { a" + "1e-1.2." * n)[:n],
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("size", [64 * 1024, 200 * 1024, 1024 * 1024])
def test_adversarial_queries_are_read_whole_or_refused(name: str, size: int) -> None:
    query = ADVERSARIAL[name](size)
    try:
        query_guard.inspect(query)
        status = 200
    except query_guard.QueryRefused as refused:
        status = refused.status
    assert status in (200, 400)
    # Reading stops one token past the limit, however long the text.
    assert len(tokenize(query, query_guard.MAX_TOKENS)) <= query_guard.MAX_TOKENS + 1
    query_guard.looks_like_update(query)


def test_a_run_of_name_characters_splits_as_before() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("a.b.c ex.:x ex:y.z. _:b..")]
    assert kinds == [
        ("word", "a"), ("punct", "."), ("word", "b"), ("punct", "."), ("word", "c"),
        ("word", "ex"), ("punct", "."), ("pname", ":x"),
        ("pname", "ex:y.z"), ("punct", "."),
        ("bnode", "_:b"), ("punct", "."), ("punct", "."),
    ]  # fmt: skip


# --- the figures read at C speed are the tokens' figures --------------------------------------

# Characters and pieces that end, start or change a token: name characters, dots before and
# after colons, exponents, escapes, quotes of every kind, brackets, comments, non-ASCII
# letters (one of which lower-cases to two characters) and NUL.
PIECES = [
    *"aefrmosvicE1.5+-_:?$@#<>\"'\\() {}[]\n,;*\u00e9\u00b7\u0300\u0130\u212a\0x",
    "from", "service", "SERVICE", "a.b", "ex:", "ex.:", "_:b", "'''", '"""',
    "<http://x>", "1e+5", ".5e-3", "@en-US", "#c\n", "\\u0041", "a\\)", ":x\\(",
]  # fmt: skip


def token_figures(query: str) -> tuple[int, int, bool, bool]:
    """What the guard once read off tokenize()'s tokens: count, depth, FROM, SERVICE."""
    tokens = tokenize(query)
    depth = deepest = 0
    for token in tokens:
        if token.kind == "punct" and token.text in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif token.kind == "punct" and token.text in ")}]":
            depth -= 1
    codes = [query_guard._code_text(token) for token in tokens]
    return (
        len(tokens),
        deepest,
        any("from" in code for code in codes),
        any("service" in code for code in codes),
    )


@settings(max_examples=3000, deadline=None)
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=40), small_slices=st.booleans())
def test_the_figures_read_at_c_speed_are_the_tokens_figures(
    pieces: list[str], small_slices: bool
) -> None:
    query = "".join(pieces)
    # Slices of two characters put a slice boundary beside every field.
    with mock.patch.object(query_text, "_COUNT_SLICE", 2 if small_slices else 65_536):
        figures = text_figures(query, 10**9)
    found = (figures.tokens, figures.depth, "from" in figures.code, "service" in figures.code)
    assert found == token_figures(query)


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_the_count_stops_past_its_limit_and_is_exact_below_it(name: str) -> None:
    query = ADVERSARIAL[name](200 * 1024)
    exact = len(tokenize(query))
    assert text_figures(query, 10**9).tokens == exact
    assert text_figures(query, exact).tokens == exact
    assert text_figures(query, exact - 1).tokens > exact - 1
