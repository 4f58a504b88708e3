"""The read-only SPARQL 1.1 endpoint at /sparql: the protocol, its limits, its page and its docs.

Protocol (SPARQL 1.1 Protocol, query operation):

- ``GET /sparql?query=...``, ``POST`` as ``application/x-www-form-urlencoded`` (``query=``) or
  ``application/sparql-query`` (the body is the query); ``default-graph-uri`` and
  ``named-graph-uri`` (repeatable) choose the dataset, overriding FROM / FROM NAMED.
- The default graph is the union of the published named graphs; each is reachable with GRAPH
  under its public name (``GET /sparql`` describes the service and lists them).
- Results by content negotiation (``Accept`` with q-values, or ``format=json|xml|csv|tsv|
  turtle|ntriples|rdfxml|jsonld|nquads|trig|html``); 406 when nothing offered fits.
- ``GET /sparql`` without a query: the query page for browsers, a SPARQL Service Description
  (Turtle, JSON-LD, RDF/XML, N-Triples) for everyone else.

Limits and errors: malformed query 400 (with the parser's message and position); no query 400;
an update (``update=``, ``application/sparql-update`` or an update sent as the query) 403;
SERVICE 400 unless its endpoint is allow-listed; other request content types 415; bodies over
max_body_bytes 413; query strings over max_query_string_bytes 414. A query running past
query_timeout is stopped and answered ``503 Service Unavailable`` with a message saying so (as
Fuseki does: the server gave up on the request; 408 would blame the client's upload, 504 a
gateway). Results are cut after max_rows rows or triples, signalled by the
``X-Paxsilica-Truncated: true`` header and, in SPARQL JSON, a top-level ``"paxsilica"`` note.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import BadRequest

from paxsilica import media
from paxsilica.config import Settings
from paxsilica.publish.service import (
    MAX_ROWS_HEADER,
    PREFIXES,
    TRUNCATED_HEADER,
    description_triples,
)
from paxsilica.rdf.readable import ReadableStore
from paxsilica.sparql import guard as query_guard
from paxsilica.sparql.examples import Example, find_example, load_examples
from paxsilica.sparql.execution import QueryJob, execute, out_of_memory
from paxsilica.web import policy
from paxsilica.web.sparql_page import HTML_MAX_ROWS, render_page, results_page
from paxsilica.web.sparql_protocol import (
    DESCRIPTION_OFFER,
    ProtocolError,
    QueryRequest,
    chosen_types,
    read_request,
)
from paxsilica.web.state import EXTENSION_KEY, published

blueprint = Blueprint("sparql", __name__)

# How long clients and caches may keep a GET answer: the published data changes only with a
# new deployment.
GET_CACHE_SECONDS = 300

# What the query runner writes when the answer is a page: the page is rendered from it here.
HTML_SOURCE = {"solutions": "json", "boolean": "json", "graph": "ntriples"}
_POSITION = re.compile(r"error at (\d+):(\d+)")


@dataclass
class SparqlService:
    """What the endpoint of one application holds: settings, the store, examples, sizes."""

    settings: Settings
    store: ReadableStore
    service_allow: tuple[str, ...]
    examples: list[Example]
    _graph_sizes: dict[str, int] | None = None

    @property
    def graph_sizes(self) -> dict[str, int]:
        """The number of triples of each named graph, as the dataset's statistics count them
        (once per dataset version: counting them here would read the whole store)."""
        if self._graph_sizes is None:
            self._graph_sizes = dict(published().publication.statistics.graphs)
        return self._graph_sizes


def service() -> SparqlService:
    """Return the SPARQL endpoint of the current application."""
    return published().sparql


# --- answering ---------------------------------------------------------------------------------


@blueprint.route("/sparql", methods=["GET", "POST"])
# The W3C protocol tests (and some clients) write the endpoint's path with a final slash.
@blueprint.route("/sparql/", methods=["GET", "POST"])
def endpoint() -> Response:
    """The SPARQL endpoint: run a query, or describe the service."""
    endpoint_service = service()
    settings = endpoint_service.settings
    query = None
    try:
        params = read_request(settings)
        query = params.query
        if params.update is not None:
            raise ProtocolError(
                403,
                "Forbidden: this endpoint is read-only and takes no SPARQL Update; send a query "
                "(SELECT, ASK, CONSTRUCT or DESCRIBE)",
            )
        if query is None and request.method in ("GET", "HEAD") and "example" in request.args:
            params.query = query = example_query(endpoint_service.examples)
        if query is None:
            if request.method in ("GET", "HEAD"):
                return _describe(params)
            raise ProtocolError(400, "Bad request: no query; send it as the 'query' parameter")
        if not query.strip():
            raise ProtocolError(400, "Bad request: the query is empty")
        return _answer(endpoint_service, params)
    except ProtocolError as error:
        return error_response(error.status, error.message, query, error.headers)
    except BadRequest as error:  # e.g. a form body Werkzeug cannot decode
        return error_response(400, f"Bad request: {error.description}", query)


def _answer(endpoint_service: SparqlService, params: QueryRequest) -> Response:
    settings = endpoint_service.settings
    query = params.query or ""
    try:
        facts = query_guard.inspect(query, endpoint_service.service_allow)
    except query_guard.QueryRefused as refused:
        raise ProtocolError(refused.status, refused.message) from None
    for_results, for_graphs = chosen_types(params.format)
    protocol_dataset = bool(params.default_graphs or params.named_graphs)
    html_asked = media.HTML in (for_results, for_graphs)
    job = QueryJob(
        query=query,
        results_format=_source_key(for_results, "solutions"),
        graph_format=_source_key(for_graphs, "graph"),
        union_default_graph=not (facts.names_dataset or protocol_dataset),
        default_graphs=params.default_graphs if protocol_dataset else None,
        named_graphs=params.named_graphs if protocol_dataset else None,
        max_rows=min(settings.max_rows, HTML_MAX_ROWS) if html_asked else settings.max_rows,
        # Turtle and TriG answers use the query's own prefixes, as Fuseki's do: declaring
        # every known vocabulary would cost more than writing a small answer.
        prefixes=query_guard.prologue_prefixes(query) if job_uses_prefixes(for_graphs) else {},
        base_iri=settings.site.sparql_endpoint,
    )
    # The query runs here, in the process serving the request: under paxsilica serve that is
    # a query slot, which the server stops when the query overruns its time or the memory
    # budget, or its client hangs up (paxsilica.web.event_loop).
    try:
        outcome = execute(endpoint_service.store, job)
    except MemoryError:
        outcome = out_of_memory()
    if outcome.status != 200:
        if outcome.status == 400 and query_guard.looks_like_update(query):
            raise ProtocolError(
                403,
                "Forbidden: this endpoint is read-only; the request is a SPARQL Update, send a "
                "query (SELECT, ASK, CONSTRUCT or DESCRIBE)",
            )
        headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else {}
        raise ProtocolError(outcome.status, outcome.message or "Query failed", headers)
    chosen = for_graphs if outcome.kind == "graph" else for_results
    if chosen is media.HTML:
        response = results_page(outcome, query, settings)
    else:
        body = outcome.body
        if outcome.truncated and outcome.media_key == "json":
            body = _note_truncation(body, job.max_rows)
        response = Response(body, content_type=chosen.content_type)
    headers = response.headers
    if outcome.truncated:
        headers[TRUNCATED_HEADER] = "true"
        headers[MAX_ROWS_HEADER] = str(job.max_rows)
    headers["Vary"] = "Accept"
    if request.method == "GET":
        headers["Cache-Control"] = f"public, max-age={GET_CACHE_SECONDS}"
    return response


def job_uses_prefixes(for_graphs: media.MediaType | None) -> bool:
    """Whether the graph format chosen writes prefixes (Turtle, TriG)."""
    return for_graphs in (media.TURTLE, media.TRIG)


def _source_key(chosen: media.MediaType | None, kind: str) -> str | None:
    if chosen is None:
        return None
    if chosen is media.HTML:
        return HTML_SOURCE[kind]
    return chosen.key


def _note_truncation(body: bytes, max_rows: int) -> bytes:
    document = json.loads(body)
    document["paxsilica"] = {
        "truncated": True,
        "maxRows": max_rows,
        "note": f"Results cut after {max_rows} rows (the endpoint's limit); "
        "use LIMIT/OFFSET or a more selective query to get the rest.",
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- errors ------------------------------------------------------------------------------------


def _with_position(message: str, query: str | None) -> str:
    """Add the line of the query a parser message points at, with a caret under the place."""
    found = _POSITION.search(message)
    if query is None or found is None:
        return message
    line_number, column = int(found.group(1)), int(found.group(2))
    lines = query.splitlines() or [""]
    if not 1 <= line_number <= len(lines):
        return message
    line = lines[line_number - 1]
    return f"{message}\n\n  {line}\n  {' ' * max(column - 1, 0)}^"


def error_response(
    status: int, message: str, query: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """Return an error as the query page (for browsers) or as plain text (for everyone else)."""
    detailed = _with_position(message, query)
    response = policy.error_response(
        status, detailed, page=lambda: render_page(query=query, error=detailed)
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def example_query(examples: list[Example]) -> str:
    """The text of the example a link names (``example``), on its ``date`` if one is given;
    ProtocolError (404, 400) for an unknown example or a date it cannot take."""
    name = request.args.get("example", "")
    example = find_example(examples, name)
    if example is None:
        known = ", ".join(e.slug for e in examples)
        raise ProtocolError(404, f"Not Found: no example named {name!r}; examples: {known}")
    day = request.args.get("date", "").strip()
    if not day:
        return example.query
    try:
        return example.on(day)
    except ValueError as error:
        raise ProtocolError(400, f"Bad request: {error}") from None


def _describe(params: QueryRequest) -> Response:
    if params.format:
        chosen = media.by_name(params.format, DESCRIPTION_OFFER)
    else:
        agent = request.user_agent.string
        chosen = media.negotiate(request.accept_mimetypes, DESCRIPTION_OFFER, agent)
    if chosen is None:
        accepted = request.headers.get("Accept", "")
        if "sparql-results" in accepted:
            raise ProtocolError(400, "Bad request: no query; send it as the 'query' parameter")
        raise ProtocolError(
            406,
            "Not Acceptable: without a query this endpoint offers its query page (text/html) "
            f"and its service description ({media.offered_list(media.GRAPH_TYPES)})",
        )
    if chosen is media.HTML:
        response = Response(render_page(), content_type=media.HTML.content_type)
    else:
        endpoint_service = service()
        triples = description_triples(
            endpoint_service.settings,
            endpoint_service.service_allow,
            endpoint_service.graph_sizes,
        )
        body = ox.serialize(triples, format=chosen.rdf_format, prefixes=PREFIXES)
        response = Response(body, content_type=chosen.content_type)
    response.headers["Vary"] = "Accept"
    return response


# --- the OpenAPI description -------------------------------------------------------------------


@blueprint.route("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of the HTTP interface of the endpoint."""
    text = (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")
    return Response(text, content_type="application/json; charset=utf-8")


# --- installing --------------------------------------------------------------------------------


def install(app: Flask) -> None:
    """Register the SPARQL endpoint on an application; nothing is forked.

    Queries run in the process that serves the request. ``paxsilica serve`` serves /sparql in
    query slots it can stop (paxsilica.web.server); under any other server a query runs
    without a time or memory bound.
    """
    dataset = app.extensions[EXTENSION_KEY]
    settings: Settings = dataset.settings
    dataset.sparql = SparqlService(
        settings=settings,
        store=dataset.store,
        service_allow=query_guard.normalize_allow_list(settings.service_allow),
        examples=load_examples(settings.site),
    )
    app.register_blueprint(blueprint)


__all__ = [
    "SparqlService",
    "blueprint",
    "error_response",
    "install",
    "read_request",
    "service",
]
