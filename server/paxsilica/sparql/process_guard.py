"""Ends the process that serves a request when the query it runs overruns its time or memory.

Under ``paxsilica serve`` each gunicorn worker process serves one request at a time
(``web.server.QueryServingWorker``), so the process that parsed a request can run its query
itself, with no hop to another process, and still stop it: pyoxigraph cannot cancel a query,
but a process can end. A guard thread in each worker process looks at the running query a few
times a second; when it has run past its time (or grown past its memory allowance) the guard
has the error answer written to the client, then ends the process, and gunicorn's master
forks a fresh one from the loaded application. Nothing else was running in that process, so
nothing else is lost. Pyoxigraph releases the GIL while it evaluates, so the guard runs on
time whatever the query does.

Servers that run several requests in one process (the test client, any other WSGI server) use
``sparql.pool.QueryPool`` instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paxsilica.sparql.execution import QueryOutcome, out_of_memory, timed_out
from paxsilica.sparql.isolation import PAGE_BYTES

log = logging.getLogger(__name__)

# Where paxsilica's gunicorn worker puts its guard in each request's WSGI environment.
GUARD_ENVIRON_KEY = "paxsilica.process_guard"

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
