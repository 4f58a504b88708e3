"""A remote SPARQL 1.1 server: pushing the published dataset into it with SPARQL Update."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from SPARQLWrapper import DIGEST, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from paxsilica import iris
from paxsilica.store import build_store

# Triples per update request; a blank-node molecule is never split across requests. Virtuoso
# compiles each update into SQL whose length it caps, which bounds both sizes, and INSERT ...
# WHERE (used for blank nodes) compiles to longer SQL than INSERT DATA.
DEFAULT_BATCH_TRIPLES = 500
BLANK_NODE_BATCH_TRIPLES = 100
# How much of a server's error body an error message quotes.
ERROR_EXCERPT_CHARS = 400


class RemoteEndpointError(Exception):
    """The remote SPARQL server refused a request or could not be reached; says which and why."""


@dataclass(frozen=True)
class Endpoint:
    """Where a remote SPARQL server answers updates, and the credentials it wants."""

    update_url: str
    user: str | None = None
    password: str | None = None
    timeout: float = 120.0

    def update(self, text: str) -> None:
        """Send one SPARQL Update request, or raise RemoteEndpointError."""
        client = SPARQLWrapper(self.update_url)
        client.setMethod(POST)
        client.setTimeout(int(self.timeout))
        if self.user is not None:
            client.setHTTPAuth(DIGEST)
            client.setCredentials(self.user, self.password or "")
        client.setQuery(text)
        try:
            client.query()
        except SPARQLWrapperException as error:
            message = str(error)
            if len(message) > ERROR_EXCERPT_CHARS:
                message = message[:ERROR_EXCERPT_CHARS] + " [...]"
            raise RemoteEndpointError(f"{self.update_url}: {message}") from None
        except OSError as error:  # URLError and socket errors
            raise RemoteEndpointError(f"{self.update_url}: {error}") from None


def _molecules(triples: Iterable[ox.Triple]) -> Iterator[list[ox.Triple]]:
    """Group triples so that all the triples that share a blank node stay together.

    Blank-node labels are scoped to one update request, so a blank node whose triples were
    split across two requests would become two nodes on the server.
    """
    parent: dict[str, str] = {}

    def find(label: str) -> str:
        root = label
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[label] != root:
            parent[label], label = root, parent[label]
        return root

    grounded: list[ox.Triple] = []
    with_blanks: list[tuple[ox.Triple, list[str]]] = []
    for triple in triples:
        labels = [t.value for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]
        if not labels:
            grounded.append(triple)
            continue
        with_blanks.append((triple, labels))
        roots = [find(label) for label in labels]
        for root in roots[1:]:
            parent[root] = roots[0]
    for triple in grounded:
        yield [triple]
    groups: dict[str, list[ox.Triple]] = {}
    for triple, labels in with_blanks:
        groups.setdefault(find(labels[0]), []).append(triple)
    yield from groups.values()


def _has_blank_node(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _batches(triples: Iterable[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """Yield batches of at most ``size`` triples, or one whole molecule when it is larger."""
    batch: list[ox.Triple] = []
    for molecule in _molecules(triples):
        if batch and len(batch) + len(molecule) > size:
            yield batch
            batch = []
        batch.extend(molecule)
    if batch:
        yield batch


def _update_requests(
    graph: str, triples: Iterable[ox.Triple], size: int
) -> Iterator[tuple[str, int]]:
    """Yield the update requests that insert the triples into a graph, with their sizes."""
    grounded: list[ox.Triple] = []
    blank: list[ox.Triple] = []
    for triple in triples:
        (blank if _has_blank_node(triple) else grounded).append(triple)
    for batch in _batches(grounded, size):
        body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in batch)
        yield f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}", len(batch)
    # INSERT ... WHERE {} rather than INSERT DATA: some servers (Virtuoso) refuse blank nodes
    # in INSERT DATA.
    for batch in _batches(blank, min(size, BLANK_NODE_BATCH_TRIPLES)):
        body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in batch)
        yield f"INSERT {{ GRAPH <{graph}> {{\n{body}\n}} }} WHERE {{}}", len(batch)


def push_graph(
    endpoint: Endpoint, graph: str, triples: Iterable[ox.Triple], batch_triples: int
) -> int:
    """Replace one graph of the remote server with the given triples; return how many were sent.

    The triples go to a staging graph first, which then replaces the target in one MOVE, so
    readers see the old graph or the new one, and a failed push leaves the old one in place.
    """
    staging = f"{graph}#loading-{uuid.uuid4().hex}"
    sent = 0
    endpoint.update(f"DROP SILENT GRAPH <{staging}>")
    try:
        for request, size in _update_requests(staging, triples, batch_triples):
            endpoint.update(request)
            sent += size
        endpoint.update(f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{graph}>")
    except RemoteEndpointError:
        endpoint.update(f"DROP SILENT GRAPH <{staging}>")
        raise
    return sent


def push_dataset(
    endpoint: Endpoint,
    extra_files: Iterable[str] = (),
    graph: str | None = None,
    rewriter: iris.BaseRewriter | None = None,
    batch_triples: int = DEFAULT_BATCH_TRIPLES,
    progress: bool = True,
) -> dict[str, int]:
    """Push the published dataset into a remote server; return the triples sent per graph.

    Each named graph replaces the graph of the same name on the server, or, when ``graph`` is
    given, the merged dataset replaces that one graph. Pushing twice leaves the same data.
    """
    store = build_store(extra_files, rewriter=rewriter, progress=progress)
    sent: dict[str, int] = {}
    if graph is not None:
        merged = (quad.triple for quad in store.quads_for_pattern(None, None, None))
        sent[graph] = push_graph(endpoint, graph, merged, batch_triples)
        return sent
    for name in sorted(store.named_graphs(), key=lambda node: node.value):
        triples = (quad.triple for quad in store.quads_for_pattern(None, None, None, name))
        sent[name.value] = push_graph(endpoint, name.value, triples, batch_triples)
        if progress:
            print(f"pushed {sent[name.value]} triples to <{name.value}>", file=sys.stderr)
    return sent
