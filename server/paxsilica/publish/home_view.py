"""The view of the home page: the initiative, its members, the technologies, the dataset's size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from paxsilica.publish.documents import Documents
from paxsilica.publish.labels import LABEL_PREDICATES, HrefFor, Labels, Link, link_to

_MEMBERS = """
SELECT ?party ?role ?initiative WHERE {
  ?initiative a ps:Initiative .
  ?membership org:organization ?initiative ; org:member ?party ; org:role ?role .
}
"""
_DECLARATIONS = "SELECT ?declaration WHERE { ?initiative ps:declaration ?declaration }"
_TECHNOLOGIES = """
SELECT ?concept ?top WHERE {
  { ?concept a ps:StrategicComponent . BIND(?concept AS ?top) }
  UNION {
    ?concept a ?kind . VALUES ?kind { ps:Technology ps:Material }
    OPTIONAL { ?concept skos:broader+ ?top . ?top a ps:StrategicComponent }
  }
}
"""
_LABELS = (
    "CONSTRUCT {{ ?x ?p ?l }} WHERE {{ VALUES ?p {{ {predicates} }} VALUES ?x {{ {things} }} "
    "?x ?p ?l }}"
)
_COUNTS = """
SELECT (COUNT(DISTINCT ?state) AS ?states) (COUNT(DISTINCT ?source) AS ?sources)
WHERE { { ?state a ps:State } UNION { ?source a ps:Source } }
"""
_ENTITIES = """
SELECT (COUNT(DISTINCT ?entity) AS ?entities) WHERE {
  ?entity ?p ?o . FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), %s))
}
"""


@dataclass
class HomeView:
    """What the home page lists; a group of technologies without a link (``top.iri`` empty)
    holds those under no strategic component."""

    initiatives: list[Link]
    members: list[tuple[Link, list[Link]]]
    declarations: list[Link]
    technologies: list[tuple[Link, list[Link]]]
    counts: dict[str, int]


class _Home:
    """The queries of the home page over one dataset, and links in one language."""

    def __init__(self, docs: Documents, lang: str, href_for: HrefFor):
        self.docs = docs
        self.lang = lang
        self.href_for = href_for
        self.labels = Labels((), docs.site)

    def select(self, query: str) -> list:
        docs = self.docs
        return list(docs.store.query(query, prefixes=docs.prefixes, default_graph=docs.graphs))

    def name(self, things: set[ox.NamedNode], ontology: Labels) -> None:
        triples: list[ox.Triple] = []
        if things:
            query = _LABELS.format(
                predicates=" ".join(str(p) for p in LABEL_PREDICATES),
                things=" ".join(str(m) for m in things),
            )
            triples = list(self.docs.store.query(query, default_graph=self.docs.graphs))
        self.labels = Labels(triples, self.docs.site, ontology)

    def link(self, node: ox.NamedNode) -> Link:
        return link_to(node.value, self.labels, self.lang, self.href_for)

    def links(self, nodes: Iterable[ox.NamedNode]) -> list[Link]:
        return sorted((self.link(n) for n in nodes), key=lambda k: k.text.casefold())


def _members(home: _Home, rows: list) -> list[tuple[Link, list[Link]]]:
    roles: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    for r in rows:
        roles[r["party"]].add(r["role"])
    return sorted(
        (
            (home.link(party), sorted((home.link(role) for role in kinds), key=lambda k: k.text))
            for party, kinds in roles.items()
        ),
        key=lambda pair: pair[0].text.casefold(),
    )


def _technologies(home: _Home, rows: list) -> list[tuple[Link, list[Link]]]:
    """Each technology under every strategic component it falls under, however deep."""
    tops = {r["concept"] for r in rows if r["top"] == r["concept"]}
    children: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    unplaced: set[ox.NamedNode] = set()
    for r in rows:
        if r["top"] is None:
            unplaced.add(r["concept"])
        elif r["top"] != r["concept"]:
            children[r["top"]].add(r["concept"])
    unplaced -= set().union(*children.values()) if children else set()
    groups = [
        (home.link(top), home.links(children.get(top, ())))
        for top in sorted(tops, key=lambda n: home.link(n).text.casefold())
    ]
    if unplaced:
        groups.append((Link("", None, ""), home.links(unplaced)))
    return groups


def home_view(docs: Documents, lang: str, href_for: HrefFor, ontology: Labels) -> HomeView:
    """Return what the home page shows, from the published data."""
    home = _Home(docs, lang, href_for)
    member_rows = home.select(_MEMBERS)
    declaration_rows = home.select(_DECLARATIONS)
    technology_rows = home.select(_TECHNOLOGIES)
    home.name(
        {r[name] for r in member_rows for name in ("party", "role", "initiative")}
        | {r["declaration"] for r in declaration_rows}
        | {r["concept"] for r in technology_rows},
        ontology,
    )
    members = _members(home, member_rows)
    counts_row = home.select(_COUNTS)[0]
    entities_row = home.select(_ENTITIES % ox.Literal(docs.site.entity_base))[0]
    counts = {
        "members": len(members),
        "states": int(counts_row["states"].value),
        "sources": int(counts_row["sources"].value),
        "technologies": len({r["concept"] for r in technology_rows}),
        "entities": int(entities_row["entities"].value),
        "triples": len(docs.store),
    }
    return HomeView(
        initiatives=home.links({r["initiative"] for r in member_rows}),
        members=members,
        declarations=[home.link(r["declaration"]) for r in declaration_rows],
        technologies=_technologies(home, technology_rows),
        counts=counts,
    )
