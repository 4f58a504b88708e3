"""Runs SPARQL queries in worker processes that can be killed, so every query is bounded in time.

pyoxigraph cannot cancel a running query, so queries run in worker processes and a query that
overruns its time is stopped by killing its worker (SIGKILL), which is then replaced. This is
the query runner "pool", for servers that run several requests in one process (the test
client, Flask's development server, any WSGI server; ``paxsilica serve --query-runner pool``).
``paxsilica serve`` runs queries in its own worker processes instead (paxsilica.query_process),
which saves the hop between processes; ``execute`` serves both. The design:

- A *zygote* process is forked when the pool is created, i.e. when the application is built:
  in gunicorn's master (the app is preloaded) after the store is loaded and before any thread
  or request exists. It holds the store (shared copy-on-write) and does nothing but fork
  workers and kill them on request, so every worker starts from that quiet snapshot, never
  from a busy multi-threaded web worker.
- Each web process (each gunicorn worker) opens a private channel to the zygote on first use
  and asks it for workers over that channel; the zygote hands back one end of a socket pair
  per worker (SCM_RIGHTS). A worker reads a job, runs the query, serializes the results in
  the chosen format (the fast path: the web process only copies bytes back) and writes them.
- The zygote and its workers enter an empty network namespace unless federation is
  allow-listed, so no query can make the server fetch anything even if the query guard
  missed a SERVICE; workers die with the zygote (PR_SET_PDEATHSIG), and the zygote exits when
  every web process has gone.
- Queries run on a thread with a large stack (Oxigraph's parser recurses) in a process with a
  bounded address space, so a pathological query kills its worker, not the server.
- Reading pyoxigraph's in-memory store writes to the pages it reads (its nodes carry locks and
  reference counts), so a query that scans the store makes its worker copy those pages: a
  worker past its memory allowance is retired after answering and a fresh one forked next
  time, so copies do not pile up in every worker (see ``recycle_bytes``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import marshal
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import warnings
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from paxsilica.sparql.execution import QueryJob, QueryOutcome, execute, out_of_memory, timed_out
from paxsilica.sparql.isolation import (
    QUERY_MEMORY_BYTES,
    QUERY_STACK_BYTES,
    die_with_parent,
    isolate_network,
    limit_memory,
    private_bytes_since_fork,
)

log = logging.getLogger(__name__)

# How long the web process waits for the zygote to fork a worker or kill one.
ZYGOTE_REPLY_SECONDS = 10.0
# How much memory a worker may make its own (pages of the store it copied, results it built)
# before it is replaced by a fresh fork of the zygote. A fresh worker copies again what it
# reads, which makes scans several times slower, so the default only stops the copies of a
# large in-memory store from adding up to several times its size (at a million triples a
# worker copies at most about 270 MiB and is never replaced).
RECYCLE_BYTES = 1024 * 1024 * 1024


_SPAWN = b"S"
_KILL = b"K"
_PID = struct.Struct("!q")
_LENGTH = struct.Struct("!I")


class Channel:
    """Length-prefixed messages over a blocking stream socket, with as few system calls as may be.

    A small message is written with one call and read with one; the two sides take turns, so
    neither ever reads past a message. Neither side waits with a timeout: a web process's
    deadlines are kept by its watchdog (see ``_Watchdog``), which shuts the socket of an
    overdue worker down and so ends the wait.
    """

    def __init__(self, sock: socket.socket):
        sock.setblocking(True)
        self.sock = sock
        self._buffer = bytearray(65536)

    def send(self, *parts: bytes) -> None:
        """Send one message made of the parts."""
        size = sum(len(part) for part in parts)
        self.sock.sendall(b"".join([_LENGTH.pack(size), *parts]))

    def receive(self) -> bytes | bytearray:
        """Return the next message; EOFError when the other side has gone or was shut down.

        A message larger than the channel's buffer is read straight into a buffer of its own,
        which is returned as it is: a large answer is copied once less.
        """
        view = memoryview(self._buffer)
        got = self._more(view)
        while got < _LENGTH.size:
            got += self._more(view[got:])
        (size,) = _LENGTH.unpack_from(self._buffer)
        total = _LENGTH.size + size
        if total <= len(self._buffer):
            while got < total:
                got += self._more(view[got:total])
            return bytes(view[_LENGTH.size : total])
        message = bytearray(size)
        message[: got - _LENGTH.size] = view[_LENGTH.size : got]
        rest = memoryview(message)
        filled = got - _LENGTH.size
        while filled < size:
            filled += self._more(rest[filled:])
        return message

    def _more(self, view: memoryview) -> int:
        received = self.sock.recv_into(view)
        if received == 0:
            raise EOFError
        return received

    def interrupt(self) -> None:
        """End a wait on this channel in another thread (it sees EOFError)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def fileno(self) -> int:
        """The socket's file descriptor (-1 once closed)."""
        return self.sock.fileno()

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


