"""The SPARQL lexer: a query's text as tokens, read as Oxigraph's parser reads it.

One lexer for everything that must understand a query's text without running it: the query
guard (which keywords a query holds) and the remote store (where its variables are).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

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
#
# Every alternative reads in one pass with no backtracking that could re-read the text
# (possessive quantifiers), and none that can fail after reading far starts again inside the
# text it read, so lexing is linear in the query's length whatever the input: a prefixed
# name's prefix is read as one *run* of name characters and dots, and only then split if no
# colon follows it (``a.a.a.…`` once took time quadratic in its length).
_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<ws>[ \t\r\n]++)",
            # Punctuation that starts no other token, read before trying the others.
            r"(?P<bracket>[(){}\[\],;*=!|^/+&])",
            r"(?P<comment>#[^\r\n]*+)",
            rf"""(?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*+>)""",
            rf"""(?P<string>'''(?:(?:''|')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*+'''"""
            rf'''|"""(?:(?:""|")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*+"""'''
            rf"""|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*+'"""
            rf"""|"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*+")""",
            rf"(?P<var>[?$]{_VARNAME})",
            rf"(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}]|\.++[{_PN_CHARS}])*+)",
            r"(?P<langtag>@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+)",
            rf"(?P<pname>:(?P<local>{_PN_LOCAL})?)",
            rf"(?P<run>[{_PN_CHARS_BASE}][{_PN_CHARS}.]*+)(?P<colon>:(?P<runlocal>{_PN_LOCAL})?)?",
            r"(?P<number>[0-9]++\.?[0-9]*+(?:[eE][+-]?[0-9]++)?|\.[0-9]++(?:[eE][+-]?[0-9]++)?)",
            r"(?P<word>[A-Za-z_][A-Za-z0-9_]*+)",
            r"(?P<punct>.)",
        ]
    ),
    re.DOTALL,
)
# What a run of name characters not followed by a colon holds, token by token, as the
# alternatives after the prefixed name read it.
_RUN_PART = re.compile(
    r"(?P<number>[0-9]++\.?[0-9]*+(?:[eE][+-]?[0-9]++)?|\.[0-9]++(?:[eE][+-]?[0-9]++)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*+)|(?P<punct>.)",
    re.DOTALL,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*+").fullmatch
UCHAR_RE = re.compile(_UCHAR)
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


class Token(NamedTuple):
    """One lexical token: its terminal, its text, and for prefixed names prefix and local."""

    kind: str
    text: str
    prefix: str = ""
    local: str = ""
    # Where the token starts in the query text.
    start: int = 0


def tokenize(query: str, limit: int | None = None) -> list[Token]:
    """Return the significant tokens of a query (no whitespace, no comments).

    With ``limit``, reading stops after ``limit + 1`` tokens, so that a caller that refuses
    longer queries pays for no more than it reads.
    """
    found = []
    for token in tokens(query):
        found.append(token)
        if limit is not None and len(found) > limit:
            break
    return found


def tokens(query: str) -> Iterator[Token]:
    """Yield the significant tokens of a query, in one pass over its text."""
    position, end = 0, len(query)
    match_at = _TOKEN.match
    while position < end:
        match = match_at(query, position)
        kind = match.lastgroup
        if kind in ("colon", "runlocal"):  # the nested groups of a run with a colon
            kind = "run"
        position = match.end()
        if kind == "local":
            kind = "pname"
        elif kind == "bracket":
            kind = "punct"
        if kind == "run":
            token, position = _read_run(query, match)
            if token is not None:
                yield token
            elif _WORD(match["run"]):
                yield Token("word", match["run"], start=match.start())
            else:
                yield from _run_parts(match["run"], match.start())
        elif kind == "pname":
            yield Token("pname", match.group(), "", match["local"] or "", match.start())
        elif kind not in ("ws", "comment"):
            yield Token(kind, match.group(), start=match.start())


def _read_run(query: str, match: re.Match) -> tuple[Token | None, int]:
    """A run of name characters: a prefixed name when a colon follows it and it is a valid
    prefix (it cannot end with a dot); else None, and where reading goes on."""
    run = match["run"]
    if match["colon"] is None:
        return None, match.end()
    if run.endswith("."):
        # Not a prefix: the run's parts, then the colon starts a name of its own.
        return None, match.start("colon")
    local = match["runlocal"] or ""
    return Token("pname", match.group(), run, local, match.start()), match.end()


def _run_parts(run: str, offset: int) -> Iterator[Token]:
    for part in _RUN_PART.finditer(run):
        yield Token(part.lastgroup, part.group(), start=offset + part.start())


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
