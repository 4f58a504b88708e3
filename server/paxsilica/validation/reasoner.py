"""The OWL reasoner check: HermiT, through owlready2, over the ontology and the instances.

It loads them into a fresh owlready2 world and checks that they are consistent, that no class
is unsatisfiable, and collects the class memberships the reasoner infers beyond what the data
asserts.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from paxsilica.rdf.terms import to_rdflib
from paxsilica.validation import hermit
from paxsilica.validation.violations import REASONER_SHAPE, Violation, compact, identify

JAVA_MISSING = (
    "Java is required for the HermiT reasoner: install a JRE "
    "(Debian: default-jre-headless) or pass --no-reasoner"
)


class ReasonerUnavailable(Exception):
    """The HermiT reasoner cannot run here, most often because Java is missing."""


@dataclass
class ReasonerResult:
    """What HermiT found: consistency, unsatisfiable classes and inferred memberships."""

    consistent: bool
    unsatisfiable_classes: list[str] = field(default_factory=list)
    # Individual IRI -> IRIs of the named classes it belongs to by inference only, that is
    # neither asserted nor superclasses of an asserted class.
    inferred_types: dict[str, set[str]] = field(default_factory=dict)
    seconds: float = 0.0
    # What the reasoner's tooling remarked while loading the data.
    notes: list[str] = field(default_factory=list)


def require_java() -> None:
    import owlready2

    if shutil.which(owlready2.JAVA_EXE) is None:
        raise ReasonerUnavailable(JAVA_MISSING)


def run_reasoner(ontology: Sequence[ox.Triple], instances: Sequence[ox.Triple]) -> ReasonerResult:
    """Run HermiT over the ontology and instances: consistency, unsatisfiable classes, types.

    HermiT runs directly (paxsilica.validation.hermit), classifying classes and individuals
    only. Every date and year of the data is an annotation (xsd:date and xsd:gYear are outside
    the OWL 2 datatype map), so HermiT needs no leave to ignore unsupported datatypes.
    """
    import owlready2

    require_java()
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
            to_rdflib(ontology), to_rdflib(instances), inferred_graph
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


def reasoner_violations(
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
        clashes = disjoint_type_clashes(to_rdflib([*ontology, *instances]))
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
    for group in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in graph.objects(group, OWL.members):
            classes = list(Collection(graph, members))
            disjoint |= {(a, b) for a in classes for b in classes if a != b}
    disjoint |= {(b, a) for a, b in disjoint}
    clashes: set[tuple[str, str, str]] = set()
    for individual in set(graph.subjects(RDF.type)):
        types = set()
        for asserted in graph.objects(individual, RDF.type):
            types.update(graph.transitive_objects(asserted, RDFS.subClassOf))
        for first, second in disjoint:
            if first in types and second in types and str(first) < str(second):
                clashes.add((identify(individual), str(first), str(second)))
    return sorted(clashes)
