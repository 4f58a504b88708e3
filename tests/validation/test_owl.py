"""Tests of the ontology as OWL: its profile, what reasoners infer from it, how it documents.

The ontology must be OWL 2 DL as the OWL API checks it; the RDF/XML dump must load and reason in
owlready2 and HermiT as a Protégé user would, with no leave to ignore datatypes; merged with the
W3C vocabularies it aligns with (PROV-O, ORG, OWL-Time, SKOS, kept in tests/vocabularies) and
with real Wikidata statements about its states, it must stay consistent and infer nothing false;
and the documentation tools must build its documentation. Each external tool runs once per
session; the tests skip without Java outside CI and fail under CI=true.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

import owlready2
import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF

from conftest import IN_CI, require_tool
from paxsilica import bundle, iris, paths
from paxsilica.config import load_settings
from paxsilica.publish import dumps, publication
from paxsilica.validation import hermit

HERE = Path(__file__).parent.parent
PROFILE_CHECK = HERE / "owl" / "ProfileCheck.java"
VOCABULARIES = HERE / "vocabularies"
PROBES = HERE / "fixtures" / "owl" / "probes.ttl"
COUNTRIES = bundle.COUNTRIES.path
JAVA_LIBRARIES = Path("/usr/share/java")
# The OWL API as Debian's libowlapi-java installs it, with the libraries it depends on.
OWLAPI_JARS = (
    "owlapi-distribution",
    "guava",
    "caffeine",
    "commons-io",
    "commons-codec",
    "commons-logging",
    "commons-rdf-api",
    "slf4j-api",
    "slf4j-nop",
    "jsr305",
    "hppcrt",
    "jackson-core",
    "jackson-databind",
    "jackson-annotations",
    "xz",
    "atinject-jsr330-api",
    "httpclient",
    "httpcore",
)
PS = iris.ONTOLOGY_NS
PREFIXES = f"""
PREFIX ps: <{PS}>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wd: <http://www.wikidata.org/entity/>
"""
SHAPES_GRAPH = ox.NamedNode(iris.GRAPH_SHAPES)
RDF_TYPE = ox.NamedNode(str(RDF.type))
# A data property with an xsd:date range: what the ontology had before dates became annotations.
DATE_RANGE_ONTOLOGY = f"""
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://example.org/dated> a owl:Ontology .
<{PS}date> a owl:DatatypeProperty ; rdfs:range xsd:date .
<http://example.org/event> <{PS}date> "2025-12-12"^^xsd:date .
"""


def need_java() -> None:
    require_tool("java", "the OWL API and HermiT run on Java")


def owlapi_classpath() -> str:
    """The class path of Debian's OWL API; skip outside CI when it is missing, fail in CI."""
    need_java()
    require_tool("javac", "java runs the profile check from its source only with a JDK")
    jars = [JAVA_LIBRARIES / f"{name}.jar" for name in OWLAPI_JARS]
    jars += sorted(JAVA_LIBRARIES.glob("rdf4j-*[a-z].jar"))
    missing = [jar.name for jar in jars if not jar.exists()]
    if missing or len(jars) == len(OWLAPI_JARS):
        message = f"the OWL API is not installed ({', '.join(missing) or 'rdf4j'}); .ci/run does"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return ":".join(str(jar) for jar in jars)


def data_triples(store: ox.Store) -> list[ox.Triple]:
    """Every triple of the bundled store's graphs but the SHACL shapes, which are not OWL."""
    return [q.triple for q in store if q.graph_name != SHAPES_GRAPH]


# --- the OWL API's OWL 2 DL profile check --------------------------------------------------


