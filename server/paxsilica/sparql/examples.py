"""Ready-made queries: the examples of the query page and the competency questions.

Both are bundled data (queries/examples/ and queries/competency/), carried in the wheel; their
IRIs are canonical and are made the deployment's own like the data's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from paxsilica import iris, paths

EXAMPLE_FOLDERS = ("examples", "competency")


@dataclass(frozen=True)
class Example:
    """A ready-made query: its name (the file's stem), its title and its text."""

    name: str
    title: str
    query: str


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
