"""The SPARQL lexer: a query's text as tokens, read as Oxigraph's parser reads it.

One lexer for everything that must understand a query's text without running it: the query
guard (which keywords a query holds) and the remote store (where its variables are).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate, repeat
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

_IRIREF = rf"""<(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*+>"""
_STRING = (
    rf"""'''(?:(?:''|')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*+'''"""
    rf'''|"""(?:(?:""|")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*+"""'''
    rf"""|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*+'"""
    rf'|"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*+"'
)
_BNODE = rf"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}]|\.++[{_PN_CHARS}])*+"
_LANGTAG = r"@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+"
_RUN = rf"[{_PN_CHARS_BASE}][{_PN_CHARS}.]*+"
_NUMBER = r"[0-9]++\.?[0-9]*+(?:[eE][+-]?[0-9]++)?|\.[0-9]++(?:[eE][+-]?[0-9]++)?"
_WORD_TEXT = r"[A-Za-z_][A-Za-z0-9_]*+"

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
            rf"(?P<iri>{_IRIREF})",
            rf"(?P<string>{_STRING})",
            rf"(?P<var>[?$]{_VARNAME})",
            rf"(?P<bnode>{_BNODE})",
            rf"(?P<langtag>{_LANGTAG})",
            rf"(?P<pname>:(?P<local>{_PN_LOCAL})?)",
            rf"(?P<run>{_RUN})(?P<colon>:(?P<runlocal>{_PN_LOCAL})?)?",
            rf"(?P<number>{_NUMBER})",
            rf"(?P<word>{_WORD_TEXT})",
            r"(?P<punct>.)",
        ]
    ),
    re.DOTALL,
)
# What a run of name characters not followed by a colon holds, token by token, as the
# alternatives after the prefixed name read it.
_RUN_PART = re.compile(
    rf"(?P<number>{_NUMBER})|(?P<word>{_WORD_TEXT})|(?P<punct>.)",
    re.DOTALL,
)
_WORD = re.compile(_WORD_TEXT).fullmatch
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


# --- the same terminals, read at C speed --------------------------------------------------
#
# A body of 1 MiB can hold a million tokens, and building a Token for each costs microseconds
# of Python, so the checks over a whole query read it with one re.findall, which runs in C
# (a substitution template with groups would not: Python 3.11 expands it in Python).
#
# _SCAN matches one significant token at a time, with the whitespace and comments before it,
# through the lexer's alternatives in an order that picks the same one as the lexer at every
# position (no two start with the same character, but for a blank node and a word, and the
# catch-all last). Its one group keeps what the checks need: brackets, language tags, bare
# words, and runs of name characters — a prefix with its colon (its local name is read but
# not kept), or a run without one, whose parts are counted afterwards. Every other token
# keeps nothing (an empty field). The text is scanned with "\n\0" after it, so that it
# always ends with a token: trailing whitespace never makes the scan retry at every position.
_SCAN = re.compile(
    r"(?:[ \t\r\n]++|#[^\r\n]*+)*+(?:"
    + "|".join(
        [
            # A blank node before a word: both may start with "_".
            _BNODE,
            rf"([(){{}}\[\]]|{_LANGTAG}|{_RUN}(?:(?<!\.):)?|{_WORD_TEXT})"
            rf"(?:(?<=:)(?:{_PN_LOCAL})?)?",
            r"[,;*=!|^/+&]",
            rf":(?:{_PN_LOCAL})?",
            _IRIREF,
            rf"(?:{_STRING})",
            rf"[?$]{_VARNAME}",
            rf"(?:{_NUMBER})",
            r".",
        ]
    )
    + ")",
    re.DOTALL,
)
_SENTINEL = "\n\0"
# The tokens of the kept fields, joined by NULs: one for a prefix (it ends with its colon),
# a language tag or a bracket, a run's parts as _RUN_PART reads them, and one for each field
# nothing was kept of (a NUL after a NUL). A prefix is tried only where a field starts, so
# that a long run without a colon is read once, not once from each of its parts.
_KEPT_TOKENS = re.compile(rf"(?<=\0)[^\0:]++:|@[^\0]++|(?:{_NUMBER})|{_WORD_TEXT}|[^\0]|(?<=\0)\0")
_DEPTH = {"(": 1, "{": 1, "[": 1, ")": -1, "}": -1, "]": -1}


# Fields are counted in batches of about this many characters, and a longer run of name
# characters a window of this size at a time, so that counting stops soon past a limit.
_COUNT_SLICE = 65_536
# The parts of a run of name characters, as _RUN_PART reads them; one that ends this close to
# the end of a window may read on past it (a number's exponent: "1e-5"), so it is read again
# with the next window.
_RUN_PARTS = re.compile(rf"(?:{_NUMBER})|{_WORD_TEXT}|.", re.DOTALL)
_PART_READS_ON = 4


class TextFigures(NamedTuple):
    """What the checks before a query need of its whole text (see text_figures)."""

    # How many tokens tokenize() finds in it: exact up to the limit asked for, and past it
    # some number above the limit.
    tokens: int
    # How deep its brackets nest, and, lower-cased and separated by NULs, every bare word,
    # run of name characters, prefix and language tag: the tokens in which Oxigraph could
    # read a keyword. Neither is read (0, "") for a query past the limit.
    depth: int
    code: str


def text_figures(query: str, limit: int) -> TextFigures:
    """Return a query's token count, bracket depth and keyword-bearing text.

    The same figures as reading tokenize()'s tokens, in time linear in the query's length
    and at C speed (see _SCAN); a query of more than ``limit`` tokens is read no further
    than needed to know it. A run of name characters is kept whole in ``code`` rather than
    in its parts: no keyword's letters can straddle two parts, since a part that is a word
    reads every letter and digit that follows it.
    """
    kept = _SCAN.findall(query + _SENTINEL)
    # Each field is at least one token; the sentinel's is not the query's.
    if len(kept) - 1 > limit:
        return TextFigures(len(kept) - 1, 0, "")
    count = _count_fields(kept, limit + 1) - 1
    if count > limit:
        return TextFigures(count, 0, "")
    depth = max(0, max(accumulate(map(_DEPTH.get, kept, repeat(0))), default=0))
    return TextFigures(count, depth, "\0".join(kept).lower())


def _count_fields(kept: list[str], limit: int) -> int:
    """The tokens of the kept fields (see _KEPT_TOKENS), counted until past ``limit``."""
    count, batch, size = 0, [], 0
    for field in kept:
        if len(field) > _COUNT_SLICE and field[0] != "@" and field[-1] != ":":
            count += _count_batch(batch) + _count_run(field, limit - count)
            batch, size = [], 0
        else:
            batch.append(field)
            size += len(field) + 1
            if size > _COUNT_SLICE:
                count += _count_batch(batch)
                batch, size = [], 0
        if count > limit:
            return count
    return count + _count_batch(batch)


def _count_batch(fields: list[str]) -> int:
    return _KEPT_TOKENS.subn("", "\0" + "\0".join(fields) + "\0")[1] if fields else 0


def _count_run(run: str, limit: int) -> int:
    """The parts of a long run of name characters, a window at a time, until past ``limit``."""
    count, position, size = 0, 0, len(run)
    while position < size and count <= limit:
        window = position + _COUNT_SLICE
        if window >= size:
            return count + len(_RUN_PARTS.findall(run, position))
        parts = _RUN_PARTS.findall(run, position, window)
        ends = list(accumulate(map(len, parts), initial=position))[1:]
        whole = bisect_right(ends, window - _PART_READS_ON)
        if whole == 0:  # one part longer than a window (a word): read it to its end
            return count + len(_RUN_PARTS.findall(run, position))
        count += whole
        position = ends[whole - 1]
    return count


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
