"""A remote SPARQL 1.1 server: pushing the published dataset into it with SPARQL Update."""

from __future__ import annotations

import json
import re
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


# --- Reading from a remote server -------------------------------------------------------------

# Virtuoso answers blank nodes as IRIs in this scheme.
VIRTUOSO_BLANK_PREFIX = "nodeID://"


def _blank_or_iri(value: str) -> ox.NamedNode | ox.BlankNode:
    if value.startswith(VIRTUOSO_BLANK_PREFIX):
        return ox.BlankNode(value[len(VIRTUOSO_BLANK_PREFIX) :])
    return ox.NamedNode(value)


def _restore_blank_nodes(term):
    if isinstance(term, ox.NamedNode) and term.value.startswith(VIRTUOSO_BLANK_PREFIX):
        return _blank_or_iri(term.value)
    return term


class RemoteTriples:
    """The triples a CONSTRUCT or DESCRIBE answered, iterable and serialisable like pyoxigraph's."""

    def __init__(self, triples: list[ox.Triple]):
        self._triples = triples

    def __iter__(self) -> Iterator[ox.Triple]:
        return iter(self._triples)

    def __len__(self) -> int:
        return len(self._triples)

    def serialize(self, output=None, format: ox.RdfFormat = ox.RdfFormat.N_TRIPLES):
        """Serialise the triples as pyoxigraph's QueryTriples.serialize does."""
        return ox.serialize(self._triples, output, format)


class RemoteStore:
    """A SPARQL 1.1 server read through SPARQLWrapper, answering like a read-only pyoxigraph Store.

    It implements the part of pyoxigraph's Store interface the server uses (``query``,
    ``quads_for_pattern``, ``named_graphs``, ``len``), so that documents, pages, dumps and the
    SPARQL endpoint run unchanged over either store. Results come back as pyoxigraph objects.
    """

    def __init__(
        self,
        url: str,
        graph: str | None = None,
        timeout: float = 30.0,
        user: str | None = None,
        password: str | None = None,
    ):
        self.url = url
        self.graph = graph
        self.timeout = timeout
        self.user = user
        self.password = password

    def _client(self, query: str, graphs: Iterable[str] = ()) -> SPARQLWrapper:
        client = SPARQLWrapper(self.url)
        client.setMethod(POST)
        client.setTimeout(max(1, round(self.timeout)))
        if self.user is not None:
            client.setHTTPAuth(DIGEST)
            client.setCredentials(self.user, self.password or "")
        for graph in graphs:
            client.addDefaultGraph(graph)
        client.setQuery(query)
        return client

    def _send(self, client: SPARQLWrapper, accept: str) -> bytes:
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", accept)
        try:
            with client.query().response as response:
                return response.read()
        except SPARQLWrapperException as error:
            message = str(error)
            if len(message) > ERROR_EXCERPT_CHARS:
                message = message[:ERROR_EXCERPT_CHARS] + " [...]"
            raise RemoteEndpointError(f"{self.url}: {message}") from None
        except OSError as error:  # URLError, timeouts and socket errors
            raise RemoteEndpointError(f"{self.url}: {error}") from None

    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = False,
        default_graph=None,
        named_graphs=None,
        substitutions=None,
        base_iri: str | None = None,
        prefixes: dict[str, str] | None = None,
    ):
        """Run a query on the server; answer as pyoxigraph's Store.query would.

        The remote default graph is the server's (Virtuoso's is the union of its graphs), or
        the configured graph; ``default_graph`` names graphs through the protocol's
        default-graph-uri; ``substitutions`` become a VALUES block opening the WHERE clause.
        """
        del use_default_graph_as_union, named_graphs  # the server's own dataset applies
        text = query
        if prefixes:
            text = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items()) + text
        if base_iri:
            text = f"BASE <{base_iri}>\n" + text
        if substitutions:
            text = _bind_variables(text, substitutions)
        graphs = self._graphs(default_graph)
        client = self._client(text, graphs)
        if client.queryType in ("CONSTRUCT", "DESCRIBE"):
            body = self._send(client, "application/n-triples, text/plain;q=0.5")
            triples = [
                ox.Triple(
                    _restore_blank_nodes(quad.subject),
                    quad.predicate,
                    _restore_blank_nodes(quad.object),
                )
                for quad in ox.parse(body, ox.RdfFormat.N_TRIPLES)
            ]
            return RemoteTriples(triples)
        body = self._send(client, "application/sparql-results+json")
        return ox.parse_query_results(_restore_json_blank_nodes(body), ox.QueryResultsFormat.JSON)

    def _graphs(self, default_graph) -> list[str]:
        if default_graph is None:
            return [self.graph] if self.graph else []
        nodes = default_graph if isinstance(default_graph, list) else [default_graph]
        return [node.value for node in nodes if isinstance(node, ox.NamedNode)]

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """Yield the server's named graphs (only the configured one, when there is one)."""
        if self.graph:
            yield ox.NamedNode(self.graph)
            return
        for row in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"):
            yield row["g"]

    def quads_for_pattern(self, subject, predicate, obj, graph_name=None) -> Iterator[ox.Quad]:
        """Yield the quads that match a pattern, as pyoxigraph's Store.quads_for_pattern does."""
        bound = {"s": subject, "p": predicate, "o": obj}
        terms = {name: f"?{name}" if term is None else str(term) for name, term in bound.items()}
        pattern = f"{terms['s']} {terms['p']} {terms['o']}"
        graph = graph_name.value if isinstance(graph_name, ox.NamedNode) else self.graph
        if graph is not None:
            where = f"GRAPH <{graph}> {{ {pattern} }}"
        else:
            where = f"GRAPH ?g {{ {pattern} }}"
        variables = " ".join(f"?{name}" for name, term in bound.items() if term is None)
        select = f"SELECT {variables} {'?g' if graph is None else ''} WHERE {{ {where} }}"
        if not variables and graph is not None:
            select = f"SELECT * WHERE {{ {where} }}"
        for row in self.query(select):
            yield ox.Quad(
                subject if subject is not None else row["s"],
                predicate if predicate is not None else row["p"],
                obj if obj is not None else row["o"],
                ox.NamedNode(graph) if graph is not None else row["g"],
            )

    def __len__(self) -> int:
        scope = f"GRAPH <{self.graph}>" if self.graph else "GRAPH ?g"
        rows = list(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {scope} {{ ?s ?p ?o }} }}"))
        return int(rows[0]["n"].value)


_WHERE_OPENING = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def _bind_variables(query: str, substitutions: dict) -> str:
    """Bind variables with a VALUES block that opens the WHERE clause.

    A trailing VALUES clause would say the same in SPARQL 1.1, but Virtuoso refuses one that
    binds a variable the query does not project.
    """
    variables = " ".join(f"?{variable.value}" for variable in substitutions)
    values = " ".join(str(term) for term in substitutions.values())
    block = f" VALUES ({variables}) {{ ({values}) }} "
    opening = _WHERE_OPENING.search(query)
    if opening is None:
        return query + f"\nVALUES ({variables}) {{ ({values}) }}"
    return query[: opening.end()] + block + query[opening.end() :]


def _restore_json_blank_nodes(body: bytes) -> bytes:
    results = json.loads(body)
    for binding in results.get("results", {}).get("bindings", []):
        for value in binding.values():
            if value.get("type") in ("uri", "bnode") and value["value"].startswith(
                VIRTUOSO_BLANK_PREFIX
            ):
                value["type"] = "bnode"
                value["value"] = value["value"][len(VIRTUOSO_BLANK_PREFIX) :]
    return json.dumps(results).encode("utf-8")
