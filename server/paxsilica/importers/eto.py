"""The ETO Chip Explorer dataset (CSET): the semiconductor supply chain as technologies and links.

Every input (and each of the three stages) becomes a technology of the SKOS scheme with its ETO
id as notation and its kind; "goes into" becomes ``ps:goesInto`` and "is a type of"
``ps:isTypeOf``. Every provider becomes a company (with its home state, citing ETO), a state, or
a group of providers. Every provision row becomes a ``ps:Provision``; a row with a share also
becomes a supply link with that share, its year and the row's own citation. All of it goes to
the ETO graph, licensed CC BY-NC 4.0 apart from the project's own data. Entities the graph
already has (the hand-written companies and technologies) stay one entity each, through the
tables below; anything else that would collide stops the import.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from paxsilica.importers import common, countries
from paxsilica.importers.common import (
    RDF_TYPE,
    RDFS_LABEL,
    SKOS_PREF_LABEL,
    RowError,
    decimal,
    entity,
    named,
    ps,
    slug,
    text,
    typed,
)

DATA_DIR = common.UPSTREAM_DIR / "eto-chip-explorer"
DATASET_SOURCE = entity("source", "eto-chip-explorer")

# ETO inputs that are technologies the hand-written scheme already has.
EXISTING_TECHNOLOGIES = {
    "N26": "silicon-wafers",
    "N31": "photoresists",
    "N84": "eda-software",
    "S3": "packaging-and-test",
}
# The stages have short names ("Design") that would make ambiguous keys.
STAGE_KEYS = {"S1": "semiconductor-design", "S2": "semiconductor-fabrication"}

KINDS = {
    "design_resource": "DesignResource",
    "tool_resource": "ToolResource",
    "material_resource": "MaterialResource",
    "process": "ProcessStep",
    "ultimate_output": "UltimateOutput",
}
# Where a top-level input falls among the declaration's components, by kind.
COMPONENTS = {
    "ToolResource": ("compute-and-semiconductors", "advanced-manufacturing"),
}
DEFAULT_COMPONENTS = ("compute-and-semiconductors",)

# ETO providers that are companies the hand-written data already has. Hitachi (P97, alias
# Hitachi High-Tech) is the Hitachi High-Tech subsidiary, not the group of the fact sheet.
EXISTING_COMPANIES = {
    "P35": "samsung",
    "P55": "sk-hynix",
    "P56": "micron",
    "P88": "asml",
    "P206": "jsr",
    "P207": "tokyo-ohka-kogyo",
    "P208": "shin-etsu-chemical",
}
COMPANY_KEYS = {"P97": "hitachi-high-tech"}
# Provider names and home-country codes that stand for groups, not states.
GROUPS = {
    "Various countries": "various-countries",
    "EUR": "europe",
    "Various companies": "various-companies",
}

MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s,]+)[^)]*\)")
PUBLISHERS = (("CSET", "cset"), ("World Semiconductor Trade Statistics", "wsts"))


@dataclass
class Input:
    """An input or stage of the chain: its ETO id, name, kind and stage."""

    eto_id: str
    name: str
    kind: str
    stage: str | None
    line: int
    file: str


@dataclass
class Provider:
    """A provider: its node, key for IRIs, and what the graph must say about it."""

    node: ox.NamedNode
    key: str
    english: str
    french: str


@dataclass
class Mapping:
    """Builds the ETO graph and remembers which states it mentions."""

    hand: common.HandData
    data_dir: Path = DATA_DIR
    triples: list[ox.Triple] = field(default_factory=list)
    states: set[str] = field(default_factory=set)
    inputs: dict[str, Input] = field(default_factory=dict)
    technologies: dict[str, ox.NamedNode] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    citations: dict[str, ox.NamedNode] = field(default_factory=dict)

    def path(self, name: str) -> Path:
        """An upstream file of the dataset."""
        return self.data_dir / name

    def add(self, subject: ox.NamedNode, predicate: str, obj: ox.Term) -> None:
        """Add one triple with a predicate of the ontology (or a full IRI)."""
        node = named(predicate) if "://" in predicate else ps(predicate)
        self.triples.append(ox.Triple(subject, node, obj))

    def labels(
        self, subject: ox.NamedNode, english: str, french: str, concept: bool = False
    ) -> None:
        """Give a node its English and French labels (and preferred labels for a concept)."""
        for predicate in (RDFS_LABEL, SKOS_PREF_LABEL) if concept else (RDFS_LABEL,):
            self.triples.append(ox.Triple(subject, predicate, text(english, "en")))
            self.triples.append(ox.Triple(subject, predicate, text(french, "fr")))

    def locate(self, subject: ox.NamedNode, file: str, line: int) -> None:
        """Say where in the upstream file a fact was read."""
        self.add(subject, "sourceLocator", ox.Literal(f"eto-chip-explorer/{file}, line {line}"))

    # -- technologies ---------------------------------------------------------------------------

    def read_inputs(self) -> None:
        """Read the stages and inputs; an unknown kind stops the import."""
        for line, row in common.csv_rows(self.path("stages.csv")):
            self.inputs[row["stage_id"]] = Input(
                row["stage_id"], row["stage_name"], "ChainStage", None, line, "stages.csv"
            )
        for line, row in common.csv_rows(self.path("inputs.csv")):
            kind = KINDS.get(row["type"])
            if kind is None:
                raise RowError(
                    self.path("inputs.csv"), line, f"unknown kind of input {row['type']!r}"
                )
            self.inputs[row["input_id"]] = Input(
                row["input_id"],
                row["input_name"],
                kind,
                row["stage_id"] or None,
                line,
                "inputs.csv",
            )
        taken: dict[str, str] = {}
        for eto_id, item in self.inputs.items():
            key = EXISTING_TECHNOLOGIES.get(eto_id) or STAGE_KEYS.get(eto_id) or slug(item.name)
            node = entity("technology", key)
            if eto_id not in EXISTING_TECHNOLOGIES and self.hand.described(node):
                raise RowError(
                    self.path(item.file),
                    item.line,
                    f"{item.name!r} would merge with the hand-written {node.value}: "
                    "list it in EXISTING_TECHNOLOGIES or give it another key",
                )
            if key in taken:
                raise RowError(
                    self.path(item.file),
                    item.line,
                    f"{item.name!r} and {taken[key]} would share the key {key!r}",
                )
            taken[key] = eto_id
            self.technologies[eto_id] = node

    def technology(self, eto_id: str, file: str, line: int) -> ox.NamedNode:
        """The technology node of an ETO id, or stop the import."""
        node = self.technologies.get(eto_id)
        if node is None:
            raise RowError(self.path(file), line, f"unknown input {eto_id!r}")
        return node

    def french_name(self, node: ox.NamedNode, item: Input) -> str:
        """The project's French name for an input (instances/eto-technologies-fr.ttl)."""
        french = self.hand.label(node, "fr")
        if french is None:
            raise RowError(
                self.path(item.file),
                item.line,
                f"no French label for {item.name!r} ({node.value}): "
                "add it to instances/eto-technologies-fr.ttl",
            )
        return french

    def describe_technologies(self, typed_ids: set[str]) -> None:
        """Describe every input: type, names, notation, kind, scheme, component, stage."""
        for eto_id, item in self.inputs.items():
            node = self.technologies[eto_id]
            self.french_name(node, item)
            self.add(node, common.SKOS + "notation", ox.Literal(eto_id))
            self.add(node, "inputKind", ps(item.kind))
            self.locate(node, item.file, item.line)
            self.add(node, "source", DATASET_SOURCE)
            if item.stage:
                self.add(node, "chainStage", self.technology(item.stage, item.file, item.line))
            if eto_id in EXISTING_TECHNOLOGIES:
                continue
            kind = "Material" if item.kind == "MaterialResource" else "Technology"
            self.add(node, str(RDF_TYPE.value), ps(kind))
            self.triples.append(ox.Triple(node, RDFS_LABEL, text(item.name, "en")))
            self.triples.append(ox.Triple(node, SKOS_PREF_LABEL, text(item.name, "en")))
            self.add(node, common.SKOS + "inScheme", entity("scheme", "technologies"))
            if eto_id not in typed_ids:
                for component in COMPONENTS.get(item.kind, DEFAULT_COMPONENTS):
                    self.add(node, "inComponent", entity("component", component))

    def read_sequence(self) -> set[str]:
        """Map "goes into" and "is a type of"; return the ids that are a type of another."""
        typed_ids = set()
        for line, row in common.csv_rows(self.path("sequence.csv")):
            node = self.technology(row["input_id"], "sequence.csv", line)
            if row["goes_into_id"]:
                self.add(
                    node, "goesInto", self.technology(row["goes_into_id"], "sequence.csv", line)
                )
            if row["is_type_of_id"]:
                self.add(
                    node, "isTypeOf", self.technology(row["is_type_of_id"], "sequence.csv", line)
                )
                typed_ids.add(row["input_id"])
            if not (row["goes_into_id"] or row["is_type_of_id"]):
                raise RowError(self.path("sequence.csv"), line, "a row that relates nothing")
        return typed_ids

    # -- providers ------------------------------------------------------------------------------

    def state(self, alpha3: str, line: int) -> ox.NamedNode:
        """The state of an ISO alpha-3 code, or stop the import."""
        country = countries.by_alpha3().get(alpha3)
        if country is None:
            raise RowError(self.path("providers.csv"), line, f"unknown country code {alpha3!r}")
        countries.check_known(country.alpha2, self.path("providers.csv"), line)
        self.states.add(country.alpha2)
        return entity("state", country.alpha2)

    def read_providers(self) -> None:
        """Read the providers (one row per alias) and describe each once."""
        rows: dict[str, list[tuple[int, dict[str, str]]]] = {}
        for line, row in common.csv_rows(self.path("providers.csv")):
            rows.setdefault(row["provider_id"], []).append((line, row))
        taken: dict[str, str] = {}
        for provider_id, group in rows.items():
            line, first = group[0]
            aliases = sorted({r["alias"] for _, r in group if r["alias"]})
            provider = self.provider(provider_id, first, line, aliases)
            if provider.key in taken:
                raise RowError(
                    self.path("providers.csv"),
                    line,
                    f"{first['provider_name']!r} and {taken[provider.key]} "
                    f"would share the key {provider.key!r}",
                )
            taken[provider.key] = provider_id
            self.providers[provider_id] = provider

    def provider(
        self, provider_id: str, row: dict[str, str], line: int, aliases: list[str]
    ) -> Provider:
        """Map one provider to a group, a state or a company."""
        name = row["provider_name"]
        if name in GROUPS:
            node = entity("provider-group", GROUPS[name])
            return Provider(node, GROUPS[name], *self.hand_names(node, line))
        if row["provider_type"] == "country":
            node = self.state(name, line)
            key = node.value.rsplit("/", 1)[1]
            return Provider(node, key, *countries.names(key))
        if row["provider_type"] != "organization":
            raise RowError(
                self.path("providers.csv"), line, f"unknown provider type {row['provider_type']!r}"
            )
        return self.company(provider_id, row, line, aliases)

    def hand_names(self, node: ox.NamedNode, line: int) -> tuple[str, str]:
        """The hand-written English and French labels of a node, or stop the import."""
        english, french = self.hand.label(node, "en"), self.hand.label(node, "fr")
        if english is None or french is None:
            raise RowError(
                self.path("providers.csv"), line, f"{node.value} has no hand-written labels"
            )
        return english, french

    def company(
        self, provider_id: str, row: dict[str, str], line: int, aliases: list[str]
    ) -> Provider:
        """Describe a company: a new one in full, a hand-written one only with what ETO adds."""
        key = (
            EXISTING_COMPANIES.get(provider_id)
            or COMPANY_KEYS.get(provider_id)
            or slug(row["provider_name"])
        )
        node = entity("company", key)
        existing = provider_id in EXISTING_COMPANIES
        if not existing and self.hand.described(node):
            raise RowError(
                self.path("providers.csv"),
                line,
                f"{row['provider_name']!r} would merge with the hand-written {node.value}: "
                "list it in EXISTING_COMPANIES or COMPANY_KEYS",
            )
        home = None
        if row["country"] and row["country"] not in GROUPS:
            home = self.state(row["country"], line)
        self.add(node, "source", DATASET_SOURCE)
        self.locate(node, "providers.csv", line)
        for alias in aliases:
            self.add(node, common.SKOS + "altLabel", text(alias, "en"))
        if existing:
            self.check_home(node, home, line)
            return Provider(node, key, *self.hand_names(node, line))
        self.add(node, str(RDF_TYPE.value), ps("Company"))
        # A company's name is the same in French: proper names are not translated.
        self.labels(node, row["provider_name"], row["provider_name"])
        if home is not None:
            self.add(node, "homeState", home)
        return Provider(node, key, row["provider_name"], row["provider_name"])

    def check_home(self, node: ox.NamedNode, home: ox.NamedNode | None, line: int) -> None:
        """A hand-written company keeps its home state; ETO must not say another."""
        recorded = self.hand.objects(node, ps("homeState"))
        if home is None or home in recorded:
            return
        if recorded:
            raise RowError(
                self.path("providers.csv"),
                line,
                f"ETO gives {node.value} the home state {home.value}, "
                f"the hand-written data {recorded[0]}",
            )
        self.add(node, "homeState", home)

    # -- provisions and supply links ------------------------------------------------------------

    def citation(self, raw: str, line: int) -> ox.NamedNode:
        """The source of a row's own citation, described once; the dataset when there is none."""
        if not raw:
            return DATASET_SOURCE
        if raw in self.citations:
            return self.citations[raw]
        publisher = next((key for marker, key in PUBLISHERS if marker in raw), None)
        if publisher is None:
            raise RowError(
                self.path("provision.csv"), line, f"citation with no known publisher: {raw[:80]!r}"
            )
        node = entity("source", "eto-citation-" + hashlib.sha256(raw.encode()).hexdigest()[:10])
        title = MARKDOWN_LINK.sub(r"\1", raw).strip()
        short = title if len(title) <= 90 else title[:89].rstrip() + "…"
        self.add(node, str(RDF_TYPE.value), ps("Source"))
        self.labels(node, f"ETO citation: {short}", f"Citation ETO : {short}")
        self.add(node, common.DCTERMS + "title", text(title, "en"))
        self.add(node, common.DCTERMS + "publisher", entity("publisher", publisher))
        link = MARKDOWN_LINK.search(raw)
        if link:
            self.add(node, common.SCHEMA + "url", named(link.group(2)))
        self.citations[raw] = node
        return node

    def provision_row(self, line: int, row: dict[str, str]) -> None:
        """Map one provision row: a provision, and a supply link when it gives a share."""
        provider = self.providers.get(row["provider_id"])
        if provider is None:
            raise RowError(
                self.path("provision.csv"), line, f"unknown provider {row['provider_id']!r}"
            )
        item_id = row["provided_id"]
        technology = self.technology(item_id, "provision.csv", line)
        item = self.inputs[item_id]
        tech_key = technology.value.rsplit("/", 1)[1]
        english = self.hand.label(technology, "en") or item.name
        french = self.french_name(technology, item)
        citation = self.citation(row["source"], line)
        provision = entity("provision", f"eto-{tech_key}-{provider.key}")
        self.fact(provision, "Provision", provider, technology, citation, line)
        self.labels(
            provision, f"{provider.english}: {english} (ETO)", f"{provider.french} : {french} (ETO)"
        )
        if not row["share_provided"]:
            return
        share, year = self.share_and_year(row, line)
        link = entity("supply-link", f"eto-{tech_key}-{provider.key}-{year}")
        self.fact(link, "SupplyLink", provider, technology, citation, line)
        self.labels(
            link,
            f"{provider.english}: {english}, market share, {year} (ETO)",
            f"{provider.french} : {french}, part de marché, {year} (ETO)",
        )
        self.add(link, "provision", provision)
        self.add(link, "sharePercent", decimal(share))
        self.add(link, "shareBasis", ps("StatedShare"))
        self.add(link, "shareQualifier", ps("Exactly"))
        self.add(link, "referenceYear", typed(year, "gYear"))

    def fact(
        self,
        node: ox.NamedNode,
        kind: str,
        provider: Provider,
        technology: ox.NamedNode,
        citation: ox.NamedNode,
        line: int,
    ) -> None:
        """What provisions and supply links share: type, supplier, technology, stage, sources."""
        self.add(node, str(RDF_TYPE.value), ps(kind))
        self.add(node, "supplier", provider.node)
        self.add(node, "technology", technology)
        self.add(node, "supplyStage", ps("MarketShare"))
        self.add(node, "source", citation)
        self.add(node, "source", DATASET_SOURCE)
        self.add(node, "confidence", ps("MediumConfidence"))
        self.locate(node, "provision.csv", line)

    def share_and_year(self, row: dict[str, str], line: int) -> tuple[Decimal, str]:
        """A row's share (a percentage 0–100) and year, or stop the import."""
        try:
            share = Decimal(row["share_provided"])
        except InvalidOperation:
            raise RowError(
                self.path("provision.csv"), line, f"share {row['share_provided']!r} is not a number"
            ) from None
        if not 0 <= share <= 100:
            raise RowError(self.path("provision.csv"), line, f"share {share} is not a percentage")
        if not re.fullmatch(r"\d{4}", row["year"]):
            raise RowError(self.path("provision.csv"), line, f"year {row['year']!r} is not a year")
        return share, row["year"]


