"""The SPARQL query page: the form, the examples, and a query's results as a table."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Response, render_template, url_for

from paxsilica import iris, media
from paxsilica.config import Settings
from paxsilica.sparql.execution import QueryOutcome
from paxsilica.web.i18n import page_language
from paxsilica.web.sparql_protocol import GRAPH_OFFER, SELECT_OFFER
from paxsilica.web.state import published
from paxsilica.web.templating import href_for, page_context

# A page shows at most this many rows; the downloads have them all (up to max_rows).
HTML_MAX_ROWS = 1000


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
            for solution in parsed:
                view.rows.append([_cell(solution[v], site) for v in view.columns])
        offered = SELECT_OFFER[:-1]
    view.downloads = [
        (t.label, url_for("sparql.endpoint", query=query, format=t.key), f"results.{t.extension}")
        for t in offered
    ]
    return view


def results_page(outcome: QueryOutcome, query: str, settings: Settings) -> Response:
    body = render_page(query=query, results=results_view(outcome, query, settings))
    return Response(body, content_type=media.HTML.content_type)


def render_page(query: str | None = None, results=None, error: str | None = None) -> str:
    endpoint_service = published().sparql
    settings = endpoint_service.settings
    lang = page_language()
    examples = endpoint_service.examples
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
        **page_context(lang, "SPARQL"),
    )
