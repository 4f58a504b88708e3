"""What the publishing and SPARQL layers read: the embedded store or a remote SPARQL server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pyoxigraph as ox


class StoreUnavailable(Exception):
    """The store could not answer: a remote server failed or could not be reached."""


class ReadableStore(Protocol):
    """The read-only part of pyoxigraph's Store that the server uses.

    ``pyoxigraph.Store`` has it; ``paxsilica.rdf.remote.RemoteStore`` implements it over
    SPARQL 1.1, raising StoreUnavailable when its server fails.
    """

    def query(self, query: str, **options: Any) -> Any:
        """Run a SPARQL query; answer booleans, solutions or triples as pyoxigraph does."""

    def quads_for_pattern(
        self, subject: Any, predicate: Any, obj: Any, graph_name: Any = None
    ) -> Iterator[ox.Quad]:
        """Yield the quads matching a pattern (None matches anything)."""

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]:
        """Yield the names of the store's graphs."""

    def __iter__(self) -> Iterator[ox.Quad]:
        """Yield every quad."""

    def __len__(self) -> int:
        """Return the number of quads."""
