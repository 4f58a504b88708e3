"""The OWL reasoner check: HermiT, through owlready2, over the ontology and the instances.

It loads them into a fresh owlready2 world and checks that they are consistent, that no class
is unsatisfiable, and collects the class memberships the reasoner infers beyond what the data
asserts.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from paxsilica.rdf.terms import to_rdflib
from paxsilica.validation.violations import REASONER_SHAPE, Violation, compact, identify

JAVA_MISSING = (
    "Java is required for the HermiT reasoner: install a JRE "
    "(Debian: default-jre-headless) or pass --no-reasoner"
)
# Where owlready2 records what HermiT infers, apart from the loaded data.
_INFERRED_ONTOLOGY = "http://paxsilica.invalid/inferred#"
_DATA_ONTOLOGY = "http://paxsilica.invalid/validated#"
_OWL_IMPORTS = ox.NamedNode(str(OWL.imports))


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
    # What owlready2 printed while loading the data, such as its remarks on property types.
    notes: list[str] = field(default_factory=list)


def require_java() -> None:
    import owlready2

    if shutil.which(owlready2.JAVA_EXE) is None:
        raise ReasonerUnavailable(JAVA_MISSING)


def run_reasoner(ontology: Sequence[ox.Triple], instances: Sequence[ox.Triple]) -> ReasonerResult:
    """Run HermiT over the ontology and instances, in a fresh owlready2 world.

    HermiT accepts only the datatypes of the OWL 2 datatype map, which lacks xsd:date,
    xsd:gYear and xsd:gYearMonth; the data uses them for dates only, which no class
    definition reasons about, so HermiT is told to ignore them rather than refuse the data.
    What owlready2 prints while loading (its remarks on the ontology) is kept as notes
    instead of going to standard error.
    """
    import owlready2

    require_java()
    started = time.monotonic()
    notes = io.StringIO()
    world = owlready2.World()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="paxsilica-hermit-") as workdir,
            contextlib.redirect_stderr(notes),
        ):
            # Drop owl:imports so that owlready2 never fetches anything over the network.
            triples = [t for t in (*ontology, *instances) if t.predicate != _OWL_IMPORTS]
            data_file = Path(workdir) / "data.nt"
            data_file.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
            with data_file.open("rb") as stream:
                world.get_ontology(_DATA_ONTOLOGY).load(fileobj=stream, format="ntriples")
            inferred = world.get_ontology(_INFERRED_ONTOLOGY)
            try:
                with inferred:
                    owlready2.sync_reasoner_hermit(
                        world,
                        infer_property_values=False,
                        debug=0,
                        ignore_unsupported_datatypes=True,
                    )
            except owlready2.OwlReadyInconsistentOntologyError:
                return ReasonerResult(
                    consistent=False,
                    seconds=time.monotonic() - started,
                    notes=_notes(notes),
                )
            except FileNotFoundError:
                raise ReasonerUnavailable(JAVA_MISSING) from None
            except owlready2.OwlReadyJavaError as error:
                raise ReasonerUnavailable(f"HermiT failed: {error}") from None
            unsatisfiable = sorted(
                c.iri
                for c in world.inconsistent_classes()
                if getattr(c, "iri", str(OWL.Nothing)) != str(OWL.Nothing)
            )
            inferred_file = Path(workdir) / "inferred.nt"
            inferred.save(file=str(inferred_file), format="ntriples")
            inferred_graph = Graph().parse(inferred_file, format="nt")
    finally:
        world.close()
    return ReasonerResult(
        consistent=True,
        unsatisfiable_classes=unsatisfiable,
        inferred_types=_inferred_memberships(
            to_rdflib(ontology), to_rdflib(instances), inferred_graph
        ),
        seconds=time.monotonic() - started,
        notes=_notes(notes),
    )


def _notes(captured: io.StringIO) -> list[str]:
    lines = (
        line.strip().removeprefix("* Owlready2 *").strip()
        for line in captured.getvalue().splitlines()
    )
    return [line for line in lines if line]


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
