"""Helpers for the publication tests: the fixture data, the expected documents, a live server.

The expected document of an entity is computed here in plain Python over rdflib graphs, from
the rules the documents follow, independently of the SPARQL the server runs.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS

from paxsilica import iris
from process_support import free_port, process_stats, stop

FIXTURE = Path(__file__).parent / "fixtures" / "publication.ttl"

SKOS = rdflib.Namespace(iris.KNOWN_VOCABULARIES["skos"])
FOAF = rdflib.Namespace(iris.KNOWN_VOCABULARIES["foaf"])
DCTERMS = rdflib.Namespace(iris.KNOWN_VOCABULARIES["dcterms"])
SCHEMA = rdflib.Namespace(iris.KNOWN_VOCABULARIES["schema"])
VOID = rdflib.Namespace(iris.KNOWN_VOCABULARIES["void"])
ORG = rdflib.Namespace(iris.KNOWN_VOCABULARIES["org"])

# What a document tells about each thing it mentions: its names and, for sources, the address.
SUMMARY = (RDFS.label, SKOS.prefLabel, FOAF.name, DCTERMS.title, SCHEMA.url)


def published_union(store: ox.Store, public_base: str = iris.CANONICAL_BASE) -> rdflib.Graph:
    """Return the merged graph of every named graph but the shapes, parsed by rdflib.

    One N-Triples document for all graphs, so a blank node that two graphs share (the
    inferred graph types the instances' blank nodes) stays one node.
    """
    shapes = ox.NamedNode(iris.Site(public_base).graph(iris.GRAPH_SHAPES))
    triples = [
        quad.triple
        for quad in store
        if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name != shapes
    ]
    union = rdflib.Graph()
    union.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return union


def nary_classes(union: rdflib.Graph, public_base: str) -> set[rdflib.URIRef]:
    """The classes of n-ary facts, whose facts a document includes whole, with subclasses."""
    ps = rdflib.Namespace(iris.Site(public_base).ontology_ns)
    nary = {
        ps.Membership,
        ps.Participation,
        ps.SupplyLink,
        ps.Provision,
        ps.WorldTotal,
        ps.StatusAssessment,
        ps.Claim,
        ORG.Membership,
    }
    changed = True
    while changed:
        changed = False
        for sub, _, sup in union.triples((None, RDFS.subClassOf, None)):
            if sup in nary and sub not in nary:
                nary.add(sub)
                changed = True
    return nary


def expected_document(
    union: rdflib.Graph,
    topic: str,
    public_base: str = iris.CANONICAL_BASE,
    license_iri: str = iris.LICENSE_IRI,
) -> rdflib.Graph:
    """Return the document about ``topic`` as the rules define it."""
    subject = rdflib.URIRef(topic)
    nary = nary_classes(union, public_base)
    out = rdflib.Graph()
    for triple in union.triples((subject, None, None)):
        out.add(triple)
    for s, p, o in union.triples((None, None, subject)):
        out.add((s, p, o))
        if any(kind in nary for kind in union.objects(s, RDF.type)):
            for triple in union.triples((s, None, None)):
                out.add(triple)
    described: set = set()
    while True:
        pending = {
            term
            for triple in out
            for term in (triple[0], triple[2])
            if isinstance(term, rdflib.BNode) and term not in described
        }
        if not pending:
            break
        for node in pending:
            described.add(node)
            for triple in union.triples((node, None, None)):
                out.add(triple)
    mentioned = {
        term
        for s, _, o in out
        for term in (s, o)
        if isinstance(term, rdflib.URIRef) and term != subject
    }
    for thing in mentioned:
        for predicate in SUMMARY:
            for value in union.objects(thing, predicate):
                out.add((thing, predicate, value))
    if len(out):
        document = rdflib.URIRef(iris.Site(public_base).document_for(topic))
        out.add((document, RDF.type, FOAF.Document))
        out.add((document, FOAF.primaryTopic, subject))
        out.add((document, DCTERMS.license, rdflib.URIRef(license_iri)))
        out.add((document, VOID.inDataset, rdflib.URIRef(iris.Site(public_base).dataset_iri)))
    return out


RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


def parse(body: bytes, mime: str) -> rdflib.Graph:
    """Parse a response body of an RDF media type with rdflib (never fetching anything)."""
    mime = mime.split(";")[0].strip()
    if mime == "application/ld+json":
        # rdflib's JSON-LD parser warns about its own deprecated classes; pyoxigraph's parser
        # reads it (an embedded context only: it is given no way to fetch one).
        triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.JSON_LD)]
        body, mime = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), "application/n-triples"
    graph = rdflib.Graph()
    graph.parse(data=body, format=RDFLIB_FORMATS[mime])
    return graph


# --- a live server --------------------------------------------------------------------


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Poll a URL until it answers; raise if the process dies or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not answer {url} within {timeout} s")


def wait_until_published(base: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Poll the VoID until it answers 200 (not 503: being built); raise if the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(base + ".well-known/void.nt", timeout=5):
                return
        except urllib.error.HTTPError as error:
            if error.code != 503:
                raise RuntimeError(f"the VoID answered {error.code}") from None
        time.sleep(0.1)
    raise RuntimeError(f"the dumps of {base} were not built within {timeout} s")


@contextlib.contextmanager
def live_server(
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    workers: int = 2,
    published: bool = True,
) -> Iterator[str]:
    """Run ``paxsilica serve`` on 127.0.0.1 with --base-iri its own address.

    ``workers`` is its number of query slots and of document slots. With ``published`` it
    yields once the dumps and the VoID (built in the background after start-up) are ready,
    so that the building process neither shows among the server's nor competes for the CPU.

    The port is PAXSILICA_PORT from ``env`` when given there (and then not passed as an
    option), else a free one. Yields the base URL; the server is stopped on exit.
    """
    env = env or {}
    port_option: list[str] = []
    if "PAXSILICA_PORT" in env:
        port = int(env["PAXSILICA_PORT"])
    else:
        port = free_port()
        port_option = ["--port", str(port)]
    base = f"http://127.0.0.1:{port}/"
    command = [
        sys.executable, "-m", "paxsilica", "serve",
        "--host", "127.0.0.1", *port_option,
        "--query-slots", str(workers), "--document-slots", str(workers),
        "--base-iri", base, *extra_args,
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            try:
                wait_until_up(base + "ontology.ttl", process)
                if published:
                    wait_until_published(base, process)
            except RuntimeError as error:
                log.seek(0)
                raise RuntimeError(
                    f"{error}; its log:\n{log.read().decode(errors='replace')}"
                ) from None
            yield base
        finally:
            stop(process)


def server_processes(base: str) -> set[int]:
    """The live processes of the server live_server started for base: its event loop and the
    slots forked from it.

    They all carry the command line of ``paxsilica serve``, with base as its --base-iri.
    """
    wanted = base.encode()
    found = set()
    for pid in process_stats():
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in arguments and wanted in arguments:
            found.add(pid)
    return found
