"""The production server: gunicorn over the Flask application, the store built before forking.

The application (and so the store) is built once in the master process, before gunicorn
starts; workers are forked from it and share its memory (gunicorn's preload). A data file
that does not parse therefore stops startup before anything listens.

Each worker serves one request at a time and runs its SPARQL queries itself
(``QueryServingWorker``, query runner "serving"): a query that overruns ends its worker, which
the master replaces (see paxsilica.sparql.process_guard). With the query runner "pool" the workers
are threaded instead and queries run in killable worker processes beside them
(paxsilica.sparql.pool).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.workers.sync import SyncWorker

from paxsilica.config import Settings, SettingsError
from paxsilica.rdf.directory import open_store_directory
from paxsilica.rdf.remote import RemoteStore
from paxsilica.sparql.isolation import (
    QUERY_MEMORY_BYTES,
    QUERY_STACK_BYTES,
    isolate_network,
    limit_memory,
)
from paxsilica.sparql.process_guard import GUARD_ENVIRON_KEY, ProcessGuard
from paxsilica.web.app import create_app
from paxsilica.web.state import EXTENSION_KEY

log = logging.getLogger(__name__)

# gunicorn refuses request lines longer than this whatever it is told; 0 lifts its limit and
# leaves the application's own bound (max_query_string_bytes) in force.
GUNICORN_MAX_REQUEST_LINE = 8190
THREADS_PER_WORKER = 4
POOL_WORKERS = 2


@dataclass(frozen=True)
class QueryProcessLimits:
    """What a QueryServingWorker does to its process before it serves anything."""

    # Enter an empty network namespace, so that no query can make the server fetch anything
    # even if the query guard missed a SERVICE (the listening socket keeps working: a socket
    # belongs to the namespace it was made in).
    isolate_network: bool = True
    # How much one query may grow the process's memory before it is stopped with a 503; the
    # address space is capped at twice that above the process's start, a hard stop.
    memory_bytes: int = QUERY_MEMORY_BYTES


class QueryServingWorker(SyncWorker):
    """gunicorn's sync worker, fit to run SPARQL queries in the process that serves them.

    It serves one request at a time, on a thread with a stack deep enough for Oxigraph's
    recursive parser, while its main thread keeps gunicorn's signals; it gives each request
    the process's guard (paxsilica.sparql.process_guard), and it ends after the answer when the
    process has used up its memory allowance, to be replaced by a fresh fork.
    """

    guard: ProcessGuard

    def init_process(self) -> None:
        """Isolate the process and make its guard, then serve (gunicorn's sequence)."""
        limits: QueryProcessLimits = self.app.query_limits
        # Before any thread exists: a process with threads cannot enter a user namespace.
        if limits.isolate_network and not isolate_network():
            log.warning(
                "worker %d could not enter an empty network namespace; the query guard alone "
                "keeps queries from making outbound requests",
                os.getpid(),
            )
        self.guard = ProcessGuard(limits.memory_bytes)
        super().init_process()

    def load_wsgi(self) -> None:
        """Load the application and hand it the guard in every request's environment."""
        super().load_wsgi()
        application, guard = self.wsgi, self.guard

        def with_guard(environ: dict[str, Any], start_response: Callable) -> Any:
            environ[GUARD_ENVIRON_KEY] = guard
            return application(environ, start_response)

        self.wsgi = with_guard

    def run(self) -> None:
        """Serve on a thread with a large stack; the main thread stays free for signals."""
        threading.stack_size(QUERY_STACK_BYTES)
        try:
            serving = threading.Thread(target=super().run, name="requests", daemon=True)
            serving.start()
        finally:
            threading.stack_size(0)
        if self.guard.memory_bytes:
            limit_memory(2 * self.guard.memory_bytes)
        while serving.is_alive():
            serving.join(1.0)

    def handle_request(self, listener, req, client, addr) -> None:
        """Serve one request; end the worker after it when its memory allowance is used up."""
        super().handle_request(listener, req, client, addr)
        if self.guard.retire:
            self.alive = False


class Server(BaseApplication):
    """gunicorn running one already-built WSGI application with the given options."""

    def __init__(
        self,
        application: Callable,
        options: dict[str, Any],
        query_limits: QueryProcessLimits | None = None,
    ):
        self.application = application
        self.options = options
        # Read by QueryServingWorker (gunicorn hands every worker this object as its app).
        self.query_limits = query_limits or QueryProcessLimits()
        super().__init__()

    def load_config(self) -> None:
        """Apply the options (gunicorn setting names) to gunicorn's configuration."""
        for name, value in self.options.items():
            # Settings newer than the installed gunicorn (e.g. the control socket's) are skipped.
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def load(self) -> Callable:
        """Return the application; it is built already, so workers share it."""
        return self.application


def bind_address(settings: Settings) -> str:
    """Return the address gunicorn binds, with brackets around an IPv6 host."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.port}"


def served_runner(settings: Settings) -> str:
    """Return the query runner ``paxsilica serve`` uses: the setting's, else "serving"."""
    return settings.query_runner or "serving"


def served_settings(settings: Settings) -> Settings:
    """Return the settings with the query runner ``paxsilica serve`` uses when none is set."""
    return replace(settings, query_runner=served_runner(settings))


def worker_count(settings: Settings) -> int:
    """Return how many gunicorn workers serve: the setting, or what suits the query runner.

    One request at a time per worker: gunicorn's advice for such workers, 2 per CPU plus 1.
    Threaded workers with a query pool: 2, each running THREADS_PER_WORKER requests.
    """
    if settings.workers is not None:
        return settings.workers
    if served_runner(settings) == "pool":
        return POOL_WORKERS
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_options(settings: Settings, access_log: bool = True) -> dict[str, Any]:
    """Return the gunicorn configuration for the settings."""
    request_line = settings.max_query_string_bytes + 1024
    if served_runner(settings) == "pool":
        workers: dict[str, Any] = {"worker_class": "gthread", "threads": THREADS_PER_WORKER}
    else:
        workers = {"worker_class": QueryServingWorker}
    return {
        "bind": [bind_address(settings)],
        "workers": worker_count(settings),
        **workers,
        "preload_app": True,
        # A worker must outlive the longest query the endpoint allows.
        "timeout": int(settings.query_timeout) + 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": 0 if request_line > GUNICORN_MAX_REQUEST_LINE else request_line,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "proc_name": "paxsilica",
        # No runtime-control socket: nothing outside the server may steer it, and two servers
        # on one machine would otherwise fight over the same socket path.
        "control_socket_disable": True,
    }


def build_application(settings: Settings) -> Flask:
    """Return the application for the settings, over the store they choose.

    A remote SPARQL server when ``endpoint`` is set, a store built by ``paxsilica load`` when
    ``store_path`` is, else a fresh in-memory store of the bundled and --data files.
    """
    settings = served_settings(settings)
    if settings.endpoint is not None:
        return create_app(settings, store=open_remote_store(settings))
    if settings.store_path is None:
        return create_app(settings)
    if settings.data_files:
        raise SettingsError(
            "setting data_files: a store directory holds its data already; give the files to "
            "'paxsilica load' instead"
        )
    return create_app(settings, store=open_store_directory(settings.store_path, settings.site))


def open_remote_store(settings: Settings) -> RemoteStore:
    """Return the remote store the settings name, checked to answer before anything listens.

    The password for ``endpoint_user`` comes from PAXSILICA_ENDPOINT_PASSWORD only, so that it
    never shows in a process list or a settings dump.
    """
    if settings.store_path is not None or settings.data_files:
        raise SettingsError(
            "setting endpoint: a remote server holds its data already; push files into it with "
            "'paxsilica load --endpoint' instead of --data or --store"
        )
    store = RemoteStore(
        settings.endpoint,
        graphs=[settings.endpoint_graph] if settings.endpoint_graph else None,
        graph_base=settings.site.graph_base,
        timeout=settings.query_timeout,
        user=settings.endpoint_user,
        password=os.environ.get("PAXSILICA_ENDPOINT_PASSWORD"),
    )
    if not store.graphs:
        raise SettingsError(
            f"setting endpoint: {settings.endpoint} holds no graph under "
            f"{settings.site.graph_base}; push the dataset with "
            f"'paxsilica load --endpoint {settings.endpoint}' first"
        )
    return store


def serve(settings: Settings, wrap: Callable[[Callable], Callable] | None = None) -> None:
    """Build the application and serve it with gunicorn until stopped.

    Raises store.DataLoadError (or StoreDirectoryError, SettingsError) before anything
    listens when the data cannot be loaded. ``wrap`` lets a benchmark mount extra WSGI
    routes around the application.
    """
    application = build_application(settings)
    # Read (or, without a store built by 'paxsilica load', built) here, in the master, so
    # that every worker forked from it shares one copy: the dumps, the VoID, the home page.
    application.extensions[EXTENSION_KEY].prepare()
    limits = QueryProcessLimits(isolate_network=not settings.queries_may_connect)
    Server(wrap(application) if wrap else application, gunicorn_options(settings), limits).run()
