"""The view of the home page: the initiative, its members, the technologies, the dataset's size.

Bounded whatever the dataset's size: the counts come from the statistics built once per
dataset version (paxsilica.publish.publication), the technologies from the class index and
the ``skos:broader`` hierarchy, and each list shows at most ``TOP`` items with a link to
the rest (a class index, or the strategic component's own page). What the page shows is
worked out once per process (``home_data``), then only put into words per language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from paxsilica.publish.documents import Documents, summaries
from paxsilica.publish.labels import HrefFor, Labels, Link, link_to
from paxsilica.publish.paging import class_index_path
from paxsilica.publish.publication import Publication
from paxsilica.rdf.terms import vocabulary_term

# The most items a list of the home page shows; the rest are one link away.
TOP = 48

_MEMBERS = """
SELECT ?party ?role ?initiative WHERE {
  ?initiative a ps:Initiative .
  ?membership org:organization ?initiative ; org:member ?party ; org:role ?role .
}
"""
_DECLARATIONS = "SELECT ?declaration WHERE { ?initiative ps:declaration ?declaration }"
SKOS_BROADER = vocabulary_term("skos", "broader")


@dataclass(frozen=True)
class Group:
    """Technologies under one strategic component (``top`` None: under none), at most TOP."""

    top: str | None
    count: int
    shown: tuple[str, ...]


@dataclass(frozen=True)
class HomeData:
    """What the home page shows, as IRIs, counts and the labels it needs: data only."""

    initiatives: tuple[str, ...]
    members: dict[str, tuple[str, ...]]
    member_count: int
    declarations: tuple[str, ...]
    groups: tuple[Group, ...]
    counts: dict[str, int]
    labels: tuple[ox.Triple, ...]
    # Where the whole lists are: class indexes, by what they list.
    indexes: dict[str, str]


@dataclass
class HomeView:
    """What the home page lists, in one language; a group of technologies without a link
    (``top.iri`` empty) holds those under no strategic component."""

    initiatives: list[Link]
    members: list[tuple[Link, list[Link]]]
    declarations: list[Link]
    technologies: list[tuple[Link, list[Link], int]]
    counts: dict[str, int]
    # Where the lists the page cuts short continue (paths), by what they list.
    more: dict[str, str]


def _select(docs: Documents, query: str) -> list:
    return list(docs.store.query(query, prefixes=docs.prefixes, default_graph=docs.graphs))


def _tops_of(concept: str, parents: dict[str, set[str]], tops: set[str]) -> set[str]:
    """The strategic components a concept falls under, however deep (its broader chain)."""
    found, seen, frontier = set(), {concept}, [concept]
    while frontier:
        for parent in parents.get(frontier.pop(), ()):
            if parent in tops:
                found.add(parent)
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return found


def _groups(docs: Documents, publication: Publication) -> tuple[tuple[Group, ...], int]:
    """Each technology or material under every strategic component it falls under; and how
    many concepts (components, technologies, materials) there are."""
    index, ns = publication.class_index, docs.site.ontology_ns
    tops = set(
        index.instances(ns + "StrategicComponent", 0, index.count(ns + "StrategicComponent"))
    )
    concepts: set[str] = set()
    for kind in ("Technology", "Material"):
        concepts.update(index.instances(ns + kind, 0, index.count(ns + kind)))
    parents: dict[str, set[str]] = defaultdict(set)
    for graph in docs.graphs:
        for quad in docs.store.quads_for_pattern(None, SKOS_BROADER, None, graph):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
                parents[quad.subject.value].add(quad.object.value)
    under: dict[str | None, list[str]] = {top: [] for top in tops}
    for concept in sorted(concepts - tops):
        for top in _tops_of(concept, parents, tops) or {None}:
            under.setdefault(top, []).append(concept)
    groups = tuple(
        Group(top, len(members), tuple(members[:TOP]))
        for top, members in sorted(under.items(), key=lambda item: (item[0] is None, item[0] or ""))
        if top is not None or members
    )
    return groups, len(tops | concepts)


def home_data(docs: Documents, publication: Publication) -> HomeData:
    """Work out what the home page shows, from the data (once per process)."""
    member_rows = _select(docs, _MEMBERS)
    roles: dict[str, set[str]] = defaultdict(set)
    for row in member_rows:
        roles[row["party"].value].add(row["role"].value)
    members = {party: tuple(sorted(roles[party])) for party in sorted(roles)[:TOP]}
    declarations = tuple(r["declaration"].value for r in _select(docs, _DECLARATIONS))
    initiatives = tuple(sorted({r["initiative"].value for r in member_rows}))
    groups, concepts = _groups(docs, publication)
    stats, ns = publication.statistics, docs.site.ontology_ns
    shown = {*initiatives, *members, *declarations}
    shown.update(role for kinds in members.values() for role in kinds)
    shown.update(g.top for g in groups if g.top)
    shown.update(concept for g in groups for concept in g.shown)
    counts = {
        "members": len(roles),
        "states": stats.instances(ns + "State"),
        "sources": stats.instances(ns + "Source"),
        "technologies": concepts,
        "entities": stats.entities,
        "triples": stats.quads,
    }
    site = docs.site
    indexes = {
        name: class_index_path(site, ns + local)
        for name, local in (
            ("members", "Membership"),
            ("technologies", "Technology"),
            ("states", "State"),
            ("sources", "Source"),
        )
    }
    return HomeData(
        initiatives, members, len(roles), declarations, groups, counts,
        tuple(summaries(docs.store, (ox.NamedNode(i) for i in shown), docs.graphs)), indexes,
    )  # fmt: skip


def home_view(
    docs: Documents, data: HomeData, lang: str, href_for: HrefFor, ontology: Labels
) -> HomeView:
    """Return what the home page shows, in one language."""
    labels = Labels(data.labels, docs.site, ontology)

    def link(iri: str) -> Link:
        return link_to(iri, labels, lang, href_for)

    def links(iris: Iterable[str]) -> list[Link]:
        return sorted((link(i) for i in iris), key=lambda k: k.text.casefold())

    members = sorted(
        (
            (link(party), sorted((link(role) for role in kinds), key=lambda k: k.text))
            for party, kinds in data.members.items()
        ),
        key=lambda pair: pair[0].text.casefold(),
    )
    technologies = [
        (link(g.top) if g.top else Link("", None, ""), links(g.shown), g.count) for g in data.groups
    ]
    # Strategic components by name, those under none last.
    technologies.sort(key=lambda group: (not group[0].iri, group[0].text.casefold()))
    more = {name: href_for(docs.site.public_base + path.lstrip("/")) or path
            for name, path in data.indexes.items()}  # fmt: skip
    return HomeView(
        initiatives=links(data.initiatives),
        members=members,
        declarations=[link(d) for d in data.declarations],
        technologies=technologies,
        counts=data.counts,
        more=more,
    )
