"""The guard that ends a serving process whose query overruns, and the runner that uses it.

The guard is exercised here with ``end_process`` recorded instead of carried out; the real
thing, gunicorn replacing a worker that ended, is tested against ``paxsilica serve`` in
test_sparql_clients.py.
"""

from __future__ import annotations

import http.client
import io
import threading
import time

import pytest
from flask import Flask, Response

from paxsilica.config import load_settings
from paxsilica.sparql.execution import QueryJob, QueryOutcome
from paxsilica.sparql.process_guard import GUARD_ENVIRON_KEY, ProcessGuard
from paxsilica.web.app import create_app
from paxsilica.web.query_runner import ServingProcessRunner, response_bytes
from paxsilica.web.state import published
from sparql_support import FIXTURE


class Recorder:
    """What a guard did: the outcomes it answered with, and the exit codes it ended with."""

    def __init__(self):
        self.answered: list[QueryOutcome] = []
        self.ended: list[int] = []
        self.done = threading.Event()

    def answer(self, outcome: QueryOutcome) -> None:
        self.answered.append(outcome)

    def end(self, code: int) -> None:
        self.ended.append(code)
        self.done.set()


def test_an_overdue_query_is_answered_503_then_the_process_ends() -> None:
    recorder = Recorder()
    guard = ProcessGuard(end_process=recorder.end)
    guard.watch(time.monotonic() + 0.2, 0.2, recorder.answer)
    assert recorder.done.wait(5)
    assert [o.status for o in recorder.answered] == [503]
    assert "ran longer than 0.2 s and was stopped" in recorder.answered[0].message
    assert recorder.ended == [0]
    # The query's own thread finds it taken: it must not answer a second time.
    assert guard.unwatch() is False


def test_a_query_done_in_time_is_left_alone() -> None:
    recorder = Recorder()
    guard = ProcessGuard(end_process=recorder.end)
    for _ in range(3):
        guard.watch(time.monotonic() + 0.15, 0.15, recorder.answer)
        time.sleep(0.05)
        assert guard.unwatch() is True
    time.sleep(3 * ProcessGuard.TICK_SECONDS + 0.2)
    assert recorder.answered == []
    assert recorder.ended == []


def test_a_query_that_grows_past_its_memory_is_answered_503() -> None:
    recorder = Recorder()
    guard = ProcessGuard(memory_bytes=32 * 1024 * 1024, end_process=recorder.end)
    guard.watch(time.monotonic() + 30, 30, recorder.answer)
    time.sleep(3 * ProcessGuard.TICK_SECONDS)  # the guard notes the memory at the start
    grown = b"x" * (128 * 1024 * 1024)  # written, hence resident
    assert recorder.done.wait(5)
    del grown
    assert [o.status for o in recorder.answered] == [503]
    assert "more memory" in recorder.answered[0].message


def parsed(message: bytes) -> http.client.HTTPResponse:
    class OneMessage:
        def makefile(self, *_args, **_kwargs):
            return io.BytesIO(message)

    response = http.client.HTTPResponse(OneMessage())  # type: ignore[arg-type]
    response.begin()
    return response


def test_response_bytes_is_a_whole_http_message_that_closes_the_connection() -> None:
    app = Flask("t")
    text = "503 Query timeout: <stopped> — été\n"
    with app.test_request_context("/sparql"):
        response = Response(text, status=503, content_type="text/plain; charset=utf-8")
        response.headers["Vary"] = "Accept"
        message = response_bytes(response, {"REQUEST_METHOD": "GET"})
    answer = parsed(message)
    assert answer.status == 503
    assert answer.reason == "Service Unavailable"
    assert answer.getheader("Connection") == "close"
    assert answer.getheader("Vary") == "Accept"
    assert answer.getheader("Date")
    assert answer.read().decode("utf-8") == text


def test_the_runner_answers_through_the_endpoint_and_retires_a_grown_process() -> None:
    app = create_app(load_settings(data_files=(str(FIXTURE),), query_runner="serving"))
    runner = published(app).sparql.runner
    assert isinstance(runner, ServingProcessRunner)
    guard = ProcessGuard()
    client = app.test_client()
    query = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"
    answer = client.get(
        "/sparql", query_string={"query": query}, environ_overrides={GUARD_ENVIRON_KEY: guard}
    )
    assert answer.status_code == 200
    assert len(answer.get_json()["results"]["bindings"]) == 2
    assert guard.retire is False
    runner.recycle_bytes = 1  # this process has faulted in more than a byte since it began
    answer = client.get(
        "/sparql", query_string={"query": query}, environ_overrides={GUARD_ENVIRON_KEY: guard}
    )
    assert answer.status_code == 200
    assert guard.retire is True


def test_the_runner_needs_the_guard_of_a_serving_worker() -> None:
    app = create_app(load_settings(data_files=(str(FIXTURE),), query_runner="serving"))
    runner = published(app).sparql.runner
    with app.test_request_context("/sparql"), pytest.raises(RuntimeError, match="paxsilica serve"):
        runner.run(QueryJob("ASK {}"), 5)
