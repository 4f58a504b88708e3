"""The ontology's documentation: every term with its axioms, class expressions written as text.

Class expressions read in a Manchester-like syntax (``Party and (hasMembership some
SignatoryMembership)``), each named term a link. Section and field titles are keys of the
pages' strings (``subclass_of``), so that the page says them in its own language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from paxsilica import iris
from paxsilica.publish.documents import Document
from paxsilica.publish.labels import HrefFor, Labels

OWL = iris.KNOWN_VOCABULARIES["owl"]
RDFS = iris.KNOWN_VOCABULARIES["rdfs"]
RDF = iris.KNOWN_VOCABULARIES["rdf"]
SKOS = iris.KNOWN_VOCABULARIES["skos"]
XSD = iris.KNOWN_VOCABULARIES["xsd"]
DCTERMS = iris.KNOWN_VOCABULARIES["dcterms"]
VANN = iris.KNOWN_VOCABULARIES["vann"]

# How a datatype restriction's facets read in a class expression.
FACETS = {"minExclusive": ">", "minInclusive": "≥", "maxExclusive": "<", "maxInclusive": "≤"}
# Restrictions on a property, and how each reads.
QUANTIFIERS = (("someValuesFrom", "some"), ("allValuesFrom", "only"), ("hasValue", "value"))
CARDINALITIES = (
    ("minCardinality", "min"),
    ("minQualifiedCardinality", "min"),
    ("maxCardinality", "max"),
    ("maxQualifiedCardinality", "max"),
    ("cardinality", "exactly"),
    ("qualifiedCardinality", "exactly"),
)
# The sections of the documentation: a key of the pages' strings and the type of its terms.
SECTIONS = (
    ("classes", OWL + "Class"),
    ("object_properties", OWL + "ObjectProperty"),
    ("datatype_properties", OWL + "DatatypeProperty"),
    ("annotation_properties", OWL + "AnnotationProperty"),
    ("schemes", SKOS + "ConceptScheme"),
)
# Expressions nested deeper than this are cut short (a cycle in a malformed ontology).
MAX_EXPRESSION_DEPTH = 8


@dataclass
class Token:
    """A piece of a class expression: text, and a link when it names a term."""

    text: str
    href: str | None = None


@dataclass
class TermDoc:
    """The documentation of one ontology term."""

    anchor: str
    iri: str
    curie: str
    labels: dict[str, str]
    definitions: dict[str, str]
    comments: list[str]
    # (key of the field's title, expressions)
    facts: list[tuple[str, list[list[Token]]]]


@dataclass
class OntologyDoc:
    """Everything the ontology's documentation page shows."""

    header: dict[str, object]
    # (key of the section's title, its terms)
    sections: list[tuple[str, list[TermDoc]]] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)


