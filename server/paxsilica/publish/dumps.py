"""Dumps of the dataset: written once to files, in bounded memory, the same bytes every time.

The N-Quads and TriG dumps keep the named graphs; the Turtle, N-Triples, RDF/XML and JSON-LD
dumps hold the merged graph; and each named graph has its own N-Triples dump (a graph may
carry its own licence). Besides the whole dataset, two narrower variants are offered: the
instance data alone (hand-written, generated and --data graphs; no ontology, shapes or
inferred triples) and the instance data with what is inferred from it. In every variant the
graphs licensed apart (the ETO-derived data, CC BY-NC 4.0, see paxsilica.bundle) go to files
of their own, named ``pax-silica-eto*``, so that the ``pax-silica*`` files stay CC BY 4.0
whole. Every dump has a gzip variant.

How they are made, whatever the dataset's size:

1. each named graph is written out by the store as N-Triples (one pass over the store);
2. its lines are sorted on disk (paxsilica.publish.sorted_lines), except those with a blank
   node, which are gathered, named canonically together (RDFC-1.0: only the quads that
   mention blank nodes take part in it) and sorted in afterwards — so the same data gives the
   same bytes, whichever store it was loaded into and however often;
3. the sorted graphs are merged (without repeats): all of them to feed the statistics
   (paxsilica.publish.statistics), and those of each dump's part into its merged graph;
4. the formats are written from those sorted files by pyoxigraph's streaming writers (JSON-LD
   expanded, RDF/XML without rdflib: a fraction of rdflib's time), in worker processes when the
   dataset is large, each with its gzip variant and checksums.
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

from paxsilica import bundle, iris, media
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


ALL = "all"
INSTANCES = "instances"
INSTANCES_INFERRED = "instances-inferred"


@dataclass(frozen=True)
class Variant:
    """A part of the dataset offered as dumps of its own: which graphs, which formats."""

    key: str
    # Put after the stem of its file names: pax-silica{suffix}.nq, pax-silica-eto{suffix}.nq.
    suffix: str
    kinds: frozenset[str]
    formats: tuple[media.MediaType, ...]
    # What it holds, said in its dumps' descriptions.
    title: dict[str, str]

    def holds(self, graph: str) -> bool:
        """Whether a named graph belongs to this variant."""
        return bundle.graph_kind(graph) in self.kinds


_EVERY = frozenset({bundle.SCHEMA, bundle.INSTANCE, bundle.INFERRED})
VARIANTS: tuple[Variant, ...] = (
    Variant(
        ALL,
        "",
        _EVERY,
        (*media.DATASET_TYPES, *media.GRAPH_TYPES),
        {
            "en": "the whole dataset (ontology, instance data, shapes, inferred triples)",
            "fr": "le jeu de données entier (ontologie, instances, formes, triplets inférés)",
        },
    ),
    Variant(
        INSTANCES,
        "-instances",
        frozenset({bundle.INSTANCE}),
        (media.N_QUADS, media.N_TRIPLES, media.TURTLE),
        {
            "en": "the instance data only (hand-written and generated; no ontology, shapes "
            "or inferred triples)",
            "fr": "les instances seules (écrites à la main et générées ; sans ontologie, "
            "formes ni triplets inférés)",
        },
    ),
    Variant(
        INSTANCES_INFERRED,
        "-instances-inferred",
        frozenset({bundle.INSTANCE, bundle.INFERRED}),
        (media.N_QUADS, media.N_TRIPLES, media.TURTLE),
        {
            "en": "the instance data and the triples inferred from the ontology (no ontology "
            "or shapes)",
            "fr": "les instances et les triplets inférés par l'ontologie (sans ontologie ni "
            "formes)",
        },
    ),
)


def variant(key: str) -> Variant:
    """Return the variant of that key."""
    return next(v for v in VARIANTS if v.key == key)


def stem_of(variant_key: str, apart: bool) -> str:
    """The start of a variant's dump file names: its own part's, or the part licensed apart."""
    return (bundle.APART_DUMP_STEM if apart else DUMP_STEM) + variant(variant_key).suffix


@dataclass(frozen=True)
class DumpFile:
    """One dump file: its name, the RDF format inside, size, SHA-256, graph and compression."""

    name: str
    media_type: media.MediaType
    size: int
    sha256: str
    # The named graph it holds alone; None for a variant's dump.
    graph: str | None = None
    compressed: bool = False
    licence: str = iris.LICENSE_IRI
    # Which variant of the dataset it holds (VARIANTS' keys), None for one graph's dump.
    variant: str | None = ALL
    # Whether it holds the graphs licensed apart.
    apart: bool = False

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
            "licence": self.licence,
            "variant": self.variant,
            "apart": self.apart,
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
            raw.get("licence", iris.LICENSE_IRI),
            raw.get("variant"),
            bool(raw.get("apart")),
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

    def __init__(self, path: Path, media_type: media.MediaType, meta: dict):
        self.path = path
        self.media_type = media_type
        # What DumpFile says besides name, format, size and checksum (graph, licence, …).
        self.meta = meta
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
            {
                "name": self.path.name + (GZIP_SUFFIX if compressed else ""),
                "format": self.media_type.key,
                "size": written.size,
                "sha256": written.sha.hexdigest(),
                "compressed": compressed,
                **self.meta,
            }
            for written, compressed in ((self._raw, False), (self._compressed, True))
        ]


# -- the writers, each run in a worker process for a large dataset ---------------------------


def _copy(out: str, source: str, meta: dict) -> list[dict]:
    """Write a sorted N-Triples file as a dump, as it is."""
    sink = _Sink(Path(out), media.N_TRIPLES, meta)
    with open(source, "rb", buffering=RUN_BUFFER_BYTES) as lines:
        while block := lines.read(RUN_BUFFER_BYTES):
            sink.write(block)
    return sink.close()


def _write_nquads(out: str, sources: Sequence[tuple[str, str]], meta: dict) -> list[dict]:
    """Write the graphs' sorted N-Triples files as one N-Quads dump, graph after graph."""
    sink = _Sink(Path(out), media.N_QUADS, meta)
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


