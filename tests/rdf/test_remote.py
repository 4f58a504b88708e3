"""Pushing the dataset into a real Virtuoso with SPARQL Update, idempotently."""

from __future__ import annotations

import csv
import io
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from paxsilica import iris
from paxsilica.rdf.remote import (
    Endpoint,
    RemoteEndpointError,
    RemoteStore,
    _batches,
    push_dataset,
    push_graph,
)
from sparql_results import competency_questions, expected_answer, read_expected, run_select
from virtuoso import VirtuosoServer, free_port


def select(server: VirtuosoServer, query: str) -> list[dict[str, str]]:
    url = server.sparql_url + "?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return list(csv.DictReader(io.StringIO(response.read().decode("utf-8"))))


def count(server: VirtuosoServer, graph: str) -> int:
    rows = select(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"])


def endpoint_of(server: VirtuosoServer) -> Endpoint:
    return Endpoint(server.update_url, server.user, server.password)


def test_push_is_complete_and_idempotent(virtuoso: VirtuosoServer, bundled_store: ox.Store) -> None:
    first = push_dataset(endpoint_of(virtuoso), progress=False)
    instances = ox.NamedNode(iris.GRAPH_INSTANCES)
    expected = sum(1 for _ in bundled_store.quads_for_pattern(None, None, None, instances))
    assert first[iris.GRAPH_INSTANCES] == expected
    assert count(virtuoso, iris.GRAPH_INSTANCES) == expected
    second = push_dataset(endpoint_of(virtuoso), progress=False)
    assert second == first
    assert count(virtuoso, iris.GRAPH_INSTANCES) == expected
    # Blank nodes keep their shape: each membership has one interval with one beginning.
    query = (
        "PREFIX org: <http://www.w3.org/ns/org#> PREFIX time: <http://www.w3.org/2006/time#> "
        f"SELECT ?m ?date WHERE {{ GRAPH <{iris.GRAPH_INSTANCES}> {{ "
        "?m org:memberDuring/time:hasBeginning/time:inXSDDate ?date } } ORDER BY ?m"
    )
    rows = select(virtuoso, query)
    local = [{"m": row["m"].value, "date": row["date"].value} for row in bundled_store.query(query)]
    assert rows == local
    assert rows
    assert {"m": iris.entity_iri("membership", "IN-2026-02-20"), "date": "2026-02-20"} in rows


@pytest.fixture
def scratch_graphs(virtuoso: VirtuosoServer) -> Iterator[list[str]]:
    """Graphs a test pushes besides the dataset, dropped after it so others see one copy."""
    graphs: list[str] = []
    yield graphs
    for graph in graphs:
        endpoint_of(virtuoso).update(f"DROP SILENT GRAPH <{graph}>")


def test_push_into_one_graph(virtuoso: VirtuosoServer, scratch_graphs: list[str]) -> None:
    scratch_graphs.append("urn:paxsilica:merged")
    sent = push_dataset(endpoint_of(virtuoso), graph="urn:paxsilica:merged", progress=False)
    assert count(virtuoso, "urn:paxsilica:merged") == sent["urn:paxsilica:merged"] > 0


def test_failed_push_keeps_the_old_graph(
    virtuoso: VirtuosoServer, scratch_graphs: list[str]
) -> None:
    scratch_graphs.append("urn:paxsilica:keep")
    endpoint = endpoint_of(virtuoso)
    good = [ox.Triple(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("kept"))]
    push_graph(endpoint, "urn:paxsilica:keep", good, 10)
    wrong = Endpoint(virtuoso.update_url, virtuoso.user, "not-the-password")
    with pytest.raises(RemoteEndpointError, match="sparql-auth"):
        push_graph(wrong, "urn:paxsilica:keep", [], 10)
    assert count(virtuoso, "urn:paxsilica:keep") == 1


def test_unreachable_endpoint_is_a_clear_error() -> None:
    endpoint = Endpoint(f"http://127.0.0.1:{free_port()}/sparql", timeout=5)
    with pytest.raises(RemoteEndpointError, match=r"127\.0\.0\.1"):
        endpoint.update("DROP SILENT GRAPH <urn:x>")


def test_batches_never_split_a_blank_node() -> None:
    a, b = ox.BlankNode("a"), ox.BlankNode("b")
    p = ox.NamedNode("urn:p")
    triples = [
        ox.Triple(ox.NamedNode("urn:s"), p, a),
        ox.Triple(a, p, b),
        ox.Triple(b, p, ox.Literal("x")),
        *(ox.Triple(ox.NamedNode(f"urn:s{i}"), p, ox.Literal(str(i))) for i in range(5)),
    ]
    batches = list(_batches(triples, 2))
    holding = [batch for batch in batches if any(a in (t.subject, t.object) for t in batch)]
    assert len(holding) == 1
    assert sum(len(batch) for batch in batches) == len(triples)
    assert all(b in (t.subject, t.object) for t in holding[0][1:])


def test_load_command_pushes(
    virtuoso: VirtuosoServer, scratch_graphs: list[str], monkeypatch, capsys
) -> None:
    from paxsilica.cli import main

    scratch_graphs.append("urn:paxsilica:cli")
    push = [
        "load",
        "--quiet",
        "--endpoint",
        virtuoso.sparql_url,
        "--update-endpoint",
        virtuoso.update_url,
        "--endpoint-user",
        virtuoso.user,
        "--graph",
        "urn:paxsilica:cli",
    ]
    monkeypatch.setenv("PAXSILICA_ENDPOINT_PASSWORD", virtuoso.password)
    assert main(push) == 0
    assert "<urn:paxsilica:cli>:" in capsys.readouterr().out
    assert count(virtuoso, "urn:paxsilica:cli") > 0
    monkeypatch.setenv("PAXSILICA_ENDPOINT_PASSWORD", "wrong")
    status = main(push)
    assert status == 2
    assert "sparql-auth" in capsys.readouterr().err


QUESTIONS = competency_questions()


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.stem for q in QUESTIONS])
def test_remote_store_answers_the_competency_questions(
    virtuoso: VirtuosoServer, question: Path
) -> None:
    """The competency questions get the same answers from Virtuoso as from pyoxigraph."""
    remote = RemoteStore(virtuoso.sparql_url, graph_base=iris.GRAPH_BASE)
    variables, rows = run_select(remote, question.read_text(encoding="utf-8"))
    assert (variables, rows) == read_expected(expected_answer(question))


