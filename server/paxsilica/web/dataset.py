"""The dataset's downloads and description: /dumps/ (with checksums) and /.well-known/void.

The dumps are files written once per dataset version (paxsilica.publish.publication) and sent
from disk as they are: Content-Length, ETag (their SHA-256), Last-Modified, conditional GETs
and byte ranges (206) come with them. Under ``paxsilica serve`` the slot answers with the
headers and where the file is, and the event loop sends it from disk (sendfile), so that no
process holds a dump in memory.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, send_file

from paxsilica import bundle, iris, media
from paxsilica.publish.dumps import CHECKSUMS_NAME, VARIANTS
from paxsilica.publish.publication import Publication, PublicationPending
from paxsilica.web import pages, policy
from paxsilica.web.i18n import page_language, strings
from paxsilica.web.linkeddata import answer_document
from paxsilica.web.state import published
from paxsilica.web.templating import page_context, page_response

blueprint = Blueprint("dataset", __name__)
# How long a client should wait before asking again for what is being built (seconds).
RETRY_SECONDS = 5
LICENCE_NAMES = {iris.LICENSE_IRI: "CC BY 4.0", bundle.CC_BY_NC: "CC BY-NC 4.0"}


@blueprint.app_errorhandler(PublicationPending)
def pending(error: PublicationPending) -> Response:
    """The dumps and the description are still being built: 503, when to come back, how far."""
    if error.failed:
        return policy.error_response(500, error.note, "Internal Server Error")
    message = (
        "the dumps and the dataset description are being built after start-up "
        f"({error.note}); try again in a few seconds"
    )
    response = policy.error_response(503, message, "Service Unavailable")
    response.headers["Retry-After"] = str(RETRY_SECONDS)
    return response


def publication() -> Publication:
    """The publication of the current application's dataset."""
    return published().publication


@blueprint.route("/dumps/")
def index() -> Response:
    """The list of dumps, with sizes and checksums."""
    lang = page_language()
    files = publication().dumps
    variants = [
        (each.title[lang], [d for d in files if d.variant == each.key]) for each in VARIANTS
    ]
    body = render_template(
        "dumps.html",
        variants=[(title, found) for title, found in variants if found],
        graphs=[d for d in files if d.graph is not None],
        licence_names=LICENCE_NAMES,
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
    """One dump file (or its gzip variant), or the checksum list, sent from disk."""
    built = publication()
    if name == CHECKSUMS_NAME:
        return send_file(built.path_of(name), mimetype=media.PLAIN_TEXT.content_type)
    dump = built.dump(name)
    if dump is None:
        names = ", ".join(d.name for d in built.dumps)
        abort(404, description=f"no dump named {name!r}; dumps: {names}")
    return send_file(built.path_of(name), mimetype=dump.content_type, etag=dump.sha256)


def _void(extension: str | None) -> Response:
    return answer_document(published().void(), "/.well-known/void", extension, pages.render_entity)


@blueprint.route("/.well-known/void")
def void() -> Response:
    """The VoID and DCAT description of the dataset, in the negotiated format."""
    return _void(None)


@blueprint.route("/.well-known/void.<extension>")
def void_file(extension: str) -> Response:
    """The VoID description in the format its extension names."""
    return _void(extension)
