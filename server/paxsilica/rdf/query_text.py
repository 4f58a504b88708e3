"""The SPARQL lexer: a query's text as tokens, read as Oxigraph's parser reads it.

One lexer for everything that must understand a query's text without running it: the query
guard (which keywords a query holds) and the remote store (where its variables are).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf"'\\]"""
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}][{_PN_CHARS}]*(?:\.+[{_PN_CHARS}]+)*"
_PN_LOCAL = (
    rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:[{_PN_CHARS}:]|{_PLX})*"
    rf"(?:\.+(?:[{_PN_CHARS}:]|{_PLX})+)*"
)
_VARNAME = rf"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"

# One alternative per terminal, tried in this order at each position; the first that matches
# is the token. IRIREF admits every character Oxigraph's IRI parser was seen to admit (and
# more), so an IRI is never lexed as code followed by a comment.
_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<ws>[ \t\r\n]+)",
            r"(?P<comment>#[^\r\n]*)",
            rf"""(?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)""",
            rf"""(?P<string>'''(?:(?:''|')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''"""
            rf'''|"""(?:(?:""|")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*"""'''
            rf"""|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*'"""
            rf"""|"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*")""",
            rf"(?P<var>[?$]{_VARNAME})",
            rf"(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}]|\.+[{_PN_CHARS}])*)",
            r"(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",
            rf"(?P<pname>(?P<prefix>{_PN_PREFIX})?:(?P<local>{_PN_LOCAL})?)",
            r"(?P<number>[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
            r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
            r"(?P<punct>.)",
        ]
    ),
    re.DOTALL,
)
UCHAR_RE = re.compile(_UCHAR)
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass(frozen=True)
class Token:
    """One lexical token: its terminal, its text, and for prefixed names prefix and local."""

    kind: str
    text: str
    prefix: str = ""
    local: str = ""
    # Where the token starts in the query text.
    start: int = 0


def tokenize(query: str) -> list[Token]:
    """Return the significant tokens of a query (no whitespace, no comments)."""
    return list(tokens(query))


def tokens(query: str) -> Iterator[Token]:
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        if kind in ("prefix", "local"):  # a nested group; the enclosing one is pname
            kind = "pname"
        if kind == "pname":
            yield Token(
                "pname", match.group(), match["prefix"] or "", match["local"] or "", match.start()
            )
        else:
            yield Token(kind, match.group(), start=match.start())


def prologue_prefixes(query: str) -> dict[str, str]:
    """Return the prefixes a query's prologue declares with absolute IRIs.

    An answer in Turtle uses them, as the query's author chose them; reading stops at the first
    token after the prologue, so a long query costs no more than a short one.
    """
    prefixes: dict[str, str] = {}
    stream = tokens(query)
    for token in stream:
        word = token.text.lower() if token.kind == "word" else None
        if word in ("base", "version"):
            next(stream, None)
        elif word == "prefix":
            declared, iri = next(stream, None), next(stream, None)
            if declared is None or iri is None:
                break
            if declared.kind == "pname" and not declared.local and iri.kind == "iri":
                value = unescape_iri(iri.text[1:-1])
                if SCHEME.match(value):
                    prefixes[declared.prefix] = value
        else:
            break
    return prefixes


def unescape_iri(text: str) -> str:
    return UCHAR_RE.sub(lambda m: chr(int(m.group()[2:], 16)), text)
