"""The query page in a real browser: headless Chromium over the real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import chromium_driver, console_errors
from publication_support import live_server
from sparql_support import EX, FIXTURE

WAIT_SECONDS = 20


@pytest.fixture(scope="module")
def server():
    with live_server(["--data", str(FIXTURE)]) as base:
        yield base


@pytest.fixture
def browser(tmp_path: Path):
    with chromium_driver(tmp_path / "chromium-profile") as driver:
        yield driver


def results_table(driver) -> tuple[list[str], list[list[str]]]:
    """Wait for the results table; return its header and its rows as text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def rows_shown(d):
        tables = d.find_elements(By.CSS_SELECTOR, "#sparql-results tbody tr")
        return tables or None

    WebDriverWait(driver, WAIT_SECONDS).until(rows_shown)
    table = driver.find_element(By.ID, "sparql-results")
    header = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    return header, rows


@pytest.mark.browser
def test_run_an_example_and_see_the_results_table(browser, server: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "sparql")
    assert browser.title.startswith("SPARQL")
    example = browser.find_element(By.CSS_SELECTOR, "#sparql-examples a[data-example='0']")
    assert example.text.startswith("States")
    example.click()
    header, rows = results_table(browser)
    assert header == ["state", "name", "nom", "iso2"]
    names = [row[1] for row in rows]
    assert "Japan" in [name.split(" @")[0] for name in names]
    # Entity IRIs link to their pages on this server.
    first = browser.find_element(By.CSS_SELECTOR, "#sparql-results tbody td.sparql-iri a")
    assert first.get_attribute("href").startswith(server + "id/state/")
    # Downloads in every results format, for the query that ran.
    downloads = browser.find_elements(By.CSS_SELECTOR, ".sparql-downloads a")
    assert {a.get_attribute("download") for a in downloads} == {
        "results.srj",
        "results.srx",
        "results.csv",
        "results.tsv",
    }
    assert all("query=" in a.get_attribute("href") for a in downloads)
    assert console_errors(browser) == []


@pytest.mark.browser
def test_type_a_query_and_run_it_with_the_keyboard(browser, server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(server + "sparql")
    editor = browser.find_element(By.ID, "sparql-query")
    editor.clear()
    editor.send_keys(f"CONSTRUCT WHERE {{ <{EX}beta> ?p ?o }}")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    header, rows = results_table(browser)
    assert header == ["subject", "predicate", "object"]
    assert len(rows) == 4  # a type, a label, a rank and a next
    assert {row[0] for row in rows} == {EX + "beta"}
    assert console_errors(browser) == []


@pytest.mark.browser
def test_errors_show_the_parser_message_as_text(browser, server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "sparql")
    editor = browser.find_element(By.ID, "sparql-query")
    editor.clear()
    editor.send_keys("SELECT * WHERE { <b>bold</b> }")
    browser.find_element(By.ID, "sparql-run").click()
    error = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda d: d.find_element(By.ID, "sparql-error")
    )
    assert "Malformed query" in error.text
    assert browser.find_elements(By.CSS_SELECTOR, "#sparql-output b") == []  # text, not markup


@pytest.mark.browser
def test_results_without_javascript(tmp_path: Path, server: str) -> None:
    """The form works without scripts: the server renders the table."""
    from selenium.webdriver.common.by import By

    with chromium_driver(tmp_path / "chromium-profile", javascript=False) as driver:
        driver.get(server + "sparql")
        editor = driver.find_element(By.ID, "sparql-query")
        editor.clear()
        editor.send_keys(f"SELECT ?thing ?rank WHERE {{ ?thing <{EX}rank> ?rank }} ORDER BY ?rank")
        driver.find_element(By.ID, "sparql-run").click()
        header, rows = results_table(driver)
        assert header == ["thing", "rank"]
        assert [row[1].split()[0] for row in rows] == ["1", "2", "3", "4"]
        # A plain form GET (the script would have fetched and left only ?query= in the URL).
        assert "format=html" in driver.current_url
        assert "query=" in driver.current_url
