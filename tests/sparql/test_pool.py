"""Running queries: serialization with the row cap, and the pool of killable worker processes."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from conftest import IN_CI
from paxsilica import iris
from paxsilica.rdf.store import DataFile, load_file
from paxsilica.sparql.execution import QueryJob, execute
from paxsilica.sparql.pool import QueryPool, _Watchdog, _Worker
from sparql_support import (
    EX,
    FIXTURE,
    RUNAWAY,
    SPARQL_JSON_ANSWER,
    ConnectionRecorder,
    children_of,
    cpu_seconds,
)

ITEMS = f"SELECT ?item WHERE {{ <{EX}items> <{EX}item> ?item }} ORDER BY ?item"
GRAPH = ox.NamedNode(iris.user_graph_iri("sparql-fixture.ttl"))
OTHER = ox.NamedNode(iris.user_graph_iri("other.ttl"))


@pytest.fixture(scope="module")
def store() -> ox.Store:
    store = ox.Store()
    load_file(store, DataFile(FIXTURE, GRAPH.value), progress=False)
    store.add(ox.Quad(ox.NamedNode(EX + "other"), ox.NamedNode(EX + "in"), ox.Literal("x"), OTHER))
    return store


@pytest.fixture(scope="module")
def pool(store: ox.Store):
    pool = QueryPool(store, size=2)
    yield pool
    pool.close()


def items_of(outcome, key: str) -> list[int]:
    """The ?item values of an answer, read with a parser of the format."""
    if key == "csv":
        rows = list(csv.DictReader(io.StringIO(outcome.body.decode())))
        return [int(row["item"]) for row in rows]
    parsed = ox.parse_query_results(outcome.body, ox.QueryResultsFormat.from_extension(key))
    return [int(solution["item"].value) for solution in parsed]


@pytest.mark.parametrize("key", ["json", "xml", "csv", "tsv"])
def test_select_results_in_each_format(store: ox.Store, key: str) -> None:
    outcome = execute(store, QueryJob(ITEMS, results_format=key))
    assert (outcome.status, outcome.kind, outcome.media_key) == (200, "solutions", key)
    assert items_of(outcome, key) == list(range(1, 13))
    assert not outcome.truncated


@pytest.mark.parametrize("key", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("max_rows", [1, 5, 11, 12])
def test_select_results_are_cut_at_the_row_limit(store: ox.Store, key: str, max_rows: int) -> None:
    outcome = execute(store, QueryJob(ITEMS, results_format=key, max_rows=max_rows))
    assert outcome.status == 200
    assert items_of(outcome, key) == list(range(1, max_rows + 1))
    assert outcome.truncated is (max_rows < 12)


def test_a_large_answer_under_the_limit_is_not_cut(store: ox.Store) -> None:
    # 12 rows of JSON take far more than 3 bytes each: the answer is counted, and kept whole.
    outcome = execute(store, QueryJob(ITEMS, results_format="json", max_rows=12))
    assert not outcome.truncated
    assert items_of(outcome, "json") == list(range(1, 13))


def fixture_graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(FIXTURE, format="turtle")
    return graph


@pytest.mark.parametrize(
    ("key", "rdflib_format"),
    [
        ("turtle", "turtle"),
        ("ntriples", "nt"),
        ("rdfxml", "xml"),
        ("jsonld", "json-ld"),
        # CONSTRUCT triples land in the default graph: such N-Quads are N-Triples, such TriG
        # is Turtle (and rdflib's Dataset parser warns about its own deprecations).
        ("nquads", "nt"),
        ("trig", "turtle"),
    ],
)
def test_construct_in_each_format(store: ox.Store, key: str, rdflib_format: str) -> None:
    job = QueryJob("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=key, default_graphs=[GRAPH.value])
    outcome = execute(store, job)
    assert (outcome.status, outcome.kind) == (200, "graph")
    body = outcome.body
    if key == "jsonld":
        # rdflib's JSON-LD parser warns about its own deprecated classes: read it with Oxigraph.
        quads = ox.parse(body, format=ox.RdfFormat.JSON_LD)
        body = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES)
        rdflib_format = "nt"
    got = rdflib.Graph()
    got.parse(data=body, format=rdflib_format)
    assert isomorphic(got, fixture_graph())


def test_construct_is_cut_at_the_row_limit(store: ox.Store) -> None:
    job = QueryJob(f"CONSTRUCT WHERE {{ <{EX}items> ?p ?o }}", graph_format="ntriples", max_rows=4)
    outcome = execute(store, job)
    assert outcome.truncated
    assert len(outcome.body.decode().strip().splitlines()) == 4


@pytest.mark.parametrize(("key", "expected"), [("json", b'"boolean":true'), ("csv", b"true")])
def test_ask(store: ox.Store, key: str, expected: bytes) -> None:
    outcome = execute(store, QueryJob(f"ASK {{ <{EX}alpha> ?p ?o }}", results_format=key))
    assert outcome.kind == "boolean"
    assert expected in outcome.body


def test_malformed_query_reports_the_parser_message_and_position(store: ox.Store) -> None:
    outcome = execute(store, QueryJob("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = }"))
    assert outcome.status == 400
    assert outcome.message.startswith("Malformed query: error at 3:")


def test_no_acceptable_format_for_the_kind_of_result(store: ox.Store) -> None:
    outcome = execute(store, QueryJob("CONSTRUCT WHERE { ?s ?p ?o }", graph_format=None))
    assert outcome.status == 406
    assert "text/turtle" in outcome.message


def count(store: ox.Store, query: str, **job) -> int:
    outcome = execute(store, QueryJob(query, results_format="json", **job))
    assert outcome.status == 200, outcome.message
    return len(json.loads(outcome.body)["results"]["bindings"])


def test_the_default_graph_is_the_union_and_from_selects_a_graph(store: ox.Store) -> None:
    everything = "SELECT * WHERE { ?s ?p ?o }"
    total = count(store, everything)
    assert count(store, f"SELECT * WHERE {{ ?s <{EX}in> ?o }}") == 1
    # FROM selects a graph of the store (no union then); FROM NAMED makes graphs reachable.
    from_other = f"SELECT * FROM <{OTHER.value}> WHERE {{ ?s ?p ?o }}"
    assert count(store, from_other, union_default_graph=False) == 1
    named = f"SELECT * FROM NAMED <{OTHER.value}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(store, named, union_default_graph=False) == 1
    # The protocol's graphs override the query's: the default graph is exactly the named one.
    assert count(store, from_other, default_graphs=[GRAPH.value]) == total - 1
    assert count(store, everything, default_graphs=[], named_graphs=[OTHER.value]) == 0
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(store, graphs, default_graphs=[], named_graphs=[OTHER.value]) == 1


def test_bad_graph_iri_is_a_client_error(store: ox.Store) -> None:
    outcome = execute(store, QueryJob("ASK {}", default_graphs=["not an iri"]))
    assert outcome.status == 400


# --- the pool ----------------------------------------------------------------------------------


def test_pool_answers_like_execute(pool: QueryPool, store: ox.Store) -> None:
    job = QueryJob(ITEMS, results_format="tsv")
    assert pool.run(job, 10).body == execute(store, job).body


def test_a_large_answer_crosses_the_channel_whole(pool: QueryPool, store: ox.Store) -> None:
    # A 2 MiB literal: far more than the channel's 64 KiB buffer and the socket's own.
    doublings = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(11))
    query = f"SELECT ?s11 WHERE {{ BIND('{'x' * 1024}' AS ?s0) {doublings} }}"
    outcome = pool.run(QueryJob(query), 30)
    assert outcome.status == 200
    assert isinstance(outcome.body, bytes)
    assert len(outcome.body) > 2 * 1024 * 1024
    assert outcome.body == execute(store, QueryJob(query)).body


def test_a_runaway_query_is_stopped_and_its_worker_replaced(pool: QueryPool) -> None:
    big = ox.Store()
    for n in range(300):
        big.add(ox.Quad(ox.NamedNode(f"{EX}s{n}"), ox.NamedNode(EX + "p"), ox.Literal(str(n))))
    runaway_pool = QueryPool(big, size=2)
    try:
        assert runaway_pool.run(QueryJob("ASK {}"), 10).status == 200
        workers_before = children_of(runaway_pool.zygote_pid)
        answers = {}

        def runaway() -> None:
            answers["runaway"] = runaway_pool.run(QueryJob(RUNAWAY), 2.0)

        thread = threading.Thread(target=runaway)
        thread.start()
        # Meanwhile another query is served by the other worker.
        while thread.is_alive() and "quick" not in answers:
            answers["quick"] = runaway_pool.run(QueryJob("SELECT * { ?s ?p ?o } LIMIT 1"), 10)
        assert thread.is_alive(), "the quick query was answered while the runaway ran"
        thread.join(timeout=30)
        outcome = answers["runaway"]
        assert answers["quick"].status == 200
        assert outcome.status == 503
        assert "Query timeout" in outcome.message
        assert "stopped" in outcome.message
        # The worker that ran it is gone, and nothing is left burning CPU.
        workers_after = children_of(runaway_pool.zygote_pid)
        assert workers_before - workers_after
        spent = cpu_seconds(workers_after)
        time.sleep(1.0)
        assert cpu_seconds(workers_after) - spent < 0.5
        # And the pool serves the next query.
        assert runaway_pool.run(QueryJob("ASK { ?s ?p ?o }"), 10).status == 200
    finally:
        runaway_pool.close()


class RecordingChannel:
    """Stands in for a worker's channel: records that the watchdog interrupted it."""

    def __init__(self):
        self.interrupted = threading.Event()

    def interrupt(self) -> None:
        self.interrupted.set()


