"""Validation of instance data: pySHACL against the bundled shapes, then HermiT through owlready2.

The SHACL run validates the instances with the ontology's triples added to the data graph,
without any inference. SHACL itself follows ``rdfs:subClassOf`` for targets and ``sh:class``,
which is all the shapes need. RDFS entailment would do harm: it would type every value of a
property with an ``rdfs:range`` as a member of that range, so that an ``sh:class`` check could
never fail (a company given as ``ps:homeState`` would be inferred a ``ps:State``). The ontology
is merged here rather than passed as pySHACL's ``ont_graph``: pySHACL then copies it node by
node, which takes some ten seconds for this ontology against a fraction of a second for a
plain union of triples, with the same result.

The HermiT run loads the ontology and the instances into a fresh owlready2 world and checks
that they are consistent, that no class is unsatisfiable, and collects the class memberships
the reasoner infers beyond what the data asserts.
"""

from __future__ import annotations

import functools
import re
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, NamespaceManager
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from paxsilica import hermit, iris, paths
from paxsilica.importers.build import generated_files
from paxsilica.store import DataLoadError, rdf_format_for

JAVA_MISSING = (
    "Java is required for the HermiT reasoner: install a JRE "
    "(Debian: default-jre-headless) or pass --no-reasoner"
)
REASONER_SHAPE = "HermiT reasoner"


class ReasonerUnavailable(Exception):
    """The HermiT reasoner cannot run here, most often because Java is missing."""


@dataclass(frozen=True)
class Violation:
    """One way in which the data breaks a shape or the ontology.

    ``focus_node``, ``shape``, ``node_shape``, ``constraint`` and ``component`` are full IRIs
    (a blank node is written ``_:id``); ``path`` and ``value`` are written for people, in
    SPARQL property-path and Turtle syntax with the project's prefixes. ``shape`` is the
    property shape, or the node shape for a node-level or SPARQL constraint, whose rule
    ``constraint`` then names. The reasoner's findings have ``REASONER_SHAPE`` as their shape,
    and an empty focus node when they concern the whole graph.
    """

    focus_node: str
    path: str | None
    value: str | None
    message: str
    shape: str
    severity: str
    component: str
    node_shape: str | None = None
    constraint: str | None = None


@dataclass
class ReasonerResult:
    """What HermiT found: consistency, unsatisfiable classes and inferred memberships."""

    consistent: bool
    unsatisfiable_classes: list[str] = field(default_factory=list)
    # Individual IRI -> IRIs of the named classes it belongs to by inference only, that is
    # neither asserted nor superclasses of an asserted class.
    inferred_types: dict[str, set[str]] = field(default_factory=dict)
    seconds: float = 0.0
    # What owlready2 printed while loading the data, such as its remarks on property types.
    notes: list[str] = field(default_factory=list)


@dataclass
class ValidationResult:
    """The outcome of validating instance data with SHACL and, optionally, HermiT."""

    conforms: bool
    violations: list[Violation]
    reasoner: ReasonerResult | None
    instance_files: list[str] = field(default_factory=list)


def validate(
    instance_files: Sequence[Path | str] | None = None, *, reasoner: bool = True
) -> ValidationResult:
    """Validate instance files (the bundled instances when none are given).

    Raises DataLoadError when a file cannot be read or parsed, and ReasonerUnavailable when
    the reasoner is asked for but cannot run.
    """
    files = [Path(f) for f in instance_files] if instance_files else bundled_instance_files()
    if reasoner:
        _require_java()
    instances = read_triples(files)
    ontology = read_triples(paths.ontology_files())
    shapes = read_triples(paths.shape_files())

    violations = shacl_violations(_to_rdflib([*instances, *ontology]), _to_rdflib(shapes))
    reasoner_result = None
    if reasoner:
        reasoner_result = run_reasoner(ontology, instances)
        violations.extend(_reasoner_violations(reasoner_result, ontology, instances))
    return ValidationResult(
        conforms=not violations,
        violations=violations,
        reasoner=reasoner_result,
        instance_files=[str(f) for f in files],
    )


def bundled_instance_files() -> list[Path]:
    """The bundled instance data: the hand-written files and the generated ones."""
    return [*paths.instance_files(), *(path for path, _ in generated_files())]


def read_triples(files: Iterable[Path]) -> list[ox.Triple]:
    """Parse RDF files into one list of triples, or raise DataLoadError naming file and line."""
    triples: list[ox.Triple] = []
    for path in files:
        rdf_format = rdf_format_for(path)
        try:
            for quad in ox.parse(
                path=path,
                format=rdf_format,
                base_iri=path.resolve().as_uri(),
                rename_blank_nodes=True,
            ):
                triples.append(quad.triple)
        except SyntaxError as error:
            raise DataLoadError(path, error.msg or str(error), error.lineno, error.offset) from None
        except OSError as error:
            raise DataLoadError(path, error.strerror or str(error)) from None
    return triples


