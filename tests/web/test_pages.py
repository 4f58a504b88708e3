"""HTML pages: home, entity pages, ontology documentation, languages, escaping, error pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient

from paxsilica import bundle, iris, paths
from paxsilica.publish.cache import BoundedCache
from paxsilica.web.state import published
from publication_support import FIXTURE

BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36",
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
}


class Page(HTMLParser):
    """The parts of a page the tests look at: links, ids, text, script elements."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0
        self.bold = 0
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "script":
            self.scripts += 1
        if tag in ("b", "em"):
            self.bold += 1

    def handle_data(self, data):
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def app(make_app) -> Flask:
    return make_app(data_files=[str(FIXTURE)])


def page(client: FlaskClient, path: str, **headers: str) -> Page:
    response = client.get(path, headers={**BROWSER, **headers})
    assert response.status_code == 200, path
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def test_home_page_says_what_the_dataset_is_and_links_into_it(client: FlaskClient) -> None:
    home = page(client, "/")
    assert "Pax Silica" in home.all_text
    for target in (
        "/id/state/JP",  # a member
        "/id/state/XT",  # the fixture's member
        "/id/technology/gallium",
        "/id/declaration/pax-silica",
        "/dumps/",
        "/sparql",
        "/.well-known/void",
        "/ontology",
    ):
        assert target in home.links, target
    # Counts: the members listed, and the triples held.
    assert "members and participants" in home.all_text
    assert "triples" in home.all_text


