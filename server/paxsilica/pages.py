"""HTML for people: the home page, entity pages, the ontology's documentation and error pages.

Every page is a Jinja2 template with autoescape on, fed by plain view models built here from
the same RDF documents the machines get; no page needs JavaScript.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.exceptions import HTTPException

from paxsilica import iris, licences, media
from paxsilica.app import published
from paxsilica.documents import (
    LABEL_PREDICATES,
    RDF_TYPE,
    Document,
    Documents,
    documents,
    vocabulary_term,
)

blueprint = Blueprint("pages", __name__)

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
# A reader's choice of language, kept so that it holds from page to page.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

PAGES_KEY = "paxsilica.pages"

DESCRIPTION_PREDICATES = (
    vocabulary_term("dcterms", "description"),
    vocabulary_term("skos", "definition"),
    vocabulary_term("rdfs", "comment"),
)
SOURCE_PREDICATE_LOCALS = ("source", "claimedBy", "contradictedBy")
SOURCE_PREDICATES_EXTERNAL = (
    vocabulary_term("prov", "wasDerivedFrom"),
    vocabulary_term("dcterms", "source"),
)
SCHEMA_URL = vocabulary_term("schema", "url")
DCTERMS_TITLE = vocabulary_term("dcterms", "title")
XSD_STRING = vocabulary_term("xsd", "string")
RDF_LANG_STRING = vocabulary_term("rdf", "langString")
MAX_NESTING = 6

# The words of the pages themselves, in each language the pages speak.
UI = {
    "en": {
        "home": "Home",
        "ontology": "Ontology",
        "dumps": "Dumps",
        "sparql": "SPARQL",
        "void": "Dataset description",
        "types": "Types",
        "properties": "Properties",
        "property": "Property",
        "value": "Value",
        "facts": "Facts about this entity",
        "incoming": "Referenced by",
        "sources": "Sources cited",
        "formats": "This document in other formats",
        "language": "Français",
        "iri": "IRI",
        "no_title": "untitled",
        "members": "Members and participants",
        "technologies": "Technologies",
        "declaration": "The declaration",
        "counts": "In numbers",
        "entities": "entities",
        "triples": "triples",
        "sources_count": "sources",
        "states": "states",
        "browse": "Browse",
        "lookup": "Look up an IRI",
        "go": "Go",
        "classes": "Classes",
        "object_properties": "Object properties",
        "datatype_properties": "Datatype properties",
        "annotation_properties": "Annotation properties",
        "schemes": "Concept schemes",
        "individuals": "Individuals",
        "subclass_of": "Subclass of",
        "superclass_of": "Superclasses of",
        "has_subclasses": "Subclasses",
        "equivalent": "Equivalent to",
        "disjoint": "Disjoint with",
        "domain": "Domain",
        "range": "Range",
        "subproperty_of": "Subproperty of",
        "inverse_of": "Inverse of",
        "characteristics": "Characteristics",
        "type": "Type",
        "in_scheme": "In scheme",
        "top_concepts": "Top concepts",
        "label_en": "Label (English)",
        "label_fr": "Label (French)",
        "definition_en": "Definition (English)",
        "definition_fr": "Definition (French)",
        "comment": "Comment",
        "version": "Version",
        "namespace": "Namespace",
        "prefix": "Preferred prefix",
        "license": "Licence",
        "modified": "Modified",
        "contents": "Contents",
        "reused_terms": "Terms reused from other vocabularies",
        "dumps_intro": "The whole dataset, for download. The N-Quads and TriG files keep the "
        "named graphs; the other formats hold the merged graph.",
        "file": "File",
        "format": "Format",
        "size": "Size (bytes)",
        "checksum": "SHA-256",
        "graph": "Named graph",
        "graph_intro": "A named graph of the published dataset.",
        "error": "Error",
        "found": "Described by",
        "address": "Address",
        "of": "of",
    },
    "fr": {
        "home": "Accueil",
        "ontology": "Ontologie",
        "dumps": "Exports",
        "sparql": "SPARQL",
        "void": "Description du jeu de données",
        "types": "Types",
        "properties": "Propriétés",
        "property": "Propriété",
        "value": "Valeur",
        "facts": "Faits sur cette entité",
        "incoming": "Cité par",
        "sources": "Sources citées",
        "formats": "Ce document dans d'autres formats",
        "language": "English",
        "iri": "IRI",
        "no_title": "sans titre",
        "members": "Membres et participants",
        "technologies": "Technologies",
        "declaration": "La déclaration",
        "counts": "En chiffres",
        "entities": "entités",
        "triples": "triplets",
        "sources_count": "sources",
        "states": "États",
        "browse": "Parcourir",
        "lookup": "Chercher un IRI",
        "go": "Aller",
        "classes": "Classes",
        "object_properties": "Propriétés d'objet",
        "datatype_properties": "Propriétés de données",
        "annotation_properties": "Propriétés d'annotation",
        "schemes": "Schémas de concepts",
        "individuals": "Individus",
        "subclass_of": "Sous-classe de",
        "superclass_of": "Superclasses de",
        "has_subclasses": "Sous-classes",
        "equivalent": "Équivalent à",
        "disjoint": "Disjoint de",
        "domain": "Domaine",
        "range": "Portée",
        "subproperty_of": "Sous-propriété de",
        "inverse_of": "Inverse de",
        "characteristics": "Caractéristiques",
        "type": "Type",
        "in_scheme": "Dans le schéma",
        "top_concepts": "Concepts de tête",
        "label_en": "Libellé (anglais)",
        "label_fr": "Libellé (français)",
        "definition_en": "Définition (anglais)",
        "definition_fr": "Définition (français)",
        "comment": "Commentaire",
        "version": "Version",
        "namespace": "Espace de noms",
        "prefix": "Préfixe préféré",
        "license": "Licence",
        "modified": "Modifié le",
        "contents": "Sommaire",
        "reused_terms": "Termes repris d'autres vocabulaires",
        "dumps_intro": "Le jeu de données complet, à télécharger. Les fichiers N-Quads et TriG "
        "gardent les graphes nommés ; les autres formats contiennent le graphe fusionné.",
        "file": "Fichier",
        "format": "Format",
        "size": "Taille (octets)",
        "checksum": "SHA-256",
        "graph": "Graphe nommé",
        "graph_intro": "Un graphe nommé du jeu de données publié.",
        "error": "Erreur",
        "found": "Décrit par",
        "address": "Adresse",
        "of": "de",
    },
}


# --- language and links ------------------------------------------------------------------------


def page_language() -> str:
    """Return the language of the page: ``?lang=``, else the reader's choice, else the best
    match of Accept-Language."""
    # Looks at the raw environ first: most requests carry none of these, and parsing (or
    # missing a key in) Werkzeug's structures is a good part of answering a cached page.
    environ = request.environ
    if "lang=" in environ.get("QUERY_STRING", ""):
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            return asked
    if LANGUAGE_COOKIE in environ.get("HTTP_COOKIE", ""):
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if chosen in LANGUAGES:
            return chosen
    if environ.get("HTTP_ACCEPT_LANGUAGE"):
        return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


@blueprint.route("/lang/<code>")
def choose_language(code: str) -> Response:
    """The language switch: remember the reader's choice, then 303 back to the page."""
    if code not in LANGUAGES:
        abort(404, description=f"no pages in {code!r}; languages: {', '.join(LANGUAGES)}")
    target = request.args.get("next", "/")
    # Only a path on this site, so that the switch cannot send readers elsewhere.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = redirect(request.script_root + target, code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path=(request.script_root or "") + "/",
        samesite="Lax",
        httponly=True,
    )
    return response


