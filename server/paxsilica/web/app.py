"""The Flask application factory: one blueprint per concern over one published dataset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from paxsilica.config import Settings, load_settings
from paxsilica.publish.documents import Documents
from paxsilica.rdf.readable import ReadableStore
from paxsilica.rdf.store import build_store
from paxsilica.web import dataset, linkeddata, pages, policy, search, sparql, tables
from paxsilica.web.state import EXTENSION_KEY, Published


def create_app(
    config: Settings | Mapping[str, Any] | None = None, *, store: ReadableStore | None = None
) -> Flask:
    """Return a Flask application publishing the bundled data (plus any configured files).

    ``config`` is a Settings, or a mapping of setting names to values that override the
    environment; ``store`` lets a caller hand over a store it has already built (an on-disk
    store, a remote server).
    """
    settings = config if isinstance(config, Settings) else load_settings(**dict(config or {}))
    if store is None:
        store = build_store(settings.data_files, site=settings.site)
    app = Flask(__name__)
    documents = Documents(store, settings)
    app.extensions[EXTENSION_KEY] = Published(settings=settings, store=store, documents=documents)
    policy.install(app)
    for concern in (linkeddata, dataset, pages, search, tables):
        app.register_blueprint(concern.blueprint)
    sparql.install(app)
    return app


__all__ = ["create_app"]
