"""Writing RDF: a document's triples in each format, with prefixes and a JSON-LD context."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from paxsilica import iris, media
from paxsilica.rdf.terms import RDF_TYPE, to_rdflib, vocabulary_term

OWL_OBJECT_PROPERTY = vocabulary_term("owl", "ObjectProperty")
OWL_DATATYPE_PROPERTY = vocabulary_term("owl", "DatatypeProperty")


@dataclass(frozen=True)
class Rendering:
    """One serialization of a document: its bytes and an entity tag derived from them."""

    body: bytes
    etag: str


def rendering_of(body: bytes) -> Rendering:
    """Return a rendering of the given bytes with a strong entity tag over their content."""
    return Rendering(body, hashlib.sha256(body).hexdigest()[:32])


def entity_prefixes(triples: Iterable[ox.Triple], site: iris.Site) -> dict[str, str]:
    """Return one prefix per kind of entity the triples mention, e.g. ``state:`` for /id/state/."""
    kinds = {
        kind
        for t in triples
        for term in (t.subject, t.object)
        if isinstance(term, ox.NamedNode) and (kind := site.entity_kind(term.value)) is not None
    }
    return site.kind_prefixes(kinds)


def used_prefixes(triples: Iterable[ox.Triple], prefixes: dict[str, str]) -> dict[str, str]:
    """Return the prefixes whose namespace some IRI of the triples starts with."""
    iri_values = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                iri_values.add(term.value)
            elif isinstance(term, ox.Literal) and not term.language:
                iri_values.add(term.datatype.value)
    namespaces = _namespaces_used(iri_values, set(prefixes.values()))
    return {name: ns for name, ns in prefixes.items() if ns in namespaces}


def _namespaces_used(iri_values: set[str], namespaces: set[str]) -> set[str]:
    """The namespaces some IRI starts with, looked up at each '/' and '#' of the IRIs (a
    hub's document mentions thousands of IRIs: testing each against every prefix was most
    of its serialization); namespaces ending otherwise are tested the long way."""
    found = set()
    for value in iri_values:
        cut = max(value.rfind("/"), value.rfind("#"))
        while cut > 0:
            if (candidate := value[: cut + 1]) in namespaces:
                found.add(candidate)
            cut = max(value.rfind("/", 0, cut), value.rfind("#", 0, cut))
    for ns in namespaces - found:
        if ns[-1:] not in ("/", "#") and any(v.startswith(ns) for v in iri_values):
            found.add(ns)
    return found


def serialize(
    triples: Sequence[ox.Triple],
    media_type: media.MediaType,
    prefixes: dict[str, str],
    context: dict | None = None,
) -> bytes:
    """Serialize triples in a graph format: pyoxigraph's writers, rdflib for compacted JSON-LD.

    JSON-LD is compacted with ``context`` (the context the server publishes), passed as an
    object so that nothing is ever fetched.
    """
    if media_type is media.JSON_LD:
        graph = to_rdflib(triples)
        text = graph.serialize(format="json-ld", context=context or {}, auto_compact=True)
        return text.encode("utf-8")
    if media_type.rdf_format is None:
        raise ValueError(f"{media_type.label} is not an RDF format")
    return ox.serialize(triples, format=media_type.rdf_format, prefixes=prefixes)


def jsonld_context(store: ox.Store, ontology_graph: ox.NamedNode, prefixes: dict[str, str]) -> dict:
    """Return the JSON-LD context: the prefixes, and one short term per ontology property.

    Object properties coerce their values to IRIs, so compacted documents read
    ``"supplier": "…/id/state/CN"``.
    """
    context: dict = dict(sorted(prefixes.items()))
    ontology_ns = prefixes["ps"]
    for kind, coerce in ((OWL_OBJECT_PROPERTY, True), (OWL_DATATYPE_PROPERTY, False)):
        properties = sorted(
            quad.subject.value
            for quad in store.quads_for_pattern(None, RDF_TYPE, kind, ontology_graph)
            if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(ontology_ns)
        )
        for iri in properties:
            local = iri[len(ontology_ns) :]
            if local in context or not local.isidentifier():
                continue
            context[local] = {"@id": f"ps:{local}", "@type": "@id"} if coerce else f"ps:{local}"
    return context
