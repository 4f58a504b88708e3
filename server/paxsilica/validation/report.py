"""The validation report for people: each violation, then a summary of SHACL and HermiT."""

from __future__ import annotations

from typing import TYPE_CHECKING

from paxsilica.validation.reasoner import ReasonerResult
from paxsilica.validation.violations import REASONER_SHAPE, compact

if TYPE_CHECKING:
    from paxsilica.validation import ValidationResult


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
