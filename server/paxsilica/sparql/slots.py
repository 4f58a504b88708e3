"""Worker processes that run one job at a time and can be stopped at any moment.

pyoxigraph cannot cancel a running query, so whatever must be stoppable runs in a process of
its own: a *slot*. The server's event loop forks each slot from itself (it is single-threaded,
so a fork copies a quiet process), sends it a job over a socket pair and reads the answer back
without blocking; stopping a slot is SIGKILL, and a fresh fork takes its place.

A slot reads a length-prefixed message, calls its handler on it and writes the handler's
answer back, on a thread with a large stack (Oxigraph's parser recurses), in an address space
capped at what it started with plus ``memory_bytes``. It dies with the process that forked it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import threading
from collections.abc import Callable

from paxsilica.sparql.isolation import (
    PAGE_BYTES,
    QUERY_STACK_BYTES,
    die_with_parent,
    isolate_network,
    limit_memory,
)

LENGTH = struct.Struct("!I")

# What a slot does with one message: the answer to send back.
Handler = Callable[[bytes], bytes]


def resident_bytes(pid: int) -> int:
    """The resident memory of a process, from /proc/PID/statm (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


class Slot:
    """The event loop's side of one slot process: its pid, its socket and what it is doing."""

    def __init__(self, pid: int, sock: socket.socket, lane: str):
        self.pid = pid
        self.sock = sock
        self.lane = lane
        self.fd = sock.fileno()
        # The resident memory the process started with; its growth is what its jobs took.
        self.resident_at_start = resident_bytes(pid)
        self.inbox = bytearray()
        self.outbox = memoryview(b"")
        self.grown = 0
        # The client connection whose request this slot runs (None: idle), and until when.
        self.client: object | None = None
        self.deadline = 0.0
        # Until when a slot whose client hung up may finish (0: it has a client, or is idle).
        self.orphan_until = 0.0
        # The answer the loop gives when it stops this slot on purpose: (status, message).
        self.stopped_for: tuple[int, str] | None = None

    def growth(self) -> int:
        """Bytes of resident memory this slot has added since it started."""
        self.grown = max(0, resident_bytes(self.pid) - self.resident_at_start)
        return self.grown

    def kill(self) -> None:
        """Stop the process at once and close its socket (it is reaped by reap_children)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.sock.close()


def spawn(
    lane: str,
    handler: Handler,
    *,
    close_fds: Callable[[], None],
    isolate: bool,
    memory_bytes: int,
    nice: int = 0,
) -> Slot:
    """Fork a slot process that serves ``handler``; return the parent's side.

    ``close_fds`` runs first in the child and closes what it must not keep (the listening
    sockets, the clients' connections, the other slots' sockets).
    """
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 0
        try:
            ours.close()
            close_fds()
            _slot_main(theirs, handler, isolate, memory_bytes, nice)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    theirs.close()
    ours.setblocking(False)
    return Slot(pid, ours, lane)


def _slot_main(sock: socket.socket, handler: Handler, isolate: bool, memory: int, nice: int):
    die_with_parent()
    for name in ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGWINCH", "SIGQUIT"):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    # The event loop decides when slots go; Ctrl-C reaches the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    if isolate:
        isolate_network()
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    sock.setblocking(True)
    threading.stack_size(QUERY_STACK_BYTES)
    worker = threading.Thread(target=_serve, args=(sock, handler), name="slot")
    worker.start()
    if memory:
        limit_memory(memory)
    worker.join()


def _serve(sock: socket.socket, handler: Handler) -> None:
    buffer = bytearray(1 << 16)
    view = memoryview(buffer)
    while True:
        try:
            message = _receive(sock, buffer, view)
        except (EOFError, OSError):
            return
        answer = handler(message)
        try:
            sock.sendall(LENGTH.pack(len(answer)) + answer)
        except OSError:
            return


def _receive(sock: socket.socket, buffer: bytearray, view: memoryview) -> bytes:
    got = 0
    while got < LENGTH.size:
        got += _more(sock, view[got:])
    (size,) = LENGTH.unpack_from(buffer)
    total = LENGTH.size + size
    if total <= len(buffer):
        while got < total:
            got += _more(sock, view[got:total])
        return bytes(view[LENGTH.size : total])
    message = bytearray(size)
    message[: got - LENGTH.size] = view[LENGTH.size : got]
    rest = memoryview(message)
    filled = got - LENGTH.size
    while filled < size:
        filled += _more(sock, rest[filled:])
    return bytes(message)


def _more(sock: socket.socket, view: memoryview) -> int:
    received = sock.recv_into(view)
    if received == 0:
        raise EOFError
    return received
