"""Materialises, as its own named graph, the entailments the ontology's definitions give.

The rules mirror the ontology's OWL definitions (defined classes such as ps:SignatoryState,
inverse properties, the class hierarchy), so that SPARQL users see what a reasoner would
conclude without running one per request; the reasoner test checks that both agree.
"""

from __future__ import annotations

import pyoxigraph as ox

from paxsilica import iris

# Each rule is the WHERE-side pattern of a CONSTRUCT; "ps:" stands for the ontology namespace
# the store holds, which follows the deployment's base IRI.
RULES: tuple[str, ...] = (
    # org:hasMembership is the inverse of org:member.
    "CONSTRUCT { ?party org:hasMembership ?membership } WHERE { ?membership org:member ?party }",
    # skos:narrower and skos:hasTopConcept are the inverses of skos:broader and skos:topConceptOf.
    "CONSTRUCT { ?broader skos:narrower ?narrower } WHERE { ?narrower skos:broader ?broader }",
    "CONSTRUCT { ?scheme skos:hasTopConcept ?top } WHERE { ?top skos:topConceptOf ?scheme }",
    # ps:SignatoryMembership: a membership whose role is founding signatory or signatory.
    """CONSTRUCT { ?membership a ps:SignatoryMembership } WHERE {
         VALUES ?role { ps:FoundingSignatory ps:Signatory }
         ?membership a ps:Membership ; org:role ?role }""",
    # ps:SignatoryParty, ps:SignatoryState, ps:FoundingSignatoryState.
    """CONSTRUCT { ?party a ps:SignatoryParty } WHERE {
         VALUES ?role { ps:FoundingSignatory ps:Signatory }
         VALUES ?kind { ps:Party ps:State ps:InternationalOrganization }
         ?party a ?kind . ?membership a ps:Membership ; org:member ?party ; org:role ?role }""",
    """CONSTRUCT { ?state a ps:SignatoryState } WHERE {
         VALUES ?role { ps:FoundingSignatory ps:Signatory }
         ?state a ps:State . ?membership a ps:Membership ; org:member ?state ; org:role ?role }""",
    """CONSTRUCT { ?state a ps:FoundingSignatoryState } WHERE {
         ?state a ps:State . ?membership org:member ?state ; org:role ps:FoundingSignatory }""",
    # ps:ContestedClaim: a claim that a source contradicts.
    """CONSTRUCT { ?claim a ps:ContestedClaim } WHERE {
         ?claim a ps:Claim ; ps:contradictedBy ?source . ?source a ps:Source }""",
    # ps:DominantSupplyLink: a supplier holding more than 65% of world supply.
    """CONSTRUCT { ?link a ps:DominantSupplyLink } WHERE {
         ?link a ps:SupplyLink ; ps:sharePercent ?share FILTER(?share > 65) }""",
)

# Asserted and defined types, closed upwards along rdfs:subClassOf between named classes.
SUBCLASS_RULE = """CONSTRUCT { ?entity a ?super } WHERE {
  ?entity a ?class . ?class rdfs:subClassOf+ ?super . FILTER(isIRI(?super)) }"""


def _prefixes(ontology_namespace: str) -> str:
    return (
        f"PREFIX ps: <{ontology_namespace}>\n"
        "PREFIX org: <http://www.w3.org/ns/org#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    )


def _asserted(store: ox.Store, triple: ox.Triple) -> bool:
    return (
        next(store.quads_for_pattern(triple.subject, triple.predicate, triple.object), None)
        is not None
    )


def materialize(store: ox.Store, site: iris.Site = iris.CANONICAL_SITE) -> int:
    """Write the entailments of the published graphs into the inferred graph; return its size."""

    prefixes = _prefixes(site.public(iris.ONTOLOGY_NS))
    inferred = ox.NamedNode(site.public(iris.GRAPH_INFERRED))
    if inferred in set(store.named_graphs()):
        store.remove_graph(inferred)
    # The class hierarchy comes last, so that defined classes climb it too.
    for rule in (*RULES, SUBCLASS_RULE):
        triples = store.query(prefixes + rule, use_default_graph_as_union=True)
        # A triple some graph already asserts is not repeated: the union of the graphs would
        # otherwise answer it twice.
        new = [t for t in triples if not _asserted(store, t)]
        store.extend(ox.Quad(t.subject, t.predicate, t.object, inferred) for t in new)
    return sum(1 for _ in store.quads_for_pattern(None, None, None, inferred))
