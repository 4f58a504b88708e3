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


@pytest.mark.parametrize(
    ("supplier", "share", "how", "dominant"),
    [
        (
            "psid:state a ps:State",
            "65.1",
            "ps:shareBasis ps:StatedShare ; ps:shareQualifier ps:Exactly",
            True,
        ),
        (
            "psid:state a ps:State",
            "65",
            "ps:shareBasis ps:StatedShare ; ps:shareQualifier ps:Exactly",
            False,
        ),
        (
            "psid:state a ps:State",
            "90",
            "ps:shareBasis ps:StatedShare ; ps:shareQualifier ps:MoreThan",
            True,
        ),
        # "About 98 %" is an approximation, not a firm share.
        (
            "psid:state a ps:State",
            "98",
            "ps:shareBasis ps:StatedShare ; ps:shareQualifier ps:Approximately",
            False,
        ),
        ("psid:state a ps:State", "69.2", "ps:shareBasis ps:ComputedShare", True),
        # A company's share is no region's single point of failure (SK hynix in HBM3).
        (
            "psid:state a ps:Company",
            "90",
            "ps:shareBasis ps:StatedShare ; ps:shareQualifier ps:Exactly",
            False,
        ),
        (
            "psid:state a ps:StateGroup",
            "90",
            "ps:shareBasis ps:StatedShare ; ps:shareQualifier ps:Exactly",
            False,
        ),
    ],
)
def test_dominant_supply_link(supplier: str, share: str, how: str, dominant: bool) -> None:
    store = store_with(
        f"{supplier} . psid:link a ps:SupplyLink ; ps:supplier psid:state ; "
        f'ps:sharePercent "{share}"^^xsd:decimal ; {how} .'
    )
    types = inferred_types(store, iris.ENTITY_BASE + "link")
    assert (PS + "DominantSupplyLink" in types) is dominant


def test_chain_inverse_and_broader_from_its_sub_properties() -> None:
    store = store_with(
        "psid:tool ps:goesInto psid:step ; ps:isTypeOf psid:tools ."
        " psid:step ps:inComponent psid:c ."
    )
    inferred = set(store.quads_for_pattern(None, None, None, INFERRED))
    node = ox.NamedNode
    skos = "http://www.w3.org/2004/02/skos/core#"
    expected = {
        (iris.ENTITY_BASE + "step", PS + "hasInput", iris.ENTITY_BASE + "tool"),
        (iris.ENTITY_BASE + "tool", skos + "broader", iris.ENTITY_BASE + "tools"),
        (iris.ENTITY_BASE + "step", skos + "broader", iris.ENTITY_BASE + "c"),
    }
    for s, p, o in expected:
        assert ox.Quad(node(s), node(p), node(o), INFERRED) in inferred
    # "Goes into" is never a SKOS hierarchy.
    assert not list(
        store.quads_for_pattern(
            node(iris.ENTITY_BASE + "tool"), node(skos + "broader"), node(iris.ENTITY_BASE + "step")
        )
    )


def test_what_follows_from_eto_data_is_licensed_apart(bundled_store: ox.Store) -> None:
    eto_inferred = ox.NamedNode(iris.GRAPH_ETO_INFERRED)
    euv_link = ox.NamedNode(iris.entity_iri("supply-link", "eto-euv-lithography-tools-NL-2025"))
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    dominant = ox.NamedNode(PS + "DominantSupplyLink")
    assert ox.Quad(euv_link, rdf_type, dominant, eto_inferred) in set(
        bundled_store.quads_for_pattern(euv_link, rdf_type, None, eto_inferred)
    )
    assert not list(bundled_store.quads_for_pattern(euv_link, None, None, INFERRED))
    # The project's own inferences stay in the inferred graph.
    japan = ox.NamedNode(iris.entity_iri("state", "JP"))
    assert not list(bundled_store.quads_for_pattern(japan, None, None, eto_inferred))


def test_inverse_properties_and_class_hierarchy() -> None:
    store = store_with(
        "psid:m a ps:Membership ; org:member psid:x ; org:role ps:Signatory ; "
        "org:organization <https://w3id.org/pax-silica/id/initiative/pax-silica> . "
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
