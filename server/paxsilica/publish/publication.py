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
import collections
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox

from paxsilica import bundle, iris, media
from paxsilica.config import Settings
from paxsilica.publish.class_index import ClassIndex
from paxsilica.publish.documents import Document, Documents, triple_order
from paxsilica.publish.dumps import (
    ALL,
    CHECKSUMS_NAME,
    DUMP_STEM,
    VOID_NAME,
    DumpFile,
    SortedGraph,
    checksums,
    sort_graphs,
    write_dumps,
)
from paxsilica.publish.paging import class_index_path
from paxsilica.publish.sorted_lines import merge_unique
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
# Written when the statistics and class indexes are done, before the dumps: what the pages need.
COUNTS_NAME = "statistics.json"
# What a build in the background is doing (one line), and why it failed if it did.
PROGRESS_NAME = "progress.txt"
FAILED_NAME = "failed.txt"
DUMPS_DIR = "dumps"
INDEX_DIR = "index"
VOID_TRIPLES_NAME = "void.nt"
# Raised when the layout changes, so that an older publication is rebuilt, not misread.
LAYOUT = 2
# How much lower than the server's a build in the background runs (nice): answers come first.
BACKGROUND_NICE = 10
PR_SET_PDEATHSIG = 1


class PublicationError(Exception):
    """A publication directory cannot be read; says which and why."""


class PublicationPending(Exception):
    """The dumps and the description are still being built (in the background); says how far."""

    def __init__(self, note: str, failed: bool = False):
        super().__init__(note)
        self.note = note
        self.failed = failed


