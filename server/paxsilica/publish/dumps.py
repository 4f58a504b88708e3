"""Dumps of the dataset: written once to files, in bounded memory, the same bytes every time.

The N-Quads and TriG dumps keep the named graphs; the Turtle, N-Triples, RDF/XML and JSON-LD
dumps hold the merged graph; and each named graph has its own N-Triples dump (a graph may
carry its own licence). Every dump has a gzip variant.

How they are made, whatever the dataset's size:

1. each named graph is written out by the store as N-Triples (one pass over the store);
2. its lines are sorted on disk (paxsilica.publish.sorted_lines), except those with a blank
   node, which are gathered, named canonically together (RDFC-1.0: only the quads that
   mention blank nodes take part in it) and sorted in afterwards — so the same data gives the
   same bytes, whichever store it was loaded into and however often;
3. the sorted graphs are merged (without repeats) into the merged graph's N-Triples, which
   also feeds the statistics (paxsilica.publish.statistics);
4. the other formats are written from those sorted files by pyoxigraph's streaming writers,
   in worker processes when the dataset is large, each with its gzip variant and checksums.
"""

from __future__ import annotations

import concurrent.futures
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from paxsilica import iris, media
from paxsilica.publish.sorted_lines import RUN_BUFFER_BYTES, SortedLines, merge_unique
from paxsilica.rdf.readable import ReadableStore

DUMP_STEM = "pax-silica"
CHECKSUMS_NAME = "SHA256SUMS"
VOID_NAME = "void.ttl"
GZIP_SUFFIX = ".gz"
GZIP_TYPE = "application/gzip"
# zlib's level 6 (gzip's default) costs three times level 1's time for a quarter less size
# on N-Triples; 3 is most of the gain at half the cost.
GZIP_LEVEL = 3
# Below this many quads the formats are written in this process: starting worker processes
# would cost more than it saves.
PARALLEL_QUADS = 200_000
# Lines handed to the writer at once when rewriting N-Triples as N-Quads.
BATCH_LINES = 10_000


@dataclass(frozen=True)
class DumpFile:
    """One dump file: its name, the RDF format inside, size, SHA-256, graph and compression."""

    name: str
    media_type: media.MediaType
    size: int
    sha256: str
    # The named graph it holds alone; None for the whole dataset or the merged graph.
    graph: str | None = None
    compressed: bool = False

    @property
    def content_type(self) -> str:
        """The Content-Type it is served with: the format's, or gzip's for a gzip variant."""
        return GZIP_TYPE if self.compressed else self.media_type.content_type

    def to_json(self) -> dict:
        """Return the description as plain JSON values."""
        return {
            "name": self.name,
            "format": self.media_type.key,
            "size": self.size,
            "sha256": self.sha256,
            "graph": self.graph,
            "compressed": self.compressed,
        }

    @classmethod
    def from_json(cls, raw: dict) -> DumpFile:
        """Read a description written by to_json."""
        types = {t.key: t for t in (*media.DATASET_TYPES, *media.GRAPH_TYPES)}
        return cls(
            raw["name"],
            types[raw["format"]],
            int(raw["size"]),
            raw["sha256"],
            raw.get("graph"),
            bool(raw.get("compressed")),
        )


def checksums(dumps: Sequence[DumpFile]) -> bytes:
    """Return the checksums in the format ``sha256sum --check`` reads."""
    return "".join(f"{d.sha256}  {d.name}\n" for d in dumps).encode()


# -- writing one file and its gzip variant ---------------------------------------------------


class _Hashing:
    """A binary file that keeps the SHA-256 and size of what is written to it."""

    def __init__(self, path: Path):
        self.file = open(path, "wb", buffering=RUN_BUFFER_BYTES)  # noqa: SIM115
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.file.write(data)
        self.sha.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.file.flush()


