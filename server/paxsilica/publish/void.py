"""The dataset's description in VoID and DCAT: what it is, its size and parts, its dumps.

Written once per dataset version, from the statistics and the dumps of the same build
(paxsilica.publish.publication): serving it reads no more than a file.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from paxsilica import bundle, iris
from paxsilica.publish.dumps import GZIP_TYPE, VARIANTS, DumpFile, Variant
from paxsilica.publish.statistics import Statistics
from paxsilica.rdf.readable import ReadableStore
from paxsilica.rdf.terms import RDF_TYPE, vocabulary_term

MEDIA_TYPE_BASE = "https://www.iana.org/assignments/media-types/"
XSD = iris.KNOWN_VOCABULARIES["xsd"]
DCTERMS_LICENSE = vocabulary_term("dcterms", "license")
DCTERMS_MODIFIED = vocabulary_term("dcterms", "modified")
DCTERMS_RIGHTS = vocabulary_term("dcterms", "rights")
DCTERMS_TITLE = vocabulary_term("dcterms", "title")
# The description names at most this many of the sources (a dataset may cite thousands); all
# of them are listed, page by page, by the class index it links to.
MAX_LISTED_SOURCES = 500

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


def stated_license(store: ReadableStore, subject: str) -> str | None:
    """Return the licence the data states for a resource (a dataset, a graph), or None."""
    for quad in store.quads_for_pattern(ox.NamedNode(subject), DCTERMS_LICENSE, None):
        if isinstance(quad.object, ox.NamedNode):
            return quad.object.value
    return None


def dataset_license(store: ReadableStore, site: iris.Site) -> str:
    """The dataset's licence: as the data states it, else the ontology's, else CC BY 4.0."""
    for subject in (site.dataset_iri, site.ontology_iri):
        found = stated_license(store, subject)
        if found is not None:
            return found
    return iris.LICENSE_IRI


def last_modified(store: ReadableStore, default_graph: Sequence[ox.NamedNode]) -> ox.Literal:
    """The latest ``dcterms:modified`` date the data states, else today's date."""
    query = f"SELECT (MAX(?date) AS ?modified) WHERE {{ ?thing {DCTERMS_MODIFIED} ?date }}"
    rows = list(store.query(query, default_graph=list(default_graph)))
    modified = rows[0]["modified"] if rows else None
    if isinstance(modified, ox.Literal):
        return modified
    return ox.Literal(datetime.date.today().isoformat(), datatype=ox.NamedNode(XSD + "date"))


@dataclass(frozen=True)
class DatasetFacts:
    """What the description says besides the statistics and the dumps."""

    license_iri: str
    modified: ox.Literal
    # Each graph's licence (the dataset's when the data states none for the graph).
    graph_licenses: dict[str, str]
    sources: Sequence[str]
    # Where every source is listed (a class index page), or None.
    sources_index: str | None = None


class _Description:
    """The triples of a description being written."""

    def __init__(self, site: iris.Site):
        self.site = site
        self.dataset = ox.NamedNode(site.dataset_iri)
        self.triples: list[ox.Triple] = []

    def add(self, subject, predicate, obj) -> None:
        self.triples.append(ox.Triple(subject, predicate, obj))

    def about_dataset(self, predicate: ox.NamedNode, obj) -> None:
        self.add(self.dataset, predicate, obj)

    def texts(self, subject, predicate: ox.NamedNode, texts: dict[str, str]) -> None:
        for language, text in texts.items():
            self.add(subject, predicate, ox.Literal(text, language=language))


def void_triples(
    site: iris.Site, facts: DatasetFacts, statistics: Statistics, dumps: Sequence[DumpFile]
) -> list[ox.Triple]:
    """Return the VoID and DCAT description of the dataset, its graphs and its dumps."""
    out = _Description(site)
    _describe_description(out)
    _describe_dataset(out, facts)
    _count(out, statistics)
    _partitions(out, statistics)
    _subsets(out, statistics, facts, dumps)
    for each in VARIANTS:
        _variant(out, each, statistics, facts, dumps)
    for source in facts.sources[:MAX_LISTED_SOURCES]:
        out.about_dataset(v("dcterms", "source"), ox.NamedNode(source))
    if facts.sources_index and len(facts.sources) > MAX_LISTED_SOURCES:
        out.about_dataset(v("rdfs", "seeAlso"), ox.NamedNode(facts.sources_index))
    return out.triples


