"""The Flask application factory: one blueprint per concern over one published dataset."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from flask import Flask, current_app

from paxsilica.config import Settings, load_settings
from paxsilica.store import build_store

EXTENSION_KEY = "paxsilica"


@dataclass
class Published:
    """What one application publishes: its settings and the store that holds the dataset."""

    settings: Settings
    store: ox.Store


def published() -> Published:
    """Return the dataset published by the current application."""
    return current_app.extensions[EXTENSION_KEY]


def create_app(
    config: Settings | Mapping[str, Any] | None = None, *, store: ox.Store | None = None
) -> Flask:
    """Return a Flask application publishing the bundled data (plus any configured files).

    ``config`` is a Settings, or a mapping of setting names to values that override the
    environment; ``store`` lets a caller hand over a store it has already built.
    """
    settings = config if isinstance(config, Settings) else load_settings(**dict(config or {}))
    if store is None:
        store = build_store(settings.data_files, rewriter=settings.rewriter)
    app = Flask("paxsilica")
    app.extensions[EXTENSION_KEY] = Published(settings=settings, store=store)
    # Imported here because these modules read the published dataset through this module.
    from paxsilica import documents, dumps, linkeddata, pages

    documents.install(app, store, settings)
    for publication in (linkeddata, dumps, pages):
        publication.install(app)
    # Last: the SPARQL endpoint forks its query workers' zygote from the finished application.
    from paxsilica import sparql

    sparql.install(app)
    return app
