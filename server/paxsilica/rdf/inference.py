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
    # org:hasMembership is the inverse of org:member; ps:hasInput the inverse of ps:goesInto.
    "CONSTRUCT { ?party org:hasMembership ?membership } WHERE { ?membership org:member ?party }",
    "CONSTRUCT { ?step ps:hasInput ?input } WHERE { ?input ps:goesInto ?step }",
    # ps:isTypeOf and ps:inComponent are the sub-properties of skos:broader the data asserts.
    """CONSTRUCT { ?narrower skos:broader ?broader } WHERE {
         VALUES ?relation { ps:isTypeOf ps:inComponent } ?narrower ?relation ?broader }""",
    # skos:narrower and skos:hasTopConcept are the inverses of skos:broader and skos:topConceptOf.
    "CONSTRUCT { ?broader skos:narrower ?narrower } WHERE { ?narrower skos:broader ?broader }",
    "CONSTRUCT { ?scheme skos:hasTopConcept ?top } WHERE { ?top skos:topConceptOf ?scheme }",
    # ps:SignatoryRole and ps:FirmShareQualifier are enumerations.
    """CONSTRUCT { ?role a ps:SignatoryRole } WHERE {
         VALUES ?role { ps:FoundingSignatory ps:Signatory } ?role a ps:MembershipRole }""",
    """CONSTRUCT { ?qualifier a ps:FirmShareQualifier } WHERE {
         VALUES ?qualifier { ps:Exactly ps:MoreThan } ?qualifier a ps:ShareQualifier }""",
    # ps:SignatoryMembership: a membership of Pax Silica whose role is a signatory role.
    """CONSTRUCT { ?membership a ps:SignatoryMembership } WHERE {
         VALUES ?role { ps:FoundingSignatory ps:Signatory }
         ?membership a ps:Membership ; org:role ?role ; org:organization ?initiative .
         FILTER(?initiative = initiative:pax-silica) }""",
    """CONSTRUCT { ?membership a ps:FoundingSignatoryMembership } WHERE {
         ?membership a ps:SignatoryMembership ; org:role ps:FoundingSignatory }""",
    # ps:SignatoryParty, ps:SignatoryState, ps:FoundingSignatoryState.
    """CONSTRUCT { ?party a ps:SignatoryParty } WHERE {
         VALUES ?kind { ps:Party ps:State ps:InternationalOrganization }
         ?party a ?kind . ?membership a ps:SignatoryMembership ; org:member ?party }""",
    """CONSTRUCT { ?state a ps:SignatoryState } WHERE {
         ?state a ps:State . ?membership a ps:SignatoryMembership ; org:member ?state }""",
    """CONSTRUCT { ?state a ps:FoundingSignatoryState } WHERE {
         ?state a ps:State . ?membership a ps:FoundingSignatoryMembership ; org:member ?state }""",
    # ps:ContestedClaim: a claim that a source contradicts.
    """CONSTRUCT { ?claim a ps:ContestedClaim } WHERE {
         ?claim a ps:Claim ; ps:contradictedBy ?source . ?source a ps:Source }""",
    # ps:SupplyLinkWithFirmShare: a precise or lower-bound stated share, or a computed one.
    """CONSTRUCT { ?link a ps:SupplyLinkWithFirmShare } WHERE {
         { ?link ps:shareQualifier ?qualifier . VALUES ?qualifier { ps:Exactly ps:MoreThan } }
         UNION { ?link ps:shareBasis ps:ComputedShare } }""",
    # ps:DominantSupplyLink: one state holding more than 65% of world supply, a firm share.
    """CONSTRUCT { ?link a ps:DominantSupplyLink } WHERE {
         ?link a ps:SupplyLink , ps:SupplyLinkWithFirmShare ; ps:supplier ?supplier ;
             ps:sharePercent ?share .
         ?supplier a ps:State . FILTER(?share > 65) }""",
)

# Asserted and defined types, closed upwards along rdfs:subClassOf between named classes.
SUBCLASS_RULE = """CONSTRUCT { ?entity a ?super } WHERE {
  ?entity a ?class . ?class rdfs:subClassOf+ ?super . FILTER(isIRI(?super)) }"""


def _prefixes(site: iris.Site) -> str:
    return (
        f"PREFIX ps: <{site.public(iris.ONTOLOGY_NS)}>\n"
        f"PREFIX initiative: <{site.public(iris.ENTITY_BASE)}initiative/>\n"
        "PREFIX org: <http://www.w3.org/ns/org#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    )


def _asserted(store: ox.Store, triple: ox.Triple) -> bool:
    return (
        next(store.quads_for_pattern(triple.subject, triple.predicate, triple.object), None)
        is not None
    )


def _infer_into(
    store: ox.Store, prefixes: str, graphs: list[ox.NamedNode], target: ox.NamedNode
) -> None:
    """Run the rules over the given graphs (the target among them) and add what is new."""
    # The class hierarchy comes last, so that defined classes climb it too.
    for rule in (*RULES, SUBCLASS_RULE):
        triples = store.query(prefixes + rule, default_graph=graphs)
        # A triple some graph already asserts is not repeated: the union of the graphs would
        # otherwise answer it twice.
        new = [t for t in triples if not _asserted(store, t)]
        store.extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in new)


def materialize(store: ox.Store, site: iris.Site = iris.CANONICAL_SITE) -> int:
    """Write the entailments of the published graphs into the inferred graphs; return their size.

    What follows from the project's own graphs goes to the inferred graph; what needs the ETO
    graph too goes to its own graph, under the ETO data's licence.
    """
    prefixes = _prefixes(site)
    inferred = ox.NamedNode(site.public(iris.GRAPH_INFERRED))
    inferred_apart = ox.NamedNode(site.public(iris.GRAPH_ETO_INFERRED))
    apart = ox.NamedNode(site.public(iris.GRAPH_ETO))
    for graph in (inferred, inferred_apart):
        if graph in set(store.named_graphs()):
            store.remove_graph(graph)
    graphs = [g for g in store.named_graphs() if g not in (inferred, inferred_apart)]
    own = [g for g in graphs if g != apart]
    _infer_into(store, prefixes, [*own, inferred], inferred)
    if apart in graphs:
        _infer_into(store, prefixes, [*graphs, inferred, inferred_apart], inferred_apart)
    return sum(
        1 for g in (inferred, inferred_apart) for _ in store.quads_for_pattern(None, None, None, g)
    )
