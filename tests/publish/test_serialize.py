"""The prefixes a serialized document declares: exactly those its IRIs use."""

from __future__ import annotations

import random

import pyoxigraph as ox

from paxsilica.publish.serialize import used_prefixes

PREFIXES = {
    "a": "http://example.org/a/",
    "ab": "http://example.org/a/b/",
    "h": "http://example.org/h#",
    "isbn": "urn:isbn:",
    "x": "http://example.org/x",  # ends neither with '/' nor '#'
    "unused": "http://example.org/unused/",
}


def naive(triples, prefixes):
    """Every namespace tested against every IRI: slow, but plainly right."""
    values = {
        term.value if isinstance(term, ox.NamedNode) else term.datatype.value
        for t in triples
        for term in (t.subject, t.predicate, t.object)
        if isinstance(term, ox.NamedNode) or (isinstance(term, ox.Literal) and not term.language)
    }
    return {n: ns for n, ns in prefixes.items() if any(v.startswith(ns) for v in values)}


def test_used_prefixes_are_those_some_iri_starts_with() -> None:
    triples = [
        ox.Triple(
            ox.NamedNode("http://example.org/a/b/c"),
            ox.NamedNode("http://example.org/h#p"),
            ox.Literal("1", datatype=ox.NamedNode("urn:isbn:123")),
        ),
        ox.Triple(
            ox.NamedNode("http://example.org/xyz"),
            ox.NamedNode("http://example.org/a/q"),
            ox.Literal("fr", language="fr"),
        ),
    ]
    assert used_prefixes(triples, PREFIXES) == {
        "a": "http://example.org/a/",
        "ab": "http://example.org/a/b/",
        "h": "http://example.org/h#",
        "isbn": "urn:isbn:",
        "x": "http://example.org/x",
    }


def test_used_prefixes_agree_with_testing_every_namespace() -> None:
    rng = random.Random(7)
    schemes = ["http://example.org/", "urn:isbn:", "http://example.org/x"]
    pieces = ["a/", "b/", "h", "x", "y/", "isbn:", "9", "/"]
    for _ in range(300):
        iris = [
            rng.choice(schemes)
            + "".join(rng.choices(pieces, k=rng.randint(0, 4)))
            + rng.choice(["", "#", "#p"])
            for _ in range(3)
        ]
        triples = [
            ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o)) for s, p, o in [iris]
        ]
        assert used_prefixes(triples, PREFIXES) == naive(triples, PREFIXES), iris
