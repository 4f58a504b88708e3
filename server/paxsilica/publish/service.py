"""The SPARQL endpoint's Service Description (W3C SPARQL 1.1 Service Description)."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

from paxsilica.config import Settings
from paxsilica.rdf.readable import ReadableStore
from paxsilica.rdf.terms import RDF_TYPE, vocabulary_term

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
# The result formats the endpoint writes, by media-type key.
FORMAT_IRIS = {
    "json": FORMATS + "SPARQL_Results_JSON",
    "xml": FORMATS + "SPARQL_Results_XML",
    "csv": FORMATS + "SPARQL_Results_CSV",
    "tsv": FORMATS + "SPARQL_Results_TSV",
    "turtle": FORMATS + "Turtle",
    "ntriples": FORMATS + "N-Triples",
    "rdfxml": FORMATS + "RDF_XML",
    "jsonld": FORMATS + "JSON-LD",
    "nquads": FORMATS + "N-Quads",
    "trig": FORMATS + "TriG",
}
# The prefixes the description is written with.
PREFIXES = {
    "sd": SD,
    "formats": FORMATS,
    **{p: vocabulary_term(p, "").value for p in ("void", "dcterms", "rdfs", "xsd")},
}
# How an answer cut at the row limit is flagged, for clients and for this description.
TRUNCATED_HEADER = "X-Paxsilica-Truncated"
MAX_ROWS_HEADER = "X-Paxsilica-Max-Rows"


def graph_sizes(store: ReadableStore) -> dict[str, int]:
    """Return the number of triples of each named graph, by name."""
    counted = store.query(
        "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    return {row["g"].value: int(row["n"].value) for row in counted}


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)


def _count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=vocabulary_term("xsd", "integer"))


def _summary(settings: Settings, service_allow: tuple[str, ...]) -> ox.Literal:
    federation = f"limited to {', '.join(service_allow)}." if service_allow else "disabled."
    return ox.Literal(
        "Read-only SPARQL 1.1 endpoint of Pax Silica Linked Data. The default graph is the "
        f"union of the named graphs. Queries stop after {settings.query_timeout:g} s (503); "
        f"results stop after {settings.max_rows} rows (header {TRUNCATED_HEADER}: true). "
        f"SERVICE is {federation}",
        language="en",
    )


def _dataset_triples(dataset: ox.NamedNode, sizes: Mapping[str, int]) -> list[ox.Triple]:
    default_graph = ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
        ox.Triple(default_graph, vocabulary_term("void", "triples"), _count(sum(sizes.values()))),
    ]
    for number, (name, size) in enumerate(sizes.items()):
        named = ox.BlankNode(f"namedGraph{number}")
        graph = ox.BlankNode(f"graph{number}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(name)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
            ox.Triple(graph, vocabulary_term("void", "triples"), _count(size)),
        ]
    return triples


def description_triples(
    settings: Settings, service_allow: tuple[str, ...], sizes: Mapping[str, int]
) -> list[ox.Triple]:
    """Return the Service Description of the endpoint, with its dataset's graphs and sizes."""
    site = settings.site
    endpoint = ox.NamedNode(site.sparql_endpoint)
    service = ox.NamedNode(site.sparql_endpoint + "#service")
    dataset = ox.NamedNode(site.dataset_iri)
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), endpoint),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(
            service,
            _sd("defaultEntailmentRegime"),
            ox.NamedNode("http://www.w3.org/ns/entailment/Simple"),
        ),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(service, vocabulary_term("rdfs", "seeAlso"), ox.NamedNode(site.void_iri)),
        ox.Triple(
            service, vocabulary_term("dcterms", "description"), _summary(settings, service_allow)
        ),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, RDF_TYPE, vocabulary_term("void", "Dataset")),
        ox.Triple(dataset, vocabulary_term("void", "sparqlEndpoint"), endpoint),
    ]
    if service_allow:
        triples.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    triples += [
        ox.Triple(service, _sd("resultFormat"), ox.NamedNode(iri)) for iri in FORMAT_IRIS.values()
    ]
    return triples + _dataset_triples(dataset, sizes)
