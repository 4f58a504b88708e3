"""Values as a reader reads them: numbers and dates formatted for a language (Babel), no tags.

A literal's datatype and language tag are for machines; a page shows ``94,4 %`` and
``12 décembre 2025`` instead of ``"94.4"^^xsd:decimal`` and ``"2025-12-12"^^xsd:date``. The
machine value stays next to the text (``Readable.value``) for sorting and for downloads.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import parse_pattern

XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = {XSD + name for name in ("decimal", "integer", "double", "float", "int", "long")}
_INTEGER = {XSD + name for name in ("integer", "int", "long", "nonNegativeInteger")}
_YEAR_MONTH = re.compile(r"(-?\d{4,})-(\d{2})")
# A percentage sign after a number: French puts a narrow no-break space before it.
_PERCENT = {"fr": "\u202f%"}
# Parsed once: Babel would parse a pattern given as text on every call.
_NUMBER_PATTERN = parse_pattern("#,##0.###")
# The one table of units: the data writes UN/CEFACT (UNECE Recommendation 20) codes, a page
# writes words.
UNITS: dict[str, dict[str, str]] = {
    "TNE": {"en": "tonnes", "fr": "tonnes"},
    "KTN": {"en": "thousand tonnes", "fr": "milliers de tonnes"},
    "KGM": {"en": "kilograms", "fr": "kilogrammes"},
    "MTQ": {"en": "cubic metres", "fr": "mètres cubes"},
}


@dataclass(frozen=True)
class Readable:
    """A literal as shown (``text``) and as kept (``value``: Decimal, int, date, str)."""

    text: str
    value: Decimal | int | datetime.date | str


@functools.lru_cache(maxsize=8)
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


@functools.lru_cache(maxsize=8192)
def number(value: Decimal | int | float, lang: str) -> str:
    """A number as a reader of the language writes it (``1,234.5`` / ``1 234,5``)."""
    return _NUMBER_PATTERN.apply(Decimal(str(value)), _locale(lang))


def percent(value: Decimal | int | float, lang: str) -> str:
    """A percentage (0-100) as a reader writes it: ``94.4%``, ``94,4 %``."""
    return number(value, lang) + _PERCENT.get(lang, "%")


def unit_words(code: str, lang: str) -> str:
    """A UN/CEFACT unit code in words (``TNE`` → ``tonnes``); an unknown code as it is."""
    return UNITS.get(code, {}).get(lang, code)


def quantity(amount: ox.Literal, unit: str | None, lang: str) -> str:
    """An amount with its unit in words: ``760 tonnes``, ``72 800 milliers de tonnes``."""
    shown = readable(amount, lang).text
    return f"{shown} {unit_words(unit, lang)}" if unit else shown


def day(value: datetime.date, lang: str) -> str:
    """A date written out: ``December 12, 2025``, ``12 décembre 2025``."""
    return format_date(value, format="long", locale=lang)


def parse_day(text: str) -> datetime.date | None:
    """An ISO day (``YYYY-MM-DD``), or None when the text is not one."""
    try:
        return datetime.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _year_month(text: str, lang: str) -> Readable | None:
    found = _YEAR_MONTH.fullmatch(text)
    if not found or not 1 <= int(found.group(2)) <= 12:
        return None
    first = datetime.date(int(found.group(1)), int(found.group(2)), 1)
    return Readable(format_skeleton("yMMMM", first, locale=lang), text)


def _numeric(text: str, datatype: str, lang: str) -> Readable | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    kept: Decimal | int = int(value) if datatype in _INTEGER else value
    return Readable(number(kept, lang), kept)


def readable(term: ox.Literal, lang: str) -> Readable:
    """A literal for a page: dates and numbers formatted for the language, no tag shown."""
    datatype = term.datatype.value if term.datatype is not None else ""
    text = term.value
    found: Readable | None = None
    if datatype == XSD + "date":
        parsed = parse_day(text)
        found = Readable(day(parsed, lang), parsed) if parsed else None
    elif datatype == XSD + "gYearMonth":
        found = _year_month(text, lang)
    elif datatype == XSD + "gYear":
        found = Readable(text.lstrip("+"), text)
    elif datatype in _NUMERIC:
        found = _numeric(text, datatype, lang)
    return found or Readable(text, text)