def _describe_description(out: _Description) -> None:
    description = ox.NamedNode(out.site.void_iri)
    out.add(description, RDF_TYPE, v("void", "DatasetDescription"))
    out.add(description, v("foaf", "primaryTopic"), out.dataset)
    out.texts(description, v("dcterms", "title"), DESCRIPTION_TITLE)


def _describe_dataset(out: _Description, facts: DatasetFacts) -> None:
    site = out.site
    out.about_dataset(RDF_TYPE, v("void", "Dataset"))
    out.about_dataset(RDF_TYPE, v("dcat", "Dataset"))
    out.texts(out.dataset, v("rdfs", "label"), TITLE)
    out.texts(out.dataset, v("dcterms", "title"), TITLE)
    out.texts(out.dataset, v("dcterms", "description"), DESCRIPTION)
    out.about_dataset(DCTERMS_LICENSE, ox.NamedNode(facts.license_iri))
    if any(bundle.licensed_apart(g) for g in facts.graph_licenses):
        # The dataset mixes licences: its own data's, and the subsets licensed apart.
        out.texts(out.dataset, DCTERMS_RIGHTS, bundle.NOTICE)
    out.about_dataset(DCTERMS_MODIFIED, facts.modified)
    out.about_dataset(v("foaf", "homepage"), ox.NamedNode(site.public_base))
    out.about_dataset(v("dcat", "landingPage"), ox.NamedNode(site.public_base))
    out.about_dataset(v("void", "uriSpace"), ox.Literal(site.entity_base))
    out.about_dataset(v("void", "vocabulary"), ox.NamedNode(site.ontology_iri))
    out.about_dataset(v("void", "sparqlEndpoint"), ox.NamedNode(site.sparql_endpoint))
    out.about_dataset(v("void", "feature"), ox.NamedNode("http://www.w3.org/ns/formats/N-Quads"))


def _count(out: _Description, statistics: Statistics) -> None:
    out.about_dataset(v("void", "triples"), number(statistics.quads))
    out.about_dataset(v("void", "distinctSubjects"), number(statistics.subjects))
    out.about_dataset(v("void", "distinctObjects"), number(statistics.objects))
    out.about_dataset(v("void", "entities"), number(statistics.entities))


def _partitions(out: _Description, statistics: Statistics) -> None:
    out.about_dataset(v("void", "classes"), number(len(statistics.classes)))
    out.about_dataset(v("void", "properties"), number(len(statistics.properties)))
    for i, (class_iri, entities) in enumerate(statistics.classes.items()):
        partition = ox.BlankNode(f"class-partition-{i}")
        out.about_dataset(v("void", "classPartition"), partition)
        out.add(partition, v("void", "class"), ox.NamedNode(class_iri))
        out.add(partition, v("void", "entities"), number(entities))
    for i, (property_iri, triples) in enumerate(statistics.properties.items()):
        partition = ox.BlankNode(f"property-partition-{i}")
        out.about_dataset(v("void", "propertyPartition"), partition)
        out.add(partition, v("void", "property"), ox.NamedNode(property_iri))
        out.add(partition, v("void", "triples"), number(triples))


def _subsets(
    out: _Description, statistics: Statistics, facts: DatasetFacts, dumps: Sequence[DumpFile]
) -> None:
    for graph_iri, size in statistics.graphs.items():
        graph = ox.NamedNode(graph_iri)
        out.about_dataset(v("void", "subset"), graph)
        out.add(graph, RDF_TYPE, v("void", "Dataset"))
        out.add(graph, v("void", "triples"), number(size))
        out.add(graph, DCTERMS_LICENSE, ox.NamedNode(facts.graph_licenses[graph_iri]))
        if bundle.licensed_apart(graph_iri):
            out.texts(graph, DCTERMS_RIGHTS, bundle.NOTICE)
        for dump in dumps:
            if dump.graph == graph_iri:
                _distribution(out, graph, dump)


