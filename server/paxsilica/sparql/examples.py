"""Ready-made queries: the examples of the query page and the competency questions.

Both are bundled data (queries/examples/ and queries/competency/), carried in the wheel; their
IRIs are canonical and are made the deployment's own like the data's.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from paxsilica import iris, paths

EXAMPLE_FOLDERS = ("examples", "competency")


# A day written in a query as a typed literal: "2026-12-01"^^xsd:date.
_DATE_LITERAL = re.compile(r'"(\d{4}-\d{2}-\d{2})"\^\^xsd:date')
_NUMBERED = re.compile(r"^\d+[a-z]?-")


@dataclass(frozen=True)
class Example:
    """A ready-made query: its name (the file's stem), its title and its text."""

    name: str
    title: str
    query: str

    @property
    def slug(self) -> str:
        """The name a link gives it: the file's stem without its number
        (``single-points-of-failure``)."""
        return _NUMBERED.sub("", self.name)

    @property
    def date(self) -> str | None:
        """The one day the query is about (YYYY-MM-DD), which a reader may change; None when
        it names no day or several."""
        days = set(_DATE_LITERAL.findall(self.query))
        return days.pop() if len(days) == 1 else None

    def on(self, day: str) -> str:
        """The query about another day; ValueError when it has no single day to change."""
        if self.date is None:
            raise ValueError(f"the example {self.slug!r} names no single date to change")
        try:
            valid = re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) and datetime.date.fromisoformat(day)
        except ValueError:
            valid = None
        if not valid:
            raise ValueError(f"the date {day!r} is not a day written YYYY-MM-DD")
        return self.query.replace(f'"{self.date}"^^xsd:date', f'"{day}"^^xsd:date')


def find_example(examples: list[Example], name: str) -> Example | None:
    """The example a link names, by its slug or its file's stem."""
    return next((e for e in examples if name in (e.slug, e.name)), None)


def _title_of(path: Path, text: str) -> str:
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("# ").strip())
    title = " ".join(comment) or path.stem.replace("-", " ")
    return re.sub(r"^\d+[a-z]?\.\s*", "", title)


def query_files(folder: str) -> list[Path]:
    """Return the bundled queries of one folder (``examples`` or ``competency``), by name."""
    return sorted((paths.QUERIES_DIR / folder).glob("*.rq"))


def load_examples(site: iris.Site = iris.CANONICAL_SITE) -> list[Example]:
    """Return the bundled queries: the examples, then the competency questions."""
    examples = []
    for folder in EXAMPLE_FOLDERS:
        for path in query_files(folder):
            text = site.public_text(path.read_text(encoding="utf-8"))
            examples.append(Example(path.stem, _title_of(path, text), text))
    return examples
