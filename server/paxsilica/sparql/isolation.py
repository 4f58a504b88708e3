"""What a process that runs queries does to itself: no network, bounded memory, a deep stack."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
from pathlib import Path

# The stack of the thread that runs queries: Oxigraph's parser and evaluator recurse, and the
# default 8 MiB overflows at a few thousand nested or chained operators (the query guard
# bounds what a query may hold so that this suffices).
QUERY_STACK_BYTES = 512 * 1024 * 1024
# How much address space a query process may add to what it starts with; a query that needs
# more fails instead of pushing the machine into swap or the OOM killer.
QUERY_MEMORY_BYTES = 4 * 1024 * 1024 * 1024
PAGE_BYTES = resource.getpagesize()

_PR_SET_PDEATHSIG = 1
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def die_with_parent() -> None:
    libc = _libc()
    if libc is not None and sys.platform.startswith("linux"):
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def isolate_network() -> bool:
    """Move this process into a new, empty network namespace; say whether that worked."""
    libc = _libc()
    if libc is None or not sys.platform.startswith("linux"):
        return False
    if libc.unshare(_CLONE_NEWNET) == 0:
        return True
    # Without privileges, a user namespace of one's own grants the right to make the other.
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        return False
    with contextlib.suppress(OSError):
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    return True


def limit_memory(extra_bytes: int) -> None:
    """Bound this process's address space to what it has now plus ``extra_bytes``."""
    try:
        status = Path("/proc/self/status").read_text()
        size_kib = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmSize:")
        )
    except (OSError, StopIteration, ValueError):
        return
    limit = size_kib * 1024 + extra_bytes
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def private_bytes_since_fork() -> int:
    """Bytes of memory this process has faulted in since it was forked: an upper bound of what
    it holds of its own (a copied page of the store, a new page of results: one minor fault
    each), read with one system call."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt * PAGE_BYTES