class _Sink:
    """Writes a dump and its gzip variant at once (pyoxigraph's writers write to it)."""

    def __init__(self, path: Path, media_type: media.MediaType, graph: str | None = None):
        self.path = path
        self.media_type = media_type
        self.graph = graph
        self._raw = _Hashing(path)
        self._compressed = _Hashing(path.with_name(path.name + GZIP_SUFFIX))
        # No name and no time in the header, so the same data always gives the same bytes.
        self._gzip = gzip.GzipFile(
            filename="", mode="wb", fileobj=self._compressed, compresslevel=GZIP_LEVEL, mtime=0
        )

    def write(self, data: bytes) -> int:
        self._raw.write(data)
        self._gzip.write(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the files are flushed when closed (pyoxigraph's writers call it)."""

    def close(self) -> list[dict]:
        """Close both files; return the two dumps' descriptions (as JSON, across processes)."""
        self._gzip.close()
        self._raw.file.close()
        self._compressed.file.close()
        return [
            DumpFile(
                self.path.name + (GZIP_SUFFIX if compressed else ""),
                self.media_type,
                written.size,
                written.sha.hexdigest(),
                self.graph,
                compressed,
            ).to_json()
            for written, compressed in ((self._raw, False), (self._compressed, True))
        ]


# -- the writers, each run in a worker process for a large dataset ---------------------------


def _copy(out: str, source: str, format_key: str, graph: str | None) -> list[dict]:
    """Write a sorted N-Triples file as a dump, as it is."""
    sink = _Sink(Path(out), _format(format_key), graph)
    with open(source, "rb", buffering=RUN_BUFFER_BYTES) as lines:
        while block := lines.read(RUN_BUFFER_BYTES):
            sink.write(block)
    return sink.close()


def _write_nquads(out: str, sources: Sequence[tuple[str, str]]) -> list[dict]:
    """Write the graphs' sorted N-Triples files as one N-Quads dump, graph after graph."""
    sink = _Sink(Path(out), media.N_QUADS)
    for source, graph in sources:
        suffix = f" <{graph}> .\n".encode()
        with open(source, "rb", buffering=RUN_BUFFER_BYTES) as lines:
            batch: list[bytes] = []
            for line in lines:
                batch.append(line[:-3] + suffix)  # "… ." becomes "… <graph> ."
                if len(batch) >= BATCH_LINES:
                    sink.write(b"".join(batch))
                    batch = []
            sink.write(b"".join(batch))
    return sink.close()


def _graph_quads(sources: Sequence[tuple[str, str]]) -> Iterator[ox.Quad]:
    for source, graph in sources:
        name = ox.NamedNode(graph)
        for quad in ox.parse(path=source, format=ox.RdfFormat.N_TRIPLES):
            yield ox.Quad(quad.subject, quad.predicate, quad.object, name)


def _write_trig(out: str, sources: Sequence[tuple[str, str]], prefixes: dict) -> list[dict]:
    """Write the graphs' sorted N-Triples files as one TriG dump."""
    sink = _Sink(Path(out), media.TRIG)
    ox.serialize(_graph_quads(sources), sink, ox.RdfFormat.TRIG, prefixes=prefixes)
    return sink.close()


def _write_graph(out: str, source: str, format_key: str, prefixes: dict) -> list[dict]:
    """Write the merged graph's sorted N-Triples file in another graph format."""
    media_type = _format(format_key)
    sink = _Sink(Path(out), media_type)
    triples = (q.triple for q in ox.parse(path=source, format=ox.RdfFormat.N_TRIPLES))
    # JSON-LD is written expanded (full IRIs): pyoxigraph's writer streams, rdflib's
    # compaction would need the whole graph in memory.
    options = {} if media_type is media.JSON_LD else {"prefixes": prefixes}
    ox.serialize(triples, sink, media_type.rdf_format, **options)
    return sink.close()


def _format(key: str) -> media.MediaType:
    return next(t for t in (*media.DATASET_TYPES, *media.GRAPH_TYPES) if t.key == key)


_WRITERS: dict[str, Callable[..., list[dict]]] = {
    "copy": _copy,
    "nquads": _write_nquads,
    "trig": _write_trig,
    "graph": _write_graph,
}


def _run(task: dict) -> list[dict]:
    """Run one writer task (``{"writer": name, "args": [...]}``); return what it wrote."""
    return _WRITERS[task["writer"]](*task["args"])


def _in_a_process(task: dict) -> list[dict]:
    # A process of its own (``python -m paxsilica.publish.dumps``), not a fork or a
    # multiprocessing child: the caller may hold threads (an open RocksDB store has some) and
    # its main module may be a script that would run again in a spawned child.
    done = subprocess.run(
        [sys.executable, "-m", __name__],
        input=json.dumps(task).encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"writing {task['args'][0]} failed: {done.stderr.decode()[-2000:]}")
    return json.loads(done.stdout)


class _Writers:
    """Runs the writer tasks: at once in this process for a small dataset, else in as many
    processes at a time as there are CPUs."""

    def __init__(self, quads: int):
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1))
            if quads >= PARALLEL_QUADS
            else None
        )
        self._jobs: list[concurrent.futures.Future | list[dict]] = []

    def submit(self, writer: str, *args) -> None:
        task = {"writer": writer, "args": list(args)}
        if self._pool is None:
            self._jobs.append(_run(task))
        else:
            self._jobs.append(self._pool.submit(_in_a_process, task))

    def results(self) -> list[dict]:
        """Wait for every task; return what they wrote."""
        found = []
        for job in self._jobs:
            found.extend(job.result() if isinstance(job, concurrent.futures.Future) else job)
        if self._pool is not None:
            self._pool.shutdown()
        return found