def build(hand: common.HandData, data_dir: Path = DATA_DIR) -> tuple[list[ox.Triple], set[str]]:
    """Return the ETO graph and the ISO codes of the states it mentions."""
    mapping = Mapping(hand, data_dir)
    mapping.triples += common.graph_description(
        common.ETO,
        (
            "The semiconductor supply chain, from the ETO Chip Explorer dataset",
            "La chaîne d'approvisionnement des semi-conducteurs, "
            "d'après le jeu de données ETO Chip Explorer",
        ),
        (
            "Derived from the Emerging Technology Observatory (ETO) Chip Explorer dataset of the "
            "Center for Security and Emerging Technology (CSET), Georgetown University, under CC "
            "BY-NC 4.0: not for commercial use.",
            "Dérivé du jeu de données Chip Explorer de l'Emerging Technology Observatory (ETO) du "
            "Center for Security and Emerging Technology (CSET), université de Georgetown, sous CC "
            "BY-NC 4.0 : pas d'usage commercial.",
        ),
        "eto-chip-explorer",
    )
    mapping.read_inputs()
    typed_ids = mapping.read_sequence()
    mapping.describe_technologies(typed_ids)
    mapping.read_providers()
    for line, row in common.csv_rows(mapping.path("provision.csv")):
        mapping.provision_row(line, row)
    return mapping.triples, mapping.states
