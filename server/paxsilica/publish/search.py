"""Search by name: the entities whose English or French names begin a word with what is typed.

The index is built once per dataset version (:meth:`SearchIndex.build`, kept by the
publication's holder) from the names the data gives its entities: labels, preferred and
alternative labels, schema.org names. It is a sorted list of keys, one per word of each name
("États-Unis" gives ``etats-unis`` and ``unis``), case and accents folded, so that a query
is a bisection and a walk along at most :data:`MAX_CANDIDATES` keys: no scan of the store
or of the index per request. Its size is capped (:data:`MAX_NAMES`), and so are the answers.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox

from paxsilica import iris
from paxsilica.publish.labels import LABEL_PREDICATES
from paxsilica.publish.tables import folded
from paxsilica.rdf.readable import ReadableStore
from paxsilica.rdf.terms import vocabulary_term

# The names searched, in the order a result prefers them for its label.
NAME_PREDICATES: tuple[ox.NamedNode, ...] = (
    *LABEL_PREDICATES,
    vocabulary_term("skos", "altLabel"),
    ox.NamedNode("https://schema.org/name"),
    ox.NamedNode("https://schema.org/alternateName"),
)
LANGUAGES = ("en", "fr", "")
# At most this many names are indexed: a very large store gets a partial index, never an
# unbounded one.
MAX_NAMES = 200_000
# A key keeps this many characters of a name from the word it starts at.
KEY_LENGTH = 48
# A query walks at most this many keys from where it bisects.
MAX_CANDIDATES = 2_000
# A results page shows at most this many entities, the suggestions fewer.
MAX_RESULTS = 50
MAX_SUGGESTIONS = 8
# A query longer than this is refused (it could match no word of a name anyway).
MAX_QUERY_LENGTH = KEY_LENGTH
_WORD_START = re.compile(r"(?<!\w)\w")


@dataclass(frozen=True)
class Hit:
    """One entity found: its IRI, its name in the language asked, the name matched, its class."""

    iri: str
    label: str
    matched: str
    class_iri: str | None


def word_keys(name: str) -> list[str]:
    """The keys of a name: from each word's start to the end, folded and cut."""
    text = folded(name)
    return [text[m.start() : m.start() + KEY_LENGTH] for m in _WORD_START.finditer(text)]


class SearchIndex:
    """Names of entities, searchable by the start of any of their words."""

    def __init__(
        self,
        names: Iterable[tuple[str, int, str, str]],
        classes: Mapping[str, str] | None = None,
    ):
        """Index names given as (entity IRI, predicate rank, language, name)."""
        self._names: list[tuple[str, str]] = []
        self._labels: dict[str, dict[str, tuple[int, str]]] = {}
        keys: list[tuple[str, int]] = []
        for iri, rank, lang, name in names:
            if len(self._names) >= MAX_NAMES:
                break
            index = len(self._names)
            self._names.append((iri, name))
            keys.extend((key, index) for key in word_keys(name))
            by_lang = self._labels.setdefault(iri, {})
            if lang not in by_lang or (rank, name) < by_lang[lang]:
                by_lang[lang] = (rank, name)
        keys.sort()
        self._keys = [k for k, _ in keys]
        self._entries = [i for _, i in keys]
        self._classes = dict(classes or {})

    def __len__(self) -> int:
        """How many names the index holds."""
        return len(self._names)

    @classmethod
    def build(
        cls, store: ReadableStore, site: iris.Site, graphs: list[ox.NamedNode]
    ) -> SearchIndex:
        """Read the names and classes of the site's entities from the store, at most
        :data:`MAX_NAMES`."""
        return cls(_read_names(store, site, graphs), _read_classes(store, site, graphs))

    def label(self, iri: str, lang: str) -> str:
        """The name an entity shows in a language: its label there, else in English, else any."""
        by_lang = self._labels.get(iri, {})
        for wanted in (lang, "en", ""):
            if wanted in by_lang:
                return by_lang[wanted][1]
        return min(by_lang.values())[1] if by_lang else iri

    def find(self, query: str, lang: str, limit: int = MAX_RESULTS) -> list[Hit]:
        """The entities with a name one of whose words begins with the query: whole-name
        matches first, then names that begin with it, then shorter names."""
        needle = folded(query).strip()[:KEY_LENGTH]
        if not needle:
            return []
        best: dict[str, tuple[tuple, str]] = {}
        start = bisect.bisect_left(self._keys, needle)
        for position in range(start, min(start + MAX_CANDIDATES, len(self._keys))):
            if not self._keys[position].startswith(needle):
                break
            iri, name = self._names[self._entries[position]]
            whole = folded(name)
            rank = (whole != needle, not whole.startswith(needle), len(name), whole)
            if iri not in best or rank < best[iri][0]:
                best[iri] = (rank, name)
        ranked = sorted(best.items(), key=lambda item: (item[1][0], item[0]))[:limit]
        return [
            Hit(iri, self.label(iri, lang), name, self._classes.get(iri))
            for iri, (_, name) in ranked
        ]


def _read_names(
    store: ReadableStore, site: iris.Site, graphs: list[ox.NamedNode]
) -> list[tuple[str, int, str, str]]:
    predicates = " ".join(str(p) for p in NAME_PREDICATES)
    base = site.entity_base.replace("\\", "\\\\").replace('"', '\\"')
    query = f"""
SELECT ?x ?p ?name WHERE {{
  VALUES ?p {{ {predicates} }}
  ?x ?p ?name .
  FILTER(isIRI(?x) && isLiteral(?name) && STRSTARTS(STR(?x), "{base}"))
  FILTER(LANG(?name) IN ("en", "fr", ""))
}} LIMIT {MAX_NAMES}"""
    rank = {p.value: i for i, p in enumerate(NAME_PREDICATES)}
    found = []
    for solution in store.query(query, default_graph=graphs):
        name = solution["name"]
        found.append(
            (solution["x"].value, rank[solution["p"].value], name.language or "", name.value)
        )
    # Sorted, so that a partial index is the same partial index every time.
    found.sort()
    return found


def _read_classes(
    store: ReadableStore, site: iris.Site, graphs: list[ox.NamedNode]
) -> dict[str, str]:
    """Each entity's class as the data states it (not what inference adds), in the ontology's
    namespace; the first by IRI when several."""
    inferred = {site.graph(iris.GRAPH_INFERRED), site.graph(iris.GRAPH_ETO_INFERRED)}
    stated = [g for g in graphs if g.value not in inferred]
    base = site.entity_base.replace('"', '\\"')
    namespace = site.ontology_ns.replace('"', '\\"')
    query = f"""
SELECT ?x ?class WHERE {{
  ?x a ?class .
  FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{base}") && STRSTARTS(STR(?class), "{namespace}"))
}} LIMIT {MAX_NAMES}"""
    found: dict[str, str] = {}
    for solution in store.query(query, default_graph=stated):
        iri, class_iri = solution["x"].value, solution["class"].value
        if iri not in found or class_iri < found[iri]:
            found[iri] = class_iri
    return found


__all__ = ["MAX_QUERY_LENGTH", "Hit", "SearchIndex", "word_keys"]
