"""What the importers share: the generated graphs, row errors, term helpers and atomic writing."""

from __future__ import annotations

import csv
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

from paxsilica import iris, paths
from paxsilica.bundle import (  # noqa: F401 (the importers name them through common)
    CC_BY,
    CC_BY_NC,
    COUNTRIES,
    ETO,
    GENERATED_DIR,
    GENERATED_GRAPHS,
    USGS,
    GeneratedGraph,
)

UPSTREAM_DIR = paths.INSTANCES_DIR / "upstream"

PS = iris.ONTOLOGY_NS
RDF = iris.KNOWN_VOCABULARIES["rdf"]
RDFS = iris.KNOWN_VOCABULARIES["rdfs"]
XSD = iris.KNOWN_VOCABULARIES["xsd"]
SKOS = iris.KNOWN_VOCABULARIES["skos"]
DCTERMS = iris.KNOWN_VOCABULARIES["dcterms"]
OWL = iris.KNOWN_VOCABULARIES["owl"]
SCHEMA = iris.KNOWN_VOCABULARIES["schema"]
VOID = iris.KNOWN_VOCABULARIES["void"]
PROV = iris.KNOWN_VOCABULARIES["prov"]


class RowError(Exception):
    """A row of an upstream file that the mapping cannot place: says which file, line and why."""

    def __init__(self, path: Path, line: int, reason: str):
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__(f"{path}:{line}: {reason}")


def named(iri: str) -> ox.NamedNode:
    """Return a named node."""
    return ox.NamedNode(iri)


def ps(local: str) -> ox.NamedNode:
    """Return a term of the project's ontology."""
    return ox.NamedNode(PS + local)


def entity(kind: str, key: str) -> ox.NamedNode:
    """Return the IRI of an entity of the given kind, e.g. ``state`` and ``JP``."""
    return ox.NamedNode(iris.entity_iri(kind, key))


def text(value: str, language: str) -> ox.Literal:
    """Return a language-tagged literal."""
    return ox.Literal(value, language=language)


def typed(value: str, datatype: str) -> ox.Literal:
    """Return a literal of an XML Schema datatype, e.g. ``typed("2024", "gYear")``."""
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def decimal(value: Decimal) -> ox.Literal:
    """Return an xsd:decimal literal in canonical form (no exponent, no trailing zeros)."""
    normal = value.normalize()
    lexical = f"{normal:f}"
    return typed(lexical, "decimal")


RDF_TYPE = ox.NamedNode(RDF + "type")
RDFS_LABEL = ox.NamedNode(RDFS + "label")
SKOS_PREF_LABEL = ox.NamedNode(SKOS + "prefLabel")


def slug(name: str) -> str:
    """Return a lower-case, hyphenated key for an IRI: ``"EUV lithography tools"`` → ``euv-…``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield each record of a CSV file with the line number it starts on."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        _ = reader.fieldnames  # reads the header, so that line numbers count from the first record
        start = reader.line_num + 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1


def graph_description(
    graph: GeneratedGraph, titles: tuple[str, str], rights: tuple[str, str], source: str
) -> list[ox.Triple]:
    """Return the triples that describe a generated graph: what it is, its licence, its source."""
    node = named(graph.graph)
    return [
        ox.Triple(node, RDF_TYPE, named(VOID + "Dataset")),
        ox.Triple(node, named(DCTERMS + "title"), text(titles[0], "en")),
        ox.Triple(node, named(DCTERMS + "title"), text(titles[1], "fr")),
        ox.Triple(node, named(DCTERMS + "license"), named(graph.licence)),
        ox.Triple(node, named(DCTERMS + "rights"), text(rights[0], "en")),
        ox.Triple(node, named(DCTERMS + "rights"), text(rights[1], "fr")),
        ox.Triple(node, named(DCTERMS + "source"), entity("source", source)),
    ]


TURTLE_PREFIXES = {
    **{name: iris.KNOWN_VOCABULARIES[name] for name in ("rdf", "rdfs", "xsd", "skos", "owl")},
    **{name: iris.KNOWN_VOCABULARIES[name] for name in ("dcterms", "schema", "void", "prov")},
    "ps": PS,
    "wd": iris.KNOWN_VOCABULARIES["wd"],
    **{
        kind: iris.ENTITY_BASE + kind + "/"
        for kind in (
            "state",
            "company",
            "technology",
            "supply-link",
            "provision",
            "world-total",
            "source",
            "publisher",
            "component",
            "scheme",
            "provider-group",
        )
    },
}


def to_turtle(triples: Iterable[ox.Triple], header: str) -> bytes:
    """Serialize triples as Turtle in a fixed order, so the same input gives the same bytes."""
    ordered = sorted(
        set(triples), key=lambda t: (t.subject.value, t.predicate.value, str(t.object))
    )
    body = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES).decode()
    # The writer lists the prefixes in an order of its own: they are written here, sorted.
    statements = [line for line in body.splitlines(keepends=True) if not line.startswith("@prefix")]
    prefixes = "".join(
        f"@prefix {name}: <{iri}> .\n" for name, iri in sorted(TURTLE_PREFIXES.items())
    )
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return (comment + "\n" + prefixes + "\n" + "".join(statements)).encode()


def write_atomically(outputs: dict[Path, bytes]) -> None:
    """Write every file or none: each goes to a temporary file, all are renamed at the end."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, body in outputs.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(handle, "wb") as stream:
                stream.write(body)
            os.chmod(name, 0o644)
            staged.append((Path(name), target))
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


class HandData:
    """The hand-written instances and the ontology, which the mappings read but never write."""

    def __init__(self, files: Iterable[Path] | None = None):
        self.store = ox.Store()
        for path in (
            files if files is not None else [*paths.ontology_files(), *paths.instance_files()]
        ):
            self.store.load(path=str(path), format=ox.RdfFormat.TURTLE)

    def label(self, node: ox.NamedNode, language: str) -> str | None:
        """Return the node's rdfs:label in a language, if the hand-written data gives one."""
        for quad in self.store.quads_for_pattern(node, RDFS_LABEL, None):
            if isinstance(quad.object, ox.Literal) and quad.object.language == language:
                return quad.object.value
        return None

    def objects(self, node: ox.NamedNode, predicate: ox.NamedNode) -> list[ox.Term]:
        """Return the values the hand-written data gives a node for a predicate, sorted."""
        return sorted(
            (q.object for q in self.store.quads_for_pattern(node, predicate, None)),
            key=str,
        )

    def described(self, node: ox.NamedNode) -> bool:
        """Whether the hand-written data defines the node (gives it a type)."""
        return next(self.store.quads_for_pattern(node, RDF_TYPE, None), None) is not None

    def states(self) -> set[str]:
        """The ISO alpha-2 codes of every state IRI the hand-written data mentions."""
        base = iris.entity_iri("state", "")
        found = set()
        for quad in self.store:
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(base):
                    found.add(term.value[len(base) :])
        return found
