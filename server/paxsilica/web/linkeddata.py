"""Dereferencing: entity IRIs answer 303 to their documents, documents negotiate their format.

URL layout (Cool URIs for the Semantic Web, 303 for slash IRIs, plain negotiation for the
hash-namespace ontology):

- ``/id/{kind}/{key}``: the entity itself; ``303 See Other`` to ``/doc/{kind}/{key}``.
- ``/doc/{kind}/{key}``: the document about it, negotiated over Turtle, JSON-LD, RDF/XML,
  N-Triples and HTML; ``/doc/{kind}/{key}.{ttl,jsonld,rdf,nt,html}`` pick a format. A hub's
  document comes in pages: ``?page=N``, and ``?property=IRI`` for what points at the entity
  through one property (paxsilica.publish.neighbourhood). Its page opens with a summary
  and readable fields; ``?view=statements`` shows every statement as written, and
  ``?date=YYYY-MM-DD`` the status of a membership, a state or an export control on that day.
- ``/ontology`` (and every ``/ontology#Term``): the ontology document, negotiated the same
  way, with ``/ontology.{ext}``; its HTML form documents every term.
- ``/shapes`` (and every ``/shapes#Shape``): the SHACL shapes graph, negotiated likewise.
- ``/graph/{name}``: a named graph of the dataset; ``/dataset``: 303 to its VoID description.
- ``/context.jsonld``: the JSON-LD context the documents are compacted with.
- ``/lookup?iri=...``: 303 from any IRI this server publishes to where it answers for it.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

import pyoxigraph as ox
from flask import Blueprint, Response, abort, request
from werkzeug.http import quote_etag

from paxsilica import media
from paxsilica.publish.documents import Document, Documents, DocumentTooLarge
from paxsilica.publish.neighbourhood import PROPERTY_PARAMETER
from paxsilica.publish.paging import PAGE_PARAMETER, PageError, page_query
from paxsilica.publish.serialize import Rendering
from paxsilica.rdf.terms import vocabulary_term
from paxsilica.web import pages, policy
from paxsilica.web.i18n import page_language
from paxsilica.web.state import published
from paxsilica.web.tables import requested_day
from paxsilica.web.templating import Alternate, page_response

blueprint = Blueprint("linkeddata", __name__)

ENTITY_PREFIX = "id/"
DOCUMENT_PREFIX = "doc/"
# ``?view=statements``: every statement of a document, as the data writes it.
VIEW_PARAMETER = "view"
STATEMENTS_VIEW = "statements"
# A named graph larger than this is sent as its dump rather than held as a document.
GRAPH_DOCUMENT_TRIPLES = 50_000


def documents() -> Documents:
    """The documents of the current application."""
    return published().documents


def _entity_for_key(key: str) -> str:
    """Return the entity IRI for the part of a path after /id/ or /doc/, or answer 400."""
    iri = published().site.iri_for_path(ENTITY_PREFIX + key)
    try:
        ox.NamedNode(iri)
    except ValueError:
        abort(400, description=f"the request path does not form a valid IRI: {iri!r}")
    return iri


def _alternates(base_path: str, offered=media.DOCUMENT_TYPES, query: str = "") -> list[Alternate]:
    root = request.script_root
    return [Alternate(f"{root}{base_path}.{t.extension}{query}", t) for t in offered]


def _link_header(alternates: list[Alternate]) -> str:
    return ", ".join(f'<{a.href}>; rel="alternate"; type="{a.media_type.mime}"' for a in alternates)


def _split_extension(path: str) -> tuple[str, str | None]:
    """Split a final ``.ext`` (any short word, known or not) off a path."""
    stem, dot, extension = path.rpartition(".")
    if dot and stem and 0 < len(extension) <= 10 and extension.isalnum():
        return stem, extension
    return path, None


def _not_acceptable(offered, alternates: list[Alternate]) -> Response:
    response = policy.error_response(
        406,
        "none of the accepted types is offered; offered types: " + media.offered_list(offered),
        "Not Acceptable",
    )
    response.headers["Link"] = _link_header(alternates)
    return response


def answer_document(
    document: Document,
    base_path: str,
    extension: str | None,
    html: Callable[[Document, str, list[Alternate]], str],
    offered=media.DOCUMENT_TYPES,
    query: str = "",
    reading: str = "",
) -> Response:
    """Answer with a document in the negotiated (or requested) format, with its headers.

    ``base_path`` is the document's path without extension, ``query`` the query string that
    chose its page (kept in its links to the other formats); ``html`` renders its page, and
    ``reading`` names what else its page depends on (the view, the day). The body and headers
    of each variant are prepared once and kept with the document.
    """
    negotiated = extension is None
    if negotiated:
        environ = request.environ
        chosen = media.negotiate_header(
            environ.get("HTTP_ACCEPT"), offered, environ.get("HTTP_USER_AGENT")
        )
        if chosen is None:
            return _not_acceptable(offered, _alternates(base_path, offered, query))
    else:
        chosen = media.by_extension(extension, offered)
        if chosen is None:
            abort(
                404,
                description=f"no format with extension .{extension}; offered: "
                + ", ".join("." + t.extension for t in offered),
            )
    html_page = chosen is media.HTML
    lang = page_language() if html_page else ""
    reading = reading if html_page else ""
    variant = f"{chosen.key} {negotiated} {lang} {request.script_root}{base_path}{query} {reading}"
    body, headers, etag = published().answers.get(
        (document.iri, variant),
        lambda: _prepare(
            document, base_path, chosen, negotiated, (lang, reading), html, offered, query
        ),
    )
    response = Response(body, headers=list(headers))
    if "HTTP_IF_NONE_MATCH" in request.environ or "HTTP_IF_MODIFIED_SINCE" in request.environ:
        response.set_etag(etag)
        return response.make_conditional(request)
    return response


def _prepare(document, base_path, chosen, negotiated, language, html, offered, query):
    lang, reading = language
    alternates = _alternates(base_path, offered, query)
    if chosen is media.HTML:
        rendering: Rendering = document.rendered(
            f"html {lang} {request.script_root} {reading}",
            lambda: html(document, lang, alternates).encode(),
        )
    else:
        rendering = documents().render(document, chosen)
    headers = [
        ("Content-Type", chosen.content_type),
        ("ETag", quote_etag(rendering.etag)),
        ("Link", _link_header(alternates)),
    ]
    vary = ["Accept", "User-Agent"] if negotiated else []
    if chosen is media.HTML:
        vary += ["Accept-Language", "Cookie"]
    if vary:
        headers.append(("Vary", ", ".join(vary)))
    if negotiated:
        location = f"{request.script_root}{base_path}.{chosen.extension}{query}"
        headers.append(("Content-Location", location))
    return rendering.body, tuple(headers), rendering.etag


@blueprint.route("/id/<path:key>")
def entity(key: str) -> Response:
    """An entity IRI: 303 See Other to the document about it, or 404 when nothing is known."""
    iri = _entity_for_key(key)
    if documents().entity(iri) is None:
        abort(404, description=f"nothing is known about {iri}")
    return policy.redirect_to(f"/{DOCUMENT_PREFIX}{key}", 303)


def _page_selection() -> tuple[str | None, str | None, str]:
    """The page and property a request asks for, and the query string that says so."""
    # Most requests have no query string: they skip Werkzeug's parsing of one.
    if not request.environ.get("QUERY_STRING"):
        return None, None, ""
    args = request.args
    page = args.get(PAGE_PARAMETER)
    prop = args.get(PROPERTY_PARAMETER)
    if page is not None:
        policy.plain_parameter(PAGE_PARAMETER, page)
    if prop is not None:
        policy.plain_parameter(PROPERTY_PARAMETER, prop)
        try:
            ox.NamedNode(prop)
        except ValueError:
            abort(400, description=f"the property must be an IRI, not {prop!r}")
    return page, prop, page_query(int(page) if page and page.isdigit() else 1, property=prop)


def _reading() -> tuple[Callable[[Document, str, list[Alternate]], str], str]:
    """How an entity page is read: its renderer for the view and day the query string asks
    (``?view=statements``, ``?date=YYYY-MM-DD``), and the words that name that reading."""
    on, view = datetime.date.today(), ""
    if request.environ.get("QUERY_STRING"):
        on = requested_day()
        view = policy.plain_parameter(VIEW_PARAMETER, request.args.get(VIEW_PARAMETER, ""))
        if view not in ("", STATEMENTS_VIEW):
            abort(400, description=f"the view is {STATEMENTS_VIEW!r} or none, not {view!r}")
    statements = view == STATEMENTS_VIEW
    renderer = functools.partial(pages.render_entity, statements=statements, on=on)
    return renderer, f"{view or 'readable'} {on.isoformat()}"


def _entity_page(iri: str, page: str | None, prop: str | None) -> Document | None:
    try:
        return documents().entity(iri, page, prop)
    except PageError as error:
        abort(error.status, description=str(error))


@blueprint.route("/doc/<path:key>")
def entity_document(key: str) -> Response:
    """The document about an entity, in the negotiated format or the one its extension names.

    A final ``.ttl``, ``.jsonld``, ``.rdf``, ``.nt`` or ``.html`` names a format; a key that
    itself ends with a dot and a word (``technology/testium.v2``) still finds its entity.
    ``?page=N`` and ``?property=IRI`` choose a page of a hub's document.
    """
    stem, extension = _split_extension(key)
    page, prop, query = _page_selection()
    render, reading = _reading()

    def answer(found: str, named: str | None) -> Response | None:
        document = _entity_page(_entity_for_key(found), page, prop)
        if document is None:
            return None
        path = f"/{DOCUMENT_PREFIX}{found}"
        return answer_document(document, path, named, render, query=query, reading=reading)

    known_format = extension is not None and media.by_extension(extension, media.DOCUMENT_TYPES)
    if known_format and (response := answer(stem, extension)) is not None:
        return response
    if (response := answer(key, None)) is not None:
        return response
    # A known entity, an unknown format: the answer says which formats exist.
    unknown_format = extension is not None and not known_format
    if unknown_format and (response := answer(stem, extension)) is not None:
        return response
    missing = _entity_for_key(stem if known_format else key)
    abort(404, description=f"nothing is known about {missing}, so there is no document")


def _ontology(extension: str | None) -> Response:
    document = documents().ontology()
    if document is None:
        abort(404, description="this deployment publishes no ontology")
    return answer_document(document, "/ontology", extension, pages.render_ontology)


@blueprint.route("/ontology")
def ontology() -> Response:
    """The ontology and every term in its hash namespace, in the negotiated format."""
    return _ontology(None)


@blueprint.route("/ontology.<extension>")
def ontology_file(extension: str) -> Response:
    """The ontology in the format its extension names."""
    return _ontology(extension)


@blueprint.route("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """An ontology version IRI: 303 to the ontology when it names the current version."""
    docs = documents()
    version_iri = docs.site.iri_for_path(f"ontology/{version}")
    owl_version_iri = vocabulary_term("owl", "versionIRI")
    try:
        node = ox.NamedNode(version_iri)
    except ValueError:
        abort(400, description=f"the request path does not form a valid IRI: {version_iri!r}")
    current = next(
        docs.store.quads_for_pattern(ox.NamedNode(docs.ontology_iri), owl_version_iri, node), None
    )
    if current is None:
        abort(404, description=f"{version_iri} is not a published version of the ontology")
    return policy.redirect_to("/ontology", 303)


def _shapes(extension: str | None) -> Response:
    docs = documents()
    document = docs.graph(docs.shapes_graph.value, docs.site.shapes_iri)
    if document is None:
        abort(404, description="this deployment publishes no shapes")

    def html(document: Document, lang: str, alternates) -> str:
        return pages.render_graph(docs.shapes_graph.value, len(document.triples), lang, alternates)

    return answer_document(document, "/shapes", extension, html)


@blueprint.route("/shapes")
def shapes() -> Response:
    """The SHACL shapes and every shape in their hash namespace, in the negotiated format."""
    return _shapes(None)


@blueprint.route("/shapes.<extension>")
def shapes_file(extension: str) -> Response:
    """The shapes in the format their extension names."""
    return _shapes(extension)


def _large_graph(iri: str, extension: str | None) -> Response | None:
    """Answer for a graph too large to hold as a document: its dump for programs (303), its
    page (its size, its dumps) for people; None for a graph small enough."""
    built = published().publication
    if built.statistics.graphs.get(iri, 0) <= GRAPH_DOCUMENT_TRIPLES:
        return None
    if extension is None:
        environ = request.environ
        chosen = media.negotiate_header(
            environ.get("HTTP_ACCEPT"), media.DOCUMENT_TYPES, environ.get("HTTP_USER_AGENT")
        )
    else:
        chosen = media.by_extension(extension, media.DOCUMENT_TYPES)
    # Until the dumps are written (in the background after start-up), PublicationPending: 503.
    dump = next(d for d in built.dumps if d.graph == iri and not d.compressed)
    if chosen is not media.HTML:
        return policy.redirect_to(f"/dumps/{dump.name}", 303)
    alternates = [Alternate(f"{request.script_root}/dumps/{dump.name}", dump.media_type)]
    body = pages.render_graph(iri, built.statistics.graphs[iri], page_language(), alternates)
    return page_response(body)


@blueprint.route("/graph/<path:name>")
def graph(name: str) -> Response:
    """A named graph of the dataset, whole, in the negotiated format.

    A graph of more than GRAPH_DOCUMENT_TRIPLES triples is not held in memory as a document:
    programs are sent to its dump, people get its page.
    """
    docs = documents()
    stem, extension = _split_extension(name)
    for candidate, candidate_extension in ((name, None), (stem, extension)):
        iri = docs.site.iri_for_path(f"graph/{candidate}")
        large = _large_graph(iri, candidate_extension)
        if large is not None:
            return large
        try:
            document = docs.graph(iri)
        except ValueError:
            abort(400, description=f"the request path does not form a valid IRI: {iri!r}")
        if document is not None:

            def html(document: Document, lang: str, alternates, iri=iri) -> str:
                return pages.render_graph(iri, len(document.triples), lang, alternates)

            return answer_document(document, f"/graph/{candidate}", candidate_extension, html)
    abort(404, description=f"no named graph {docs.site.iri_for_path('graph/' + name)}")


@blueprint.route("/dataset")
def dataset() -> Response:
    """The dataset IRI: 303 to its VoID and DCAT description."""
    return policy.redirect_to("/.well-known/void", 303)


@blueprint.route("/context.jsonld")
def context() -> Response:
    """The JSON-LD context that every JSON-LD document of this server is compacted with."""
    rendering = documents().context_document()
    response = Response(rendering.body, content_type=media.JSON_LD.content_type)
    response.set_etag(rendering.etag)
    return response.make_conditional(request)


@blueprint.route("/lookup")
def lookup() -> Response:
    """303 from an IRI this server publishes to where it answers for it; 404 for others."""
    iri = policy.plain_parameter("iri", request.args.get("iri", "")).strip()
    if not iri:
        abort(400, description="give the IRI to look up as ?iri=")
    site = published().site
    path = site.path_for(iri)
    if path is None:
        abort(
            404,
            description=f"{iri} is outside this dataset: only IRIs under {site.public_base} "
            "are published here",
        )
    if policy.safe_path(path) != path:
        abort(404, description=f"{iri} names no resource of this dataset")
    return policy.redirect_to(path, 303)


@blueprint.errorhandler(DocumentTooLarge)
def too_large(error: DocumentTooLarge) -> Response:
    """A document beyond the size bound: say so, and where to get the data instead.

    What points at an entity comes in pages, so only an entity with that many statements of
    its own (or n-ary facts that large) gets here.
    """
    return policy.error_response(
        403,
        f"{error}, more than this server builds in one document; ask the SPARQL endpoint "
        "for parts of it, or download a dump",
        "Forbidden",
    )
