"""The event loop of ``paxsilica serve``: every connection in one thread, the work in slots.

One single-threaded event loop (``selectors``, HTTP/1.1 parsed by httptools, Node's llhttp)
holds every connection, so a slow or idle client costs a socket and a few hundred bytes. Only
a complete request (headers and body, each read within its own timeout, else 408) is handed
to the application, which runs in slot processes forked from this one (paxsilica slots): a
lane of query slots for /sparql and a lane of document slots for everything else, so that
documents, pages and dumps never wait behind SPARQL. The loop admits queries: at most a few at
once per client address (429 beyond), a short queue when every slot is busy (503 beyond, and
after a short wait), both with Retry-After. It stops a slot (SIGKILL) whose request runs past
its time, whose client has hung up, or whose lane has gone over its memory budget, answers
503 itself, and forks a fresh slot. SIGTERM stops accepting, lets every request in flight
finish (or answers it 503 at the graceful timeout) and exits.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import marshal
import os
import resource
import selectors
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

import httptools

from paxsilica.sparql import slots as slot_processes
from paxsilica.web.policy import EXPOSED_HEADERS, SECURITY_HEADERS

log = logging.getLogger(__name__)
access_log = logging.getLogger("paxsilica.access")

READ_BYTES = 256 * 1024
# How much a connection may have buffered (pipelined requests, a body being read) before
# the loop stops reading from it until the request in service is answered.
MAX_PIPELINED = 8
# A connection whose answers wait unread beyond this many bytes is not served its next
# pipelined request until the client reads; one that reads nothing for options.write_seconds
# is closed, so that a client that never reads holds neither memory nor a socket for long.
OUT_HIGH_WATER = 1024 * 1024
# At most this much of a file per sendfile call, so that one fast reader of a dump does not
# hold the loop from the other connections.
FILE_CHUNK = 4 * 1024 * 1024
LINGER_SECONDS = 5.0
LINGER_BYTES = 64 * 1024 * 1024
TICK_SECONDS = 0.05
# A slot whose client hangs up may finish within this time and stay (forking a fresh one
# costs its copy of the store's pages, slow for seconds on a large in-memory store); past it,
# it is stopped: an abandoned query stops within a second.
HANGUP_GRACE_SECONDS = 0.5
SWEEP_SECONDS = 0.25
MEMORY_ANSWER = (
    503,
    "Service Unavailable: the query needed more memory than this server allows its queries, "
    "and was stopped.",
)
CRASH_ANSWER = (
    503,
    "Service Unavailable: the process serving this request ended unexpectedly; it has been "
    "replaced, try again.",
)
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "date", "server"})
# What every answer the loop writes itself carries: the one header policy (web.policy).
POLICY_HEADERS = "".join(
    f"{name}: {value}\r\n"
    for name, value in [
        *SECURITY_HEADERS.items(),
        ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
    ]
)


@dataclass(frozen=True)
class ServerOptions:
    """How the server reads requests and runs them."""

    query_slots: int = 8
    document_slots: int = 2
    queries_per_client: int = 4
    query_queue: int = 8
    queue_seconds: float = 0.5
    document_queue: int = 256
    # Documents are quick, but a dump may take a while: they wait longer for a slot.
    document_queue_seconds: float = 10.0
    # The paths served in the query lane (with or without a query string).
    query_paths: frozenset[bytes] = frozenset({b"/sparql", b"/sparql/"})
    query_timeout: float = 30.0
    document_timeout: float = 60.0
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    keepalive_seconds: float = 5.0
    write_seconds: float = 30.0
    max_body_bytes: int = 1024 * 1024
    max_request_line: int = 16 * 1024 + 1024
    max_header_bytes: int = 64 * 1024
    # What the query slots together may add to their resident memory.
    memory_budget_bytes: int = 4 * 1024**3
    # The address-space cap of each slot above its start: the hard stop behind the budget.
    slot_memory_bytes: int = 5 * 1024**3
    # An idle slot that has grown by more than this is replaced (0: never).
    recycle_bytes: int = 1024**3
    isolate: bool = True
    graceful_seconds: float = 35.0
    max_connections: int = 10000
    # What all connections together may hold of request bodies being read and of answers
    # not yet written; past either, a new request is answered 503 from the loop.
    max_buffered_bytes: int = 512 * 1024**2
    # Query slots run at the lowest priority (nice 19), so that the loop (which answers the
    # refusals) and the documents get the CPU first when queries take all of it.
    query_nice: int = 19
    # Whether each answer is logged to the "paxsilica.access" logger (one line, Common Log
    # Format with the time taken).
    access_log: bool = False


class Request:
    """One complete request, as the loop read it."""

    __slots__ = (
        "body",
        "headers",
        "keep_alive",
        "lane",
        "method",
        "received",
        "target",
        "version",
    )

    def __init__(self, method, target, version, headers, body, keep_alive, query_paths):
        self.received = time.monotonic()
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive
        self.lane = "query" if target.split(b"?", 1)[0] in query_paths else "document"


class FileBody:
    """The part of a file an answer sends as its body, read by the kernel (sendfile)."""

    def __init__(self, fd: int, offset: int, remaining: int):
        self.fd = fd
        self.offset = offset
        self.remaining = remaining

    @classmethod
    def open(cls, where) -> FileBody | None:
        """Open what a slot named (path, offset, length, identity); None if it has changed."""
        path, offset, length, identity = where
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        found = os.fstat(fd)
        if (found.st_ino, found.st_size) != tuple(identity) or offset + length > found.st_size:
            os.close(fd)
            return None
        return cls(fd, offset, length)

    def send(self, sock: socket.socket) -> int:
        """Send what the socket takes of the rest; raises BlockingIOError when it takes none."""
        sent = os.sendfile(sock.fileno(), self.fd, self.offset, min(self.remaining, FILE_CHUNK))
        if sent == 0:
            raise EOFError  # the file is shorter than it was: the answer cannot be finished
        self.offset += sent
        self.remaining -= sent
        return sent

    def close(self) -> None:
        os.close(self.fd)


class Connection:
    """One client connection and the state of the request being read on it."""

    def __init__(self, server: Server, sock: socket.socket, peer):
        self.server = server
        self.sock = sock
        self.fd = sock.fileno()
        self.host = peer[0] if isinstance(peer, tuple) else "local"
        self.port = peer[1] if isinstance(peer, tuple) else 0
        self.parser = httptools.HttpRequestParser(self)
        self.ready: deque[Request] = deque()
        self.active: Request | None = None
        self.out = bytearray()
        # The rest of a file being sent after ``out`` (a dump, straight from disk).
        self.file: FileBody | None = None
        self.written_at = 0.0  # when the client last took some of the output
        self.continue_pending = False  # a 100 Continue to send once the answers before it are
        self.writing = False
        self.reading = True
        self.closing = False  # close once the output is written
        self.lingering = False
        self.linger_until = 0.0
        self.discarded = 0
        self.error: tuple[int, str] | None = None
        self.deadline = time.monotonic() + server.options.header_seconds
        self.slot = None
        self.queued_at = 0.0
        self.events = selectors.EVENT_READ
        self._reset()

    def has_output(self) -> bool:
        """Whether some of an answer is still to be written."""
        return bool(self.out) or self.file is not None

    def may_start_next(self) -> bool:
        """Whether the next pipelined request may be answered: its answer must follow this
        one's, so not while a file is sent, nor while the client is far behind."""
        return self.file is None and len(self.out) < OUT_HIGH_WATER

    def _reset(self) -> None:
        self.url = bytearray()
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.body_bytes = 0
        self.header_bytes = 0
        self.header_size = 0
        self.in_headers = False
        self.in_body = False
        self.declared_body = 0

    # --- httptools callbacks (they never raise: a flag is checked after feed_data) ---------

    def on_message_begin(self) -> None:
        self._reset()
        self.in_headers = True
        if self.active is None and not self.ready:
            self.deadline = time.monotonic() + self.server.options.header_seconds

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.server.options.max_request_line:
            self.error = self.error or (414, "URI Too Long: the request line is too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        self.header_size += len(name) + len(value) + 4
        if self.header_size > self.server.options.max_header_bytes:
            self.error = self.error or (431, "Request Header Fields Too Large")

    def on_headers_complete(self) -> None:
        options = self.server.options
        self.in_headers = False
        self.in_body = True
        length = expect = None
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"content-length":
                length = value
            elif lowered == b"expect":
                expect = value.lower()
        if length is not None:
            try:
                self.declared_body = int(length)
            except ValueError:
                self.declared_body = 0
        if self.declared_body > options.max_body_bytes:
            self.error = self.error or (413, self.server.too_large)
            return
        if expect == b"100-continue" and self.error is None and self.declared_body:
            # Only between answers: a 100 Continue written while an earlier pipelined request
            # is answered would land inside that answer.
            if self.active is None and not self.ready and self.file is None:
                self.server.add_output(self, b"HTTP/1.1 100 Continue\r\n\r\n")
            else:
                self.continue_pending = True
        if self.active is None and not self.ready:
            self.deadline = time.monotonic() + options.body_seconds

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        if self.body_bytes > self.server.options.max_body_bytes:
            self.error = self.error or (413, self.server.too_large)
        elif self.error is None:
            self.body.append(body)

    def on_message_complete(self) -> None:
        self.in_body = False
        parser = self.parser
        version = parser.get_http_version()
        request = Request(
            parser.get_method().decode("latin-1"),
            bytes(self.url),
            version,
            self.headers,
            b"".join(self.body),
            parser.should_keep_alive(),
            self.server.options.query_paths,
        )
        self.ready.append(request)
        self.declared_body = 0
        self.continue_pending = False
        self.deadline = time.monotonic() + self.server.options.header_seconds

    def feed(self, data: bytes) -> None:
        """Parse what arrived; on a malformed request, answer 400 and close."""
        if not self.in_body:
            self.header_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            # An Upgrade (h2c, websocket) is ignored: the request is served over HTTP/1.1.
            offset = upgrade.args[0] if upgrade.args else len(data)
            if self.declared_body:
                self.error = self.error or (400, "Bad Request: an Upgrade request with a body")
            else:
                self.parser = httptools.HttpRequestParser(self)
                if offset < len(data):
                    self.feed(data[offset:])
        except httptools.HttpParserError as error:
            self.error = self.error or (400, f"Bad Request: {error}")
        if self.in_headers and self.header_bytes > self.server.options.max_header_bytes:
            self.error = self.error or (431, "Request Header Fields Too Large")


class Lane:
    """Slots of one kind, their queue and their admission rules."""

    def __init__(
        self, name: str, size: int, queue: int, wait: float, timeout: float, per_client: int
    ):
        self.name = name
        self.size = size
        self.queue_limit = queue
        self.wait = wait  # the longest a request waits in the queue
        self.timeout = timeout
        self.per_client = per_client
        self.slots: list = []
        self.idle: list = []
        self.queue: deque[Connection] = deque()
        self.clients: dict[str, int] = {}


class Server:
    """The event loop: accepts, reads, admits, dispatches to slots, answers."""

    def __init__(
        self,
        listeners: list[socket.socket],
        handler: Callable[[bytes], bytes],
        options: ServerOptions,
        server_name: str = "localhost",
    ):
        self.listeners = listeners
        self.handler = handler
        self.options = options
        self.too_large = (
            f"Content Too Large: this server takes request bodies of at most "
            f"{options.max_body_bytes} bytes"
        )
        self.selector = selectors.EpollSelector()
        self.connections: dict[int, Connection] = {}
        self.lanes = {
            "query": Lane(
                "query",
                options.query_slots,
                options.query_queue,
                options.queue_seconds,
                options.query_timeout,
                options.queries_per_client,
            ),
            "document": Lane(
                "document",
                options.document_slots,
                options.document_queue,
                options.document_queue_seconds,
                options.document_timeout,
                0,
            ),
        }
        self.by_fd: dict[int, object] = {}
        # How each slot process ended (waitpid status), for the answer to its request.
        self.exits: dict[int, int] = {}
        self.draining = False
        self.drain_deadline = 0.0
        # Whether connections hold more buffered bytes than options.max_buffered_bytes
        # (measured by each sweep), and until when accepting pauses after running out of
        # file descriptors.
        self.overloaded = False
        self.accept_paused_until = 0.0
        self.max_connections = options.max_connections
        self.stopped = False
        self._date = ("", 0)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    # --- slots -------------------------------------------------------------------------------

    def _close_in_child(self) -> None:
        for sock in self.listeners:
            sock.close()
        for fd in list(self.connections):
            with contextlib.suppress(OSError):
                os.close(fd)
        for lane in self.lanes.values():
            for slot in lane.slots:
                with contextlib.suppress(OSError):
                    slot.sock.close()
        self._wake_r.close()
        self._wake_w.close()
        with contextlib.suppress(OSError):
            self.selector.close()

    def _spawn(self, lane: Lane):
        query = lane.name == "query"
        slot = slot_processes.spawn(
            lane.name,
            self.handler,
            close_fds=self._close_in_child,
            isolate=self.options.isolate,
            memory_bytes=self.options.slot_memory_bytes,
            nice=self.options.query_nice if query else 0,
        )
        lane.slots.append(slot)
        lane.idle.append(slot)
        self.by_fd[slot.fd] = slot
        self.selector.register(slot.fd, selectors.EVENT_READ, slot)
        return slot

    def _retire(self, slot, replace: bool = True) -> None:
        lane = self.lanes[slot.lane]
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(slot.fd)
        self.by_fd.pop(slot.fd, None)
        slot.kill()
        if slot in lane.slots:
            lane.slots.remove(slot)
        if slot in lane.idle:
            lane.idle.remove(slot)
        if replace and not self.stopped:
            self._spawn(lane)
            self._dispatch(lane)

    # --- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then drain and return."""
        self._raise_file_limit()
        for lane in self.lanes.values():
            for _ in range(lane.size):
                self._spawn(lane)
        signal.set_wakeup_fd(self._wake_w.fileno())
        for name in ("SIGTERM", "SIGINT"):
            signal.signal(getattr(signal, name), self._on_stop)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        for sock in self.listeners:
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, "accept")
        next_tick = next_sweep = 0.0
        select = self.selector.select
        while True:
            for key, mask in select(TICK_SECONDS):
                try:
                    self._event(key.data, key.fileobj, mask)
                except Exception:
                    # One connection's or slot's failure must not end the loop: it is logged
                    # and that connection or slot dropped; everyone else is served on.
                    log.exception("serving core: dropping %r after an error", key.data)
                    self._drop(key.data)
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + TICK_SECONDS
                self._guarded(self._tick, now)
                if now >= next_sweep:
                    next_sweep = now + SWEEP_SECONDS
                    self._guarded(self._sweep, now)
                if self.draining and self._drained(now):
                    break
        self._shutdown()

    def _event(self, data, fileobj, mask: int) -> None:
        if data.__class__ is Connection:
            if mask & selectors.EVENT_READ:
                self._readable(data)
            if mask & selectors.EVENT_WRITE and data.fd in self.connections:
                self._flush(data)
        elif data == "accept":
            self._accept(fileobj)
        elif data == "wake":
            self._woken()
        else:
            self._slot_readable(data)

    def _guarded(self, step: Callable[[float], None], now: float) -> None:
        try:
            step(now)
        except Exception:
            log.exception("serving core: error in the periodic checks")

    def _drop(self, data) -> None:
        """Forget a connection or a slot whose handling raised, as cleanly as can be."""
        with contextlib.suppress(Exception):
            if data.__class__ is Connection:
                self._cancel(data)
                self._close(data)
            elif isinstance(data, slot_processes.Slot):
                self._slot_failed(data)

    def _raise_file_limit(self) -> None:
        """Raise the soft limit on open files to the hard one, and hold fewer connections
        than it allows (the slots' sockets and the store's files need some too)."""
        with contextlib.suppress(ValueError, OSError):
            _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            slots = sum(lane.size for lane in self.lanes.values())
            room = max(16, soft - 2 * slots - 256)
            self.max_connections = min(self.options.max_connections, room)

    def _on_stop(self, *_args) -> None:
        if not self.draining:
            self.draining = True
            self.drain_deadline = time.monotonic() + self.options.graceful_seconds

    def _woken(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_r.recv(4096):
                pass
        self._reap()
        if self.draining:
            for sock in self.listeners:
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.unregister(sock)
                sock.close()
            self.listeners = []

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.exits[pid] = status

    def _drained(self, now: float) -> bool:
        for conn in list(self.connections.values()):
            reading = conn.in_headers or conn.in_body
            if conn.active is None and not conn.ready and not conn.has_output() and not reading:
                self._close(conn)
        busy = any(c.active is not None or c.has_output() for c in self.connections.values())
        if not busy:
            return True
        if now < self.drain_deadline:
            return False
        for conn in list(self.connections.values()):
            if conn.active is not None:
                self._cancel(conn)
                self._answer_error(conn, 503, "Service Unavailable: the server is stopping")
            self._close(conn)
        return True

    def _shutdown(self) -> None:
        self.stopped = True
        for lane in self.lanes.values():
            for slot in list(lane.slots):
                self._retire(slot, replace=False)
        self._reap()

    # --- connections -------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(64):
            try:
                sock, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # The listener stays readable, so waiting for it would spin: accepting
                    # pauses for a tick, and the waiting clients stay in the backlog.
                    log.warning("cannot accept a connection: %s", error)
                    self._pause_accepting()
                return
            if len(self.connections) >= self.max_connections:
                sock.close()
                continue
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(self, sock, peer)
            self.connections[conn.fd] = conn
            self.selector.register(sock, selectors.EVENT_READ, conn)

    def _pause_accepting(self) -> None:
        self.accept_paused_until = time.monotonic() + TICK_SECONDS * 2
        for sock in self.listeners:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(sock)

    def _resume_accepting(self, now: float) -> None:
        if self.accept_paused_until and now >= self.accept_paused_until:
            self.accept_paused_until = 0.0
            for sock in self.listeners:
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.register(sock, selectors.EVENT_READ, "accept")

    def _readable(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            # The client has gone (or half-closed): whatever it asked for is abandoned.
            self._cancel(conn)
            self._close(conn)
            return
        if conn.lingering:
            conn.discarded += len(data)
            if conn.discarded > LINGER_BYTES:
                self._close(conn)
            return
        if conn.error is not None:
            return
        if self.overloaded and conn.in_body and conn.active is None:
            conn.error = (503, "Service Unavailable: the server is holding too much data")
            if conn.file is None:
                self._reject(conn)
            return
        conn.feed(data)
        if conn.error is not None and conn.active is None and conn.file is None:
            self._reject(conn)
            return
        if conn.has_output() and not conn.writing:
            self._flush(conn)
        if conn.active is None and conn.ready and conn.may_start_next():
            self._start(conn)
        if len(conn.ready) >= MAX_PIPELINED and conn.reading:
            conn.reading = False
            self._set_events(conn)

    def _reject(self, conn: Connection) -> None:
        status, message = conn.error
        conn.ready.clear()
        headers = {"Retry-After": "2"} if status == 503 else None
        self._send_plain(conn, status, message, close=True, headers=headers)

    def _set_events(self, conn: Connection) -> None:
        events = (selectors.EVENT_READ if conn.reading else 0) | (
            selectors.EVENT_WRITE if conn.writing else 0
        )
        if events == conn.events or conn.fd not in self.connections:
            return
        if conn.events == 0:
            self.selector.register(conn.sock, events, conn)
        elif events == 0:
            self.selector.unregister(conn.sock)
        else:
            self.selector.modify(conn.sock, events, conn)
        conn.events = events

    def _close(self, conn: Connection) -> None:
        if self.connections.pop(conn.fd, None) is None:
            return
        if conn.file is not None:
            conn.file.close()
            conn.file = None
        if conn.events:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(conn.sock)
        conn.sock.close()

    def _flush(self, conn: Connection) -> None:
        if conn.out:
            try:
                sent = conn.sock.send(conn.out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._cancel(conn)
                self._close(conn)
                return
            if sent:
                conn.written_at = time.monotonic()
                del conn.out[:sent]
        if not conn.out and conn.file is not None and not self._send_file(conn):
            return
        ready = conn.active is None and conn.ready and not conn.closing
        if ready and conn.may_start_next():
            # The client has read enough of its answers for the next pipelined request.
            self._start(conn)
            if conn.fd not in self.connections:
                return
        if conn.has_output():
            if not conn.writing:
                conn.writing = True
                self._set_events(conn)
            return
        if conn.writing:
            conn.writing = False
            self._set_events(conn)
        if conn.closing and not conn.lingering:
            self._linger(conn)

    def _send_file(self, conn: Connection) -> bool:
        """Send more of the connection's file; False if the connection was closed."""
        try:
            if conn.file.send(conn.sock):
                conn.written_at = time.monotonic()
        except (BlockingIOError, InterruptedError):
            return True
        except (OSError, EOFError):
            self._close(conn)
            return False
        if conn.file.remaining == 0:
            conn.file.close()
            conn.file = None
            if conn.active is None and conn.error is not None:
                self._reject(conn)  # held back until the answer before it was whole
                return conn.fd in self.connections
            if conn.continue_pending and conn.active is None and not conn.ready:
                conn.continue_pending = False
                conn.out += b"HTTP/1.1 100 Continue\r\n\r\n"
        return True

    def _linger(self, conn: Connection) -> None:
        """Close after the answer, reading what the client still sends, so that it sees it."""
        conn.lingering = True
        conn.linger_until = time.monotonic() + LINGER_SECONDS
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_WR)
        if not conn.reading:
            conn.reading = True
            self._set_events(conn)

    def add_output(self, conn: Connection, data: bytes) -> None:
        """Queue bytes to write to a connection (written by the next flush)."""
        if not conn.out:
            conn.written_at = time.monotonic()
        conn.out += data

    # --- requests ----------------------------------------------------------------------------

    def _start(self, conn: Connection) -> None:
        """Admit the next complete request of a connection into its lane."""
        request = conn.ready.popleft()
        conn.active = request
        if not conn.reading and len(conn.ready) < MAX_PIPELINED:
            conn.reading = True
            self._set_events(conn)
        lane = self.lanes[request.lane]
        if self.overloaded:
            self._busy(conn, 503, lane, "Service Unavailable: the server is holding too much data")
            return
        if lane.per_client:
            held = lane.clients.get(conn.host, 0)
            if held >= lane.per_client:
                self._busy(
                    conn,
                    429,
                    lane,
                    "Too Many Requests: this client has "
                    f"{held} queries running or waiting; wait for their answers",
                )
                return
            lane.clients[conn.host] = held + 1
        if lane.idle:
            self._run(lane, lane.idle.pop(), conn)
        elif len(lane.queue) < lane.queue_limit:
            conn.queued_at = time.monotonic()
            lane.queue.append(conn)
        else:
            self._release_client(lane, conn)
            self._busy(conn, 503, lane, "Service Unavailable: every query slot is busy")

    def _busy(self, conn: Connection, status: int, lane: Lane, message: str) -> None:
        retry = "1" if status == 429 else "2"
        self._answer_error(conn, status, message, {"Retry-After": retry})

    def _release_client(self, lane: Lane, conn: Connection) -> None:
        if lane.per_client:
            held = lane.clients.get(conn.host, 0) - 1
            if held > 0:
                lane.clients[conn.host] = held
            else:
                lane.clients.pop(conn.host, None)

    def _run(self, lane: Lane, slot, conn: Connection) -> None:
        request = conn.active
        message = marshal.dumps(
            (
                request.method,
                request.target,
                request.version,
                request.headers,
                request.body,
                conn.host,
                conn.port,
            )
        )
        slot.client = conn
        slot.deadline = time.monotonic() + lane.timeout
        conn.slot = slot
        data = slot_processes.LENGTH.pack(len(message)) + message
        try:
            sent = slot.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            sent = -1
        if sent < 0:
            self._slot_failed(slot)
            return
        if sent < len(data):
            slot.outbox = memoryview(data)[sent:]
            self.selector.modify(slot.fd, selectors.EVENT_READ | selectors.EVENT_WRITE, slot)

    def _slot_readable(self, slot, mask: int = selectors.EVENT_READ) -> None:
        if slot.outbox:
            try:
                sent = slot.sock.send(slot.outbox)
                slot.outbox = slot.outbox[sent:]
            except BlockingIOError:
                pass
            except OSError:
                self._slot_failed(slot)
                return
            if not slot.outbox:
                self.selector.modify(slot.fd, selectors.EVENT_READ, slot)
        try:
            chunk = slot.sock.recv(READ_BYTES)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._slot_failed(slot)
            return
        inbox = slot.inbox
        inbox += chunk
        if len(inbox) < 4:
            return
        (size,) = slot_processes.LENGTH.unpack_from(inbox)
        if len(inbox) < size + 4:
            return
        reply = bytes(inbox[4 : 4 + size])
        del inbox[:]
        conn = slot.client
        slot.client = None
        slot.orphan_until = 0.0
        lane = self.lanes[slot.lane]
        lane.idle.append(slot)
        if conn is not None:
            conn.slot = None
            self._release_client(lane, conn)
            try:
                status, headers, body, where = marshal.loads(reply)  # noqa: S302 - our own slot
            except (ValueError, TypeError, EOFError):
                log.error("serving core: a %s slot answered what it should not", slot.lane)
                self._answer_error(conn, 500, "Internal Server Error: the answer was unreadable")
            else:
                self._answer_from_slot(conn, status, headers, body, where)
        self._dispatch(lane)

    def _dispatch(self, lane: Lane) -> None:
        while lane.idle and lane.queue:
            conn = lane.queue.popleft()
            if conn.fd in self.connections and conn.active is not None:
                self._run(lane, lane.idle.pop(), conn)

    def _slot_failed(self, slot) -> None:
        conn = slot.client
        slot.client = None
        lane = self.lanes[slot.lane]
        reason = slot.stopped_for or self._death_of(slot)
        self._retire(slot)
        if conn is not None:
            conn.slot = None
            self._release_client(lane, conn)
            status, message = reason or CRASH_ANSWER
            self._answer_error(conn, status, message, {"Retry-After": "1"})

    def _death_of(self, slot) -> tuple[int, str] | None:
        """Why a slot ended by itself: an allocation that failed aborts it (Rust's policy)."""
        status = self.exits.pop(slot.pid, None)
        for _ in range(50):
            if status is not None:
                break
            try:
                pid, found = os.waitpid(slot.pid, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                status = found
            else:
                time.sleep(0.001)
        if status is None:
            return None
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGABRT, signal.SIGSEGV):
            return MEMORY_ANSWER
        return None

    def _cancel(self, conn: Connection) -> None:
        """Stop whatever the connection's request holds: its place in a queue, or its slot."""
        request = conn.active
        if request is None:
            return
        lane = self.lanes[request.lane]
        slot = conn.slot
        if slot is not None:
            slot.client = None
            slot.orphan_until = time.monotonic() + HANGUP_GRACE_SECONDS
            conn.slot = None
            self._release_client(lane, conn)
        elif conn in lane.queue:
            lane.queue.remove(conn)
            self._release_client(lane, conn)
        conn.active = None

    # --- answers -----------------------------------------------------------------------------

    def _date_header(self) -> str:
        now = int(time.time())
        if self._date[1] != now:
            self._date = (formatdate(now, usegmt=True), now)
        return self._date[0]

    def _answer_from_slot(self, conn: Connection, status: str, headers, body, where) -> None:
        """Write a slot's answer, whose body may be a file on disk the loop sends itself."""
        if where is None:
            self._answer(conn, status, headers, body)
            return
        file = FileBody.open(where)
        if file is None:
            message = "Service Unavailable: the file changed while it was being sent; try again"
            self._answer_error(conn, 503, message, {"Retry-After": "1"})
            return
        self._answer(conn, status, headers, b"", file=file)

    def _answer(
        self,
        conn: Connection,
        status: str,
        headers,
        body: bytes,
        close=False,
        own=False,
        file: FileBody | None = None,
    ) -> None:
        """Write an answer to the connection's request; ``own``: the loop wrote it itself, so
        it gets the header policy the application gives its own answers; ``file``: the body
        is sent from disk after ``body``."""
        request = conn.active
        conn.active = None
        keep = not close and request is not None and request.keep_alive and not self.draining
        parts = [f"HTTP/1.1 {status}\r\nServer: paxsilica\r\nDate: {self._date_header()}\r\n"]
        if own:
            parts.append(POLICY_HEADERS)
        has_length = False
        for name, value in headers:
            lowered = name.lower()
            if lowered in HOP_BY_HOP:
                continue
            if lowered == "content-length":
                has_length = True
            parts.append(f"{name}: {value}\r\n")
        if not has_length:
            parts.append(f"Content-Length: {len(body)}\r\n")
        parts.append("Connection: keep-alive\r\n\r\n" if keep else "Connection: close\r\n\r\n")
        self.add_output(conn, "".join(parts).encode("latin-1"))
        size = len(body) + (file.remaining if file is not None else 0)
        if request is None or request.method != "HEAD":
            conn.out += body
            conn.file, file = file, None
        if file is not None:
            file.close()
        if self.options.access_log:
            self._log_access(conn, request, status, size)
        if not keep:
            conn.closing = True
            conn.ready.clear()
        elif conn.continue_pending and not conn.ready and conn.file is None:
            conn.continue_pending = False
            conn.out += b"HTTP/1.1 100 Continue\r\n\r\n"
        elif not conn.ready and not (conn.in_headers or conn.in_body):
            conn.deadline = time.monotonic() + self.options.keepalive_seconds
        self._flush(conn)
        if keep and conn.fd in self.connections and conn.active is None and conn.file is None:
            if conn.error is not None:
                self._reject(conn)
            elif conn.ready and conn.may_start_next():
                self._start(conn)

    def _log_access(self, conn: Connection, request: Request | None, status: str, size: int):
        if request is None:
            line, took = "-", 0.0
        else:
            target = request.target.decode("latin-1")
            line = f"{request.method} {target} HTTP/{request.version}"
            took = time.monotonic() - request.received
        access_log.info(
            '%s - - [%s] "%s" %s %d %.1fms',
            conn.host,
            self._date_header(),
            line.encode("unicode_escape").decode("ascii").replace('"', "%22"),
            status[:3],
            size,
            took * 1000,
        )

    def _answer_error(self, conn, status: int, message: str, headers=None) -> None:
        body = f"{status} {message}\n".encode()
        merged = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        phrase = f"{status} {HTTPStatus(status).phrase}"
        self._answer(conn, phrase, list(merged.items()), body, own=True)

    def _send_plain(self, conn, status: int, message: str, close: bool, headers=None) -> None:
        conn.active = None
        body = f"{status} {message}\n".encode()
        merged = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        phrase = f"{status} {HTTPStatus(status).phrase}"
        self._answer(conn, phrase, list(merged.items()), body, close=close, own=True)

    # --- time and memory ---------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        for lane in self.lanes.values():
            for slot in list(lane.slots):
                if slot.client is not None and now >= slot.deadline:
                    seconds = lane.timeout
                    slot.stopped_for = (
                        503,
                        f"Query timeout: the request ran longer than {seconds:g} s and was "
                        "stopped. Make it more selective, or add a LIMIT.",
                    )
                    self._slot_failed(slot)
                elif slot.orphan_until and now >= slot.orphan_until:
                    self._retire(slot)  # its client has gone, and it has not finished
            while lane.queue and now - lane.queue[0].queued_at > lane.wait:
                conn = lane.queue.popleft()
                self._release_client(lane, conn)
                if conn.fd in self.connections and conn.active is not None:
                    self._busy(conn, 503, lane, "Service Unavailable: no slot became free")
        self._watch_memory()

    def _watch_memory(self) -> None:
        lane = self.lanes["query"]
        busy = [slot for slot in lane.slots if slot.client is not None or slot.orphan_until]
        if not busy:
            return
        total = sum(slot.growth() for slot in busy) + sum(
            slot.grown for slot in lane.slots if slot.client is None and not slot.orphan_until
        )
        while busy and total > self.options.memory_budget_bytes:
            largest = max(busy, key=lambda s: s.grown)
            busy.remove(largest)
            total -= largest.grown
            largest.stopped_for = MEMORY_ANSWER
            self._slot_failed(largest)

    def _sweep(self, now: float) -> None:
        buffered = 0
        for conn in list(self.connections.values()):
            buffered += len(conn.out) + conn.body_bytes + sum(len(r.body) for r in conn.ready)
            if conn.has_output() and now - conn.written_at > self.options.write_seconds:
                # The client reads nothing of its answer: whatever it asked for is dropped.
                self._cancel(conn)
                self._close(conn)
            elif conn.lingering:
                if now >= conn.linger_until:
                    self._close(conn)
            elif conn.active is None and not conn.has_output() and now >= conn.deadline:
                if conn.in_headers or conn.in_body:
                    self._send_plain(
                        conn,
                        408,
                        "Request Timeout: the request took too long to arrive",
                        close=True,
                    )
                else:
                    self._close(conn)
        self.overloaded = buffered > self.options.max_buffered_bytes
        self._resume_accepting(now)
        for lane in self.lanes.values():
            for slot in list(lane.idle):
                if slot.growth() > self.options.recycle_bytes:
                    self._retire(slot)