def test_remote_store_reads_like_a_store(virtuoso: VirtuosoServer, bundled_store: ox.Store) -> None:
    remote = RemoteStore(virtuoso.sparql_url)
    japan = ox.NamedNode(iris.entity_iri("state", "JP"))
    instances = ox.NamedNode(iris.GRAPH_INSTANCES)
    assert set(remote.quads_for_pattern(japan, None, None, instances)) == set(
        bundled_store.quads_for_pattern(japan, None, None, instances)
    )
    assert {iris.GRAPH_INSTANCES, iris.GRAPH_ONTOLOGY} <= {g.value for g in remote.named_graphs()}
    # Virtuoso's own system graphs stay out of the published dataset.
    ours = RemoteStore(virtuoso.sparql_url, graph_base=iris.GRAPH_BASE)
    assert {g.value for g in ours.named_graphs()} == {g.value for g in bundled_store.named_graphs()}
    assert len(ours) == len(bundled_store)
    only_instances = RemoteStore(virtuoso.sparql_url, graphs=[iris.GRAPH_INSTANCES])
    assert len(only_instances) == sum(
        1 for _ in bundled_store.quads_for_pattern(None, None, None, instances)
    )
    # Blank nodes come back as blank nodes, and CONSTRUCT answers serialise like pyoxigraph's.
    triples = remote.query(
        "CONSTRUCT { ?interval ?p ?o } WHERE { "
        f"<{iris.entity_iri('membership', 'JP-2025-12-12')}> "
        "<http://www.w3.org/ns/org#memberDuring> ?interval . ?interval ?p ?o }"
    )
    assert all(isinstance(t.subject, ox.BlankNode) for t in triples)
    assert b"time#hasBeginning" in triples.serialize(format=ox.RdfFormat.N_TRIPLES)
    # Substitutions bind variables as pyoxigraph's do.
    solutions = remote.query(
        "SELECT ?label WHERE { ?state <http://www.w3.org/2000/01/rdf-schema#label> ?label "
        'FILTER(LANG(?label) = "fr") }',
        substitutions={ox.Variable("state"): japan},
    )
    assert [row["label"].value for row in solutions] == ["Japon"]


