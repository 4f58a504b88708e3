"""Reads a SPARQL query's tokens to decide, before it runs, whether this endpoint may run it.

pyoxigraph has no public algebra to inspect, and it would call any SERVICE over HTTP, so the
endpoint tokenises the query text with the SPARQL terminals and looks for the keywords that
matter: SERVICE (federation: refused unless its target is allow-listed), FROM / FROM NAMED
(the query names its own dataset, so the union default graph must not override it) and the
update operations (refused: the endpoint is read-only).

The scan errs on the side of finding a keyword where Oxigraph's parser would not. Oxigraph
matches keywords case-insensitively and without word boundaries (``SERVICESILENT<x>{}`` and
``ASKFROM<g>{}`` parse), and a keyword may even be read out of a prefixed name's prefix
(``SERVICE:x {}`` is SERVICE applied to ``:x``). So a keyword counts when its letters occur in
any bare word or prefix, and only string literals, IRIs, comments, variables, blank node
labels and the local part of prefixed names (matched greedily by Oxigraph too) are skipped.
Whatever this scan cannot place is treated as code, never skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from paxsilica.rdf.query_text import (
    SCHEME,
    Token,
    prologue_prefixes,
    text_figures,
    tokenize,
    unescape_iri,
)
from paxsilica.rdf.query_text import (
    tokens as token_stream,
)

# Bounds the work and the recursion a query may cause in the parser; Oxigraph's recursive
# parser overflows its stack on very deep nesting (see sparql.isolation.QUERY_STACK_BYTES).
MAX_BRACKET_DEPTH = 1000
MAX_TOKENS = 200_000
# Queries shorter than this cannot nest or chain deep enough to matter, so only longer ones
# pay for counting.
SHORT_QUERY_CHARS = 65_536

# The words an update request opens with (after its prologue); glued forms such as
# INSERTDATA parse too, hence prefixes for the longer ones.
UPDATE_WORDS = ("add", "with")

FEDERATION_DISABLED = (
    "Federated query is disabled on this endpoint: SERVICE is not allowed "
    "(the server makes no outbound request on a query's behalf)."
)
UPDATE_WORD_PREFIXES = ("insert", "delete", "load", "clear", "drop", "create", "move", "copy")


class QueryRefused(Exception):
    """The endpoint will not run this query; carries the HTTP status and the reason."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class QueryFacts:
    """What the endpoint needs to know about a query before running it."""

    names_dataset: bool = False
    service_targets: tuple[str, ...] = ()


def _code_text(token: Token) -> str:
    """The part of a token in which Oxigraph could read a keyword, lower-cased."""
    if token.kind in ("word", "punct", "number", "langtag"):
        return token.text.lower()
    if token.kind == "pname":
        return token.prefix.lower()
    return ""


def _leading_keyword(stream: Iterable[Token]) -> tuple[str | None, dict[str, str]]:
    """Skip the prologue; return the first keyword after it and the prefixes it declares.

    Reads the tokens one by one and stops after the prologue, so that a long query costs no
    more than its prologue.
    """
    prefixes: dict[str, str] = {}
    stream = iter(stream)
    token = next(stream, None)
    while token is not None:
        word = token.text.lower() if token.kind == "word" else None
        if word in ("base", "version"):
            if next(stream, None) is None:
                return _code_text(token) or None, prefixes
        elif word == "prefix":
            declared = next(stream, None)
            if declared is None or declared.kind != "pname":
                return _code_text(token) or None, prefixes
            iri = next(stream, None)
            if iri is None:
                return _code_text(token) or None, prefixes
            if iri.kind == "iri" and not declared.local:
                prefixes[declared.prefix] = unescape_iri(iri.text[1:-1])
        else:
            return _code_text(token) or None, prefixes
        token = next(stream, None)
    return None, prefixes


def _nesting_and_size(tokens: int, deepest: int) -> None:
    if tokens > MAX_TOKENS:
        raise QueryRefused(
            400,
            f"Query too long: more than {MAX_TOKENS} tokens, this endpoint takes at most "
            f"{MAX_TOKENS}",
        )
    if deepest > MAX_BRACKET_DEPTH:
        raise QueryRefused(
            400,
            f"Query nested too deeply: {deepest} levels of brackets, "
            f"this endpoint takes at most {MAX_BRACKET_DEPTH}",
        )


