"""Literals the store keeps by value: a file whose spelling the store will change is reported."""

from __future__ import annotations

import logging
from pathlib import Path

import pyoxigraph as ox
import pytest

from paxsilica.rdf.literals import rewrites, warn_about_rewrites
from paxsilica.rdf.store import build_store, bundled_files, rdf_format_for

TURTLE = """@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://example.org/a> <http://example.org/p>
    "1.0"^^xsd:decimal , "3.21E4"^^xsd:double , "5"^^xsd:positiveInteger , "007"^^xsd:integer ,
    "1"^^xsd:boolean , "12"^^xsd:integer , "2024"^^xsd:gYear , "text" .
"""


def test_the_literals_the_store_rewrites_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "numbers.ttl"
    path.write_text(TURTLE)
    found = rewrites(ox.parse(path=path, format=ox.RdfFormat.TURTLE))
    assert found.count == 5
    rewritten = {
        (old.value, new.value, new.datatype.value.rsplit("#")[-1]) for old, new in found.examples
    }
    assert ("1.0", "1", "decimal") in rewritten


def test_loading_such_a_file_warns_and_says_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "numbers.ttl"
    path.write_text(TURTLE)
    with caplog.at_level(logging.WARNING, logger="paxsilica.rdf.literals"):
        build_store([path], progress=False)
    assert f"{path}: the store keeps 5 literal(s)" in caplog.text


def test_a_file_in_canonical_form_loads_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "canonical.ttl"
    path.write_text(
        "<http://example.org/a> <http://example.org/p> 12 , "
        '"1.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .'
    )
    with caplog.at_level(logging.WARNING, logger="paxsilica.rdf.literals"):
        found = warn_about_rewrites(path, rdf_format_for(path))
    assert found.count == 0
    assert caplog.text == ""


@pytest.mark.parametrize("data_file", bundled_files(), ids=lambda f: f.path.name)
def test_the_bundled_data_is_written_as_the_store_gives_it_back(data_file) -> None:
    path = data_file.path
    found = rewrites(ox.parse(path=path, format=rdf_format_for(path)))
    assert found.count == 0, found.examples
