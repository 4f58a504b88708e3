"""Dumps and the VoID/DCAT description: built once, served from disk, importable, exported alike."""

from __future__ import annotations

import gzip
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
from paxsilica.publish.dumps import ALL, CHECKSUMS_NAME, DUMP_STEM, VARIANTS, VOID_NAME
from paxsilica.publish.publication import Publication
from paxsilica.web.state import published
from publication_support import parse

VOID = rdflib.Namespace(iris.KNOWN_VOCABULARIES["void"])
DCAT = rdflib.Namespace(iris.KNOWN_VOCABULARIES["dcat"])
SPDX = rdflib.Namespace(iris.KNOWN_VOCABULARIES["spdx"])
DATASET = rdflib.URIRef(iris.DATASET_IRI)
CC_BY = iris.LICENSE_IRI
STEMS = (DUMP_STEM, bundle.APART_DUMP_STEM)
DUMP_NAMES = [
    f"{stem}.{t.extension}" for stem in STEMS for t in (*media.DATASET_TYPES, *media.GRAPH_TYPES)
]


@pytest.fixture(scope="module")
def store(app: Flask) -> ox.Store:
    with app.app_context():
        return published().store


@pytest.fixture(scope="module")
def publication(app: Flask) -> Publication:
    with app.app_context():
        return published().publication


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
def dump_bodies(app: Flask, publication: Publication) -> dict[str, bytes]:
    """Every served dump file, by name (buffered: a dump is a file, closed once read)."""
    client = app.test_client()
    return {d.name: client.get(f"/dumps/{d.name}", buffered=True).data for d in publication.dumps}


def test_every_dump_has_a_gzip_variant_and_each_graph_its_own(publication: Publication) -> None:
    names = {d.name for d in publication.dumps}
    assert set(DUMP_NAMES) <= names
    assert {name + ".gz" for name in DUMP_NAMES} <= names
    graphs = {d.graph for d in publication.dumps if d.graph is not None}
    assert graphs == set(publication.statistics.graphs)


def test_index_lists_every_dump_with_size_and_checksum(
    client: FlaskClient, dump_bodies: dict[str, bytes]
) -> None:
    index = client.get("/dumps/").get_data(as_text=True)
    sums = client.get(f"/dumps/{CHECKSUMS_NAME}", buffered=True).get_data(as_text=True)
    for name, body in dump_bodies.items():
        digest = hashlib.sha256(body).hexdigest()
        assert f'href="/dumps/{name}"' in index
        assert digest in index
        assert str(len(body)) in index
        assert f"{digest}  {name}" in sums
    assert len(sums.splitlines()) == len(dump_bodies)


def test_dumps_are_sent_from_disk_with_validators(
    client: FlaskClient, publication: Publication, dump_bodies: dict[str, bytes]
) -> None:
    for dump in publication.dumps:
        response = client.get(f"/dumps/{dump.name}", buffered=True)
        assert response.status_code == 200
        assert response.mimetype == (
            "application/gzip" if dump.compressed else dump.media_type.mime
        )
        assert int(response.headers["Content-Length"]) == dump.size == len(response.data)
        assert response.headers["ETag"] == f'"{dump.sha256}"'
        assert response.headers["Accept-Ranges"] == "bytes"
        assert "Last-Modified" in response.headers
        for condition in (
            {"If-None-Match": response.headers["ETag"]},
            {"If-Modified-Since": response.headers["Last-Modified"]},
        ):
            again = client.get(f"/dumps/{dump.name}", headers=condition, buffered=True)
            assert again.status_code == 304, (dump.name, condition)
    assert client.get("/dumps/nothing.zip").status_code == 404
    assert client.get("/dumps").status_code == 308


def test_a_dump_is_sent_in_ranges(client: FlaskClient, dump_bodies: dict[str, bytes]) -> None:
    name = f"{DUMP_STEM}.nt"
    body = dump_bodies[name]
    part = client.get(f"/dumps/{name}", headers={"Range": "bytes=100-1099"}, buffered=True)
    assert part.status_code == 206
    assert part.data == body[100:1100]
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(body)}"
    tail = client.get(f"/dumps/{name}", headers={"Range": "bytes=-10"}, buffered=True)
    assert tail.data == body[-10:]
    beyond = client.get(f"/dumps/{name}", headers={"Range": f"bytes={len(body)}-"}, buffered=True)
    assert beyond.status_code == 416
    # A range of a version the client no longer has: the whole file.
    stale = client.get(
        f"/dumps/{name}", headers={"Range": "bytes=0-9", "If-Range": '"stale"'}, buffered=True
    )
    assert stale.status_code == 200
    assert stale.data == body