class _PreparedQueryGraph(Graph):
    """An rdflib graph that parses each distinct SPARQL query text only once.

    pySHACL runs a SPARQL constraint once per focus node, each time with the same text and the
    focus node as an initial binding; rdflib would parse the text anew on every run, which
    then takes most of the validation time.
    """

    def query(self, query_object, *args, **kwargs):
        if isinstance(query_object, str):
            query_object = _prepared_query(_sorted_prefixes(query_object))
        return super().query(query_object, *args, **kwargs)


def _sorted_prefixes(text: str) -> str:
    # pySHACL writes the shapes' prefix declarations in no fixed order; sorting them lets the
    # same query text from the next validation hit the cache.
    lines = text.split("\n")
    count = next((i for i, line in enumerate(lines) if not line.startswith("PREFIX ")), 0)
    return "\n".join([*sorted(lines[:count]), *lines[count:]])


@functools.lru_cache(maxsize=256)
def _prepared_query(text: str) -> Query:
    return prepareQuery(text)


def _to_rdflib(triples: Sequence[ox.Triple]) -> Graph:
    graph = _PreparedQueryGraph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    for prefix, namespace in iris.PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    return graph


# --- SHACL ----------------------------------------------------------------------------------


def shacl_violations(data: Graph, shapes: Graph) -> list[Violation]:
    """Validate a data graph (instances plus ontology) with pySHACL; return its results, sorted."""
    _, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        inplace=True,  # the data graph is ours alone, so it need not be copied
        allow_warnings=False,
        allow_infos=False,
    )
    # Only the report's own results: those nested under sh:detail explain an sh:node failure
    # that is already reported on the node that refers to them.
    reports = report.subjects(RDF.type, SH.ValidationReport)
    violations = [
        _violation(report, shapes, result)
        for validation_report in reports
        for result in report.objects(validation_report, SH.result)
    ]
    return sorted(violations, key=lambda v: (v.focus_node, v.shape, v.path or "", v.value or ""))


def _violation(report: Graph, shapes: Graph, result: Node) -> Violation:
    focus = report.value(result, SH.focusNode)
    path = report.value(result, SH.resultPath)
    value = report.value(result, SH.value)
    shape = report.value(result, SH.sourceShape)
    constraint = report.value(result, SH.sourceConstraint)
    severity = report.value(result, SH.resultSeverity)
    component = report.value(result, SH.sourceConstraintComponent)
    return Violation(
        focus_node=_identify(focus),
        path=_render_path(report, path) if path is not None else None,
        value=_render_term(value) if value is not None else None,
        message=_english_message(report, shapes, result, constraint or shape),
        shape=_describe_shape(shapes, shape),
        severity=_local_name(str(severity)) if severity is not None else "Violation",
        component=str(component) if component is not None else "",
        node_shape=_node_shape_of(shapes, shape),
        constraint=str(constraint) if isinstance(constraint, URIRef) else None,
    )


def _english_message(report: Graph, shapes: Graph, result: Node, rule: Node | None) -> str:
    messages = [m for m in report.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    for message in messages:
        if message.language == "en":
            return str(message)
    # pySHACL drops the language tag of a message whose {?variables} it fills in: recognise
    # the English one by the rule's English template.
    for template in shapes.objects(rule, SH.message) if rule is not None else ():
        if isinstance(template, Literal) and template.language == "en":
            parts = re.split(r"\{[?$]\w+\}", str(template))
            pattern = ".*".join(re.escape(part) for part in parts)
            for message in messages:
                if re.fullmatch(pattern, str(message), flags=re.DOTALL):
                    return str(message)
    untagged = [m for m in messages if m.language is None]
    return str((untagged or messages)[0]) if messages else "(no message)"


def _node_shape_of(shapes: Graph, shape: Node | None) -> str | None:
    if shape is None:
        return None
    if (shape, RDF.type, SH.NodeShape) in shapes:
        return _identify(shape)
    owner = shapes.value(predicate=SH.property, object=shape)
    return _identify(owner) if owner is not None else None


def _describe_shape(shapes: Graph, shape: Node | None) -> str:
    if shape is None:
        return "(unknown shape)"
    if isinstance(shape, URIRef):
        return str(shape)
    path = shapes.value(shape, SH.path)
    owner = _node_shape_of(shapes, shape)
    described = "anonymous shape"
    if path is not None:
        described += f" on {_render_path(shapes, path)}"
    if owner is not None:
        described += f" of {compact(owner)}"
    return described


def _render_path(graph: Graph, path: Node) -> str:
    """Write a SHACL property path in SPARQL property-path syntax."""
    if isinstance(path, URIRef):
        return compact(str(path))
    if (path, RDF.first, None) in graph:
        return "/".join(_render_step(graph, step) for step in Collection(graph, path))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _render_step(graph, inverse)
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_render_step(graph, step) for step in Collection(graph, alternatives))
    for predicate, suffix in (
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    ):
        inner = graph.value(path, predicate)
        if inner is not None:
            return _render_step(graph, inner) + suffix
    return _identify(path)


