"""The one HTTP policy: every kind of answer carries the same CORS and security headers."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from paxsilica.web.policy import (
    DEFAULT_ALLOWED_HEADERS,
    FRAMEABLE_CONTENT_SECURITY_POLICY,
    SECURITY_HEADERS,
    safe_path,
)

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "text/html"}

# (method, path, headers): one request per kind of answer the server gives.
ANSWERS = {
    "document (Turtle)": ("GET", "/doc/state/JP", {"Accept": "text/turtle"}),
    "document (HTML)": ("GET", "/doc/state/JP", BROWSER),
    "document statements (HTML)": ("GET", "/doc/state/JP?view=statements", BROWSER),
    "document on a date (HTML)": (
        "GET",
        "/doc/export-control/cn-2023-023?date=2024-01-01",
        BROWSER,
    ),
    "document date error": ("GET", "/doc/membership/JP-2025-12-12?date=never", BROWSER),
    "entity redirect": ("GET", "/id/state/JP", {}),
    "home page": ("GET", "/", BROWSER),
    "home page on a date": ("GET", "/?date=2026-01-13", BROWSER),
    "home page, bad date": ("GET", "/?date=2026-02-30", BROWSER),
    "ontology": ("GET", "/ontology.ttl", {}),
    "dump": ("GET", "/dumps/pax-silica.nt", {}),
    "checksums": ("GET", "/dumps/SHA256SUMS", {}),
    "dumps page": ("GET", "/dumps/", BROWSER),
    "VoID": ("GET", "/.well-known/void", {"Accept": "text/turtle"}),
    "SPARQL results": ("GET", "/sparql?query=ASK%7B%7D", {}),
    "SPARQL error": ("GET", "/sparql?query=SELEC", {}),
    "SPARQL page": ("GET", "/sparql", BROWSER),
    "SPARQL example": ("GET", "/sparql?example=single-points-of-failure&date=2026-03-01", BROWSER),
    "SPARQL chart": ("GET", "/sparql?example=bloc-share-by-input&view=chart", BROWSER),
    "SPARQL unknown example": ("GET", "/sparql?example=nothing", {}),
    "tables page": ("GET", "/tables/", BROWSER),
    "table page": ("GET", "/tables/supply-links?sort=share&order=desc", BROWSER),
    "table CSV": ("GET", "/tables/states.csv", {}),
    "table XLSX": ("GET", "/tables/states.xlsx", {}),
    "table CSVW metadata": ("GET", "/tables/states.csv-metadata.json", {}),
    "table error": ("GET", "/tables/states?date=never", {}),
    "claims table": ("GET", "/tables/claims?contested=contested", BROWSER),
    "events XLSX": ("GET", "/tables/events.xlsx", {}),
    "chart page": ("GET", "/charts/technology/gallium", BROWSER),
    "chart SVG": ("GET", "/charts/technology/gallium.svg", {}),
    "state chart": ("GET", "/charts/state/JP?date=2026-03-01", BROWSER),
    "state chart SVG": ("GET", "/charts/state/JP.svg", {}),
    "mineral chart": ("GET", "/charts/mineral/gallium?lang=fr", BROWSER),
    "mineral chart SVG": ("GET", "/charts/mineral/gallium.svg", {}),
    "chart not found": ("GET", "/charts/state/XX", BROWSER),
    "embed not found": ("GET", "/embed/charts/mineral/nothing", BROWSER),
    "search page": ("GET", "/search?q=taiw", BROWSER),
    "search error": ("GET", "/search?q=" + "x" * 200, BROWSER),
    "search suggestions": ("GET", "/search/suggest?q=taiw", {}),
    "not found (text)": ("GET", "/doc/state/XX", {}),
    "not found (page)": ("GET", "/nothing-here", BROWSER),
    "preflight (document)": (
        "OPTIONS",
        "/doc/state/JP",
        {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    ),
    "preflight (SPARQL)": (
        "OPTIONS",
        "/sparql",
        {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    ),
}


@pytest.mark.parametrize("kind", ANSWERS)
def test_every_kind_of_answer_carries_the_policy(client: FlaskClient, kind: str) -> None:
    method, path, headers = ANSWERS[kind]
    # Buffered: a dump is a file sent as it is, closed once read.
    response = client.open(path, method=method, headers=headers, buffered=True)
    assert response.status_code < 500, kind
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{kind}: {name}"


# The charts' embeddable views: the only answers other sites may frame.
EMBEDS = [
    "/embed/charts/technology/gallium",
    "/embed/charts/state/JP?date=2026-03-01",
    "/embed/charts/state/QA?lang=fr",
    "/embed/charts/mineral/gallium",
]


@pytest.mark.parametrize("path", EMBEDS)
def test_only_the_embeddable_views_may_be_framed(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    policy = response.headers["Content-Security-Policy"]
    assert policy == FRAMEABLE_CONTENT_SECURITY_POLICY
    assert "frame-ancestors *" in policy
    assert "frame-ancestors 'none'" not in policy
    # The rest of the policy stays: no script or style from elsewhere.
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    for name in ("Access-Control-Allow-Origin", "X-Content-Type-Options", "Referrer-Policy"):
        assert response.headers[name] == SECURITY_HEADERS[name]
    html = response.get_data(as_text=True)
    assert "<svg" in html
    assert 'target="_top"' in html
    # The chart's own page, beside it, still refuses to be framed.
    page = client.get(path.replace("/embed", "", 1), headers=BROWSER)
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/doc/state/JP", "/id/state/JP", "/sparql", "/dumps/"])
def test_preflights_allow_what_browser_clients_ask(client: FlaskClient, path: str) -> None:
    # Comunica and other browser clients send long Accept headers, which are not
    # CORS-safelisted, so they preflight every request.
    response = client.options(
        path,
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept, content-type",
        },
    )
    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "accept, content-type"
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_a_preflight_asking_for_strange_headers_gets_the_defaults(client: FlaskClient) -> None:
    response = client.options(
        "/sparql", headers={"Access-Control-Request-Headers": "x-a; Set-Cookie=a, <script>"}
    )
    assert response.headers["Access-Control-Allow-Headers"] == DEFAULT_ALLOWED_HEADERS


@pytest.mark.parametrize(
    "path",
    ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "evil.example", "http://x/", ""],
)
def test_a_location_never_leaves_the_site(path: str) -> None:
    assert safe_path(path) == "/"


@pytest.mark.parametrize(
    ("request_path", "query"),
    [
        ("/lookup", {"iri": "https://w3id.org/pax-silica//evil.example/"}),
        ("/lang/fr", {"next": "//evil.example/"}),
        ("/lang/fr", {"next": "/\\evil.example/"}),
    ],
)
def test_redirects_stay_on_the_site(client: FlaskClient, request_path: str, query) -> None:
    response = client.get(request_path, query_string=query)
    location = response.headers.get("Location", "")
    assert not location.startswith(("//", "/\\", "http")), location


@pytest.mark.parametrize(
    ("request_path", "query"),
    [
        ("/lookup", {"iri": "https://w3id.org/pax-silica/id/state/JP\n"}),
        ("/lang/fr", {"next": "/\r\nX: y"}),
    ],
)
def test_control_characters_in_redirect_parameters_are_refused(
    client: FlaskClient, request_path: str, query
) -> None:
    assert client.get(request_path, query_string=query).status_code == 400


def test_the_host_header_never_chooses_a_redirect(client: FlaskClient) -> None:
    for path in ("/id//state/JP", "/dumps", "/id/state/JP"):
        response = client.get(path, headers={"Host": "evil.example"})
        assert "evil.example" not in response.headers.get("Location", ""), path