def local_href(iri: str, public_base: str) -> str | None:
    """Return the link to an IRI the server itself answers for, or None for an outside IRI."""
    path = iris.path_for_iri(iri, public_base)
    if path is None:
        return None
    return request.script_root + path


@dataclass(frozen=True)
class Alternate:
    """A link to the same document in another format."""

    href: str
    media_type: media.MediaType


# --- labels ------------------------------------------------------------------------------------


class Labels:
    """Finds a name for an IRI in a language: from the document, the ontology, or its prefix."""

    def __init__(self, triples: Iterable[ox.Triple], prefixes: dict[str, str], fallback=None):
        rank = {p: i for i, p in enumerate(LABEL_PREDICATES)}
        found: dict[str, dict[str, tuple[int, str]]] = defaultdict(dict)
        for t in triples:
            position = rank.get(t.predicate)
            if position is None or not isinstance(t.object, ox.Literal):
                continue
            language = t.object.language or ""
            current = found[t.subject.value].get(language)
            if current is None or (position, t.object.value) < current:
                found[t.subject.value][language] = (position, t.object.value)
        self._labels = {
            key: {lang: value for lang, (_, value) in by_lang.items()}
            for key, by_lang in found.items()
        }
        # Longest namespace first, so that psid's kinds win over psid itself.
        self._prefixes = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self._fallback = fallback

    def find(self, iri: str, lang: str) -> str | None:
        """Return a label of the IRI in the language (or English, or any), or None."""
        by_lang = self._labels.get(iri)
        if by_lang:
            return (
                by_lang.get(lang) or by_lang.get("en") or by_lang.get("") or min(by_lang.values())
            )
        if self._fallback is not None:
            return self._fallback.find(iri, lang)
        return None

    def curie(self, iri: str) -> str:
        """Return the IRI as a prefixed name when a known prefix fits, else the IRI itself."""
        for prefix, namespace in self._prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def label(self, iri: str, lang: str) -> str:
        """Return the best name for an IRI: a label, else a prefixed name, else the IRI."""
        return self.find(iri, lang) or self.curie(iri)