# --- Worker and zygote processes --------------------------------------------------------------


def _serve_jobs(store: ox.Store, channel: Channel, recycle_bytes: int) -> None:
    while True:
        try:
            raw = channel.receive()
        except (EOFError, OSError):
            return
        try:
            outcome = execute(store, QueryJob.load(raw))
        except MemoryError:
            outcome = out_of_memory()
        except Exception:
            # A bug, not the query's doing: log it for the operator, answer without details.
            traceback.print_exc(file=sys.stderr)
            outcome = QueryOutcome(500, message="Internal error while running the query.")
        if recycle_bytes and private_bytes_since_fork() > recycle_bytes:
            outcome.retire = True
        meta = marshal.dumps(outcome.meta())
        try:
            # One message: the length of the metadata, the metadata, the body.
            channel.send(_LENGTH.pack(len(meta)), meta, outcome.body)
        except OSError:
            return


def _worker_main(
    store: ox.Store, sock: socket.socket, memory_bytes: int, recycle_bytes: int, zygote: int
) -> None:
    die_with_parent()
    if os.getppid() != zygote:  # the zygote went before the death signal was armed
        return
    channel = Channel(sock)
    threading.stack_size(QUERY_STACK_BYTES)
    runner = threading.Thread(
        target=_serve_jobs, args=(store, channel, recycle_bytes), name="query"
    )
    runner.start()
    limit_memory(memory_bytes)
    runner.join()


def _reset_signals() -> None:
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    for name in (
        "SIGTERM",
        "SIGQUIT",
        "SIGHUP",
        "SIGUSR1",
        "SIGUSR2",
        "SIGWINCH",
        "SIGCHLD",
        "SIGTTIN",
        "SIGTTOU",
        "SIGABRT",
    ):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    # Ctrl-C in a terminal reaches the whole process group; the web server decides when its
    # zygote goes (by closing the control socket), so the zygote and its workers ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _close_inherited_fds(keep: set[int], keep_paths: tuple[str, ...]) -> None:
    """Close what the web process had open (its listening socket, client connections...).

    File descriptors into the store's directory stay: an on-disk store reads through them.
    """
    try:
        entries = os.listdir("/proc/self/fd")
    except OSError:
        return
    for entry in entries:
        fd = int(entry)
        if fd <= 2 or fd in keep:
            continue
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if keep_paths and target.startswith(keep_paths):
            continue
        with contextlib.suppress(OSError):
            os.close(fd)


class _Zygote:
    """The zygote's side: forks workers for each web process's channel and kills them."""

    def __init__(
        self, store: ox.Store, control: socket.socket, memory_bytes: int, recycle_bytes: int
    ):
        self.store = store
        self.control = control
        self.memory_bytes = memory_bytes
        self.recycle_bytes = recycle_bytes
        self.pid = os.getpid()
        self.channels: dict[socket.socket, set[int]] = {}
        self.children: set[int] = set()
        self.exited: dict[int, int] = {}

    def run(self) -> None:
        while True:
            readable, _, _ = select.select([self.control, *self.channels], [], [], 1.0)
            self._reap()
            for sock in readable:
                if sock is self.control:
                    if not self._accept_channel():
                        return
                else:
                    self._serve_channel(sock)

    def _accept_channel(self) -> bool:
        try:
            message, fds, _, _ = socket.recv_fds(self.control, 16, 4)
        except OSError:
            return False
        if not message:
            return False
        for fd in fds:
            channel = socket.socket(fileno=fd)
            channel.setblocking(True)
            self.channels[channel] = set()
        return True

    def _serve_channel(self, channel: socket.socket) -> None:
        try:
            message = channel.recv(16)
        except OSError:
            message = b""
        if not message:
            for pid in self.channels.pop(channel):
                self._kill(pid)
            channel.close()
            return
        try:
            if message[:1] == _SPAWN:
                pid, parent_end = self._spawn()
                self.channels[channel].add(pid)
                socket.send_fds(channel, [_PID.pack(pid)], [parent_end.fileno()])
                parent_end.close()
            elif message[:1] == _KILL:
                (pid,) = _PID.unpack(message[1:9])
                self.channels[channel].discard(pid)
                channel.sendall(_PID.pack(self._kill(pid)))
        except OSError:
            pass

    def _spawn(self) -> tuple[int, socket.socket]:
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            try:
                parent_end.close()
                self.control.close()
                for channel in self.channels:
                    channel.close()
                _worker_main(self.store, child_end, self.memory_bytes, self.recycle_bytes, self.pid)
            finally:
                os._exit(0)
        child_end.close()
        self.children.add(pid)
        return pid, parent_end

    def _kill(self, pid: int) -> int:
        """Kill one of this zygote's workers; return its wait status (-1 if unknown)."""
        if pid in self.exited:
            return self.exited.pop(pid)
        # Only a child not yet reaped: any other pid may already belong to someone else.
        if pid not in self.children:
            return -1
        self.children.discard(pid)
        try:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            return -1
        return status

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.exited[pid] = status
            if len(self.exited) > 1024:  # statuses nobody asked for
                self.exited.pop(next(iter(self.exited)))

    def shutdown(self) -> None:
        for pids in self.channels.values():
            for pid in pids:
                self._kill(pid)