# -- sorting the graphs ----------------------------------------------------------------------


@dataclass(frozen=True)
class SortedGraph:
    """A named graph written as sorted, canonical N-Triples: where, and how many triples."""

    graph: str
    path: Path
    triples: int


def _has_blank_node(line: bytes) -> bool:
    # Subjects and predicates hold no space, so the object starts after the second one.
    return b"_:" in line and (line.startswith(b"_:") or line.split(b" ", 2)[2].startswith(b"_:"))


def _write_graph_lines(store: ReadableStore, graph: ox.NamedNode, path: Path) -> None:
    if isinstance(store, ox.Store):
        store.dump(str(path), ox.RdfFormat.N_TRIPLES, from_graph=graph)
        return
    quads = store.quads_for_pattern(None, None, None, graph)
    ox.serialize((q.triple for q in quads), str(path), ox.RdfFormat.N_TRIPLES)


def _canonical_blank_lines(path: Path) -> dict[str, list[bytes]]:
    """Name the blank nodes of the gathered N-Quads canonically; return the lines by graph."""
    dataset = ox.Dataset(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    by_graph: dict[str, list[ox.Triple]] = {}
    for quad in dataset:
        by_graph.setdefault(quad.graph_name.value, []).append(quad.triple)
    return {
        graph: ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).splitlines(keepends=True)
        for graph, triples in by_graph.items()
    }


def sort_graphs(
    store: ReadableStore,
    graphs: Sequence[ox.NamedNode],
    scratch: Path,
    report: Callable[[str], None] = lambda _: None,
) -> list[SortedGraph]:
    """Write each graph as sorted N-Triples with canonical blank nodes, in ``scratch``."""
    sorters = {graph.value: SortedLines(scratch) for graph in graphs}
    blank = scratch / "blank-nodes.nq"
    with open(blank, "wb", buffering=RUN_BUFFER_BYTES) as blank_lines:
        for graph in graphs:
            report(f"reading {graph.value}")
            raw = scratch / "graph.nt"
            _write_graph_lines(store, graph, raw)
            sorter, suffix = sorters[graph.value], f" <{graph.value}> .\n".encode()
            with open(raw, "rb", buffering=RUN_BUFFER_BYTES) as lines:
                for line in lines:
                    if _has_blank_node(line):
                        blank_lines.write(line[:-3] + suffix)
                    else:
                        sorter.add(line)
            sorter.spill()  # so that the next graph's lines find the memory free
            raw.unlink()
    for graph, lines in _canonical_blank_lines(blank).items():
        sorters[graph].extend(lines)
    blank.unlink()
    found = []
    for number, graph in enumerate(graphs):
        path = scratch / f"graph-{number:04d}.nt"
        report(f"sorting {graph.value}")
        with sorters[graph.value] as sorter, open(path, "wb", buffering=RUN_BUFFER_BYTES) as out:
            count = 0
            for line in sorter:
                out.write(line)
                count += 1
        found.append(SortedGraph(graph.value, path, count))
    return found


