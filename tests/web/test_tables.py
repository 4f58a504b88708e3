"""The index tables, their downloads (CSV, XLSX, CSVW) and the supplier charts, over HTTP."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from paxsilica.publish import charts
from paxsilica.publish.tables import MAX_PAGE_SIZE, SPECS
from paxsilica.web.tables import tables

pandas = pytest.importorskip("pandas")

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "text/html"}
BASE = "https://w3id.org/pax-silica/id/"
SVG = "{http://www.w3.org/2000/svg}"


def answer_rows(app: Flask, key: str, **filters: str) -> set[str]:
    """The rows the table's own SPARQL answers (with its facets applied by hand)."""
    with app.test_request_context():
        built = tables()
        found = {s["row"].value for s in built.select(built.query_of(SPECS[key]))}
    return found


@pytest.mark.parametrize("key", SPECS)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_table_is_a_page_in_both_languages(client: FlaskClient, key: str, lang: str) -> None:
    response = client.get(f"/tables/{key}?lang={lang}", headers=BROWSER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert "<script" not in html
    assert "xsd:" not in html
    assert "@en" not in html
    assert "@fr" not in html
    rows = html.count('<th scope="row">')
    assert 0 < rows <= 50
    assert f"/tables/{key}.csv?" in html
    assert f"/tables/{key}.xlsx?" in html
    assert f"/tables/{key}.csv-metadata.json?" in html


@pytest.mark.parametrize("key", SPECS)
def test_the_csv_holds_every_row_of_the_tables_sparql_answer(app, client, key) -> None:
    response = client.get(f"/tables/{key}.csv?date=2026-12-01")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    frame = pandas.read_csv(io.BytesIO(response.data), encoding="utf-8-sig", dtype=str)
    assert set(frame["IRI"]) == answer_rows(app, key)
    assert len(frame) == len(set(frame["IRI"]))


@pytest.mark.parametrize("key", SPECS)
def test_the_xlsx_holds_the_same_rows_as_the_csv(app, client, key) -> None:
    response = client.get(f"/tables/{key}.xlsx?date=2026-12-01")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    sheet = book.worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert {line[0] for line in lines[1:]} == answer_rows(app, key)
    frame = pandas.read_excel(io.BytesIO(response.data), sheet_name=0)
    assert len(frame) == len(lines) - 1


def test_downloads_keep_taiwan_readable_and_the_shares_of_the_graph(client) -> None:
    data = client.get("/tables/supply-links.csv?lang=fr&supplier=TW").data
    text = data.decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert lines
    assert all(line["Fournisseur"] == "Taïwan" for line in lines)
    by_iri = {line["IRI"]: line for line in lines}
    line = by_iri[BASE + "supply-link/leading-edge-logic-TW-capacity-2019"]
    assert Decimal(line["Part de l'offre mondiale"]) == Decimal(92)
    assert line["Fournisseur (IRI)"] == BASE + "state/TW"
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/tables/supply-links.xlsx?lang=fr&supplier=TW").data)
    )
    values = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert len(values) - 1 == len(lines)
    assert any("Taïwan" in row for row in values[1:])


@pytest.mark.parametrize("key", SPECS)
def test_the_csvw_describes_exactly_the_csvs_columns(client, key) -> None:
    query = "lang=fr&date=2026-12-01"
    metadata = json.loads(client.get(f"/tables/{key}.csv-metadata.json?{query}").data)
    header = next(
        csv.reader(io.StringIO(client.get(f"/tables/{key}.csv?{query}").data.decode("utf-8-sig")))
    )
    columns = metadata["tableSchema"]["columns"]
    assert [c["titles"]["fr"] for c in columns] == header
    assert len({c["name"] for c in columns}) == len(columns)
    assert all(
        c["datatype"] in {"string", "number", "integer", "date", "gYear", "anyURI", "boolean"}
        for c in columns
    )
    assert "http://www.w3.org/ns/csvw" in metadata["@context"]
    assert metadata["url"].endswith(f"/tables/{key}.csv?date=2026-12-01&lang=fr")
    assert metadata["dc:license"]["@id"].startswith("https://creativecommons.org/licenses/")


def test_the_csv_points_at_its_csvw_and_licence(client) -> None:
    response = client.get("/tables/supply-links.csv")
    assert 'rel="describedby"' in response.headers["Link"]
    assert "by-nc/4.0" in response.headers["Link"]
    assert "by-nc" not in client.get("/tables/export-controls.csv").headers["Link"]


