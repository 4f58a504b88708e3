"""The class indexes for people: every instance of a class, a page at a time, and the classes.

Read from the index built once per dataset version (paxsilica.publish.class_index): a page
costs two reads of the index and one query for the names of what it lists, whatever the
class's size. Instances come in IRI order.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from paxsilica.publish.documents import Documents, summaries
from paxsilica.publish.labels import HrefFor, Labels, Link, link_to
from paxsilica.publish.paging import (
    DEFAULT_PAGE_SIZE,
    INDEX_PATH,
    PageError,
    PageLinks,
    Window,
    class_index_path,
    page_links,
    page_query,
)
from paxsilica.publish.publication import Publication

# Instances (or classes) on one page of an index.
PAGE_SIZE = DEFAULT_PAGE_SIZE


@dataclass
class ClassIndexView:
    """One page of a class's instances."""

    class_link: Link
    count: int
    instances: list[Link]
    links: PageLinks


@dataclass
class ClassesView:
    """One page of the dataset's classes: each with its number of instances and its index."""

    classes: list[tuple[Link, int, str | None]]
    links: PageLinks


def _index_href(docs: Documents, href_for: HrefFor, class_iri: str, page: int) -> str | None:
    path = class_index_path(docs.site, class_iri, page)
    return href_for(docs.site.public_base + path.lstrip("/"))


def class_index_view(
    docs: Documents,
    publication: Publication,
    page: str | None,
    lang: str,
    href_for: HrefFor,
    ontology: Labels,
    class_iri: str,
    size: int | None = None,
) -> ClassIndexView:
    """Return a page of a class's instances, or raise PageError (no such class or page)."""
    index = publication.class_index
    count = index.count(class_iri)
    if count == 0:
        raise PageError(f"the dataset holds no instance of {class_iri}")
    window = Window.parse(page, size or PAGE_SIZE, count)
    instances = index.instances(class_iri, window.offset, window.stop)
    named = summaries(docs.store, (ox.NamedNode(i) for i in instances), docs.graphs)
    labels = Labels(named, docs.site, ontology)
    return ClassIndexView(
        class_link=link_to(class_iri, labels, lang, href_for),
        count=count,
        instances=[link_to(i, labels, lang, href_for) for i in instances],
        links=page_links(window, lambda n: _index_href(docs, href_for, class_iri, n)),
    )


def classes_view(
    docs: Documents,
    publication: Publication,
    page: str | None,
    lang: str,
    href_for: HrefFor,
    ontology: Labels,
    size: int | None = None,
) -> ClassesView:
    """Return a page of the dataset's classes, the most used first."""
    classes = sorted(publication.statistics.classes.items(), key=lambda item: (-item[1], item[0]))
    window = Window.parse(page, size or PAGE_SIZE, len(classes))
    shown = window.slice(classes)
    named = summaries(docs.store, (ox.NamedNode(c) for c, _ in shown), docs.graphs)
    labels = Labels(named, docs.site, ontology)

    def href(number: int) -> str | None:
        return href_for(docs.site.public_base + (INDEX_PATH + page_query(number)).lstrip("/"))

    index = publication.class_index
    return ClassesView(
        classes=[
            (
                link_to(class_iri, labels, lang, href_for),
                count,
                # A class whose instances are all blank nodes has nothing to list by IRI.
                _index_href(docs, href_for, class_iri, 1) if index.count(class_iri) else None,
            )
            for class_iri, count in shown
        ],
        links=page_links(window, href),
    )


__all__ = ["ClassIndexView", "ClassesView", "class_index_view", "classes_view"]
