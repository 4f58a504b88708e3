"""Search by name over HTTP: the results page (no script needed) and the JSON suggestions."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient

from paxsilica.publish.search import MAX_QUERY_LENGTH

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "text/html"}


def result_links(html: str) -> list[tuple[str, str]]:
    listed = re.search(r'<ol class="search-results">(.*?)</ol>', html, re.S)
    assert listed, "no results list"
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', listed.group(1))


@pytest.mark.parametrize(
    ("asked", "lang", "first"),
    [
        ("taiw", "en", ("/id/state/TW", "Taiwan")),
        ("Ta%C3%AFw", "fr", ("/id/state/TW", "Taïwan")),
        ("etats", "fr", ("/id/state/US", "États-Unis")),
        ("etats", "en", ("/id/state/US", "United States")),
    ],
)
def test_the_results_page_finds_prefixes_in_both_languages(
    client: FlaskClient, asked: str, lang: str, first: tuple[str, str]
) -> None:
    response = client.get(f"/search?q={asked}&lang={lang}", headers=BROWSER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert result_links(html)[0] == first
    # The class is named in the page's language.
    assert ("État" if lang == "fr" else "State") in html


def test_an_empty_search_is_a_page_with_the_box_and_no_results(client: FlaskClient) -> None:
    response = client.get("/search?q=", headers=BROWSER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="search-q"' in html
    assert "search-results" not in html


def test_a_search_too_long_is_refused_clearly(client: FlaskClient) -> None:
    response = client.get("/search?q=" + "a" * (MAX_QUERY_LENGTH + 1))
    assert response.status_code == 400
    assert "characters" in response.get_data(as_text=True)
    assert client.get("/search/suggest?q=" + "a" * (MAX_QUERY_LENGTH + 1)).status_code == 400


def test_unknown_text_says_nothing_was_found(client: FlaskClient) -> None:
    html = client.get("/search?q=zzzqqq&lang=fr", headers=BROWSER).get_data(as_text=True)
    assert "Aucun nom" in html


def test_an_iri_goes_to_the_lookup(client: FlaskClient) -> None:
    iri = "https://w3id.org/pax-silica/id/state/JP"
    response = client.get("/search", query_string={"q": iri})
    assert response.status_code == 303
    looked_up = client.get(response.headers["Location"])
    assert looked_up.status_code == 303
    assert looked_up.headers["Location"].endswith("/state/JP")


def test_the_suggestions_are_json_with_the_right_media_type(client: FlaskClient) -> None:
    response = client.get("/search/suggest?q=taiw&lang=fr")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answer = json.loads(response.data)
    assert answer["q"] == "taiw"
    first = answer["results"][0]
    assert first["label"] == "Taïwan"
    assert first["href"] == "/id/state/TW"
    assert first["class"] == "État"
    assert len(answer["results"]) <= 8


def test_empty_suggestions_are_an_empty_list(client: FlaskClient) -> None:
    answer = json.loads(client.get("/search/suggest?q=").data)
    assert answer["results"] == []


def test_the_boxes_search_by_name(client: FlaskClient) -> None:
    for path in ("/", "/tables/"):
        html = client.get(path, headers=BROWSER).get_data(as_text=True)
        assert 'action="/search"' in html
        assert 'name="iri"' not in html
    # The script that suggests is served, and only enhances: the form submits without it.
    with client.get("/static/search-suggest.js") as script:
        assert script.status_code == 200


def test_names_are_escaped(make_app, tmp_path) -> None:
    path = tmp_path / "hostile.ttl"
    path.write_text(
        "<https://w3id.org/pax-silica/id/company/hostile> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "Zq<script>x</script>"@en .\n',
        encoding="utf-8",
    )
    client = make_app(data_files=[str(path)]).test_client()
    html = client.get("/search?q=zq", headers=BROWSER).get_data(as_text=True)
    assert "Zq&lt;script&gt;" in html
    assert "<script>x" not in html
