"""Ontology checks: SPARQL queries under tests/ontology_checks/ that must return no row."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, Graph, URIRef

from paxsilica import iris, paths
from sparql_results import TESTS_DIR, run_select

CHECKS = sorted((TESTS_DIR / "ontology_checks").glob("*.rq"))


@pytest.mark.parametrize("check", CHECKS, ids=[check.stem for check in CHECKS])
def test_check_returns_no_row(bundled_store: ox.Store, check: Path) -> None:
    _, rows = run_select(bundled_store, check.read_text(encoding="utf-8"))
    assert rows == [], f"{check.name} found:\n" + "\n".join(map(str, rows))


@pytest.mark.parametrize("check", CHECKS, ids=[check.stem for check in CHECKS])
def test_check_catches_a_planted_fault(check: Path) -> None:
    """Each check fires on data made to break it, so a silent check cannot pass for a good one."""
    store = ox.Store()
    ontology = ox.NamedNode(iris.GRAPH_ONTOLOGY)
    instances = ox.NamedNode(iris.GRAPH_INSTANCES)
    for path in paths.ontology_files():
        store.load(path=str(path), to_graph=ontology)
    faults = {
        "terms-without-bilingual-labels": (ontology, "ps:Orphan a owl:Class ."),
        "terms-without-bilingual-definitions": (
            ontology,
            'ps:Orphan a owl:Class ; rdfs:label "x"@en .',
        ),
        "properties-without-domain-or-range": (ontology, "ps:loose a owl:ObjectProperty ."),
        "undeclared-terms": (instances, "<https://w3id.org/pax-silica/id/x/1> ps:undeclared 1 ."),
        "vocabulary-terms-outside-known-vocabularies": (
            instances,
            "<https://w3id.org/pax-silica/id/x/1> <http://example.org/p> 1 .",
        ),
        "same-as-outside-wikidata": (
            instances,
            "<https://w3id.org/pax-silica/id/x/1> owl:sameAs <http://dbpedia.org/resource/Japan> .",
        ),
        "entities-without-bilingual-labels": (
            instances,
            '<https://w3id.org/pax-silica/id/x/1> a ps:State ; rdfs:label "Only English"@en .',
        ),
        "entities-outside-the-entity-space": (
            instances,
            '<http://example.org/thing> rdfs:label "x"@en .',
        ),
    }
    graph, turtle = faults[check.stem]
    prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in iris.PREFIXES.items())
    store.load(prefixes + turtle, format=ox.RdfFormat.TURTLE, to_graph=graph)
    _, rows = run_select(store, check.read_text(encoding="utf-8"))
    assert rows, f"{check.name} did not catch: {turtle}"


def test_every_check_has_a_planted_fault() -> None:
    assert {check.stem for check in CHECKS} >= {
        "terms-without-bilingual-labels",
        "undeclared-terms",
        "terms-without-bilingual-definitions",
        "vocabulary-terms-outside-known-vocabularies",
    }


def test_ontology_header_is_complete() -> None:
    graph = Graph()
    for path in paths.ontology_files():
        graph.parse(path)
    ontology = URIRef(iris.ONTOLOGY_IRI)
    assert (ontology, RDF.type, OWL.Ontology) in graph
    dcterms = "http://purl.org/dc/terms/"
    for predicate in (
        str(OWL.versionIRI),
        str(OWL.versionInfo),
        dcterms + "license",
        dcterms + "creator",
        dcterms + "created",
        dcterms + "modified",
    ):
        assert graph.value(ontology, URIRef(predicate)) is not None, predicate
    for predicate in ("title", "description"):
        languages = {o.language for o in graph.objects(ontology, URIRef(dcterms + predicate))}
        assert {"en", "fr"} <= languages, predicate


def test_quotations_of_the_seed_article_are_verbatim(bundled_store: ox.Store) -> None:
    """Each commitment's French text, and each quotation in a claim of the seed article, stands
    word for word in the seed article."""
    seed = paths.DATA_ROOT.parent / "shared" / "sources" / "pax-silica-article-fr.txt"
    if not seed.exists():
        pytest.skip(f"the seed article is not beside the checkout ({seed})")
    article = seed.read_text(encoding="utf-8")
    _, rows = run_select(
        bundled_store,
        "PREFIX ps: <https://w3id.org/pax-silica/ontology#> "
        "SELECT ?quoting ?text WHERE { ?quoting ps:quotedText ?text . "
        "{ ?quoting a ps:Commitment } UNION "
        "{ ?quoting ps:claimedBy <https://w3id.org/pax-silica/id/source/seed-article> } }",
    )
    assert len(rows) == 13
    for quoting, text in rows:
        assert text in article, quoting
