"""The home page's dashboard on a date: its figures against SPARQL written here, its links,
its languages, its 400 on a bad date and its width on a phone."""

from __future__ import annotations

import datetime
import re
import threading
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from browser_support import chromium_driver
from paxsilica.publish.dashboard import TOP
from paxsilica.web.i18n import strings
from paxsilica.web.state import published
from paxsilica.web.templating import href_for

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "text/html"}
SVG = "{http://www.w3.org/2000/svg}"
DAYS = ["2025-12-12", "2026-01-13", "2026-03-01"]

# The bloc on a day, written here from the README's rule ("The bloc on a date").
SIGNATORIES = """
SELECT DISTINCT ?party WHERE {
  ?m a ps:Membership ; org:member ?party ; org:memberDuring ?p .
  ?p time:hasBeginning ?b .
  OPTIONAL { ?b time:inXSDDate ?day } OPTIONAL { ?b ps:noLaterThan ?latest }
  FILTER(COALESCE(?day, ?latest) <= "DAY"^^xsd:date)
  FILTER NOT EXISTS { ?p time:hasEnd/time:inXSDDate ?end FILTER(?end < "DAY"^^xsd:date) }
}
"""
PARTICIPANTS = """
SELECT DISTINCT ?party WHERE {
  ?m a ps:Participation ; ps:party ?party ; time:hasTime ?p .
  ?p time:hasBeginning ?b .
  OPTIONAL { ?b time:inXSDDate ?day } OPTIONAL { ?b ps:noLaterThan ?latest }
  FILTER(COALESCE(?day, ?latest) <= "DAY"^^xsd:date)
  FILTER NOT EXISTS { ?p time:hasEnd/time:inXSDDate ?end FILTER(?end < "DAY"^^xsd:date) }
}
"""
BEGINNINGS = """
SELECT DISTINCT ?day WHERE {
  { ?m a ps:Membership ; org:memberDuring ?p } UNION { ?m a ps:Participation ; time:hasTime ?p }
  ?p time:hasBeginning ?b .
  { ?b time:inXSDDate ?day }
  UNION { ?b ps:noLaterThan ?day FILTER NOT EXISTS { ?b time:inXSDDate ?d } }
}
"""
# One supplier (no group) over 65% of an input's stage, in the latest year any such has.
SINGLE_POINTS = """
SELECT ?link WHERE {
  ?link a ps:SupplyLink ; ps:technology ?t ; ps:supplyStage ?s ; ps:sharePercent ?share ;
      ps:supplier ?supplier .
  OPTIONAL { ?link ps:referenceYear ?year }
  FILTER(?share > 65) FILTER NOT EXISTS { ?supplier a ps:ProviderGroup }
  {
    SELECT ?t ?s (MAX(COALESCE(STR(?y), "")) AS ?latest) WHERE {
      ?l a ps:SupplyLink ; ps:technology ?t ; ps:supplyStage ?s ; ps:sharePercent ?x ;
          ps:supplier ?other .
      OPTIONAL { ?l ps:referenceYear ?y }
      FILTER(?x > 65) FILTER NOT EXISTS { ?other a ps:ProviderGroup }
    } GROUP BY ?t ?s
  }
  FILTER(COALESCE(STR(?year), "") = ?latest)
}
"""
STAGE_SHARES = """
SELECT ?stage ?supplier ?share ?year WHERE {
  ?stage ps:inputKind ps:ChainStage .
  ?link a ps:SupplyLink ; ps:technology ?stage ; ps:supplier ?supplier ; ps:sharePercent ?share ;
      ps:referenceYear ?year .
  ?supplier a ps:State .
}
"""
EVENTS = """
SELECT ?event ?day WHERE {
  ?event a ps:Event .
  { ?event ps:date ?day }
  UNION { ?event ps:noLaterThan ?day FILTER NOT EXISTS { ?event ps:date ?d } }
  FILTER(?day <= "DAY"^^xsd:date)
}
"""


