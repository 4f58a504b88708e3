"""Fixtures shared across the test suite."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from paxsilica.config import load_settings
from paxsilica.rdf.remote import Endpoint, push_dataset
from paxsilica.rdf.store import build_store
from paxsilica.web.app import create_app
from virtuoso import VirtuosoServer

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str, why: str) -> str:
    """Return the path of an external tool; skip outside CI when it is missing, fail in CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed ({why}); .ci/run installs it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def bundled_store() -> ox.Store:
    """The ontology, instances and shapes loaded as named graphs, as the server holds them."""
    return build_store(progress=False)


@pytest.fixture(scope="session")
def make_app() -> Callable[..., Flask]:
    """Make applications from settings (over the bundled data); they fork nothing to stop."""

    def make(**settings) -> Flask:
        return create_app(load_settings({}, **settings))

    return make


@pytest.fixture(scope="session")
def app(make_app) -> Flask:
    """The application over the bundled data, with the default settings."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app`` (a module may give ``app`` other settings)."""
    return app.test_client()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """A real Virtuoso 7 on loopback with a fresh database, holding the pushed dataset."""
    require_tool("virtuoso-t", "the remote-store tests run against a real Virtuoso 7")
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
    server.start()
    try:
        push_dataset(Endpoint(server.update_url, server.user, server.password), progress=False)
        yield server
    finally:
        server.stop()
