"""The embedded pyoxigraph store: the bundled graphs and user data, loaded as named graphs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from paxsilica import bundle, iris, paths
from paxsilica.rdf import inference
from paxsilica.rdf.literals import warn_about_rewrites

# Files above this size report their loading progress.
PROGRESS_THRESHOLD_BYTES = 8 * 1024 * 1024

EXTENSION_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}


class DataLoadError(Exception):
    """A data file could not be read or parsed; says which file, where, and why."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, column=None):
        self.path = str(path)
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class DataFile:
    """A file of RDF and the named graph its triples go to."""

    path: Path
    graph: str


def rdf_format_for(path: Path) -> ox.RdfFormat:
    """Return the RDF format of a file from its extension."""
    try:
        return EXTENSION_FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(EXTENSION_FORMATS))
        raise DataLoadError(
            path, f"unknown RDF file extension {path.suffix!r} (known: {known})"
        ) from None


def bundled_files() -> list[DataFile]:
    """Return the bundled ontology, instance and shape files with their graph names.

    The generated files (paxsilica.importers) each go to their own graph: the ETO-derived
    data, licensed apart, must never mix with the project's own.
    """
    return [
        *(DataFile(p, iris.GRAPH_ONTOLOGY) for p in paths.ontology_files()),
        *(DataFile(p, iris.GRAPH_INSTANCES) for p in paths.instance_files()),
        *(DataFile(p, graph) for p, graph in bundle.generated_files()),
        *(DataFile(p, iris.GRAPH_SHAPES) for p in paths.shape_files()),
    ]


def user_files(file_paths: Iterable[Path | str]) -> list[DataFile]:
    """Name a graph for each user data file after its file name, unique within the list."""
    files: list[DataFile] = []
    seen: dict[str, int] = {}
    for raw in file_paths:
        path = Path(raw)
        name = path.name
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}-{seen[name]}"
        files.append(DataFile(path, iris.user_graph_iri(name)))
    return files


class _ProgressReader:
    """Wraps a binary file and reports the share read so far."""

    def __init__(self, raw: BinaryIO, total: int, report: Callable[[int, int], None]):
        self._raw = raw
        self._total = total
        self._report = report
        self._done = 0
        self._last_percent = -1

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self._done += len(chunk)
        percent = self._done * 100 // max(self._total, 1)
        if percent != self._last_percent:
            self._last_percent = percent
            self._report(self._done, self._total)
        return chunk

    def readable(self) -> bool:
        return True


def stderr_progress(path: Path) -> Callable[[int, int], None]:
    """Return a progress reporter that draws a one-line bar on standard error."""

    def report(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\rloading {path.name} [{bar}] {done * 100 // max(total, 1):3d}%{end}")
        sys.stderr.flush()

    return report


def _rewrite_term(term, site: iris.Site):
    if isinstance(term, ox.NamedNode):
        return ox.NamedNode(site.public(term.value))
    if isinstance(term, ox.Literal) and iris.CANONICAL_BASE in term.value:
        value = site.public_text(term.value)
        if term.language:
            return ox.Literal(value, language=term.language)
        return ox.Literal(value, datatype=term.datatype)
    return term


def _rewritten(quads: Iterator[ox.Quad], site: iris.Site) -> Iterator[ox.Quad]:
    for quad in quads:
        yield ox.Quad(
            _rewrite_term(quad.subject, site),
            _rewrite_term(quad.predicate, site),
            _rewrite_term(quad.object, site),
            _rewrite_term(quad.graph_name, site),
        )


def load_file(
    store: ox.Store,
    data_file: DataFile,
    site: iris.Site = iris.CANONICAL_SITE,
    progress: bool = True,
) -> None:
    """Bulk-load one file into its graph, with the canonical base made the site's public one."""
    path = data_file.path
    rdf_format = rdf_format_for(path)
    graph = ox.NamedNode(site.public(data_file.graph))
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as raw:
            source: BinaryIO | _ProgressReader = raw
            if progress and size >= PROGRESS_THRESHOLD_BYTES:
                source = _ProgressReader(raw, size, stderr_progress(path))
            if site.rewrites:
                quads = ox.parse(source, rdf_format, base_iri=path.resolve().as_uri())
                if not rdf_format.supports_datasets:
                    quads = (ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads)
                store.bulk_extend(_rewritten(quads, site))
            else:
                store.bulk_load(
                    source, rdf_format, base_iri=path.resolve().as_uri(), to_graph=graph
                )
    except SyntaxError as error:
        raise DataLoadError(path, _parser_message(error), error.lineno, error.offset) from error
    except OSError as error:
        raise DataLoadError(path, error.strerror or str(error)) from error


def _parser_message(error: SyntaxError) -> str:
    # SyntaxError's str() appends "(file, line N)"; the DataLoadError says where itself.
    return error.msg or str(error)


def build_store(
    extra_files: Iterable[Path | str] = (),
    site: iris.Site = iris.CANONICAL_SITE,
    store_path: Path | str | None = None,
    progress: bool = True,
) -> ox.Store:
    """Return a store holding the bundled graphs plus the given files, or raise DataLoadError.

    The store is built whole before it is returned, so a file that fails to parse leaves
    nothing half-loaded for anyone to serve. The entailments of the ontology's definitions go
    to their own graph (see paxsilica.rdf.inference). A user file whose literals the store
    keeps by value (``"1.0"^^xsd:decimal`` given back as ``"1"``) gets a warning in the log
    (see paxsilica.rdf.literals); the bundled data holds none.
    """
    store = ox.Store(str(store_path)) if store_path is not None else ox.Store()
    for data_file in bundled_files():
        load_file(store, data_file, site=site, progress=progress)
    for data_file in user_files(extra_files):
        load_file(store, data_file, site=site, progress=progress)
        warn_about_rewrites(data_file.path, rdf_format_for(data_file.path))
    inference.materialize(store, site)
    return store