def test_home_page_in_french(client: FlaskClient) -> None:
    home = page(client, "/", **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert "Pax Silica en données liées" in home.all_text
    assert "Japon" in home.all_text
    english = page(client, "/?lang=en", **{"Accept-Language": "fr"})
    assert "Japan" in english.all_text


def test_entity_page_shows_label_types_properties_facts_links_and_sources(
    client: FlaskClient,
) -> None:
    xt = page(client, "/doc/state/XT")
    text = xt.all_text
    assert "Testland" in text
    assert "/ontology#State" in xt.links  # a type, linked to its documentation
    assert "ISO 3166-1 alpha-2 code" in text
    assert "XT" in text
    # Facts pointing at it, whole, each a link to its own page.
    assert "/id/membership/XT-2026-01-01" in xt.links
    assert "/id/supply-link/testium-XT-refining" in xt.links
    assert "/id/claim/xt-rumour" in xt.links
    assert "2026-01-01" in text  # the membership's nested beginning date
    # Incoming links and property targets as links.
    assert "/id/company/xt-corp" in xt.links
    assert "/id/technology/testium" in xt.links
    # The cited source, with its address.
    assert "/id/source/xt-gazette" in xt.links
    assert "https://example.org/gazette/xt-signs-up?a=1&b=2" in xt.links
    assert "Testland signs up" in text
    # Every alternate format is linked.
    for extension in ("ttl", "jsonld", "rdf", "nt"):
        assert f"/doc/state/XT.{extension}" in xt.links


def test_entity_page_language_by_header_and_switch(client: FlaskClient) -> None:
    french = page(client, "/doc/state/XT", **{"Accept-Language": "fr"})
    assert "Testlande" in french.all_text
    assert "Propriétés" in french.all_text
    assert "/lang/en?next=/doc/state/XT" in french.links
    assert "Testlande" in page(client, "/doc/state/XT?lang=fr").all_text
    english = page(client, "/doc/state/XT?lang=en", **{"Accept-Language": "fr"})
    assert "Properties" in english.all_text
    assert "Propriétés" not in english.all_text
    heading = client.get("/doc/state/XT?lang=en", headers=BROWSER).get_data(as_text=True)
    assert "<h1>Testland</h1>" in heading
    assert "/lang/fr?next=/doc/state/XT" in english.links


def test_language_switch_holds_from_page_to_page(client: FlaskClient) -> None:
    switch = client.get("/lang/fr", query_string={"next": "/doc/state/XT"})
    assert switch.status_code == 303
    assert switch.headers["Location"] == "/doc/state/XT"
    assert "lang=fr" in switch.headers["Set-Cookie"]
    # The client keeps the cookie: every page is French now, whatever the browser prefers.
    assert "Testlande" in page(client, "/doc/state/XT", **{"Accept-Language": "en"}).all_text
    assert "Japon" in page(client, "/").all_text
    client.get("/lang/en", query_string={"next": "/"})
    assert "Testland" in page(client, "/doc/state/XT", **{"Accept-Language": "fr"}).all_text
    # The switch only sends readers to pages of this site, and only knows two languages.
    assert (
        client.get("/lang/fr", query_string={"next": "//evil.example/"}).headers["Location"] == "/"
    )
    assert (
        client.get("/lang/fr", query_string={"next": "https://evil.example/"}).headers["Location"]
        == "/"
    )
    assert client.get("/lang/de").status_code == 404


def test_literals_are_escaped(client: FlaskClient) -> None:
    for path in ("/doc/state/XT", "/doc/claim/xt-rumour", "/doc/state/XT?lang=fr"):
        html = client.get(path, headers=BROWSER).get_data(as_text=True)
        parsed = Page(html)
        assert parsed.scripts == 0, path
        assert parsed.bold == 0, path
        assert "<script>" not in html
    html = client.get("/doc/state/XT", headers=BROWSER).get_data(as_text=True)
    assert (
        "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    )
    assert "?a=1&amp;b=2" in html


def test_ontology_page_documents_every_term(client: FlaskClient) -> None:
    ontology = rdflib.Graph()
    for path in paths.ontology_files():
        ontology.parse(path, format="turtle")
    terms = {
        str(s)[len(iris.ONTOLOGY_NS) :]
        for s in ontology.subjects()
        if isinstance(s, rdflib.URIRef) and str(s).startswith(iris.ONTOLOGY_NS)
    }
    assert len(terms) > 50
    html = client.get("/ontology", headers=BROWSER).get_data(as_text=True)
    documentation = Page(html)
    assert terms <= documentation.ids
    text = documentation.all_text
    # English and French labels and definitions, side by side.
    assert "State" in text
    assert "État" in text
    assert "A sovereign state" in text
    assert "Un État souverain" in text
    # Domains, ranges and alignments, with class expressions spelled out.
    assert "ps:Initiative" in text
    assert "ps:Summit" in text
    assert "ps:SupplyLink or ps:Provision" in text
    assert "org:hasMembership some ps:SignatoryMembership" in text
    assert "wdt:P297" in text
    assert "#State" in documentation.links


def test_error_page_for_browsers(client: FlaskClient) -> None:
    response = client.get("/id/state/ZZ", headers=BROWSER)
    assert response.status_code == 404
    parsed = Page(response.get_data(as_text=True))
    assert "404 Not Found" in parsed.all_text
    assert "/" in parsed.links


def test_void_and_dumps_pages_render(client: FlaskClient) -> None:
    void = page(client, "/.well-known/void")
    assert "void:triples" in void.all_text or "triples" in void.all_text
    dumps = page(client, "/dumps/")
    assert "/dumps/pax-silica.nq" in dumps.links
    graph = page(client, "/graph/instances")
    assert "/graph/instances.ttl" in graph.links


def test_favicon_and_stylesheet(client: FlaskClient) -> None:
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
    with client.get("/static/style.css") as css:
        assert css.status_code == 200
        assert css.mimetype == "text/css"


def every_page(client: FlaskClient, path: str) -> list[Page]:
    """A paged view's pages, from the first, following each pager's "next" link."""
    pages = []
    while path:
        response = client.get(path, headers=BROWSER)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        pages.append(Page(html))
        following = re.search(r'<a href="([^"]+)" rel="next">', html)
        path = following.group(1).replace("&amp;", "&") if following else None
    return pages


def test_class_indexes_list_every_instance_page_by_page(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("paxsilica.publish.index_view.PAGE_SIZE", 5)
    # Pages of five, kept apart from the pages of a hundred the other tests may have made.
    monkeypatch.setattr(published(app), "pages", BoundedCache(64))
    assert "/index/" in page(client, "/").links
    classes = every_page(client, "/index/")
    assert len(classes) > 1
    assert any("/index/ps:State" in p.links for p in classes)
    data = rdflib.Graph().parse(FIXTURE, format="turtle")
    for path in bundle.instance_files():  # the hand-written and the generated (the states)
        data.parse(path, format="turtle")
    ps = rdflib.Namespace(iris.ONTOLOGY_NS)
    expected = {
        "/id/" + str(s)[len(iris.ENTITY_BASE) :] for s in data.subjects(rdflib.RDF.type, ps.State)
    }
    states = every_page(client, "/index/ps:State")
    assert len(states) == -(-len(expected) // 5)
    listed = [link for p in states for link in p.links if link.startswith("/id/state/")]
    assert sorted(listed) == sorted(expected)  # each state once, on one page
    assert client.get("/index/ps:State?page=999", headers=BROWSER).status_code == 404
    assert client.get("/index/ps:State?page=x", headers=BROWSER).status_code == 400
    assert client.get("/index/zz:Nothing", headers=BROWSER).status_code == 404
    assert client.get("/index/ps:NoSuchClass", headers=BROWSER).status_code == 404
    concept = client.get("/index/?class=http://www.w3.org/2004/02/skos/core%23Concept")
    assert concept.status_code == 200
