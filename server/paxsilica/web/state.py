"""What one application publishes, kept on the Flask application for its blueprints to read."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from paxsilica.config import Settings
from paxsilica.publish.documents import Documents
from paxsilica.publish.dumps import Dumps
from paxsilica.publish.labels import Labels
from paxsilica.rdf.readable import ReadableStore

if TYPE_CHECKING:
    from paxsilica.iris import Site

EXTENSION_KEY = "paxsilica"
# How many prepared answers (body, headers, entity tag) of documents stay cached.
PREPARED_ANSWERS = 4096


class BoundedCache:
    """Values made once and kept, the oldest dropped beyond a number; safe across threads."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        """Return the value kept under a key, making it with ``make`` the first time."""
        with self._lock:
            found = self._values.get(key)
        if found is not None:
            return found
        made = make()
        with self._lock:
            made = self._values.setdefault(key, made)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return made


@dataclass
class Published:
    """One application's dataset: its settings, its store, and what is built from them once."""

    settings: Settings
    store: ReadableStore
    documents: Documents
    dumps: Dumps
    # The SPARQL endpoint (web.sparql.SparqlService), once its blueprint is installed.
    sparql: Any = None
    # Pages built from the data alone, by key (language, root): they never change.
    pages: BoundedCache = field(default_factory=lambda: BoundedCache(64))
    # Prepared answers for documents, by document and variant (format, language, root).
    answers: BoundedCache = field(default_factory=lambda: BoundedCache(PREPARED_ANSWERS))
    _ontology_labels: Labels | None = None

    @property
    def site(self) -> Site:
        """The IRIs of this deployment."""
        return self.settings.site

    @property
    def ontology_labels(self) -> Labels:
        """The labels of the ontology's terms, which every page uses."""
        if self._ontology_labels is None:
            ontology = self.documents.ontology()
            self._ontology_labels = Labels(ontology.triples if ontology else (), self.site)
        return self._ontology_labels

    def prepare(self) -> None:
        """Build now what would otherwise be built on first demand: the dumps and the VoID.

        ``paxsilica serve`` calls it before the workers fork, so that they share one copy
        instead of each building its own.
        """
        self.dumps.prepare()
        self.ontology_labels  # noqa: B018 (built for its side effect: the cache)


def published(app: Flask | None = None) -> Published:
    """Return the dataset an application publishes (by default the current one)."""
    return (app or current_app).extensions[EXTENSION_KEY]
