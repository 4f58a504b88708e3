"""The production server: gunicorn over the Flask application, the store built before forking.

The application (and so the store) is built once in the master process, before gunicorn
starts; workers are forked from it and share its memory (gunicorn's preload). A data file
that does not parse therefore stops startup before anything listens.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from paxsilica import iris
from paxsilica.app import create_app
from paxsilica.config import Settings, SettingsError
from paxsilica.remote import RemoteStore
from paxsilica.store import open_store_directory

# gunicorn refuses request lines longer than this whatever it is told; 0 lifts its limit and
# leaves the application's own bound (max_query_string_bytes) in force.
GUNICORN_MAX_REQUEST_LINE = 8190
THREADS_PER_WORKER = 4


class Server(BaseApplication):
    """gunicorn running one already-built WSGI application with the given options."""

    def __init__(self, application: Callable, options: dict[str, Any]):
        self.application = application
        self.options = options
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


def gunicorn_options(settings: Settings, access_log: bool = True) -> dict[str, Any]:
    """Return the gunicorn configuration for the settings."""
    request_line = settings.max_query_string_bytes + 1024
    return {
        "bind": [bind_address(settings)],
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": THREADS_PER_WORKER,
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
    if settings.endpoint is not None:
        return create_app(settings, store=open_remote_store(settings))
    if settings.store_path is None:
        return create_app(settings)
    if settings.data_files:
        raise SettingsError(
            "setting data_files: a store directory holds its data already; give the files to "
            "'paxsilica load' instead"
        )
    return create_app(settings, store=open_store_directory(settings.store_path, settings.rewriter))


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
        graph_base=settings.rewriter.to_public(iris.GRAPH_BASE),
        timeout=settings.query_timeout,
        user=settings.endpoint_user,
        password=os.environ.get("PAXSILICA_ENDPOINT_PASSWORD"),
    )
    if not store.graphs:
        raise SettingsError(
            f"setting endpoint: {settings.endpoint} holds no graph under "
            f"{settings.rewriter.to_public(iris.GRAPH_BASE)}; push the dataset with "
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
    Server(wrap(application) if wrap else application, gunicorn_options(settings)).run()
