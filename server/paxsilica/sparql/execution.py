"""Running one SPARQL query on a store and writing its answer in the format asked for.

``execute`` is the same wherever a query runs (a query worker process, or the process that
serves the request): errors come back as outcomes with an HTTP status and a message.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import pyoxigraph as ox

from paxsilica import media
from paxsilica.rdf.readable import ReadableStore, StoreUnavailable

RESULTS_FORMATS = {t.key: t.results_format for t in media.RESULTS_TYPES}
GRAPH_FORMATS = {t.key: t.rdf_format for t in (*media.GRAPH_TYPES, media.N_QUADS, media.TRIG)}
# The fewest bytes one solution takes in a format: a body shorter than max_rows times this
# cannot hold more than max_rows solutions, so it needs no counting.
MIN_SOLUTION_BYTES = {"json": len("{},"), "xml": len("<result></result>")}
_TSV = ox.QueryResultsFormat.TSV


@dataclass
class QueryJob:
    """One query to run and how to answer it; crosses the process boundary with marshal."""

    query: str
    results_format: str | None = "json"
    graph_format: str | None = "turtle"
    union_default_graph: bool = True
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    max_rows: int = 100_000
    prefixes: dict[str, str] = field(default_factory=dict)
    # What relative IRIs in the query resolve against (the protocol leaves it to the service:
    # the endpoint's own IRI).
    base_iri: str | None = None

    def dump(self) -> bytes:
        """Return the job as bytes for a worker."""
        return marshal.dumps(self.__dict__)

    @classmethod
    def load(cls, raw: bytes) -> QueryJob:
        """Return the job a web process sent."""
        # marshal between the processes of one server, which trust each other.
        return cls(**marshal.loads(raw))  # noqa: S302


@dataclass
class QueryOutcome:
    """What running a query gave: an HTTP status, the body and what the body is."""

    status: int
    body: bytes = b""
    kind: str | None = None
    media_key: str | None = None
    truncated: bool = False
    message: str | None = None
    # Seconds after which a retry may succeed, when the server was only too busy.
    retry_after: int | None = None
    # The worker that answered has used up its memory allowance and is to be replaced.
    retire: bool = False

    def meta(self) -> dict[str, Any]:
        """Return everything but the body, for marshal."""
        return {k: v for k, v in self.__dict__.items() if k != "body"}


def _cut_tsv(tsv: bytes, max_rows: int) -> tuple[bytes, bool]:
    """Keep the header and the first max_rows rows of TSV results (one row per line)."""
    lines = tsv.split(b"\n", max_rows + 1)
    if len(lines) <= max_rows + 1 or not lines[-1]:
        return tsv, False
    return b"\n".join(lines[: max_rows + 1]) + b"\n", True


def _serialize_solutions(results: ox.QuerySolutions, key: str, max_rows: int):
    results_format = RESULTS_FORMATS[key]
    body = None
    if key in MIN_SOLUTION_BYTES:
        body = results.serialize(format=results_format)
        if len(body) <= MIN_SOLUTION_BYTES[key] * max_rows:
            return body, False
        # A large answer: count its solutions through TSV, which has one per line.
        tsv = ox.parse_query_results(body, results_format).serialize(format=_TSV)
    else:
        tsv = results.serialize(format=_TSV)
    tsv, truncated = _cut_tsv(tsv, max_rows)
    if key == "tsv":
        return tsv, truncated
    if body is not None and not truncated:
        return body, False
    return ox.parse_query_results(tsv, _TSV).serialize(format=results_format), truncated


def _serialize_triples(triples: Iterable[ox.Triple], job: QueryJob):
    kept = list(islice(triples, job.max_rows + 1))
    truncated = len(kept) > job.max_rows
    del kept[job.max_rows :]
    rdf_format = GRAPH_FORMATS[job.graph_format]
    items: list[Any] = kept
    if rdf_format.supports_datasets:
        items = [ox.Quad(t.subject, t.predicate, t.object) for t in kept]
    prefixes = job.prefixes if job.graph_format in ("turtle", "trig") else None
    return ox.serialize(items, format=rdf_format, prefixes=prefixes), truncated


def _not_acceptable(kind: str) -> QueryOutcome:
    offered = media.RESULTS_TYPES if kind != "graph" else media.GRAPH_TYPES
    what = "an RDF graph" if kind == "graph" else kind
    return QueryOutcome(
        406,
        kind=kind,
        message=f"Not Acceptable: this query's results ({what}) "
        f"are offered as {media.offered_list(offered)}",
    )


def _dataset_options(job: QueryJob) -> dict[str, Any]:
    """The dataset the query runs on: the protocol's graphs, or the union of the graphs."""
    base = {"base_iri": job.base_iri} if job.base_iri else {}
    if job.default_graphs is None and job.named_graphs is None:
        return {"use_default_graph_as_union": job.union_default_graph, **base}
    try:
        return {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs or []],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or []],
            **base,
        }
    except ValueError as error:
        raise ValueError(f"Bad graph IRI in default-graph-uri/named-graph-uri: {error}") from None


