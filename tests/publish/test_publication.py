"""The publication built once per dataset version: sorting on disk, class indexes, stores."""

from __future__ import annotations

import logging
import random
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from paxsilica import cli, iris
from paxsilica.config import load_settings
from paxsilica.publish import dumps, sorted_lines
from paxsilica.publish.publication import (
    PUBLICATION_DIR,
    Publication,
    PublicationError,
    build_publication,
    publication_for,
)
from paxsilica.publish.sorted_lines import SortedLines
from paxsilica.rdf.directory import open_store_directory
from paxsilica.rdf.store import build_store
from paxsilica.web.server import build_application
from paxsilica.web.state import published
from publication_support import FIXTURE, published_union


@pytest.fixture(scope="module")
def fixture_store() -> ox.Store:
    return build_store([FIXTURE], progress=False)


def files_of(publication: Publication) -> dict[str, bytes]:
    return {d.name: publication.path_of(d.name).read_bytes() for d in publication.dumps}


def test_sorted_lines_sort_on_disk_in_small_chunks(tmp_path: Path) -> None:
    rng = random.Random(7)
    lines = [
        f"{rng.randrange(5000):05d} {'x' * rng.randrange(40)}\n".encode() for _ in range(20000)
    ]
    with SortedLines(tmp_path, chunk_bytes=4096) as sorter:
        for line in lines[:10000]:
            sorter.add(line)
        for start in range(10000, len(lines), 100):
            sorter.extend(lines[start : start + 100])
        assert list(sorter) == sorted(set(lines))
        assert sorter.count() == len(set(lines))
        assert len(list(sorter.directory.iterdir())) > 50  # it did spill to many runs
    assert not sorter.directory.exists()


def test_the_build_is_the_same_whatever_the_memory_it_may_use(
    tmp_path: Path, fixture_store: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = build_publication(fixture_store, iris.CANONICAL_SITE, tmp_path / "whole")
    monkeypatch.setattr(sorted_lines, "CHUNK_BYTES", 2048)
    chunked = build_publication(fixture_store, iris.CANONICAL_SITE, tmp_path / "chunked")
    assert files_of(chunked) == files_of(whole)
    assert chunked.statistics == whole.statistics
    assert (tmp_path / "chunked" / "void.nt").read_bytes() == (
        tmp_path / "whole" / "void.nt"
    ).read_bytes()
    # Nothing of the scratch work is left behind.
    assert sorted(p.name for p in (tmp_path / "chunked").iterdir()) == [
        "dumps",
        "index",
        "publication.json",
        "statistics.json",
        "void.nt",
    ]


def test_the_formats_written_in_processes_of_their_own_are_the_same(
    tmp_path: Path, fixture_store: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline = build_publication(fixture_store, iris.CANONICAL_SITE, tmp_path / "inline")
    monkeypatch.setattr(dumps, "PARALLEL_QUADS", 0)  # as for a large dataset
    apart = build_publication(fixture_store, iris.CANONICAL_SITE, tmp_path / "apart")
    assert files_of(apart) == files_of(inline)
    assert apart.dumps == inline.dumps


def test_class_index_lists_each_class_by_iri(tmp_path: Path, fixture_store: ox.Store) -> None:
    publication = build_publication(fixture_store, iris.CANONICAL_SITE, tmp_path / "built")
    union = published_union(fixture_store)
    # The index covers every named graph, shapes included, as the statistics do.
    shapes = rdflib.Graph()
    shapes_graph = ox.NamedNode(iris.GRAPH_SHAPES)
    triples = [q.triple for q in fixture_store.quads_for_pattern(None, None, None, shapes_graph)]
    shapes.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    merged = union + shapes
    index = publication.class_index
    for kind in {o for o in merged.objects(None, rdflib.RDF.type) if isinstance(o, rdflib.URIRef)}:
        expected = sorted(
            str(s) for s in merged.subjects(rdflib.RDF.type, kind) if isinstance(s, rdflib.URIRef)
        )
        assert index.count(str(kind)) == len(expected), kind
        assert index.instances(str(kind), 0, len(expected)) == expected
        assert index.instances(str(kind), 1, 3) == expected[1:3]
    assert index.instances("http://example.org/Nothing", 0, 10) == []
    index.close()


def test_load_builds_the_publication_into_the_store(tmp_path: Path, caplog) -> None:
    store_dir = tmp_path / "store"
    assert cli.main(["load", "--quiet", "--store", str(store_dir), str(FIXTURE)]) == 0
    assert (store_dir / PUBLICATION_DIR / "publication.json").exists()
    settings = load_settings({}, store_path=str(store_dir))
    app = build_application(settings)
    with app.app_context(), caplog.at_level(logging.WARNING):
        served = published().publication
    assert served.directory == store_dir / PUBLICATION_DIR
    assert not caplog.records  # read, not built again
    # The same data in memory (other blank node labels, another store) gives the same bytes.
    in_memory = build_publication(
        build_store([FIXTURE], progress=False), iris.CANONICAL_SITE, tmp_path / "memory"
    )
    assert files_of(served) == files_of(in_memory)
    client = app.test_client()
    dump = served.dumps[0]
    assert client.get(f"/dumps/{dump.name}", buffered=True).data == files_of(in_memory)[dump.name]


def test_a_store_without_a_publication_gets_one_built(tmp_path: Path, caplog) -> None:
    store_dir = tmp_path / "store"
    assert cli.main(["load", "--quiet", "--store", str(store_dir)]) == 0
    shutil.rmtree(store_dir / PUBLICATION_DIR)  # as a store built by an older paxsilica
    settings = load_settings({}, store_path=str(store_dir))
    store = open_store_directory(store_dir)
    with caplog.at_level(logging.WARNING):
        built = publication_for(store, settings)
    assert "no publication" in caplog.text
    assert built.directory.exists()
    assert not (store_dir / PUBLICATION_DIR).exists()


def test_a_publication_of_another_store_is_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert cli.main(["load", "--quiet", "--store", str(first)]) == 0
    assert cli.main(["load", "--quiet", "--store", str(second), str(FIXTURE)]) == 0
    shutil.rmtree(second / PUBLICATION_DIR)
    shutil.copytree(first / PUBLICATION_DIR, second / PUBLICATION_DIR)
    settings = load_settings({}, store_path=str(second))
    with pytest.raises(PublicationError, match="built for another store"):
        publication_for(open_store_directory(second), settings)
    (second / PUBLICATION_DIR / "publication.json").write_text("{")
    with pytest.raises(PublicationError, match="unreadable"):
        Publication.open(second / PUBLICATION_DIR)
