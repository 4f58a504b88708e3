"""The dataset's description in VoID and DCAT: what it is, its size and parts, its dumps."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyoxigraph as ox

from paxsilica import bundle, iris
from paxsilica.rdf.terms import RDF_TYPE, vocabulary_term

if TYPE_CHECKING:
    from paxsilica.publish.documents import Documents
    from paxsilica.publish.dumps import DumpFile

MEDIA_TYPE_BASE = "https://www.iana.org/assignments/media-types/"
XSD = iris.KNOWN_VOCABULARIES["xsd"]

_STATISTICS = """
SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }
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

TITLE = {"en": "Pax Silica Linked Data", "fr": "Pax Silica en données liées"}
DESCRIPTION_TITLE = {
    "en": "VoID description of Pax Silica Linked Data",
    "fr": "Description VoID de Pax Silica en données liées",
}
DESCRIPTION = {
    "en": "A knowledge graph of the Pax Silica technology bloc: its members and memberships, "
    "declaration and commitments, the technologies it covers and who supplies them, the export "
    "controls it reacts to, and the sources behind every fact.",
    "fr": "Un graphe de connaissances du bloc technologique Pax Silica : ses membres et "
    "adhésions, sa déclaration et ses engagements, les technologies qu'il couvre et leurs "
    "fournisseurs, les contrôles à l'exportation auxquels il répond, et les sources de chaque "
    "fait.",
}


def v(prefix: str, local: str) -> ox.NamedNode:
    """Return a vocabulary term, e.g. ``void`` and ``triples``."""
    return vocabulary_term(prefix, local)


def number(value: int, datatype: str = "integer") -> ox.Literal:
    """Return a count as a typed literal."""
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


class _Description:
    """The triples of a description being written, and the store they are read from."""

    def __init__(self, docs: Documents):
        self.docs = docs
        self.site = docs.site
        self.graphs = sorted(docs.store.named_graphs(), key=lambda g: g.value)
        self.sizes = {
            graph: sum(1 for _ in docs.store.quads_for_pattern(None, None, None, graph))
            for graph in self.graphs
        }
        self.dataset = ox.NamedNode(self.site.dataset_iri)
        self.triples: list[ox.Triple] = []

    def add(self, subject, predicate, obj) -> None:
        self.triples.append(ox.Triple(subject, predicate, obj))

    def about_dataset(self, predicate: ox.NamedNode, obj) -> None:
        self.add(self.dataset, predicate, obj)

    def texts(self, subject, predicate: ox.NamedNode, texts: dict[str, str]) -> None:
        for language, text in texts.items():
            self.add(subject, predicate, ox.Literal(text, language=language))

    def select(self, query: str) -> list:
        store = self.docs.store
        return list(store.query(query, prefixes=self.docs.prefixes, default_graph=self.graphs))


def void_triples(docs: Documents, dumps: Sequence[DumpFile]) -> list[ox.Triple]:
    """Return the VoID and DCAT description of the dataset and its dumps."""
    out = _Description(docs)
    _describe_description(out)
    _describe_dataset(out)
    _count(out)
    _partitions(out)
    _subsets(out)
    for dump in dumps:
        _distribution(out, dump)
    for row in out.select(_SOURCES):
        out.about_dataset(v("dcterms", "source"), row["source"])
    return out.triples


def _describe_description(out: _Description) -> None:
    description = ox.NamedNode(out.site.void_iri)
    out.add(description, RDF_TYPE, v("void", "DatasetDescription"))
    out.add(description, v("foaf", "primaryTopic"), out.dataset)
    out.texts(description, v("dcterms", "title"), DESCRIPTION_TITLE)


def _modified(out: _Description) -> ox.Literal:
    rows = out.select(_MODIFIED)
    modified = rows[0]["modified"] if rows else None
    if isinstance(modified, ox.Literal):
        return modified
    return ox.Literal(datetime.date.today().isoformat(), datatype=ox.NamedNode(XSD + "date"))


