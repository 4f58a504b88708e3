"""The states of the graph: ISO codes and Wikidata items from OWID, names from pycountry.

Every state any graph mentions gets its English and French label from pycountry's ISO 3166
data (the country's common name when ISO gives one, else its short name, and that name's
translation from the iso-codes project), its alpha-2 and alpha-3 codes and its Wikidata item
from the Our World in Data table (instances/upstream/owid-countries/). No name is typed by hand.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pycountry
import pyoxigraph as ox

from paxsilica.importers import common
from paxsilica.importers.common import RDF_TYPE, RDFS_LABEL, RowError, entity, named, ps, text

OWID_TABLE = common.UPSTREAM_DIR / "owid-countries" / "countries.csv"
WIKIDATA = "http://www.wikidata.org/entity/"
SOURCES = ("owid-country-table", "iso-codes-french-names")


@dataclass(frozen=True)
class Country:
    """One row of the OWID table."""

    name: str
    alpha2: str
    alpha3: str
    wikidata: str
    wikidata_label: str
    line: int


@functools.cache
def owid_table(path: Path = OWID_TABLE) -> tuple[Country, ...]:
    """Read the OWID country table; a row without codes or Wikidata item stops the import."""
    countries = []
    for line, row in common.csv_rows(path):
        if not (row["iso_alpha2"] and row["iso_alpha3"] and row["wikidata_qid"]):
            raise RowError(path, line, f"{row['name']!r} lacks an ISO code or a Wikidata item")
        countries.append(
            Country(
                row["name"],
                row["iso_alpha2"],
                row["iso_alpha3"],
                row["wikidata_qid"],
                row["wikidata_label"],
                line,
            )
        )
    return tuple(countries)


def by_alpha2() -> dict[str, Country]:
    """The OWID rows by ISO alpha-2 code."""
    return {c.alpha2: c for c in owid_table()}


def by_alpha3() -> dict[str, Country]:
    """The OWID rows by ISO alpha-3 code."""
    return {c.alpha3: c for c in owid_table()}


def by_name() -> dict[str, Country]:
    """The OWID rows by English name and by the Wikidata item's English label."""
    names = {c.wikidata_label: c for c in owid_table()}
    names.update({c.name: c for c in owid_table()})
    return names


@functools.cache
def _french() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])


def names(alpha2: str) -> tuple[str, str]:
    """Return the English and French names of a country, both from pycountry's ISO 3166 data."""
    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        raise KeyError(alpha2)
    english = getattr(country, "common_name", None) or country.name
    return english, _french().gettext(english)


def state_triples(alpha2: str) -> list[ox.Triple]:
    """Return the description of one state: type, labels, codes, Wikidata item and sources."""
    row = by_alpha2()[alpha2]
    english, french = names(alpha2)
    node = entity("state", alpha2)
    triples = [
        ox.Triple(node, RDF_TYPE, ps("State")),
        ox.Triple(node, RDFS_LABEL, text(english, "en")),
        ox.Triple(node, RDFS_LABEL, text(french, "fr")),
        ox.Triple(node, ps("isoAlpha2"), ox.Literal(row.alpha2)),
        ox.Triple(node, ps("isoAlpha3"), ox.Literal(row.alpha3)),
        ox.Triple(node, named(common.OWL + "sameAs"), named(WIKIDATA + row.wikidata)),
        ox.Triple(
            node, ps("sourceLocator"), ox.Literal(f"owid-countries/countries.csv, line {row.line}")
        ),
    ]
    triples += [ox.Triple(node, ps("source"), entity("source", key)) for key in SOURCES]
    return triples


def check_known(alpha2: str, path: Path, line: int) -> None:
    """Stop the import when a code has no OWID row or no ISO 3166 name."""
    if alpha2 not in by_alpha2():
        raise RowError(path, line, f"no country with ISO code {alpha2!r} in {OWID_TABLE.name}")
    if pycountry.countries.get(alpha_2=alpha2) is None:
        raise RowError(path, line, f"pycountry has no ISO 3166 name for {alpha2!r}")


def build(codes: Iterable[str]) -> list[ox.Triple]:
    """Return the countries graph for the given ISO alpha-2 codes, with its description."""
    triples = common.graph_description(
        common.COUNTRIES,
        ("Pax Silica states: names and identifiers", "États de Pax Silica : noms et identifiants"),
        (
            "Codes and Wikidata items from Our World in Data's country table (CC BY 4.0); English "
            "and French names from the ISO 3166 data of pycountry and the iso-codes project.",
            "Codes et éléments Wikidata de la table des pays d'Our World in Data (CC BY 4.0) ; "
            "noms anglais et français des données ISO 3166 de pycountry et du projet iso-codes.",
        ),
        "owid-country-table",
    )
    for alpha2 in sorted(set(codes)):
        triples += state_triples(alpha2)
    return triples
