"""Literals the store keeps by value: which ones of a file it will give back spelled otherwise.

Oxigraph stores numbers, booleans and a few other datatypes by their value, so it gives back
their canonical form: ``"1.0"^^xsd:decimal`` as ``"1"``, ``"3.21E4"^^xsd:double`` as
``"32100"``, ``"007"^^xsd:integer`` as ``"7"``, and the types derived from xsd:integer
(``xsd:positiveInteger``...) as ``xsd:integer``. Dumps and answers then differ term for term
from the file a user loaded, so loading a file says how many of its literals that concerns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

log = logging.getLogger(__name__)

XSD = "http://www.w3.org/2001/XMLSchema#"
# The numeric datatypes of XSD: xsd:decimal, xsd:double, xsd:float and the integer types.
NUMERIC = frozenset(
    XSD + local
    for local in [
        "decimal",
        "double",
        "float",
        "integer",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
)
# The datatypes whose literals Oxigraph may store by value (the others keep their spelling).
BY_VALUE = NUMERIC | frozenset(
    XSD + local
    for local in [
        "boolean",
        "dateTime",
        "dateTimeStamp",
        "date",
        "time",
        "gYear",
        "gYearMonth",
        "gMonth",
        "gMonthDay",
        "gDay",
        "duration",
        "dayTimeDuration",
        "yearMonthDuration",
    ]
)
# How many distinct literals are compared at most (a file may hold millions of numbers).
MAX_COMPARED = 200_000
EXAMPLES = 3


@dataclass
class Rewrites:
    """What the store will rewrite among a file's literals: how many, and a few examples."""

    count: int = 0
    examples: list[tuple[ox.Literal, ox.Literal]] = field(default_factory=list)
    # Whether some literals were not compared (over MAX_COMPARED distinct ones).
    partial: bool = False


def stored_forms(literals: Iterable[ox.Literal]) -> dict[ox.Literal, ox.Literal]:
    """Return how the store gives back each literal: one round trip through a scratch store."""
    scratch = ox.Store()
    subject = ox.NamedNode("urn:paxsilica:literal")
    ordered = list(literals)
    scratch.extend(
        ox.Quad(subject, ox.NamedNode(f"urn:paxsilica:literal:{i}"), literal)
        for i, literal in enumerate(ordered)
    )
    back = {q.predicate.value: q.object for q in scratch}
    return {literal: back[f"urn:paxsilica:literal:{i}"] for i, literal in enumerate(ordered)}


def rewrites(quads: Iterable[ox.Quad]) -> Rewrites:
    """Return which literals among the quads' objects the store will give back spelled otherwise."""
    seen: dict[ox.Literal, int] = {}
    found = Rewrites()
    for quad in quads:
        term = quad.object
        if isinstance(term, ox.Literal) and term.datatype.value in BY_VALUE:
            if term in seen:
                seen[term] += 1
            elif len(seen) < MAX_COMPARED:
                seen[term] = 1
            else:
                found.partial = True
    for literal, stored in stored_forms(seen).items():
        if (stored.value, stored.datatype) != (literal.value, literal.datatype):
            found.count += seen[literal]
            if len(found.examples) < EXAMPLES:
                found.examples.append((literal, stored))
    return found


def warn_about_rewrites(path: Path, rdf_format: ox.RdfFormat) -> Rewrites:
    """Log a warning when the store will give back some of a file's literals spelled otherwise."""
    found = rewrites(ox.parse(path=path, format=rdf_format, base_iri=path.resolve().as_uri()))
    if found.count:
        examples = "; ".join(f"{old} as {new}" for old, new in found.examples)
        log.warning(
            "%s: the store keeps %d literal(s)%s by value and will give them back in their "
            "canonical form (for example %s); dumps and answers will differ from the file "
            "term for term, not in meaning",
            path,
            found.count,
            " (at least)" if found.partial else "",
            examples,
        )
    return found