def _zygote_main(
    store: ox.Store,
    control: socket.socket,
    isolate: bool,
    limits: tuple[int, int],
    keep_paths: tuple[str, ...],
) -> None:
    # Nothing inherited from the web process may be finalized here: its sockets are not ours.
    gc.freeze()
    _reset_signals()
    _close_inherited_fds({control.fileno()}, keep_paths)
    isolated = isolate_network() if isolate else False
    control.sendall(b"I1" if isolated else b"I0")
    zygote = _Zygote(store, control, *limits)
    try:
        zygote.run()
    finally:
        zygote.shutdown()


# --- The pool (in each web process) -----------------------------------------------------------


class PoolBusy(Exception):
    """No worker became free before the query's deadline."""


class ZygoteGone(Exception):
    """The zygote does not answer; the pool starts a new one."""


@dataclass(eq=False)
class _Worker:
    pid: int
    channel: Channel


class _Watchdog:
    """Ends the wait for every worker whose query has run past its deadline, in one web process.

    One thread per web process looks at the deadlines a few times a second, so that the
    threads waiting for answers block in a plain read: one system call, no timeout to arm.
    Whoever takes a worker's deadline out first (its waiting thread with the answer, or this
    thread when it is overdue) decides what became of the query; the lock (uncontended, a
    fraction of a microsecond) keeps a deadline set for the worker's next query from being
    taken for the last one's.
    """

    TICK_SECONDS = 0.05

    def __init__(self):
        self.deadlines: dict[_Worker, float] = {}
        self.closed = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, worker: _Worker, deadline: float) -> None:
        """Interrupt the worker's channel if it is still watched at the deadline."""
        with self._lock:
            self.deadlines[worker] = deadline
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="query-watchdog", daemon=True
                )
                self._thread.start()

    def unwatch(self, worker: _Worker) -> bool:
        """Stop watching the worker; False if its deadline had passed and it was interrupted."""
        with self._lock:
            return self.deadlines.pop(worker, None) is not None

    def _run(self) -> None:
        while not self.closed:
            time.sleep(self.TICK_SECONDS)
            now = time.monotonic()
            with self._lock:
                overdue = [w for w, deadline in self.deadlines.items() if deadline <= now]
                for worker in overdue:
                    del self.deadlines[worker]
            for worker in overdue:
                worker.channel.interrupt()


