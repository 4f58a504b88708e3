"""Names for people: the label of an IRI in a language, from the data, else a prefixed name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from paxsilica import iris
from paxsilica.rdf.terms import RDFS_LABEL, vocabulary_term

# What names a thing for people, in the order a page prefers them.
LABEL_PREDICATES: tuple[ox.NamedNode, ...] = (
    RDFS_LABEL,
    vocabulary_term("skos", "prefLabel"),
    vocabulary_term("foaf", "name"),
    vocabulary_term("dcterms", "title"),
)

# Where a link to an IRI goes: a path on this site, or None for an IRI published elsewhere.
HrefFor = Callable[[str], "str | None"]


class Labels:
    """Finds a name for an IRI in a language: from the given triples, a fallback, or a CURIE."""

    def __init__(
        self, triples: Iterable[ox.Triple], site: iris.Site, fallback: Labels | None = None
    ):
        rank = {p: i for i, p in enumerate(LABEL_PREDICATES)}
        found: dict[str, dict[str, tuple[int, str]]] = defaultdict(dict)
        for t in triples:
            position = rank.get(t.predicate)
            if position is None or not isinstance(t.object, ox.Literal):
                continue
            language = t.object.language or ""
            current = found[t.subject.value].get(language)
            if current is None or (position, t.object.value) < current:
                found[t.subject.value][language] = (position, t.object.value)
        self._labels = {
            key: {lang: value for lang, (_, value) in by_lang.items()}
            for key, by_lang in found.items()
        }
        self.site = site
        self._fallback = fallback

    def find(self, iri: str, lang: str) -> str | None:
        """Return a label of the IRI in the language (or English, or any), or None."""
        by_lang = self._labels.get(iri)
        if by_lang:
            return (
                by_lang.get(lang) or by_lang.get("en") or by_lang.get("") or min(by_lang.values())
            )
        if self._fallback is not None:
            return self._fallback.find(iri, lang)
        return None

    def label(self, iri: str, lang: str) -> str:
        """Return the best name for an IRI: a label, else a prefixed name, else the IRI."""
        return self.find(iri, lang) or self.site.short(iri)


@dataclass
class Link:
    """A link to a resource: the text shown, where it goes, and the IRI it stands for."""

    text: str
    href: str | None
    iri: str
    external: bool = False


def link_to(iri: str, labels: Labels, lang: str, href_for: HrefFor) -> Link:
    """Return a link to an IRI: to this site's page when it is published here."""
    href = href_for(iri)
    return Link(labels.label(iri, lang), href or iri, iri, external=href is None)