def select(app: Flask, query: str) -> list:
    docs = published(app).documents
    return list(docs.store.query(query, prefixes=docs.prefixes, default_graph=docs.graphs))


def parties(app: Flask, query: str, on: str) -> set[str]:
    return {s["party"].value for s in select(app, query.replace("DAY", on))}


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(found) for found in re.findall(r"<svg .*?</svg>", html, re.S)]


@pytest.fixture(scope="module")
def pages(app: Flask) -> dict[tuple[str, str], str]:
    client = app.test_client()
    found = {}
    for on in DAYS:
        for lang in ("en", "fr"):
            response = client.get(f"/?date={on}&lang={lang}", headers=BROWSER)
            assert response.status_code == 200
            found[(on, lang)] = response.get_data(as_text=True)
    return found


@pytest.mark.parametrize("on", DAYS)
def test_the_bloc_over_time_counts_what_sparql_counts(app: Flask, pages, on: str) -> None:
    timeline = svgs(pages[(on, "en")])[0]
    steps = [c for c in timeline.iter(SVG + "circle") if c.get("data-day")]
    assert steps, "the timeline draws the days the bloc changed"
    for step in steps:
        day = step.get("data-day")
        signatories = parties(app, SIGNATORIES, day)
        participants = parties(app, PARTICIPANTS, day) - signatories
        assert int(step.get("data-signatories")) == len(signatories), day
        assert int(step.get("data-participants")) == len(participants), day
    # Every day a membership or participation began is a step.
    drawn = {s.get("data-day") for s in steps}
    began = {s["day"].value for s in select(app, BEGINNINGS)}
    assert began <= drawn
    assert "2025-12-12" in began


def test_the_timeline_has_a_table_saying_the_same(pages) -> None:
    html = pages[("2026-03-01", "en")]
    assert 'aria-describedby="bloc-data"' in html
    table = html[html.index('id="bloc-data"') :]
    table = table[: table.index("</table>")]
    assert "December 12, 2025" in table
    assert "Qatar" in table
    assert '<td class="num">11</td>' in table  # signatories from 20 February 2026


def _dashboard(app: Flask, on: str, lang: str = "en"):
    with app.test_request_context():
        return published(app).dashboard.view(
            datetime.date.fromisoformat(on), lang, href_for, strings(lang)
        )


@pytest.mark.parametrize("on", ["2025-12-01", "2026-03-01"])
def test_single_points_of_failure_are_sparqls(app: Flask, on: str) -> None:
    view = _dashboard(app, on)
    expected = {s["link"].value for s in select(app, SINGLE_POINTS)}
    assert view.chain_total + view.mineral_total == len(expected)
    shown = view.chain_points + view.mineral_points
    assert 0 < len(view.chain_points) <= TOP
    assert 0 < len(view.mineral_points) <= TOP
    assert {p.link.iri for p in shown} <= expected
    signatories = parties(app, SIGNATORIES, on)
    participants = parties(app, PARTICIPANTS, on) - signatories
    for point in shown:
        supplier = point.supplier.iri
        if "/state/" in supplier:
            expected_standing = (
                "signatory"
                if supplier in signatories
                else ("participant" if supplier in participants else "outside")
            )
            assert point.standing == expected_standing, supplier
    # Largest shares first, each above the threshold.
    shares = [Decimal(p.share.rstrip("%")) for p in view.chain_points]
    assert shares == sorted(shares, reverse=True)
    assert min(shares) > 65


def test_the_single_points_link_to_their_pages_and_the_indexes(pages) -> None:
    html = pages[("2026-03-01", "en")]
    assert 'href="/id/technology/gallium"' in html
    assert "/charts/mineral/gallium?date=2026-03-01" in html
    assert "/tables/technologies?sort=leader_share&amp;order=desc&amp;date=2026-03-01" in html
    assert "/tables/minerals?sort=leader_share&amp;order=desc&amp;date=2026-03-01" in html
    assert 'href="/id/supply-link/' in html


