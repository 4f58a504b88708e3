"""The summaries that open entity pages, and the readable fields beneath them.

Every figure a summary gives is checked against the store, counted here another way (in
Python over a plain SELECT) than the summary counts it.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from decimal import Decimal

import pyoxigraph as ox
import pytest

from paxsilica.config import load_settings
from paxsilica.publish import tables
from paxsilica.publish.documents import Documents
from paxsilica.publish.entity_view import entity_view
from paxsilica.publish.labels import Labels
from paxsilica.publish.readable import quantity
from paxsilica.publish.summary import mid_sentence, summary
from paxsilica.web.i18n import strings

BASE = "https://w3id.org/pax-silica/id/"
PS = "https://w3id.org/pax-silica/ontology#"
DAY = datetime.date(2026, 12, 1)


@pytest.fixture(scope="module")
def built(bundled_store: ox.Store) -> tables.Tables:
    return tables.Tables(Documents(bundled_store, load_settings({})))


def types_of(built: tables.Tables, iri: str) -> list[str]:
    return [r["t"].value for r in built.select(f"SELECT ?t WHERE {{ <{iri}> a ?t }}")]


def summarise(built, key: str, lang: str = "en", on: datetime.date = DAY):
    iri = BASE + key
    return summary(built, iri, types_of(built, iri), lang, strings(lang), on)


def leading_inputs(built: tables.Tables, state: str) -> dict[str, Decimal]:
    """The inputs where a state holds the largest share among states for a stage and year,
    with its best such share: grouped here in Python, not in SPARQL."""
    answer = built.select(
        """SELECT ?t ?stage ?y ?supplier ?s WHERE {
          ?l a ps:SupplyLink ; ps:technology ?t ; ps:supplyStage ?stage ; ps:referenceYear ?y ;
             ps:sharePercent ?s ; ps:supplier ?supplier . ?supplier a ps:State }"""
    )
    best: dict[tuple, Decimal] = defaultdict(Decimal)
    for r in answer:
        key = (r["t"].value, r["stage"].value, r["y"].value)
        best[key] = max(best[key], Decimal(r["s"].value))
    found: dict[str, Decimal] = {}
    for r in answer:
        key = (r["t"].value, r["stage"].value, r["y"].value)
        share = Decimal(r["s"].value)
        if r["supplier"].value == BASE + state and share == best[key]:
            found[key[0]] = max(found.get(key[0], share), share)
    return found


def test_a_states_summary_counts_what_the_store_holds(built) -> None:
    found = summarise(built, "state/JP")
    text = " ".join(found.clauses)
    assert found.name == "Japan"
    assert found.clauses[0] == "founding signatory since December 12, 2025 (Washington, D.C.)"
    leads = leading_inputs(built, "state/JP")
    assert f"largest supplier among the states of {len(leads)} inputs" in text
    top = max(leads, key=lambda t: (leads[t], t))
    name = mid_sentence(built.labels().label(top, "en"))
    assert f"{name} ({leads[top].normalize():f}%)" in text
    companies = built.select(
        f"SELECT DISTINCT ?c WHERE {{ ?c a ps:Company ; ps:homeState <{BASE}state/JP> }}"
    )
    assert f"home state of {len(companies)} companies" in text
    assert found.status is not None
    assert found.status.key == "signatory"


def test_summaries_in_french_write_french_dates_and_numbers(built) -> None:
    japan = summarise(built, "state/JP", "fr")
    assert japan.clauses[0] == "signataire fondateur depuis le 12 décembre 2025 (Washington)"
    assert re.search(r"\(\d+(,\d)?\u202f%\)", " ".join(japan.clauses))
    membership = summarise(built, "membership/JP-2025-12-12", "fr")
    assert "depuis le 12 décembre 2025" in membership.clauses
    assert membership.status.text == "Au 1 décembre 2026 : en vigueur"


def test_a_membership_on_a_date(built) -> None:
    before = summarise(built, "membership/JP-2025-12-12", on=datetime.date(2025, 12, 11))
    assert before.status.key == "not-begun"
    assert summarise(built, "membership/JP-2025-12-12").status.key == "in-force"
    assert before.dated


def test_an_export_control_on_a_date_says_in_force_suspended_or_unknown(built) -> None:
    def status(key: str, day: str):
        return summarise(built, key, on=datetime.date.fromisoformat(day)).status

    assert status("export-control/cn-2023-023", "2023-07-01").key == "not-issued"
    assert status("export-control/cn-2023-023", "2024-01-01").key == "InForce"
    assert status("export-control/cn-2024-12-03-us-ban", "2026-01-01").key == "Suspended"
    unknown = status("export-control/cn-2024-12-03-us-ban", "2026-11-30")
    assert unknown.key == "StatusUnknown"
    assert "extended, lapsed or replaced" in unknown.caveat  # the assessment's own words
    assert unknown.text == "On November 30, 2026: unknown"


def test_a_suspension_says_what_it_suspends_and_claims_no_status(built) -> None:
    found = summarise(built, "export-control/cn-2025-072", "fr")
    assert "imposé par : Chine" in found.clauses
    assert "publié le 9 novembre 2025" in found.clauses
    assert any(c.startswith("suspend : Interdiction chinoise") for c in found.clauses)
    assert found.status is None


def test_contested_and_derived_are_marked(built) -> None:
    claim = summarise(built, "claim/seed-summit-date")
    assert claim.marks == ["contested"]
    assert any(c.startswith("contested by 2 sources") for c in claim.clauses)
    computed = built.select(
        "SELECT ?l WHERE { ?l ps:shareBasis ps:ComputedShare } ORDER BY ?l LIMIT 1"
    )[0]["l"].value
    assert summarise(built, computed.removeprefix(BASE)).marks == ["derived"]
    stated = summarise(built, "supply-link/gallium-CN-refining-2023")
    assert stated.marks == []
    assert stated.clauses[0] == "gallium: 98.8% of the world total (refining and processing, 2023)"


def test_a_source_shows_its_card_and_is_flagged_without_an_address(built) -> None:
    usgs = summarise(built, "source/usgs-mcs-2025")
    assert usgs.source.address is None
    assert "no-address" in usgs.marks
    assert usgs.source.publisher == "U.S. Geological Survey"
    assert usgs.source.date == "2025"
    eto = summarise(built, "source/eto-chip-explorer")
    assert eto.source.address == "https://eto.tech/dataset-docs/chipexplorer"
    rows = built.select(
        f"""SELECT DISTINCT ?x WHERE {{ ?x ps:source <{BASE}source/eto-chip-explorer> ;
             ps:sourceLocator ?l FILTER(STRSTARTS(?l, "eto-chip-explorer/provision.csv, ")) }}"""
    )
    assert ("eto-chip-explorer/provision.csv", f"{len(rows):,} statements") in eto.source.read_from


def test_other_kinds_get_a_summary(built) -> None:
    gallium = summarise(built, "technology/gallium")
    assert gallium.clauses[0] == "mineral"
    assert any(c.startswith("covered by 2 export controls") for c in gallium.clauses)
    summit = summarise(built, "event/2025-12-12-inaugural-summit", "fr")
    assert "à Washington" in summit.clauses
    asml = summarise(built, "company/asml")
    assert asml.clauses[0] == "company, home state: Netherlands"
    declaration = summarise(built, "declaration/pax-silica")
    assert declaration.clauses[0] == "declaration"


def fields_of(built: tables.Tables, key: str, lang: str = "en"):
    docs = built.docs
    document = docs.entity(BASE + key)
    labels = Labels([], docs.site)
    return entity_view(docs, document, lang, lambda iri: None, labels, strings(lang))


def test_readable_fields_have_no_tags_collapse_time_and_name_units(built) -> None:
    membership = fields_of(built, "membership/JP-2025-12-12", "fr")
    shown = {r.predicate.iri: r.values for r in membership.fields}
    during = shown["http://www.w3.org/ns/org#memberDuring"]
    assert [v.text for v in during] == ["à partir du 12 décembre 2025"]
    values = [v for r in membership.fields for v in r.values]
    assert all(v.language is None and v.datatype is None for v in values)
    assert not any(r.predicate.iri.endswith("#label") for r in membership.fields)
    # The statements keep every tag.
    assert any(v.language for r in membership.rows for v in r.values)
    link = fields_of(built, "supply-link/gallium-CN-primary-2025-mcs2026")
    by_local = {r.predicate.iri.removeprefix(PS): r.values for r in link.fields}
    amount = built.select(
        f"SELECT ?q ?u WHERE {{ <{BASE}supply-link/gallium-CN-primary-2025-mcs2026> "
        "ps:quantity ?q ; ps:unitCode ?u }"
    )[0]
    assert [v.text for v in by_local["quantity"]] == [
        quantity(amount["q"], amount["u"].value, "en")
    ]
    assert by_local["quantity"][0].text.endswith(" kilograms")
    assert "unitCode" not in by_local
    assert by_local["sharePercent"][0].text == "100%"
    assert by_local["estimated"][0].text == "yes"