def _render_step(graph: Graph, step: Node) -> str:
    rendered = _render_path(graph, step)
    compound = (step, RDF.first, None) in graph or (step, SH.alternativePath, None) in graph
    return f"({rendered})" if compound else rendered


@functools.lru_cache(maxsize=1)
def _namespaces() -> NamespaceManager:
    manager = NamespaceManager(Graph(bind_namespaces="none"), bind_namespaces="none")
    for prefix, namespace in iris.PREFIXES.items():
        manager.bind(prefix, namespace, override=True, replace=True)
    return manager


def compact(iri: str) -> str:
    """Write an IRI with one of the project's prefixes when one fits, else in angle brackets."""
    return URIRef(iri).n3(_namespaces())


def _render_term(term: Node) -> str:
    if isinstance(term, URIRef | Literal):
        return term.n3(_namespaces())
    return _identify(term)


def _identify(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


# --- HermiT ---------------------------------------------------------------------------------


def _require_java() -> None:
    import owlready2

    if shutil.which(owlready2.JAVA_EXE) is None:
        raise ReasonerUnavailable(JAVA_MISSING)


def run_reasoner(ontology: Sequence[ox.Triple], instances: Sequence[ox.Triple]) -> ReasonerResult:
    """Run HermiT over the ontology and instances: consistency, unsatisfiable classes, types.

    HermiT runs directly (paxsilica.hermit), classifying classes and individuals only. Every
    date and year of the data is an annotation (xsd:date and xsd:gYear are outside the OWL 2
    datatype map), so HermiT needs no leave to ignore unsupported datatypes.
    """
    import owlready2

    _require_java()
    started = time.monotonic()
    try:
        classification = hermit.classify([*ontology, *instances], java=owlready2.JAVA_EXE)
    except FileNotFoundError:
        raise ReasonerUnavailable(JAVA_MISSING) from None
    except hermit.HermitFailed as error:
        raise ReasonerUnavailable(f"HermiT failed: {error}") from None
    if not classification.consistent:
        return ReasonerResult(consistent=False, seconds=time.monotonic() - started)
    inferred_graph = Graph()
    for individual, classes in classification.types.items():
        for cls in classes:
            inferred_graph.add((URIRef(individual), RDF.type, URIRef(cls)))
    return ReasonerResult(
        consistent=True,
        unsatisfiable_classes=classification.unsatisfiable,
        inferred_types=_inferred_memberships(
            _to_rdflib(ontology), _to_rdflib(instances), inferred_graph
        ),
        seconds=time.monotonic() - started,
    )


def _inferred_memberships(
    ontology: Graph, instances: Graph, inferred: Graph
) -> dict[str, set[str]]:
    hierarchy = Graph()
    for graph in (ontology, inferred):
        for sub, sup in graph.subject_objects(RDFS.subClassOf):
            if isinstance(sub, URIRef) and isinstance(sup, URIRef):
                hierarchy.add((sub, RDFS.subClassOf, sup))

    def closure(classes: Iterable[Node]) -> set[str]:
        found: set[str] = set()
        for cls in classes:
            found.update(str(c) for c in hierarchy.transitive_objects(cls, RDFS.subClassOf))
        return found

    memberships: dict[str, set[str]] = {}
    for individual in set(inferred.subjects(RDF.type)):
        if not isinstance(individual, URIRef):
            continue
        new_types = [c for c in inferred.objects(individual, RDF.type) if isinstance(c, URIRef)]
        if OWL.Ontology in new_types:
            continue
        asserted = closure(c for c in instances.objects(individual, RDF.type))
        gained = closure(new_types) - asserted - {str(OWL.Thing), str(OWL.NamedIndividual)}
        if gained:
            memberships[str(individual)] = gained
    return memberships


def _reasoner_violations(
    result: ReasonerResult, ontology: Sequence[ox.Triple], instances: Sequence[ox.Triple]
) -> list[Violation]:
    violations = [
        Violation(
            focus_node=cls,
            path=None,
            value=None,
            message=f"The class {compact(cls)} is unsatisfiable: the ontology and data leave "
            "no individual able to belong to it.",
            shape=REASONER_SHAPE,
            severity="Violation",
            component="unsatisfiable class",
        )
        for cls in result.unsatisfiable_classes
    ]
    if not result.consistent:
        clashes = disjoint_type_clashes(_to_rdflib([*ontology, *instances]))
        violations.extend(
            Violation(
                focus_node=individual,
                path=None,
                value=None,
                message=f"Inconsistent: this individual is a {compact(first)} and a "
                f"{compact(second)}, which the ontology declares disjoint.",
                shape=REASONER_SHAPE,
                severity="Violation",
                component="inconsistency",
            )
            for individual, first, second in clashes
        )
        if not clashes:
            violations.append(
                Violation(
                    focus_node="",
                    path=None,
                    value=None,
                    message="Inconsistent: the ontology and data together contradict "
                    "themselves, and HermiT does not say where.",
                    shape=REASONER_SHAPE,
                    severity="Violation",
                    component="inconsistency",
                )
            )
    return violations


def disjoint_type_clashes(graph: Graph) -> list[tuple[str, str, str]]:
    """List (individual, class, class) where asserted types fall under disjoint classes.

    HermiT says only that the data is inconsistent; this names the commonest cause, an
    individual typed with two classes that the ontology declares disjoint.
    """
    disjoint = {(a, b) for a, b in graph.subject_objects(OWL.disjointWith)}
    disjoint |= {(b, a) for a, b in disjoint}
    clashes: set[tuple[str, str, str]] = set()
    for individual in set(graph.subjects(RDF.type)):
        types = set()
        for asserted in graph.objects(individual, RDF.type):
            types.update(graph.transitive_objects(asserted, RDFS.subClassOf))
        for first, second in disjoint:
            if first in types and second in types and str(first) < str(second):
                clashes.add((_identify(individual), str(first), str(second)))
    return sorted(clashes)


# --- Report ---------------------------------------------------------------------------------


def format_report(result: ValidationResult) -> str:
    """Return a readable report: each violation, a summary line and the reasoner's outcome."""
    lines: list[str] = []
    if result.instance_files:
        lines.append(f"Validated {len(result.instance_files)} instance file(s):")
        lines.extend(f"  {name}" for name in result.instance_files)
        lines.append("")
    total = len(result.violations)
    for number, violation in enumerate(result.violations, start=1):
        lines.append(f"{violation.severity} {number} of {total}: {violation.message}")
        lines.append(f"  focus node: {_show_node(violation.focus_node)}")
        if violation.path is not None:
            lines.append(f"  path:       {violation.path}")
        if violation.value is not None:
            lines.append(f"  value:      {violation.value}")
        shape = _show_node(violation.shape) if "://" in violation.shape else violation.shape
        if violation.node_shape and violation.node_shape != violation.shape:
            shape += f" (in {_show_node(violation.node_shape)})"
        if violation.constraint:
            shape += f", constraint {_show_node(violation.constraint)}"
        lines.append(f"  shape:      {shape}")
        lines.append(f"  component:  {_show_node(violation.component)}")
        lines.append("")
    shacl = [v for v in result.violations if v.shape != REASONER_SHAPE]
    focus_nodes = {v.focus_node for v in shacl}
    lines.append(
        f"SHACL: {len(shacl)} violation(s) on {len(focus_nodes)} focus node(s)"
        if shacl
        else "SHACL: the data conforms to the shapes"
    )
    lines.append(_reasoner_summary(result.reasoner))
    lines.append("Result: " + ("conforms" if result.conforms else "does NOT conform"))
    return "\n".join(lines)


def _show_node(identifier: str) -> str:
    if not identifier:
        return "(the whole graph)"
    if identifier.startswith("_:") or "://" not in identifier:
        return identifier
    return compact(identifier)


def _reasoner_summary(reasoner: ReasonerResult | None) -> str:
    if reasoner is None:
        return "Reasoner: skipped (--no-reasoner)"
    notes = "".join(f"\n  owlready2: {note}" for note in reasoner.notes)
    if not reasoner.consistent:
        return f"Reasoner (HermiT, {reasoner.seconds:.1f} s): INCONSISTENT{notes}"
    unsatisfiable = (
        f"{len(reasoner.unsatisfiable_classes)} unsatisfiable class(es): "
        + ", ".join(compact(c) for c in reasoner.unsatisfiable_classes)
        if reasoner.unsatisfiable_classes
        else "no unsatisfiable class"
    )
    inferred = sum(len(types) for types in reasoner.inferred_types.values())
    return (
        f"Reasoner (HermiT, {reasoner.seconds:.1f} s): consistent, {unsatisfiable}, "
        f"{inferred} class membership(s) inferred for {len(reasoner.inferred_types)} "
        f"individual(s){notes}"
    )
