"""Helpers for the SPARQL endpoint tests: a fixture graph and a recorder of outbound connections."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

from process_support import process_stats

FIXTURE = Path(__file__).parent / "fixtures" / "sparql-fixture.ttl"
EX = "http://example.org/sparql-test/"
# A query that runs for minutes on the bundled data: three unrelated triple patterns.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

SPARQL_JSON_ANSWER = (
    b'{"head":{"vars":["remote"]},"results":{"bindings":'
    b'[{"remote":{"type":"literal","value":"from the allowed endpoint"}}]}}'
)


class ConnectionRecorder:
    """A listening socket on 127.0.0.1 that records every connection made to it.

    With ``answer`` it replies to each request with that SPARQL JSON document, as a SPARQL
    endpoint would; otherwise it closes the connection at once. Stops when the block ends.
    """

    def __init__(self, answer: bytes | None = None):
        self.answer = answer
        self.requests: list[bytes] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self._server.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        """The base URL of the listener, ending with '/'."""
        return f"http://127.0.0.1:{self._server.getsockname()[1]}/"

    def __enter__(self) -> ConnectionRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            with connection:
                connection.settimeout(2)
                try:
                    received = connection.recv(65536)
                except OSError:
                    received = b""
                self.requests.append(received)
                if self.answer is not None and received:
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\n"
                        b"Content-Type: application/sparql-results+json\r\n"
                        + f"Content-Length: {len(self.answer)}\r\n".encode()
                        + b"Connection: close\r\n\r\n"
                        + self.answer
                    )


def children_of(pid: int) -> set[int]:
    """The live child processes of a process (a zygote's query workers)."""
    return {child for child, fields in process_stats().items() if int(fields[1]) == pid}


def cpu_seconds(pids: set[int]) -> float:
    """Return the CPU time, in seconds, that the given processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime and stime, in clock ticks (proc(5)).
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
