"""The serving core against hostile clients: slow requests, floods, hang-ups, memory, SIGTERM.

Every test drives a real ``paxsilica serve`` on 127.0.0.1. Clients that stand for different
users connect from different loopback addresses, as the per-client limit counts addresses.
Bounds on time appear only where time is the behaviour, and are generous.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import threading
import time
import urllib.parse
from pathlib import Path

from process_support import process_stats, wait_for
from publication_support import FIXTURE, live_server, server_processes
from sparql_support import RUNAWAY, cpu_seconds

QUERY_HEADERS = {"Content-Type": "application/sparql-query", "Accept": "application/json"}


def request(base: str, method: str, path: str, body=None, headers=None, source=None):
    """Send one request on a fresh connection; return (status, headers, body)."""
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=60, source_address=(source, 0) if source else None
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def open_query(base: str, query: str, source: str = "127.0.0.1") -> socket.socket:
    """Send a query on a raw connection and return it without reading the answer."""
    parts = urllib.parse.urlsplit(base)
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect((parts.hostname, parts.port))
    body = query.encode()
    sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


def answer_of(sock: socket.socket, timeout: float = 60) -> bytes:
    """Read what the server sends on a raw connection until it closes or goes quiet."""
    sock.settimeout(timeout)
    received = b""
    try:
        while b"\r\n\r\n" not in received or not received.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        pass
    return received


def busy_slots(base: str, seconds: float = 0.5) -> set[int]:
    """The server's processes that used CPU time over the next ``seconds``."""
    pids = server_processes(base)
    before = {pid: cpu_seconds({pid}) for pid in pids}
    time.sleep(seconds)
    return {pid for pid in pids if cpu_seconds({pid}) - before[pid] > seconds / 4}


def test_a_slow_client_gets_408_while_another_is_served() -> None:
    with live_server(["--data", str(FIXTURE), "--header-timeout", "1"]) as base:
        parts = urllib.parse.urlsplit(base)
        slow = socket.create_connection((parts.hostname, parts.port))
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        # The half-sent request holds nothing: others are served meanwhile.
        assert request(base, "GET", "/doc/state/XT", headers={"Accept": "text/turtle"})[0] == 200
        assert answer_of(slow, 30).startswith(b"HTTP/1.1 408 ")
        slow.close()


def test_a_query_whose_client_hangs_up_is_stopped() -> None:
    with live_server(["--data", str(FIXTURE)]) as base:
        sock = open_query(base, RUNAWAY)
        assert wait_for(lambda: busy_slots(base))
        running = busy_slots(base)
        sock.close()
        assert wait_for(lambda: not any(pid in process_stats() for pid in running))
        assert not busy_slots(base, 1.0)
        status, _, body = request(base, "POST", "/sparql", b"ASK {}", QUERY_HEADERS)
        assert status == 200
        assert b"true" in body


def test_over_the_per_client_limit_is_429_with_retry_after() -> None:
    with live_server(["--data", str(FIXTURE), "--queries-per-client", "1"]) as base:
        sock = open_query(base, RUNAWAY)
        assert wait_for(lambda: busy_slots(base))
        status, headers, _ = request(base, "POST", "/sparql", b"ASK {}", QUERY_HEADERS)
        assert status == 429
        assert headers["Retry-After"]
        # /sparql/ is the same endpoint, admitted the same way.
        assert request(base, "POST", "/sparql/", b"ASK {}", QUERY_HEADERS)[0] == 429
        # Another client address, and the documents, are served all the same.
        other = request(base, "POST", "/sparql", b"ASK {}", QUERY_HEADERS, source="127.0.0.2")
        assert other[0] == 200
        assert request(base, "GET", "/doc/state/XT", source="127.0.0.1")[0] == 200
        sock.close()


def test_every_slot_busy_and_no_queue_is_503_with_retry_after() -> None:
    options = ["--query-slots", "1", "--query-queue", "0"]
    with live_server(["--data", str(FIXTURE), *options], workers=1) as base:
        sock = open_query(base, RUNAWAY)
        assert wait_for(lambda: busy_slots(base))
        status, headers, body = request(
            base, "POST", "/sparql", b"ASK {}", QUERY_HEADERS, source="127.0.0.2"
        )
        assert status == 503
        assert headers["Retry-After"]
        assert b"busy" in body
        sock.close()


def test_a_query_over_the_memory_budget_is_stopped_with_503() -> None:
    seed = "'" + "x" * 1024 + "'"
    doublings = " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(30))
    query = f"SELECT (STRLEN(?s30) AS ?n) WHERE {{ BIND({seed} AS ?s0) {doublings} }}"
    with live_server(["--data", str(FIXTURE), "--query-memory-mib", "128"]) as base:
        status, _, body = request(base, "POST", "/sparql", query.encode(), QUERY_HEADERS)
        assert status == 503
        assert b"memory" in body
        assert request(base, "POST", "/sparql", b"ASK {}", QUERY_HEADERS)[0] == 200