def _write_trig(
    out: str, sources: Sequence[tuple[str, str]], meta: dict, prefixes: dict
) -> list[dict]:
    """Write the graphs' sorted N-Triples files as one TriG dump."""
    sink = _Sink(Path(out), media.TRIG, meta)
    ox.serialize(_graph_quads(sources), sink, ox.RdfFormat.TRIG, prefixes=prefixes)
    return sink.close()


def _write_graph(out: str, source: str, meta: dict, format_key: str, prefixes: dict) -> list[dict]:
    """Write the merged graph's sorted N-Triples file in another graph format."""
    media_type = _format(format_key)
    sink = _Sink(Path(out), media_type, meta)
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
    """Return the file name of a graph's own dump, e.g. ``pax-silica-graph-instances.nt``.

    A graph licensed apart has its dump under the stem of the data licensed apart
    (``pax-silica-eto-graph-eto.nt``): every file name starting ``pax-silica-eto`` is that
    data's, and no other is.
    """
    local = graph[len(site.graph_base) :] if graph.startswith(site.graph_base) else graph
    slug = re.sub(r"[^A-Za-z0-9]+", "-", local).strip("-").lower() or "graph"
    stem = bundle.APART_DUMP_STEM if bundle.licensed_apart(graph) else DUMP_STEM
    name, number = f"{stem}-graph-{slug}.{media.N_TRIPLES.extension}", 1
    while name in taken:
        number += 1
        name = f"{stem}-graph-{slug}-{number}.{media.N_TRIPLES.extension}"
    taken.add(name)
    return name


@dataclass(frozen=True)
class _Part:
    """The graphs of one variant under one licence, and where their dumps go."""

    variant: Variant
    apart: bool
    graphs: tuple[SortedGraph, ...]
    licence: str

    @property
    def stem(self) -> str:
        return stem_of(self.variant.key, self.apart)

    @property
    def meta(self) -> dict:
        return {"variant": self.variant.key, "apart": self.apart, "licence": self.licence}


