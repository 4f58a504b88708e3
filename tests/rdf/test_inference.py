"""The inferred graph: what the ontology's definitions entail, materialised for SPARQL users."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from paxsilica import iris, paths
from paxsilica.rdf import inference

PS = iris.ONTOLOGY_NS
INFERRED = ox.NamedNode(iris.GRAPH_INFERRED)


def inferred_types(store: ox.Store, entity: str) -> set[str]:
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return {
        quad.object.value
        for quad in store.quads_for_pattern(ox.NamedNode(entity), rdf_type, None, INFERRED)
    }


def store_with(turtle: str) -> ox.Store:
    store = ox.Store()
    for path in paths.ontology_files():
        store.load(path=str(path), to_graph=ox.NamedNode(iris.GRAPH_ONTOLOGY))
    prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in iris.PREFIXES.items())
    store.load(prefixes + turtle, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("urn:data"))
    inference.materialize(store)
    return store


def test_bundled_inferences(bundled_store: ox.Store) -> None:
    japan = iris.entity_iri("state", "JP")
    assert {PS + "FoundingSignatoryState", PS + "SignatoryState", PS + "Party"} <= inferred_types(
        bundled_store, japan
    )
    india = inferred_types(bundled_store, iris.entity_iri("state", "IN"))
    assert PS + "SignatoryState" in india
    assert PS + "FoundingSignatoryState" not in india
    assert PS + "SignatoryState" not in inferred_types(
        bundled_store, iris.entity_iri("state", "TW")
    )
    assert PS + "ContestedClaim" in inferred_types(
        bundled_store, iris.entity_iri("claim", "seed-summit-date")
    )
    assert PS + "ContestedClaim" not in inferred_types(
        bundled_store, iris.entity_iri("claim", "helium-2023")
    )


@pytest.mark.parametrize(("share", "dominant"), [("65.1", True), ("65", False), ("12", False)])
def test_dominant_supply_link_threshold(share: str, dominant: bool) -> None:
    store = store_with(f'psid:link a ps:SupplyLink ; ps:sharePercent "{share}"^^xsd:decimal .')
    types = inferred_types(store, iris.ENTITY_BASE + "link")
    assert (PS + "DominantSupplyLink" in types) is dominant


def test_inverse_properties_and_class_hierarchy() -> None:
    store = store_with(
        "psid:m a ps:Membership ; org:member psid:x ; org:role ps:Signatory . "
        "psid:x a ps:InternationalOrganization . "
        "psid:child skos:broader psid:parent ."
    )
    member_of = list(
        store.quads_for_pattern(
            ox.NamedNode(iris.ENTITY_BASE + "x"),
            ox.NamedNode("http://www.w3.org/ns/org#hasMembership"),
            ox.NamedNode(iris.ENTITY_BASE + "m"),
            INFERRED,
        )
    )
    assert len(member_of) == 1
    types = inferred_types(store, iris.ENTITY_BASE + "x")
    assert PS + "SignatoryParty" in types
    assert PS + "SignatoryState" not in types
    assert PS + "Party" in types
    assert "http://www.w3.org/ns/prov#Agent" in types
    narrower = store.quads_for_pattern(
        ox.NamedNode(iris.ENTITY_BASE + "parent"),
        ox.NamedNode("http://www.w3.org/2004/02/skos/core#narrower"),
        None,
        INFERRED,
    )
    assert len(list(narrower)) == 1


def test_materialising_twice_gives_the_same_graph(bundled_store: ox.Store) -> None:
    store = ox.Store()
    store.extend(bundled_store)
    first = inference.materialize(store)
    second = inference.materialize(store)
    assert first == second > 0