def test_gzip_variants_hold_the_same_bytes(dump_bodies: dict[str, bytes]) -> None:
    for name, body in dump_bodies.items():
        if name.endswith(".gz"):
            assert gzip.decompress(body) == dump_bodies[name[: -len(".gz")]], name


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


def canonical(quads) -> set[ox.Quad]:
    """The quads with their blank nodes named canonically (RDFC-1.0): two sets of quads are
    isomorphic when these are equal."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def parsed(body: bytes, rdf_format: ox.RdfFormat) -> set[ox.Quad]:
    return canonical(ox.parse(body, format=rdf_format))


def quads_of(store: ox.Store, graphs, merged: bool = False) -> set[ox.Quad]:
    """The canonical quads of some graphs of the store (``merged``: as triples, one graph)."""
    found = (q for g in graphs for q in store.quads_for_pattern(None, None, None, g))
    if merged:
        found = (ox.Quad(q.subject, q.predicate, q.object) for q in found)
    return canonical(found)


def test_each_graph_dump_is_its_graph(
    store: ox.Store, publication: Publication, dump_bodies: dict[str, bytes]
) -> None:
    for dump in publication.dumps:
        if dump.graph is None or dump.compressed:
            continue
        expected = quads_of(store, [ox.NamedNode(dump.graph)], merged=True)
        assert parsed(dump_bodies[dump.name], ox.RdfFormat.N_TRIPLES) == expected, dump.name
        assert dump.licence == (bundle.CC_BY_NC if bundle.licensed_apart(dump.graph) else CC_BY)


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


# --- the instance-only variants (issue 14) ------------------------------------------------------

NARROW = [v for v in VARIANTS if v.key != ALL]
# What each variant holds, by graph: the instance graphs, and (the second) what is inferred.
VARIANT_GRAPHS = {
    "instances": {
        iris.GRAPH_INSTANCES, bundle.COUNTRIES.graph, bundle.USGS.graph, bundle.ETO.graph,
    },
    "instances-inferred": {
        iris.GRAPH_INSTANCES, bundle.COUNTRIES.graph, bundle.USGS.graph, bundle.ETO.graph,
        iris.GRAPH_INFERRED, iris.GRAPH_ETO_INFERRED,
    },
}  # fmt: skip
FORMATS = {media.N_QUADS: ox.RdfFormat.N_QUADS, media.N_TRIPLES: ox.RdfFormat.N_TRIPLES}
FORMATS[media.TURTLE] = ox.RdfFormat.TURTLE


def variant_graphs(store: ox.Store, key: str, apart: bool) -> list[ox.NamedNode]:
    """The store's graphs a variant's part holds, by the list above (the fixture adds its own
    instance graph, graph/user/publication.ttl)."""
    expected = VARIANT_GRAPHS[key] | {iris.user_graph_iri("publication.ttl")}
    return [
        g for g in store.named_graphs() if g.value in expected and bundle.licensed_apart(g) is apart
    ]


@pytest.mark.parametrize("each", NARROW, ids=lambda v: v.key)
@pytest.mark.parametrize("apart", [False, True], ids=["own", "apart"])
def test_a_variant_holds_exactly_its_graphs(
    store: ox.Store, dump_bodies: dict[str, bytes], each, apart: bool
) -> None:
    graphs = variant_graphs(store, each.key, apart)
    assert graphs
    stem = bundle.APART_DUMP_STEM if apart else DUMP_STEM
    for media_type, rdf_format in FORMATS.items():
        body = dump_bodies[f"{stem}{each.suffix}.{media_type.extension}"]
        merged = media_type is not media.N_QUADS
        assert parsed(body, rdf_format) == quads_of(store, graphs, merged), media_type.label
        assert (
            gzip.decompress(dump_bodies[f"{stem}{each.suffix}.{media_type.extension}.gz"]) == body
        )
    nquads = ox.Dataset(
        ox.parse(dump_bodies[f"{stem}{each.suffix}.nq"], format=ox.RdfFormat.N_QUADS)
    )
    assert {q.graph_name for q in nquads} == set(graphs)


@pytest.mark.parametrize("each", NARROW, ids=lambda v: v.key)
def test_the_void_describes_each_variant(
    void: rdflib.Graph, publication: Publication, dump_bodies: dict[str, bytes], each
) -> None:
    subset = rdflib.URIRef(f"{iris.CANONICAL_BASE}.well-known/void#{each.key}")
    assert (DATASET, VOID.subset, subset) in void
    assert "instance" in str(void.value(subset, rdflib.DCTERMS.title))
    graphs = {str(g) for g in void.objects(subset, rdflib.DCTERMS.hasPart)}
    assert graphs == {g for g in publication.statistics.graphs if each.holds(g)}
    sizes = publication.statistics.graphs
    assert int(void.value(subset, VOID.triples)) == sum(sizes[g] for g in graphs)
    files = {d.name for d in publication.dumps if d.variant == each.key}
    assert len(files) == 2 * 2 * len(each.formats)  # two parts, each format also gzipped
    urls = {str(u)[len(iris.DUMPS_BASE) :] for u in void.objects(subset, VOID.dataDump)}
    assert urls == files
    for distribution in void.objects(subset, DCAT.distribution):
        name = str(void.value(distribution, DCAT.downloadURL))[len(iris.DUMPS_BASE) :]
        assert name in files
        titles = {t.language: str(t) for t in void.objects(distribution, rdflib.DCTERMS.title)}
        assert each.title["en"] in titles["en"]
        assert each.title["fr"] in titles["fr"]
        apart = name.startswith(bundle.APART_DUMP_STEM)
        assert ("CC BY-NC" in titles["en"]) is apart
        licence = bundle.CC_BY_NC if apart else CC_BY
        assert void.value(distribution, rdflib.DCTERMS.license) == rdflib.URIRef(licence)
        assert int(void.value(distribution, DCAT.byteSize)) == len(dump_bodies[name])
        checksum = void.value(void.value(distribution, SPDX.checksum), SPDX.checksumValue)
        assert str(checksum) == hashlib.sha256(dump_bodies[name]).hexdigest()


def test_the_dumps_page_lists_the_variants(client: FlaskClient) -> None:
    index = client.get("/dumps/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for each in NARROW:
        assert f'href="/dumps/{DUMP_STEM}{each.suffix}.nq"' in index
        assert f'href="/dumps/{bundle.APART_DUMP_STEM}{each.suffix}.nq"' in index


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
    assert int(void.value(DATASET, VOID.distinctSubjects)) == len(set(merged.subjects()))
    assert int(void.value(DATASET, VOID.distinctObjects)) == len(set(merged.objects()))
    entities = {s for s in merged.subjects() if str(s).startswith(iris.ENTITY_BASE)}
    assert int(void.value(DATASET, VOID.entities)) == len(entities)
    partitions = {
        void.value(p, VOID["class"]): int(void.value(p, VOID.entities))
        for p in void.objects(DATASET, VOID.classPartition)
    }
    for kind in {o for o in merged.objects(None, rdflib.RDF.type) if isinstance(o, rdflib.URIRef)}:
        assert partitions[kind] == len(set(merged.subjects(rdflib.RDF.type, kind))), kind
    properties = {
        void.value(p, VOID.property): int(void.value(p, VOID.triples))
        for p in void.objects(DATASET, VOID.propertyPartition)
    }
    assert properties == {
        p: len(list(merged.triples((None, p, None)))) for p in set(merged.predicates())
    }
    for graph in store.named_graphs():
        subset = rdflib.URIRef(graph.value)
        assert (DATASET, VOID.subset, subset) in void
        assert int(void.value(subset, VOID.triples)) == len(
            list(store.quads_for_pattern(None, None, None, graph))
        )
        licence = bundle.CC_BY_NC if bundle.licensed_apart(graph) else iris.LICENSE_IRI
        assert void.value(subset, rdflib.DCTERMS.license) == rdflib.URIRef(licence)
        assert void.value(subset, VOID.dataDump) is not None


def test_void_links_dumps_endpoint_space_licence_sources(
    void: rdflib.Graph, dump_bodies: dict[str, bytes]
) -> None:
    dumps = set(void.objects(DATASET, VOID.dataDump))
    whole = [*DUMP_NAMES, *(name + ".gz" for name in DUMP_NAMES)]
    assert dumps == {rdflib.URIRef(iris.DUMPS_BASE + name) for name in whole}
    assert void.value(DATASET, VOID.sparqlEndpoint) == rdflib.URIRef(iris.SPARQL_ENDPOINT_IRI)
    assert str(void.value(DATASET, VOID.uriSpace)) == iris.ENTITY_BASE
    assert void.value(DATASET, rdflib.DCTERMS.license) is not None
    assert void.value(DATASET, rdflib.DCTERMS.modified) is not None
    assert len(list(void.objects(DATASET, rdflib.DCTERMS.source))) > 10
    distributions = list(void.subjects(rdflib.RDF.type, DCAT.Distribution))
    assert len(distributions) == len(dump_bodies)
    for distribution in distributions:
        url = void.value(distribution, DCAT.downloadURL)
        name = str(url)[len(iris.DUMPS_BASE) :]
        body = dump_bodies[name]
        assert int(void.value(distribution, DCAT.byteSize)) == len(body)
        licence = bundle.CC_BY_NC if name.startswith(bundle.APART_DUMP_STEM) else iris.LICENSE_IRI
        assert void.value(distribution, rdflib.DCTERMS.license) == rdflib.URIRef(licence)
        checksum = void.value(distribution, SPDX.checksum)
        assert str(void.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()
        compressed = void.value(distribution, DCAT.compressFormat)
        assert (compressed is not None) == name.endswith(".gz")


def test_void_is_negotiated(client: FlaskClient) -> None:
    for media_type in media.DOCUMENT_TYPES:
        response = client.get("/.well-known/void", headers={"Accept": media_type.mime})
        assert response.status_code == 200
        assert response.mimetype == media_type.mime
        assert response.headers["Content-Location"] == f"/.well-known/void.{media_type.extension}"
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


def test_a_graph_states_its_own_licence(tmp_path: Path, make_app) -> None:
    noncommercial = "https://creativecommons.org/licenses/by-nc/4.0/"
    graph = iris.user_graph_iri("eto.ttl")
    data = tmp_path / "eto.ttl"
    data.write_text(
        f"<{graph}> <http://purl.org/dc/terms/license> <{noncommercial}> .\n"
        '<http://example.org/chip> <http://www.w3.org/2000/01/rdf-schema#label> "chip" .\n'
    )
    client = make_app(data_files=[str(data)]).test_client()
    void = parse(client.get("/.well-known/void.ttl").data, "text/turtle")
    assert void.value(rdflib.URIRef(graph), rdflib.DCTERMS.license) == rdflib.URIRef(noncommercial)
    assert void.value(DATASET, rdflib.DCTERMS.license) == rdflib.URIRef(iris.LICENSE_IRI)
    own = {str(url) for url in void.objects(rdflib.URIRef(graph), VOID.dataDump)}
    plain = next(url for url in own if url.endswith(".nt"))
    assert own == {plain, plain + ".gz"}
    dump = client.get(plain[len(iris.CANONICAL_BASE) - 1 :], buffered=True)
    assert b"<http://example.org/chip>" in dump.data


# --- export ---------------------------------------------------------------------------------------


def test_export_writes_the_served_files(
    tmp_path: Path, dump_bodies: dict[str, bytes], capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "export"
    assert cli.main(["export", "--out", str(out)]) == 0
    # Another load of the same data, with other blank node labels: the same bytes.
    for name, body in dump_bodies.items():
        assert (out / name).read_bytes() == body, name
    sums = (out / CHECKSUMS_NAME).read_text()
    assert all(name in sums for name in dump_bodies)
    void = rdflib.Graph().parse(out / VOID_NAME, format="turtle")
    assert (DATASET, rdflib.RDF.type, VOID.Dataset) in void
    assert str(out / VOID_NAME) in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*dump_bodies, CHECKSUMS_NAME, VOID_NAME]
    )


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