def _read_json(directory: Path, name: str) -> dict:
    try:
        raw = json.loads((directory / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PublicationError(f"{directory}: no {name}") from None
    except ValueError as error:
        raise PublicationError(f"{directory}: unreadable {name} ({error})") from None
    if not isinstance(raw, dict) or raw.get("layout") != LAYOUT:
        found = raw.get("layout") if isinstance(raw, dict) else None
        raise PublicationError(
            f"{directory}: built by another version of paxsilica (layout {found}, not "
            f"{LAYOUT}); rebuild it"
        )
    return raw


class Publication:
    """A publication: where it lies, its statistics and class indexes, and (once written, which
    a build in the background does last) its dumps and description."""

    def __init__(
        self,
        directory: Path,
        base_iri: str,
        statistics: Statistics,
        store_quads: int | None = None,
        dumps: tuple[DumpFile, ...] | None = None,
        version: str | None = None,
    ):
        self.directory = directory
        self.base_iri = base_iri
        self.statistics = statistics
        # The size of the store it was built from, when built into a store directory.
        self.store_quads = store_quads
        self._dumps = dumps
        # Identifies the dataset version: the start of the N-Quads dump's checksum.
        self._version = version

    @classmethod
    def open(cls, directory: Path | str) -> Publication:
        """Read the publication in a directory: its counts, and its dumps if written yet."""
        directory = Path(directory)
        name = MANIFEST_NAME if (directory / MANIFEST_NAME).exists() else COUNTS_NAME
        raw = _read_json(directory, name)
        try:
            found = cls(
                directory,
                raw["base_iri"],
                Statistics.from_json(raw["statistics"]),
                raw.get("store_quads"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PublicationError(f"{directory}: unreadable {name} ({error})") from None
        if name == MANIFEST_NAME:
            found.ready()
        return found

    def ready(self) -> bool:
        """Whether the dumps and the description are written (read the manifest once they are)."""
        if self._dumps is not None:
            return True
        if not (self.directory / MANIFEST_NAME).exists():
            return False
        raw = _read_json(self.directory, MANIFEST_NAME)
        try:
            self._dumps = tuple(DumpFile.from_json(d) for d in raw["dumps"])
            self._version = raw["version"]
        except (KeyError, TypeError, ValueError) as error:
            raise PublicationError(f"{self.directory}: unreadable manifest ({error})") from None
        return True

    def progress(self) -> PublicationPending:
        """What a build in the background is doing, as the exception that says so."""
        failed = self.directory / FAILED_NAME
        if failed.exists():
            return PublicationPending(failed.read_text(encoding="utf-8").strip(), failed=True)
        path = self.directory / PROGRESS_NAME
        try:
            note = path.read_text(encoding="utf-8").strip()
            took = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            note, took = "starting", 0.0
        return PublicationPending(f"{note}, for {took:.0f} s")

    def _require(self) -> None:
        if not self.ready():
            raise self.progress()

    @property
    def dumps(self) -> tuple[DumpFile, ...]:
        """The dump files; raises PublicationPending while they are being written."""
        self._require()
        return self._dumps

    @property
    def version(self) -> str:
        """The dataset version; raises PublicationPending while the dumps are being written."""
        self._require()
        return self._version

    def dump(self, name: str) -> DumpFile | None:
        """Return the dump of that file name, or None."""
        return next((d for d in self.dumps if d.name == name), None)

    def path_of(self, name: str) -> Path:
        """Return the path of a file of the dumps directory (a dump, or SHA256SUMS)."""
        return self.directory / DUMPS_DIR / name

    def void_triples(self) -> list[ox.Triple]:
        """Return the VoID description's triples, in their stored order."""
        self._require()
        path = self.directory / VOID_TRIPLES_NAME
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)]

    @cached_property
    def class_index(self) -> ClassIndex:
        """The instances of each class, by IRI, a page at a time."""
        return ClassIndex(self.directory / INDEX_DIR)


def _stderr(message: str) -> None:
    print(f"publishing: {message}", file=sys.stderr, flush=True)


def _licences(store: ReadableStore, site: iris.Site, graphs: list[ox.NamedNode]) -> dict[str, str]:
    """Each graph's licence (as the data states it, else the dataset's; the graphs licensed
    apart always theirs), and the dataset's under dumps.ALL."""
    license_iri = dataset_license(store, site)
    found = {
        g.value: bundle.graph_licence(g, stated_license(store, g.value) or license_iri)
        for g in graphs
    }
    found[ALL] = license_iri
    return found


def _facts(
    store: ReadableStore,
    site: iris.Site,
    graphs: list[ox.NamedNode],
    index: ClassIndex,
    licences: dict[str, str],
) -> DatasetFacts:
    source_class = site.ontology_ns + "Source"
    return DatasetFacts(
        license_iri=licences[ALL],
        modified=last_modified(store, graphs),
        graph_licenses={g.value: licences[g.value] for g in graphs},
        sources=index.instances(source_class, 0, index.count(source_class)),
        sources_index=site.public_base + class_index_path(site, source_class).lstrip("/"),
    )


class PublicationBuild:
    """The build of a publication, in two steps: ``count`` writes the statistics and class
    indexes (what the pages need), ``write`` the dumps, their checksums, the description and,
    last, the manifest. The second may run in another process (``start_in_background``)."""

    def __init__(
        self,
        store: ReadableStore,
        site: iris.Site,
        directory: Path | str,
        report: Callable[[str], None] | None = None,
        store_quads: int | None = None,
    ):
        self.store, self.site, self.store_quads = store, site, store_quads
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.say = report or (lambda _: None)
        self.graphs = sorted(
            (g for g in store.named_graphs() if isinstance(g, ox.NamedNode)),
            key=lambda g: g.value,
        )
        self.licences = _licences(store, site, self.graphs)
        self.scratch = Path(tempfile.mkdtemp(prefix=".scratch-", dir=self.directory))
        self.sorted_graphs: list[SortedGraph] = []
        self.publication: Publication | None = None

    def count(self) -> Publication:
        """Sort the graphs on disk and count them: the statistics and the class indexes."""
        try:
            self.sorted_graphs = sort_graphs(self.store, self.graphs, self.scratch, self.say)
            counter = StatisticsCounter(self.scratch, self.site.entity_base)
            self.say("counting")
            collections.deque(
                counter.counted(merge_unique(g.path for g in self.sorted_graphs)), maxlen=0
            )
            statistics = counter.finish(self.directory / INDEX_DIR)
        except BaseException:
            self.abandon()
            raise
        statistics.quads = sum(g.triples for g in self.sorted_graphs)
        statistics.graphs = {g.graph: g.triples for g in self.sorted_graphs}
        self.publication = Publication(
            self.directory, self.site.public_base, statistics, self.store_quads
        )
        _write_json(self.directory, COUNTS_NAME, _counts_json(self.publication))
        return self.publication

    def write(self) -> Publication:
        """Write the dumps and the description, then the manifest; return the publication."""
        publication = self.publication or self.count()
        try:
            dumps = write_dumps(
                self.sorted_graphs,
                self.directory / DUMPS_DIR,
                self.scratch,
                self.site,
                self.licences,
                report=self.say,
            )
        finally:
            self.abandon()
        (self.directory / DUMPS_DIR / CHECKSUMS_NAME).write_bytes(checksums(dumps))
        self.say("describing")
        index = ClassIndex(self.directory / INDEX_DIR)
        facts = _facts(self.store, self.site, self.graphs, index, self.licences)
        void = void_triples(self.site, facts, publication.statistics, dumps)
        index.close()
        ox.serialize(void, str(self.directory / VOID_TRIPLES_NAME), ox.RdfFormat.N_TRIPLES)
        nquads = next(d for d in dumps if d.name == f"{DUMP_STEM}.{media.N_QUADS.extension}")
        manifest = {
            **_counts_json(publication),
            "version": nquads.sha256[:16],
            "dumps": [d.to_json() for d in dumps],
        }
        _write_json(self.directory, MANIFEST_NAME, manifest)
        publication.ready()
        return publication

    def abandon(self) -> None:
        """Remove the sorted graphs (the build cannot go on)."""
        shutil.rmtree(self.scratch, ignore_errors=True)


def _counts_json(publication: Publication) -> dict:
    return {
        "layout": LAYOUT,
        "base_iri": publication.base_iri,
        "statistics": publication.statistics.to_json(),
        "store_quads": publication.store_quads,
    }


def _write_json(directory: Path, name: str, raw: dict) -> None:
    """Write a JSON file under a temporary name first, then rename it: it is there whole."""
    partial = directory / f".{name}.partial"
    partial.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    os.replace(partial, directory / name)


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
    return PublicationBuild(store, site, directory, report, store_quads).write()


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


def _progress_writer(directory: Path) -> Callable[[str], None]:
    def say(message: str) -> None:
        _write_text(directory, PROGRESS_NAME, message)

    return say


def _write_text(directory: Path, name: str, text: str) -> None:
    partial = directory / f".{name}.partial"
    partial.write_text(text + "\n", encoding="utf-8")
    os.replace(partial, directory / name)


def background_build(store: ReadableStore, site: iris.Site) -> PublicationBuild:
    """A build in a temporary directory (removed when this process exits) that tells its
    progress in that directory, for the answers that wait for it."""
    directory = Path(tempfile.mkdtemp(prefix="paxsilica-publication-"))
    _remove_when_done(directory)
    return PublicationBuild(store, site, directory, _progress_writer(directory))


def _die_with_parent() -> None:
    """Have the kernel stop this process when its parent ends (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_in_background(build: PublicationBuild, close: Callable[[], None]) -> int:
    """Finish a counted build (the dumps, the description, the manifest) in a forked process,
    at a low priority; return its process id. ``close`` runs first in the child (the
    listening sockets it must not hold). A failure is written to FAILED_NAME."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        close()
        _die_with_parent()
        os.nice(BACKGROUND_NICE)
        build.write()
        code = 0
    except BaseException as error:
        _write_text(build.directory, FAILED_NAME, f"building the dumps failed: {error!r}")
        traceback.print_exc(file=sys.stderr)
    finally:
        os._exit(code)


def stop_background(pid: int) -> None:
    """Stop a build started by start_in_background, if it still runs."""
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)


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
    "PublicationBuild",
    "PublicationError",
    "PublicationPending",
    "background_build",
    "build_publication",
    "build_with_progress",
    "export",
    "publication_for",
    "start_in_background",
    "stop_background",
    "store_publication",
    "temporary_publication",
    "void_document",
]