def ontology_labels(docs: Documents) -> Labels:
    """Return the labels of the ontology's terms (cached per application)."""
    cache = current_app.extensions.setdefault(PAGES_KEY, {})
    labels = cache.get("ontology labels")
    if labels is None:
        ontology = docs.ontology()
        labels = Labels(ontology.triples if ontology else (), docs.prefixes)
        cache["ontology labels"] = labels
    return labels


# --- entity pages --------------------------------------------------------------------------------


@dataclass
class Link:
    """A link to a resource: the text shown, where it goes, and the IRI it stands for."""

    text: str
    href: str | None
    iri: str
    external: bool = False


@dataclass
class Value:
    """One value of a property: a link, a literal, or a nested blank node's rows."""

    link: Link | None = None
    text: str | None = None
    language: str | None = None
    datatype: Link | None = None
    nested: list[Row] | None = None


@dataclass
class Row:
    """A property and its values."""

    predicate: Link
    values: list[Value]


@dataclass
class Fact:
    """An n-ary fact about the entity, shown whole."""

    link: Link
    kind: Link
    rows: list[Row]


@dataclass
class Cited:
    """A source cited by the entity or its facts."""

    link: Link
    title: str | None
    address: str | None


@dataclass
class EntityView:
    """Everything an entity page shows."""

    iri: str
    label: str
    description: str | None
    types: list[Link]
    rows: list[Row]
    facts: list[tuple[Link, list[Fact]]]
    incoming: list[tuple[Link, Link]]
    sources: list[Cited]
    document_iri: str
    alternates: list[Alternate] = field(default_factory=list)


class _PageBuilder:
    """Builds links and rows for the terms of one document in one language."""

    def __init__(self, docs: Documents, document: Document, lang: str):
        self.docs = docs
        self.lang = lang
        self.labels = Labels(document.triples, docs.prefixes, ontology_labels(docs))
        self.by_subject: dict[ox.Term, list[ox.Triple]] = defaultdict(list)
        for t in document.triples:
            self.by_subject[t.subject].append(t)
        ontology_ns = docs.prefixes["ps"]
        self.source_predicates = {
            *(ox.NamedNode(ontology_ns + local) for local in SOURCE_PREDICATE_LOCALS),
            *SOURCE_PREDICATES_EXTERNAL,
        }

    def link(self, iri: str) -> Link:
        href = local_href(iri, self.docs.public_base)
        return Link(self.labels.label(iri, self.lang), href or iri, iri, external=href is None)

    def literal_in_language(
        self, subject: ox.Term, predicates: Sequence[ox.NamedNode]
    ) -> str | None:
        for predicate in predicates:
            values = [
                t.object
                for t in self.by_subject.get(subject, ())
                if t.predicate == predicate and isinstance(t.object, ox.Literal)
            ]
            for wanted in (self.lang, "en", None):
                for value in sorted(values, key=lambda v: v.value):
                    if wanted is None or value.language == wanted:
                        return value.value
        return None

    def value(self, term: ox.Term, seen: frozenset) -> Value:
        if isinstance(term, ox.NamedNode):
            return Value(link=self.link(term.value))
        if isinstance(term, ox.BlankNode):
            if term in seen or len(seen) >= MAX_NESTING:
                return Value(text="…")
            return Value(nested=self.rows(term, seen | {term}))
        datatype = None
        if not term.language and term.datatype not in (XSD_STRING, RDF_LANG_STRING):
            datatype = self.link(term.datatype.value)
        return Value(text=term.value, language=term.language, datatype=datatype)

    def rows(self, subject: ox.Term, seen: frozenset = frozenset()) -> list[Row]:
        grouped: dict[ox.NamedNode, list[ox.Term]] = defaultdict(list)
        for t in self.by_subject.get(subject, ()):
            grouped[t.predicate].append(t.object)
        rows = []
        for predicate, objects in grouped.items():
            values = [self.value(o, seen) for o in objects]
            values.sort(key=lambda v: (v.link.text if v.link else (v.text or "")).casefold())
            rows.append(Row(self.link(predicate.value), values))
        # rdf:type first, then by the property's name in the page's language.
        rows.sort(key=lambda r: (r.predicate.iri != RDF_TYPE.value, r.predicate.text.casefold()))
        return rows


