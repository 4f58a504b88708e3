"""What the bundled dataset is made of, and under which licence each part is published.

The hand-written instance files sit in instances/; the importers (paxsilica.importers) write
one graph each to instances/generated/. The project's data is CC BY 4.0. The graphs derived
from the ETO Chip Explorer dataset (the ETO graph and what is inferred from it) are CC BY-NC
4.0, with ETO/CSET attribution and not for commercial use: they get their own dump files,
their own licence in the VoID, a licence on every document that shows them and a notice on
every page that does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from paxsilica import iris, paths

CC_BY = iris.LICENSE_IRI
CC_BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"
GENERATED_DIR = paths.INSTANCES_DIR / "generated"


@dataclass(frozen=True)
class GeneratedGraph:
    """A graph the importers write: its file under instances/generated/, its name and licence."""

    key: str
    file_name: str
    graph: str
    licence: str

    @property
    def path(self) -> Path:
        """Where the committed Turtle lives."""
        return GENERATED_DIR / self.file_name


COUNTRIES = GeneratedGraph("countries", "countries.ttl", iris.GRAPH_BASE + "countries", CC_BY)
USGS = GeneratedGraph("usgs", "usgs-mcs-2026.ttl", iris.GRAPH_BASE + "usgs", CC_BY)
ETO = GeneratedGraph("eto", "eto-chip-explorer.ttl", iris.GRAPH_ETO, CC_BY_NC)
GENERATED_GRAPHS: tuple[GeneratedGraph, ...] = (COUNTRIES, USGS, ETO)
# The graphs licensed apart, by the path of their name under a deployment's base.
APART_GRAPH_PATHS = tuple(
    g[len(iris.CANONICAL_BASE) :] for g in (iris.GRAPH_ETO, iris.GRAPH_ETO_INFERRED)
)
APART_DUMP_STEM = "pax-silica-eto"

# What a named graph holds, for the dumps that leave some out: the model (the ontology and
# the shapes), instance data (hand-written, generated, --data files), or inferred triples.
SCHEMA = "schema"
INSTANCE = "instance"
INFERRED = "inferred"
_KIND_OF_PATH = {
    iris.GRAPH_ONTOLOGY: SCHEMA,
    iris.GRAPH_SHAPES: SCHEMA,
    iris.GRAPH_INFERRED: INFERRED,
    iris.GRAPH_ETO_INFERRED: INFERRED,
}
_KIND_OF_PATH = {g[len(iris.CANONICAL_BASE) :]: kind for g, kind in _KIND_OF_PATH.items()}

NOTICE = {
    "en": "Includes data derived from the ETO Chip Explorer dataset of the Emerging Technology "
    "Observatory (ETO), Center for Security and Emerging Technology (CSET), Georgetown "
    "University, licensed CC BY-NC 4.0: not for commercial use.",
    "fr": "Comprend des données dérivées du jeu de données Chip Explorer de l'Emerging "
    "Technology Observatory (ETO), Center for Security and Emerging Technology (CSET), "
    "université de Georgetown, sous licence CC BY-NC 4.0 : pas d'usage commercial.",
}


def licensed_apart(graph: ox.NamedNode | ox.DefaultGraph | str) -> bool:
    """Whether a named graph (under any deployment's base) is licensed apart."""
    value = graph if isinstance(graph, str) else getattr(graph, "value", "")
    return any(value.endswith("/" + path) for path in APART_GRAPH_PATHS)


def graph_kind(graph: ox.NamedNode | str) -> str:
    """What a named graph (under any deployment's base) holds: SCHEMA, INSTANCE or INFERRED."""
    value = graph if isinstance(graph, str) else graph.value
    for path, kind in _KIND_OF_PATH.items():
        if value.endswith("/" + path):
            return kind
    return INSTANCE


def graph_licence(graph: ox.NamedNode, default: str) -> str:
    """The licence of one named graph of the dataset."""
    return CC_BY_NC if licensed_apart(graph) else default


def apart_graphs(store: ox.Store) -> list[ox.NamedNode]:
    """The store's graphs that are licensed apart."""
    return sorted((g for g in store.named_graphs() if licensed_apart(g)), key=lambda g: g.value)


def mentions_apart(store: ox.Store, entity: str, graphs: Iterable[ox.NamedNode]) -> bool:
    """Whether the data licensed apart says anything about an entity, or points at it.

    A document holds the triples about its entity and the facts that point at it, so this is
    what decides whether the document shows data licensed apart.
    """
    node = ox.NamedNode(entity)
    for graph in graphs:
        if next(store.quads_for_pattern(node, None, None, graph), None) is not None:
            return True
        if next(store.quads_for_pattern(None, None, node, graph), None) is not None:
            return True
    return False


def generated_files() -> list[tuple[Path, str]]:
    """The committed generated files with the graph each belongs to."""
    return [(graph.path, graph.graph) for graph in GENERATED_GRAPHS]


def instance_files() -> list[Path]:
    """The bundled instance data: the hand-written files, then the generated ones."""
    return [*paths.instance_files(), *(path for path, _ in generated_files())]
