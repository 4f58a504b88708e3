"""Search by name: /search?q= (a page of results) and /search/suggest?q= (JSON, as one types).

Both read the index built once per dataset version (:mod:`paxsilica.publish.search`). An
empty ``q`` is no error: the page shows the box and no results, the suggestions an empty
list. A ``q`` longer than :data:`MAX_QUERY_LENGTH` characters is refused (400) — no name's
word begins with it. An IRI typed in the box goes to ``/lookup``, which answers for IRIs.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request

from paxsilica import media
from paxsilica.publish.search import MAX_QUERY_LENGTH, MAX_RESULTS, MAX_SUGGESTIONS, Hit
from paxsilica.web import policy
from paxsilica.web.i18n import page_language, strings
from paxsilica.web.state import published
from paxsilica.web.templating import href_for, page_context, page_response

blueprint = Blueprint("search", __name__)
_KNOWN = {"q", "lang"}


def _query() -> str:
    """The text asked (``q``), stripped; 400 when it is too long or names unknown parameters."""
    unknown = sorted(set(request.args) - _KNOWN)
    if unknown:
        abort(400, description=f"unknown parameters: {', '.join(unknown)}; search takes q")
    asked = policy.plain_parameter("q", request.args.get("q", "")).strip()
    if len(asked) > MAX_QUERY_LENGTH:
        abort(
            400,
            description=f"the search text is {len(asked)} characters long; names are searched "
            f"by their first {MAX_QUERY_LENGTH} characters at most",
        )
    return asked


def _found(asked: str, lang: str, limit: int) -> list[dict]:
    dataset = published()
    classes = dataset.ontology_labels
    return [_result(hit, lang, classes) for hit in dataset.search_index.find(asked, lang, limit)]


def _result(hit: Hit, lang: str, classes) -> dict:
    return {
        "label": hit.label,
        "matched": hit.matched if hit.matched != hit.label else "",
        "class": classes.label(hit.class_iri, lang) if hit.class_iri else "",
        "href": href_for(hit.iri),
        "iri": hit.iri,
    }


@blueprint.route("/search")
def search_page() -> Response:
    """The entities whose names begin a word with ``q``, as a page (no script needed)."""
    asked = _query()
    if asked.startswith(("http://", "https://")):
        return policy.redirect_to("/lookup?" + urlencode({"iri": asked}), 303)
    lang = page_language()
    t = strings(lang)
    results = _found(asked, lang, MAX_RESULTS) if asked else []
    title = f"{t['search']}: {asked}" if asked else t["search"]
    body = render_template(
        "search.html",
        asked=asked,
        results=results,
        max_results=MAX_RESULTS,
        max_length=MAX_QUERY_LENGTH,
        **page_context(lang, title),
    )
    return page_response(body)


@blueprint.route("/search/suggest")
def suggest() -> Response:
    """The first names that begin a word with ``q``, as JSON for the search box's script."""
    asked = _query()
    lang = page_language()
    results = _found(asked, lang, MAX_SUGGESTIONS) if asked else []
    body = json.dumps({"q": asked, "lang": lang, "results": results}, ensure_ascii=False)
    response = Response(body, content_type=media.JSON.content_type)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.add_etag()
    return response.make_conditional(request)
