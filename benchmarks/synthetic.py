"""A synthetic, domain-shaped dataset for the SPARQL benchmarks: thousands to millions of triples.

It has the shape of the real data, at any size: states (some of them members of the
initiative), companies with a home state, a hierarchy of technologies, sources, and the bulk,
supply links (supplier, technology, stage, share of world supply, reference year, source).
Entities live under the canonical base in ``id/synth-*/`` so they never collide with the
bundled data. The output is deterministic for a given size and seed.

    python benchmarks/synthetic.py --triples 200000 --out /tmp/synthetic.nt
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from paxsilica import iris

PS = iris.ONTOLOGY_NS
RDF_TYPE = ox.NamedNode(iris.KNOWN_VOCABULARIES["rdf"] + "type")
RDFS_LABEL = ox.NamedNode(iris.KNOWN_VOCABULARIES["rdfs"] + "label")
SKOS = iris.KNOWN_VOCABULARIES["skos"]
ORG = iris.KNOWN_VOCABULARIES["org"]
XSD = iris.KNOWN_VOCABULARIES["xsd"]
STAGES = ("MineProduction", "Refining", "ManufacturingCapacity", "MarketShare", "MarketRevenue")
WORDS = (
    "silicon", "gallium", "germanium", "photonic", "quantum", "lithography", "wafer", "memory",
    "logic", "packaging", "substrate", "rare", "earth", "magnet", "battery", "optical",
    "foundry", "design", "tooling", "resist", "etch", "deposition", "cobalt", "nickel",
)  # fmt: skip
# Triples per entity of each kind, as generate() writes them (for sizing).
TRIPLES_PER_LINK = 9


@dataclass(frozen=True)
class Sizes:
    """How many entities of each kind a dataset of about ``triples`` triples has."""

    states: int
    companies: int
    technologies: int
    sources: int
    links: int

    @classmethod
    def for_triples(cls, triples: int) -> Sizes:
        states = min(max(triples // 2000, 20), 250)
        companies = max(triples // 200, 20)
        technologies = max(triples // 1000, 16)
        sources = max(triples // 500, 10)
        others = states * 5 + companies * 3 + technologies * 3 + sources * 2
        links = max((triples - others) // TRIPLES_PER_LINK, 10)
        return cls(states, companies, technologies, sources, links)


def entity(kind: str, number: int) -> ox.NamedNode:
    """The IRI of a synthetic entity."""
    return ox.NamedNode(iris.entity_iri(f"synth-{kind}", f"{kind[0].upper()}{number:07d}"))


def _label(rng: random.Random, prefix: str) -> str:
    return f"{prefix} {rng.choice(WORDS)} {rng.choice(WORDS)}"


def triples(target: int, seed: int = 1) -> Iterator[ox.Triple]:
    """Yield about ``target`` triples of synthetic data (deterministic for a seed)."""
    rng = random.Random(seed)
    sizes = Sizes.for_triples(target)
    ps = lambda local: ox.NamedNode(PS + local)  # noqa: E731
    integer = ox.NamedNode(XSD + "integer")
    decimal = ox.NamedNode(XSD + "decimal")
    g_year = ox.NamedNode(XSD + "gYear")
    initiative = ox.NamedNode(iris.entity_iri("synth-initiative", "I0000001"))
    yield ox.Triple(initiative, RDF_TYPE, ps("Initiative"))
    for n in range(sizes.states):
        state = entity("state", n)
        yield ox.Triple(state, RDF_TYPE, ps("State"))
        yield ox.Triple(state, RDFS_LABEL, ox.Literal(f"State {n}", language="en"))
        yield ox.Triple(state, ps("isoAlpha2"), ox.Literal(f"S{n:03d}"))
        if rng.random() < 0.3:
            membership = entity("membership", n)
            yield ox.Triple(membership, RDF_TYPE, ps("Membership"))
            yield ox.Triple(membership, ox.NamedNode(ORG + "member"), state)
            yield ox.Triple(membership, ox.NamedNode(ORG + "organization"), initiative)
            yield ox.Triple(membership, ox.NamedNode(ORG + "role"), ps("Signatory"))
    for n in range(sizes.technologies):
        technology = entity("technology", n)
        yield ox.Triple(technology, RDF_TYPE, ps("Technology"))
        yield ox.Triple(
            technology,
            ox.NamedNode(SKOS + "prefLabel"),
            ox.Literal(_label(rng, "Tech"), language="en"),
        )
        if n >= 4:  # a forest of four roots, each technology under an earlier one
            parent = entity("technology", rng.randrange(max(n // 2, 1), n) if n > 8 else n % 4)
            yield ox.Triple(technology, ox.NamedNode(SKOS + "broader"), parent)
    for n in range(sizes.sources):
        source = entity("source", n)
        yield ox.Triple(source, RDF_TYPE, ps("Source"))
        yield ox.Triple(source, RDFS_LABEL, ox.Literal(f"Source {n}", language="en"))
    for n in range(sizes.companies):
        company = entity("company", n)
        yield ox.Triple(company, RDF_TYPE, ps("Company"))
        yield ox.Triple(company, RDFS_LABEL, ox.Literal(_label(rng, f"Company {n}"), language="en"))
        yield ox.Triple(company, ps("homeState"), entity("state", rng.randrange(sizes.states)))
    for n in range(sizes.links):
        link = entity("link", n)
        supplier = (
            entity("company", rng.randrange(sizes.companies))
            if rng.random() < 0.7
            else entity("state", rng.randrange(sizes.states))
        )
        yield ox.Triple(link, RDF_TYPE, ps("SupplyLink"))
        yield ox.Triple(link, RDFS_LABEL, ox.Literal(f"Supply link {n}", language="en"))
        yield ox.Triple(link, ps("supplier"), supplier)
        yield ox.Triple(
            link, ps("technology"), entity("technology", rng.randrange(sizes.technologies))
        )
        yield ox.Triple(link, ps("supplyStage"), ps(rng.choice(STAGES)))
        share = f"{rng.uniform(0.5, 95):.1f}"
        yield ox.Triple(link, ps("sharePercent"), ox.Literal(share, datatype=decimal))
        yield ox.Triple(
            link, ps("referenceYear"), ox.Literal(str(rng.randint(2015, 2025)), datatype=g_year)
        )
        yield ox.Triple(link, ps("source"), entity("source", rng.randrange(sizes.sources)))
        yield ox.Triple(
            link, ps("quantity"), ox.Literal(str(rng.randint(1, 10**6)), datatype=integer)
        )


def generate(target: int, path: Path | str, seed: int = 1) -> int:
    """Write about ``target`` triples as N-Triples to ``path``; return how many were written."""
    written = 0

    def counted() -> Iterator[ox.Triple]:
        nonlocal written
        for triple in triples(target, seed):
            written += 1
            yield triple

    with open(path, "wb") as output:
        ox.serialize(counted(), output, ox.RdfFormat.N_TRIPLES)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=100_000, help="about how many (100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, type=Path, help="N-Triples file to write")
    args = parser.parse_args(argv)
    written = generate(args.triples, args.out, args.seed)
    print(f"{args.out}: {written} triples ({Sizes.for_triples(args.triples)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
