"""Dumps and the VoID/DCAT description: checksums, importability by independent tools, export."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient
from rdflib.compare import isomorphic

from conftest import require_tool
from paxsilica import bundle, cli, iris, media
from paxsilica.publish.dumps import CHECKSUMS_NAME, DUMP_STEM, VOID_NAME
from paxsilica.web.state import published
from publication_support import parse

VOID = rdflib.Namespace(iris.KNOWN_VOCABULARIES["void"])
DCAT = rdflib.Namespace(iris.KNOWN_VOCABULARIES["dcat"])
SPDX = rdflib.Namespace(iris.KNOWN_VOCABULARIES["spdx"])
DATASET = rdflib.URIRef(iris.DATASET_IRI)
STEMS = (DUMP_STEM, bundle.APART_DUMP_STEM)
DUMP_NAMES = [
    f"{stem}.{t.extension}" for stem in STEMS for t in (*media.DATASET_TYPES, *media.GRAPH_TYPES)
]


@pytest.fixture(scope="module")
def store(app: Flask) -> ox.Store:
    with app.app_context():
        return published().store


def merged_graphs(store: ox.Store, apart: bool) -> rdflib.Graph:
    """The project's own named graphs (or those licensed apart), merged."""
    triples = [
        q.triple
        for q in store
        if isinstance(q.graph_name, ox.NamedNode) and bundle.licensed_apart(q.graph_name) is apart
    ]
    graph = rdflib.Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


@pytest.fixture(scope="module")
def merged(store: ox.Store) -> rdflib.Graph:
    """The source graph of the main dumps: the project's own named graphs, merged."""
    return merged_graphs(store, apart=False)


@pytest.fixture(scope="module")
def dump_bodies(app: Flask) -> dict[str, bytes]:
    client = app.test_client()
    return {name: client.get(f"/dumps/{name}").data for name in DUMP_NAMES}


def test_index_lists_every_dump_with_size_and_checksum(
    client: FlaskClient, dump_bodies: dict[str, bytes]
) -> None:
    index = client.get("/dumps/").get_data(as_text=True)
    sums = client.get(f"/dumps/{CHECKSUMS_NAME}").get_data(as_text=True)
    for name, body in dump_bodies.items():
        digest = hashlib.sha256(body).hexdigest()
        assert name in index
        assert digest in index
        assert str(len(body)) in index
        assert f"{digest}  {name}" in sums


def test_dumps_are_served_with_their_types(client: FlaskClient) -> None:
    for media_type in (*media.DATASET_TYPES, *media.GRAPH_TYPES):
        response = client.get(f"/dumps/{DUMP_STEM}.{media_type.extension}")
        assert response.status_code == 200
        assert response.mimetype == media_type.mime
        assert (
            client.get(
                response.request.path, headers={"If-None-Match": response.headers["ETag"]}
            ).status_code
            == 304
        )
    assert client.get("/dumps/nothing.zip").status_code == 404
    assert client.get("/dumps").status_code == 308


def test_nquads_dump_loads_into_a_fresh_store(
    store: ox.Store, dump_bodies: dict[str, bytes]
) -> None:
    fresh = ox.Store()
    fresh.load(dump_bodies[f"{DUMP_STEM}.nq"], format=ox.RdfFormat.N_QUADS)
    assert not any(bundle.licensed_apart(g) for g in fresh.named_graphs())
    apart = ox.Store()
    apart.load(dump_bodies[f"{bundle.APART_DUMP_STEM}.nq"], format=ox.RdfFormat.N_QUADS)
    assert {g.value for g in apart.named_graphs()} == {iris.GRAPH_ETO, iris.GRAPH_ETO_INFERRED}
    fresh.extend(apart)
    assert len(fresh) == len(store)
    assert set(fresh.named_graphs()) == set(store.named_graphs())


