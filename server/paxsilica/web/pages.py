"""HTML for people: the home page, entity pages, the ontology's documentation, the language switch.

Every page is a Jinja2 template with autoescape on, fed by the view models of the publishing
layer (paxsilica.publish), built from the same RDF documents the machines get; no page needs
JavaScript.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)

from paxsilica import bundle
from paxsilica.publish.documents import Document
from paxsilica.publish.entity_view import entity_view
from paxsilica.publish.home_view import home_view
from paxsilica.publish.index_view import class_index_view, classes_view
from paxsilica.publish.ontology_doc import ontology_doc
from paxsilica.publish.paging import PAGE_PARAMETER, PageError, expand_curie
from paxsilica.publish.readable import day
from paxsilica.publish.summary import summary
from paxsilica.web import policy
from paxsilica.web.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_SECONDS,
    LANGUAGES,
    page_language,
    strings,
)
from paxsilica.web.state import published
from paxsilica.web.tables import chart_links, requested_day, tables
from paxsilica.web.templating import Alternate, href_for, page_context, page_response

blueprint = Blueprint("pages", __name__)


@blueprint.route("/lang/<code>")
def choose_language(code: str) -> Response:
    """The language switch: remember the reader's choice, then 303 back to the page."""
    if code not in LANGUAGES:
        abort(404, description=f"no pages in {code!r}; languages: {', '.join(LANGUAGES)}")
    target = policy.plain_parameter("next", request.args.get("next", "/"))
    response = policy.redirect_to(target, 303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path=(request.script_root or "") + "/",
        samesite="Lax",
        httponly=True,
    )
    return response


def render_entity(
    document: Document,
    lang: str,
    alternates: Sequence[Alternate] = (),
    statements: bool = False,
    on: datetime.date | None = None,
) -> str:
    """Return the HTML page about a document's primary topic: its summary (with its status on
    the day ``on``, default today) and readable fields, or (``statements``) every statement
    as the data writes it."""
    dataset = published()
    docs = dataset.documents
    words = strings(lang)
    view = entity_view(docs, document, lang, href_for, dataset.ontology_labels, words)
    on = on or datetime.date.today()
    if not statements:
        types = [t.iri for t in view.types]
        view.summary = summary(tables(), view.iri, types, lang, words, on, href_for)
    apart = [g for g in docs.graphs if bundle.licensed_apart(g)]
    shows_apart = bundle.mentions_apart(docs.store, view.iri, apart)
    return render_template(
        "entity.html",
        view=view,
        chart_links=chart_links(view.iri, lang),
        statements=statements,
        on=on,
        on_text=day(on, lang),
        statements_href=_href_with(view="statements"),
        readable_href=_href_with(view=None),
        licence_notice=bundle.NOTICE[lang] if shows_apart else None,
        licence_notice_href=bundle.CC_BY_NC,
        **page_context(lang, view.label, alternates),
    )


# What an entity page's own links keep of its query string (the page is kept once made, so
# its links carry nothing else a request might add).
_ENTITY_PARAMETERS = (PAGE_PARAMETER, "property", "view", "date")


def _href_with(**changes: str | None) -> str:
    """This entity page's address with some parameters changed (None drops one)."""
    params = {k: v for k in _ENTITY_PARAMETERS if (v := request.args.get(k, ""))}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    query = urlencode(params)
    return request.script_root + request.path + (f"?{query}" if query else "")


def render_ontology(document: Document, lang: str, alternates: Sequence[Alternate] = ()) -> str:
    """Return the HTML documentation of the ontology: every term, with an anchor each."""
    doc = ontology_doc(document, published().site, lang, href_for)
    return render_template(
        "ontology.html",
        header=doc.header,
        sections=doc.sections,
        reused=doc.reused,
        **page_context(lang, str(doc.header["title"]), alternates),
    )


def render_graph(
    graph_iri: str, triple_count: int, lang: str, alternates: Sequence[Alternate]
) -> str:
    """Return the HTML page about one named graph: its size and its formats."""
    return render_template(
        "graph.html",
        graph_iri=graph_iri,
        graph_name=published().site.short(graph_iri),
        triple_count=triple_count,
        **page_context(lang, graph_iri, alternates),
    )


@blueprint.route("/")
def home() -> Response:
    """The home page: a dashboard of the bloc on a day (``?date=``, default today), what the
    dataset is, its size, and links into it."""
    lang = page_language()
    on = requested_day()
    dataset = published()
    key = f"home {lang} {request.script_root} {on.isoformat()}"

    def render() -> bytes:
        view = home_view(
            dataset.documents, dataset.home_data, lang, href_for, dataset.ontology_labels
        )
        board = dataset.dashboard.view(on, lang, href_for, strings(lang), request.script_root)
        title = "Pax Silica Linked Data"
        context = page_context(lang, title)
        return render_template("home.html", view=view, board=board, **context).encode()

    return page_response(dataset.pages.get(key, render))


def _page_parameter() -> str | None:
    page = request.args.get(PAGE_PARAMETER)
    return None if page is None else policy.plain_parameter(PAGE_PARAMETER, page)


def _index_page(view_of: Callable, title_of: Callable[[Any, str], str]) -> Response:
    """A page of an index: its view made by ``view_of`` (the index views' shared arguments),
    kept once made (the data does not change; the cache is bounded)."""
    lang = page_language()
    dataset = published()
    page = _page_parameter()

    def render() -> bytes:
        try:
            view = view_of(
                dataset.documents,
                dataset.publication,
                page,
                lang,
                href_for,
                dataset.ontology_labels,
            )
        except PageError as error:
            abort(error.status, description=str(error))
        context = page_context(lang, title_of(view, lang))
        return render_template("index.html", view=view, **context).encode()

    key = f"index {lang} {request.script_root} {request.full_path}"
    return page_response(dataset.pages.get(key, render))


@blueprint.route("/index/")
def classes() -> Response:
    """The dataset's classes with their instances' numbers, or (``?class=IRI``) one's index."""
    class_iri = request.args.get("class")
    if class_iri is not None:
        return _class_index(policy.plain_parameter("class", class_iri))
    return _index_page(classes_view, lambda _, lang: strings(lang)["classes"])


@blueprint.route("/index/<curie>")
def class_index(curie: str) -> Response:
    """The instances of a class named by a prefixed name (``/index/ps:State``), by IRI."""
    class_iri = expand_curie(published().site, curie)
    if class_iri is None:
        abort(404, description=f"{curie!r} is no class name this site knows (prefix:name)")
    return _class_index(class_iri)


def _class_index(class_iri: str) -> Response:
    return _index_page(
        functools.partial(class_index_view, class_iri=class_iri),
        lambda view, _: view.class_link.text,
    )


@blueprint.route("/favicon.ico")
def favicon() -> Response:
    """The site icon (so that browsers asking for it get no 404)."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")


__all__ = ["blueprint", "render_entity", "render_graph", "render_ontology"]
