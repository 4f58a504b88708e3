"""Content negotiation over the one table of media types."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from paxsilica import media

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def choose(header: str, user_agent: str | None = None, offered=media.DOCUMENT_TYPES):
    result = media.negotiate(parse_accept_header(header, MIMEAccept), offered, user_agent)
    return result.key if result else None


@pytest.mark.parametrize(
    ("header", "user_agent", "expected"),
    [
        (BROWSER_ACCEPT, FIREFOX, "html"),
        ("*/*", FIREFOX, "html"),
        ("*/*", "curl/8.5.0", "turtle"),
        ("", None, "turtle"),
        ("text/turtle", None, "turtle"),
        ("application/ld+json", None, "jsonld"),
        ("application/rdf+xml", None, "rdfxml"),
        ("application/n-triples", None, "ntriples"),
        ("application/ld+json;q=0.5, text/turtle;q=0.9", None, "turtle"),
        ("application/ld+json;q=0.9, text/turtle;q=0.5", None, "jsonld"),
        ("text/html;q=0.1, application/rdf+xml", FIREFOX, "rdfxml"),
        ("application/json", None, "jsonld"),
        ("image/png", None, None),
        ("text/turtle;q=0", None, None),
    ],
)
def test_negotiation(header: str, user_agent: str | None, expected: str | None) -> None:
    assert choose(header, user_agent) == expected


def test_results_negotiation_uses_the_same_table() -> None:
    assert choose("application/sparql-results+json", offered=media.RESULTS_TYPES) == "json"
    assert choose("text/csv;q=0.9, text/tab-separated-values", offered=media.RESULTS_TYPES) == "tsv"


def test_extensions_and_content_types() -> None:
    assert media.by_extension("jsonld", media.DOCUMENT_TYPES) is media.JSON_LD
    assert media.by_extension("exe", media.DOCUMENT_TYPES) is None
    assert media.TURTLE.content_type == "text/turtle; charset=utf-8"
    assert "text/turtle" in media.offered_list(media.DOCUMENT_TYPES)
