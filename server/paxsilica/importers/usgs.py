"""USGS Mineral Commodity Summaries 2026: world production by country, as supply links.

Each kept table gives, per year, each country's production, and the world total as a
``ps:WorldTotal``. A country's share is the project's computation (country / world total of the
same table and year, rounded to one decimal), marked ``ps:ComputedShare`` and derived
(``prov:wasDerivedFrom``) from that world total. A withheld (W) or unavailable (NA) figure
gives a ``ps:Provision`` without a share. Every fact cites the chapter's official PDF. The
tables the upstream README calls unclear are left out rather than guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from paxsilica.importers import common, countries
from paxsilica.importers.common import (
    RDF_TYPE,
    RDFS_LABEL,
    RowError,
    decimal,
    entity,
    named,
    ps,
    text,
    typed,
)

TABLE = common.UPSTREAM_DIR / "usgs-mcs-2026" / "world-production.csv"
LOCATOR = "usgs-mcs-2026/world-production.csv"
EDITION = "mcs2026"


@dataclass(frozen=True)
class Mineral:
    """How one kept chapter maps: its technology, what its table measures, and caveats."""

    technology: str
    stage: str
    world_excludes_us: bool = False


STAGE_KEYS = {"MineProduction": "mine", "PrimaryProduction": "primary", "Refining": "refining"}

KEPT = {
    "gallium": Mineral("gallium", "PrimaryProduction"),
    "rare-earths": Mineral("rare-earths", "MineProduction"),
    "graphite": Mineral("graphite", "MineProduction"),
    "lithium": Mineral("lithium", "MineProduction", world_excludes_us=True),
    "antimony": Mineral("antimony", "MineProduction", world_excludes_us=True),
    "cobalt": Mineral("cobalt", "MineProduction"),
    "nickel": Mineral("nickel", "MineProduction"),
    "tungsten": Mineral("tungsten", "MineProduction"),
    "indium": Mineral("indium", "Refining"),
    "tantalum": Mineral("tantalum", "MineProduction"),
    # The README: copper's numbers are refinery production, not mine production.
    "copper": Mineral("copper", "Refining"),
    "fluorspar": Mineral("fluorspar", "MineProduction"),
    "niobium": Mineral("niobium", "MineProduction"),
    "magnesium": Mineral("magnesium", "PrimaryProduction"),
    "bismuth": Mineral("bismuth", "Refining"),
    "arsenic": Mineral("arsenic", "PrimaryProduction"),
    "tellurium": Mineral("tellurium", "Refining", world_excludes_us=True),
    "aluminum": Mineral("aluminum", "PrimaryProduction"),
}

# The tables the upstream README says not to trust, with its reason.
LEFT_OUT = {
    "silicon": "main rows and sub-rows mix ferrosilicon and silicon metal",
    "platinum-group-metals": "main rows and sub-rows mix palladium and platinum; no unit",
    "tin": "no unit note",
    "zirconium-and-hafnium": "values look like thousand tons although the note says tons",
    "manganese": "the note says gross weight while the table says manganese content",
    "boron": "no usable world total, and mixed product forms",
}

UNITS = {"kilograms": "KGM", "metric tons": "TNE", "thousand metric tons": "KTN"}
UNIT_NOTE = re.compile(r"Data in (thousand metric tons|metric tons|kilograms)\b")

# USGS country names that OWID spells otherwise; the note keeps what the name qualifies.
NAME_TO_CODE = {
    "Burma": ("MM", None),
    "Congo (Kinshasa)": ("CD", None),
    "Côte d’Ivoire": ("CI", None),
    "Korea, North": ("KP", None),
    "Korea, Republic of": ("KR", None),
    "Sweden (concentrate)": ("SE", "concentrate"),
    "United States (copper telluride)": ("US", "copper telluride"),
}
OTHER_COUNTRIES = ("Other countries", "Other")
WORLD_TOTALS = ("World total (rounded)", "World total")
# Raw values that carry no figure: withheld and not available still name a producer.
NO_FIGURE = {"W": "withheld (W)", "NA": "not available (NA)"}
SKIPPED_VALUES = {"XX", ""}


@dataclass
class Row:
    """One production row of the table, with where it was read."""

    line: int
    slug: str
    mineral: Mineral
    label: str
    unit: str
    country: str
    year: str
    production: Decimal | None
    raw: str
    source_url: str
    sha256: str


def _unit(path: Path, line: int, note: str) -> str:
    match = UNIT_NOTE.search(note)
    if match is None:
        raise RowError(path, line, f"unit not understood: {note!r}")
    return UNITS[match.group(1)]


def _production(path: Path, line: int, value: str) -> Decimal | None:
    if value == "":
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RowError(path, line, f"production {value!r} is not a number") from None
    if number < 0:
        raise RowError(path, line, f"negative production {value!r}")
    return number


def read_rows(path: Path = TABLE) -> list[Row]:
    """Read the kept tables' rows; an unknown mineral, unit or sub-table stops the import."""
    rows = []
    for line, raw in common.csv_rows(path):
        slug = raw["slug"]
        if slug in LEFT_OUT:
            continue
        if slug not in KEPT:
            raise RowError(path, line, f"mineral {slug!r} is neither mapped nor left out")
        if "sub_metal_production_latest" in raw["table_label"]:
            raise RowError(path, line, f"sub-table {raw['table_label']!r} is not mapped")
        rows.append(
            Row(
                line,
                slug,
                KEPT[slug],
                raw["table_label"],
                _unit(path, line, raw["units"]),
                raw["country"],
                raw["year"],
                _production(path, line, raw["production"]),
                raw["raw_value"],
                raw["source_url"],
                raw["pdf_sha256"],
            )
        )
    return rows


