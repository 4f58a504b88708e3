"""What is built once per dataset version: dumps, checksums, VoID description, statistics, indexes.

``paxsilica load --store`` builds it into the store directory (``publication/``), with the
store and as atomically; for the in-memory store (and a remote one) the server builds it once
at start-up, before its workers fork, into a temporary directory that lives as long as the
server. Every worker then reads files: the dumps are streamed from disk, the VoID description
and the statistics are read once, a page of a class index is two reads.

Layout of a publication directory::

    publication.json        the manifest: base IRI, version, dumps, statistics (written last)
    dumps/                  the dump files, their .gz variants and SHA256SUMS
    void.nt                 the VoID and DCAT description, sorted N-Triples
    index/                  the instances of each class (paxsilica.publish.class_index)
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from paxsilica import iris, media
from paxsilica.config import Settings
from paxsilica.publish.class_index import ClassIndex
from paxsilica.publish.documents import Document, Documents, triple_order
from paxsilica.publish.dumps import (
    CHECKSUMS_NAME,
    VOID_NAME,
    DumpFile,
    checksums,
    sort_graphs,
    write_dumps,
)
from paxsilica.publish.paging import class_index_path
from paxsilica.publish.statistics import Statistics, StatisticsCounter
from paxsilica.publish.void import (
    DatasetFacts,
    dataset_license,
    last_modified,
    stated_license,
    void_triples,
)
from paxsilica.rdf.directory import StoreManifest
from paxsilica.rdf.readable import ReadableStore
from paxsilica.rdf.store import build_store

log = logging.getLogger(__name__)

PUBLICATION_DIR = "publication"
MANIFEST_NAME = "publication.json"
DUMPS_DIR = "dumps"
INDEX_DIR = "index"
VOID_TRIPLES_NAME = "void.nt"
# Raised when the layout changes, so that an older publication is rebuilt, not misread.
LAYOUT = 1


class PublicationError(Exception):
    """A publication directory cannot be read; says which and why."""


@dataclass(frozen=True)
class Publication:
    """A built publication: where it lies, what it holds."""

    directory: Path
    base_iri: str
    # Identifies the dataset version: the start of the N-Quads dump's checksum.
    version: str
    dumps: tuple[DumpFile, ...]
    statistics: Statistics
    # The size of the store it was built from, when built into a store directory.
    store_quads: int | None = None

    @classmethod
    def open(cls, directory: Path | str) -> Publication:
        """Read the publication in a directory."""
        directory = Path(directory)
        try:
            raw = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
            if raw.get("layout") != LAYOUT:
                raise PublicationError(
                    f"{directory}: built by another version of paxsilica (layout "
                    f"{raw.get('layout')}, not {LAYOUT}); rebuild it"
                )
            return cls(
                directory,
                raw["base_iri"],
                raw["version"],
                tuple(DumpFile.from_json(d) for d in raw["dumps"]),
                Statistics.from_json(raw["statistics"]),
                raw.get("store_quads"),
            )
        except FileNotFoundError:
            raise PublicationError(f"{directory}: no {MANIFEST_NAME}") from None
        except (ValueError, KeyError, TypeError) as error:
            raise PublicationError(f"{directory}: unreadable {MANIFEST_NAME} ({error})") from None

    def dump(self, name: str) -> DumpFile | None:
        """Return the dump of that file name, or None."""
        return next((d for d in self.dumps if d.name == name), None)

    def path_of(self, name: str) -> Path:
        """Return the path of a file of the dumps directory (a dump, or SHA256SUMS)."""
        return self.directory / DUMPS_DIR / name

    def void_triples(self) -> list[ox.Triple]:
        """Return the VoID description's triples, in their stored order."""
        path = self.directory / VOID_TRIPLES_NAME
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)]

    @cached_property
    def class_index(self) -> ClassIndex:
        """The instances of each class, by IRI, a page at a time."""
        return ClassIndex(self.directory / INDEX_DIR)


def _stderr(message: str) -> None:
    print(f"publishing: {message}", file=sys.stderr, flush=True)


def _facts(
    store: ReadableStore,
    site: iris.Site,
    graphs: list[ox.NamedNode],
    index: ClassIndex,
) -> DatasetFacts:
    license_iri = dataset_license(store, site)
    source_class = site.ontology_ns + "Source"
    return DatasetFacts(
        license_iri=license_iri,
        modified=last_modified(store, graphs),
        graph_licenses={g.value: stated_license(store, g.value) or license_iri for g in graphs},
        sources=index.instances(source_class, 0, index.count(source_class)),
        sources_index=site.public_base + class_index_path(site, source_class).lstrip("/"),
    )


def build_publication(
    store: ReadableStore,
    site: iris.Site,
    directory: Path | str,
    report: Callable[[str], None] | None = None,
    store_quads: int | None = None,
) -> Publication:
    """Build the publication of a store's dataset into a new (or empty) directory.

    Memory stays bounded whatever the dataset's size (the lines are sorted on disk); the
    manifest is written last, so a directory without one holds no usable publication.
    ``store_quads`` (the store's size, when known) is recorded, so that the publication is
    never read as another store's.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    say = report or (lambda _: None)
    graphs = sorted(
        (g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value
    )
    scratch = Path(tempfile.mkdtemp(prefix=".scratch-", dir=directory))
    try:
        sorted_graphs = sort_graphs(store, graphs, scratch, say)
        counter = StatisticsCounter(scratch, site.entity_base)
        dumps = write_dumps(
            sorted_graphs, directory / DUMPS_DIR, scratch, site, counter.counted, say
        )
        say("counting")
        statistics = counter.finish(directory / INDEX_DIR)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    statistics.quads = sum(g.triples for g in sorted_graphs)
    statistics.graphs = {g.graph: g.triples for g in sorted_graphs}
    (directory / DUMPS_DIR / CHECKSUMS_NAME).write_bytes(checksums(dumps))
    say("describing")
    index = ClassIndex(directory / INDEX_DIR)
    void = void_triples(site, _facts(store, site, graphs, index), statistics, dumps)
    index.close()
    ox.serialize(void, str(directory / VOID_TRIPLES_NAME), ox.RdfFormat.N_TRIPLES)
    nquads = next(d for d in dumps if d.name.endswith(".nq"))
    publication = Publication(
        directory, site.public_base, nquads.sha256[:16], tuple(dumps), statistics, store_quads
    )
    manifest = {
        "layout": LAYOUT,
        "base_iri": site.public_base,
        "version": publication.version,
        "dumps": [d.to_json() for d in dumps],
        "statistics": statistics.to_json(),
        "store_quads": store_quads,
    }
    partial = directory / f".{MANIFEST_NAME}.partial"
    partial.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(partial, directory / MANIFEST_NAME)
    return publication


def build_with_progress(
    store: ReadableStore, site: iris.Site, directory: Path | str, quads: int, progress: bool
) -> Publication:
    """Build a store's publication, telling each phase on standard error if ``progress``."""
    return build_publication(store, site, directory, _stderr if progress else None, quads)


def _remove_when_done(directory: Path) -> None:
    owner = os.getpid()

    def remove() -> None:
        # Forked workers run the exit handlers they inherited: only the builder removes it.
        if os.getpid() == owner:
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(remove)


def temporary_publication(store: ReadableStore, site: iris.Site) -> Publication:
    """Build a publication in a temporary directory, removed when this process exits."""
    directory = Path(tempfile.mkdtemp(prefix="paxsilica-publication-"))
    _remove_when_done(directory)
    try:
        return build_publication(store, site, directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def store_publication(store_path: Path | str, site: iris.Site, quads: int) -> Publication | None:
    """Return the publication built into a store directory, or None when it has none.

    One built for another base IRI or another store size (not this store's) is an error.
    """
    directory = Path(store_path) / PUBLICATION_DIR
    if not (directory / MANIFEST_NAME).exists():
        return None
    publication = Publication.open(directory)
    if publication.base_iri != site.public_base or publication.store_quads != quads:
        raise PublicationError(
            f"{directory}: built for another store ({publication.store_quads} quads under "
            f"{publication.base_iri}; this one holds {quads} under {site.public_base}); "
            f"rebuild it with 'paxsilica load --store {store_path}'"
        )
    return publication


def publication_for(store: ReadableStore, settings: Settings) -> Publication:
    """Return the publication of the store the settings serve: the store directory's, else new.

    A store directory built by an older paxsilica has none; one is built then, in a
    temporary directory (and a warning says to rebuild the store, which would keep it).
    """
    if settings.store_path is not None:
        quads = StoreManifest.read(Path(settings.store_path)).quads
        found = store_publication(settings.store_path, settings.site, quads)
        if found is not None:
            return found
        log.warning(
            "%s has no publication (dumps, VoID, indexes): building one now, in a temporary "
            "directory; rebuild the store with 'paxsilica load --store' to keep one with it",
            settings.store_path,
        )
    return temporary_publication(store, settings.site)


def void_document(publication: Publication, site: iris.Site) -> Document:
    """The VoID description as a document about the dataset (served, and exported as Turtle)."""
    triples = sorted(publication.void_triples(), key=triple_order(site.dataset_iri))
    return Document(site.void_iri, site.dataset_iri, tuple(triples))


def export(settings: Settings, out_dir: Path | str) -> list[Path]:
    """Write the dumps, their checksums and the VoID description (Turtle) to a directory.

    The same build as the server's (the same bytes): made in a scratch directory inside
    ``out_dir``, each file then moved into place, so a failure leaves no half-written file.
    """
    store = build_store(settings.data_files, site=settings.site)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=out))
    try:
        built = build_publication(store, settings.site, scratch)
        docs = Documents(store, settings)
        void = docs.render(void_document(built, settings.site), media.TURTLE)
        built.path_of(VOID_NAME).write_bytes(void.body)
        written = []
        for name in (*(d.name for d in built.dumps), CHECKSUMS_NAME, VOID_NAME):
            os.replace(built.path_of(name), out / name)
            written.append(out / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written


__all__ = [
    "PUBLICATION_DIR",
    "Publication",
    "PublicationError",
    "build_publication",
    "build_with_progress",
    "export",
    "publication_for",
    "store_publication",
    "temporary_publication",
    "void_document",
]
