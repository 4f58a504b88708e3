"""What validation reports: violations of the shapes or of the ontology, named for people."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from paxsilica.iris import CANONICAL_SITE

REASONER_SHAPE = "HermiT reasoner"


@dataclass(frozen=True)
class Violation:
    """One way in which the data breaks a shape or the ontology.

    ``focus_node``, ``shape``, ``node_shape``, ``constraint`` and ``component`` are full IRIs
    (a blank node is written ``_:id``); ``path`` and ``value`` are written for people, in
    SPARQL property-path and Turtle syntax with the project's prefixes. ``shape`` is the
    property shape, or the node shape for a node-level or SPARQL constraint, whose rule
    ``constraint`` then names. The reasoner's findings have ``REASONER_SHAPE`` as their shape,
    and an empty focus node when they concern the whole graph.
    """

    focus_node: str
    path: str | None
    value: str | None
    message: str
    shape: str
    severity: str
    component: str
    node_shape: str | None = None
    constraint: str | None = None


def compact(iri: str) -> str:
    """Write an IRI with one of the project's prefixes when one fits, else in angle brackets."""
    return CANONICAL_SITE.curie(iri) or f"<{iri}>"


def render_term(term: Node) -> str:
    """Write an RDF term as Turtle would, with the project's prefixes."""
    if isinstance(term, URIRef):
        return compact(str(term))
    if isinstance(term, Literal):
        text = Literal(str(term), lang=term.language).n3()
        if term.datatype is not None and str(term.datatype) != str(XSD.string):
            text += "^^" + compact(str(term.datatype))
        return text
    return identify(term)


def identify(term: Node | None) -> str:
    """Name a node as the report does: its IRI, or ``_:id`` for a blank node."""
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)
