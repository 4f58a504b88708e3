"""The search index: word prefixes, folded case and accents, both languages, bounded."""

from __future__ import annotations

import pytest

from paxsilica.iris import CANONICAL_SITE
from paxsilica.publish import search
from paxsilica.publish.search import SearchIndex, word_keys

BASE = "https://w3id.org/pax-silica/id/"
STATE = "https://w3id.org/pax-silica/ontology#State"


@pytest.fixture(scope="module")
def index(bundled_store) -> SearchIndex:
    graphs = sorted(bundled_store.named_graphs(), key=lambda g: g.value)
    return SearchIndex.build(bundled_store, CANONICAL_SITE, graphs)


def test_each_word_of_a_name_is_a_key_folded() -> None:
    assert word_keys("États-Unis") == ["etats-unis", "unis"]
    assert word_keys("Taïwan : Conception") == ["taiwan : conception", "conception"]


@pytest.mark.parametrize(
    ("asked", "lang", "label"),
    [
        ("taiw", "en", "Taiwan"),
        ("Taïw", "fr", "Taïwan"),
        ("TAIWAN", "fr", "Taïwan"),
        ("etats", "fr", "États-Unis"),
        ("états-u", "en", "United States"),
        ("united st", "fr", "États-Unis"),
        ("japon", "en", "Japan"),
    ],
)
def test_a_prefix_finds_the_state_first_in_either_language(
    index: SearchIndex, asked: str, lang: str, label: str
) -> None:
    first = index.find(asked, lang)[0]
    assert first.label == label
    assert first.class_iri == STATE


def test_a_word_inside_a_name_finds_it(index: SearchIndex) -> None:
    found = {h.label for h in index.find("unis", "fr", 10)}
    assert {"États-Unis", "Émirats arabes unis"} <= found


def test_alternative_names_are_searched(index: SearchIndex) -> None:
    # "ASMPT Limited" is only a skos:altLabel of its company.
    hits = index.find("asmpt lim", "en")
    assert hits
    assert hits[0].matched == "ASMPT Limited"
    assert hits[0].label != "ASMPT Limited"


def test_nothing_matches_an_unknown_or_empty_text(index: SearchIndex) -> None:
    assert index.find("zzzqqq", "en") == []
    assert index.find("   ", "en") == []


def test_answers_are_capped(index: SearchIndex) -> None:
    assert len(index.find("e", "en", 7)) == 7
    assert len(index.find("e", "en")) == search.MAX_RESULTS


def test_the_index_holds_at_most_its_cap(monkeypatch) -> None:
    monkeypatch.setattr(search, "MAX_NAMES", 3)
    names = [(f"{BASE}thing/{i}", 0, "en", f"Thing {i}") for i in range(10)]
    built = SearchIndex(names)
    assert len(built) == 3
    assert len(built.find("thing", "en")) == 3


def test_a_big_store_is_read_with_a_limit(bundled_store, monkeypatch) -> None:
    monkeypatch.setattr(search, "MAX_NAMES", 5)
    store = bundled_store
    graphs = sorted(store.named_graphs(), key=lambda g: g.value)
    built = SearchIndex.build(store, CANONICAL_SITE, graphs)
    assert len(built) == 5