class _ProcessPool:
    """The workers one web process uses, over its private channel to the zygote."""

    def __init__(self, control: socket.socket, size: int):
        self.size = size
        self.cond = threading.Condition()
        self.idle: list[_Worker] = []
        self.live = 0
        self.waiting = 0
        self.watchdog = _Watchdog()
        self.channel_lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            socket.send_fds(control, [b"C"], [theirs.fileno()])
        except OSError as error:
            ours.close()
            raise ZygoteGone(str(error)) from None
        finally:
            theirs.close()
        ours.settimeout(ZYGOTE_REPLY_SECONDS)
        self.channel = ours

    def acquire(self, deadline: float) -> _Worker:
        # The common case takes no lock: list.pop is atomic, and release() appends before it
        # looks for waiters, so a waiter that missed a worker here finds it below.
        try:
            return self.idle.pop()
        except IndexError:
            pass
        with self.cond:
            self.waiting += 1
            try:
                while not self.idle and self.live >= self.size:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise PoolBusy
                    self.cond.wait(remaining)
                if self.idle:
                    return self.idle.pop()
                self.live += 1
            finally:
                self.waiting -= 1
        try:
            return self._spawn()
        except BaseException:
            with self.cond:
                self.live -= 1
                self.cond.notify()
            raise

    def _spawn(self) -> _Worker:
        with self.channel_lock:
            try:
                self.channel.sendall(_SPAWN)
                message, fds, _, _ = socket.recv_fds(self.channel, 16, 1)
            except OSError as error:
                raise ZygoteGone(str(error)) from None
        if len(message) != _PID.size or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise ZygoteGone("the zygote did not fork a worker")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=fds[0])
        return _Worker(_PID.unpack(message)[0], Channel(sock))

    def release(self, worker: _Worker) -> None:
        self.idle.append(worker)
        if self.waiting:
            with self.cond:
                self.cond.notify()

    def discard(self, worker: _Worker) -> int:
        """Kill a worker (if still alive) and return its wait status, -1 if unknown."""
        worker.channel.close()
        status = -1
        with self.channel_lock:
            try:
                self.channel.sendall(_KILL + _PID.pack(worker.pid))
                reply = self.channel.recv(16)
                if len(reply) == _PID.size:
                    (status,) = _PID.unpack(reply)
            except OSError:
                pass
        with self.cond:
            self.live -= 1
            self.cond.notify()
        return status

    def close(self) -> None:
        self.watchdog.closed = True
        with self.cond:
            for worker in self.idle:
                worker.channel.close()
            self.idle.clear()
        self.channel.close()


class _PoolState:
    """What a finalizer needs to shut a pool down, without a reference to the pool."""

    def __init__(self):
        self.lock = threading.Lock()
        self.control: socket.socket | None = None
        self.zygote_pid: int | None = None
        self.owner_pid: int | None = None
        self.isolated = False
        self.process_pool: _ProcessPool | None = None
        self.process_pid: int | None = None

    def fds(self) -> list[int]:
        found = []
        if self.control is not None and self.control.fileno() >= 0:
            found.append(self.control.fileno())
        if self.process_pool is not None:
            if self.process_pool.channel.fileno() >= 0:
                found.append(self.process_pool.channel.fileno())
            found.extend(w.channel.fileno() for w in self.process_pool.idle)
        return found

    def close(self) -> None:
        if self.process_pool is not None and self.process_pid == os.getpid():
            self.process_pool.close()
        self.process_pool = None
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.zygote_pid is not None and self.owner_pid == os.getpid():
            _reap_soon(self.zygote_pid)
        self.zygote_pid = None


def _reap_soon(pid: int, seconds: float = 2.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.01)


# Every live pool's state, so that a zygote forked for one pool can close the others' sockets.
_STATES: weakref.WeakSet[_PoolState] = weakref.WeakSet()