def _distribution(out: _Description, dataset: ox.NamedNode, dump: DumpFile) -> None:
    url = ox.NamedNode(out.site.dumps_base + dump.name)
    key = dump.name.replace(".", "-")
    distribution = ox.BlankNode(f"distribution-{key}")
    checksum = ox.BlankNode(f"checksum-{key}")
    out.add(dataset, v("void", "dataDump"), url)
    out.add(dataset, v("dcat", "distribution"), distribution)
    out.add(distribution, RDF_TYPE, v("dcat", "Distribution"))
    out.texts(distribution, DCTERMS_TITLE, _distribution_title(dump))
    out.add(distribution, v("dcat", "downloadURL"), url)
    out.add(distribution, v("dcterms", "license"), ox.NamedNode(dump.licence))
    media_type = ox.NamedNode(MEDIA_TYPE_BASE + dump.media_type.mime)
    out.add(distribution, v("dcat", "mediaType"), media_type)
    if dump.compressed:
        out.add(
            distribution, v("dcat", "compressFormat"), ox.NamedNode(MEDIA_TYPE_BASE + GZIP_TYPE)
        )
    out.add(distribution, v("dcat", "byteSize"), number(dump.size, "nonNegativeInteger"))
    out.add(distribution, v("spdx", "checksum"), checksum)
    out.add(checksum, RDF_TYPE, v("spdx", "Checksum"))
    out.add(checksum, v("spdx", "algorithm"), v("spdx", "checksumAlgorithm_sha256"))
    out.add(
        checksum,
        v("spdx", "checksumValue"),
        ox.Literal(dump.sha256, datatype=ox.NamedNode(XSD + "hexBinary")),
    )


def variant_iri(site: iris.Site, each: Variant) -> ox.NamedNode:
    """The subset a variant's dumps hold: the dataset itself for the whole, else its own."""
    if each.key == VARIANTS[0].key:
        return ox.NamedNode(site.dataset_iri)
    return ox.NamedNode(f"{site.void_iri}#{each.key}")


def _variant(
    out: _Description,
    each: Variant,
    statistics: Statistics,
    facts: DatasetFacts,
    dumps: Sequence[DumpFile],
) -> None:
    """Describe a variant's dumps; a narrower variant as a subset of the dataset."""
    subject = variant_iri(out.site, each)
    graphs = [g for g in statistics.graphs if each.holds(g)]
    if subject != out.dataset:
        out.about_dataset(v("void", "subset"), subject)
        out.add(subject, RDF_TYPE, v("void", "Dataset"))
        out.add(subject, RDF_TYPE, v("dcat", "Dataset"))
        out.texts(subject, DCTERMS_TITLE, _variant_title(each))
        out.add(subject, v("void", "triples"), number(sum(statistics.graphs[g] for g in graphs)))
        out.add(subject, DCTERMS_LICENSE, ox.NamedNode(facts.license_iri))
        if any(bundle.licensed_apart(g) for g in graphs):
            out.texts(subject, DCTERMS_RIGHTS, bundle.NOTICE)
        for graph in graphs:
            out.add(subject, v("dcterms", "hasPart"), ox.NamedNode(graph))
    for dump in dumps:
        if dump.graph is None and dump.variant == each.key:
            _distribution(out, subject, dump)


def _variant_title(each: Variant) -> dict[str, str]:
    start = {"en": "Pax Silica Linked Data: ", "fr": "Pax Silica en données liées : "}
    return {language: start[language] + text for language, text in each.title.items()}


_PART = {
    False: {"en": "CC BY 4.0 part", "fr": "partie CC BY 4.0"},
    True: {
        "en": "the ETO-derived part, CC BY-NC 4.0, not for commercial use",
        "fr": "la partie dérivée d'ETO, CC BY-NC 4.0, pas d'usage commercial",
    },
}
_GRAPH = {"en": "the named graph {graph}", "fr": "le graphe nommé {graph}"}


def _distribution_title(dump: DumpFile) -> dict[str, str]:
    """What a dump holds, in words: its variant (or graph), its part, its format."""
    titles = {}
    for language in ("en", "fr"):
        if dump.variant is None:
            holds = _GRAPH[language].format(graph=dump.graph)
        else:
            each = next(e for e in VARIANTS if e.key == dump.variant)
            holds = f"{each.title[language]}, {_PART[dump.apart][language]}"
        kind = dump.media_type.label + (", gzip" if dump.compressed else "")
        titles[language] = f"{holds} ({kind})"
    return titles