def graph_dump_name(graph: str, site: iris.Site, taken: set[str]) -> str:
    """Return the file name of a graph's own dump, e.g. ``pax-silica-instances.nt``."""
    local = graph[len(site.graph_base) :] if graph.startswith(site.graph_base) else graph
    slug = re.sub(r"[^A-Za-z0-9]+", "-", local).strip("-").lower() or "graph"
    name, number = f"{DUMP_STEM}-{slug}.{media.N_TRIPLES.extension}", 1
    while name in taken:
        number += 1
        name = f"{DUMP_STEM}-{slug}-{number}.{media.N_TRIPLES.extension}"
    taken.add(name)
    return name


def write_dumps(
    sorted_graphs: Sequence[SortedGraph],
    out_dir: Path,
    scratch: Path,
    site: iris.Site,
    merged: Callable[[Iterable[bytes]], Iterable[bytes]] = lambda lines: lines,
    report: Callable[[str], None] = lambda _: None,
) -> list[DumpFile]:
    """Write every dump into ``out_dir`` from the sorted graphs; return them in listing order.

    The merged graph's lines pass through ``merged`` on their way to its dump, in order (the
    statistics count them there).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    prefixes = site.prefixes
    sources = [(str(g.path), g.graph) for g in sorted_graphs]
    target = {t: str(out_dir / f"{DUMP_STEM}.{t.extension}") for t in media.GRAPH_TYPES}
    target.update({t: str(out_dir / f"{DUMP_STEM}.{t.extension}") for t in media.DATASET_TYPES})
    names: set[str] = set()
    writers = _Writers(sum(g.triples for g in sorted_graphs))
    writers.submit("nquads", target[media.N_QUADS], sources)
    writers.submit("trig", target[media.TRIG], sources, prefixes)
    report("merging the graphs")
    merged_path = scratch / "merged.nt"
    with open(merged_path, "wb", buffering=RUN_BUFFER_BYTES) as out:
        out.writelines(merged(merge_unique(g.path for g in sorted_graphs)))
    writers.submit("copy", target[media.N_TRIPLES], str(merged_path), "ntriples", None)
    for media_type in (media.TURTLE, media.RDF_XML, media.JSON_LD):
        writers.submit("graph", target[media_type], str(merged_path), media_type.key, prefixes)
    for g in sorted_graphs:
        name = graph_dump_name(g.graph, site, names)
        writers.submit("copy", str(out_dir / name), str(g.path), "ntriples", g.graph)
    report("writing the formats")
    written = [DumpFile.from_json(raw) for raw in writers.results()]
    return _in_listing_order(written)


def _in_listing_order(dumps: Iterable[DumpFile]) -> list[DumpFile]:
    """The whole dataset's formats first (as media lists them), then each graph's dump."""
    order = {t.key: i for i, t in enumerate((*media.DATASET_TYPES, *media.GRAPH_TYPES))}
    return sorted(
        dumps,
        key=lambda d: (d.graph is not None, order[d.media_type.key], d.name, d.compressed),
    )


def _main() -> int:
    """Run the writer task read as JSON from standard input; print what it wrote."""
    print(json.dumps(_run(json.loads(sys.stdin.read()))))
    return 0


__all__ = [
    "CHECKSUMS_NAME",
    "DUMP_STEM",
    "VOID_NAME",
    "DumpFile",
    "SortedGraph",
    "checksums",
    "sort_graphs",
    "write_dumps",
]


if __name__ == "__main__":
    sys.exit(_main())