def test_remote_errors_are_clear(virtuoso: VirtuosoServer) -> None:
    remote = RemoteStore(virtuoso.sparql_url)
    # Malformed SPARQL is refused before anything is sent, with the parser's position.
    with pytest.raises(SyntaxError, match="1:26"):
        remote.query("SELECT ?x WHERE { ?x ?y }")
    # Well-formed SPARQL that the server fails on (Virtuoso refuses a bad regular expression,
    # where SPARQL makes it an unbound value).
    with pytest.raises(RemoteEndpointError, match="regexp error"):
        remote.query('SELECT * WHERE { BIND(REGEX("a", "(") AS ?x) }')
    unreachable = RemoteStore(f"http://127.0.0.1:{free_port()}/sparql", timeout=5)
    with pytest.raises(RemoteEndpointError, match=r"127\.0\.0\.1"):
        list(unreachable.named_graphs())


def test_serving_over_a_remote_store(virtuoso: VirtuosoServer) -> None:
    from paxsilica.config import SettingsError, load_settings
    from paxsilica.web.server import build_application

    app = build_application(load_settings({}, endpoint=virtuoso.sparql_url))
    response = app.test_client().get("/doc/state/IN.nt")
    assert response.status_code == 200
    assert b"Inde" in response.data
    with pytest.raises(SettingsError, match="push files into it"):
        build_application(load_settings({}, endpoint=virtuoso.sparql_url, data_files=["x.ttl"]))
    elsewhere = load_settings({}, endpoint=virtuoso.sparql_url, base_iri="http://127.0.0.1:9/")
    with pytest.raises(SettingsError, match=r"holds no graph under http://127\.0\.0\.1:9/graph/"):
        build_application(elsewhere)


def test_the_dashboard_reads_the_same_over_a_remote_store(virtuoso: VirtuosoServer, app) -> None:
    """The home page's few SELECTs (publish.dashboard) answer alike over Virtuoso."""
    import datetime

    from paxsilica.config import load_settings
    from paxsilica.web.i18n import strings
    from paxsilica.web.server import build_application
    from paxsilica.web.state import published
    from paxsilica.web.templating import href_for

    remote = build_application(load_settings({}, endpoint=virtuoso.sparql_url))
    on = datetime.date(2026, 3, 1)
    views = []
    for application in (remote, app):
        with application.test_request_context():
            board = published(application).dashboard
            views.append(board.view(on, "en", href_for, strings("en")))
    over_virtuoso, local = views
    assert over_virtuoso.chain_total == local.chain_total
    assert over_virtuoso.mineral_total == local.mineral_total
    assert [p.link.iri for p in over_virtuoso.mineral_points] == [
        p.link.iri for p in local.mineral_points
    ]
    assert [s.signatories for s in over_virtuoso.timeline.steps] == [
        s.signatories for s in local.timeline.steps
    ]
    assert [(b.signatories, b.participants) for b in over_virtuoso.stages] == [
        (b.signatories, b.participants) for b in local.stages
    ]
    assert [e.iri for e, _ in over_virtuoso.events] == [e.iri for e, _ in local.events]
    response = remote.test_client().get(
        "/?date=2026-03-01", headers={"User-Agent": "Mozilla/5.0 Chrome/120", "Accept": "text/html"}
    )
    assert response.status_code == 200