def test_a_download_holds_the_whole_filtered_table_not_one_page(client) -> None:
    html = client.get("/tables/supply-links?size=25&stage=MarketShare", headers=BROWSER).get_data(
        as_text=True
    )
    total = int(re.search(r"([\d,]+) rows", html).group(1).replace(",", ""))
    assert total > 25
    text = client.get("/tables/supply-links.csv?size=25&stage=MarketShare").data.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) - 1 == total


def test_pages_are_bounded(client) -> None:
    html = client.get(f"/tables/supply-links?size={MAX_PAGE_SIZE}", headers=BROWSER).get_data(
        as_text=True
    )
    assert html.count('<th scope="row">') == MAX_PAGE_SIZE
    assert client.get(f"/tables/supply-links?size={MAX_PAGE_SIZE + 1}").status_code == 400


def test_sorting_and_filters_are_links_and_a_get_form(client) -> None:
    html = client.get("/tables/supply-links?sort=share&order=desc", headers=BROWSER).get_data(
        as_text=True
    )
    assert 'href="/tables/supply-links?sort=share&amp;order=asc"' in html
    assert '<form class="filters" action="/tables/supply-links" method="get">' in html
    assert 'aria-sort="descending"' in html
    second = client.get("/tables/supply-links?sort=share&order=desc&page=2", headers=BROWSER)
    assert 'rel="prev"' in second.get_data(as_text=True)


def test_export_controls_say_unknown_with_the_caveat(client) -> None:
    html = client.get(
        "/tables/export-controls?date=2026-12-01&status=StatusUnknown", headers=BROWSER
    ).get_data(as_text=True)
    assert "Unknown" in html
    assert "No source read as of 1 December 2026" in html
    assert "In force" not in html.split("<tbody>")[1]
    fr = client.get("/tables/export-controls?date=2025-12-01&lang=fr", headers=BROWSER).get_data(
        as_text=True
    )
    assert "Suspendue" in fr or "Suspendu" in fr
    assert "1 décembre 2025" in fr


def test_states_on_a_date(client) -> None:
    html = client.get("/tables/states?date=2025-12-12&bloc=participant", headers=BROWSER).get_data(
        as_text=True
    )
    assert "Netherlands" in html
    assert "Japan" not in html


@pytest.mark.parametrize(
    "query",
    [
        "date=2026-13-01",
        "date=yesterday",
        "sort=nothing",
        "order=up",
        "page=x",
        "size=0",
        "bogus=1",
        "q=%0a",
    ],
)
def test_what_a_table_cannot_do_is_a_clear_400(client, query: str) -> None:
    response = client.get(f"/tables/states?{query}")
    assert response.status_code == 400
    assert b"Traceback" not in response.data


def test_unknown_tables_and_charts_are_404(client) -> None:
    assert client.get("/tables/nothing").status_code == 404
    assert client.get("/tables/nothing.csv").status_code == 404
    assert client.get("/charts/technology/nothing").status_code == 404


def test_the_tables_are_linked_from_home_and_navigation(client) -> None:
    html = client.get("/", headers=BROWSER).get_data(as_text=True)
    for key in SPECS:
        assert f'href="/tables/{key}"' in html
    assert 'href="/tables/"' in client.get("/tables/states", headers=BROWSER).get_data(as_text=True)
    assert client.get("/tables").status_code == 308


def test_pages_showing_eto_data_carry_the_notice(client) -> None:
    assert "CC BY-NC 4.0" in client.get("/tables/supply-links", headers=BROWSER).get_data(
        as_text=True
    )
    assert "CC BY-NC 4.0" not in client.get("/tables/export-controls", headers=BROWSER).get_data(
        as_text=True
    )
    assert "CC BY-NC 4.0" in client.get(
        "/charts/technology/arf-dry-duv-lithography-tools", headers=BROWSER
    ).get_data(as_text=True)


# -- the chart ------------------------------------------------------------------------------


def _bars(svg: bytes) -> list[tuple[str, str, Decimal]]:
    root = ET.fromstring(svg)
    return [
        (rect.get("data-supplier"), rect.get("data-year"), Decimal(rect.get("data-share")))
        for rect in root.iter(SVG + "rect")
        if rect.get("data-share") is not None
    ]


@pytest.mark.parametrize("key", ["gallium", "arf-dry-duv-lithography-tools", "leading-edge-logic"])
def test_the_chart_draws_the_graphs_numbers(app, client, key: str) -> None:
    response = client.get(f"/charts/technology/{key}.svg?date=2026-03-01")
    assert response.status_code == 200
    assert response.content_type == "image/svg+xml; charset=utf-8"
    with app.test_request_context():
        docs = tables().docs
        answer = docs.store.query(
            charts.suppliers_query(BASE + "technology/" + key),
            prefixes=docs.prefixes,
            default_graph=docs.graphs,
        )
        expected = sorted(
            {
                (
                    s["link"].value,
                    s["supplier"].value,
                    s["year"].value if s["year"] else "",
                    Decimal(s["share"].value),
                )
                for s in answer
            }
        )
    drawn = _bars(response.data)
    assert sorted(drawn) == sorted((supplier, year, share) for _, supplier, year, share in expected)
    for rect in ET.fromstring(response.data).iter(SVG + "rect"):
        if rect.get("data-share"):
            assert float(rect.get("width")) == pytest.approx(
                float(rect.get("data-share")) * charts.BAR_WIDTH / 100, abs=0.1
            )


