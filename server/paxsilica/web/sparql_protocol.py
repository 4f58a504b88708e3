"""The SPARQL 1.1 Protocol's query operation: reading a request's parameters and its formats.

``GET /sparql?query=...``, ``POST`` as ``application/x-www-form-urlencoded`` (``query=``) or
``application/sparql-query`` (the body is the query); ``default-graph-uri`` and
``named-graph-uri`` (repeatable) choose the dataset. Results by content negotiation
(``Accept`` with q-values) or by the ``format`` parameter.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_accept_header

from paxsilica import media
from paxsilica.config import Settings

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
SELECT_OFFER: tuple[media.MediaType, ...] = (*media.RESULTS_TYPES, media.HTML)
GRAPH_OFFER: tuple[media.MediaType, ...] = (
    *media.GRAPH_TYPES,
    media.N_QUADS,
    media.TRIG,
    media.HTML,
)
DESCRIPTION_OFFER: tuple[media.MediaType, ...] = (media.HTML, *media.GRAPH_TYPES)


class ProtocolError(Exception):
    """A request the endpoint answers with an error status and a message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status = status
        self.message = message
        self.headers = headers or {}
        super().__init__(message)


@dataclass
class QueryRequest:
    """The protocol parameters of one request."""

    query: str | None = None
    update: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    format: str | None = None


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(
            400, f"Bad request: give exactly one '{name}' parameter, not {len(values)}"
        )
    return values[0] if values else None


def read_request(settings: Settings) -> QueryRequest:
    """Return the protocol parameters of the current request, or raise ProtocolError."""
    if len(request.query_string) > settings.max_query_string_bytes:
        raise ProtocolError(
            414,
            f"URI Too Long: the query string has {len(request.query_string)} bytes, this "
            f"endpoint takes at most {settings.max_query_string_bytes}; send long queries with "
            "POST",
        )
    args = request.args
    found = QueryRequest(
        default_graphs=args.getlist("default-graph-uri"),
        named_graphs=args.getlist("named-graph-uri"),
        format=_format(args),
    )
    queries = args.getlist("query")
    updates = args.getlist("update")
    if request.method == "POST":
        queries, updates = _read_body(settings, found, queries, updates)
    found.query = _single(queries, "query")
    found.update = updates[0] if updates else None
    return found


def _first(values: list[str]) -> str | None:
    # MultiDict.get raises and catches an exception for a missing key: getlist does not.
    return values[0] if values else None


def _format(parameters) -> str | None:
    """The format a client names: ``format``, or ``output`` as Fuseki's clients send it."""
    return _first(parameters.getlist("format")) or _first(parameters.getlist("output"))


def _require_utf8() -> None:
    """Refuse a body in another character encoding: the protocol takes UTF-8 only."""
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower().replace("-", "") != "utf8":
        raise ProtocolError(
            415,
            f"Unsupported Media Type: a query is sent in UTF-8 (SPARQL 1.1 Protocol), not in "
            f"charset={charset!r}",
        )


def _read_body(settings: Settings, found: QueryRequest, queries: list[str], updates: list[str]):
    length = request.content_length
    if length is not None and length > settings.max_body_bytes:
        raise _too_large(settings, length)
    request.max_content_length = settings.max_body_bytes
    request.max_form_memory_size = settings.max_body_bytes
    mimetype = request.mimetype
    try:
        if mimetype == FORM_TYPE:
            _require_utf8()
            form = request.form
            found.default_graphs += form.getlist("default-graph-uri")
            found.named_graphs += form.getlist("named-graph-uri")
            found.format = found.format or _format(form)
            return queries + form.getlist("query"), updates + form.getlist("update")
        if mimetype == QUERY_TYPE:
            _require_utf8()
            try:
                text = request.get_data(cache=False).decode("utf-8")
            except UnicodeDecodeError as error:
                raise ProtocolError(
                    400, f"Bad request: the query is not valid UTF-8 ({error})"
                ) from None
            return [*queries, text], updates
        if mimetype == UPDATE_TYPE:
            return queries, [*updates, "(request body)"]
        if not mimetype and not request.get_data(cache=True):
            return queries, updates  # a bodiless POST with its parameters in the URL
    except RequestEntityTooLarge:
        raise _too_large(settings, None) from None
    raise ProtocolError(
        415,
        f"Unsupported Media Type {mimetype or '(none)'!r}: send the query as {FORM_TYPE} "
        f"(query=...) or as {QUERY_TYPE}",
    )


def _too_large(settings: Settings, length: int | None) -> ProtocolError:
    size = f"{length} bytes" if length is not None else "more"
    return ProtocolError(
        413,
        f"Content Too Large: the request body has {size}, this endpoint takes at most "
        f"{settings.max_body_bytes} bytes",
    )


def chosen_types(asked_format: str | None) -> tuple[media.MediaType, media.MediaType]:
    """Return the answer types for results and for graphs, or raise ProtocolError."""
    headers = request.headers
    chosen = _negotiated(
        headers.get("Accept", ""), headers.get("User-Agent", ""), asked_format or ""
    )
    if isinstance(chosen, ProtocolError):
        raise chosen
    return chosen


@functools.lru_cache(maxsize=1024)
def _negotiated(accept: str, agent: str, asked_format: str):
    """The answer types for one Accept header, user agent and format parameter.

    Clients send few distinct headers and parsing them costs more than a small query, so the
    outcome is remembered (a ProtocolError is returned, not raised, to be remembered too).
    """
    named = (None, None)
    if asked_format:
        named = (
            media.by_name(asked_format, SELECT_OFFER),
            media.by_name(asked_format, GRAPH_OFFER),
        )
        if named == (None, None):
            known = sorted({t.key for t in (*SELECT_OFFER, *GRAPH_OFFER)})
            return ProtocolError(
                400, f"Bad request: unknown format {asked_format!r}; known: {', '.join(known)}"
            )
    accepted = parse_accept_header(accept, MIMEAccept)
    # A format that fits one kind of answer only (csv, turtle) leaves the other to Accept; when
    # nothing accepted fits the query's kind, the kind's own default answers (HTTP allows it,
    # and clients such as rdflib's SPARQLStore ask for SPARQL JSON whatever the query).
    for_results = named[0] or media.negotiate(accepted, SELECT_OFFER, agent) or SELECT_OFFER[0]
    for_graphs = named[1] or media.negotiate(accepted, GRAPH_OFFER, agent) or GRAPH_OFFER[0]
    return for_results, for_graphs