def _service_target(tokens: list[Token], index: int, prefixes: dict[str, str]) -> str | None:
    """Return the IRI a SERVICE keyword at ``index`` calls, or None if it is not a plain IRI."""
    token = tokens[index]
    if token.kind != "word" or token.text.lower() != "service":
        return None
    index += 1
    if index < len(tokens) and tokens[index].kind == "word":
        if tokens[index].text.lower() != "silent":
            return None
        index += 1
    if index >= len(tokens):
        return None
    target = tokens[index]
    if target.kind == "iri":
        return unescape_iri(target.text[1:-1])
    if target.kind == "pname" and target.prefix in prefixes:
        return prefixes[target.prefix] + target.local.replace("\\", "")
    return None


def _allowed(iri: str, allow: tuple[str, ...]) -> bool:
    # A relative IRI would be resolved against a BASE this scan does not model: refused.
    return bool(SCHEME.match(iri)) and any(iri.startswith(prefix) for prefix in allow)


def normalize_allow_list(prefixes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return the allow-list with a '/' after each bare authority (``http://host:port``).

    Without it, ``http://127.0.0.1:80`` would also allow ``http://127.0.0.1:8000/`` and
    ``http://127.0.0.1:80@elsewhere/``.
    """
    normalized = []
    for prefix in prefixes:
        prefix = prefix.strip()
        if not prefix:
            continue
        _scheme, sep, rest = prefix.partition("://")
        if sep and "/" not in rest:
            prefix += "/"
        normalized.append(prefix)
    return tuple(normalized)


def inspect(query: str, service_allow: tuple[str, ...] = ()) -> QueryFacts:
    """Return what the endpoint needs to know about a query, or raise QueryRefused (400).

    Refuses SERVICE unless every target is an IRI under an allow-listed prefix, and queries
    too long or too deeply nested for the parser. Syntax errors, updates included, are left to
    Oxigraph, which reports them with their position (see looks_like_update).
    """
    lowered = query.lower()
    long_query = len(query) > SHORT_QUERY_CHARS
    # The common case: neither keyword's letters occur anywhere, so no scan is needed.
    if not long_query and "service" not in lowered and "from" not in lowered:
        return QueryFacts()
    # Counted at C speed, without building a token: a body of 1 MiB holds up to a million.
    figures = text_figures(query, MAX_TOKENS)
    if long_query:
        _nesting_and_size(figures.tokens, figures.depth)
    names_dataset = "from" in figures.code
    if "service" not in figures.code:
        return QueryFacts(names_dataset=names_dataset)
    if not service_allow:
        raise QueryRefused(400, FEDERATION_DISABLED)
    # Only a deployment that allows some SERVICE targets reads the tokens one by one, to
    # find each target; the query has at most MAX_TOKENS of them by now.
    tokens = tokenize(query, MAX_TOKENS)
    _, prefixes = _leading_keyword(tokens)
    targets = [
        _checked_service(tokens, index, prefixes, service_allow)
        for index, token in enumerate(tokens)
        if "service" in _code_text(token)
    ]
    return QueryFacts(names_dataset=names_dataset, service_targets=tuple(targets))


def _checked_service(
    tokens: list[Token], index: int, prefixes: dict[str, str], service_allow: tuple[str, ...]
) -> str:
    target = _service_target(tokens, index, prefixes)
    if target is None:
        raise QueryRefused(
            400,
            "SERVICE must name its endpoint with an absolute IRI or a declared prefixed name, "
            "written 'SERVICE [SILENT] <iri> { ... }'; a variable is not allowed.",
        )
    if not _allowed(target, service_allow):
        raise QueryRefused(
            400,
            f"SERVICE <{target}> is not allowed: federation is limited to endpoints under "
            f"{', '.join(service_allow)}.",
        )
    return target


def looks_like_update(query: str) -> bool:
    """Whether a query that failed to parse as a query reads as a SPARQL Update request."""
    keyword, _ = _leading_keyword(token_stream(query))
    if keyword is None:
        return False
    return keyword in UPDATE_WORDS or keyword.startswith(UPDATE_WORD_PREFIXES)


__all__ = [
    "QueryFacts",
    "QueryRefused",
    "inspect",
    "looks_like_update",
    "normalize_allow_list",
    "prologue_prefixes",
    "tokenize",
]
