"""The SPARQL page's views of a result: examples reopened by name and date, the bar chart."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from paxsilica import iris
from paxsilica.publish.result_chart import MAX_BARS
from paxsilica.sparql.examples import find_example, load_examples

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "text/html"}
EXAMPLES = load_examples(iris.Site())
SVG = "{http://www.w3.org/2000/svg}"


def answer(client: FlaskClient, query: str) -> dict:
    response = client.post(
        "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200
    return json.loads(response.data)


def body_rows(page: str) -> int:
    table = page.split('<table id="sparql-results"', 1)[1].split("</table>", 1)[0]
    return table.split("<tbody>", 1)[1].count("<tr>")


def test_an_example_reopens_by_name_on_a_date(client: FlaskClient) -> None:
    example = find_example(EXAMPLES, "single-points-of-failure")
    assert example.date == "2026-12-01"
    page = client.get(
        "/sparql?example=single-points-of-failure&date=2025-12-12", headers=BROWSER
    ).get_data(as_text=True)
    asked = example.on("2025-12-12")
    assert '"2025-12-12"^^xsd:date' in asked
    editor = re.search(r'<textarea id="sparql-query"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert html.unescape(editor) == asked
    expected = answer(client, asked)["results"]["bindings"]
    assert body_rows(page) == len(expected)
    assert 'href="/sparql?example=single-points-of-failure&amp;date=2025-12-12"' in page
    assert 'name="date" type="date" value="2025-12-12"' in page


def test_the_date_changes_the_answer(client: FlaskClient) -> None:
    example = find_example(EXAMPLES, "single-points-of-failure")
    before = {
        b["bloc"]["value"] for b in answer(client, example.on("2025-12-01"))["results"]["bindings"]
    }
    after = {b["bloc"]["value"] for b in answer(client, example.query)["results"]["bindings"]}
    assert before == {"outside"}
    assert "inside" in after


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/sparql?example=nothing-of-the-kind", 404),
        ("/sparql?example=states&date=2026-01-01", 400),
        ("/sparql?example=single-points-of-failure&date=2026-13-01", 400),
        ("/sparql?example=single-points-of-failure&date=soon", 400),
    ],
)
def test_what_an_example_link_cannot_do_is_said(
    client: FlaskClient, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert b"Traceback" not in response.data


def test_the_examples_link_by_name(client: FlaskClient) -> None:
    page = client.get("/sparql", headers=BROWSER).get_data(as_text=True)
    for example in EXAMPLES:
        assert f'href="/sparql?example={example.slug}"' in page


def test_the_chart_draws_the_results_numbers(client: FlaskClient) -> None:
    example = find_example(EXAMPLES, "bloc-share-by-input")
    response = client.get(
        "/sparql?example=bloc-share-by-input&view=chart&value=others", headers=BROWSER
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    svg = re.search(r"<svg .*?</svg>", page, re.S).group(0)
    bars = [
        (rect.get("data-label"), Decimal(rect.get("data-value")))
        for rect in ET.fromstring(svg).iter(SVG + "rect")
        if rect.get("data-value") is not None
    ]
    expected = [
        (b["input"]["value"], Decimal(b["others"]["value"]))
        for b in answer(client, example.query)["results"]["bindings"]
        if "others" in b
    ][:MAX_BARS]
    assert [v for _, v in bars] == [v for _, v in expected]
    for (drawn, _), (label, _) in zip(bars, expected, strict=True):
        assert drawn == label or (drawn.endswith("…") and label.startswith(drawn[:-1]))
    # The table stays under the chart: it is the chart's text equivalent.
    assert 'aria-describedby="sparql-results"' in svg
    assert body_rows(page) == len(answer(client, example.query)["results"]["bindings"])


def test_views_are_offered_only_for_numbers(client: FlaskClient) -> None:
    numeric = client.get("/sparql?example=bloc-share-by-input", headers=BROWSER).get_data(
        as_text=True
    )
    assert "<svg" not in numeric
    assert 'href="/sparql?example=bloc-share-by-input&amp;view=chart"' in numeric
    words = client.get("/sparql?example=states&view=chart", headers=BROWSER).get_data(as_text=True)
    assert "<svg" not in words
    assert "sparql-views" not in words


def test_a_written_query_reopens_from_its_link(client: FlaskClient) -> None:
    query = "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }"
    page = client.get("/sparql", query_string={"query": query, "view": "chart"}, headers=BROWSER)
    text = page.get_data(as_text=True)
    link = html.unescape(re.search(r'id="sparql-link" href="([^"]+)"', text).group(1))
    assert link.startswith("/sparql?query=")
    again = client.get(link, headers=BROWSER).get_data(as_text=True)
    assert 'data-value="3"' in again


def test_results_scroll_inside_their_own_box() -> None:
    # At 390 px a wide table scrolls in its box, not the page (the browser crawl checks the page).
    css = Path("server/paxsilica/web/static/style.css").read_text(encoding="utf-8")
    assert re.search(r"\.sparql-table-box\s*\{[^}]*overflow-x:\s*auto", css)
