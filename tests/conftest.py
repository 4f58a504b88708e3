"""Fixtures shared across the test suite."""

from __future__ import annotations

import os
import shutil

import pyoxigraph as ox
import pytest

from paxsilica.store import build_store

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