def test_the_watchdog_interrupts_only_overdue_queries() -> None:
    watchdog = _Watchdog()
    try:
        overdue, answered = (_Worker(0, RecordingChannel()) for _ in range(2))
        watchdog.watch(overdue, time.monotonic() + 0.1)
        watchdog.watch(answered, time.monotonic() + 0.1)
        assert watchdog.unwatch(answered)  # its answer came in time
        assert overdue.channel.interrupted.wait(timeout=5)
        assert not watchdog.unwatch(overdue)  # the waiting thread learns it was too late
        # A worker watched again for its next query is judged by the new deadline only.
        watchdog.watch(answered, time.monotonic() + 60)
        time.sleep(3 * _Watchdog.TICK_SECONDS)
        assert not answered.channel.interrupted.is_set()
        assert watchdog.unwatch(answered)
    finally:
        watchdog.closed = True


def test_a_worker_killed_from_outside_is_replaced(pool: QueryPool) -> None:
    assert pool.run(QueryJob("ASK {}"), 10).status == 200
    for pid in children_of(pool.zygote_pid):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert pool.run(QueryJob("ASK {}"), 10).status == 200


def test_a_busy_pool_answers_503_in_time(store: ox.Store) -> None:
    big = ox.Store()
    for n in range(300):
        big.add(ox.Quad(ox.NamedNode(f"{EX}s{n}"), ox.NamedNode(EX + "p"), ox.Literal(str(n))))
    single = QueryPool(big, size=1)
    try:
        thread = threading.Thread(target=single.run, args=(QueryJob(RUNAWAY), 3.0))
        thread.start()
        time.sleep(0.5)
        outcome = single.run(QueryJob("ASK {}"), 0.5)
        assert outcome.status == 503
        assert "busy" in outcome.message
        thread.join(timeout=30)
        assert single.run(QueryJob("ASK {}"), 10).status == 200
    finally:
        single.close()


