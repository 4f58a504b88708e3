"""The kinds of page the site shows people, each with one address: what the browser test
(tests/web/test_page_kinds.py) opens and the page benchmark (benchmarks/bench_pages.py) times.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent


class PageKind(NamedTuple):
    """A kind of page and one address that shows it (a path under the site's root)."""

    name: str
    path: str
    # False for a page whose words are English whatever the reader chose (it says lang="en").
    translated: bool = True


# The example query with a numeric column: the SPARQL page with its result as a chart.
SPARQL_EXAMPLE = (REPO / "queries" / "examples" / "04-dominant-suppliers.rq").read_text()

# Every kind of page the site has: adding a kind is adding a line. Each is a page of middling
# size with every part of its kind: a hub's page (Japan's runs to 65 000 pixels) takes axe-core
# 20 s and shows the same parts as a smaller one.
PAGE_KINDS = (
    PageKind("home", ""),
    PageKind("state", "id/state/AE"),
    PageKind("technology", "id/technology/leading-edge-logic"),
    PageKind("supply-link", "id/supply-link/leading-edge-logic-TW-capacity-2019"),
    PageKind("export-control", "id/export-control/cn-2023-023"),
    PageKind("company", "id/company/tsmc"),
    PageKind("source", "id/source/sia-bcg-2021"),
    PageKind("index-table", "tables/supply-links?size=25"),
    PageKind("chart", "charts/technology/leading-edge-logic"),
    PageKind("search", "search?q=japan"),
    PageKind(
        "sparql",
        "sparql?" + urlencode({"query": SPARQL_EXAMPLE, "view": "chart"}),
        translated=False,
    ),
)
