"""The one HTTP policy: headers on every answer, CORS preflights, errors and safe redirects.

Every answer, whatever produced it (a document, a page, a dump, the VoID, SPARQL results, an
error, a preflight), carries the same headers: the data is public and read-only, so any site
may read it (CORS), and nothing may sniff, frame, or leak the reader's address onwards. The
one exception is framing: the embeddable views of the charts (``/embed/...``, marked by
:func:`frameable`) may be framed by any site; every other answer refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import urlsplit

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import RequestRedirect

from paxsilica import media
from paxsilica.web.i18n import page_language
from paxsilica.web.templating import page_context

# The pages need nothing but this site's own stylesheet, scripts and icon.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The same policy for the embeddable views, which any site may frame.
FRAMEABLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "frame-ancestors 'none'", "frame-ancestors *"
)
SECURITY_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}
# Headers a script on another site may read, besides the CORS-safelisted ones.
EXPOSED_HEADERS = "Content-Location, ETag, Link, X-Paxsilica-Truncated, X-Paxsilica-Max-Rows"
# Request headers a preflight may ask for: any well-formed list of names.
_HEADER_NAMES = re.compile(r"[A-Za-z0-9\-]+(?:\s*,\s*[A-Za-z0-9\-]+)*")
PREFLIGHT_MAX_AGE = "86400"
DEFAULT_ALLOWED_HEADERS = "Accept, Accept-Language, Content-Type"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# The attribute marking an answer that other sites may frame.
_FRAMEABLE = "paxsilica_frameable"


def frameable(response: Response) -> Response:
    """Mark an answer as one other sites may frame (the charts' embeddable views only)."""
    setattr(response, _FRAMEABLE, True)
    return response


def apply_headers(response: Response) -> Response:
    """Give an answer the policy's headers."""
    headers = response.headers
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    if getattr(response, _FRAMEABLE, False):
        del headers["X-Frame-Options"]
        headers["Content-Security-Policy"] = FRAMEABLE_CONTENT_SECURITY_POLICY
    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def preflight() -> Response | None:
    """Answer a CORS preflight (OPTIONS) for a known route: 204 with what it allows."""
    if request.method != "OPTIONS" or request.url_rule is None:
        return None
    methods = sorted((request.url_rule.methods or set()) | {"OPTIONS"})
    asked = request.headers.get("Access-Control-Request-Headers", "").strip()
    allowed = asked if asked and len(asked) <= 1000 and _HEADER_NAMES.fullmatch(asked) else ""
    response = Response(status=204)
    del response.headers["Content-Type"]  # a 204 has no content, so no content type
    response.headers["Allow"] = ", ".join(methods)
    response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
    response.headers["Access-Control-Allow-Headers"] = allowed or DEFAULT_ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def error_response(
    code: int, message: str, name: str | None = None, page: Callable[[], str] | None = None
) -> Response:
    """Return an error as a page for browsers and as plain text for everyone else.

    ``name`` is the status's name, for a message that does not say it; ``page`` renders the
    HTML form when the error belongs on a page of its own (the SPARQL
    query page shows its errors under the query).
    """
    chosen = media.negotiate(request.accept_mimetypes, media.ERROR_TYPES, request.user_agent.string)
    if chosen is media.HTML:
        if page is not None:
            body = page()
        else:
            lang = page_language()
            title = name or HTTPStatus(code).phrase
            body = render_template(
                "error.html",
                code=code,
                name=title,
                message=message,
                **page_context(lang, f"{code} {title}"),
            )
        response = Response(body, status=code, content_type=media.HTML.content_type)
    else:
        text = f"{code} {name}: {message}\n" if name else f"{code} {message}\n"
        response = Response(text, status=code, content_type=media.PLAIN_TEXT.content_type)
    response.headers["Vary"] = "Accept"
    return response


def http_error(error: HTTPException) -> Response | HTTPException:
    """Answer every HTTP error with a clear message, never a stack trace or a foreign host."""
    if isinstance(error, RequestRedirect):
        # Werkzeug builds these from the Host header: keep the path only.
        parts = urlsplit(error.new_url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return redirect_to(target, error.code)
    if error.code is None or error.code < 400:
        return error
    response = error_response(error.code, error.description or error.name, error.name)
    for header, value in error.get_headers():
        if header.lower() not in ("content-type", "content-length"):
            response.headers[header] = value
    return response


def plain_parameter(name: str, value: str) -> str:
    """Return a parameter that may not hold control characters, or answer 400."""
    if _CONTROL.search(value):
        raise BadRequest(f"the parameter {name!r} holds a control character")
    return value


def safe_path(path: str) -> str:
    """Return a path on this site for a Location header; "/" for anything else.

    Only an absolute path whose first segment is not empty: ``//host`` and ``/\\host`` are
    read by browsers as another site, and control characters (which browsers drop) could
    turn a path into one.
    """
    if (
        not path.startswith("/")
        or path.startswith(("//", "/\\"))
        or _CONTROL.search(path)
        or "\\" in path
    ):
        return "/"
    return path


def redirect_to(path: str, code: int = 303) -> Response:
    """Redirect to a path on this site (under the application's root), never elsewhere."""
    response = Response(status=code)
    del response.headers["Content-Type"]
    response.headers["Location"] = request.script_root + safe_path(path)
    return response


def install(app: Flask) -> None:
    """Apply the policy to every answer of an application."""
    app.before_request(preflight)
    app.after_request(apply_headers)
    app.register_error_handler(HTTPException, http_error)
    # No merging of "//" in paths: Werkzeug would redirect to an absolute URL built from Host.
    app.url_map.merge_slashes = False
