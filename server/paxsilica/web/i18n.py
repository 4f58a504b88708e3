"""The pages' languages: their words (strings/<lang>.json) and the reader's choice of language."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import request

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# A reader's choice of language, kept so that it holds from page to page.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
STRINGS_DIR = Path(__file__).parent / "strings"


@cache
def strings(lang: str) -> dict[str, str]:
    """Return the words of the pages in a language, by key."""
    return json.loads((STRINGS_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def page_language() -> str:
    """Return the language of the page: ``?lang=``, else the reader's choice, else the best
    match of Accept-Language."""
    # Looks at the raw environ first: most requests carry none of these, and parsing (or
    # missing a key in) Werkzeug's structures is a good part of answering a cached page.
    environ = request.environ
    if "lang=" in environ.get("QUERY_STRING", ""):
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            return asked
    if LANGUAGE_COOKIE in environ.get("HTTP_COOKIE", ""):
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LANGUAGES:
            return chosen
    if environ.get("HTTP_ACCEPT_LANGUAGE"):
        return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE
