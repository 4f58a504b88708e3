"""SHACL validation with pySHACL: the instances (with the ontology) against the shapes."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import pyoxigraph as ox
import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from paxsilica import iris
from paxsilica.rdf.terms import to_rdflib
from paxsilica.validation.violations import Violation, compact, identify, render_term


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


def shacl_graph(triples: Sequence[ox.Triple]) -> Graph:
    """Return an rdflib graph of the triples, fit for pySHACL (each query text parsed once)."""
    return to_rdflib(triples, into=_PreparedQueryGraph(), prefixes=iris.PREFIXES)


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
        focus_node=identify(focus),
        path=_render_path(report, path) if path is not None else None,
        value=render_term(value) if value is not None else None,
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
        return identify(shape)
    owner = shapes.value(predicate=SH.property, object=shape)
    return identify(owner) if owner is not None else None


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
    return identify(path)


def _render_step(graph: Graph, step: Node) -> str:
    rendered = _render_path(graph, step)
    compound = (step, RDF.first, None) in graph or (step, SH.alternativePath, None) in graph
    return f"({rendered})" if compound else rendered


def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]
