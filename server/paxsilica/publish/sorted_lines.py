"""Lines of bytes sorted on disk: an external merge sort in bounded memory.

The dumps and the dataset's statistics need millions of lines (N-Triples) in one order;
holding them all in a Python list would need several times their size in memory. Lines are
gathered into chunks of bounded size, each chunk is sorted and written to a run file, and the
runs are merged lazily when the lines are read back (heapq.merge keeps one line per run).
"""

from __future__ import annotations

import heapq
import itertools
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

# How many bytes of lines a sorter holds before it writes them out as a sorted run: a chunk
# costs about three times this in Python objects.
CHUNK_BYTES = 64 * 1024 * 1024
# Read and write runs in large blocks: a merge reads from every run in turn.
RUN_BUFFER_BYTES = 1024 * 1024


class SortedLines:
    """Collects lines (each ending with a newline) and gives them back sorted and unique.

    Sorting is bytewise, which for N-Triples lines is the order of their terms' text.
    """

    def __init__(self, directory: Path | str, chunk_bytes: int | None = None):
        self.directory = Path(tempfile.mkdtemp(prefix="sorted-", dir=directory))
        self.chunk_bytes = chunk_bytes or CHUNK_BYTES
        self._chunk: list[bytes] = []
        self._chunk_size = 0
        self._runs: list[Path] = []

    def add(self, line: bytes) -> None:
        """Add one line (ending with a newline)."""
        self._chunk.append(line)
        self._chunk_size += len(line)
        if self._chunk_size >= self.chunk_bytes:
            self.spill()

    def extend(self, lines: Iterable[bytes]) -> None:
        """Add lines (each ending with a newline): a list is taken whole, at once."""
        batch = lines if isinstance(lines, list) else list(lines)
        self._chunk.extend(batch)
        self._chunk_size += sum(map(len, batch))
        if self._chunk_size >= self.chunk_bytes:
            self.spill()

    def spill(self) -> None:
        """Write the lines held in memory out as a sorted run, so that they cost no memory."""
        if not self._chunk:
            return
        self._chunk.sort()
        run = self.directory / f"run-{len(self._runs):05d}"
        with open(run, "wb", buffering=RUN_BUFFER_BYTES) as out:
            out.writelines(_unique(self._chunk))
        self._runs.append(run)
        self._chunk = []
        self._chunk_size = 0

    def __iter__(self) -> Iterator[bytes]:
        """Yield every line added, sorted bytewise, each once."""
        self.spill()
        runs = [open(run, "rb", buffering=RUN_BUFFER_BYTES) for run in self._runs]  # noqa: SIM115
        try:
            yield from _unique(heapq.merge(*runs))
        finally:
            for run in runs:
                run.close()

    def count(self) -> int:
        """Return how many distinct lines were added."""
        return sum(1 for _ in self)

    def close(self) -> None:
        """Remove the run files."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self._chunk = []
        self._runs = []

    def __enter__(self) -> SortedLines:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _unique(lines: Iterable[bytes]) -> Iterator[bytes]:
    """Yield sorted lines without their repeats."""
    for line, _ in itertools.groupby(lines):
        yield line


def merge_unique(paths: Iterable[Path | str]) -> Iterator[bytes]:
    """Yield the lines of files that are each sorted, merged in order, each line once."""
    files = [open(path, "rb", buffering=RUN_BUFFER_BYTES) for path in paths]  # noqa: SIM115
    try:
        yield from _unique(heapq.merge(*files))
    finally:
        for file in files:
            file.close()


__all__ = ["SortedLines", "merge_unique"]