def _answer(results: Any, job: QueryJob) -> QueryOutcome:
    if isinstance(results, ox.QueryBoolean):
        if job.results_format is None:
            return _not_acceptable("boolean")
        body = results.serialize(format=RESULTS_FORMATS[job.results_format])
        return QueryOutcome(200, body, "boolean", job.results_format)
    if isinstance(results, ox.QuerySolutions):
        if job.results_format is None:
            return _not_acceptable("solutions")
        body, truncated = _serialize_solutions(results, job.results_format, job.max_rows)
        return QueryOutcome(200, body, "solutions", job.results_format, truncated)
    if job.graph_format is None:
        return _not_acceptable("graph")
    body, truncated = _serialize_triples(results, job)
    return QueryOutcome(200, body, "graph", job.graph_format, truncated)


def execute(store: ReadableStore, job: QueryJob) -> QueryOutcome:
    """Run one query on the store and serialize its results as the job asks.

    Errors come back as outcomes with an HTTP status and a message, never as exceptions: a
    malformed query is 400 with the parser's message and position, a store that cannot
    answer (a remote server down) 502.
    """
    try:
        options = _dataset_options(job)
    except ValueError as error:
        return QueryOutcome(400, message=str(error))
    try:
        results = store.query(job.query, **options)
    except SyntaxError as error:
        return QueryOutcome(400, message=f"Malformed query: {error.msg or error}")
    except StoreUnavailable as error:
        return QueryOutcome(502, message=f"The SPARQL server behind this endpoint failed: {error}")
    except (ValueError, OSError, RuntimeError) as error:
        # RuntimeError: Oxigraph's word for a query it parses but cannot evaluate, such as a
        # call to a function it does not know.
        return QueryOutcome(400, message=f"The query cannot run: {error}")
    try:
        return _answer(results, job)
    except StoreUnavailable as error:
        return QueryOutcome(502, message=f"The SPARQL server behind this endpoint failed: {error}")
    except (ConnectionError, TimeoutError) as error:
        return QueryOutcome(502, message=f"A federated SERVICE call failed: {error}")
    except (ValueError, OSError, SyntaxError, TypeError) as error:
        return QueryOutcome(400, message=f"Query evaluation failed: {error}")


def timed_out(timeout: float) -> QueryOutcome:
    """The answer to a query that ran past its time and was stopped."""
    return QueryOutcome(
        503,
        message=f"Query timeout: the query ran longer than {timeout:g} s and was stopped. "
        "Make it more selective, or add a LIMIT.",
    )


def out_of_memory() -> QueryOutcome:
    """The answer to a query that needed more memory than a query may have."""
    return QueryOutcome(
        503, message="The query needed more memory than this server allows a query."
    )