def entity_view(
    docs: Documents, document: Document, lang: str, alternates: Sequence[Alternate] = ()
) -> EntityView:
    """Return the view of a document's primary topic."""
    page = _PageBuilder(docs, document, lang)
    topic = ox.NamedNode(document.topic)
    types = sorted(
        (
            page.link(t.object.value)
            for t in page.by_subject.get(topic, ())
            if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode)
        ),
        key=lambda link: link.text,
    )
    nary = set(docs.nary_classes)
    fact_nodes = sorted(
        {
            t.subject
            for t in document.triples
            if t.object == topic
            and t.subject != topic
            and any(
                u.predicate == RDF_TYPE and u.object in nary for u in page.by_subject[t.subject]
            )
        },
        key=lambda node: node.value,
    )
    by_kind: dict[str, list[Fact]] = defaultdict(list)
    kinds: dict[str, Link] = {}
    for node in fact_nodes:
        kind_iri = next(
            u.object.value
            for u in page.by_subject[node]
            if u.predicate == RDF_TYPE and u.object in nary
        )
        kinds[kind_iri] = page.link(kind_iri)
        by_kind[kind_iri].append(Fact(page.link(node.value), kinds[kind_iri], page.rows(node)))
    for facts in by_kind.values():
        facts.sort(key=lambda f: f.link.text.casefold())
    incoming = sorted(
        (
            (page.link(t.subject.value), page.link(t.predicate.value))
            for t in document.triples
            if t.object == topic
            and isinstance(t.subject, ox.NamedNode)
            and t.subject != topic
            and t.subject.value != document.iri
        ),
        key=lambda pair: (pair[0].text.casefold(), pair[1].text.casefold()),
    )
    citing = {topic, *fact_nodes} | {
        t.subject for t in document.triples if isinstance(t.subject, ox.BlankNode)
    }
    cited_nodes = sorted(
        {
            t.object
            for t in document.triples
            if t.subject in citing
            and t.predicate in page.source_predicates
            and isinstance(t.object, ox.NamedNode)
        },
        key=lambda node: node.value,
    )
    sources = []
    for node in cited_nodes:
        address = next(
            (
                t.object.value
                for t in page.by_subject.get(node, ())
                if t.predicate == SCHEMA_URL and isinstance(t.object, ox.NamedNode)
            ),
            None,
        )
        title = page.literal_in_language(node, (DCTERMS_TITLE,))
        sources.append(Cited(page.link(node.value), title, address))
    sources.sort(key=lambda s: s.link.text.casefold())
    return EntityView(
        iri=document.topic,
        label=page.labels.label(document.topic, lang),
        description=page.literal_in_language(topic, DESCRIPTION_PREDICATES),
        types=types,
        rows=page.rows(topic),
        facts=[(kinds[k], by_kind[k]) for k in sorted(by_kind, key=lambda k: kinds[k].text)],
        incoming=incoming,
        sources=sources,
        document_iri=document.iri,
        alternates=list(alternates),
    )


def page_context(lang: str, title: str, alternates: Sequence[Alternate] = ()) -> dict:
    settings = published().settings
    other = "fr" if lang == "en" else "en"
    return {
        "lang": lang,
        "t": UI[lang],
        "title": title,
        "other_lang": other,
        "other_lang_href": url_for("pages.choose_language", code=other, next=request.path),
        "alternates": list(alternates),
        "base": settings.base_iri,
        "root": request.script_root,
    }


def render_entity(document: Document, lang: str, alternates: Sequence[Alternate] = ()) -> str:
    """Return the HTML page about a document's primary topic."""
    docs = documents()
    view = entity_view(docs, document, lang, alternates)
    apart = [g for g in docs.graphs if licences.licensed_apart(g)]
    notice = licences.NOTICE[lang] if licences.mentions_apart(docs.store, view.iri, apart) else None
    return render_template(
        "entity.html",
        view=view,
        licence_notice=notice,
        licence_notice_href=licences.CC_BY_NC,
        **page_context(lang, view.label, alternates),
    )


# --- the ontology's documentation ------------------------------------------------------------


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
    facts: list[tuple[str, list[list[Token]]]]


# How a datatype restriction's facets read in a class expression.
FACETS = {"minExclusive": ">", "minInclusive": "≥", "maxExclusive": "<", "maxInclusive": "≤"}