def test_an_oversized_body_sent_whole_still_gets_its_413() -> None:
    # http.client writes the whole body before it reads anything (so does SPARQLWrapper).
    with live_server(["--data", str(FIXTURE)]) as base:
        body = b"query=" + b"x" * (5 * 1000 * 1000)
        status, _, text = request(
            base, "POST", "/sparql", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 413
        assert b"Content Too Large" in text


def test_sigterm_answers_the_query_in_flight_then_exits() -> None:
    options = ["--query-timeout", "60", "--graceful-timeout", "1"]
    with live_server(["--data", str(FIXTURE), *options]) as base:
        sock = open_query(base, RUNAWAY)
        assert wait_for(lambda: busy_slots(base))
        stats = process_stats()
        pids = server_processes(base)
        loop = next(pid for pid in pids if int(stats[pid][1]) not in pids)
        os.kill(loop, signal.SIGTERM)
        answer = answer_of(sock, 30)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"stopping" in answer
        assert wait_for(lambda: not server_processes(base))


def test_sigterm_lets_a_short_query_in_flight_finish() -> None:
    # A cross product of the hand-written graph: about a second, not a runaway.
    slow_enough = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/pax-silica/graph/instances> "
        "{ ?a ?b ?c . ?d ?e ?f } }"
    )
    with live_server(["--data", str(FIXTURE)]) as base:
        stats = process_stats()
        pids = server_processes(base)
        loop = next(pid for pid in pids if int(stats[pid][1]) not in pids)
        sock = open_query(base, slow_enough)
        threading.Timer(0.05, os.kill, (loop, signal.SIGTERM)).start()
        answer = answer_of(sock, 30)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]


def test_pipelined_requests_are_answered_in_order_on_one_connection() -> None:
    with live_server(["--data", str(FIXTURE)]) as base:
        parts = urllib.parse.urlsplit(base)
        sock = socket.create_connection((parts.hostname, parts.port))
        sock.sendall(
            b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n"
            b"GET /doc/state/XT HTTP/1.1\r\nHost: x\r\nAccept: text/turtle\r\n"
            b"Connection: close\r\n\r\n"
        )
        received = answer_of(sock, 30)
        while True:
            more = sock.recv(65536)
            if not more:
                break
            received += more
        sock.close()
        first, second = received.find(b"HTTP/1.1 200"), received.rfind(b"HTTP/1.1 200")
        assert 0 == first < second
        assert b"text/csv" in received[:second]
        assert b"text/turtle" in received[second:]


def test_a_chunked_body_and_malformed_requests() -> None:
    with live_server(["--data", str(FIXTURE)]) as base:
        parts = urllib.parse.urlsplit(base)
        sock = socket.create_connection((parts.hostname, parts.port))
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Accept: text/csv\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"3\r\nASK\r\n3\r\n {}\r\n0\r\n\r\n"
        )
        assert answer_of(sock, 30).startswith(b"HTTP/1.1 200 ")
        sock.close()
        for garbage in (
            b"GET / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET /\x01 HTTP/1.1\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 100_000 + b"\r\n\r\n",
        ):
            sock = socket.create_connection((parts.hostname, parts.port))
            sock.sendall(garbage)
            answer = answer_of(sock, 30)
            assert answer.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 431 ")), answer[:100]
            sock.close()


def test_the_access_log_has_a_line_per_answer_and_the_file_limit_is_raised(tmp_path) -> None:
    log = tmp_path / "access.log"
    with live_server(["--data", str(FIXTURE), "--access-log", str(log)]) as base:
        assert request(base, "GET", "/doc/state/XT", headers={"Accept": "text/turtle"})[0] == 200
        assert request(base, "GET", "/no/such/page")[0] == 404
        # live_server's own request for the ontology came first.
        assert wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= 3)
        lines = log.read_text().splitlines()[-2:]
        assert '"GET /doc/state/XT HTTP/1.1" 200 ' in lines[0]
        assert lines[0].startswith("127.0.0.1 - - [")
        assert '"GET /no/such/page HTTP/1.1" 404 ' in lines[1]
        # The loop holds thousands of connections: its soft limit on open files is the hard one.
        pids = server_processes(base)
        stats = process_stats()
        (loop,) = [pid for pid in pids if int(stats[pid][1]) not in pids]
        limits = Path(f"/proc/{loop}/limits").read_text()
        soft, hard = next(
            line.split()[3:5] for line in limits.splitlines() if line.startswith("Max open files")
        )
        assert soft == hard
