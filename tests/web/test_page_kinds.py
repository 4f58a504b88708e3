"""Each kind of page as a person sees it: headless Chromium, in English and French, at a
desktop's width and a phone's.

One server and one browser serve every check. A module fixture opens each kind of page in
each language at each width once, keeps a screenshot of it for review (PNG, under
``$PAXSILICA_ARTIFACTS/screenshots``, by default ``artifacts/screenshots`` in the checkout),
and records what the checks read: the answer's status and language, how wide the page is
against the screen, the console's errors, and the violations axe-core (the npm package, see
package.json) finds. The tests read that record, one test per kind of page and check, so a
failure names the kind, the language and the width.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from browser_support import chromium_driver, console_errors
from conftest import IN_CI
from page_kinds import PAGE_KINDS, PageKind
from publication_support import live_server

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


LANGUAGES = ("en", "fr")
# A desktop window and a phone held upright (390 CSS pixels: a current mid-size phone).
WIDTHS = {"desktop": 1280, "phone": 390}
HEIGHT = 900
# axe-core runs once per kind and language, at the width given here (a phone's in English, a
# desktop's in French): a run costs up to seconds, and what it checks (contrast, names,
# landmarks, scrolling boxes that take no focus) is in the same templates at both widths.
AXE_WIDTH = {"en": "phone", "fr": "desktop"}
# Screenshots stop there (the top of a page is what a reader sees first; the longest pages run
# to tens of thousands of pixels, and a tall capture costs the browser a second).
MAX_SCREENSHOT_HEIGHT = 3000
# axe-core's impacts that fail the check ("moderate" and "minor" ones do not).
FAILING_IMPACTS = ("serious", "critical")

STATUS_OF_PAGE = "return performance.getEntriesByType('navigation')[0].responseStatus;"
# The page's width against the screen's: clientWidth is the viewport without its scroll bar.
# (window.innerWidth is no measure on a phone: the browser widens its layout viewport to the
# content, so it grows with the overflow it should reveal.)
WIDTHS_SCRIPT = """
const root = document.documentElement;
return [root.scrollWidth, root.clientWidth, root.scrollHeight, root.lang];
"""
# The outermost elements that stick out of the screen, outside any scrolling box (a wide
# table in a box that scrolls on its own is allowed): what a failure names.
TOO_WIDE_SCRIPT = """
const limit = document.documentElement.clientWidth + 0.5;
const insideScroller = e => {
  for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== "visible") return true;
  }
  return false;
};
const wide = Array.from(document.body.querySelectorAll("*")).filter(
  e => e.getBoundingClientRect().right > limit && !insideScroller(e));
return wide.filter(e => !wide.includes(e.parentElement)).slice(0, 6).map(e =>
  `<${e.tagName.toLowerCase()}${e.id ? " id=" + e.id : ""}${e.className ? " class=" +
  e.className : ""}> ends at ${Math.round(e.getBoundingClientRect().right)} px: ` +
  JSON.stringify((e.textContent || "").trim().slice(0, 60)));
"""
AXE_SCRIPT = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  result => done(result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + ": " + n.failureSummary),
  }))),
  error => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]));
"""


def artifacts_dir() -> Path:
    """Where the screenshots go: PAXSILICA_ARTIFACTS, else artifacts/ in the checkout."""
    return Path(os.environ.get("PAXSILICA_ARTIFACTS") or REPO / "artifacts") / "screenshots"


@dataclass
class Visit:
    """What one page load showed: one kind of page, in one language, at one width."""

    kind: str
    lang: str
    width: str
    status: int = 0
    html_lang: str = ""
    scroll_width: int = 0
    screen_width: int = 0
    too_wide: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    violations: list[dict] | None = None
    screenshot: Path | None = None

    @property
    def name(self) -> str:
        return f"{self.kind} ({self.lang}, {self.width})"


