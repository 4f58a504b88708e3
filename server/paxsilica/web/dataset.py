"""The dataset's downloads and description: /dumps/ (with checksums) and /.well-known/void."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from paxsilica import bundle, media
from paxsilica.publish.dumps import CHECKSUMS_NAME, Dumps, checksums
from paxsilica.web import pages, policy
from paxsilica.web.i18n import page_language, strings
from paxsilica.web.linkeddata import answer_document
from paxsilica.web.state import published
from paxsilica.web.templating import page_context, page_response

blueprint = Blueprint("dataset", __name__)


def dumps() -> Dumps:
    """The dumps of the current application."""
    return published().dumps


@blueprint.route("/dumps/")
def index() -> Response:
    """The list of dumps, with sizes and checksums."""
    lang = page_language()
    files = list(dumps().files().values())
    body = render_template(
        "dumps.html",
        files=files,
        checksums_name=CHECKSUMS_NAME,
        apart_licence=bundle.CC_BY_NC,
        apart_notice=bundle.NOTICE[lang],
        **page_context(lang, strings(lang)["dumps"]),
    )
    return page_response(body)


@blueprint.route("/dumps")
def index_without_slash() -> Response:
    """The list of dumps lives at /dumps/."""
    return policy.redirect_to("/dumps/", 308)


@blueprint.route("/dumps/<name>")
def dump_file(name: str) -> Response:
    """One dump file, or the checksum list."""
    files = dumps().files()
    if name == CHECKSUMS_NAME:
        body, content_type, etag = (
            checksums(list(files.values())),
            media.PLAIN_TEXT.content_type,
            None,
        )
    elif name in files:
        dump = files[name]
        body, content_type, etag = dump.body, dump.media_type.content_type, dump.sha256[:32]
    else:
        abort(404, description=f"no dump named {name!r}; dumps: " + ", ".join(files))
    response = Response(body, content_type=content_type)
    if etag:
        response.set_etag(etag)
    else:
        response.add_etag()
    return response.make_conditional(request)


def _void(extension: str | None) -> Response:
    return answer_document(dumps().void(), "/.well-known/void", extension, pages.render_entity)


@blueprint.route("/.well-known/void")
def void() -> Response:
    """The VoID and DCAT description of the dataset, in the negotiated format."""
    return _void(None)


@blueprint.route("/.well-known/void.<extension>")
def void_file(extension: str) -> Response:
    """The VoID description in the format its extension names."""
    return _void(extension)
