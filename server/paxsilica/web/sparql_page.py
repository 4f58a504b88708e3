"""The SPARQL query page: the form, the examples, and a query's results as a table or a
bar chart.

The page works without JavaScript: ``view=chart`` draws a bar chart of the answer's numeric
column (``value=<variable>`` chooses which) as SVG above the table, its text equivalent; a
link reopens the query (``/sparql?example=<name>&date=YYYY-MM-DD`` for an example, else the
query itself in the address).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Response, render_template, request, url_for

from paxsilica import iris, media
from paxsilica.config import Settings
from paxsilica.publish.result_chart import BarChart, bar_chart
from paxsilica.sparql.examples import find_example
from paxsilica.sparql.execution import QueryOutcome
from paxsilica.web.i18n import page_language
from paxsilica.web.sparql_protocol import GRAPH_OFFER, SELECT_OFFER
from paxsilica.web.state import published
from paxsilica.web.templating import href_for, page_context

# A page shows at most this many rows; the downloads have them all (up to max_rows).
HTML_MAX_ROWS = 1000
# A link holding the query itself is offered up to this length (browsers and servers cut
# longer addresses).
MAX_LINK_LENGTH = 8000
VIEWS = ("table", "chart")


@dataclass(frozen=True)
class Cell:
    """One term of a results table, ready for the template."""

    text: str
    kind: str = "literal"
    href: str | None = None
    title: str | None = None
    note: str | None = None


def _cell(term: ox.Term | None, site: iris.Site) -> Cell:
    if term is None:
        return Cell("", "unbound")
    if isinstance(term, ox.NamedNode):
        iri = term.value
        href = href_for(iri)
        if href is None and iri.startswith(("http://", "https://")):
            href = iri
        return Cell(site.short(iri), "iri", href, iri)
    if isinstance(term, ox.BlankNode):
        return Cell(f"_:{term.value}", "bnode")
    if isinstance(term, ox.Literal):
        note = None
        if term.language:
            note = f"@{term.language}"
        elif term.datatype.value != iris.KNOWN_VOCABULARIES["xsd"] + "string":
            note = site.short(term.datatype.value)
        return Cell(term.value, "literal", note=note)
    return Cell(str(term), "triple")


@dataclass
class ResultsView:
    """A query's results as the page shows them."""

    kind: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False
    downloads: list[tuple[str, str, str]] = field(default_factory=list)
    chart: BarChart | None = None
    view: str = "table"
    # The address that reopens the query (None when too long for an address).
    link: str | None = None


def results_view(outcome: QueryOutcome, query: str, settings: Settings) -> ResultsView:
    site = settings.site
    view = ResultsView(outcome.kind or "solutions", truncated=outcome.truncated)
    if outcome.kind == "graph":
        view.columns = ["subject", "predicate", "object"]
        for triple in ox.parse(outcome.body, ox.RdfFormat.N_TRIPLES):
            view.rows.append([_cell(t, site) for t in triple])
        offered = GRAPH_OFFER[:-1]
    else:
        parsed = ox.parse_query_results(outcome.body, ox.QueryResultsFormat.JSON)
        if isinstance(parsed, ox.QueryBoolean):
            view.boolean = bool(parsed)
        else:
            view.columns = [v.value for v in parsed.variables]
            terms = [[solution[v] for v in view.columns] for solution in parsed]
            view.rows = [[_cell(t, site) for t in row] for row in terms]
            view.chart = bar_chart(
                view.columns, terms, lambda t: _cell(t, site).text, request.args.get("value")
            )
        offered = SELECT_OFFER[:-1]
    view.downloads = [
        (t.label, url_for("sparql.endpoint", query=query, format=t.key), f"results.{t.extension}")
        for t in offered
    ]
    view.view = "chart" if view.chart and request.args.get("view") == "chart" else "table"
    view.link = reopen_link(query)
    return view


def reopen_link(query: str, **extra: str) -> str | None:
    """The address that reopens this query's results: by the example's name when the page
    was opened from one, else the query itself (when it fits an address)."""
    asked = {k: request.args.get(k) for k in ("example", "date", "view", "value")}
    asked.update(extra)
    kept = {k: v for k, v in asked.items() if v}
    if "example" not in kept:
        kept = {"query": query, **{k: v for k, v in kept.items() if k != "date"}}
    found = f"{request.script_root}/sparql?{urlencode(kept)}"
    return found if len(found) <= MAX_LINK_LENGTH else None


def view_link(query: str, view: str, value: str | None = None) -> str | None:
    """The address of the same results in another view (or of another numeric column)."""
    return reopen_link(query, view=view, **({"value": value} if value else {}))


def results_page(outcome: QueryOutcome, query: str, settings: Settings) -> Response:
    body = render_page(query=query, results=results_view(outcome, query, settings))
    return Response(body, content_type=media.HTML.content_type)


def render_page(query: str | None = None, results=None, error: str | None = None) -> str:
    endpoint_service = published().sparql
    settings = endpoint_service.settings
    lang = page_language()
    examples = endpoint_service.examples
    opened = find_example(examples, request.args.get("example", "")) if request.args else None
    return render_template(
        "sparql.html",
        query=query if query is not None else (examples[0].query if examples else ""),
        results=results,
        error=error,
        examples=examples,
        graphs=endpoint_service.graph_sizes,
        user_graphs=settings.site.graph(iris.GRAPH_USER_BASE),
        settings=settings,
        html_max_rows=HTML_MAX_ROWS,
        prefixes=settings.site.prefixes,
        opened=opened,
        asked_date=request.args.get("date", "") if opened else "",
        view_link=lambda view, value=None: view_link(query or "", view, value),
        **page_context(lang, "SPARQL"),
    )