def _parts(sorted_graphs: Sequence[SortedGraph], licences: dict[str, str]) -> list[_Part]:
    """Every variant's parts that hold a graph: its own, then the part licensed apart."""
    parts = []
    for each in VARIANTS:
        for apart in (False, True):
            graphs = tuple(
                g
                for g in sorted_graphs
                if each.holds(g.graph) and bundle.licensed_apart(g.graph) is apart
            )
            if graphs:
                licence = bundle.CC_BY_NC if apart else licences[ALL]
                parts.append(_Part(each, apart, graphs, licence))
    return parts


def _submit_part(writers: _Writers, part: _Part, out_dir: Path, scratch: Path, site) -> None:
    """Merge a part's graphs and have each of its formats written."""
    target = {t: str(out_dir / f"{part.stem}.{t.extension}") for t in part.variant.formats}
    sources = [(str(g.path), g.graph) for g in part.graphs]
    if media.N_QUADS in target:
        writers.submit("nquads", target[media.N_QUADS], sources, part.meta)
    if media.TRIG in target:
        writers.submit("trig", target[media.TRIG], sources, part.meta, site.prefixes)
    merged_path = scratch / f"merged-{part.stem}.nt"
    with open(merged_path, "wb", buffering=RUN_BUFFER_BYTES) as out:
        out.writelines(merge_unique(g.path for g in part.graphs))
    for media_type in media.GRAPH_TYPES:
        if media_type is media.N_TRIPLES and media_type in target:
            writers.submit("copy", target[media_type], str(merged_path), part.meta)
        elif media_type in target:
            args = (str(merged_path), part.meta, media_type.key, site.prefixes)
            writers.submit("graph", target[media_type], *args)


def write_dumps(
    sorted_graphs: Sequence[SortedGraph],
    out_dir: Path,
    scratch: Path,
    site: iris.Site,
    licences: dict[str, str],
    report: Callable[[str], None] = lambda _: None,
) -> list[DumpFile]:
    """Write every dump into ``out_dir`` from the sorted graphs; return them in listing order.

    ``licences`` holds each graph's licence, and the dataset's under ALL.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    report("merging the graphs")
    writers = _Writers(sum(g.triples for g in sorted_graphs))
    for part in _parts(sorted_graphs, licences):
        _submit_part(writers, part, out_dir, scratch, site)
    names: set[str] = set()
    for g in sorted_graphs:
        meta = {"graph": g.graph, "variant": None, "licence": licences[g.graph]}
        meta["apart"] = bundle.licensed_apart(g.graph)
        writers.submit(
            "copy", str(out_dir / graph_dump_name(g.graph, site, names)), str(g.path), meta
        )
    report("writing the formats")
    written = [DumpFile.from_json(raw) for raw in writers.results()]
    return _in_listing_order(written)


def _in_listing_order(dumps: Iterable[DumpFile]) -> list[DumpFile]:
    """Each variant's dumps (its own part first, the formats as media lists them), then each
    graph's dump."""
    order = {t.key: i for i, t in enumerate((*media.DATASET_TYPES, *media.GRAPH_TYPES))}
    variants = {v.key: i for i, v in enumerate(VARIANTS)}
    return sorted(
        dumps,
        key=lambda d: (
            d.graph is not None,
            variants.get(d.variant or "", len(variants)),
            d.apart,
            order[d.media_type.key],
            d.name,
            d.compressed,
        ),
    )


def _main() -> int:
    """Run the writer task read as JSON from standard input; print what it wrote."""
    print(json.dumps(_run(json.loads(sys.stdin.read()))))
    return 0


__all__ = [
    "CHECKSUMS_NAME",
    "DUMP_STEM",
    "VARIANTS",
    "VOID_NAME",
    "DumpFile",
    "SortedGraph",
    "Variant",
    "checksums",
    "sort_graphs",
    "write_dumps",
]


if __name__ == "__main__":
    sys.exit(_main())