def _describe_dataset(out: _Description) -> None:
    site = out.site
    out.about_dataset(RDF_TYPE, v("void", "Dataset"))
    out.about_dataset(RDF_TYPE, v("dcat", "Dataset"))
    out.texts(out.dataset, v("rdfs", "label"), TITLE)
    out.texts(out.dataset, v("dcterms", "title"), TITLE)
    out.texts(out.dataset, v("dcterms", "description"), DESCRIPTION)
    out.about_dataset(v("dcterms", "license"), ox.NamedNode(out.docs.license_iri))
    if any(bundle.licensed_apart(g) for g in out.graphs):
        # The dataset mixes licences: its own data's, and the subsets licensed apart.
        out.texts(out.dataset, v("dcterms", "rights"), bundle.NOTICE)
    out.about_dataset(v("dcterms", "modified"), _modified(out))
    out.about_dataset(v("foaf", "homepage"), ox.NamedNode(site.public_base))
    out.about_dataset(v("dcat", "landingPage"), ox.NamedNode(site.public_base))
    out.about_dataset(v("void", "uriSpace"), ox.Literal(site.entity_base))
    out.about_dataset(v("void", "vocabulary"), ox.NamedNode(site.ontology_iri))
    out.about_dataset(v("void", "sparqlEndpoint"), ox.NamedNode(site.sparql_endpoint))
    out.about_dataset(v("void", "feature"), ox.NamedNode("http://www.w3.org/ns/formats/N-Quads"))


def _count(out: _Description) -> None:
    statistics = out.select(_STATISTICS)[0]
    entities = out.select(_ENTITIES % ox.Literal(out.site.entity_base))[0]
    total = sum(out.sizes.values())
    out.about_dataset(v("void", "triples"), number(total))
    out.about_dataset(v("void", "distinctSubjects"), number(int(statistics["subjects"].value)))
    out.about_dataset(v("void", "distinctObjects"), number(int(statistics["objects"].value)))
    out.about_dataset(v("void", "entities"), number(int(entities["entities"].value)))


def _partitions(out: _Description) -> None:
    classes = out.select(_CLASS_PARTITIONS)
    properties = out.select(_PROPERTY_PARTITIONS)
    out.about_dataset(v("void", "classes"), number(len(classes)))
    out.about_dataset(v("void", "properties"), number(len(properties)))
    for i, row in enumerate(classes):
        partition = ox.BlankNode(f"class-partition-{i}")
        out.about_dataset(v("void", "classPartition"), partition)
        out.add(partition, v("void", "class"), row["class"])
        out.add(partition, v("void", "entities"), number(int(row["entities"].value)))
    for i, row in enumerate(properties):
        partition = ox.BlankNode(f"property-partition-{i}")
        out.about_dataset(v("void", "propertyPartition"), partition)
        out.add(partition, v("void", "property"), row["property"])
        out.add(partition, v("void", "triples"), number(int(row["triples"].value)))


def _subsets(out: _Description) -> None:
    for graph in out.graphs:
        out.about_dataset(v("void", "subset"), graph)
        out.add(graph, RDF_TYPE, v("void", "Dataset"))
        out.add(graph, v("void", "triples"), number(out.sizes[graph]))
        licence = bundle.graph_licence(graph, out.docs.license_iri)
        out.add(graph, v("dcterms", "license"), ox.NamedNode(licence))
        if bundle.licensed_apart(graph):
            out.texts(graph, v("dcterms", "rights"), bundle.NOTICE)


def _distribution(out: _Description, dump: DumpFile) -> None:
    url = ox.NamedNode(out.site.dumps_base + dump.name)
    key = dump.name.replace(".", "-")
    distribution = ox.BlankNode(f"distribution-{key}")
    checksum = ox.BlankNode(f"checksum-{key}")
    out.about_dataset(v("void", "dataDump"), url)
    out.about_dataset(v("dcat", "distribution"), distribution)
    out.add(distribution, RDF_TYPE, v("dcat", "Distribution"))
    out.texts(distribution, v("dcterms", "title"), {"en": f"{dump.media_type.label} dump"})
    out.add(distribution, v("dcat", "downloadURL"), url)
    out.add(distribution, v("dcterms", "license"), ox.NamedNode(dump.licence))
    media_type = ox.NamedNode(MEDIA_TYPE_BASE + dump.media_type.mime)
    out.add(distribution, v("dcat", "mediaType"), media_type)
    out.add(distribution, v("dcat", "byteSize"), number(dump.size, "nonNegativeInteger"))
    out.add(distribution, v("spdx", "checksum"), checksum)
    out.add(checksum, RDF_TYPE, v("spdx", "Checksum"))
    out.add(checksum, v("spdx", "algorithm"), v("spdx", "checksumAlgorithm_sha256"))
    out.add(
        checksum,
        v("spdx", "checksumValue"),
        ox.Literal(dump.sha256, datatype=ox.NamedNode(XSD + "hexBinary")),
    )