def test_trig_dump_keeps_the_named_graphs(store: ox.Store, dump_bodies: dict[str, bytes]) -> None:
    fresh = ox.Store()
    fresh.load(dump_bodies[f"{DUMP_STEM}.trig"], format=ox.RdfFormat.TRIG)
    fresh.load(dump_bodies[f"{bundle.APART_DUMP_STEM}.trig"], format=ox.RdfFormat.TRIG)
    for graph in store.named_graphs():
        assert len(list(fresh.quads_for_pattern(None, None, None, graph))) == len(
            list(store.quads_for_pattern(None, None, None, graph))
        )


@pytest.mark.parametrize(
    ("extension", "rapper_format"), [("ttl", "turtle"), ("nt", "ntriples"), ("rdf", "rdfxml")]
)
def test_graph_dumps_parse_with_rapper_and_are_isomorphic(
    tmp_path: Path,
    dump_bodies: dict[str, bytes],
    merged: rdflib.Graph,
    extension: str,
    rapper_format: str,
) -> None:
    rapper = require_tool("rapper", "raptor2-utils parses the dumps independently")
    path = tmp_path / f"dump.{extension}"
    path.write_bytes(dump_bodies[f"{DUMP_STEM}.{extension}"])
    result = subprocess.run(
        [rapper, "-q", "-i", rapper_format, "-o", "ntriples", str(path), "http://example.org/"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    graph = rdflib.Graph()
    graph.parse(data=result.stdout, format="nt")
    assert isomorphic(graph, merged)


def test_jsonld_dump_is_isomorphic(dump_bodies: dict[str, bytes], merged: rdflib.Graph) -> None:
    graph = parse(dump_bodies[f"{DUMP_STEM}.jsonld"], "application/ld+json")
    assert isomorphic(graph, merged)


def test_eto_dumps_hold_the_eto_graphs_under_their_licence(
    store: ox.Store, dump_bodies: dict[str, bytes], client: FlaskClient
) -> None:
    graph = rdflib.Graph().parse(
        data=dump_bodies[f"{bundle.APART_DUMP_STEM}.nt"].decode(), format="nt"
    )
    assert isomorphic(graph, merged_graphs(store, apart=True))
    eto = rdflib.URIRef(iris.GRAPH_ETO)
    assert graph.value(eto, rdflib.DCTERMS.license) == rdflib.URIRef(bundle.CC_BY_NC)
    index = client.get("/dumps/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "not for commercial use" in index
    assert "CC BY-NC 4.0" in index


def test_ontology_rdfxml_loads_in_owlready2(client: FlaskClient, tmp_path: Path) -> None:
    owlready2 = pytest.importorskip("owlready2")
    path = tmp_path / "pax-silica.owl"
    path.write_bytes(client.get("/ontology.rdf").data)
    world = owlready2.World()
    ontology = world.get_ontology(path.as_uri()).load()
    names = {c.name for c in ontology.classes()}
    assert {"State", "Membership", "SupplyLink", "Claim"} <= names
    assert any(p.name == "supplier" for p in ontology.object_properties())
    world.close()


# --- VoID and DCAT ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def void(app: Flask) -> rdflib.Graph:
    response = app.test_client().get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    return parse(response.data, response.content_type)


def test_void_counts(void: rdflib.Graph, store: ox.Store, merged: rdflib.Graph) -> None:
    """The VoID describes the whole dataset, the graphs licensed apart included."""
    merged = merged + merged_graphs(store, apart=True)
    assert int(void.value(DATASET, VOID.triples)) == len(store)
    partitions = {
        void.value(p, VOID["class"]): int(void.value(p, VOID.entities))
        for p in void.objects(DATASET, VOID.classPartition)
    }
    ps = rdflib.Namespace(iris.ONTOLOGY_NS)
    assert partitions[ps.State] == len(set(merged.subjects(rdflib.RDF.type, ps.State)))
    properties = {
        void.value(p, VOID.property): int(void.value(p, VOID.triples))
        for p in void.objects(DATASET, VOID.propertyPartition)
    }
    assert properties[rdflib.RDFS.label] == len(
        list(merged.triples((None, rdflib.RDFS.label, None)))
    )
    for graph in store.named_graphs():
        subset = rdflib.URIRef(graph.value)
        assert (DATASET, VOID.subset, subset) in void
        assert int(void.value(subset, VOID.triples)) == len(
            list(store.quads_for_pattern(None, None, None, graph))
        )
        licence = bundle.CC_BY_NC if bundle.licensed_apart(graph) else iris.LICENSE_IRI
        assert void.value(subset, rdflib.DCTERMS.license) == rdflib.URIRef(licence)


def test_void_links_dumps_endpoint_space_licence_sources(
    void: rdflib.Graph, dump_bodies: dict[str, bytes]
) -> None:
    dumps = set(void.objects(DATASET, VOID.dataDump))
    assert dumps == {rdflib.URIRef(iris.DUMPS_BASE + name) for name in DUMP_NAMES}
    assert void.value(DATASET, VOID.sparqlEndpoint) == rdflib.URIRef(iris.SPARQL_ENDPOINT_IRI)
    assert str(void.value(DATASET, VOID.uriSpace)) == iris.ENTITY_BASE
    assert void.value(DATASET, rdflib.DCTERMS.license) is not None
    assert void.value(DATASET, rdflib.DCTERMS.modified) is not None
    assert len(list(void.objects(DATASET, rdflib.DCTERMS.source))) > 10
    for distribution in void.objects(DATASET, DCAT.distribution):
        url = void.value(distribution, DCAT.downloadURL)
        name = str(url)[len(iris.DUMPS_BASE) :]
        body = dump_bodies[name]
        assert int(void.value(distribution, DCAT.byteSize)) == len(body)
        licence = bundle.CC_BY_NC if name.startswith(bundle.APART_DUMP_STEM) else iris.LICENSE_IRI
        assert void.value(distribution, rdflib.DCTERMS.license) == rdflib.URIRef(licence)
        checksum = void.value(distribution, SPDX.checksum)
        assert str(void.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()


def test_void_is_negotiated(client: FlaskClient) -> None:
    for media_type in media.DOCUMENT_TYPES:
        response = client.get("/.well-known/void", headers={"Accept": media_type.mime})
        assert response.status_code == 200
        assert response.mimetype == media_type.mime
        assert response.headers["Content-Location"] == f"/.well-known/void.{media_type.extension}"
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


# --- export ---------------------------------------------------------------------------------------


def test_export_writes_the_served_files(
    tmp_path: Path, dump_bodies: dict[str, bytes], capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "export"
    assert cli.main(["export", "--out", str(out)]) == 0
    for name, body in dump_bodies.items():
        assert (out / name).read_bytes() == body
    sums = (out / CHECKSUMS_NAME).read_text()
    assert all(name in sums for name in DUMP_NAMES)
    void = rdflib.Graph().parse(out / VOID_NAME, format="turtle")
    assert (DATASET, rdflib.RDF.type, VOID.Dataset) in void
    assert str(out / VOID_NAME) in capsys.readouterr().out


def test_export_with_another_base_and_data(tmp_path: Path) -> None:
    extra = tmp_path / "extra.nt"
    extra.write_text('<http://example.org/a> <http://example.org/p> "one" .\n')
    out = tmp_path / "export"
    base = "http://127.0.0.1:9000/"
    assert cli.main(["export", "--out", str(out), "--base-iri", base, "--data", str(extra)]) == 0
    nquads = (out / f"{DUMP_STEM}.nq").read_bytes()
    assert iris.CANONICAL_BASE.encode() not in nquads
    assert f"<{base}graph/user/extra.nt>".encode() in nquads


def test_export_stops_on_bad_data_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:c ex:p .\n")
    out = tmp_path / "export"
    assert cli.main(["export", "--out", str(out), "--data", str(bad)]) == 2
    error = capsys.readouterr().err
    assert f"{bad}:3" in error
    assert not out.exists()
