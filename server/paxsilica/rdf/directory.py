"""On-disk stores: built once by ``paxsilica load``, opened read-only by ``paxsilica serve``."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from paxsilica import iris
from paxsilica.rdf.store import build_store

STORE_MANIFEST = "paxsilica-store.json"


class StoreDirectoryError(Exception):
    """An on-disk store cannot be created or opened; says which directory and why."""


@dataclass(frozen=True)
class StoreManifest:
    """What an on-disk store was built from: the base IRI it holds, its files, its size."""

    base_iri: str
    files: tuple[str, ...]
    quads: int

    def to_json(self) -> str:
        """Return the manifest as JSON."""
        return json.dumps(
            {"base_iri": self.base_iri, "files": list(self.files), "quads": self.quads}, indent=2
        )

    @classmethod
    def read(cls, directory: Path) -> StoreManifest:
        """Read the manifest of a store directory."""
        path = directory / STORE_MANIFEST
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(raw["base_iri"], tuple(raw["files"]), int(raw["quads"]))
        except FileNotFoundError:
            raise StoreDirectoryError(
                f"{directory}: not a paxsilica store (no {STORE_MANIFEST}); "
                "build one with 'paxsilica load --store DIR'"
            ) from None
        except (ValueError, KeyError, TypeError) as error:
            raise StoreDirectoryError(f"{path}: unreadable store manifest ({error})") from None


# What else a store directory holds, built from the store before it is moved into place:
# called with the finished store, the directory being built and its number of quads.
AlongsideStore = Callable[[ox.Store, Path, int], None]


def create_store_directory(
    directory: Path | str,
    extra_files: Iterable[Path | str] = (),
    site: iris.Site = iris.CANONICAL_SITE,
    progress: bool = True,
    alongside: AlongsideStore | None = None,
) -> StoreManifest:
    """Build an on-disk store of the bundled data plus the given files, replacing any old one.

    The store is built in a sibling directory and exchanged with the old one in one atomic
    rename (renameat2 RENAME_EXCHANGE), so bad input, or a kill at any moment, leaves either
    the old store or the new one, never none. What earlier loads that were killed left behind
    (``.NAME.building-*``, ``.NAME.retired-*``) is removed first. ``alongside``
    writes what goes with the store (the publication: dumps, VoID, indexes) into the same
    directory first, so it is swapped in with the store, or not at all.
    """
    target = Path(directory).resolve()

    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(target)
    building = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.building-{os.getpid()}-", dir=target.parent)
    )
    try:
        store = build_store(extra_files, site=site, store_path=building, progress=progress)
        store.optimize()
        store.flush()
        manifest = StoreManifest(
            site.public_base, tuple(str(Path(f).resolve()) for f in extra_files), len(store)
        )
        if alongside is not None:
            alongside(store, building, manifest.quads)
        del store
        (building / STORE_MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        _swap_into_place(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return manifest


def remove_stale_builds(target: Path) -> list[Path]:
    """Remove the build and retired folders of loads into ``target`` whose process has gone."""
    removed = []
    for kind in ("building", "retired"):
        for path in target.parent.glob(f".{target.name}.{kind}-*"):
            owner = path.name.removeprefix(f".{target.name}.{kind}-").split("-", 1)[0]
            if owner.isdigit() and _alive(int(owner)) and int(owner) != os.getpid():
                continue  # another load is building there right now
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_into_place(building: Path, target: Path) -> None:
    if not target.exists():
        building.rename(target)
        return
    if not (target / STORE_MANIFEST).exists():
        raise StoreDirectoryError(
            f"{target}: exists and is not a paxsilica store; refusing to replace it"
        )
    if exchange_paths(building, target):
        # The old store is now at the build path.
        shutil.rmtree(building, ignore_errors=True)
        return
    # No atomic exchange on this system: two renames, the old store kept aside in between.
    retired = target.with_name(f".{target.name}.retired-{os.getpid()}")
    target.rename(retired)
    building.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange_paths(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2); False where it is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return result == 0


def open_store_directory(directory: Path | str, site: iris.Site = iris.CANONICAL_SITE) -> ox.Store:
    """Open an on-disk store read-only, checking it was built for this deployment's base IRI."""
    path = Path(directory)
    manifest = StoreManifest.read(path)
    expected = site.public_base
    if manifest.base_iri != expected:
        raise StoreDirectoryError(
            f"{path}: built for base IRI {manifest.base_iri}, but this server publishes "
            f"{expected}; rebuild it with 'paxsilica load --store {path} --base-iri {expected}'"
        )
    try:
        return ox.Store.read_only(str(path))
    except OSError as error:
        raise StoreDirectoryError(f"{path}: cannot open the store ({error})") from None