class OntologyReader:
    """Reads an ontology graph: named terms, their axioms, and class expressions as text."""

    def __init__(self, document: Document, site: iris.Site, lang: str, href_for: HrefFor):
        self.lang = lang
        self.site = site
        self.href_for = href_for
        self.ns = site.ontology_ns
        self.labels = Labels(document.triples, site)
        self.about: dict[ox.Term, dict[str, list[ox.Term]]] = defaultdict(lambda: defaultdict(list))
        self.inverse: dict[ox.Term, dict[str, list[ox.Term]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for t in document.triples:
            self.about[t.subject][t.predicate.value].append(t.object)
            self.inverse[t.object][t.predicate.value].append(t.subject)

    def values(self, node: ox.Term, iri: str) -> list[ox.Term]:
        return self.about.get(node, {}).get(iri, [])

    def one(self, node: ox.Term, iri: str) -> ox.Term | None:
        found = self.values(node, iri)
        return found[0] if found else None

    def texts(self, node: ox.Term, iri: str) -> dict[str, str]:
        """The literal values of a property by language ("" for none), the first of each."""
        found: dict[str, str] = {}
        for value in self.values(node, iri):
            if isinstance(value, ox.Literal):
                found.setdefault(value.language or "", value.value)
        return found

    def text(self, node: ox.Term, iri: str) -> str | None:
        """One literal value, in the reader's language if there is one."""
        texts = self.texts(node, iri)
        return (
            texts.get(self.lang)
            or texts.get("en")
            or texts.get("")
            or next(iter(texts.values()), None)
        )

    def name(self, iri: str) -> Token:
        if iri.startswith(self.ns):
            return Token(self.site.short(iri), "#" + iri[len(self.ns) :])
        return Token(self.site.short(iri), self.href_for(iri) or iri)

    def rdf_list(self, node: ox.Term | None) -> list[ox.Term]:
        items: list[ox.Term] = []
        while isinstance(node, ox.BlankNode) and len(items) < 1000:
            first = self.one(node, RDF + "first")
            if first is None:
                break
            items.append(first)
            node = self.one(node, RDF + "rest")
        return items

    # -- class expressions -------------------------------------------------------------------

    def expression(self, node: ox.Term, depth: int = 0) -> list[Token]:
        """Return a class or data-range expression in Manchester-like syntax."""
        if isinstance(node, ox.NamedNode):
            return [self.name(node.value)]
        if isinstance(node, ox.Literal):
            return [Token(node.value)]
        if depth > MAX_EXPRESSION_DEPTH:
            return [Token("…")]
        for read in (self._boolean, self._enumeration, self._restriction, self._datatype):
            tokens = read(node, depth + 1)
            if tokens is not None:
                return tokens
        return [Token("[ ]")]

    def _bracketed(self, node: ox.Term, depth: int) -> list[Token]:
        inner = self.expression(node, depth)
        if isinstance(node, ox.BlankNode) and len(inner) > 1:
            return [Token("("), *inner, Token(")")]
        return inner

    def _boolean(self, node: ox.Term, depth: int) -> list[Token] | None:
        for local, word in (("intersectionOf", "and"), ("unionOf", "or")):
            members = self.one(node, OWL + local)
            if members is not None:
                tokens: list[Token] = []
                for i, item in enumerate(self.rdf_list(members)):
                    tokens += [Token(f" {word} ")] if i else []
                    tokens += self._bracketed(item, depth)
                return tokens
        complement = self.one(node, OWL + "complementOf")
        if complement is not None:
            return [Token("not "), *self._bracketed(complement, depth)]
        return None

    def _enumeration(self, node: ox.Term, depth: int) -> list[Token] | None:
        one_of = self.one(node, OWL + "oneOf")
        if one_of is None:
            return None
        tokens = [Token("{")]
        for i, item in enumerate(self.rdf_list(one_of)):
            tokens += ([Token(", ")] if i else []) + self.expression(item, depth)
        return [*tokens, Token("}")]

    def _restriction(self, node: ox.Term, depth: int) -> list[Token] | None:
        on_property = self.one(node, OWL + "onProperty")
        if on_property is None:
            return None
        head = self.expression(on_property, depth)
        for local, word in QUANTIFIERS:
            target = self.one(node, OWL + local)
            if target is not None:
                return [*head, Token(f" {word} "), *self._bracketed(target, depth)]
        for local, word in CARDINALITIES:
            count = self.one(node, OWL + local)
            if count is not None:
                tokens = [*head, Token(f" {word} {count.value}")]
                on_class = self.one(node, OWL + "onClass") or self.one(node, OWL + "onDataRange")
                if on_class is not None:
                    tokens += [Token(" "), *self.expression(on_class, depth)]
                return tokens
        return head

    def _datatype(self, node: ox.Term, depth: int) -> list[Token] | None:
        on_datatype = self.one(node, OWL + "onDatatype")
        if on_datatype is None:
            return None
        tokens = [*self.expression(on_datatype, depth), Token("[")]
        for i, facet in enumerate(self.rdf_list(self.one(node, OWL + "withRestrictions"))):
            for local, symbol in FACETS.items():
                bound = self.one(facet, XSD + local)
                if bound is not None:
                    tokens.append(Token(f"{', ' if i else ''}{symbol} {bound.value}"))
        return [*tokens, Token("]")]

    # -- terms and sections ------------------------------------------------------------------

    def _facts(self, node: ox.NamedNode) -> list[tuple[str, list[list[Token]]]]:
        subclasses = [
            s
            for s in self.inverse.get(node, {}).get(RDFS + "subClassOf", [])
            if isinstance(s, ox.NamedNode)
        ]
        fields: list[tuple[str, Iterable[ox.Term]]] = [
            ("type", self.values(node, RDF + "type")),
            ("subclass_of", self.values(node, RDFS + "subClassOf")),
            ("has_subclasses", subclasses),
            (
                "equivalent",
                self.values(node, OWL + "equivalentClass")
                + self.values(node, OWL + "equivalentProperty"),
            ),
            ("disjoint", self.values(node, OWL + "disjointWith")),
            ("subproperty_of", self.values(node, RDFS + "subPropertyOf")),
            ("inverse_of", self.values(node, OWL + "inverseOf")),
            ("domain", self.values(node, RDFS + "domain")),
            ("range", self.values(node, RDFS + "range")),
            (
                "in_scheme",
                self.values(node, SKOS + "topConceptOf") + self.values(node, SKOS + "inScheme"),
            ),
            ("top_concepts", self.values(node, SKOS + "hasTopConcept")),
        ]
        facts = []
        for key, nodes in fields:
            expressions = sorted(
                (self.expression(n) for n in nodes),
                key=lambda tokens: "".join(tok.text for tok in tokens),
            )
            if expressions:
                facts.append((key, expressions))
        return facts

    def comments(self, node: ox.Term) -> list[str]:
        return [
            v.value
            for v in self.values(node, RDFS + "comment")
            if isinstance(v, ox.Literal) and v.language in (self.lang, None, "")
        ]

    def term(self, node: ox.NamedNode) -> TermDoc:
        return TermDoc(
            anchor=node.value[len(self.ns) :],
            iri=node.value,
            curie=self.site.short(node.value),
            labels=self.texts(node, RDFS + "label"),
            definitions=self.texts(node, SKOS + "definition"),
            comments=self.comments(node),
            facts=self._facts(node),
        )

    def sections(self) -> list[tuple[str, list[TermDoc]]]:
        placed: set[ox.Term] = set()
        sections = []
        own_terms = sorted(
            (s for s in self.about if isinstance(s, ox.NamedNode) and s.value.startswith(self.ns)),
            key=lambda n: n.value.casefold(),
        )
        for key, type_iri in SECTIONS:
            members = [
                n
                for n in own_terms
                if n not in placed
                and any(v.value == type_iri for v in self.values(n, RDF + "type"))
            ]
            placed.update(members)
            if members:
                sections.append((key, [self.term(n) for n in members]))
        rest = [n for n in own_terms if n not in placed]
        if rest:
            sections.append(("individuals", [self.term(n) for n in rest]))
        return sections


def ontology_doc(document: Document, site: iris.Site, lang: str, href_for: HrefFor) -> OntologyDoc:
    """Return the documentation of the ontology a document holds, in a language."""
    reader = OntologyReader(document, site, lang, href_for)
    ontology = ox.NamedNode(document.topic)
    license_node = reader.one(ontology, DCTERMS + "license")
    header: dict[str, object] = {
        "title": reader.text(ontology, DCTERMS + "title") or site.short(document.topic),
        "description": reader.text(ontology, DCTERMS + "description"),
        "version": reader.text(ontology, OWL + "versionInfo"),
        "namespace": reader.text(ontology, VANN + "preferredNamespaceUri") or reader.ns,
        "prefix": reader.text(ontology, VANN + "preferredNamespacePrefix"),
        "modified": reader.text(ontology, DCTERMS + "modified"),
        "license": license_node.value if isinstance(license_node, ox.NamedNode) else None,
        "comments": reader.comments(ontology),
        "iri": document.topic,
    }
    reused = sorted(
        site.short(s.value)
        for s in reader.about
        if isinstance(s, ox.NamedNode) and not s.value.startswith(reader.ns) and s != ontology
    )
    return OntologyDoc(header, reader.sections(), reused)
