"""Runs SPARQL queries in the web server's own worker process, which ends when a query overruns.

Under ``paxsilica serve`` each gunicorn worker process serves one request at a time
(``serving.QueryServingWorker``), so the process that parsed a request can run its query
itself, with no hop to another process, and still stop it: pyoxigraph cannot cancel a query,
but a process can end. A guard thread in each worker process looks at the running query a few
times a second; when it has run past its time (or grown past its memory allowance) the guard
writes the error answer to the client itself, then ends the process, and gunicorn's master
forks a fresh one from the loaded application. Nothing else was running in that process, so
nothing else is lost. Pyoxigraph releases the GIL while it evaluates, so the guard runs on
time whatever the query does.

Servers that run several requests in one process (Flask's development server, the test client,
any other WSGI server) use ``query_worker.QueryPool`` instead.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pyoxigraph as ox
from flask import Flask, Response, current_app, request
from werkzeug.http import http_date

from paxsilica.query_worker import (
    PAGE_BYTES,
    QueryJob,
    QueryOutcome,
    execute,
    out_of_memory,
    private_bytes_since_fork,
    timed_out,
)

log = logging.getLogger(__name__)

# Where paxsilica's gunicorn worker puts its guard in each request's WSGI environment.
GUARD_ENVIRON_KEY = "paxsilica.process_guard"
# How long the guard tries to hand an overdue query's answer to a client that does not read.
SEND_SECONDS = 2.0

AnswerClient = Callable[[QueryOutcome], None]


def resident_bytes() -> int:
    """The memory this process holds in RAM (its resident set), from /proc/self/statm."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES


@dataclass(eq=False)
class _Watched:
    deadline: float
    timeout: float
    answer_client: AnswerClient
    resident_at_start: int | None = None


class ProcessGuard:
    """Ends this process when the query it runs overruns its time or memory, answering first.

    ``memory_bytes`` bounds how much the resident memory of the process may grow while one
    query runs (0: no bound; the address-space limit set by the worker stays the hard stop).
    ``end_process`` is how the process ends (``os._exit``; tests give something else).
    """

    TICK_SECONDS = 0.05

    def __init__(self, memory_bytes: int = 0, end_process: Callable[[int], Any] = os._exit):
        self.memory_bytes = memory_bytes
        self.end_process = end_process
        # Set when this process has used up its memory allowance: the worker then ends after
        # its answer (see serving.QueryServingWorker).
        self.retire = False
        self._lock = threading.Lock()
        self._watched: _Watched | None = None
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, timeout: float, answer_client: AnswerClient) -> None:
        """Answer the client with ``answer_client`` and end the process if still watched at the
        deadline."""
        with self._lock:
            self._watched = _Watched(deadline, timeout, answer_client)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="query-guard", daemon=True)
                self._thread.start()

    def unwatch(self) -> bool:
        """Stop watching; False if the guard took the query already (the process is ending)."""
        with self._lock:
            watched, self._watched = self._watched, None
        return watched is not None

    def _run(self) -> None:
        overrun = None
        while overrun is None:
            time.sleep(self.TICK_SECONDS)
            overrun = self._overrun()
        watched, outcome = overrun
        try:
            watched.answer_client(outcome)
        except Exception:
            log.exception("could not answer the client of an overrunning query")
        finally:
            log.warning("worker %d: %s; it ends and is replaced", os.getpid(), outcome.message)
            self.end_process(0)

    def _overrun(self) -> tuple[_Watched, QueryOutcome] | None:
        with self._lock:
            watched = self._watched
            if watched is None:
                return None
            if time.monotonic() >= watched.deadline:
                self._watched = None
                return watched, timed_out(watched.timeout)
            if self.memory_bytes:
                resident = resident_bytes()
                if watched.resident_at_start is None:
                    watched.resident_at_start = resident
                elif resident - watched.resident_at_start > self.memory_bytes:
                    self._watched = None
                    return watched, out_of_memory()
        return None


def response_bytes(response: Response, environ: dict[str, Any]) -> bytes:
    """Return a whole HTTP/1.1 message for a Flask response, closing the connection after it."""
    app_iter, status, headers = response.get_wsgi_response(environ)
    body = b"".join(app_iter)
    code = int(status.split(" ", 1)[0])
    lines = [f"HTTP/1.1 {code} {HTTPStatus(code).phrase}", f"Date: {http_date()}"]
    lines += [
        f"{name}: {value}"
        for name, value in headers
        if name.lower() not in ("connection", "content-length", "date")
    ]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


class ServingProcessRunner:
    """Runs each query in the process that serves its request, under that process's guard.

    ``render_error(status, message, query)`` makes the answer to an overrunning query, in the
    request's context, as the endpoint answers every other error. A process that has made more
    than ``recycle_bytes`` of memory its own is retired after its answer (0: never).
    """

    def __init__(
        self,
        store: ox.Store,
        render_error: Callable[[int, str, str | None], Response],
        recycle_bytes: int = 0,
    ):
        self.store = store
        self.render_error = render_error
        self.recycle_bytes = recycle_bytes

    def run(self, job: QueryJob, timeout: float) -> QueryOutcome:
        """Run a job here, answering within ``timeout`` seconds whatever happens."""
        environ = request.environ
        guard: ProcessGuard | None = environ.get(GUARD_ENVIRON_KEY)
        if guard is None:
            raise RuntimeError(
                "query_runner 'serving' needs paxsilica's gunicorn worker (paxsilica serve); "
                "use 'pool' under any other server"
            )
        answer_client = functools.partial(
            self._answer_client, current_app._get_current_object(), environ, job.query
        )
        guard.watch(time.monotonic() + timeout, timeout, answer_client)
        try:
            outcome = execute(self.store, job)
        except MemoryError:
            outcome = out_of_memory()
        finally:
            if not guard.unwatch():
                # The guard has answered this request and is ending the process.
                threading.Event().wait()
        if self.recycle_bytes and private_bytes_since_fork() > self.recycle_bytes:
            guard.retire = True
        return outcome

    def _answer_client(
        self, app: Flask, environ: dict[str, Any], query: str, outcome: QueryOutcome
    ) -> None:
        with app.request_context(environ):
            error = self.render_error(outcome.status, outcome.message or "", query)
            message = response_bytes(app.process_response(error), environ)
        client: socket.socket = environ["gunicorn.socket"]
        client.settimeout(SEND_SECONDS)
        client.sendall(message)
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        """Nothing to stop: the queries run in the serving processes themselves."""