def test_a_query_needing_too_much_memory_kills_only_its_worker(store: ox.Store) -> None:
    small = QueryPool(store, size=1, memory_bytes=256 * 1024 * 1024)
    try:
        seed = "'" + "x" * 1024 + "'"
        doublings = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(24))
        query = f"SELECT (STRLEN(?s24) AS ?n) WHERE {{ BIND({seed} AS ?s0) {doublings} }}"
        outcome = small.run(QueryJob(query), 30)
        assert outcome.status == 503
        assert "memory" in outcome.message
        assert small.run(QueryJob("ASK {}"), 10).status == 200
    finally:
        small.close()


def test_a_worker_within_its_memory_allowance_serves_query_after_query(store: ox.Store) -> None:
    keeping = QueryPool(store, size=1)
    try:
        assert keeping.run(QueryJob(ITEMS), 10).status == 200
        workers = children_of(keeping.zygote_pid)
        for _ in range(5):
            outcome = keeping.run(QueryJob(ITEMS), 10)
            assert (outcome.status, outcome.retire) == (200, False)
        assert children_of(keeping.zygote_pid) == workers != set()
    finally:
        keeping.close()


def test_a_worker_past_its_memory_allowance_is_replaced_after_answering(
    store: ox.Store,
) -> None:
    # Any worker has faulted in more than one byte once it has run a query: each answer
    # retires the worker that gave it.
    recycling = QueryPool(store, size=1, recycle_bytes=1)
    try:
        for _ in range(3):
            outcome = recycling.run(QueryJob(ITEMS), 10)
            assert (outcome.status, outcome.retire) == (200, True)
            assert items_of(outcome, "json") == list(range(1, 13))
            # The retired worker is gone (killed and reaped) once the answer is back.
            assert children_of(recycling.zygote_pid) == set()
        assert recycling.run(QueryJob("ASK {}"), 10).status == 200
    finally:
        recycling.close()


