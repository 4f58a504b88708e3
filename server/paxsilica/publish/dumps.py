"""Dumps of the whole dataset: built once from the store, served and exported as the same bytes.

The N-Quads and TriG dumps keep the named graphs; the Turtle, N-Triples, RDF/XML and JSON-LD
dumps hold the merged graph. The graphs licensed apart (the ETO-derived data, CC BY-NC 4.0, see
paxsilica.bundle) have dump files of their own. The server builds them once per dataset
(before its workers fork, so they share them), and ``paxsilica export`` writes the same bytes
to a directory.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from paxsilica import bundle, iris, media
from paxsilica.config import Settings
from paxsilica.publish.documents import Document, Documents, triple_order
from paxsilica.publish.serialize import serialize
from paxsilica.publish.void import void_triples
from paxsilica.rdf.readable import ReadableStore
from paxsilica.rdf.store import build_store

DUMP_STEM = "pax-silica"
CHECKSUMS_NAME = "SHA256SUMS"
VOID_NAME = "void.ttl"


@dataclass(frozen=True)
class DumpFile:
    """One dump: its file name, format, bytes and SHA-256 checksum."""

    name: str
    media_type: media.MediaType
    body: bytes
    sha256: str
    licence: str = iris.LICENSE_IRI

    @property
    def size(self) -> int:
        """The size in bytes."""
        return len(self.body)


def _dump(
    name: str, media_type: media.MediaType, body: bytes, licence: str = iris.LICENSE_IRI
) -> DumpFile:
    return DumpFile(name, media_type, body, hashlib.sha256(body).hexdigest(), licence)


def dataset_quads(store: ReadableStore) -> list[ox.Quad]:
    """Return every quad of the store's named graphs, blank nodes canonically named, in order.

    Canonical blank node names (RDFC-1.0 style) make the dumps, and so their checksums, the
    same bytes every time the same data is loaded, in the server and in ``paxsilica export``.
    """
    dataset = ox.Dataset(q for q in store if isinstance(q.graph_name, ox.NamedNode))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(
        dataset,
        key=lambda q: (q.graph_name.value, q.subject.value, q.predicate.value, str(q.object)),
    )


def build_dumps(store: ReadableStore, prefixes: dict[str, str], context: dict) -> list[DumpFile]:
    """Return the dump files, one per offered format: the project's own graphs, then apart.

    The graphs licensed apart go to their own files under their own licence, so that the
    project's dumps stay CC BY 4.0 whole.
    """
    quads = dataset_quads(store)
    own = [q for q in quads if not bundle.licensed_apart(q.graph_name)]
    apart = [q for q in quads if bundle.licensed_apart(q.graph_name)]
    dumps = _dumps_of(own, DUMP_STEM, iris.LICENSE_IRI, prefixes, context)
    if apart:
        dumps += _dumps_of(apart, bundle.APART_DUMP_STEM, bundle.CC_BY_NC, prefixes, context)
    return dumps


def _dumps_of(
    quads: list[ox.Quad], stem: str, licence: str, prefixes: dict[str, str], context: dict
) -> list[DumpFile]:
    dumps = [
        _dump(
            f"{stem}.{t.extension}",
            t,
            ox.serialize(quads, format=t.rdf_format, prefixes=prefixes),
            licence,
        )
        for t in media.DATASET_TYPES
    ]
    merged = sorted(
        {q.triple for q in quads},
        key=lambda t: (t.subject.value, t.predicate.value, str(t.object)),
    )
    dumps += [
        _dump(f"{stem}.{t.extension}", t, serialize(merged, t, prefixes, context), licence)
        for t in media.GRAPH_TYPES
    ]
    return dumps


def checksums(dumps: Sequence[DumpFile]) -> bytes:
    """Return the checksums in the format ``sha256sum --check`` reads."""
    return "".join(f"{d.sha256}  {d.name}\n" for d in dumps).encode()


class Dumps:
    """The dumps and VoID description of one dataset, built once (on demand, or by prepare)."""

    def __init__(self, docs: Documents):
        self.docs = docs
        self._lock = threading.Lock()
        self._files: dict[str, DumpFile] | None = None
        self._void: Document | None = None

    def files(self) -> dict[str, DumpFile]:
        """The dump files by name, built once."""
        with self._lock:
            if self._files is None:
                dumps = build_dumps(self.docs.store, self.docs.prefixes, self.docs.context)
                self._files = {d.name: d for d in dumps}
            return self._files

    def void(self) -> Document:
        """The VoID and DCAT description as a document about the dataset."""
        files = self.files()
        with self._lock:
            if self._void is None:
                site = self.docs.site
                triples = void_triples(self.docs, list(files.values()))
                self._void = Document(
                    site.void_iri,
                    site.dataset_iri,
                    tuple(sorted(triples, key=triple_order(site.dataset_iri))),
                )
            return self._void

    def prepare(self) -> None:
        """Build the dumps and their description now, rather than on the first request."""
        self.void()


def export(settings: Settings, out_dir: Path | str) -> list[Path]:
    """Write the dumps, their checksums and the VoID description to a directory.

    Everything is built in memory first and each file is written to a temporary name and
    renamed, so that a failure leaves no half-written file behind.
    """
    store = build_store(settings.data_files, site=settings.site)
    docs = Documents(store, settings)
    server_dumps = Dumps(docs)
    files = list(server_dumps.files().values())
    void = server_dumps.void()
    outputs: list[tuple[str, bytes]] = [(d.name, d.body) for d in files]
    outputs.append((CHECKSUMS_NAME, checksums(files)))
    outputs.append((VOID_NAME, docs.render(void, media.TURTLE).body))
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in outputs:
        target = directory / name
        temporary = directory / f".{name}.partial"
        temporary.write_bytes(body)
        os.replace(temporary, target)
        written.append(target)
    return written


__all__ = ["DumpFile", "Dumps", "build_dumps", "checksums", "export"]
