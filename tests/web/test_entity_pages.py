"""Entity pages that answer at a glance: a summary, readable fields, the statements one click
away, the status on a date, the sources' cards; in English and in French."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from paxsilica.web.state import published

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "text/html"}
BASE = "https://w3id.org/pax-silica/id/"


class Text(HTMLParser):
    """A page's text, its links, and the text of its summary apart."""

    def __init__(self, html: str):
        super().__init__()
        self.parts: list[str] = []
        self.summary: list[str] = []
        self.links: list[str] = []
        self._in_summary = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        if tag == "section" and attributes.get("class") == "summary":
            self._in_summary = 1
        elif tag == "section" and self._in_summary:
            self._in_summary += 1

    def handle_endtag(self, tag):
        if tag == "section" and self._in_summary:
            self._in_summary -= 1

    def handle_data(self, data):
        self.parts.append(data)
        if self._in_summary:
            self.summary.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    @property
    def summary_text(self) -> str:
        return " ".join(" ".join(self.summary).split())


@pytest.fixture(scope="module")
def app(make_app) -> Flask:
    return make_app()


def page(client: FlaskClient, path: str, lang: str = "en", status: int = 200) -> Text:
    response = client.get(path, headers={**BROWSER, "Accept-Language": lang})
    assert response.status_code == status, (path, response.get_data(as_text=True)[:300])
    return Text(response.get_data(as_text=True))


def count(client: FlaskClient, query: str) -> int:
    docs = published(client.application).documents
    answer = docs.store.query(query, prefixes=docs.prefixes, default_graph=docs.graphs)
    return int(next(iter(answer))["n"].value)


def test_japans_page_opens_with_a_summary_counted_from_the_store(client: FlaskClient) -> None:
    with client.application.app_context():
        companies = count(
            client,
            f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c ps:homeState <{BASE}state/JP> }}",
        )
        links = count(
            client,
            "SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE "
            f"{{ ?l a ps:SupplyLink ; ps:supplier <{BASE}state/JP> }}",
        )
    english = page(client, "/doc/state/JP").summary_text
    assert english.startswith("Japan — founding signatory since December 12, 2025 (Washington")
    assert f"home state of {companies} companies" in english
    assert f"supplier in {links} supply links" in english
    assert re.search(r"largest supplier among the states of \d+ inputs of the chain", english)
    french = page(client, "/doc/state/JP", "fr").summary_text
    assert french.startswith("Japon — signataire fondateur depuis le 12 décembre 2025 (Washington)")
    assert f"pays d'origine de {companies} entreprises" in french


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize(
    "path",
    [
        "/doc/state/JP",
        "/doc/membership/JP-2025-12-12",
        "/doc/supply-link/gallium-CN-primary-2025-mcs2026",
        "/doc/export-control/cn-2023-023",
        "/doc/claim/seed-summit-date",
        "/doc/source/usgs-mcs-2025",
        "/doc/technology/gallium",
        "/doc/company/asml",
        "/doc/event/2025-12-12-inaugural-summit",
    ],
)
def test_the_readable_page_shows_no_datatype_or_language_tag(
    client: FlaskClient, path: str, lang: str
) -> None:
    response = client.get(path, headers={**BROWSER, "Accept-Language": lang})
    html = response.get_data(as_text=True)
    shown = Text(html)
    assert 'class="summary"' in html
    assert 'class="tag"' not in html
    assert "xsd:" not in shown.text
    assert not re.search(r"@(en|fr)\b", shown.text)
    assert f"{path}?view=statements" in shown.links


def test_the_statements_view_shows_every_statement_with_its_tags(client: FlaskClient) -> None:
    readable = page(client, "/doc/membership/JP-2025-12-12")
    assert "from December 12, 2025" in readable.text  # memberDuring → … → inXSDDate
    statements = client.get("/doc/membership/JP-2025-12-12?view=statements", headers=BROWSER)
    html = statements.get_data(as_text=True)
    shown = Text(html)
    assert "xsd:date" in shown.text
    assert "@en" in shown.text
    assert "@fr" in shown.text
    assert "2025-12-12" in shown.text
    assert 'class="summary"' not in html
    assert "/doc/membership/JP-2025-12-12" in shown.links  # back to the readable page
    assert "/doc/membership/JP-2025-12-12.ttl" in shown.links
    assert page(client, "/doc/state/JP?view=statements&page=2").text


def test_units_in_words_and_french_dates(client: FlaskClient) -> None:
    link = page(client, "/doc/supply-link/rare-earths-CN-mine-2024").text
    assert "270,000 tonnes" in link
    assert "TNE" not in link
    french = page(client, "/doc/supply-link/rare-earths-CN-mine-2024", "fr").text
    assert "270\u202f000 tonnes" in french or "270 000 tonnes" in french
    control = page(client, "/doc/export-control/cn-2023-023", "fr").text
    assert "1 août 2023" in control
    assert "3 juillet 2023" in control
    assert "2023-08-01" not in control.split("IRI")[0]


def test_status_on_a_date(client: FlaskClient) -> None:
    path = "/doc/export-control/cn-2024-12-03-us-ban"
    assert "On January 1, 2026: suspended" in page(client, f"{path}?date=2026-01-01").summary_text
    unknown = page(client, f"{path}?date=2026-11-30").summary_text
    assert "On November 30, 2026: unknown" in unknown
    assert "extended, lapsed or replaced" in unknown  # the caveat, in words
    french = page(client, f"{path}?date=2026-11-30", "fr").summary_text
    assert "Au 30 novembre 2026 : inconnu" in french
    membership = "/doc/membership/JP-2025-12-12"
    assert "not yet begun" in page(client, f"{membership}?date=2025-12-01").summary_text
    assert "in force" in page(client, f"{membership}?date=2026-01-01").summary_text
    assert "outside" in page(client, "/doc/state/JP?date=2025-01-01").summary_text


@pytest.mark.parametrize("query", ["date=2025-13-01", "date=tomorrow", "view=everything"])
def test_a_bad_date_or_view_is_a_clear_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"/doc/membership/JP-2025-12-12?{query}", headers=BROWSER)
    assert response.status_code == 400
    wanted = "YYYY-MM-DD" if query.startswith("date") else "view"
    assert wanted in response.get_data(as_text=True)


def test_a_source_page_shows_its_card_and_flags_a_missing_address(client: FlaskClient) -> None:
    usgs = page(client, "/doc/source/usgs-mcs-2025").summary_text
    for part in ("Mineral Commodity Summaries 2025", "U.S. Geological Survey", "2025"):
        assert part in usgs
    assert "none given" in usgs
    eto = page(client, "/doc/source/eto-chip-explorer", "fr")
    assert "https://eto.tech/dataset-docs/chipexplorer" in eto.links
    assert "eto-chip-explorer/provision.csv" in eto.summary_text
    assert "Lue dans" in eto.summary_text


def test_links_back_are_worded_and_claims_stay_contested(client: FlaskClient) -> None:
    china = page(client, "/doc/state/CN").text
    assert re.search(r"home state of \d+ companies", china)
    claim = page(client, "/doc/claim/seed-summit-date", "fr").summary_text
    assert "contestée" in claim
    assert "confiance faible" in claim
    derived = page(client, "/doc/source/usgs-mcs-2025").text
    assert "derived: computed by the project" in derived