def test_deeply_nested_queries_run_on_the_large_stack(pool: QueryPool) -> None:
    # 5000 nested calls overflow a default 8 MiB stack; the query thread has room.
    nested = "SELECT (" + "CONCAT(" * 5000 + "'a'" + ")" * 5000 + " AS ?x) WHERE {}"
    outcome = pool.run(QueryJob(nested), 30)
    assert outcome.status == 200


def test_workers_cannot_reach_the_network(pool: QueryPool) -> None:
    if not pool.network_isolated:
        message = "no network namespaces here (needs root or unprivileged user namespaces)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with ConnectionRecorder() as recorder:
        # Straight to the pool, past the query guard: the sandbox alone must hold.
        query = f"SELECT * WHERE {{ SERVICE <{recorder.url}sparql> {{ ?s ?p ?o }} }}"
        outcome = pool.run(QueryJob(query), 10)
        assert outcome.status in (400, 502)
        assert recorder.requests == []


def test_an_on_disk_store_opened_read_only_is_served(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    writable = ox.Store(str(directory))
    load_file(writable, DataFile(FIXTURE, GRAPH.value), progress=False)
    writable.flush()
    del writable
    read_only = ox.Store.read_only(str(directory))
    disk_pool = QueryPool(read_only, size=1, keep_paths=[directory])
    try:
        outcome = disk_pool.run(QueryJob(ITEMS, results_format="csv"), 10)
        assert outcome.status == 200
        assert items_of(outcome, "csv") == list(range(1, 13))
    finally:
        disk_pool.close()


def test_closing_the_pool_stops_its_processes(store: ox.Store) -> None:
    short_lived = QueryPool(store, size=2)
    assert short_lived.run(QueryJob("ASK {}"), 10).status == 200
    zygote = short_lived.zygote_pid
    workers = children_of(zygote)
    assert workers
    short_lived.close()
    time.sleep(0.3)
    for pid in {zygote, *workers}:
        assert (
            not Path(f"/proc/{pid}").exists()
            or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        )


def test_a_remote_store_is_sent_only_sparql_11_and_its_failures_are_502() -> None:
    """Over ``serve --endpoint``: the queries go on to another SPARQL server."""
    from paxsilica.rdf.remote import RemoteStore

    with ConnectionRecorder(SPARQL_JSON_ANSWER) as server:
        remote = RemoteStore(server.url + "sparql", graphs=["http://example.org/graph"])
        outcome = execute(remote, QueryJob("SELECT ?remote WHERE { ?s ?p ?remote }"))
        assert outcome.status == 200
        assert b"from the allowed endpoint" in outcome.body
        assert len(server.requests) == 1
        # Virtuoso's pragmas can make it fetch documents: never forwarded.
        vendor = 'DEFINE get:soft "soft" SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }'
        assert execute(remote, QueryJob(vendor)).status == 400
        assert len(server.requests) == 1
    with ConnectionRecorder() as hangs_up:
        broken = RemoteStore(hangs_up.url + "sparql", graphs=["http://example.org/graph"])
        failed = execute(broken, QueryJob("ASK { ?s ?p ?o }"))
        assert failed.status == 502
        assert "SPARQL server behind" in failed.message
