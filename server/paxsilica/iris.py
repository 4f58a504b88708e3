"""The one place that knows the project's IRIs: namespaces, graph names and base rewriting."""

from __future__ import annotations

from dataclasses import dataclass

CANONICAL_BASE = "https://w3id.org/pax-silica/"
ONTOLOGY_IRI = CANONICAL_BASE + "ontology"
ONTOLOGY_NS = ONTOLOGY_IRI + "#"
ENTITY_BASE = CANONICAL_BASE + "id/"
SHAPES_NS = CANONICAL_BASE + "shapes#"
GRAPH_BASE = CANONICAL_BASE + "graph/"
DATASET_IRI = CANONICAL_BASE + "dataset"

GRAPH_ONTOLOGY = GRAPH_BASE + "ontology"
GRAPH_INSTANCES = GRAPH_BASE + "instances"
GRAPH_SHAPES = GRAPH_BASE + "shapes"
GRAPH_INFERRED = GRAPH_BASE + "inferred"
# The ETO-derived data is licensed apart (CC BY-NC 4.0), and so is what is inferred from it.
GRAPH_ETO = GRAPH_BASE + "eto"
GRAPH_ETO_INFERRED = GRAPH_BASE + "eto-inferred"
GRAPH_USER_BASE = GRAPH_BASE + "user/"

# What the linked-data server publishes besides the entities: one document per entity
# (/id/x is described by /doc/x), the JSON-LD context, the dumps and their VoID description.
DOCUMENT_BASE = CANONICAL_BASE + "doc/"
CONTEXT_IRI = CANONICAL_BASE + "context.jsonld"
DUMPS_BASE = CANONICAL_BASE + "dumps/"
VOID_IRI = CANONICAL_BASE + ".well-known/void"
SHAPES_IRI = CANONICAL_BASE + "shapes"
SPARQL_ENDPOINT_IRI = CANONICAL_BASE + "sparql"
LICENSE_IRI = "https://creativecommons.org/licenses/by/4.0/"

# Vocabularies whose terms the data may use besides the project's own.
KNOWN_VOCABULARIES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "spdx": "http://spdx.org/rdf/terms#",
    "sh": "http://www.w3.org/ns/shacl#",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
}

PREFIXES = {"ps": ONTOLOGY_NS, "psid": ENTITY_BASE, "psh": SHAPES_NS, **KNOWN_VOCABULARIES}


def entity_iri(kind: str, key: str) -> str:
    """Return the canonical IRI of an entity of the given kind, e.g. ``state`` and ``JP``."""
    return f"{ENTITY_BASE}{kind}/{key}"


def user_graph_iri(name: str) -> str:
    """Return the name of the graph that holds a user-supplied data file."""
    return GRAPH_USER_BASE + name


@dataclass(frozen=True)
class BaseRewriter:
    """Rewrites IRIs between the canonical base and the base a deployment is served under."""

    public_base: str = CANONICAL_BASE

    @property
    def active(self) -> bool:
        """Whether the deployment serves under a base other than the canonical one."""
        return self.public_base != CANONICAL_BASE

    def to_public(self, iri: str) -> str:
        """Return the IRI a client sees for a canonical IRI."""
        if self.active and iri.startswith(CANONICAL_BASE):
            return self.public_base + iri[len(CANONICAL_BASE) :]
        return iri

    def to_canonical(self, iri: str) -> str:
        """Return the canonical IRI for an IRI a client sent."""
        if self.active and iri.startswith(self.public_base):
            return CANONICAL_BASE + iri[len(self.public_base) :]
        return iri


def iri_for_path(path: str, public_base: str = CANONICAL_BASE) -> str:
    """Return the IRI a request path (relative to the server's root) names under a base."""
    return public_base + path.lstrip("/")


def path_for_iri(iri: str, public_base: str = CANONICAL_BASE) -> str | None:
    """Return the request path (from the server's root) of an IRI under a base, or None."""
    if not iri.startswith(public_base):
        return None
    return "/" + iri[len(public_base) :]


def document_for_entity(entity: str, public_base: str = CANONICAL_BASE) -> str | None:
    """Return the IRI of the document that describes an entity IRI, or None if not an entity."""
    entities = public_base + ENTITY_BASE[len(CANONICAL_BASE) :]
    if not entity.startswith(entities) or len(entity) == len(entities):
        return None
    return public_base + DOCUMENT_BASE[len(CANONICAL_BASE) :] + entity[len(entities) :]
