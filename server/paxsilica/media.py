"""The one table of media types and the one place that does content negotiation."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class MediaType:
    """A format the server offers, with its media type, file extension and serializer format."""

    key: str
    mime: str
    extension: str
    label: str
    rdf_format: ox.RdfFormat | None = None
    results_format: ox.QueryResultsFormat | None = None
    # Other media types that mean this format in an Accept header.
    aliases: tuple[str, ...] = field(default=())
    # Other names clients give this format in a ``format``/``output`` parameter (SPARQLWrapper,
    # YASGUI, Virtuoso- and Fuseki-style values).
    names: tuple[str, ...] = field(default=())

    @property
    def content_type(self) -> str:
        """The Content-Type header value, with a charset for text formats."""
        textual = self.mime.startswith("text/") or self.mime.endswith(("json", "xml", "triples"))
        return f"{self.mime}; charset=utf-8" if textual else self.mime


TURTLE = MediaType(
    "turtle",
    "text/turtle",
    "ttl",
    "Turtle",
    ox.RdfFormat.TURTLE,
    aliases=("application/x-turtle",),
    # Turtle is N3 without N3's extensions, so an N3 reader reads it.
    names=("n3", "text/n3", "text/rdf+n3"),
)
JSON_LD = MediaType(
    "jsonld",
    "application/ld+json",
    "jsonld",
    "JSON-LD",
    ox.RdfFormat.JSON_LD,
    aliases=("application/json",),
    names=("json-ld",),
)
RDF_XML = MediaType(
    "rdfxml",
    "application/rdf+xml",
    "rdf",
    "RDF/XML",
    ox.RdfFormat.RDF_XML,
    aliases=("application/xml", "text/xml"),
    names=("rdf+xml", "rdf/xml"),
)
N_TRIPLES = MediaType(
    "ntriples",
    "application/n-triples",
    "nt",
    "N-Triples",
    ox.RdfFormat.N_TRIPLES,
    aliases=("text/plain",),
    names=("n-triples",),
)
N_QUADS = MediaType(
    "nquads", "application/n-quads", "nq", "N-Quads", ox.RdfFormat.N_QUADS, names=("n-quads",)
)
TRIG = MediaType("trig", "application/trig", "trig", "TriG", ox.RdfFormat.TRIG)
HTML = MediaType("html", "text/html", "html", "HTML", aliases=("application/xhtml+xml",))
PLAIN_TEXT = MediaType("text", "text/plain", "txt", "Plain text")

SPARQL_JSON = MediaType(
    "json",
    "application/sparql-results+json",
    "srj",
    "SPARQL JSON",
    results_format=ox.QueryResultsFormat.JSON,
    aliases=("application/json",),
    names=("sparql-results+json", "sparql-json"),
)
SPARQL_XML = MediaType(
    "xml",
    "application/sparql-results+xml",
    "srx",
    "SPARQL XML",
    results_format=ox.QueryResultsFormat.XML,
    aliases=("application/xml", "text/xml"),
    names=("sparql-results+xml", "sparql-xml"),
)
SPARQL_CSV = MediaType("csv", "text/csv", "csv", "CSV", results_format=ox.QueryResultsFormat.CSV)
SPARQL_TSV = MediaType(
    "tsv", "text/tab-separated-values", "tsv", "TSV", results_format=ox.QueryResultsFormat.TSV
)

# The index tables' files (paxsilica.publish.table_files) and the charts.
CSV = MediaType("csv-table", "text/csv", "csv", "CSV")
XLSX = MediaType(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "XLSX"
)
# The W3C CSV on the Web metadata of a CSV file (JSON-LD), named <file>.csv-metadata.json.
CSVW = MediaType("csvw", "application/csvm+json", "csv-metadata.json", "CSVW metadata")
SVG = MediaType("svg", "image/svg+xml", "svg", "SVG")
# Plain JSON, for the small answers the pages' scripts ask for (the search suggestions).
JSON = MediaType("json-data", "application/json", "json", "JSON")

# What an entity or ontology document is offered as; the first is the default for machines.
DOCUMENT_TYPES: tuple[MediaType, ...] = (TURTLE, JSON_LD, RDF_XML, N_TRIPLES, HTML)
# The whole dataset: quads formats keep the named graphs, the others are the merged graph.
DATASET_TYPES: tuple[MediaType, ...] = (N_QUADS, TRIG)
GRAPH_TYPES: tuple[MediaType, ...] = (TURTLE, N_TRIPLES, RDF_XML, JSON_LD)
RESULTS_TYPES: tuple[MediaType, ...] = (SPARQL_JSON, SPARQL_XML, SPARQL_CSV, SPARQL_TSV)
TABLE_TYPES: tuple[MediaType, ...] = (CSV, XLSX, CSVW)
# What an error message is offered as: plain text for machines, a page for browsers.
ERROR_TYPES: tuple[MediaType, ...] = (PLAIN_TEXT, HTML)


def by_extension(extension: str, offered: Sequence[MediaType]) -> MediaType | None:
    """Return the offered type whose file extension is given, or None."""
    for media_type in offered:
        if media_type.extension == extension:
            return media_type
    return None


def by_name(name: str, offered: Sequence[MediaType]) -> MediaType | None:
    """Return the offered type a ``format`` parameter names: by key, extension or media type.

    A bare syntax name also picks the offered type of that syntax, as clients such as
    SPARQLWrapper send it whatever the query: ``xml`` is SPARQL XML among results types and
    RDF/XML among graph types, ``json`` SPARQL JSON or JSON-LD.
    """
    name = name.strip().lower()
    for media_type in offered:
        known = (media_type.key, media_type.extension, media_type.mime, *media_type.aliases)
        if name in known or name in media_type.names:
            return media_type
    for media_type in offered:
        subtype = media_type.mime.split("/")[-1]
        if name and (subtype == name or subtype.endswith("+" + name)):
            return media_type
    return None


def _is_browser(user_agent: str | None) -> bool:
    return bool(user_agent) and "Mozilla/" in user_agent


def negotiate(
    accept: MIMEAccept,
    offered: Sequence[MediaType],
    user_agent: str | None = None,
) -> MediaType | None:
    """Return the offered type that best fits an Accept header, honouring q-values.

    A missing header, or one that accepts anything, gets HTML when a browser asks and the
    first offered machine format otherwise; None means nothing offered is acceptable (406).
    """
    html_offered = HTML in offered
    machine_default = next((t for t in offered if t is not HTML), offered[0])
    if not accept or accept.to_header() in ("*/*", "*"):
        if html_offered and _is_browser(user_agent):
            return HTML
        return machine_default

    candidates: list[tuple[str, MediaType]] = []
    for media_type in offered:
        candidates.append((media_type.mime, media_type))
    for media_type in offered:
        candidates.extend((alias, media_type) for alias in media_type.aliases)
    # Werkzeug prefers earlier candidates on equal quality, so a browser's
    # "text/html,...,*/*;q=0.8" gets HTML and a bare wildcard keeps the table's order.
    order = [mime for mime, _ in candidates]
    if html_offered and _is_browser(user_agent):
        order.remove(HTML.mime)
        order.insert(0, HTML.mime)
    best = accept.best_match(order)
    if best is None:
        return None
    return next(media_type for mime, media_type in candidates if mime == best)


def negotiate_header(
    accept_header: str | None, offered: Sequence[MediaType], user_agent: str | None = None
) -> MediaType | None:
    """Like :func:`negotiate`, from the raw Accept header, remembering recent answers.

    The same few Accept headers come again and again, and matching them is most of the cost
    of answering a cached document, so answers are memoised (a bounded cache).
    """
    return _negotiate_memoised(accept_header or "", tuple(offered), _is_browser(user_agent))


@functools.lru_cache(maxsize=2048)
def _negotiate_memoised(
    accept_header: str, offered: tuple[MediaType, ...], browser: bool
) -> MediaType | None:
    accept = parse_accept_header(accept_header, MIMEAccept) if accept_header else MIMEAccept()
    return negotiate(accept, offered, "Mozilla/" if browser else None)


def offered_list(offered: Sequence[MediaType]) -> str:
    """Return the offered media types as a comma-separated list, for 406 answers."""
    return ", ".join(t.mime for t in offered)
