"""Tests of the SHACL shapes, through pySHACL without the reasoner.

Every fixture in tests/fixtures/shapes/ is validated together with base.ttl, a small world that
conforms to every shape. A ``<Shape>-ok*.ttl`` fixture must conform; a ``<Shape>-bad-*.ttl``
fixture must produce exactly the violations its ``# expect: RULE FOCUS [PATH]`` lines list,
where RULE is the property shape or SPARQL constraint that fires (prefixed names use the
fixture's own prefixes, and PATH is written as the report writes it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from paxsilica import bundle, iris, paths
from paxsilica.validation import validate
from sparql_results import TESTS_DIR

FIXTURES = TESTS_DIR / "fixtures" / "shapes"
BASE = FIXTURES / "base.ttl"
OK_FIXTURES = sorted(FIXTURES.glob("*Shape-ok*.ttl"))
BAD_FIXTURES = sorted(FIXTURES.glob("*Shape-bad-*.ttl"))
EXPECT_LINE = re.compile(r"^# expect: (\S+) (\S+)(?: (\S+))?$")
PS = iris.ONTOLOGY_NS


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = Graph()
    for path in paths.shape_files():
        graph.parse(path)
    return graph


def node_shape_named_by(fixture: Path) -> str:
    return iris.SHAPES_NS + fixture.name.split("-", 1)[0]


def expected_violations(fixture: Path) -> set[tuple[str, str, str | None]]:
    """Read the fixture's ``# expect:`` lines as (rule IRI, focus node IRI, path) triples."""
    namespaces = Graph().parse(fixture).namespace_manager
    expected = set()
    for line in fixture.read_text(encoding="utf-8").splitlines():
        match = EXPECT_LINE.match(line)
        if match:
            rule, focus, path = match.groups()
            expected.add(
                (str(namespaces.expand_curie(rule)), str(namespaces.expand_curie(focus)), path)
            )
    return expected


def targeted_node_shapes(shapes: Graph) -> set[URIRef]:
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    return {
        shape
        for shape in shapes.subjects(RDF.type, SH.NodeShape)
        if any((shape, target, None) in shapes for target in targets)
    }


def rules(shapes: Graph) -> set[URIRef]:
    """The property shapes and SPARQL constraints: what a violation names as its source."""
    return set(shapes.subjects(RDF.type, SH.PropertyShape)) | set(
        shapes.subjects(RDF.type, SH.SPARQLConstraint)
    )


def english_message(shapes: Graph, rule: str) -> str:
    (message,) = [
        m for m in shapes.objects(URIRef(rule), SH.message) if getattr(m, "language", None) == "en"
    ]
    return str(message)


def test_base_world_conforms():
    result = validate([BASE], reasoner=False)
    assert result.violations == []
    assert result.conforms


@pytest.mark.parametrize("fixture", OK_FIXTURES, ids=lambda p: p.stem)
def test_conforming_fixture_conforms(fixture: Path):
    result = validate([BASE, fixture], reasoner=False)
    assert result.violations == []
    assert result.conforms


@pytest.mark.parametrize("fixture", BAD_FIXTURES, ids=lambda p: p.stem)
def test_violating_fixture_fires_exactly_the_expected_rules(fixture: Path, shapes: Graph):
    expected = expected_violations(fixture)
    assert expected, f"{fixture.name} has no '# expect:' line"

    result = validate([BASE, fixture], reasoner=False)

    assert not result.conforms
    fired = {(v.constraint or v.shape, v.focus_node, v.path) for v in result.violations}
    assert fired == expected
    assert {v.node_shape for v in result.violations} == {node_shape_named_by(fixture)}
    for violation in result.violations:
        assert violation.severity == "Violation"
        template = english_message(shapes, violation.constraint or violation.shape)
        # A SPARQL constraint's message has its {?value} filled in with the offending value.
        pattern = re.escape(template).replace(re.escape("{?value}"), ".+")
        assert re.fullmatch(pattern, violation.message), violation.message
        assert "{?" not in violation.message


