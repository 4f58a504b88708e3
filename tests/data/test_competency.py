"""Competency questions: each query under queries/competency/ gets its answer in tests/competency/

The expected answers (the .csv beside each query) were checked by hand against
shared/sources/FACTS.md; rows are compared in order, since every question orders its answer.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from sparql_results import competency_questions, expected_answer, read_expected, run_select

QUESTIONS = competency_questions()


def test_there_are_seventeen_questions_each_with_an_answer() -> None:
    numbers = {question.stem[:2] for question in QUESTIONS}
    assert numbers == {f"{n:02d}" for n in range(1, 18)}
    for question in QUESTIONS:
        assert expected_answer(question).exists(), question.name


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.stem for q in QUESTIONS])
def test_question_gets_its_expected_answer(bundled_store: ox.Store, question: Path) -> None:
    query = question.read_text(encoding="utf-8")
    assert "ORDER BY" in query, "an answer compared row by row needs a fixed order"
    expected_variables, expected_rows = read_expected(expected_answer(question))
    variables, rows = run_select(bundled_store, query)
    assert variables == expected_variables
    assert rows == expected_rows


def test_single_points_of_failure_follow_the_data(bundled_store: ox.Store) -> None:
    """Question 7 reads shares and memberships from the data: a new signatory moves a row."""
    query = next(q for q in QUESTIONS if q.stem.startswith("07-")).read_text()
    store = ox.Store()
    store.extend(bundled_store)
    _, before = run_select(store, query)
    assert ("Leading-edge logic chips (below 10 nm)", "Taiwan") in {row[:2] for row in before}
    taiwan_row = next(row for row in before if row[1] == "Taiwan")
    assert taiwan_row[-1] == "outside"
    store.update(
        "PREFIX ps: <https://w3id.org/pax-silica/ontology#> "
        "PREFIX org: <http://www.w3.org/ns/org#> "
        "PREFIX time: <http://www.w3.org/2006/time#> "
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        "INSERT DATA { GRAPH <urn:test> { <urn:m> org:member "
        "<https://w3id.org/pax-silica/id/state/TW> ; org:role ps:Signatory ; "
        'org:memberDuring [ time:hasBeginning [ time:inXSDDate "2026-06-01"^^xsd:date ] ] } }'
    )
    _, after = run_select(store, query)
    assert next(row for row in after if row[1] == "Taiwan")[-1] == "inside"
    # The question is asked on a day (1 December 2026): before the membership began, outside.
    earlier = query.replace('"2026-12-01"^^xsd:date', '"2026-03-01"^^xsd:date')
    _, before_it_began = run_select(store, earlier)
    assert next(row for row in before_it_began if row[1] == "Taiwan")[-1] == "outside"
