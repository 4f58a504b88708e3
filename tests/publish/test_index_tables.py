"""The index tables' rows, the bloc and export controls on a date, readable values."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pyoxigraph as ox
import pytest

from paxsilica.config import load_settings
from paxsilica.publish import as_of, tables
from paxsilica.publish.documents import Documents
from paxsilica.publish.readable import readable
from paxsilica.publish.tables import SPECS, Request, select

XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "https://w3id.org/pax-silica/id/"
WORDS = {
    "bloc_signatory": "signatory",
    "bloc_participant": "participant",
    "bloc_outside": "outside",
}


@pytest.fixture(scope="module")
def built(bundled_store: ox.Store) -> tables.Tables:
    return tables.Tables(Documents(bundled_store, load_settings({})))


def context(built: tables.Tables, on: str = "2026-12-01", lang: str = "en") -> tables.Context:
    return built.context(lang, datetime.date.fromisoformat(on), lambda iri: iri, WORDS)


def rows_by_iri(built: tables.Tables, key: str, **kw) -> dict[str, tables.Row]:
    return {r.iri: r for r in built.rows(SPECS[key], context(built, **kw))}


@pytest.mark.parametrize("key", SPECS)
def test_each_table_has_one_row_per_entity_its_query_answers(built, key) -> None:
    spec = SPECS[key]
    answered = {s["row"].value for s in built.select(built.query_of(spec))}
    rows = built.rows(spec, context(built))
    assert answered
    assert len(rows) == len(answered) == len({r.iri for r in rows})
    assert {r.iri for r in rows} == answered


def test_supply_link_cells_hold_the_graphs_values(built) -> None:
    row = rows_by_iri(built, "supply-links")[
        BASE + "supply-link/leading-edge-logic-TW-capacity-2019"
    ]
    assert row.cells["share"].value == Decimal(92)
    assert row.cells["share"].text == "92%"
    assert row.cells["year"].value == "2019"
    assert row.cells["supplier"].links[0].iri == BASE + "state/TW"
    assert row.cells["sources"].links[0].iri == BASE + "source/sia-bcg-2021"
    assert not row.apart
    eto = rows_by_iri(built, "supply-links")[
        BASE + "supply-link/eto-arf-dry-duv-lithography-tools-NL-2025"
    ]
    assert eto.apart
    assert eto.cells["bloc"].value == "participant"


def test_french_rows_read_as_french(built) -> None:
    row = rows_by_iri(built, "supply-links", lang="fr")[
        BASE + "supply-link/leading-edge-logic-TW-capacity-2019"
    ]
    assert row.cells["supplier"].text == "Taïwan"
    assert row.cells["share"].text == "92\u202f%"
    controls = rows_by_iri(built, "export-controls", lang="fr")
    assert controls[BASE + "export-control/cn-2023-023"].cells["issued"].text == "3 juillet 2023"


@pytest.mark.parametrize(
    ("on", "status"),
    [
        ("2025-12-01", "Suspended"),
        ("2026-11-26", "Suspended"),
        ("2026-11-27", "StatusUnknown"),
        ("2026-12-01", "StatusUnknown"),
        ("2024-12-03", "InForce"),
        ("2024-12-02", "not-issued"),
    ],
)
def test_an_export_controls_status_is_its_assessments_never_a_guess(built, on, status) -> None:
    row = rows_by_iri(built, "export-controls", on=on)[BASE + "export-control/cn-2024-12-03-us-ban"]
    assert row.cells["status"].value == status
    if status == "StatusUnknown":
        assert "No source read" in row.cells["status"].note
    else:
        assert not row.cells["status"].note


def test_export_control_statuses_agree_with_competency_question_15(built) -> None:
    expected = {}
    with open("tests/competency/15-export-control-status.csv", encoding="utf-8") as answers:
        next(answers)
        for line in answers:
            iri, *_, on, status = line.rstrip("\n").split(",")
            expected[(iri, on)] = status
    for iri, on in expected:
        row = rows_by_iri(built, "export-controls", on=on)[iri]
        assert row.cells["status"].text == expected[(iri, on)], (iri, on)


@pytest.mark.parametrize(
    ("state", "on", "status"),
    [
        ("JP", "2025-12-11", "outside"),
        ("JP", "2025-12-12", "signatory"),
        ("NL", "2025-12-12", "participant"),
        ("AE", "2025-12-12", "participant"),
        ("AE", "2026-03-01", "signatory"),
        ("CN", "2026-03-01", "outside"),
    ],
)
def test_a_states_place_in_the_bloc_on_a_date(built, state, on, status) -> None:
    assert (
        rows_by_iri(built, "states", on=on)[BASE + "state/" + state].cells["bloc"].value == status
    )


def test_signatories_agree_with_competency_question_17(built) -> None:
    with open("tests/competency/17-members-on-dates.csv", encoding="utf-8") as answers:
        next(answers)
        members = [line.split(",") for line in answers]
    for on in {m[0] for m in members}:
        certain = {m[1] for m in members if m[0] == on and m[-1].strip() == "member"}
        signatories = {
            iri
            for iri, row in rows_by_iri(built, "states", on=on).items()
            if row.cells["bloc"].value == "signatory"
        }
        assert certain <= signatories | {i for i in certain if "/state/" not in i}, on


def test_a_tie_holds_from_its_first_to_its_last_day() -> None:
    tie = as_of.Tie("x", "participant", datetime.date(2025, 12, 12), datetime.date(2026, 1, 14))
    assert tie.holds_on(datetime.date(2026, 1, 14))
    assert not tie.holds_on(datetime.date(2026, 1, 15))
    assert not tie.holds_on(datetime.date(2025, 12, 11))


def test_select_filters_sorts_and_pages(built) -> None:
    rows = built.rows(SPECS["supply-links"], context(built))
    chosen = select(
        rows,
        SPECS["supply-links"],
        Request(sort="share", descending=True, facets={"stage": "MineProduction"}, size=10),
    )
    shares = [r.cells["share"].value for r in chosen.matching if r.cells["share"].value is not None]
    assert shares == sorted(shares, reverse=True)
    assert all(r.cells["stage"].key == "MineProduction" for r in chosen.matching)
    assert len(chosen.rows) == 10
    assert chosen.pages == -(-chosen.total // 10)
    last = select(rows, SPECS["supply-links"], Request(page=10_000, size=200))
    assert last.page == last.pages
    assert len(last.rows) <= 200


def test_the_text_filter_ignores_case_and_accents(built) -> None:
    rows = built.rows(SPECS["states"], context(built, lang="fr"))
    found = select(rows, SPECS["states"], Request(text="TAIWAN"))
    assert [r.cells["name"].text for r in found.matching] == ["Taïwan"]


@pytest.mark.parametrize(
    "asked",
    [Request(sort="nothing"), Request(facets={"share": "1"}), Request(size=201), Request(page=0)],
)
def test_select_refuses_what_a_table_cannot_do(built, asked) -> None:
    with pytest.raises(ValueError, match=r"."):
        select([], SPECS["supply-links"], asked)


@pytest.mark.parametrize(
    ("value", "datatype", "lang", "text"),
    [
        ("2025-12-12", "date", "en", "December 12, 2025"),
        ("2025-12-12", "date", "fr", "12 décembre 2025"),
        ("2026-02", "gYearMonth", "fr", "février 2026"),
        ("2024", "gYear", "fr", "2024"),
        ("2690", "decimal", "en", "2,690"),
        ("2690.5", "decimal", "fr", "2\u202f690,5"),
        ("not a date", "date", "en", "not a date"),
    ],
)
def test_values_read_as_the_language_writes_them(value, datatype, lang, text) -> None:
    assert readable(ox.Literal(value, datatype=ox.NamedNode(XSD + datatype)), lang).text == text


# -- events and claims ---------------------------------------------------------------------

ONTOLOGY = "https://w3id.org/pax-silica/ontology#"


def test_contested_claims_are_the_contradicted_ones(built) -> None:
    answered = built.select(
        "SELECT DISTINCT ?row WHERE { ?row a ps:Claim ; ps:contradictedBy ?source }"
    )
    contradicted = {s["row"].value for s in answered}
    assert contradicted
    rows = rows_by_iri(built, "claims")
    marked = {iri for iri, row in rows.items() if row.cells["contested"].key == "contested"}
    assert marked == contradicted
    assert len(rows) > len(marked)


def test_a_claim_carries_its_confidence_and_both_sides(built) -> None:
    row = rows_by_iri(built, "claims", lang="fr")[BASE + "claim/seed-summit-date"]
    assert row.cells["contested"].value is True
    assert row.cells["contested"].text == "contested"  # WORDS has no French word: the key
    assert row.cells["confidence"].links[0].iri == ONTOLOGY + "LowConfidence"
    assert [k.iri for k in row.cells["claimed_by"].links] == [BASE + "source/seed-article"]
    assert {k.iri for k in row.cells["contradicted_by"].links} == {
        BASE + "source/asiaone-2025-12-14",
        BASE + "source/mofa-2025-12-13",
    }
    assert row.cells["claim_text"].text.startswith("Les États-Unis ont lancé")


def test_events_say_when_where_and_who(built) -> None:
    row = rows_by_iri(built, "events", lang="fr")[BASE + "event/2025-12-12-inaugural-summit"]
    assert row.cells["date"].value == datetime.date(2025, 12, 12)
    assert row.cells["date"].text == "12 décembre 2025"
    assert row.cells["place"].text == "Washington"
    assert row.cells["host"].links[0].iri == BASE + "state/US"
    assert {local for local in ("Summit", "SigningEvent")} == {
        k.iri.rsplit("#", 1)[-1] for k in row.cells["event_kind"].links
    }
    assert BASE + "state/TW" in {k.iri for k in row.cells["participants"].links}
    assert row.cells["confidence"].links[0].iri == ONTOLOGY + "HighConfidence"


def test_a_facet_over_several_entities_is_an_option_for_each(built) -> None:
    spec = SPECS["events"]
    rows = built.rows(spec, context(built))
    found = select(rows, spec, Request(facets={"event_kind": "Summit"}))
    assert [r.iri for r in found.matching] == [BASE + "event/2025-12-12-inaugural-summit"]
    assert "Summit" in dict(found.options["event_kind"])
    assert "TW" in dict(found.options["participants"])
