"""HermiT, run directly: consistency, unsatisfiable classes and the types it infers.

owlready2's ``sync_reasoner_hermit`` also classifies every object and data property (HermiT's
``-O -D``), which on the full data costs minutes for answers nobody reads; this runs the HermiT
that owlready2 ships with only ``-c -I`` (classes and individuals), or only ``-k`` (is the
whole consistent), and reads its output, whose lines are ``SubClassOf( <a> <b> )``,
``EquivalentClasses( … )`` and ``Type( <individual> <class> )``.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

OWL_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
JAVA_MEMORY = "-Xmx3000M"
_RESULT = re.compile(r"^([A-Za-z]+)\( ((?:<[^>]+>\s*)+)\)$", re.MULTILINE)
_OWL_IMPORTS = ox.NamedNode("http://www.w3.org/2002/07/owl#imports")


class HermitFailed(Exception):
    """HermiT could not run, or stopped with an error other than an inconsistency."""


@dataclass
class Classification:
    """What HermiT concluded about an ontology and its individuals."""

    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    # Individual IRI -> IRIs of the named classes HermiT says it belongs to.
    types: dict[str, set[str]] = field(default_factory=dict)


def classpath() -> str:
    """The class path of the HermiT jar that owlready2 ships."""
    import owlready2

    hermit = Path(owlready2.__file__).parent / "hermit"
    return f"{hermit}:{hermit / 'HermiT.jar'}"


def classify(
    triples: Sequence[ox.Triple], java: str = "java", ignore_unsupported_datatypes: bool = False
) -> Classification:
    """Classify the classes and individuals of the triples; owl:imports are never followed.

    ``ignore_unsupported_datatypes`` is for outside vocabularies (OWL-Time's xsd:date ranges);
    the project's own ontology and data need no such leave.
    """
    output = _run(triples, ["-c", "-I"], java, ignore_unsupported_datatypes)
    return _read(output) if output is not None else Classification(consistent=False)


def is_consistent(
    triples: Sequence[ox.Triple], java: str = "java", ignore_unsupported_datatypes: bool = False
) -> bool:
    """Whether the triples are consistent: one satisfiability test, far cheaper than classify."""
    output = _run(triples, ["-k"], java, ignore_unsupported_datatypes)
    return output is not None and "is not satisfiable" not in output


def _run(
    triples: Sequence[ox.Triple], actions: list[str], java: str, ignore_datatypes: bool
) -> str | None:
    """HermiT's output for the actions, or None when the triples are inconsistent."""
    kept = [t for t in triples if t.predicate != _OWL_IMPORTS]
    options = [*actions, *(["--ignoreUnsupportedDatatypes"] if ignore_datatypes else [])]
    with tempfile.TemporaryDirectory(prefix="paxsilica-hermit-") as workdir:
        data = Path(workdir) / "data.nt"
        data.write_bytes(ox.serialize(kept, format=ox.RdfFormat.N_TRIPLES))
        command = [java, JAVA_MEMORY, "-cp", classpath(), "org.semanticweb.HermiT.cli.CommandLine"]
        done = subprocess.run(
            [*command, *options, data.as_uri()], capture_output=True, text=True, check=False
        )
    output = done.stdout + done.stderr
    if done.returncode == 0:
        return output
    if "InconsistentOntologyException" in output or "Inconsistent ontology" in output:
        return None
    raise HermitFailed(output.strip()[-2000:])


def _read(output: str) -> Classification:
    result = Classification(consistent=True)
    for relation, terms in _RESULT.findall(output):
        iris = re.findall(r"<([^>]+)>", terms)
        if relation == "EquivalentClasses" and OWL_NOTHING in iris:
            result.unsatisfiable += [
                i for i in iris if not i.startswith("http://www.w3.org/2002/07/owl#")
            ]
        elif relation == "Type" and len(iris) == 2:
            result.types.setdefault(iris[0], set()).add(iris[1])
    result.unsatisfiable.sort()
    return result
