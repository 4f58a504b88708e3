"""The state, mineral and member charts: their numbers against SPARQL, their tables, their
languages, their links from the entity pages and their embeddable views."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from paxsilica.publish import charts
from paxsilica.web.state import published

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "text/html"}
BASE = "https://w3id.org/pax-silica/id/"
SVG = "{http://www.w3.org/2000/svg}"
TIES = """
SELECT ?tie ?day ?latest ?end WHERE {
  { ?tie a ps:Membership ; org:member <PARTY> ; org:memberDuring ?p }
  UNION { ?tie a ps:Participation ; ps:party <PARTY> ; time:hasTime ?p }
  ?p time:hasBeginning ?b .
  OPTIONAL { ?b time:inXSDDate ?day } OPTIONAL { ?b ps:noLaterThan ?latest }
  OPTIONAL { ?p time:hasEnd/time:inXSDDate ?end }
}
"""


def select(app: Flask, query: str) -> list:
    docs = published(app).documents
    return list(docs.store.query(query, prefixes=docs.prefixes, default_graph=docs.graphs))


def rects(svg: bytes, attribute: str) -> list[ET.Element]:
    return [r for r in ET.fromstring(svg).iter(SVG + "rect") if r.get(attribute) is not None]


@pytest.mark.parametrize("key", ["JP", "NL", "CN", "TW"])
def test_the_state_chart_draws_the_inputs_where_sparql_says_it_leads(
    app: Flask, client: FlaskClient, key: str
) -> None:
    response = client.get(f"/charts/state/{key}.svg?date=2026-03-01")
    assert response.status_code == 200
    assert response.content_type == "image/svg+xml; charset=utf-8"
    expected = sorted(
        (
            s["technology"].value,
            s["stage"].value,
            s["year"].value,
            Decimal(s["share"].value),
        )
        for s in select(app, charts.leads_query(BASE + "state/" + key))
    )
    drawn = sorted(
        (
            r.get("data-technology"),
            r.get("data-stage"),
            r.get("data-year"),
            Decimal(r.get("data-share")),
        )
        for r in rects(response.data, "data-share")
    )
    assert drawn
    assert drawn == expected
    for rect in rects(response.data, "data-share"):
        assert float(rect.get("width")) == pytest.approx(
            float(rect.get("data-share")) * charts.BAR_WIDTH / 100, abs=0.1
        )


@pytest.mark.parametrize("key", ["gallium", "rare-earths", "lithium", "graphite"])
def test_the_mineral_chart_draws_the_quantities_of_the_graph(
    app: Flask, client: FlaskClient, key: str
) -> None:
    response = client.get(f"/charts/mineral/{key}.svg")
    assert response.status_code == 200
    answer = select(app, charts.production_query(BASE + "technology/" + key))
    # One bar per supply link (two links may say the same numbers).
    expected = sorted(
        {
            s["link"].value: (
                s["supplier"].value,
                s["stage"].value,
                s["year"].value if s["year"] else "",
                Decimal(s["quantity"].value),
            )
            for s in answer
        }.values()
    )
    bars = rects(response.data, "data-value")
    drawn = sorted(
        (
            r.get("data-supplier"),
            r.get("data-stage"),
            r.get("data-year"),
            Decimal(r.get("data-value")),
        )
        for r in bars
    )
    assert drawn
    assert drawn == expected
    # Each bar against the largest of its year, stage and unit.
    largest: dict[tuple, Decimal] = {}
    for r in bars:
        group = (r.get("data-stage"), r.get("data-year"), r.get("data-unit"))
        largest[group] = max(largest.get(group, Decimal(0)), Decimal(r.get("data-value")))
    for r in bars:
        top = largest[(r.get("data-stage"), r.get("data-year"), r.get("data-unit"))]
        length = float(Decimal(r.get("data-value")) / top) * charts.BAR_WIDTH if top else 0.0
        assert float(r.get("width")) == pytest.approx(length, abs=0.1)


@pytest.mark.parametrize("key", ["JP", "QA", "AE", "TW"])
def test_the_member_timeline_places_each_tie_of_the_graph(
    app: Flask, client: FlaskClient, key: str
) -> None:
    html = client.get(f"/charts/state/{key}?date=2026-03-01", headers=BROWSER).get_data(
        as_text=True
    )
    timeline = next(
        ET.fromstring(found)
        for found in re.findall(r"<svg .*?</svg>", html, re.S)
        if "timeline-title" in found
    )
    drawn = sorted(
        (r.get("data-begins"), r.get("data-ends"))
        for r in timeline.iter(SVG + "rect")
        if r.get("data-begins")
    )
    expected = sorted(
        (
            (s["day"] or s["latest"]).value,
            s["end"].value if s["end"] else None,
        )
        for s in select(app, TIES.replace("PARTY", BASE + "state/" + key))
        if s["day"] or s["latest"]
    )
    assert drawn
    assert drawn == expected
    assert 'id="timeline-data"' in html


def test_a_member_with_no_lead_still_has_its_timeline(client: FlaskClient) -> None:
    response = client.get("/charts/state/QA", headers=BROWSER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "timeline-title" in html
    assert "chart-title" not in html
    assert client.get("/charts/state/QA.svg").status_code == 404


@pytest.mark.parametrize(
    ("path", "english", "french"),
    [
        ("/charts/state/JP", "Inputs where it leads: ", "Intrants où il est en tête : "),
        ("/charts/mineral/gallium", "Production by country: ", "Production par pays : "),
    ],
)
def test_each_chart_is_a_page_in_both_languages_with_its_tables(
    client: FlaskClient, path: str, english: str, french: str
) -> None:
    for lang, words in (("en", english), ("fr", french)):
        html = client.get(f"{path}?lang={lang}", headers=BROWSER).get_data(as_text=True)
        assert f'<html lang="{lang}">' in html
        assert words in html
        assert 'id="chart-data"' in html
        assert '<th scope="row">' in html
        assert "<script" not in html
        assert f"/embed{path}?" in html
    fr = client.get(path + "?lang=fr", headers=BROWSER).get_data(as_text=True)
    assert "&nbsp;%" in fr or "\u202f%" in fr


def test_the_entity_pages_link_to_their_charts(client: FlaskClient) -> None:
    japan = client.get("/doc/state/JP", headers=BROWSER).get_data(as_text=True)
    assert 'href="/charts/state/JP"' in japan
    gallium = client.get("/doc/technology/gallium", headers=BROWSER).get_data(as_text=True)
    assert 'href="/charts/technology/gallium"' in gallium
    assert 'href="/charts/mineral/gallium"' in gallium
    lithography = client.get(
        "/doc/technology/arf-dry-duv-lithography-tools", headers=BROWSER
    ).get_data(as_text=True)
    assert 'href="/charts/technology/arf-dry-duv-lithography-tools"' in lithography
    assert "/charts/mineral/" not in lithography
    summit = client.get("/doc/event/2025-12-12-inaugural-summit", headers=BROWSER)
    assert "/charts/" not in summit.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/charts/state/XX",
        "/charts/mineral/arf-dry-duv-lithography-tools",
        "/charts/other/JP",
        "/embed/charts/state/XX",
        "/charts/state/JP?date=2026-13-01",
    ],
)
def test_what_a_chart_cannot_draw_is_a_clear_error(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers=BROWSER)
    assert response.status_code in (400, 404)
    assert b"Traceback" not in response.data


def test_the_embed_holds_the_chart_and_a_link_back(client: FlaskClient) -> None:
    html = client.get("/embed/charts/mineral/gallium?lang=fr", headers=BROWSER).get_data(
        as_text=True
    )
    assert '<html lang="fr">' in html
    assert 'href="/charts/mineral/gallium?date=' in html
    assert 'target="_top"' in html
    assert "<svg" in html
    assert 'id="chart-data"' in html
    assert '<header class="site">' not in html