def test_the_chart_page_has_a_table_equivalent_and_bloc_markers(client) -> None:
    html = client.get(
        "/charts/technology/arf-dry-duv-lithography-tools?date=2026-03-01&lang=fr", headers=BROWSER
    ).get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert 'aria-describedby="chart-data"' in html
    assert 'id="chart-data"' in html
    assert "Pays-Bas" in html
    assert "94,4\u202f%" in html
    assert "participant" in html
    assert "signataire" in html
    assert "<script" not in html


HOSTILE = """
@prefix ps: <https://w3id.org/pax-silica/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/pax-silica/id/technology/hostile> a ps:Technology ;
    rdfs:label "<script>alert(1)</script> & co"@en ;
    skos:prefLabel "<script>alert(1)</script> & co"@en .
<https://w3id.org/pax-silica/id/company/hostile> a ps:Company ;
    rdfs:label "</text><script>x</script>"@en .
<https://w3id.org/pax-silica/id/supply-link/hostile> a ps:SupplyLink ;
    rdfs:label "<b>bold</b>"@en ;
    ps:technology <https://w3id.org/pax-silica/id/technology/hostile> ;
    ps:supplier <https://w3id.org/pax-silica/id/company/hostile> ;
    ps:supplyStage ps:MarketShare ; ps:sharePercent "50"^^xsd:decimal ;
    ps:referenceYear "2025"^^xsd:gYear .
"""


@pytest.fixture(scope="module")
def hostile_client(make_app, tmp_path_factory) -> FlaskClient:
    path = Path(tmp_path_factory.mktemp("hostile")) / "hostile.ttl"
    path.write_text(HOSTILE, encoding="utf-8")
    return make_app(data_files=[str(path)]).test_client()


@pytest.mark.parametrize(
    "path",
    [
        "/charts/technology/hostile",
        "/charts/technology/hostile.svg",
        "/tables/supply-links?q=bold",
        "/tables/technologies?q=alert",
        "/tables/companies?q=script",
    ],
)
def test_every_literal_is_escaped_in_tables_and_charts(hostile_client, path: str) -> None:
    response = hostile_client.get(path, headers=BROWSER)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script" not in body
    assert "<b>bold" not in body
    assert "&lt;script&gt;" in body or "&lt;b&gt;" in body
    if path.endswith(".svg"):
        ET.fromstring(response.data)  # still well-formed XML


# -- events and claims: the files hold the page's rows --------------------------------------


def _page_rows(client, path: str) -> list[str]:
    html = client.get(path, headers=BROWSER).get_data(as_text=True)
    return re.findall(r'<th scope="row"><a href="[^"]*" title="([^"]+)"', html)


@pytest.mark.parametrize(
    ("key", "filters", "expected"),
    [
        ("claims", "contested=contested", 3),
        ("claims", "confidence=LowConfidence", None),
        ("events", "event_kind=SigningEvent&sort=date&order=asc", None),
        ("events", "participants=TW&lang=fr", 2),
    ],
)
def test_the_new_tables_files_hold_the_pages_rows(client, key, filters, expected) -> None:
    shown = _page_rows(client, f"/tables/{key}?{filters}&size=200")
    assert shown
    if expected is not None:
        assert len(shown) == expected
    text = client.get(f"/tables/{key}.csv?{filters}").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert [line[0] for line in lines[1:]] == shown
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/tables/{key}.xlsx?{filters}").data))
    cells = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert [row[0] for row in cells[1:]] == shown
    # Names alike in both files (the XLSX keeps booleans and numbers as such).
    assert [row[1] for row in cells[1:]] == [line[1] for line in lines[1:]]


def test_contested_claims_are_marked_on_the_page(client) -> None:
    html = client.get("/tables/claims?lang=fr", headers=BROWSER).get_data(as_text=True)
    assert html.count('class="claim-contested">contestée<') == 3
    assert "Confiance faible" in html or "confiance faible" in html.lower()
    csv_text = client.get("/tables/claims.csv?contested=contested").data.decode("utf-8-sig")
    assert {line["Contested"] for line in csv.DictReader(io.StringIO(csv_text))} == {"true"}
