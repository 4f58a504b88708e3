"""Terms: the vocabularies' IRIs as pyoxigraph nodes, and pyoxigraph triples as an rdflib graph."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib

from paxsilica import iris


def vocabulary_term(prefix: str, local: str) -> ox.NamedNode:
    """Return the node of a term of one of the known vocabularies, e.g. ``rdfs`` and ``label``."""
    return ox.NamedNode(iris.vocabulary_iri(prefix, local))


RDF_TYPE = vocabulary_term("rdf", "type")
RDFS_LABEL = vocabulary_term("rdfs", "label")
RDFS_SUBCLASS_OF = vocabulary_term("rdfs", "subClassOf")
XSD_STRING = vocabulary_term("xsd", "string")


def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    """Return the rdflib term for a pyoxigraph term; a blank node keeps its label."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def to_rdflib(
    triples: Iterable[ox.Triple],
    into: rdflib.Graph | None = None,
    prefixes: dict[str, str] | None = None,
) -> rdflib.Graph:
    """Return an rdflib graph (``into``, or a new one) holding the given pyoxigraph triples.

    Blank nodes keep their labels, so that the same triples always give the same graph (and
    the same serialization); the graph binds ``prefixes`` and no others.
    """
    graph = into if into is not None else rdflib.Graph(bind_namespaces="none")
    for t in triples:
        graph.add((rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)))
    for prefix, namespace in (prefixes or {}).items():
        graph.bind(prefix, namespace, replace=True)
    return graph
