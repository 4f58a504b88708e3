"""What held on a date: a party's place in the bloc, an export control's status.

A party is a *signatory* on day D when one of its memberships has begun by D (its day, or
its ``ps:noLaterThan`` bound, on or before D) and has not ended before D (ends are
inclusive); otherwise a *participant* when one of its participations holds on D the same
way; otherwise *outside*. An export control's status on D is that of the status assessment
covering D (``ps:statusFrom`` included, ``ps:statusUntil`` excluded): never computed from the
announced dates, never "back in force" by guess. The README's "The bloc on a date" and
"Export controls on a date" say the same; competency questions 15 and 17 check it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pyoxigraph as ox

from paxsilica.rdf.readable import ReadableStore

SIGNATORY = "signatory"
PARTICIPANT = "participant"
OUTSIDE = "outside"
BLOC_STATUSES = (SIGNATORY, PARTICIPANT, OUTSIDE)

_TIES = """
SELECT ?tie ?party ?kind ?day ?latest ?end WHERE {
  {
    ?tie a ps:Membership ; org:member ?party ; org:memberDuring ?period .
    BIND("signatory" AS ?kind)
  } UNION {
    ?tie a ps:Participation ; ps:party ?party ; time:hasTime ?period .
    BIND("participant" AS ?kind)
  }
  ?period time:hasBeginning ?begins .
  OPTIONAL { ?begins time:inXSDDate ?day }
  OPTIONAL { ?begins ps:noLaterThan ?latest }
  OPTIONAL { ?period time:hasEnd/time:inXSDDate ?end }
}
"""
_ASSESSMENTS = """
SELECT ?control ?assessment ?status ?from ?until WHERE {
  ?assessment a ps:StatusAssessment ; ps:assesses ?control ; ps:status ?status ;
      ps:statusFrom ?from .
  OPTIONAL { ?assessment ps:statusUntil ?until }
}
"""


@dataclass(frozen=True)
class Tie:
    """A membership (kind signatory) or participation (kind participant) and its days."""

    party: str
    kind: str
    begins: datetime.date | None
    ends: datetime.date | None
    # The membership's or participation's IRI (empty when a caller made the tie by hand).
    iri: str = ""

    def holds_on(self, on: datetime.date) -> bool:
        """Whether it had begun by that day and not yet ended."""
        return (
            self.begins is not None and self.begins <= on and (self.ends is None or on <= self.ends)
        )


@dataclass(frozen=True)
class Standing:
    """A party's place in the bloc on a day, and since when (None when outside)."""

    status: str
    since: datetime.date | None = None


@dataclass(frozen=True)
class Assessment:
    """A status assessment: which control, which status (an IRI), over which days."""

    iri: str
    control: str
    status: str
    starts: datetime.date
    until: datetime.date | None

    def covers(self, on: datetime.date) -> bool:
        """Whether the day is in its interval (start included, end excluded)."""
        return self.starts <= on and (self.until is None or on < self.until)


def _day(term: ox.Literal | None) -> datetime.date | None:
    if term is None:
        return None
    try:
        return datetime.date.fromisoformat(term.value)
    except ValueError:
        return None


def _select(store: ReadableStore, query: str, prefixes: dict, graphs: list) -> list:
    return list(store.query(query, prefixes=prefixes, default_graph=graphs))


def ties(store: ReadableStore, prefixes: dict, graphs: list) -> list[Tie]:
    """Every membership and participation with its first and last day."""
    found = []
    for row in _select(store, _TIES, prefixes, graphs):
        begins = _day(row["day"]) or _day(row["latest"])
        found.append(
            Tie(row["party"].value, row["kind"].value, begins, _day(row["end"]), row["tie"].value)
        )
    return found


def standings(all_ties: list[Tie], on: datetime.date) -> dict[str, Standing]:
    """Each party's place in the bloc on a day (parties absent from it are outside)."""
    found: dict[str, Standing] = {}
    for kind in (PARTICIPANT, SIGNATORY):  # a signature outranks a participation
        for tie in all_ties:
            if tie.kind == kind and tie.holds_on(on):
                current = found.get(tie.party)
                if current is None or current.status != kind or tie.begins < current.since:
                    found[tie.party] = Standing(kind, tie.begins)
    return found


def standing(found: dict[str, Standing], party: str | None) -> Standing:
    """A party's standing from :func:`standings`, outside when it has none."""
    return found.get(party or "", Standing(OUTSIDE))


def assessments(store: ReadableStore, prefixes: dict, graphs: list) -> list[Assessment]:
    """Every status assessment of an export control."""
    found = []
    for row in _select(store, _ASSESSMENTS, prefixes, graphs):
        starts = _day(row["from"])
        if starts is not None:
            found.append(
                Assessment(
                    row["assessment"].value,
                    row["control"].value,
                    row["status"].value,
                    starts,
                    _day(row["until"]),
                )
            )
    return found


def status_on(
    all_assessments: list[Assessment], control: str, on: datetime.date
) -> Assessment | None:
    """The assessment of a control covering a day, or None when none does."""
    covering = [a for a in all_assessments if a.control == control and a.covers(on)]
    return max(covering, key=lambda a: a.starts, default=None)
