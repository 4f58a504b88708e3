"""Running SPARQL files against a store and comparing their results with expected CSV files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph as ox


def run_select(store: ox.Store, query: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """Run a SELECT query over the union of the store's graphs; return variables and rows.

    Each value is written as in SPARQL CSV results: an IRI or a literal's lexical form, and an
    empty string when unbound.
    """
    solutions = store.query(query, use_default_graph_as_union=True)
    variables = [variable.value for variable in solutions.variables]
    buffer = solutions.serialize(format=ox.QueryResultsFormat.CSV)
    reader = csv.reader(io.StringIO(buffer.decode("utf-8")))
    header = next(reader)
    assert header == variables
    return variables, [tuple(row) for row in reader]


def read_expected(path: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    """Read an expected-results CSV file: a header of variable names, then the rows."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [tuple(row) for row in reader]


def write_expected(path: Path, variables: list[str], rows: list[tuple[str, ...]]) -> None:
    """Write results in the expected-results CSV format."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(variables)
        writer.writerows(rows)


TESTS_DIR = Path(__file__).resolve().parent
ANSWERS_DIR = TESTS_DIR / "competency"


def competency_questions() -> list[Path]:
    """The competency questions (bundled with the package), each answered in tests/competency/."""
    from paxsilica.sparql.examples import query_files

    return query_files("competency")


def expected_answer(question: Path) -> Path:
    """The hand-checked answer of a competency question."""
    return ANSWERS_DIR / f"{question.stem}.csv"
