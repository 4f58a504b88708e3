"""A real browser crawls the site: headless Chromium over the real server.

Chromium loads the home page and follows every internal link: each must answer without a
4xx or 5xx, and no page may log a console error. HTML pages are opened in the browser; other
resources (the RDF formats, the dumps) are fetched from the page with the browser's fetch().
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urldefrag

import pytest

from browser_support import chromium_driver, console_errors
from publication_support import FIXTURE, live_server

# A bound on the crawl, far above the bundled data's size, so that it always ends.
MAX_URLS = 20_000


# Asks for many URLs at once from inside the page, as the page itself could: each answer's
# status, type and final address after redirects.
CLASSIFY_SCRIPT = """
const done = arguments[arguments.length - 1];
Promise.all(arguments[0].map(url =>
  fetch(url, {redirect: "follow"})
    .then(r => [url, r.status, r.headers.get("content-type") || "", r.url])
    .catch(e => [url, 0, String(e), url])
)).then(done);
"""
LINKS_SCRIPT = "return Array.from(document.querySelectorAll('a[href]'), a => a.href);"
STATUS_OF_PAGE = "return performance.getEntriesByType('navigation')[0].responseStatus;"
BATCH = 32
# Pages opened in the browser per kind of page (the path up to its last segment): every link is
# checked, but thousands of technology or company pages look alike, and opening each would
# take the crawl an hour.
PAGES_PER_KIND = 12


def kind_of(url: str) -> str:
    """The kind of page a URL shows: its path without the last segment and query."""
    path = urldefrag(url).url.split("?", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[0]


@pytest.fixture
def browser(tmp_path: Path):
    with chromium_driver(tmp_path / "chromium-profile") as driver:
        yield driver


@pytest.mark.browser
def test_browser_crawls_every_internal_link_without_errors(browser) -> None:
    # The crawl checks a batch of links at once, the example queries among them, from one
    # address: the per-client limit (tested in test_event_loop) would refuse most of them.
    admission = ["--queries-per-client", "1000", "--query-queue", "1000", "--queue-timeout", "60"]
    with live_server(extra_args=["--data", str(FIXTURE), *admission]) as base:
        browser.get(base)
        assert "Pax Silica" in browser.title
        pending = [base]
        seen = {base}
        opened: set[str] = set()
        opened_per_kind: dict[str, int] = {}
        failures: list[str] = []
        while pending:
            batch, pending = pending[:BATCH], pending[BATCH:]
            for url, status, content_type, final in browser.execute_async_script(
                CLASSIFY_SCRIPT, batch
            ):
                if status == 0 or status >= 400:
                    failures.append(f"{url}: {status} {content_type}")
                    continue
                # A page reached by several links (an entity IRI 303s to its document) is
                # opened once.
                if not content_type.startswith("text/html") or final in opened:
                    continue
                kind = kind_of(final)
                # The fixture's own entities (XT) are always opened: the checks below need them.
                if opened_per_kind.get(kind, 0) >= PAGES_PER_KIND and "XT" not in final:
                    continue
                opened_per_kind[kind] = opened_per_kind.get(kind, 0) + 1
                opened.add(final)
                console_errors(browser)  # drop what the checks above may have logged
                browser.get(url)
                status = browser.execute_script(STATUS_OF_PAGE)
                if status >= 400:
                    failures.append(f"{url}: {status} in the browser")
                failures += [f"{url}: console: {message}" for message in console_errors(browser)]
                for link in browser.execute_script(LINKS_SCRIPT):
                    target = urldefrag(link).url
                    if target.startswith(base) and target not in seen:
                        seen.add(target)
                        pending.append(target)
                assert len(seen) < MAX_URLS, "the crawl does not end"
        assert not failures, "\n".join(failures[:50])
        # The crawl reached the entities, their facts, the ontology and the dumps.
        for path in ("id/state/XT", "id/membership/XT-2026-01-01", "ontology", "sparql"):
            assert base + path in seen
        assert any(url.startswith(base + "dumps/pax-silica.") for url in seen)
        assert len(opened) > 100