def test_every_targeted_shape_has_conforming_and_violating_fixtures(shapes: Graph):
    node_shapes = targeted_node_shapes(shapes)
    assert len(node_shapes) >= 20
    for shape in node_shapes:
        name = str(shape).removeprefix(iris.SHAPES_NS)
        assert list(FIXTURES.glob(f"{name}-ok*.ttl")), f"no conforming fixture for {name}"
        assert list(FIXTURES.glob(f"{name}-bad-*.ttl")), f"no violating fixture for {name}"
    for fixture in [*OK_FIXTURES, *BAD_FIXTURES]:
        assert URIRef(node_shape_named_by(fixture)) in node_shapes, fixture.name


def test_every_rule_fires_in_some_violating_fixture(shapes: Graph):
    expected_rules = {rule for f in BAD_FIXTURES for rule, _, _ in expected_violations(f)}
    never_fired = {str(rule) for rule in rules(shapes)} - expected_rules
    assert never_fired == set()


def test_every_shape_and_rule_is_named_and_explained_in_english_and_french(shapes: Graph):
    for shape in targeted_node_shapes(shapes) | rules(shapes):
        assert isinstance(shape, URIRef), shape
        assert str(shape).startswith(iris.SHAPES_NS), shape
        for predicate in (RDFS.label, *([SH.message] if shape in rules(shapes) else [])):
            languages = {
                m.language for m in shapes.objects(shape, predicate) if isinstance(m, Literal)
            }
            assert {"en", "fr"} <= languages, (shape, predicate)


def test_every_property_shape_of_a_node_shape_is_named(shapes: Graph):
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        for property_shape in shapes.objects(node_shape, SH.property):
            assert isinstance(property_shape, URIRef), node_shape
        for constraint in shapes.objects(node_shape, SH.sparql):
            assert isinstance(constraint, URIRef), node_shape


@pytest.mark.parametrize(
    ("share", "in_range"),
    [("0.0", True), ("100.0", True), ("35.5", True), ("100.01", False), ("-0.01", False)],
)
def test_share_percent_is_a_percentage_between_0_and_100_inclusive(
    tmp_path: Path, share: str, in_range: bool
):
    data = tmp_path / "share.ttl"
    data.write_text(
        "@prefix ps: <https://w3id.org/pax-silica/ontology#> .\n"
        "@prefix ex: <http://example.org/pax-silica-test/> .\n"
        f"ex:link-chips-company a ps:SupplyLink ;\n"
        '    <http://www.w3.org/2000/01/rdf-schema#label> "Share"@en , "Part"@fr ;\n'
        "    ps:supplier ex:company ; ps:technology ex:chips ; ps:supplyStage ps:MarketShare ;\n"
        f"    ps:sharePercent {share} ; ps:shareBasis ps:StatedShare ;\n"
        "    ps:shareQualifier ps:Exactly ;\n"
        "    ps:source ex:source ; ps:confidence ps:HighConfidence .\n",
        encoding="utf-8",
    )
    result = validate([BASE, data], reasoner=False)
    range_violations = [
        v for v in result.violations if v.shape == iris.SHAPES_NS + "SupplyLink-sharePercent"
    ]
    assert (range_violations == []) is in_range
    assert result.conforms is in_range


def test_every_class_of_a_named_entity_is_the_target_of_a_node_shape(shapes: Graph):
    # Blank nodes (the time:Interval and time:Instant of a membership) are checked through
    # the paths of the shape of the entity that holds them, not as entities of their own.
    ontology = Graph()
    for path in paths.ontology_files():
        ontology.parse(path)
    instances = Graph()
    for path in bundle.instance_files():
        instances.parse(path)
    targeted = set(shapes.objects(None, SH.targetClass))
    used = {
        cls for entity, cls in instances.subject_objects(RDF.type) if isinstance(entity, URIRef)
    }
    assert URIRef(PS + "State") in used
    for cls in used:
        superclasses = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert superclasses & targeted, f"no node shape targets {cls} or a superclass of it"


def test_bundled_instances_conform_to_the_shapes():
    assert paths.instance_files(), "the bundled instances are missing"
    result = validate(reasoner=False)
    assert [v.message for v in result.violations] == []
    assert result.conforms
    assert result.reasoner is None