@pytest.mark.parametrize("on", DAYS)
def test_the_stage_bars_are_the_sums_of_the_stated_shares(app: Flask, pages, on: str) -> None:
    signatories = parties(app, SIGNATORIES, on)
    participants = parties(app, PARTICIPANTS, on) - signatories
    rows = select(app, STAGE_SHARES)
    latest: dict[str, str] = {}
    for s in rows:
        latest[s["stage"].value] = max(latest.get(s["stage"].value, ""), s["year"].value)
    expected: dict[tuple[str, str], Decimal] = {}
    for s in rows:
        stage, supplier = s["stage"].value, s["supplier"].value
        if s["year"].value != latest[stage]:
            continue
        for kind, members in (("signatory", signatories), ("participant", participants)):
            expected.setdefault((stage, kind), Decimal(0))
            if supplier in members:
                expected[(stage, kind)] += Decimal(s["share"].value)
    drawn = {
        (rect.get("data-stage"), rect.get("data-kind")): Decimal(rect.get("data-sum"))
        for svg in svgs(pages[(on, "en")])
        for rect in svg.iter(SVG + "rect")
        if rect.get("data-sum") is not None
    }
    assert drawn == expected
    assert len(latest) == 3  # design, fabrication, assembly and test


def test_a_computed_sum_says_it_is_derived(pages) -> None:
    assert "A derived figure" in pages[("2026-03-01", "en")]
    assert "Un chiffre dérivé" in pages[("2026-03-01", "fr")]


@pytest.mark.parametrize("on", DAYS)
def test_the_latest_events_are_those_up_to_the_day(app: Flask, pages, on: str) -> None:
    view = _dashboard(app, on)
    expected = sorted(
        ((s["day"].value, s["event"].value) for s in select(app, EVENTS.replace("DAY", on))),
        reverse=True,
    )[:TOP]
    assert [link.iri for link, _ in view.events] == [iri for _, iri in expected]


def test_the_latest_export_control_changes_come_first(app: Flask) -> None:
    view = _dashboard(app, "2026-03-01")
    assert view.changes
    assert view.changes_total >= len(view.changes)
    before = _dashboard(app, "2025-01-01")
    assert before.changes_total < view.changes_total


def test_the_dashboard_speaks_both_languages(pages) -> None:
    english, french = pages[("2026-03-01", "en")], pages[("2026-03-01", "fr")]
    assert "The bloc at a glance on March 1, 2026" in english
    assert "Le bloc en un coup d’œil le 1 mars 2026" in french or "1 mars 2026" in french
    assert "Points de défaillance uniques" in french
    for html in (english, french):
        # The charts are drawn on the server: the one script is the search box's suggestions.
        assert re.findall(r"<script[^>]*>", html) == [
            '<script src="/static/search-suggest.js" defer>'
        ]
        assert 'viewBox="0 0 720' in html


def test_a_bad_date_is_a_clear_400(client: FlaskClient) -> None:
    for bad in ("2026-02-30", "tomorrow", "2026-3-1"):
        response = client.get(f"/?date={bad}", headers=BROWSER)
        assert response.status_code == 400
        assert "YYYY-MM-DD" in response.get_data(as_text=True)


def test_the_default_day_is_today(client: FlaskClient) -> None:
    html = client.get("/", headers=BROWSER).get_data(as_text=True)
    assert f'value="{datetime.date.today().isoformat()}"' in html


def test_the_home_page_does_not_scroll_sideways_on_a_phone(app: Flask, tmp_path: Path) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/"
    try:
        with chromium_driver(tmp_path / "profile") as driver:
            driver.set_window_size(390, 900)
            for path in (
                "?date=2026-03-01&lang=fr",
                "charts/state/JP",
                "embed/charts/mineral/gallium",
            ):
                driver.get(base + path)
                width = driver.execute_script("return document.documentElement.clientWidth")
                scrolled = driver.execute_script("return document.documentElement.scrollWidth")
                assert scrolled <= width, f"{path}: {scrolled} > {width}"
    finally:
        server.shutdown()
