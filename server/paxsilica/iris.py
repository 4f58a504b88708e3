"""The one place that knows the project's IRIs: namespaces, graph names, paths and CURIEs.

Every IRI the project publishes is minted under the canonical base
``https://w3id.org/pax-silica/``; a deployment may serve them under another base (its public
base). ``Site`` turns canonical IRIs into the public IRIs of one deployment, maps them to and
from request paths, and writes them as prefixed names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

CANONICAL_BASE = "https://w3id.org/pax-silica/"
ONTOLOGY_IRI = CANONICAL_BASE + "ontology"
ONTOLOGY_NS = ONTOLOGY_IRI + "#"
ENTITY_BASE = CANONICAL_BASE + "id/"
DOCUMENT_BASE = CANONICAL_BASE + "doc/"
SHAPES_IRI = CANONICAL_BASE + "shapes"
SHAPES_NS = SHAPES_IRI + "#"
GRAPH_BASE = CANONICAL_BASE + "graph/"
DATASET_IRI = CANONICAL_BASE + "dataset"
DUMPS_BASE = CANONICAL_BASE + "dumps/"
VOID_IRI = CANONICAL_BASE + ".well-known/void"
SPARQL_ENDPOINT_IRI = CANONICAL_BASE + "sparql"
LICENSE_IRI = "https://creativecommons.org/licenses/by/4.0/"

GRAPH_ONTOLOGY = GRAPH_BASE + "ontology"
GRAPH_INSTANCES = GRAPH_BASE + "instances"
GRAPH_SHAPES = GRAPH_BASE + "shapes"
GRAPH_INFERRED = GRAPH_BASE + "inferred"
# The ETO-derived data is licensed apart (CC BY-NC 4.0), and so is what is inferred from it.
GRAPH_ETO = GRAPH_BASE + "eto"
GRAPH_ETO_INFERRED = GRAPH_BASE + "eto-inferred"
GRAPH_USER_BASE = GRAPH_BASE + "user/"

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
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "sh": "http://www.w3.org/ns/shacl#",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
}

# The project's own prefixes, canonical; Site.prefixes gives them under a deployment's base.
PREFIXES = {"ps": ONTOLOGY_NS, "psid": ENTITY_BASE, "psh": SHAPES_NS, **KNOWN_VOCABULARIES}

# A local part that needs no escaping in Turtle and SPARQL (a conservative subset of PN_LOCAL:
# it may not end with a dot).
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])?")
# An entity kind: the first path segment under /id/, usable as a prefix name.
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")


def vocabulary_iri(prefix: str, local: str) -> str:
    """Return the IRI of a term of a known vocabulary, e.g. ``rdfs`` and ``label``."""
    return KNOWN_VOCABULARIES[prefix] + local


def entity_iri(kind: str, key: str) -> str:
    """Return the canonical IRI of an entity of the given kind, e.g. ``state`` and ``JP``."""
    return f"{ENTITY_BASE}{kind}/{key}"


def user_graph_iri(name: str) -> str:
    """Return the canonical name of the graph that holds a user-supplied data file."""
    return GRAPH_USER_BASE + name


@dataclass(frozen=True)
class Site:
    """The IRIs of one deployment: its public base and everything minted under it."""

    public_base: str = CANONICAL_BASE

    @property
    def rewrites(self) -> bool:
        """Whether the deployment serves under a base other than the canonical one."""
        return self.public_base != CANONICAL_BASE

    def public(self, canonical: str) -> str:
        """Return the IRI a client sees for a canonical IRI (others are left as they are)."""
        if self.rewrites and canonical.startswith(CANONICAL_BASE):
            return self.public_base + canonical[len(CANONICAL_BASE) :]
        return canonical

    def public_text(self, text: str) -> str:
        """Return a text (a literal, a query) with every canonical IRI in it made public."""
        return text.replace(CANONICAL_BASE, self.public_base) if self.rewrites else text

    # -- the deployment's well-known IRIs ----------------------------------------------------

    @cached_property
    def ontology_iri(self) -> str:
        """The ontology's IRI."""
        return self.public(ONTOLOGY_IRI)

    @cached_property
    def ontology_ns(self) -> str:
        """The ontology's namespace (``ps:``)."""
        return self.public(ONTOLOGY_NS)

    @cached_property
    def entity_base(self) -> str:
        """Where entity IRIs live (``/id/``)."""
        return self.public(ENTITY_BASE)

    @cached_property
    def document_base(self) -> str:
        """Where the documents about entities live (``/doc/``)."""
        return self.public(DOCUMENT_BASE)

    @cached_property
    def dataset_iri(self) -> str:
        """The dataset's IRI."""
        return self.public(DATASET_IRI)

    @cached_property
    def void_iri(self) -> str:
        """The dataset description's IRI."""
        return self.public(VOID_IRI)

    @cached_property
    def dumps_base(self) -> str:
        """Where the dump files live."""
        return self.public(DUMPS_BASE)

    @cached_property
    def sparql_endpoint(self) -> str:
        """The SPARQL endpoint's IRI."""
        return self.public(SPARQL_ENDPOINT_IRI)

    @cached_property
    def shapes_iri(self) -> str:
        """The shapes graph's IRI as a document."""
        return self.public(SHAPES_IRI)

    @cached_property
    def graph_base(self) -> str:
        """Where the named graphs' names live."""
        return self.public(GRAPH_BASE)

    def graph(self, canonical_graph: str) -> str:
        """Return the public name of one of the dataset's graphs."""
        return self.public(canonical_graph)

    # -- paths -------------------------------------------------------------------------------

    def iri_for_path(self, path: str) -> str:
        """Return the IRI a request path (relative to the server's root) names."""
        return self.public_base + path.lstrip("/")

    def path_for(self, iri: str) -> str | None:
        """Return the request path (from the server's root) of an IRI under the base, or None."""
        if not iri.startswith(self.public_base):
            return None
        return "/" + iri[len(self.public_base) :]

    def document_for(self, entity: str) -> str | None:
        """Return the IRI of the document about an entity IRI, or None if it is not an entity."""
        if not entity.startswith(self.entity_base) or len(entity) == len(self.entity_base):
            return None
        return self.document_base + entity[len(self.entity_base) :]

    def entity_kind(self, iri: str) -> str | None:
        """Return the kind of an entity IRI (``state`` for ``/id/state/JP``), or None."""
        if not iri.startswith(self.entity_base):
            return None
        kind, slash, _ = iri[len(self.entity_base) :].partition("/")
        return kind if slash and _KIND.fullmatch(kind) else None

    # -- prefixes and CURIEs -----------------------------------------------------------------

    @cached_property
    def prefixes(self) -> dict[str, str]:
        """The project's prefixes, with its own namespaces under the public base."""
        return {name: self.public(namespace) for name, namespace in PREFIXES.items()}

    def kind_prefixes(self, kinds: set[str]) -> dict[str, str]:
        """Return a prefix per entity kind (``state:`` for ``/id/state/``), sorted by name."""
        return {
            kind: f"{self.entity_base}{kind}/"
            for kind in sorted(kinds)
            if kind not in self.prefixes
        }

    @cached_property
    def _by_length(self) -> list[tuple[str, str]]:
        # Longest namespace first, so that a more specific prefix wins over psid: itself.
        return sorted(self.prefixes.items(), key=lambda item: -len(item[1]))

    def curie(self, iri: str, extra: dict[str, str] | None = None) -> str | None:
        """Return the IRI as a prefixed name that Turtle and SPARQL read back, or None.

        ``extra`` adds prefixes (name to namespace) to the project's, such as a query's own.
        """
        candidates = self._by_length
        if extra:
            candidates = sorted([*extra.items(), *candidates], key=lambda item: -len(item[1]))
        for prefix, namespace in candidates:
            if iri.startswith(namespace) and _PLAIN_LOCAL.fullmatch(iri[len(namespace) :]):
                return f"{prefix}:{iri[len(namespace) :]}"
        return None

    def short(self, iri: str) -> str:
        """Return a prefixed name for the IRI when one fits, else the IRI itself."""
        return self.curie(iri) or iri


CANONICAL_SITE = Site()