class QueryPool:
    """Runs queries in killable worker processes, each bounded by a deadline.

    ``size`` is how many queries one web process runs at once; more wait for a free worker
    (the wait counts against their time). ``isolate_network`` puts the workers in an empty
    network namespace (when the platform allows; see ``network_isolated``). ``memory_bytes``
    bounds what one query may allocate; a worker that has made ``recycle_bytes`` of memory its
    own is replaced after its answer (0: never).
    """

    def __init__(
        self,
        store: ox.Store,
        size: int = 4,
        *,
        isolate_network: bool = True,
        memory_bytes: int = QUERY_MEMORY_BYTES,
        recycle_bytes: int = RECYCLE_BYTES,
        keep_paths: Iterable[str] = (),
    ):
        self._store = store
        self._size = size
        self._isolate = isolate_network
        self._limits = (memory_bytes, recycle_bytes)
        self._keep_paths = tuple(str(Path(p).resolve()) for p in keep_paths)
        self._state = _PoolState()
        _STATES.add(self._state)
        self._finalizer = weakref.finalize(self, self._state.close)
        with self._state.lock:
            self._start_zygote()

    @property
    def network_isolated(self) -> bool:
        """Whether the workers run in an empty network namespace."""
        return self._state.isolated

    @property
    def zygote_pid(self) -> int | None:
        """The zygote's process id (for tests and diagnostics)."""
        return self._state.zygote_pid

    def _start_zygote(self) -> None:
        state = self._state
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        others = [fd for other in list(_STATES) if other is not state for fd in other.fds()]
        with warnings.catch_warnings():
            # Python 3.12+ warns about fork() in a threaded process; the zygote touches
            # nothing but its socket and the store, which no one writes.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                for fd in others:
                    with contextlib.suppress(OSError):
                        os.close(fd)
                _zygote_main(self._store, theirs, self._isolate, self._limits, self._keep_paths)
            finally:
                os._exit(0)
        theirs.close()
        ours.settimeout(ZYGOTE_REPLY_SECONDS)
        try:
            hello = ours.recv(2)
        except OSError:
            hello = b""
        state.control = ours
        state.zygote_pid = pid
        state.owner_pid = os.getpid()
        state.isolated = hello == b"I1"
        state.process_pool = None
        state.process_pid = None
        if self._isolate and not state.isolated:
            log.warning(
                "query workers could not be put in an empty network namespace; "
                "the query guard alone keeps queries from making outbound requests"
            )

    def _process_pool(self) -> _ProcessPool:
        state = self._state
        pid = os.getpid()
        if state.process_pid == pid and state.process_pool is not None:
            return state.process_pool
        with state.lock:
            if state.process_pid != pid or state.process_pool is None:
                if state.control is None:
                    self._start_zygote()
                try:
                    pool = _ProcessPool(state.control, self._size)
                except ZygoteGone:
                    self._start_zygote()
                    pool = _ProcessPool(state.control, self._size)
                state.process_pool, state.process_pid = pool, pid
            return state.process_pool

    def _restart(self, broken: _ProcessPool) -> None:
        with self._state.lock:
            if self._state.process_pool is broken:
                broken.close()
                if self._state.control is not None:
                    self._state.control.close()
                    self._state.control = None
                self._start_zygote()

    def run(self, job: QueryJob, timeout: float) -> QueryOutcome:
        """Run a job in a worker, answering within ``timeout`` seconds whatever happens."""
        deadline = time.monotonic() + timeout
        for _attempt in range(3):
            try:
                pool = self._process_pool()
            except ZygoteGone:
                break
            try:
                worker = pool.acquire(deadline)
            except PoolBusy:
                return QueryOutcome(
                    503,
                    message=f"Server busy: no query worker became free within {timeout:g} s. "
                    "Try again later.",
                    retry_after=10,
                )
            except ZygoteGone:
                self._restart(pool)
                continue
            pool.watchdog.watch(worker, deadline)
            try:
                worker.channel.send(job.dump())
            except OSError:
                if not pool.watchdog.unwatch(worker):
                    pool.discard(worker)
                    return timed_out(timeout)
                # The worker died while idle (killed from outside); use another.
                pool.discard(worker)
                continue
            return self._collect(pool, worker, timeout)
        return QueryOutcome(503, message="The query service is restarting. Try again shortly.")

    def _collect(self, pool: _ProcessPool, worker: _Worker, timeout: float) -> QueryOutcome:
        try:
            reply = memoryview(worker.channel.receive())
            (size,) = _LENGTH.unpack_from(reply)
            meta_end = _LENGTH.size + size
            meta = marshal.loads(reply[_LENGTH.size : meta_end])  # noqa: S302 (our own worker)
            outcome = QueryOutcome(body=bytes(reply[meta_end:]), **meta)
        except (EOFError, OSError, ValueError, TypeError, struct.error):
            if not pool.watchdog.unwatch(worker):
                pool.discard(worker)
                return timed_out(timeout)
            return self._crashed(pool, worker)
        # A worker the watchdog interrupted as its answer came has a dead channel: replace it.
        if not pool.watchdog.unwatch(worker) or outcome.retire:
            pool.discard(worker)
        else:
            pool.release(worker)
        return outcome

    def _crashed(self, pool: _ProcessPool, worker: _Worker) -> QueryOutcome:
        status = pool.discard(worker)
        if status > 0 and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGABRT:
            return out_of_memory()
        return QueryOutcome(
            500,
            message="The query worker ended unexpectedly while running this query; "
            "it has been replaced.",
        )

    def close(self) -> None:
        """Stop the zygote and every worker."""
        self._finalizer()
