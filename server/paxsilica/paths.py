"""Locations of the bundled data: ontology, instances, shapes and example queries."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_root() -> Path:
    # An installed wheel carries the data inside the package; a source checkout keeps it at
    # the top of the repository, two levels above server/paxsilica/.
    bundled = _PACKAGE_DIR / "data"
    if (bundled / "ontology").is_dir():
        return bundled
    return _PACKAGE_DIR.parent.parent


DATA_ROOT = _data_root()
ONTOLOGY_DIR = DATA_ROOT / "ontology"
INSTANCES_DIR = DATA_ROOT / "instances"
SHAPES_DIR = DATA_ROOT / "shapes"
QUERIES_DIR = DATA_ROOT / "queries"


def turtle_files(directory: Path) -> list[Path]:
    """Return the Turtle files of a data directory, sorted by name."""
    return sorted(directory.glob("*.ttl"))


def ontology_files() -> list[Path]:
    """Return the bundled ontology files."""
    return turtle_files(ONTOLOGY_DIR)


def instance_files() -> list[Path]:
    """Return the bundled instance data files."""
    return turtle_files(INSTANCES_DIR)


def shape_files() -> list[Path]:
    """Return the bundled SHACL shape files."""
    return turtle_files(SHAPES_DIR)
