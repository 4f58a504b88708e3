"""Debian's chromium, headless, driven by selenium through chromedriver, for the page tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from conftest import require_tool

# Without the background-networking flags chromium keeps trying to reach Google's hosts, which
# this machine's closed network refuses.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@contextlib.contextmanager
def chromium_driver(profile: Path, javascript: bool = True) -> Iterator:
    """Start headless chromium with a fresh profile; yield its selenium driver; quit it."""
    chromium = require_tool("chromium", "the HTML pages are tested in a real browser")
    chromedriver = require_tool("chromedriver", "selenium drives chromium through it")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver) -> list[str]:
    """Return the messages the page logged at error level."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
