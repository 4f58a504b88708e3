"""The embedded store: bundled graphs, user files by extension, base rewriting, parse errors."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from paxsilica import iris
from paxsilica.rdf.directory import (
    StoreDirectoryError,
    create_store_directory,
    exchange_paths,
    open_store_directory,
    remove_stale_builds,
)
from paxsilica.rdf.store import DataLoadError, build_store, bundled_files, user_files

TURTLE = """@prefix ex: <http://example.org/> .
ex:a ex:p "one" .
<https://w3id.org/pax-silica/id/state/JP> ex:note "canonical" .
"""


def graph_names(store: ox.Store) -> set[str]:
    return {graph.value for graph in store.named_graphs()}


def test_bundled_graphs_are_named(bundled_store: ox.Store) -> None:
    assert graph_names(bundled_store) >= {
        iris.GRAPH_ONTOLOGY,
        iris.GRAPH_INSTANCES,
        iris.GRAPH_SHAPES,
        iris.GRAPH_BASE + "countries",
        iris.GRAPH_BASE + "usgs",
        iris.GRAPH_ETO,
        iris.GRAPH_ETO_INFERRED,
    }
    # Each generated file goes to its own graph: the states to the countries graph, the ETO
    # rows (licensed apart) to the ETO graph and nowhere else.
    japan = ox.NamedNode(iris.entity_iri("state", "JP"))
    countries = ox.NamedNode(iris.GRAPH_BASE + "countries")
    assert list(bundled_store.quads_for_pattern(japan, None, None, countries))
    euv = ox.NamedNode(iris.entity_iri("supply-link", "eto-euv-lithography-tools-asml-2025"))
    graphs = {q.graph_name.value for q in bundled_store.quads_for_pattern(euv, None, None)}
    assert graphs == {iris.GRAPH_ETO, iris.GRAPH_ETO_INFERRED}


def test_every_bundled_file_goes_to_its_graph() -> None:
    by_file = {data_file.path.name: data_file.graph for data_file in bundled_files()}
    assert by_file["eto-chip-explorer.ttl"] == iris.GRAPH_ETO
    assert by_file["countries.ttl"] == iris.GRAPH_BASE + "countries"
    assert by_file["usgs-mcs-2026.ttl"] == iris.GRAPH_BASE + "usgs"
    assert by_file["memberships.ttl"] == iris.GRAPH_INSTANCES


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("extra.ttl", TURTLE),
        ("extra.nt", '<http://example.org/a> <http://example.org/p> "one" .\n'),
        (
            "extra.nq",
            '<http://example.org/a> <http://example.org/p> "one" <http://example.org/g> .\n',
        ),
        (
            "extra.trig",
            '<http://example.org/g> { <http://example.org/a> <http://example.org/p> "one" }',
        ),
        (
            "extra.rdf",
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
            "<ex:p>one</ex:p></rdf:Description></rdf:RDF>",
        ),
        (
            "extra.jsonld",
            '{"@id": "http://example.org/a", "http://example.org/p": "one"}',
        ),
    ],
)
def test_user_files_load_by_extension(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    store = build_store([path], progress=False)
    found = list(
        store.quads_for_pattern(ox.NamedNode("http://example.org/a"), None, ox.Literal("one"))
    )
    assert len(found) == 1
    expected_graph = "http://example.org/g" if name.endswith((".nq", ".trig")) else None
    assert found[0].graph_name.value == (expected_graph or iris.user_graph_iri(name))


def test_user_graph_names_stay_unique() -> None:
    files = user_files(["a/data.ttl", "b/data.ttl"])
    assert len({f.graph for f in files}) == 2


def test_parse_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:a ex:p "open .\n')
    with pytest.raises(DataLoadError) as caught:
        build_store([bad], progress=False)
    assert caught.value.path == str(bad)
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{bad}:3")


def test_unknown_extension_and_missing_file_are_clear(tmp_path: Path) -> None:
    odd = tmp_path / "data.csv"
    odd.write_text("a,b\n")
    with pytest.raises(DataLoadError, match=r"unknown RDF file extension '\.csv'"):
        build_store([odd], progress=False)
    with pytest.raises(DataLoadError, match=r"missing\.ttl"):
        build_store([tmp_path / "missing.ttl"], progress=False)


def test_base_rewriting_reaches_graphs_subjects_and_literals(tmp_path: Path) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text(TURTLE)
    site = iris.Site("http://127.0.0.1:8123/")
    store = build_store([extra], site=site, progress=False)
    names = graph_names(store)
    assert "http://127.0.0.1:8123/graph/instances" in names
    assert not any(name.startswith(iris.CANONICAL_BASE) for name in names)
    japan = ox.NamedNode("http://127.0.0.1:8123/id/state/JP")
    assert list(store.quads_for_pattern(japan, None, ox.Literal("canonical")))
    canonical = store.query(
        f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?s), "{iris.CANONICAL_BASE}")) }} }}'
    )
    assert not bool(canonical)
    namespace = store.query(
        "PREFIX vann: <http://purl.org/vocab/vann/> "
        "SELECT ?ns WHERE { GRAPH ?g { ?o vann:preferredNamespaceUri ?ns } }"
    )
    assert [row["ns"].value for row in namespace] == ["http://127.0.0.1:8123/ontology#"]


def test_large_file_reports_progress(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("paxsilica.rdf.store.PROGRESS_THRESHOLD_BYTES", 10)
    extra = tmp_path / "extra.ttl"
    extra.write_text(TURTLE)
    build_store([extra], progress=True)
    assert "loading extra.ttl" in capsys.readouterr().err


def test_store_directory_round_trip(tmp_path: Path, bundled_store: ox.Store) -> None:
    target = tmp_path / "store"
    manifest = create_store_directory(target, progress=False)
    assert manifest.quads == len(bundled_store)
    opened = open_store_directory(target)
    assert len(opened) == len(bundled_store)
    with pytest.raises(RuntimeError, match="read-write"):
        opened.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.NamedNode("urn:c")))


def test_bad_input_leaves_the_previous_store_whole(tmp_path: Path) -> None:
    target = tmp_path / "store"
    first = create_store_directory(target, progress=False)
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n")
    with pytest.raises(DataLoadError, match=r"bad\.ttl:1"):
        create_store_directory(target, [bad], progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ttl", "store"]
    assert len(open_store_directory(target)) == first.quads


def test_store_directory_checks_base_and_manifest(tmp_path: Path) -> None:
    target = tmp_path / "store"
    create_store_directory(target, site=iris.Site("http://127.0.0.1:9/"), progress=False)
    with pytest.raises(
        StoreDirectoryError, match=re.escape("built for base IRI http://127.0.0.1:9/")
    ):
        open_store_directory(target)
    assert len(open_store_directory(target, iris.Site("http://127.0.0.1:9/"))) > 0
    with pytest.raises(StoreDirectoryError, match="not a paxsilica store"):
        open_store_directory(tmp_path)
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "precious.txt").write_text("keep me")
    with pytest.raises(StoreDirectoryError, match="refusing to replace"):
        create_store_directory(stranger, progress=False)
    assert (stranger / "precious.txt").read_text() == "keep me"


def test_load_command(tmp_path: Path, capsys) -> None:
    from paxsilica.cli import main

    extra = tmp_path / "extra.ttl"
    extra.write_text(TURTLE)
    assert main(["load", "--quiet", "--store", str(tmp_path / "store"), str(extra)]) == 0
    assert "quads for base https://w3id.org/pax-silica/" in capsys.readouterr().out
    bad = tmp_path / "bad.nt"
    bad.write_text("not n-triples\n")
    assert main(["load", "--quiet", "--store", str(tmp_path / "store"), str(bad)]) == 2
    assert "bad.nt:1" in capsys.readouterr().err


def test_a_load_removes_what_killed_loads_left_behind(tmp_path: Path) -> None:
    target = tmp_path / "store"
    # What a load killed half-way leaves: its build folder, and one from a two-rename swap.
    stale = [tmp_path / ".store.building-999999999-abc", tmp_path / ".store.retired-999999999"]
    for path in stale:
        path.mkdir()
        (path / "data").write_bytes(b"x" * 1024)
    create_store_directory(target, progress=False)
    assert not any(path.exists() for path in stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    # A second load replaces the first and leaves nothing beside it either.
    create_store_directory(target, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    assert remove_stale_builds(target) == []


def test_the_new_store_takes_the_old_ones_place_in_one_step(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "which").write_text("old")
    (new / "which").write_text("new")
    if not exchange_paths(new, old):
        pytest.skip("this system has no atomic exchange of paths (renameat2)")
    assert (old / "which").read_text() == "new"
    assert (new / "which").read_text() == "old"