@pytest.fixture(scope="session")
def profile_violations(
    tmp_path_factory: pytest.TempPathFactory, bundled_store: ox.Store
) -> dict[str, list[str]]:
    """The OWL 2 DL violations the OWL API reports, by file: the ontology, all data, a plant."""
    classpath = owlapi_classpath()
    workdir = tmp_path_factory.mktemp("owl-profile")
    files = {
        "ontology": paths.ontology_files()[0],
        "all data": workdir / "all-data.nt",
        "date range": workdir / "date-range.ttl",
    }
    files["all data"].write_bytes(
        ox.serialize(data_triples(bundled_store), format=ox.RdfFormat.N_TRIPLES)
    )
    files["date range"].write_text(DATE_RANGE_ONTOLOGY, encoding="utf-8")
    done = subprocess.run(
        ["java", "-cp", classpath, str(PROFILE_CHECK), *map(str, files.values())],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    reports: dict[str, list[str]] = {str(path): [] for path in files.values()}
    checked = set()
    for line in done.stdout.splitlines():
        # Continuation lines of a multi-line violation do not start with a file name.
        path, kind, text = [*line.split("\t", 2), "", ""][:3]
        if kind == "checked":
            checked.add(path)
        elif path in reports:
            reports[path].append(f"{kind}: {text[:300]}")
    assert checked == set(reports), done.stdout[-2000:] + done.stderr[-2000:]
    return {name: reports[str(path)] for name, path in files.items()}


@pytest.mark.reasoner
def test_ontology_is_owl2_dl(profile_violations: dict[str, list[str]]):
    assert profile_violations["ontology"] == []


@pytest.mark.reasoner
def test_ontology_with_all_its_data_is_owl2_dl(profile_violations: dict[str, list[str]]):
    assert profile_violations["all data"] == []


@pytest.mark.reasoner
def test_profile_check_reports_a_date_range(profile_violations: dict[str, list[str]]):
    assert any(v.startswith("UseOfUndeclaredDatatype") for v in profile_violations["date range"])


# --- owlready2 and HermiT on the RDF/XML dump, as a Protégé user runs them -----------------


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dumps ``paxsilica export`` writes."""
    directory = tmp_path_factory.mktemp("owl-export")
    publication.export(load_settings(environ={}), directory)
    return directory


def reason_in_owlready2(rdfxml: Path) -> owlready2.World:
    """Load an RDF/XML file in a fresh owlready2 world and run HermiT on it, as Protégé does."""
    world = owlready2.World()
    ontology = world.get_ontology(rdfxml.as_uri()).load()
    with ontology:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return world


@pytest.mark.reasoner
def test_rdfxml_dump_reasons_in_owlready2_without_workarounds(exported: Path):
    need_java()
    world = reason_in_owlready2(exported / f"{dumps.DUMP_STEM}.rdf")
    assert list(world.inconsistent_classes()) == []
    united_states = world[iris.entity_iri("state", "US")]
    assert world[PS + "FoundingSignatoryState"] in united_states.is_a


@pytest.mark.reasoner
def test_owlready2_refuses_what_the_ontology_no_longer_does(tmp_path: Path):
    need_java()
    rdfxml = tmp_path / "date-range.rdf"
    graph = Graph().parse(data=DATE_RANGE_ONTOLOGY, format="turtle")
    rdfxml.write_text(graph.serialize(format="xml"), encoding="utf-8")
    with pytest.raises(owlready2.OwlReadyJavaError, match="datatype"):
        reason_in_owlready2(rdfxml)


# --- the model merged with the vocabularies it aligns with and with Wikidata ---------------
#
# What must not be inferred is checked by asserting its opposite: each individual the pattern
# selects is put in the complement of each class it must not belong to. HermiT finds the whole
# consistent only if none of those memberships follows, which one satisfiability test checks
# (classifying every individual of the merge instead takes HermiT many minutes). Every state
# and company is also declared different from every other, so that nothing (a second home
# state, two suppliers of one share) may make two of them one.

# Who must not be inferred what: the pattern selecting them, and the classes they are not in.
MUST_NOT_INFER = {
    "a company as a state or party": (
        "?x a ps:Company",
        {"ps:State", "ps:Party", "ps:InternationalOrganization", "schema:Country"},
    ),
    "a state as a company or group": (
        "?x a ps:State",
        {"ps:Company", "schema:Corporation", "ps:ProviderGroup"},
    ),
    "a provider group as a state, party or company": (
        "?x a ps:ProviderGroup",
        {"ps:State", "ps:Party", "ps:Company"},
    ),
    "a technology as an agent or provider": (
        "?x a ps:Technology",
        {"prov:Agent", "foaf:Agent", "ps:Provider", "ps:Party", "org:Organization"},
    ),
    "a concept of any scheme as an agent or activity": (
        "?x skos:inScheme ?scheme",
        {"prov:Agent", "foaf:Agent", "ps:Provider", "prov:Activity"},
    ),
    "a participation as a membership": (
        "?x a ps:Participation",
        {"org:Membership", "ps:Membership", "ps:SignatoryMembership"},
    ),
    "a party that only took part as a signatory": (
        "?p ps:party ?x . FILTER NOT EXISTS { ?m a ps:Membership ; org:member ?x }",
        {"ps:SignatoryState", "ps:SignatoryParty", "ps:FoundingSignatoryState"},
    ),
    "a later signatory as a founding one": (
        "?m a ps:Membership ; org:member ?x ."
        " FILTER NOT EXISTS { ?f org:role ps:FoundingSignatory ; org:member ?x }",
        {"ps:FoundingSignatoryState"},
    ),
    "an event as an entity or agent": ("?x a ps:Event", {"prov:Entity", "prov:Agent"}),
    "a source as an activity or agent": ("?x a ps:Source", {"prov:Activity", "prov:Agent"}),
    "a supply link as a provider, agent or activity": (
        "?x a ps:SupplyLink",
        {"ps:Provider", "prov:Agent", "prov:Activity"},
    ),
    "a status assessment as the measure it assesses": (
        "?x a ps:StatusAssessment",
        {"ps:TradeMeasure", "ps:ExportControl", "ps:Suspension"},
    ),
    "a person as an organisation": ("?x a ps:Person", {"org:Organization", "ps:Party"}),
    "an outside place as a state because of its ISO code": (
        "VALUES ?x { wd:Q33 }",
        {"ps:State", "ps:Party", "ps:Provider"},
    ),
}
NAMESPACES = {
    "ps": PS,
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
}
NOT = "http://example.org/pax-silica-probe/not-"
WIKIDATA_US = "http://www.wikidata.org/entity/Q30"


def expand(curie: str) -> str:
    prefix, local = curie.split(":")
    return NAMESPACES[prefix] + local


def vocabulary_triples() -> list[ox.Triple]:
    """PROV-O, ORG, OWL-Time, SKOS and the Wikidata sample, as published."""
    triples: list[ox.Triple] = []
    for path in sorted(VOCABULARIES.iterdir()):
        if path.suffix == ".ttl":
            triples += ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        elif path.suffix == ".nq":
            triples += (q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    return triples


def select(store: ox.Store, where: str) -> set[str]:
    """The IRIs ``?x`` takes in the pattern."""
    answers = store.query(f"{PREFIXES} SELECT DISTINCT ?x WHERE {{ {where} }}")
    return {row["x"].value for row in answers if isinstance(row["x"], ox.NamedNode)}


def all_different(individuals: Iterable[str]) -> list[ox.Triple]:
    """An owl:AllDifferent over the individuals, so that merging any two is inconsistent."""
    graph = Graph()
    axiom, members = BNode(), BNode()
    graph.add((axiom, RDF.type, OWL.AllDifferent))
    graph.add((axiom, OWL.distinctMembers, members))
    Collection(graph, members, [URIRef(i) for i in sorted(individuals)])
    return list(ox.parse(graph.serialize(format="nt"), format=ox.RdfFormat.N_TRIPLES))


def complement(curie: str) -> ox.NamedNode:
    """The probe class that is the complement of the class."""
    return ox.NamedNode(NOT + curie.replace(":", "-"))


def must_not_guards(store: ox.Store) -> list[ox.Triple]:
    """Each selected individual put in the complement of each class it must not be in."""
    forbidden = {c for _, classes in MUST_NOT_INFER.values() for c in classes}
    guards = [
        ox.Triple(complement(c), ox.NamedNode(str(OWL.complementOf)), ox.NamedNode(expand(c)))
        for c in sorted(forbidden)
    ]
    for where, classes in MUST_NOT_INFER.values():
        for individual in sorted(select(store, where)):
            guards += [
                ox.Triple(ox.NamedNode(individual), RDF_TYPE, complement(c))
                for c in sorted(classes)
            ]
    return guards


def merge(triples: Iterable[ox.Triple]) -> ox.Store:
    """The triples with the vocabularies, the probes, the declared differences and the guards."""
    store = ox.Store()
    store.extend(ox.Quad(*t) for t in [*triples, *vocabulary_triples()])
    store.extend(ox.Quad(*t) for t in ox.parse(path=str(PROBES), format=ox.RdfFormat.TURTLE))
    different = all_different(select(store, "{ ?x a ps:State } UNION { ?x a ps:Company }"))
    guards = must_not_guards(store)
    store.extend(ox.Quad(*t) for t in [*different, *guards])
    return store


def consistent(store: ox.Store, *extra: ox.Triple) -> bool:
    need_java()
    # OWL-Time's own ranges (xsd:date, xsd:gYear, ...) are outside the OWL 2 datatype map.
    triples = [*(q.triple for q in store), *extra]
    return hermit.is_consistent(triples, ignore_unsupported_datatypes=True)


@pytest.fixture(scope="session")
def merged(bundled_store: ox.Store) -> ox.Store:
    """The ontology and all the data merged (see ``merge``)."""
    return merge(data_triples(bundled_store))


@pytest.fixture(scope="session")
def small_merge() -> ox.Store:
    """The ontology, the hand-written data and the states merged (see ``merge``): quick."""
    files = [*paths.ontology_files(), *paths.instance_files(), COUNTRIES]
    return merge(t for f in files for t in ox.parse(path=str(f), format=ox.RdfFormat.TURTLE))


@pytest.mark.parametrize("case", sorted(MUST_NOT_INFER))
def test_every_must_not_case_selects_someone(case: str, merged: ox.Store):
    assert select(merged, MUST_NOT_INFER[case][0])


@pytest.mark.reasoner
def test_model_merged_with_vocabularies_and_wikidata_infers_nothing_forbidden(
    merged: ox.Store,
):
    assert len(select(merged, "?x a ps:State")) > 50
    assert consistent(merged)


def triple(subject: str, predicate: str, obj: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(obj))


# Plants that must make the small merge inconsistent: the model's old faults, which the guards
# and declared differences catch, and the denial of what the merge must infer.
PLANTS = {
    "ps:homeState functional again (Rio Tinto's two home states merge)": triple(
        PS + "homeState", str(RDF.type), str(OWL.FunctionalProperty)
    ),
    "ps:isoAlpha2 equivalent to wdt:P297 again (Finland becomes a state)": triple(
        PS + "isoAlpha2",
        str(OWL.equivalentProperty),
        "http://www.wikidata.org/prop/direct/P297",
    ),
    "wd:Q30, the same as state:US, denied the founding signatories": ox.Triple(
        ox.NamedNode(WIKIDATA_US), RDF_TYPE, complement("ps:FoundingSignatoryState")
    ),
}


@pytest.mark.reasoner
def test_small_merge_is_consistent(small_merge: ox.Store):
    assert consistent(small_merge)


@pytest.mark.reasoner
@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_plant_makes_the_small_merge_inconsistent(plant: str, small_merge: ox.Store):
    assert not consistent(small_merge, PLANTS[plant])


# --- documentation tools -------------------------------------------------------------------


def ontology_graph() -> Graph:
    graph = Graph()
    for path in paths.ontology_files():
        graph.parse(path)
    return graph


# pyLODE opens its style sheet and never closes it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_pylode_documents_every_term_of_the_ontology():
    from pylode import OntPub

    html = OntPub(ontology=str(paths.ontology_files()[0])).make_html()
    documented = set(re.findall(r"<code>(https://w3id\.org/pax-silica/ontology#\w+)</code>", html))
    graph = ontology_graph()
    terms = {
        str(s)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for s in graph.subjects(RDF.type, kind)
        if str(s).startswith(PS)
    }
    assert len(terms) > 100
    assert sorted(terms - documented) == []


def test_no_boolean_class_expression_is_nested_in_another():
    # pyLODE 3.3 crashed on an owl:unionOf inside an owl:intersectionOf; the defined classes
    # name such inner classes instead (ps:SignatoryRole, ps:FirmShareQualifier).
    graph = ontology_graph()
    boolean = (OWL.unionOf, OWL.intersectionOf, OWL.complementOf, OWL.oneOf)
    nested = []
    for outer in (OWL.unionOf, OWL.intersectionOf):
        for expression, members in graph.subject_objects(outer):
            for member in Collection(graph, members):
                if isinstance(member, BNode) and any((member, p, None) in graph for p in boolean):
                    nested.append(str(expression))
    assert nested == []