class _OntologyReader:
    """Reads an ontology graph: named terms, their axioms, and class expressions as text."""

    OWL = iris.KNOWN_VOCABULARIES["owl"]
    RDFS = iris.KNOWN_VOCABULARIES["rdfs"]
    RDF = iris.KNOWN_VOCABULARIES["rdf"]
    SKOS = iris.KNOWN_VOCABULARIES["skos"]
    XSD = iris.KNOWN_VOCABULARIES["xsd"]

    def __init__(self, document: Document, docs: Documents, lang: str):
        self.lang = lang
        self.docs = docs
        self.ns = docs.prefixes["ps"]
        self.labels = Labels(document.triples, docs.prefixes)
        self.about: dict[ox.Term, dict[str, list[ox.Term]]] = defaultdict(lambda: defaultdict(list))
        self.inverse: dict[ox.Term, dict[str, list[ox.Term]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for t in document.triples:
            self.about[t.subject][t.predicate.value].append(t.object)
            self.inverse[t.object][t.predicate.value].append(t.subject)

    def values(self, node: ox.Term, vocabulary: str, local: str) -> list[ox.Term]:
        return self.about.get(node, {}).get(vocabulary + local, [])

    def one(self, node: ox.Term, vocabulary: str, local: str) -> ox.Term | None:
        found = self.values(node, vocabulary, local)
        return found[0] if found else None

    def name(self, iri: str) -> Token:
        if iri.startswith(self.ns):
            return Token(self.labels.curie(iri), "#" + iri[len(self.ns) :])
        href = local_href(iri, self.docs.public_base)
        return Token(self.labels.curie(iri), href or iri)

    def rdf_list(self, node: ox.Term) -> list[ox.Term]:
        items: list[ox.Term] = []
        nil = self.RDF + "nil"
        while isinstance(node, ox.BlankNode) and len(items) < 1000:
            first = self.one(node, self.RDF, "first")
            if first is None:
                break
            items.append(first)
            node = self.one(node, self.RDF, "rest")
            if isinstance(node, ox.NamedNode) and node.value == nil:
                break
        return items

    def expression(self, node: ox.Term, depth: int = 0) -> list[Token]:
        """Return a class or data-range expression in Manchester-like syntax."""
        if isinstance(node, ox.NamedNode):
            return [self.name(node.value)]
        if isinstance(node, ox.Literal):
            return [Token(node.value)]
        if depth > 8:
            return [Token("…")]

        def joined(items: list[ox.Term], word: str) -> list[Token]:
            tokens: list[Token] = []
            for i, item in enumerate(items):
                if i:
                    tokens.append(Token(f" {word} "))
                inner = self.expression(item, depth + 1)
                if isinstance(item, ox.BlankNode) and len(inner) > 1:
                    tokens += [Token("("), *inner, Token(")")]
                else:
                    tokens += inner
            return tokens

        for local, word in (("intersectionOf", "and"), ("unionOf", "or")):
            members = self.one(node, self.OWL, local)
            if members is not None:
                return joined(self.rdf_list(members), word)
        complement = self.one(node, self.OWL, "complementOf")
        if complement is not None:
            return [Token("not "), *self.expression(complement, depth + 1)]
        one_of = self.one(node, self.OWL, "oneOf")
        if one_of is not None:
            tokens = [Token("{")]
            for i, item in enumerate(self.rdf_list(one_of)):
                tokens += ([Token(", ")] if i else []) + self.expression(item, depth + 1)
            return [*tokens, Token("}")]
        on_property = self.one(node, self.OWL, "onProperty")
        if on_property is not None:
            head = self.expression(on_property, depth + 1)
            for local, word in (
                ("someValuesFrom", "some"),
                ("allValuesFrom", "only"),
                ("hasValue", "value"),
            ):
                target = self.one(node, self.OWL, local)
                if target is not None:
                    inner = self.expression(target, depth + 1)
                    if isinstance(target, ox.BlankNode) and len(inner) > 1:
                        inner = [Token("("), *inner, Token(")")]
                    return [*head, Token(f" {word} "), *inner]
            for suffix, word in (
                ("minCardinality", "min"),
                ("maxCardinality", "max"),
                ("cardinality", "exactly"),
            ):
                for local in (
                    suffix,
                    "minQualifiedCardinality"
                    if suffix == "minCardinality"
                    else (
                        "maxQualifiedCardinality"
                        if suffix == "maxCardinality"
                        else "qualifiedCardinality"
                    ),
                ):
                    count = self.one(node, self.OWL, local)
                    if count is not None:
                        tokens = [*head, Token(f" {word} {count.value}")]
                        on_class = self.one(node, self.OWL, "onClass") or self.one(
                            node, self.OWL, "onDataRange"
                        )
                        if on_class is not None:
                            tokens += [Token(" "), *self.expression(on_class, depth + 1)]
                        return tokens
            return head
        on_datatype = self.one(node, self.OWL, "onDatatype")
        if on_datatype is not None:
            tokens = [*self.expression(on_datatype, depth + 1), Token("[")]
            restrictions = self.one(node, self.OWL, "withRestrictions")
            facets = self.rdf_list(restrictions) if restrictions is not None else []
            for i, facet in enumerate(facets):
                for local, symbol in FACETS.items():
                    bound = self.one(facet, self.XSD, local)
                    if bound is not None:
                        tokens.append(Token(f"{', ' if i else ''}{symbol} {bound.value}"))
            return [*tokens, Token("]")]
        return [Token("[ ]")]

    def texts(self, node: ox.Term, vocabulary: str, local: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for value in self.values(node, vocabulary, local):
            if isinstance(value, ox.Literal):
                found.setdefault(value.language or "", value.value)
        return found

    def term(self, node: ox.NamedNode) -> TermDoc:
        t = UI[self.lang]
        facts: list[tuple[str, list[list[Token]]]] = []

        def add(title: str, nodes: Iterable[ox.Term]) -> None:
            expressions = [self.expression(n) for n in nodes]
            if expressions:
                expressions.sort(key=lambda tokens: "".join(tok.text for tok in tokens))
                facts.append((title, expressions))

        owl, rdfs, skos = self.OWL, self.RDFS, self.SKOS
        add(t["type"], self.values(node, self.RDF, "type"))
        add(t["subclass_of"], self.values(node, rdfs, "subClassOf"))
        add(
            t["has_subclasses"],
            [
                s
                for s in self.inverse.get(node, {}).get(rdfs + "subClassOf", [])
                if isinstance(s, ox.NamedNode)
            ],
        )
        add(
            t["equivalent"],
            self.values(node, owl, "equivalentClass")
            + self.values(node, owl, "equivalentProperty"),
        )
        add(t["disjoint"], self.values(node, owl, "disjointWith"))
        add(t["subproperty_of"], self.values(node, rdfs, "subPropertyOf"))
        add(t["inverse_of"], self.values(node, owl, "inverseOf"))
        add(t["domain"], self.values(node, rdfs, "domain"))
        add(t["range"], self.values(node, rdfs, "range"))
        add(
            t["in_scheme"],
            self.values(node, skos, "topConceptOf") + self.values(node, skos, "inScheme"),
        )
        add(t["top_concepts"], self.values(node, skos, "hasTopConcept"))
        definitions = self.texts(node, skos, "definition")
        comments = [
            v.value
            for v in self.values(node, rdfs, "comment")
            if isinstance(v, ox.Literal) and v.language in (self.lang, None, "")
        ]
        return TermDoc(
            anchor=node.value[len(self.ns) :],
            iri=node.value,
            curie=self.labels.curie(node.value),
            labels=self.texts(node, rdfs, "label"),
            definitions=definitions,
            comments=comments,
            facts=facts,
        )

    def sections(self) -> list[tuple[str, str, list[TermDoc]]]:
        t = UI[self.lang]
        kinds = (
            ("classes", self.OWL + "Class"),
            ("object_properties", self.OWL + "ObjectProperty"),
            ("datatype_properties", self.OWL + "DatatypeProperty"),
            ("annotation_properties", self.OWL + "AnnotationProperty"),
            ("schemes", self.SKOS + "ConceptScheme"),
        )
        placed: set[ox.Term] = set()
        sections = []
        own_terms = sorted(
            (s for s in self.about if isinstance(s, ox.NamedNode) and s.value.startswith(self.ns)),
            key=lambda n: n.value.casefold(),
        )
        for key, type_iri in kinds:
            members = [
                n
                for n in own_terms
                if n not in placed
                and any(v.value == type_iri for v in self.values(n, self.RDF, "type"))
            ]
            placed.update(members)
            if members:
                sections.append((key, t[key], [self.term(n) for n in members]))
        rest = [n for n in own_terms if n not in placed]
        if rest:
            sections.append(("individuals", t["individuals"], [self.term(n) for n in rest]))
        return sections


def render_ontology(document: Document, lang: str, alternates: Sequence[Alternate] = ()) -> str:
    """Return the HTML documentation of the ontology: every term, with an anchor each."""
    docs = documents()
    reader = _OntologyReader(document, docs, lang)
    ontology = ox.NamedNode(document.topic)
    dcterms, owl, vann = (
        iris.KNOWN_VOCABULARIES["dcterms"],
        iris.KNOWN_VOCABULARIES["owl"],
        iris.KNOWN_VOCABULARIES["vann"],
    )

    def text(vocabulary: str, local: str) -> str | None:
        texts = reader.texts(ontology, vocabulary, local)
        return (
            texts.get(lang) or texts.get("en") or texts.get("") or next(iter(texts.values()), None)
        )

    license_node = reader.one(ontology, dcterms, "license")
    header = {
        "title": text(dcterms, "title") or reader.labels.curie(document.topic),
        "description": text(dcterms, "description"),
        "version": text(owl, "versionInfo"),
        "namespace": text(vann, "preferredNamespaceUri") or reader.ns,
        "prefix": text(vann, "preferredNamespacePrefix"),
        "modified": text(dcterms, "modified"),
        "license": license_node.value if isinstance(license_node, ox.NamedNode) else None,
        "comments": [
            v.value
            for v in reader.values(ontology, iris.KNOWN_VOCABULARIES["rdfs"], "comment")
            if isinstance(v, ox.Literal) and v.language in (lang, None, "")
        ],
        "iri": document.topic,
    }
    reused = sorted(
        reader.labels.curie(s.value)
        for s in reader.about
        if isinstance(s, ox.NamedNode) and not s.value.startswith(reader.ns) and s != ontology
    )
    return render_template(
        "ontology.html",
        header=header,
        sections=reader.sections(),
        reused=reused,
        **page_context(lang, header["title"], alternates),
    )


def render_graph(
    graph_iri: str, triple_count: int, lang: str, alternates: Sequence[Alternate]
) -> str:
    """Return the HTML page about one named graph: its size and its formats."""
    labels = Labels((), documents().prefixes)
    return render_template(
        "graph.html",
        graph_iri=graph_iri,
        graph_name=labels.curie(graph_iri),
        triple_count=triple_count,
        **page_context(lang, graph_iri, alternates),
    )


# --- home page ----------------------------------------------------------------------------------

_HOME_QUERY_MEMBERS = """
SELECT ?party ?role ?initiative WHERE {
  ?initiative a ps:Initiative .
  ?membership org:organization ?initiative ; org:member ?party ; org:role ?role .
}
"""
_HOME_QUERY_DECLARATIONS = "SELECT ?declaration WHERE { ?initiative ps:declaration ?declaration }"
_HOME_QUERY_TECHNOLOGIES = """
SELECT ?concept ?top WHERE {
  { ?concept a ps:StrategicComponent . BIND(?concept AS ?top) }
  UNION {
    ?concept a ?kind . VALUES ?kind { ps:Technology ps:Material }
    OPTIONAL { ?concept skos:broader+ ?top . ?top a ps:StrategicComponent }
  }
}
"""
_HOME_QUERY_LABELS = (
    "CONSTRUCT {{ ?x ?p ?l }} WHERE {{ VALUES ?p {{ {predicates} }} VALUES ?x {{ {things} }} "
    "?x ?p ?l }}"
)
_HOME_QUERY_COUNTS = """
SELECT
  (COUNT(DISTINCT ?state) AS ?states)
  (COUNT(DISTINCT ?source) AS ?sources)
WHERE { { ?state a ps:State } UNION { ?source a ps:Source } }
"""
_HOME_QUERY_ENTITIES = """
SELECT (COUNT(DISTINCT ?entity) AS ?entities) WHERE {
  ?entity ?p ?o . FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), %s))
}
"""


@dataclass
class HomeView:
    """What the home page lists."""

    initiatives: list[Link]
    members: list[tuple[Link, list[Link]]]
    declarations: list[Link]
    technologies: list[tuple[Link, list[Link]]]
    counts: dict[str, int]


def home_view(lang: str) -> HomeView:
    """Return what the home page shows, from the published data."""
    docs = documents()
    store = docs.store
    prefixes = docs.prefixes

    def select(query: str) -> list:
        return list(store.query(query, prefixes=prefixes, default_graph=list(docs.graphs)))

    rows = select(_HOME_QUERY_MEMBERS)
    mentioned = (
        {r["party"] for r in rows} | {r["role"] for r in rows} | {r["initiative"] for r in rows}
    )
    declaration_rows = select(_HOME_QUERY_DECLARATIONS)
    technology_rows = select(_HOME_QUERY_TECHNOLOGIES)
    mentioned |= {r["declaration"] for r in declaration_rows}
    mentioned |= {r["concept"] for r in technology_rows}
    label_triples = (
        list(
            store.query(
                _HOME_QUERY_LABELS.format(
                    predicates=" ".join(str(p) for p in LABEL_PREDICATES),
                    things=" ".join(str(m) for m in mentioned),
                ),
                default_graph=list(docs.graphs),
            )
        )
        if mentioned
        else []
    )
    labels = Labels(label_triples, prefixes, ontology_labels(docs))

    def link(node: ox.NamedNode) -> Link:
        href = local_href(node.value, docs.public_base)
        return Link(labels.label(node.value, lang), href or node.value, node.value, href is None)

    roles: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    for r in rows:
        roles[r["party"]].add(r["role"])
    members = sorted(
        (
            (link(p), sorted((link(role) for role in rs), key=lambda k: k.text))
            for p, rs in roles.items()
        ),
        key=lambda pair: pair[0].text.casefold(),
    )
    # Each technology is listed under every strategic component it falls under, however deep.
    tops = {r["concept"] for r in technology_rows if r["top"] == r["concept"]}
    children: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    unplaced: set[ox.NamedNode] = set()
    for r in technology_rows:
        if r["top"] is None:
            unplaced.add(r["concept"])
        elif r["top"] != r["concept"]:
            children[r["top"]].add(r["concept"])
    unplaced -= set().union(*children.values()) if children else set()

    def linked(nodes) -> list[Link]:
        return sorted((link(n) for n in nodes), key=lambda k: k.text.casefold())

    technologies = [
        (link(top), linked(children.get(top, ())))
        for top in sorted(tops, key=lambda n: labels.label(n.value, lang).casefold())
    ]
    if unplaced:
        technologies.append((Link(UI[lang]["technologies"], None, ""), linked(unplaced)))
    counts_row = select(_HOME_QUERY_COUNTS)[0]
    entities_base = docs.public_base + iris.ENTITY_BASE[len(iris.CANONICAL_BASE) :]
    entities_row = select(_HOME_QUERY_ENTITIES % ox.Literal(entities_base))[0]
    counts = {
        "members": len(members),
        "states": int(counts_row["states"].value),
        "sources": int(counts_row["sources"].value),
        "technologies": len({r["concept"] for r in technology_rows}),
        "entities": int(entities_row["entities"].value),
        "triples": sum(1 for _ in store.quads_for_pattern(None, None, None, None)),
    }
    return HomeView(
        initiatives=sorted(
            {link(r["initiative"]).iri: link(r["initiative"]) for r in rows}.values(),
            key=lambda k: k.text,
        ),
        members=members,
        declarations=[link(r["declaration"]) for r in declaration_rows],
        technologies=technologies,
        counts=counts,
    )


@blueprint.route("/")
def home() -> Response:
    """The home page: what the dataset is, its size, and links into it."""
    lang = page_language()
    cache = current_app.extensions.setdefault(PAGES_KEY, {})
    key = f"home {lang} {request.script_root}"
    body = cache.get(key)
    if body is None:
        view = home_view(lang)
        body = render_template(
            "home.html", view=view, **page_context(lang, "Pax Silica Linked Data")
        )
        cache[key] = body
    response = Response(body, content_type=media.HTML.content_type)
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.add_etag()
    return response.make_conditional(request)


@blueprint.route("/favicon.ico")
def favicon() -> Response:
    """The site icon (so that browsers asking for it get no 404)."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml")


# --- errors -------------------------------------------------------------------------------------


def error_response(code: int, name: str, message: str) -> Response:
    """Return an error as a page for browsers and as plain text for everyone else."""
    chosen = media.negotiate(request.accept_mimetypes, media.ERROR_TYPES, request.user_agent.string)
    if chosen is media.HTML:
        lang = page_language()
        body = render_template(
            "error.html",
            code=code,
            name=name,
            message=message,
            **page_context(lang, f"{code} {name}"),
        )
        response = Response(body, status=code, content_type=media.HTML.content_type)
    else:
        response = Response(
            f"{code} {name}: {message}\n", status=code, content_type=media.PLAIN_TEXT.content_type
        )
    response.headers["Vary"] = "Accept"
    return response


@blueprint.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Answer every HTTP error with a clear message and never a stack trace."""
    if error.code is None or error.code < 400:
        return error
    response = error_response(error.code, error.name, error.description or error.name)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


# The pages need nothing but this site's own stylesheet and icon.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@blueprint.after_app_request
def security_headers(response: Response) -> Response:
    """Forbid content sniffing everywhere, and anything but this site's own assets in pages."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == media.HTML.mime:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def install(app) -> None:
    """Register the pages and the error handlers on an application."""
    app.register_blueprint(blueprint)


__all__ = [
    "Alternate",
    "blueprint",
    "entity_view",
    "error_response",
    "page_language",
    "render_entity",
    "render_graph",
    "render_ontology",
]
