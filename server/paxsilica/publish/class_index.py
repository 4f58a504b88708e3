"""The instances of each class, sorted by IRI and written once, read back one page at a time.

Built with the dataset's statistics (paxsilica.publish.statistics). On disk: ``instances.txt``
holds the instances' IRIs, one per line, class after class; ``instances.offsets`` the byte
offset of each line (unsigned 64-bit, little-endian) and of the end; ``classes.json`` where
each class's run of lines starts and how long it is. A page of any class is then two reads,
whatever the class's size.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from pathlib import Path

from paxsilica.publish.sorted_lines import RUN_BUFFER_BYTES, SortedLines

INSTANCES_NAME = "instances.txt"
OFFSETS_NAME = "instances.offsets"
CLASSES_NAME = "classes.json"
_OFFSET = struct.Struct("<Q")


class ClassIndexWriter:
    """Collects (class, instance) pairs as N-Triples terms and writes the index."""

    def __init__(self, scratch: Path):
        self._pairs = SortedLines(scratch)

    def add(self, class_term: bytes, instance_term: bytes) -> None:
        """Record that an instance (an IRI, as ``<…>``) has a class (an IRI, as ``<…>``)."""
        # The IRIs without their brackets, a tab between (no IRI holds one): sorted by class,
        # then in IRI order ("a" before "a.b", which the brackets would reverse).
        self._pairs.add(class_term[1:-1] + b"\t" + instance_term[1:-1] + b"\n")

    def write(self, directory: Path) -> None:
        """Write the index files into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        ranges: dict[str, list[int]] = {}
        position = line = 0
        current = b""
        counted = [0, 0]
        with (
            self._pairs,
            open(directory / INSTANCES_NAME, "wb", buffering=RUN_BUFFER_BYTES) as instances,
            open(directory / OFFSETS_NAME, "wb", buffering=RUN_BUFFER_BYTES) as offsets,
        ):
            for pair in self._pairs:
                class_iri, _, text = pair.partition(b"\t")
                if class_iri != current:
                    current = class_iri
                    counted = ranges[class_iri.decode()] = [line, 0]
                counted[1] += 1
                offsets.write(_OFFSET.pack(position))
                instances.write(text)
                position += len(text)
                line += 1
            offsets.write(_OFFSET.pack(position))
        (directory / CLASSES_NAME).write_text(json.dumps(ranges, sort_keys=True), encoding="utf-8")


class ClassIndex:
    """Reads the instances of a class, a slice at a time, from an index written once."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._ranges: dict[str, list[int]] = json.loads(
            (directory / CLASSES_NAME).read_text(encoding="utf-8")
        )
        self._files: tuple[int, int, int] | None = None  # (pid, instances fd, offsets fd)
        self._lock = threading.Lock()

    def count(self, class_iri: str) -> int:
        """Return how many instances the class has."""
        found = self._ranges.get(class_iri)
        return found[1] if found else 0

    def _descriptors(self) -> tuple[int, int]:
        # Opened in the process that reads (a forked worker gets its own), read with pread so
        # that threads share them without seeking.
        with self._lock:
            if self._files is None or self._files[0] != os.getpid():
                self._files = (
                    os.getpid(),
                    os.open(self.directory / INSTANCES_NAME, os.O_RDONLY),
                    os.open(self.directory / OFFSETS_NAME, os.O_RDONLY),
                )
            return self._files[1], self._files[2]

    def instances(self, class_iri: str, start: int, stop: int) -> list[str]:
        """Return the IRIs of the class's instances from ``start`` to ``stop`` (by IRI order)."""
        found = self._ranges.get(class_iri)
        if found is None:
            return []
        first, count = found
        start, stop = max(0, start), min(stop, count)
        if start >= stop:
            return []
        instances, offsets = self._descriptors()
        begin = _OFFSET.unpack(os.pread(offsets, 8, (first + start) * 8))[0]
        end = _OFFSET.unpack(os.pread(offsets, 8, (first + stop) * 8))[0]
        return os.pread(instances, end - begin, begin).decode().splitlines()

    def close(self) -> None:
        """Close the files this process opened."""
        with self._lock:
            if self._files is not None and self._files[0] == os.getpid():
                os.close(self._files[1])
                os.close(self._files[2])
            self._files = None


__all__ = ["ClassIndex", "ClassIndexWriter"]
