"""The dataset's statistics, counted in one pass over its merged graph in N-Triples order.

The merged graph arrives sorted (subject, then predicate, then object) and without repeats,
so distinct subjects, entities and each class's instances are counted as the lines go by;
only the distinct objects need a second sort (on disk). The instances of each class are kept
too, sorted by IRI, for the paged class indexes (paxsilica.publish.class_index).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from paxsilica.publish.class_index import ClassIndexWriter
from paxsilica.publish.sorted_lines import SortedLines
from paxsilica.rdf.terms import RDF_TYPE

_RDF_TYPE = f"<{RDF_TYPE.value}>".encode()
# Objects handed to their sorter at once.
BATCH = 10_000


@dataclass
class Statistics:
    """What the VoID description and the pages say about the dataset's size and parts."""

    # Quads in the named graphs (a triple two graphs hold counts twice), and by graph.
    quads: int = 0
    graphs: dict[str, int] = field(default_factory=dict)
    # The merged graph: its triples, distinct subjects and objects, entities (subjects under
    # the entity base), instances per class and triples per property.
    triples: int = 0
    subjects: int = 0
    objects: int = 0
    entities: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    properties: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        """Return the statistics as plain JSON values."""
        return {
            "quads": self.quads,
            "graphs": self.graphs,
            "triples": self.triples,
            "subjects": self.subjects,
            "objects": self.objects,
            "entities": self.entities,
            "classes": self.classes,
            "properties": self.properties,
        }

    @classmethod
    def from_json(cls, raw: dict) -> Statistics:
        """Read statistics written by to_json."""
        return cls(**{name: raw[name] for name in cls().to_json()})

    def instances(self, class_iri: str) -> int:
        """Return how many instances a class has (0 for a class the data does not use)."""
        return self.classes.get(class_iri, 0)


def _iri(term: bytes) -> str | None:
    """The IRI of an N-Triples term, or None for a blank node or a literal."""
    return term[1:-1].decode() if term.startswith(b"<") else None


class StatisticsCounter:
    """Counts the statistics of a merged graph given line by line, in sorted order (once)."""

    def __init__(self, scratch: Path, entity_base: str):
        self.statistics = Statistics()
        self._entity_prefix = f"<{entity_base}".encode()
        self._objects = SortedLines(scratch)
        self._instances = ClassIndexWriter(scratch)
        self._properties: dict[bytes, int] = {}
        self._classes: dict[bytes, int] = {}

    def counted(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        """Count the N-Triples lines of the merged graph (sorted, unique) as they pass by."""
        # One loop over locals: it runs once per triple of the dataset.
        properties, classes = self._properties, self._classes
        add_instance, entity_prefix = self._instances.add, self._entity_prefix
        objects: list[bytes] = []
        triples = subjects = entities = 0
        previous = b""
        for line in lines:
            subject, predicate, rest = line.split(b" ", 2)
            obj = rest[:-3]  # without " .\n"
            triples += 1
            if subject != previous:
                previous = subject
                subjects += 1
                entities += subject.startswith(entity_prefix)
            properties[predicate] = properties.get(predicate, 0) + 1
            if predicate == _RDF_TYPE and obj.startswith(b"<"):
                classes[obj] = classes.get(obj, 0) + 1
                if subject.startswith(b"<"):
                    add_instance(obj, subject)
            objects.append(obj + b"\n")
            if len(objects) >= BATCH:
                self._objects.extend(objects)
                objects = []
            yield line
        self._objects.extend(objects)
        stats = self.statistics
        stats.triples, stats.subjects, stats.entities = triples, subjects, entities

    def finish(self, index_directory: Path) -> Statistics:
        """Count the distinct objects, write the class indexes, and return the statistics."""
        stats = self.statistics
        with self._objects:
            stats.objects = self._objects.count()
        stats.properties = _by_iri(self._properties)
        stats.classes = _by_iri(self._classes)
        self._instances.write(index_directory)
        return stats


def _by_iri(counts: dict[bytes, int]) -> dict[str, int]:
    found = {_iri(term): n for term, n in counts.items()}
    return {iri: found[iri] for iri in sorted(i for i in found if i is not None)}


__all__ = ["Statistics", "StatisticsCounter"]