def screenshot(driver, path: Path, width: int, height: int) -> Path:
    """Save the page, down to MAX_SCREENSHOT_HEIGHT, as a PNG."""
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, MAX_SCREENSHOT_HEIGHT)}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": {**clip, "scale": 1}},
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def visit(driver, base: str, kind: PageKind, lang: str, width: str, axe: bool) -> Visit:
    """Open one page and read it (the browser's language cookie is already ``lang``)."""
    seen = Visit(kind.name, lang, width)
    console_errors(driver)  # drops what earlier pages logged
    driver.get(base + kind.path)
    seen.status = driver.execute_script(STATUS_OF_PAGE)
    seen.scroll_width, seen.screen_width, height, seen.html_lang = driver.execute_script(
        WIDTHS_SCRIPT
    )
    if seen.scroll_width > seen.screen_width:
        seen.too_wide = driver.execute_script(TOO_WIDE_SCRIPT)
    seen.console = console_errors(driver)
    name = f"{kind.name}-{lang}-{WIDTHS[width]}.png"
    seen.screenshot = screenshot(driver, artifacts_dir() / name, WIDTHS[width], height)
    if axe and AXE_WIDTH[lang] == width:
        seen.violations = driver.execute_async_script(AXE_SCRIPT)
    return seen


def set_width(driver, width: str) -> None:
    """Show pages at a width; a phone's as a phone shows them (its viewport meta honoured)."""
    pixels = WIDTHS[width]
    metrics = {"width": pixels, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": pixels < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


@pytest.fixture(scope="module")
def visits(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Visit]:
    """Every kind of page in every language at every width, opened once in one browser."""
    artifacts_dir().mkdir(parents=True, exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    seen: dict[tuple[str, str, str], Visit] = {}
    with chromium_driver(profile) as driver, live_server(published=False) as base:
        axe = AXE.exists()
        if axe:
            # Every page gets axe-core as it opens (cheaper than sending it to each page).
            source = {"source": AXE.read_text(encoding="utf-8")}
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", source)
        for lang in LANGUAGES:
            # The reader's switch: it sets the cookie that holds for every page after.
            driver.get(f"{base}lang/{lang}?next=/")
            for width in WIDTHS:
                set_width(driver, width)
                for kind in PAGE_KINDS:
                    seen[kind.name, lang, width] = visit(driver, base, kind, lang, width, axe)
    return seen


def visits_of(visits: dict[tuple[str, str, str], Visit], kind: PageKind) -> list[Visit]:
    return [visits[kind.name, lang, width] for lang in LANGUAGES for width in WIDTHS]


KINDS = pytest.mark.parametrize("kind", PAGE_KINDS, ids=[kind.name for kind in PAGE_KINDS])


@pytest.mark.browser
@KINDS
def test_page_answers_in_the_chosen_language(visits, kind: PageKind) -> None:
    for seen in visits_of(visits, kind):
        assert seen.status == 200, seen.name
        assert seen.html_lang == (seen.lang if kind.translated else "en"), seen.name


@pytest.mark.browser
@KINDS
def test_page_does_not_scroll_sideways(visits, kind: PageKind) -> None:
    wide = [
        f"{seen.name}: {seen.scroll_width} px wide on a {seen.screen_width} px screen; "
        + "; ".join(seen.too_wide)
        for seen in visits_of(visits, kind)
        if seen.scroll_width > seen.screen_width
    ]
    assert not wide, "\n".join(wide)


@pytest.mark.browser
@KINDS
def test_page_logs_no_console_error(visits, kind: PageKind) -> None:
    errors = [f"{seen.name}: {m}" for seen in visits_of(visits, kind) for m in seen.console]
    assert not errors, "\n".join(errors)


@pytest.mark.browser
@KINDS
def test_page_has_no_serious_accessibility_violation(visits, kind: PageKind) -> None:
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE}); `npm install` installs it (.ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    checked = [seen for seen in visits_of(visits, kind) if seen.violations is not None]
    assert len(checked) == len(LANGUAGES)
    failing = [
        f"{seen.name}: {v['impact']} {v['id']} ({v['help']}): " + " | ".join(v["nodes"])
        for seen in checked
        for v in seen.violations
        if v["impact"] in FAILING_IMPACTS
    ]
    assert not failing, "\n".join(failing)


@pytest.mark.browser
@KINDS
def test_page_screenshots_are_kept(visits, kind: PageKind) -> None:
    for seen in visits_of(visits, kind):
        assert seen.screenshot is not None, seen.name
        assert seen.screenshot.is_file(), seen.name
        png = seen.screenshot.read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), seen.name
        # The image is as wide as the screen it was taken at (IHDR's width, big-endian).
        assert int.from_bytes(png[16:20], "big") == WIDTHS[seen.width], seen.name