def supplier_of(row: Row, path: Path) -> tuple[ox.NamedNode, str, str | None]:
    """Return the supplier node, its IRI key, and what the USGS name qualifies, if anything."""
    if row.country in OTHER_COUNTRIES:
        return entity("provider-group", "other-countries"), "other-countries", None
    code, note = NAME_TO_CODE.get(row.country, (None, None))
    if code is None:
        match = countries.by_name().get(row.country)
        if match is None:
            raise RowError(path, row.line, f"unknown country name {row.country!r}")
        code = match.alpha2
    countries.check_known(code, path, row.line)
    return entity("state", code), code, note


class Mapping:
    """Builds the USGS graph and remembers which states it mentions."""

    def __init__(self, hand: common.HandData, path: Path = TABLE):
        self.hand = hand
        self.path = path
        self.triples: list[ox.Triple] = []
        self.states: set[str] = set()
        self.sources: set[ox.NamedNode] = set()

    def add(self, subject: ox.NamedNode, predicate: str, obj: ox.Term) -> None:
        """Add one triple with a predicate of the ontology (or a full IRI)."""
        node = named(predicate) if "://" in predicate else ps(predicate)
        self.triples.append(ox.Triple(subject, node, obj))

    def labels(self, subject: ox.NamedNode, english: str, french: str) -> None:
        """Give a node its English and French labels."""
        self.triples.append(ox.Triple(subject, RDFS_LABEL, text(english, "en")))
        self.triples.append(ox.Triple(subject, RDFS_LABEL, text(french, "fr")))

    def names(self, node: ox.NamedNode, key: str) -> tuple[str, str]:
        """Return a technology's, stage's or supplier's English and French names."""
        if node.value.startswith(entity("state", "").value):
            return countries.names(key)
        english, french = self.hand.label(node, "en"), self.hand.label(node, "fr")
        if english is None or french is None:
            raise RowError(self.path, 0, f"no English and French label for {node.value}")
        return english, french

    def fact(self, subject: ox.NamedNode, kind: str, row: Row, source: ox.NamedNode) -> None:
        """The parts every fact read from a row shares: type, technology, stage, source."""
        self.add(subject, str(RDF_TYPE.value), ps(kind))
        self.add(subject, "technology", entity("technology", row.mineral.technology))
        self.add(subject, "supplyStage", ps(row.mineral.stage))
        self.add(subject, "source", source)
        self.add(subject, "confidence", ps("MediumConfidence"))
        self.add(subject, "sourceLocator", ox.Literal(f"{LOCATOR}, line {row.line}"))

    def chapter(self, row: Row) -> ox.NamedNode:
        """Return (and describe once) the source of a chapter: its official PDF."""
        node = entity("source", f"usgs-{EDITION}-{row.slug}")
        if node in self.sources:
            return node
        self.sources.add(node)
        mineral, _ = self.names(entity("technology", row.mineral.technology), "")
        self.add(node, str(RDF_TYPE.value), ps("Source"))
        self.labels(node, f"USGS MCS 2026: {mineral}", f"USGS MCS 2026 : {mineral}")
        self.add(
            node,
            common.DCTERMS + "title",
            text(f"Mineral Commodity Summaries 2026: {mineral}", "en"),
        )
        self.add(node, common.DCTERMS + "publisher", entity("publisher", "usgs"))
        self.add(node, common.DCTERMS + "date", typed("2026-02", "gYearMonth"))
        self.add(node, common.SCHEMA + "url", named(row.source_url))
        self.add(
            node,
            common.RDFS + "comment",
            text(f"Official chapter PDF; SHA-256 recorded by the extraction: {row.sha256}.", "en"),
        )
        self.add(
            node,
            common.RDFS + "comment",
            text(
                f"PDF officiel du chapitre ; SHA-256 relevé par l'extraction : {row.sha256}.", "fr"
            ),
        )
        return node

    def caption(self, row: Row, who: tuple[str, str], stage_key: str) -> tuple[str, str]:
        """Return the English and French labels of a fact about a row."""
        mineral = self.names(entity("technology", row.mineral.technology), "")
        stage = self.names(ps(row.mineral.stage), "")
        return (
            f"{who[0]}: {mineral[0].lower()}, {stage[0].lower()}, {row.year} (USGS MCS 2026)",
            f"{who[1]} : {mineral[1].lower()}, {stage[1].lower()}, {row.year} (USGS MCS 2026)",
        )

    def world_total(self, row: Row) -> ox.NamedNode:
        """Describe the world total of a table and year."""
        stage_key = STAGE_KEYS[row.mineral.stage]
        node = entity("world-total", f"{row.mineral.technology}-{stage_key}-{row.year}-{EDITION}")
        source = self.chapter(row)
        self.fact(node, "WorldTotal", row, source)
        self.labels(node, *self.caption(row, ("World", "Monde"), stage_key))
        self.add(node, "referenceYear", typed(row.year, "gYear"))
        self.add(node, "quantity", decimal(row.production))
        self.add(node, "unitCode", ox.Literal(row.unit))
        self.add(node, "estimated", typed("true" if row.year == "2025" else "false", "boolean"))
        if row.mineral.world_excludes_us:
            self.add(
                node, common.RDFS + "comment", text("The world total excludes US production.", "en")
            )
            self.add(
                node,
                common.RDFS + "comment",
                text("Le total mondial exclut la production des États-Unis.", "fr"),
            )
        return node

    def country(self, row: Row, world: ox.NamedNode, total: Decimal) -> None:
        """Describe one country's row: a supply link, or a provision when there is no figure."""
        supplier, key, note = supplier_of(row, self.path)
        if key != "other-countries":
            self.states.add(key)
        stage_key = STAGE_KEYS[row.mineral.stage]
        who = self.names(supplier, key)
        stem = f"{row.mineral.technology}-{key}-{stage_key}-{row.year}-{EDITION}"
        source = self.chapter(row)
        if row.production is None:
            node = entity("provision", stem)
            self.fact(node, "Provision", row, source)
            self.add(node, "supplier", supplier)
            self.labels(node, *self.caption(row, who, stage_key))
            self.comment(
                node,
                f"USGS gives no figure: {NO_FIGURE[row.raw]}.",
                f"L'USGS ne donne pas de chiffre : {NO_FIGURE[row.raw]}.",
            )
            return
        node = entity("supply-link", stem)
        self.fact(node, "SupplyLink", row, source)
        self.add(node, "supplier", supplier)
        self.labels(node, *self.caption(row, who, stage_key))
        self.add(node, "referenceYear", typed(row.year, "gYear"))
        self.add(node, "quantity", decimal(row.production))
        self.add(node, "worldQuantity", decimal(total))
        self.add(node, "unitCode", ox.Literal(row.unit))
        share = (row.production * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        self.add(node, "sharePercent", decimal(share))
        self.add(node, "shareBasis", ps("ComputedShare"))
        self.add(node, common.PROV + "wasDerivedFrom", world)
        self.add(node, "estimated", typed("true" if row.year == "2025" else "false", "boolean"))
        if row.mineral.world_excludes_us:
            self.comment(
                node,
                "A share of the world excluding the United States: "
                "the world total excludes US production.",
                "Une part du monde hors États-Unis : "
                "le total mondial exclut la production des États-Unis.",
            )
        if note:
            self.comment(
                node, f"USGS gives this row as {note}.", f"L'USGS donne cette ligne comme {note}."
            )

    def comment(self, node: ox.NamedNode, english: str, french: str) -> None:
        """Add an English and a French comment."""
        self.add(node, common.RDFS + "comment", text(english, "en"))
        self.add(node, common.RDFS + "comment", text(french, "fr"))

    def table(self, rows: list[Row]) -> None:
        """Map one table and year: its world total, then each country."""
        totals = {r.country: r for r in rows if r.country in WORLD_TOTALS}
        world_row = totals.get(WORLD_TOTALS[0]) or totals.get(WORLD_TOTALS[1])
        if world_row is None or not world_row.production:
            first = rows[0]
            raise RowError(self.path, first.line, f"no world total for {first.slug} {first.year}")
        world = self.world_total(world_row)
        for row in rows:
            if row.country in WORLD_TOTALS or (
                row.raw in SKIPPED_VALUES and row.production is None
            ):
                continue
            if row.production is None and row.raw not in NO_FIGURE:
                raise RowError(self.path, row.line, f"value {row.raw!r} not understood")
            self.country(row, world, world_row.production)


def build(hand: common.HandData, path: Path = TABLE) -> tuple[list[ox.Triple], set[str]]:
    """Return the USGS graph and the ISO codes of the states it mentions."""
    mapping = Mapping(hand, path)
    mapping.triples += common.graph_description(
        common.USGS,
        (
            "World production by country, USGS Mineral Commodity Summaries 2026",
            "Production mondiale par pays, USGS Mineral Commodity Summaries 2026",
        ),
        (
            "USGS figures are US public domain; the mapping and the computed shares are the "
            "project's, under CC BY 4.0. Medium confidence: transcribed from a third-party "
            "extraction of the official chapter PDFs.",
            "Les chiffres de l'USGS sont du domaine public américain ; la mise en correspondance "
            "et les parts calculées sont du projet, sous CC BY 4.0. Confiance moyenne : transcrits "
            "d'une extraction tierce des PDF officiels des chapitres.",
        ),
        "usgs-mcs-2026",
    )
    tables: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for row in read_rows(path):
        tables[(row.slug, row.label, row.year)].append(row)
    for key in sorted(tables):
        mapping.table(tables[key])
    return mapping.triples, mapping.states
