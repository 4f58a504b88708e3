"""What one application publishes, kept on the Flask application for its blueprints to read."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

from paxsilica.config import Settings
from paxsilica.publish.cache import BoundedCache
from paxsilica.publish.dashboard import Dashboard, dashboard_data
from paxsilica.publish.documents import Document, Documents
from paxsilica.publish.home_view import HomeData, home_data
from paxsilica.publish.labels import Labels
from paxsilica.publish.publication import (
    Publication,
    PublicationBuild,
    background_build,
    publication_for,
    void_document,
)
from paxsilica.publish.search import SearchIndex
from paxsilica.publish.tables import Tables
from paxsilica.rdf.readable import ReadableStore

if TYPE_CHECKING:
    from paxsilica.iris import Site

EXTENSION_KEY = "paxsilica"
# How many prepared answers (body, headers, entity tag) of documents stay cached.
PREPARED_ANSWERS = 4096


@dataclass
class Published:
    """One application's dataset: its settings, its store, and what is built from them once."""

    settings: Settings
    store: ReadableStore
    documents: Documents
    # The SPARQL endpoint (web.sparql.SparqlService), once its blueprint is installed.
    sparql: Any = None
    # Pages built from the data alone, by key (language, root): they never change.
    pages: BoundedCache = field(default_factory=lambda: BoundedCache(256))
    # Prepared answers for documents, by document and variant (format, language, root).
    answers: BoundedCache = field(default_factory=lambda: BoundedCache(PREPARED_ANSWERS))
    _ontology_labels: Labels | None = None
    _publication: Publication | None = None
    _void: Document | None = None
    _home: HomeData | None = None
    _dashboard: Dashboard | None = None
    _search: SearchIndex | None = None
    _tables: Tables | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    @property
    def publication(self) -> Publication:
        """The dumps, description, statistics and indexes of this dataset version.

        Read from the store directory when ``paxsilica load`` built them there, else built
        now, once (``prepare`` does it before the workers fork).
        """
        with self._lock:
            if self._publication is None:
                self._publication = publication_for(self.store, self.settings)
            return self._publication

    def void(self) -> Document:
        """The VoID and DCAT description as a document about the dataset."""
        publication = self.publication
        with self._lock:
            if self._void is None:
                self._void = void_document(publication, self.site)
            return self._void

    @property
    def home_data(self) -> HomeData:
        """What the home page shows, worked out once."""
        publication = self.publication
        with self._lock:
            if self._home is None:
                self._home = home_data(self.documents, publication)
            return self._home

    @property
    def dashboard(self) -> Dashboard:
        """The home page's dashboard: what it reads from the data, read once."""
        labels, tables = self.ontology_labels, self.tables
        with self._lock:
            if self._dashboard is None:
                self._dashboard = Dashboard(self.documents, dashboard_data(tables), labels)
            return self._dashboard

    @property
    def tables(self) -> Tables:
        """The index tables, charts and summaries' shared reads of the data."""
        labels = self.ontology_labels
        with self._lock:
            if self._tables is None:
                self._tables = Tables(self.documents, labels)
            return self._tables

    @property
    def search_index(self) -> SearchIndex:
        """The names of the entities, searchable, read from the store once."""
        with self._lock:
            if self._search is None:
                docs = self.documents
                self._search = SearchIndex.build(docs.store, self.site, docs.graphs)
            return self._search

    def prepare(self) -> None:
        """Make now what would otherwise be made on first demand: the publication, the VoID,
        the home page's data and dashboard, the search index, the tables' shared reads.

        ``paxsilica serve`` calls it (or ``prepare_to_serve``) before the slots fork, so that
        they share one copy instead of each making its own.
        """
        self.void()
        self._prepare_pages()

    def _prepare_pages(self) -> None:
        self.home_data  # noqa: B018 (built for their side effect: the cache)
        self.ontology_labels  # noqa: B018
        self.dashboard  # noqa: B018
        self.search_index  # noqa: B018
        self.tables.prepare()

    def prepare_to_serve(self) -> PublicationBuild | None:
        """Prepare what the slots share, leaving the dumps and the VoID to be written later.

        A store built by ``paxsilica load`` holds its publication: it is read now. Otherwise
        the statistics and class indexes are counted now (the pages need them) and the build
        is returned, for ``publication.start_in_background`` to finish once the server
        listens; until its manifest is written the dumps and the VoID answer 503.
        """
        if self.settings.store_path is not None:
            self.prepare()
            return None
        build = background_build(self.store, self.site)
        with self._lock:
            self._publication = build.count()
        self._prepare_pages()
        return build


def published(app: Flask | None = None) -> Published:
    """Return the dataset an application publishes (by default the current one)."""
    return (app or current_app).extensions[EXTENSION_KEY]
