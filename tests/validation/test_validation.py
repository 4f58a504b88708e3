"""Tests of the validation library and the ``paxsilica validate`` command.

The reasoner tests run HermiT, which needs Java: they skip with a reason when Java is missing,
except under CI=true, where they fail. HermiT runs once per session for each data set.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from conftest import require_tool
from paxsilica import bundle, cli, iris, paths, validation
from paxsilica.rdf.store import DataLoadError
from sparql_results import TESTS_DIR

FIXTURES = TESTS_DIR / "fixtures" / "shapes"
BASE = FIXTURES / "base.ttl"
INCONSISTENT = FIXTURES / "hermit-inconsistent.ttl"
UNSATISFIABLE = FIXTURES / "hermit-unsatisfiable.ttl"
LOWERCASE_CODE = FIXTURES / "StateShape-bad-lowercase-code.ttl"
PS = iris.ONTOLOGY_NS
EX = "http://example.org/pax-silica-test/"
MALFORMED_TURTLE = (
    "@prefix ps: <https://w3id.org/pax-silica/ontology#> .\n"
    "<http://example.org/a> a ps:State .\n"
    '<http://example.org/a> ps:isoAlpha2 "AA ;\n'
)


def need_java() -> None:
    require_tool("java", "HermiT, the OWL reasoner, runs on Java")


@pytest.fixture(scope="session")
def bundled_result() -> validation.ValidationResult:
    need_java()
    return validation.validate()


@pytest.fixture(scope="session")
def inconsistent_result() -> validation.ValidationResult:
    need_java()
    return validation.validate([INCONSISTENT])


@pytest.fixture(scope="session")
def ontology_and_instances() -> Graph:
    graph = Graph()
    for path in [*paths.ontology_files(), *bundle.instance_files()]:
        graph.parse(path)
    return graph


def asserted_types(graph: Graph, individual: str) -> set[str]:
    """The classes the data asserts for an individual, with their superclasses."""
    asserted = set()
    for cls in graph.objects(URIRef(individual), RDF.type):
        asserted.update(str(c) for c in graph.transitive_objects(cls, RDFS.subClassOf))
    return asserted


# --- HermiT ---------------------------------------------------------------------------------


@pytest.mark.reasoner
def test_bundled_data_is_consistent_and_conforms(bundled_result: validation.ValidationResult):
    reasoner = bundled_result.reasoner
    assert reasoner is not None
    assert reasoner.consistent
    assert reasoner.unsatisfiable_classes == []
    assert bundled_result.violations == []
    assert bundled_result.conforms


@pytest.mark.reasoner
@pytest.mark.parametrize(
    ("kind", "key", "inferred_class"),
    [
        ("state", "US", "FoundingSignatoryState"),
        ("state", "US", "SignatoryState"),
        ("state", "QA", "SignatoryState"),
        ("membership", "QA-2026-01-12", "SignatoryMembership"),
        ("claim", "seed-summit-date", "ContestedClaim"),
        # Greece, a signatory by February 2026, contradicts the reported June "new signer".
        ("claim", "second-summit-2026-06", "ContestedClaim"),
        ("supply-link", "leading-edge-logic-TW-capacity-2019", "DominantSupplyLink"),
    ],
)
def test_reasoner_infers_memberships_the_data_does_not_assert(
    bundled_result: validation.ValidationResult,
    ontology_and_instances: Graph,
    kind: str,
    key: str,
    inferred_class: str,
):
    individual = iris.entity_iri(kind, key)
    assert (URIRef(individual), None, None) in ontology_and_instances
    assert PS + inferred_class not in asserted_types(ontology_and_instances, individual)
    assert bundled_result.reasoner is not None
    assert PS + inferred_class in bundled_result.reasoner.inferred_types.get(individual, set())


@pytest.mark.reasoner
@pytest.mark.parametrize(
    ("kind", "key", "not_inferred"),
    [
        # Qatar signed after the inaugural summit: a signatory, not a founding one.
        ("state", "QA", "FoundingSignatoryState"),
        # The Netherlands took part in the summit without signing.
        ("state", "NL", "SignatoryState"),
        # Nobody contradicts the reported helium output: low confidence, but not contested.
        ("claim", "helium-2023", "ContestedClaim"),
        # 8 % of leading-edge logic capacity is no single point of failure.
        ("supply-link", "leading-edge-logic-KR-capacity-2019", "DominantSupplyLink"),
    ],
)
def test_reasoner_does_not_infer_what_does_not_follow(
    bundled_result: validation.ValidationResult, kind: str, key: str, not_inferred: str
):
    assert bundled_result.reasoner is not None
    inferred = bundled_result.reasoner.inferred_types.get(iris.entity_iri(kind, key), set())
    assert PS + not_inferred not in inferred


@pytest.mark.reasoner
def test_individual_in_two_disjoint_classes_is_inconsistent(
    inconsistent_result: validation.ValidationResult,
):
    assert inconsistent_result.reasoner is not None
    assert not inconsistent_result.reasoner.consistent
    assert not inconsistent_result.conforms
    reasoner_violations = [
        v for v in inconsistent_result.violations if v.shape == validation.REASONER_SHAPE
    ]
    assert {v.focus_node for v in reasoner_violations} == {EX + "chimera"}
    assert any("ps:Company" in v.message and "ps:State" in v.message for v in reasoner_violations)


@pytest.mark.reasoner
def test_class_under_two_disjoint_classes_is_unsatisfiable():
    need_java()
    result = validation.validate([UNSATISFIABLE])
    assert result.reasoner is not None
    assert result.reasoner.consistent
    assert result.reasoner.unsatisfiable_classes == [EX + "StateOwnedCompany"]
    assert [(v.focus_node, v.shape) for v in result.violations] == [
        (EX + "StateOwnedCompany", validation.REASONER_SHAPE)
    ]
    assert not result.conforms


def test_missing_java_gives_a_clear_error(monkeypatch, tmp_path: Path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no java on the PATH
    with pytest.raises(validation.ReasonerUnavailable) as raised:
        validation.validate([BASE])
    assert str(raised.value) == validation.JAVA_MISSING
    assert "default-jre-headless" in str(raised.value)
    assert "--no-reasoner" in str(raised.value)

    assert cli.main(["validate", str(BASE)]) == cli.EXIT_BAD_INPUT
    assert "Java is required for the HermiT reasoner" in capsys.readouterr().err
    # Without the reasoner, Java is not needed.
    assert cli.main(["validate", "--no-reasoner", str(BASE)]) == cli.EXIT_OK


# --- Reading the data -----------------------------------------------------------------------


def test_malformed_turtle_names_file_and_line(tmp_path: Path):
    bad = tmp_path / "broken.ttl"
    bad.write_text(MALFORMED_TURTLE, encoding="utf-8")
    with pytest.raises(DataLoadError) as raised:
        validation.validate([BASE, bad], reasoner=False)
    assert raised.value.path == str(bad)
    assert raised.value.line == 3
    assert str(raised.value).startswith(f"{bad}:3")


def test_missing_file_is_named(tmp_path: Path):
    missing = tmp_path / "absent.ttl"
    with pytest.raises(DataLoadError) as raised:
        validation.validate([missing], reasoner=False)
    assert raised.value.path == str(missing)


def test_files_are_the_instance_data_in_place_of_the_bundled_instances():
    result = validation.validate([LOWERCASE_CODE], reasoner=False)
    assert result.instance_files == [str(LOWERCASE_CODE)]
    focus_nodes = {v.focus_node for v in result.violations}
    assert EX + "state-CC" in focus_nodes
    # The bundled instances were not validated alongside.
    assert not any(node.startswith(iris.ENTITY_BASE) for node in focus_nodes)


# --- The report -----------------------------------------------------------------------------


def test_report_shows_each_violation_and_a_summary():
    result = validation.validate([BASE, LOWERCASE_CODE], reasoner=False)
    (violation,) = result.violations
    assert violation.focus_node == EX + "state-CC"
    assert violation.path == "ps:isoAlpha2"
    assert violation.value == '"cc"'
    assert violation.shape == iris.SHAPES_NS + "State-isoAlpha2"
    assert violation.node_shape == iris.SHAPES_NS + "StateShape"
    assert violation.component == "http://www.w3.org/ns/shacl#PatternConstraintComponent"

    report = validation.format_report(result)
    assert f"focus node: <{EX}state-CC>" in report
    assert "path:       ps:isoAlpha2" in report
    assert 'value:      "cc"' in report
    assert violation.message in report
    assert "shape:      psh:State-isoAlpha2 (in psh:StateShape)" in report
    assert "SHACL: 1 violation(s) on 1 focus node(s)" in report
    assert "Reasoner: skipped" in report
    assert report.rstrip().endswith("Result: does NOT conform")


@pytest.mark.reasoner
def test_report_gives_the_reasoner_outcome(
    bundled_result: validation.ValidationResult, inconsistent_result: validation.ValidationResult
):
    report = validation.format_report(bundled_result)
    assert "SHACL: the data conforms to the shapes" in report
    assert "Reasoner (HermiT" in report
    assert "consistent, no unsatisfiable class" in report
    assert report.rstrip().endswith("Result: conforms")
    assert "INCONSISTENT" in validation.format_report(inconsistent_result)


# --- The command line -----------------------------------------------------------------------


def test_cli_exit_0_when_the_data_conforms(capsys):
    assert cli.main(["validate", "--no-reasoner"]) == cli.EXIT_OK
    assert "Result: conforms" in capsys.readouterr().out


def test_cli_exit_1_on_violations(capsys):
    assert cli.main(["validate", "--no-reasoner", str(BASE), str(LOWERCASE_CODE)]) == (
        cli.EXIT_VIOLATIONS
    )
    out = capsys.readouterr().out
    assert "psh:State-isoAlpha2" in out
    assert "Result: does NOT conform" in out


@pytest.mark.reasoner
def test_cli_exit_1_when_only_the_reasoner_objects(capsys):
    need_java()
    assert cli.main(["validate", str(UNSATISFIABLE)]) == cli.EXIT_VIOLATIONS
    assert "unsatisfiable" in capsys.readouterr().out


def test_cli_exit_2_on_malformed_turtle(tmp_path: Path, capsys):
    bad = tmp_path / "broken.ttl"
    bad.write_text(MALFORMED_TURTLE, encoding="utf-8")
    assert cli.main(["validate", "--no-reasoner", str(bad)]) == cli.EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert f"{bad}:3" in captured.err
    assert "broken.ttl" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_cli_exit_2_on_unknown_file_type(tmp_path: Path, capsys):
    odd = tmp_path / "data.csv"
    odd.write_text("a,b\n", encoding="utf-8")
    assert cli.main(["validate", "--no-reasoner", str(odd)]) == cli.EXIT_BAD_INPUT
    assert "data.csv" in capsys.readouterr().err


@pytest.mark.reasoner
def test_console_script_validates_the_bundled_data():
    need_java()
    script = Path(sys.executable).with_name("paxsilica")
    assert script.exists(), "the paxsilica console script is not installed next to python"
    done = subprocess.run(
        [str(script), "validate"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Reasoner (HermiT" in done.stdout
    assert "Result: conforms" in done.stdout


def test_console_script_exit_2_on_malformed_turtle(tmp_path: Path):
    script = Path(sys.executable).with_name("paxsilica")
    bad = tmp_path / "broken.ttl"
    bad.write_text(MALFORMED_TURTLE, encoding="utf-8")
    done = subprocess.run(
        [str(script), "validate", "--no-reasoner", str(bad)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert f"{bad}:3" in done.stderr
    assert "Traceback" not in done.stderr
