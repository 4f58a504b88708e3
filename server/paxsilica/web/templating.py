"""What every page's template gets: its language and words, the way back, the other formats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import Response, request, url_for

from paxsilica import media
from paxsilica.web.i18n import LANGUAGES, strings
from paxsilica.web.state import published


@dataclass(frozen=True)
class Alternate:
    """A link to the same document in another format."""

    href: str
    media_type: media.MediaType


def href_for(iri: str) -> str | None:
    """Return the link to an IRI this server answers for, or None for an outside IRI."""
    path = published().site.path_for(iri)
    return None if path is None else request.script_root + path


def page_response(body: str | bytes) -> Response:
    """Answer with a page whose words follow the reader's language, revalidated by its tag."""
    response = Response(body, content_type=media.HTML.content_type)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.add_etag()
    return response.make_conditional(request)


def page_context(lang: str, title: str, alternates: Sequence[Alternate] = ()) -> dict:
    """Return the variables of the page frame (base.html) for a page in a language."""
    other = next(code for code in LANGUAGES if code != lang)
    return {
        "lang": lang,
        "t": strings(lang),
        "title": title,
        "other_lang": other,
        "other_lang_href": url_for("pages.choose_language", code=other, next=request.path),
        "alternates": list(alternates),
        "base": published().settings.base_iri,
        "root": request.script_root,
    }
