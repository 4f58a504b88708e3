"""The query runner of paxsilica's own gunicorn worker: queries run in the serving process.

Each query runs in the process that serves its request, under that process's guard
(``sparql.process_guard``); past its time the guard writes the endpoint's own error answer,
rendered here in the request's context, to the client socket before the process ends.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.http import http_date

from paxsilica.rdf.readable import ReadableStore
from paxsilica.sparql.execution import QueryJob, QueryOutcome, execute, out_of_memory
from paxsilica.sparql.isolation import private_bytes_since_fork
from paxsilica.sparql.process_guard import GUARD_ENVIRON_KEY, ProcessGuard

# How long the guard tries to hand an overdue query's answer to a client that does not read.
SEND_SECONDS = 2.0


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
        store: ReadableStore,
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
