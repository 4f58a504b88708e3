"""A remote SPARQL 1.1 server: pushing the published dataset into it with SPARQL Update."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from SPARQLWrapper import DIGEST, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from paxsilica import iris
from paxsilica.rdf.query_text import Token, tokenize
from paxsilica.rdf.readable import StoreUnavailable
from paxsilica.rdf.store import build_store

# Triples per update request; a blank-node molecule is never split across requests. Virtuoso
# compiles each update into SQL whose length it caps, which bounds both sizes, and INSERT ...
# WHERE (used for blank nodes) compiles to longer SQL than INSERT DATA.
DEFAULT_BATCH_TRIPLES = 500
BLANK_NODE_BATCH_TRIPLES = 100
# How much of a server's error body an error message quotes.
ERROR_EXCERPT_CHARS = 400


class RemoteEndpointError(StoreUnavailable):
    """The remote SPARQL server refused a request or could not be reached; says which and why."""


def _new_client(url: str, timeout: float, user: str | None, password: str | None) -> SPARQLWrapper:
    """Return a SPARQLWrapper client that POSTs to ``url``, with digest auth when a user is set."""
    client = SPARQLWrapper(url)
    client.setMethod(POST)
    client.setTimeout(max(1, round(timeout)))
    if user is not None:
        client.setHTTPAuth(DIGEST)
        client.setCredentials(user, password or "")
    return client


def _send(client: SPARQLWrapper, url: str) -> bytes:
    """Send the client's request; return the answer's body, or raise RemoteEndpointError."""
    try:
        with client.query().response as response:
            return response.read()
    except SPARQLWrapperException as error:
        message = str(error)
        if len(message) > ERROR_EXCERPT_CHARS:
            message = message[:ERROR_EXCERPT_CHARS] + " [...]"
        raise RemoteEndpointError(f"{url}: {message}") from None
    except OSError as error:  # URLError, timeouts and socket errors
        raise RemoteEndpointError(f"{url}: {error}") from None


@dataclass(frozen=True)
class Endpoint:
    """Where a remote SPARQL server answers updates, and the credentials it wants."""

    update_url: str
    user: str | None = None
    password: str | None = None
    timeout: float = 120.0

    def update(self, text: str) -> None:
        """Send one SPARQL Update request, or raise RemoteEndpointError."""
        client = _new_client(self.update_url, self.timeout, self.user, self.password)
        client.setQuery(text)
        _send(client, self.update_url)


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
    site: iris.Site = iris.CANONICAL_SITE,
    batch_triples: int = DEFAULT_BATCH_TRIPLES,
    progress: bool = True,
) -> dict[str, int]:
    """Push the published dataset into a remote server; return the triples sent per graph.

    Each named graph replaces the graph of the same name on the server, or, when ``graph`` is
    given, the merged dataset replaces that one graph. Pushing twice leaves the same data.
    """
    store = build_store(extra_files, site=site, progress=progress)
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


def _sparql_term(term) -> str:
    """Write a term for a query; a blank node as the server-side name Virtuoso gives it.

    A blank node label in a query is a variable, so ``_:b1`` would match anything. Virtuoso
    names its blank nodes ``nodeID://...`` IRIs; on a server that does not, such an IRI
    matches nothing, which leaves a description short rather than wrong.
    """
    if isinstance(term, ox.BlankNode):
        return f"<{VIRTUOSO_BLANK_PREFIX}{term.value}>"
    return str(term)


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
    ``quads_for_pattern``, ``named_graphs``, iteration and ``len``), so that documents, pages,
    dumps and the SPARQL endpoint run unchanged over either store. Results come back as
    pyoxigraph objects.

    The published dataset is a set of the server's graphs: the ones given, or else those whose
    names start with ``graph_base`` (the graphs ``paxsilica load --endpoint`` writes), so that
    a server's own system graphs stay out of it. Every query is sent with that dataset
    (default-graph-uri and named-graph-uri), the default graph being the union of its graphs.
    """

    def __init__(
        self,
        url: str,
        graphs: Iterable[str] | None = None,
        graph_base: str | None = None,
        timeout: float = 30.0,
        user: str | None = None,
        password: str | None = None,
    ):
        self.url = url
        self.timeout = timeout
        self.user = user
        self.password = password
        self._graph_base = graph_base
        self._graphs = tuple(graphs) if graphs is not None else None

    @property
    def graphs(self) -> tuple[str, ...]:
        """The names of the graphs this store publishes."""
        if self._graphs is None:
            rows = self._select(
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g", dataset=False
            )
            base = self._graph_base or ""
            self._graphs = tuple(
                row["g"].value
                for row in rows
                if isinstance(row["g"], ox.NamedNode) and row["g"].value.startswith(base)
            )
        return self._graphs

    def _client(
        self, query: str, default_graphs: Iterable[str], named_graphs: Iterable[str]
    ) -> SPARQLWrapper:
        client = _new_client(self.url, self.timeout, self.user, self.password)
        for graph in default_graphs:
            client.addDefaultGraph(graph)
        for graph in named_graphs:
            client.addNamedGraph(graph)
        client.setQuery(query)
        return client

    def _send(self, client: SPARQLWrapper, accept: str) -> bytes:
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", accept)
        return _send(client, self.url)

    def _select(self, query: str, dataset: bool = True):
        return self.query(query) if dataset else self._run(query, (), ())

    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = True,
        default_graph=None,
        named_graphs=None,
        substitutions=None,
        base_iri: str | None = None,
        prefixes: dict[str, str] | None = None,
    ):
        """Run a query over the published graphs; answer as pyoxigraph's Store.query would.

        The default graph is the union of the published graphs, or the graphs named by
        ``default_graph``; ``substitutions`` become a VALUES block opening the WHERE clause.
        """
        del use_default_graph_as_union  # the default graph is always a union of graphs here
        text = query
        if prefixes:
            text = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items()) + text
        if base_iri:
            text = f"BASE <{base_iri}>\n" + text
        if substitutions:
            text = _bind_variables(text, substitutions)
        return self._run(
            text, _names(default_graph, self.graphs), _names(named_graphs, self.graphs)
        )

    def _run(self, text: str, default_graphs: Iterable[str], named: Iterable[str]):
        # A remote server would take vendor extensions (Virtuoso's DEFINE pragmas can make it
        # fetch documents): only what Oxigraph parses as SPARQL 1.1 goes there. The check runs
        # the query on an empty store, which has nothing to fetch or compute; a SyntaxError
        # says what is wrong with the query, as the embedded store's would.
        ox.Store().query(text)
        client = self._client(text, default_graphs, named)
        try:
            return self._answer(client)
        except (SyntaxError, ValueError) as error:
            raise RemoteEndpointError(f"{self.url}: unreadable answer ({error})") from None

    def _answer(self, client: SPARQLWrapper):
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

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """Yield the published graphs."""
        return (ox.NamedNode(graph) for graph in self.graphs)

    def quads_for_pattern(self, subject, predicate, obj, graph_name=None) -> Iterator[ox.Quad]:
        """Yield the quads that match a pattern, as pyoxigraph's Store.quads_for_pattern does."""
        bound = {"s": subject, "p": predicate, "o": obj}
        terms = {
            name: f"?{name}" if term is None else _sparql_term(term) for name, term in bound.items()
        }
        if isinstance(graph_name, ox.NamedNode):
            graph_term = str(graph_name)
        elif self.graphs:
            graph_term = "?g"
        else:
            return
        query = (
            f"SELECT * WHERE {{ GRAPH {graph_term} {{ {terms['s']} {terms['p']} {terms['o']} }} }}"
        )
        for row in self.query(query):
            yield ox.Quad(
                subject if subject is not None else row["s"],
                predicate if predicate is not None else row["p"],
                obj if obj is not None else row["o"],
                graph_name if isinstance(graph_name, ox.NamedNode) else row["g"],
            )

    def __iter__(self) -> Iterator[ox.Quad]:
        return self.quads_for_pattern(None, None, None)

    def __len__(self) -> int:
        rows = list(self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
        return int(rows[0]["n"].value)


def _names(graphs, published: tuple[str, ...]) -> tuple[str, ...]:
    if graphs is None:
        return published
    nodes = graphs if isinstance(graphs, list | tuple) else [graphs]
    return tuple(node.value for node in nodes if isinstance(node, ox.NamedNode))


def _projection(tokens: list[Token]) -> range:
    """Return where a SELECT clause's projection lies in the text (empty for other queries)."""
    for index, token in enumerate(tokens):
        if token.kind == "word" and token.text.lower() == "select":
            for end in tokens[index + 1 :]:
                if (end.kind == "word" and end.text.lower() in ("where", "from")) or (
                    end.kind == "punct" and end.text == "{"
                ):
                    return range(token.start + len(token.text), end.start)
            return range(token.start + len(token.text), tokens[-1].start + 1)
    return range(0)


def _bind_variables(query: str, substitutions: dict) -> str:
    """Put the substituted terms in place of their variables, as pyoxigraph's substitutions do.

    Virtuoso takes neither a VALUES block nor a BIND that would say the same in the WHERE
    clause, so the variables are replaced in the text (never inside strings, IRIs or
    comments: the lexer tells them apart); a projected variable keeps its name as
    ``(term AS ?name)``.
    """
    terms = {variable.value: _sparql_term(term) for variable, term in substitutions.items()}
    tokens = tokenize(query)
    projection = _projection(tokens)
    pieces, done = [], 0
    for token in tokens:
        name = token.text[1:]
        if token.kind != "var" or name not in terms:
            continue
        bound = f"({terms[name]} AS ?{name})" if token.start in projection else terms[name]
        pieces += [query[done : token.start], bound]
        done = token.start + len(token.text)
    return "".join([*pieces, query[done:]])


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
