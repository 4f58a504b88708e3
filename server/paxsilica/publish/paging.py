"""Paging: one model for every view of a long sequence, and the addresses of paged views.

A ``Window`` is one page of a sequence: its number (from 1), the page size, and the length of
the whole; it knows its offset, the last page and its neighbours. Views build their own
windows from a ``page`` request parameter (``Window.parse``) and write their links with
``page_query``, so that every paged view of the server reads and links alike:

- ``?page=N`` (N from 1; the first page is the view's own address, without the parameter);
  a page that is not a number is a 400, one beyond the last a 404 (``PageError.status``);
- other parameters that select the sequence (``?property=…``) come first, in a fixed order.

Paged views: the document about a hub entity (paxsilica.publish.documents, with Hydra
``hydra:view`` links in RDF), and the class indexes ``/index/{class}`` (the instances of a
class by IRI, read from the index built once per dataset version).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from paxsilica import iris

DEFAULT_PAGE_SIZE = 100
PAGE_PARAMETER = "page"
INDEX_PATH = "/index/"


class PageError(ValueError):
    """A page that cannot be given: not a page number (400) or beyond the last page (404)."""

    def __init__(self, message: str, status: int = 404):
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Window:
    """One page of a sequence: its number (from 1), the page size, and the sequence's length."""

    page: int
    size: int
    total: int

    @classmethod
    def parse(cls, raw: str | None, size: int, total: int) -> Window:
        """Return the window a ``page`` parameter asks for (the first when it is missing)."""
        if raw is None or raw == "":
            return cls(1, size, total)
        if not raw.isdigit() or int(raw) < 1:
            raise PageError(f"page must be a page number from 1, not {raw!r}", 400)
        window = cls(int(raw), size, total)
        if window.page > window.last_page:
            raise PageError(
                f"there is no page {window.page}: {total} items make {window.last_page} "
                f"page{'s' if window.last_page > 1 else ''} of {size}"
            )
        return window

    @property
    def offset(self) -> int:
        """The position of the page's first item in the sequence (from 0)."""
        return (self.page - 1) * self.size

    @property
    def stop(self) -> int:
        """The position after the page's last item."""
        return min(self.offset + self.size, self.total)

    @property
    def last_page(self) -> int:
        """The number of the last page (1 for an empty sequence)."""
        return max(1, -(-self.total // self.size))

    @property
    def partial(self) -> bool:
        """Whether the sequence needs more than one page."""
        return self.last_page > 1

    def at(self, page: int) -> Window:
        """Return another page of the same sequence."""
        return Window(page, self.size, self.total)

    @property
    def next(self) -> Window | None:
        """The next page, or None on the last."""
        return self.at(self.page + 1) if self.page < self.last_page else None

    @property
    def previous(self) -> Window | None:
        """The previous page, or None on the first."""
        return self.at(self.page - 1) if self.page > 1 else None

    def slice(self, items: Sequence) -> Sequence:
        """Return the page's part of a sequence held whole."""
        return items[self.offset : self.stop]

    def nearby(self, around: int = 2) -> list[int]:
        """The page numbers a pager shows: the first, the last, and those around this one."""
        shown = {1, self.last_page, *range(self.page - around, self.page + around + 1)}
        return sorted(n for n in shown if 1 <= n <= self.last_page)


@dataclass(frozen=True)
class PageLinks:
    """A pager, for a page of people: where this page lies and where the others are."""

    page: int
    last_page: int
    total: int
    # (number, where it is) for the pages the pager shows; the current page has no link.
    pages: tuple[tuple[int, str | None], ...]
    previous: str | None
    next: str | None


def page_links(window: Window, href: Callable[[int], str | None]) -> PageLinks:
    """Return the pager of a window, each page's address made by ``href(number)``."""
    return PageLinks(
        page=window.page,
        last_page=window.last_page,
        total=window.total,
        pages=tuple((n, None if n == window.page else href(n)) for n in window.nearby()),
        previous=href(window.previous.page) if window.previous else None,
        next=href(window.next.page) if window.next else None,
    )


def page_query(page: int, **selection: str | None) -> str:
    """Return the query string of a page of a view: ``?property=…&page=3``, or ``""``.

    The first page has no ``page`` parameter: it is the view's own address.
    """
    params = [(name, value) for name, value in selection.items() if value is not None]
    if page > 1:
        params.append((PAGE_PARAMETER, str(page)))
    return "?" + urlencode(params, quote_via=quote) if params else ""


def class_index_path(site: iris.Site, class_iri: str, page: int = 1) -> str:
    """Return the path of a class index page: ``/index/ps:State``, or ``/index/?class=IRI``."""
    curie = site.curie(class_iri)
    if curie is not None:
        return INDEX_PATH + curie + page_query(page)
    return INDEX_PATH + page_query(page, **{"class": class_iri})


def expand_curie(site: iris.Site, curie: str) -> str | None:
    """Return the IRI a prefixed name of the site's prefixes stands for, or None."""
    prefix, colon, local = curie.partition(":")
    namespace = site.prefixes.get(prefix)
    if not colon or namespace is None or not local:
        return None
    return namespace + local


__all__ = [
    "DEFAULT_PAGE_SIZE",
    "PageError",
    "PageLinks",
    "Window",
    "class_index_path",
    "expand_curie",
    "page_links",
    "page_query",
]
