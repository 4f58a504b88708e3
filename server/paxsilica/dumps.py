"""Dumps of the whole dataset, and its VoID and DCAT description.

One function, :func:`build_dumps`, makes the dump files; the server builds them once, on
first demand, and serves them from memory under /dumps/, and ``paxsilica export`` writes the
same bytes to a directory. The N-Quads and TriG dumps keep the named graphs; the Turtle,
N-Triples, RDF/XML and JSON-LD dumps hold the merged graph. The graphs licensed apart (the
ETO-derived data, CC BY-NC 4.0, see paxsilica.licences) have dump files of their own.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request

from paxsilica import iris, licences, media, pages
from paxsilica.app import EXTENSION_KEY
from paxsilica.config import Settings
from paxsilica.documents import (
    DOCUMENTS_KEY,
    RDF_TYPE,
    Document,
    Documents,
    serialize,
    triple_order,
    vocabulary_term,
)
from paxsilica.linkeddata import answer_document
from paxsilica.store import build_store

blueprint = Blueprint("dumps", __name__)

DUMPS_KEY = "paxsilica.dumps"
DUMP_STEM = "pax-silica"
CHECKSUMS_NAME = "SHA256SUMS"
VOID_NAME = "void.ttl"
MEDIA_TYPE_BASE = "https://www.iana.org/assignments/media-types/"

XSD = iris.KNOWN_VOCABULARIES["xsd"]


@dataclass(frozen=True)
class DumpFile:
    """One dump: its file name, format, bytes and SHA-256 checksum."""

    name: str
    media_type: media.MediaType
    body: bytes
    sha256: str
    licence: str = iris.LICENSE_IRI

    @property
    def size(self) -> int:
        """The size in bytes."""
        return len(self.body)


def _dump(
    name: str, media_type: media.MediaType, body: bytes, licence: str = iris.LICENSE_IRI
) -> DumpFile:
    return DumpFile(name, media_type, body, hashlib.sha256(body).hexdigest(), licence)


def dataset_quads(store: ox.Store) -> list[ox.Quad]:
    """Return every quad of the store's named graphs, blank nodes canonically named, in order.

    Canonical blank node names (RDFC-1.0 style) make the dumps, and so their checksums, the
    same bytes every time the same data is loaded, in the server and in ``paxsilica export``.
    """
    dataset = ox.Dataset(q for q in store if isinstance(q.graph_name, ox.NamedNode))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return sorted(
        dataset,
        key=lambda q: (q.graph_name.value, q.subject.value, q.predicate.value, str(q.object)),
    )


def build_dumps(store: ox.Store, prefixes: dict[str, str], context: dict) -> list[DumpFile]:
    """Return the dump files, one per offered format: the project's own graphs, then apart.

    The graphs licensed apart go to their own files under their own licence, so that the
    project's dumps stay CC BY 4.0 whole.
    """
    quads = dataset_quads(store)
    own = [q for q in quads if not licences.licensed_apart(q.graph_name)]
    apart = [q for q in quads if licences.licensed_apart(q.graph_name)]
    dumps = _dumps_of(own, DUMP_STEM, iris.LICENSE_IRI, prefixes, context)
    if apart:
        dumps += _dumps_of(apart, licences.APART_DUMP_STEM, licences.CC_BY_NC, prefixes, context)
    return dumps


def _dumps_of(
    quads: list[ox.Quad], stem: str, licence: str, prefixes: dict[str, str], context: dict
) -> list[DumpFile]:
    dumps = [
        _dump(
            f"{stem}.{t.extension}",
            t,
            ox.serialize(quads, format=t.rdf_format, prefixes=prefixes),
            licence,
        )
        for t in media.DATASET_TYPES
    ]
    merged = sorted(
        {q.triple for q in quads},
        key=lambda t: (t.subject.value, t.predicate.value, str(t.object)),
    )
    dumps += [
        _dump(f"{stem}.{t.extension}", t, serialize(merged, t, prefixes, context), licence)
        for t in media.GRAPH_TYPES
    ]
    return dumps


def checksums(dumps: Sequence[DumpFile]) -> bytes:
    """Return the checksums in the format ``sha256sum --check`` reads."""
    return "".join(f"{d.sha256}  {d.name}\n" for d in dumps).encode()


# --- VoID and DCAT ----------------------------------------------------------------------------

_STATISTICS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { ?s ?p ?o }
"""
_CLASS_PARTITIONS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s a ?class }
GROUP BY ?class ORDER BY ?class
"""
_PROPERTY_PARTITIONS = """
SELECT ?property (COUNT(*) AS ?triples) WHERE { ?s ?property ?o }
GROUP BY ?property ORDER BY ?property
"""
_ENTITIES = """
SELECT (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s ?p ?o . FILTER(STRSTARTS(STR(?s), %s)) }
"""
_MODIFIED = "SELECT (MAX(?date) AS ?modified) WHERE { ?thing dcterms:modified ?date }"
_SOURCES = "SELECT DISTINCT ?source WHERE { ?source a ps:Source } ORDER BY ?source"


def void_triples(
    store: ox.Store, docs: Documents, dumps: Sequence[DumpFile], public_base: str
) -> list[ox.Triple]:
    """Return the VoID and DCAT description of the dataset and its dumps."""
    rewriter = iris.BaseRewriter(public_base)
    graphs = sorted((g for g in store.named_graphs()), key=lambda g: g.value)
    dataset = ox.NamedNode(rewriter.to_public(iris.DATASET_IRI))
    description = ox.NamedNode(rewriter.to_public(iris.VOID_IRI))
    entity_space = rewriter.to_public(iris.ENTITY_BASE)

    graph_sizes = {
        graph: sum(1 for _ in store.quads_for_pattern(None, None, None, graph)) for graph in graphs
    }

    def v(prefix: str, local: str) -> ox.NamedNode:
        return vocabulary_term(prefix, local)

    def number(value: int, datatype: str = "integer") -> ox.Literal:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))

    def select(query: str) -> list:
        return list(store.query(query, prefixes=docs.prefixes, default_graph=list(graphs)))

    out: list[ox.Triple] = []

    def add(s, p, o) -> None:
        out.append(ox.Triple(s, p, o))

    add(description, RDF_TYPE, v("void", "DatasetDescription"))
    add(description, v("foaf", "primaryTopic"), dataset)
    add(
        description,
        v("dcterms", "title"),
        ox.Literal("VoID description of Pax Silica Linked Data", language="en"),
    )
    add(
        description,
        v("dcterms", "title"),
        ox.Literal("Description VoID de Pax Silica en données liées", language="fr"),
    )

    add(dataset, RDF_TYPE, v("void", "Dataset"))
    add(dataset, RDF_TYPE, v("dcat", "Dataset"))
    add(dataset, v("rdfs", "label"), ox.Literal("Pax Silica Linked Data", language="en"))
    add(dataset, v("rdfs", "label"), ox.Literal("Pax Silica en données liées", language="fr"))
    add(dataset, v("dcterms", "title"), ox.Literal("Pax Silica Linked Data", language="en"))
    add(dataset, v("dcterms", "title"), ox.Literal("Pax Silica en données liées", language="fr"))
    add(
        dataset,
        v("dcterms", "description"),
        ox.Literal(
            "A knowledge graph of the Pax Silica technology bloc: its members and memberships, "
            "declaration and commitments, the technologies it covers and who supplies them, "
            "the export controls it reacts to, and the sources behind every fact.",
            language="en",
        ),
    )
    add(
        dataset,
        v("dcterms", "description"),
        ox.Literal(
            "Un graphe de connaissances du bloc technologique Pax Silica : ses membres et "
            "adhésions, sa déclaration et ses engagements, les technologies qu'il couvre et "
            "leurs fournisseurs, les contrôles à l'exportation auxquels il répond, et les "
            "sources de chaque fait.",
            language="fr",
        ),
    )
    add(dataset, v("dcterms", "license"), ox.NamedNode(docs.license_iri))
    if any(licences.licensed_apart(g) for g in graphs):
        # The dataset mixes licences: its own data's, and the subsets licensed apart.
        for lang, notice in licences.NOTICE.items():
            add(dataset, v("dcterms", "rights"), ox.Literal(notice, language=lang))
    modified = select(_MODIFIED)
    modified_value = modified[0]["modified"] if modified else None
    add(
        dataset,
        v("dcterms", "modified"),
        modified_value
        if isinstance(modified_value, ox.Literal)
        else ox.Literal(datetime.date.today().isoformat(), datatype=ox.NamedNode(XSD + "date")),
    )
    add(dataset, v("foaf", "homepage"), ox.NamedNode(public_base))
    add(dataset, v("dcat", "landingPage"), ox.NamedNode(public_base))
    add(dataset, v("void", "uriSpace"), ox.Literal(entity_space))
    add(dataset, v("void", "vocabulary"), ox.NamedNode(rewriter.to_public(iris.ONTOLOGY_IRI)))
    add(
        dataset,
        v("void", "sparqlEndpoint"),
        ox.NamedNode(rewriter.to_public(iris.SPARQL_ENDPOINT_IRI)),
    )
    add(dataset, v("void", "feature"), ox.NamedNode("http://www.w3.org/ns/formats/N-Quads"))

    statistics = select(_STATISTICS)[0]
    add(
        dataset,
        v("void", "triples"),
        number(sum(graph_sizes.values())),
    )
    add(dataset, v("void", "distinctSubjects"), number(int(statistics["subjects"].value)))
    add(dataset, v("void", "distinctObjects"), number(int(statistics["objects"].value)))
    entities = select(_ENTITIES % ox.Literal(entity_space))[0]
    add(dataset, v("void", "entities"), number(int(entities["entities"].value)))

    classes = select(_CLASS_PARTITIONS)
    properties = select(_PROPERTY_PARTITIONS)
    add(dataset, v("void", "classes"), number(len(classes)))
    add(dataset, v("void", "properties"), number(len(properties)))
    for i, row in enumerate(classes):
        partition = ox.BlankNode(f"class-partition-{i}")
        add(dataset, v("void", "classPartition"), partition)
        add(partition, v("void", "class"), row["class"])
        add(partition, v("void", "entities"), number(int(row["entities"].value)))
    for i, row in enumerate(properties):
        partition = ox.BlankNode(f"property-partition-{i}")
        add(dataset, v("void", "propertyPartition"), partition)
        add(partition, v("void", "property"), row["property"])
        add(partition, v("void", "triples"), number(int(row["triples"].value)))

    for graph, count in graph_sizes.items():
        add(dataset, v("void", "subset"), graph)
        add(graph, RDF_TYPE, v("void", "Dataset"))
        add(graph, v("void", "triples"), number(count))
        add(
            graph,
            v("dcterms", "license"),
            ox.NamedNode(licences.graph_licence(graph, docs.license_iri)),
        )
        if licences.licensed_apart(graph):
            for lang, notice in licences.NOTICE.items():
                add(graph, v("dcterms", "rights"), ox.Literal(notice, language=lang))

    dumps_base = rewriter.to_public(iris.DUMPS_BASE)
    for dump in dumps:
        url = ox.NamedNode(dumps_base + dump.name)
        add(dataset, v("void", "dataDump"), url)
        distribution = ox.BlankNode(f"distribution-{dump.name.replace('.', '-')}")
        checksum = ox.BlankNode(f"checksum-{dump.name.replace('.', '-')}")
        add(dataset, v("dcat", "distribution"), distribution)
        add(distribution, RDF_TYPE, v("dcat", "Distribution"))
        add(
            distribution,
            v("dcterms", "title"),
            ox.Literal(f"{dump.media_type.label} dump", language="en"),
        )
        add(distribution, v("dcat", "downloadURL"), url)
        add(distribution, v("dcterms", "license"), ox.NamedNode(dump.licence))
        add(
            distribution,
            v("dcat", "mediaType"),
            ox.NamedNode(MEDIA_TYPE_BASE + dump.media_type.mime),
        )
        add(distribution, v("dcat", "byteSize"), number(dump.size, "nonNegativeInteger"))
        add(distribution, v("spdx", "checksum"), checksum)
        add(checksum, RDF_TYPE, v("spdx", "Checksum"))
        add(checksum, v("spdx", "algorithm"), v("spdx", "checksumAlgorithm_sha256"))
        add(
            checksum,
            v("spdx", "checksumValue"),
            ox.Literal(dump.sha256, datatype=ox.NamedNode(XSD + "hexBinary")),
        )

    for row in select(_SOURCES):
        add(dataset, v("dcterms", "source"), row["source"])
    return out


# --- the dumps one application serves ------------------------------------------------------------


class Dumps:
    """The dumps and VoID description of one application, built on first demand."""

    def __init__(self, docs: Documents, settings: Settings):
        self.docs = docs
        self.settings = settings
        self._lock = threading.Lock()
        self._files: dict[str, DumpFile] | None = None
        self._void: Document | None = None

    def files(self) -> dict[str, DumpFile]:
        """The dump files by name, built once."""
        with self._lock:
            if self._files is None:
                dumps = build_dumps(self.docs.store, self.docs.prefixes, self.docs.context)
                self._files = {d.name: d for d in dumps}
            return self._files

    def void(self) -> Document:
        """The VoID and DCAT description as a document about the dataset."""
        files = self.files()
        with self._lock:
            if self._void is None:
                triples = void_triples(
                    self.docs.store, self.docs, list(files.values()), self.settings.base_iri
                )
                rewriter = self.settings.rewriter
                topic = rewriter.to_public(iris.DATASET_IRI)
                self._void = Document(
                    rewriter.to_public(iris.VOID_IRI),
                    topic,
                    tuple(sorted(triples, key=triple_order(topic))),
                )
            return self._void


def dumps() -> Dumps:
    """Return the dumps of the current application."""
    return current_app.extensions[DUMPS_KEY]


def export(settings: Settings, out_dir: Path | str) -> list[Path]:
    """Write the dumps, their checksums and the VoID description to a directory.

    Everything is built in memory first and each file is written to a temporary name and
    renamed, so that a failure leaves no half-written file behind.
    """
    store = build_store(settings.data_files, rewriter=settings.rewriter)
    docs = Documents(store, settings)
    server_dumps = Dumps(docs, settings)
    files = list(server_dumps.files().values())
    void = server_dumps.void()
    outputs: list[tuple[str, bytes]] = [(d.name, d.body) for d in files]
    outputs.append((CHECKSUMS_NAME, checksums(files)))
    outputs.append((VOID_NAME, docs.render(void, media.TURTLE).body))
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in outputs:
        target = directory / name
        temporary = directory / f".{name}.partial"
        temporary.write_bytes(body)
        os.replace(temporary, target)
        written.append(target)
    return written


# --- routes -----------------------------------------------------------------------------------


@blueprint.route("/dumps/")
def index() -> Response:
    """The list of dumps, with sizes and checksums."""
    lang = pages.page_language()
    files = list(dumps().files().values())
    body = render_template(
        "dumps.html",
        files=files,
        checksums_name=CHECKSUMS_NAME,
        apart_licence=licences.CC_BY_NC,
        apart_notice=licences.NOTICE[lang],
        **pages.page_context(lang, pages.UI[lang]["dumps"]),
    )
    response = Response(body, content_type=media.HTML.content_type)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.add_etag()
    return response.make_conditional(request)


@blueprint.route("/dumps")
def index_without_slash() -> Response:
    """The list of dumps lives at /dumps/."""
    return Response(status=308, headers={"Location": f"{request.script_root}/dumps/"})


@blueprint.route("/dumps/<name>")
def dump_file(name: str) -> Response:
    """One dump file, or the checksum list."""
    files = dumps().files()
    if name == CHECKSUMS_NAME:
        body, content_type, etag = (
            checksums(list(files.values())),
            media.PLAIN_TEXT.content_type,
            None,
        )
    elif name in files:
        dump = files[name]
        body, content_type, etag = dump.body, dump.media_type.content_type, dump.sha256[:32]
    else:
        abort(404, description=f"no dump named {name!r}; dumps: " + ", ".join(files))
    response = Response(body, content_type=content_type)
    if etag:
        response.set_etag(etag)
    else:
        response.add_etag()
    return response.make_conditional(request)


def _void(extension: str | None) -> Response:
    return answer_document(dumps().void(), "/.well-known/void", extension, pages.render_entity)


@blueprint.route("/.well-known/void")
def void() -> Response:
    """The VoID and DCAT description of the dataset, in the negotiated format."""
    return _void(None)


@blueprint.route("/.well-known/void.<extension>")
def void_file(extension: str) -> Response:
    """The VoID description in the format its extension names."""
    return _void(extension)


def install(app) -> None:
    """Register the dumps and the dataset description on an application."""
    settings = app.extensions[EXTENSION_KEY].settings
    app.extensions.setdefault(DUMPS_KEY, Dumps(app.extensions[DOCUMENTS_KEY], settings))
    app.register_blueprint(blueprint)


__all__ = ["DumpFile", "Dumps", "build_dumps", "checksums", "export", "void_triples"]
