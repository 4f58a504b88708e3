"""Validation of instance data: pySHACL against the bundled shapes, then HermiT through owlready2.

The SHACL run validates the instances with the ontology's triples added to the data graph,
without any inference. SHACL itself follows ``rdfs:subClassOf`` for targets and ``sh:class``,
which is all the shapes need. RDFS entailment would do harm: it would type every value of a
property with an ``rdfs:range`` as a member of that range, so that an ``sh:class`` check could
never fail (a company given as ``ps:homeState`` would be inferred a ``ps:State``). The ontology
is merged here rather than passed as pySHACL's ``ont_graph``: pySHACL then copies it node by
node, which takes some ten seconds for this ontology against a fraction of a second for a
plain union of triples, with the same result.

The HermiT run (validation.reasoner) checks consistency and unsatisfiable classes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from paxsilica import bundle, paths
from paxsilica.rdf.store import DataLoadError, rdf_format_for
from paxsilica.validation.reasoner import (
    JAVA_MISSING,
    ReasonerResult,
    ReasonerUnavailable,
    reasoner_violations,
    require_java,
    run_reasoner,
)
from paxsilica.validation.report import format_report
from paxsilica.validation.shacl import shacl_graph, shacl_violations
from paxsilica.validation.violations import REASONER_SHAPE, Violation


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
    files = [Path(f) for f in instance_files] if instance_files else bundle.instance_files()
    if reasoner:
        require_java()
    instances = read_triples(files)
    ontology = read_triples(paths.ontology_files())
    shapes = read_triples(paths.shape_files())

    violations = shacl_violations(shacl_graph([*instances, *ontology]), shacl_graph(shapes))
    reasoner_result = None
    if reasoner:
        reasoner_result = run_reasoner(ontology, instances)
        violations.extend(reasoner_violations(reasoner_result, ontology, instances))
    return ValidationResult(
        conforms=not violations,
        violations=violations,
        reasoner=reasoner_result,
        instance_files=[str(f) for f in files],
    )


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


__all__ = [
    "JAVA_MISSING",
    "REASONER_SHAPE",
    "ReasonerResult",
    "ReasonerUnavailable",
    "ValidationResult",
    "Violation",
    "format_report",
    "read_triples",
    "run_reasoner",
    "validate",
]
