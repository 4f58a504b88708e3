"""The event loop itself, with a small handler in its slots: HTTP details and robustness.

Each test forks a Server over a listening socket on 127.0.0.1, its slots running the handler
below instead of the application (so that a test starts in milliseconds and can make a slot
crash or answer oddly), and talks raw HTTP to it. Bounds on time appear only where time is
the behaviour, and are generous.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from paxsilica.web.event_loop import OUT_HIGH_WATER, Server, ServerOptions
from process_support import wait_for

BIG = 8 * 1024 * 1024
# What /file sends: distinct bytes at every offset of a few megabytes, so that a part sent
# from the wrong place or out of order shows.
FILE_BYTES = b"".join(i.to_bytes(4, "big") for i in range(BIG // 4))


def file_of(calls: Path) -> Path:
    """The file beside ``calls`` that /file answers from disk."""
    return calls.with_name("file")


def file_answer(calls: Path, target: bytes) -> bytes:
    """/file?START-LENGTH names that part of the file for the loop to send; /file?changed
    names it with another identity, as if it had been replaced since."""
    path = file_of(calls)
    found = os.stat(path)
    identity = (found.st_ino, found.st_size)
    query = target.partition(b"?")[2]
    if query == b"changed":
        start, length, identity = 0, found.st_size, (found.st_ino + 1, found.st_size)
    elif query:
        start, length = (int(n) for n in query.split(b"-"))
    else:
        start, length = 0, found.st_size
    headers = [("Content-Type", "application/octet-stream"), ("Content-Length", str(length))]
    return marshal.dumps(("200 OK", headers, b"", (str(path), start, length, identity)))


def handler(calls: Path):
    """A slot handler: /big answers 8 MiB, /crash ends its slot, /malformed answers what the
    loop cannot read, /pid the slot's process id, /sleep?S sleeps S seconds first, /file a
    file the loop sends from disk; anything else echoes the method and the body's length.
    Every call is noted in ``calls``."""

    def handle(message: bytes) -> bytes:
        method, target, _version, _headers, body, _host, _port = marshal.loads(message)
        with open(calls, "a") as noted:
            noted.write(target.decode() + "\n")
        if target == b"/crash":
            os._exit(3)
        if target == b"/malformed":
            return marshal.dumps("not a status, headers and body")
        if target.startswith(b"/sleep?"):
            time.sleep(float(target.partition(b"?")[2]))
        if target == b"/pid":
            return marshal.dumps(("200 OK", [], str(os.getpid()).encode(), None))
        if target.startswith(b"/file"):
            return file_answer(calls, target)
        answer = b"x" * BIG if target == b"/big" else f"{method} {len(body)}\n".encode()
        return marshal.dumps(("200 OK", [("Content-Type", "text/plain")], answer, None))

    return handle


@contextlib.contextmanager
def core_server(
    tmp_path: Path, server_class: type[Server] = Server, **options
) -> Iterator[tuple[int, Path]]:
    """Fork a Server on a free port; yield (port, the handler's file of calls); stop it."""
    calls = tmp_path / "calls"
    calls.touch()
    file_of(calls).write_bytes(FILE_BYTES)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    settings = {"query_slots": 1, "document_slots": 1, "isolate": False, **options}
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the server's process
        status = 1
        try:
            server_class([listener], handler(calls), ServerOptions(**settings)).run()
            status = 0
        finally:
            os._exit(status)
    port = listener.getsockname()[1]
    listener.close()
    try:
        yield port, calls
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.02)


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def read_answer(
    sock: socket.socket, buffered: bytearray, head_only: bool = False
) -> tuple[bytes, bytes]:
    """Read one answer (its head and its body, by Content-Length) off a connection; with
    ``head_only`` (the answer to a HEAD), its head alone."""
    while b"\r\n\r\n" not in buffered:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {bytes(buffered)[:200]!r}")
        buffered += chunk
    head, _, _ = bytes(buffered).partition(b"\r\n\r\n")
    del buffered[: len(head) + 4]
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    if head_only or head.split(b" ")[1] == b"100":
        return head, b""
    while len(buffered) < length:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed inside a body")
        buffered += chunk
    body = bytes(buffered[:length])
    del buffered[:length]
    return head, body


def calls_of(calls: Path) -> list[str]:
    return calls.read_text().split()


def test_head_has_the_length_and_no_body(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls), connect(port) as sock:
        sock.sendall(b"HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        buffered = bytearray()
        head, _ = read_answer(sock, buffered, head_only=True)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"Content-Length: 7" in head
        # The HEAD's answer ends at its blank line: the next bytes are the GET's answer.
        head, body = read_answer(sock, buffered)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert body == b"GET 0\n"


def test_a_100_continue_waits_for_the_answers_before_it(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls), connect(port) as sock:
        sock.sendall(
            b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        buffered = bytearray()
        head, body = read_answer(sock, buffered)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert body == b"x" * BIG  # no 100 Continue inside the first answer
        head, _ = read_answer(sock, buffered)
        assert head.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"hello")
        head, body = read_answer(sock, buffered)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert body == b"POST 5\n"


def test_http_1_0_closes_unless_kept_alive(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls):
        with connect(port) as sock:
            sock.sendall(b"GET /echo HTTP/1.0\r\n\r\n")
            head, body = read_answer(sock, bytearray())
            assert b"Connection: close" in head
            assert body == b"GET 0\n"
            assert sock.recv(10) == b""
        with connect(port) as sock:
            sock.sendall(b"GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            buffered = bytearray()
            head, _ = read_answer(sock, buffered)
            assert b"Connection: keep-alive" in head
            sock.sendall(b"GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            assert read_answer(sock, buffered)[1] == b"GET 0\n"


def test_a_client_that_reads_nothing_gets_no_more_work_done(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, calls), connect(port) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n" * 6)
        assert wait_for(lambda: calls_of(calls))
        time.sleep(1.0)
        # 8 MiB of the first answer wait unread: the next requests are not run meanwhile.
        assert len(calls_of(calls)) == 1
        assert BIG > OUT_HIGH_WATER
        buffered = bytearray()
        for _ in range(6):
            assert read_answer(sock, buffered)[1] == b"x" * BIG
        assert len(calls_of(calls)) == 6


def test_a_client_that_never_reads_is_dropped(tmp_path: Path) -> None:
    with core_server(tmp_path, write_seconds=1.0) as (port, calls), connect(port) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_for(lambda: calls_of(calls))
        time.sleep(3.0)
        received = 0
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
        assert received < BIG


def test_a_crashed_slot_is_answered_503_and_replaced(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls):
        with connect(port) as sock:
            sock.sendall(b"GET /crash HTTP/1.1\r\nHost: x\r\n\r\n")
            head, _ = read_answer(sock, bytearray())
            assert head.startswith(b"HTTP/1.1 503 ")
            assert b"Retry-After: 1" in head
            assert b"Access-Control-Allow-Origin: *" in head
        with connect(port) as sock:
            sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(sock, bytearray())[1] == b"GET 0\n"


def test_an_unreadable_answer_is_a_500_and_the_loop_serves_on(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls):
        with connect(port) as sock:
            sock.sendall(b"GET /malformed HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(sock, bytearray())[0].startswith(b"HTTP/1.1 500 ")
        for _ in range(3):
            with connect(port) as sock:
                sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
                assert read_answer(sock, bytearray())[1] == b"GET 0\n"


def test_past_the_buffer_budget_new_requests_get_503(tmp_path: Path) -> None:
    with (
        core_server(tmp_path, max_buffered_bytes=OUT_HIGH_WATER) as (port, calls),
        connect(port) as hoarder,
    ):
        hoarder.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        hoarder.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_for(lambda: calls_of(calls))
        time.sleep(1.0)  # a few sweeps measure what the connections hold
        with connect(port) as other:
            other.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            head, _ = read_answer(other, bytearray())
            assert head.startswith(b"HTTP/1.1 503 ")
            assert b"Retry-After" in head
        hoarder.close()
        time.sleep(1.0)
        with connect(port) as other:
            other.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(other, bytearray())[1] == b"GET 0\n"


class FaultyServer(Server):
    """A loop with a bug: admitting a request for /boom raises."""

    def _start(self, conn) -> None:
        if conn.ready and conn.ready[0].target == b"/boom":
            raise RuntimeError("a bug in the loop")
        super()._start(conn)


def test_an_error_in_the_loop_drops_one_connection_only(tmp_path: Path) -> None:
    with (
        core_server(tmp_path, server_class=FaultyServer) as (port, _calls),
        connect(port) as waiting,
        connect(port) as sock,
    ):
        waiting.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        sock.sendall(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(100) == b""  # dropped, not answered
        # The other client, half-way through its request, is served when it finishes.
        waiting.sendall(b"\r\n")
        assert read_answer(waiting, bytearray())[1] == b"GET 0\n"


def test_an_endless_header_line_is_431(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, calls), connect(port) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Long: ")
        with contextlib.suppress(ConnectionError):
            for _ in range(64):
                sock.sendall(b"a" * 16384)
        head, _ = read_answer(sock, bytearray())
        assert head.startswith(b"HTTP/1.1 431 ")
        assert calls_of(calls) == []


def test_an_idle_kept_alive_connection_is_closed(tmp_path: Path) -> None:
    with core_server(tmp_path, keepalive_seconds=0.5) as (port, _calls), connect(port) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        buffered = bytearray()
        head, _ = read_answer(sock, buffered)
        assert b"Connection: keep-alive" in head
        sock.settimeout(20)
        assert sock.recv(100) == b""


def slot_pid(port: int) -> int:
    with connect(port) as sock:
        sock.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
        return int(read_answer(sock, bytearray())[1])


def hang_up_during(port: int, path: bytes) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.02)


def test_a_slot_whose_client_hangs_up_may_finish_but_not_run_on(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls):
        first = slot_pid(port)
        # A request about to finish when its client goes: its slot stays.
        hang_up_during(port, b"/sleep?0.05")
        time.sleep(1.0)
        assert slot_pid(port) == first
        # One that runs on: its slot is stopped, and a fresh one serves the next request.
        hang_up_during(port, b"/sleep?30")
        assert wait_for(lambda: not Path(f"/proc/{first}").exists() or _zombie(first), 10)
        assert slot_pid(port) != first


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_file_body_is_sent_from_disk_in_order_with_what_follows(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls), connect(port) as sock:
        sock.sendall(
            b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /file?1000003-77 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        buffered = bytearray()
        _, whole = read_answer(sock, buffered)
        _, part = read_answer(sock, buffered)
        head, _ = read_answer(sock, buffered, head_only=True)
        _, echo = read_answer(sock, buffered)
    assert whole == FILE_BYTES
    assert part == FILE_BYTES[1000003 : 1000003 + 77]
    assert f"Content-Length: {len(FILE_BYTES)}".encode() in head
    assert echo == b"GET 0\n"


def test_a_file_replaced_since_the_slot_named_it_is_a_503(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls), connect(port) as sock:
        sock.sendall(b"GET /file?changed HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\n\r\n")
        buffered = bytearray()
        head, body = read_answer(sock, buffered)
        assert head.startswith(b"HTTP/1.1 503 ")
        assert b"Retry-After: 1" in head
        assert b"the file changed" in body
        _, echo = read_answer(sock, buffered)
        assert echo == b"GET 0\n"


def test_a_client_slow_to_read_a_file_holds_nobody_else(tmp_path: Path) -> None:
    with core_server(tmp_path) as (port, _calls), connect(port) as slow:
        slow.sendall(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)  # the loop has sent what the unread socket takes, and waits
        with connect(port) as other:
            other.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            _, echo = read_answer(other, bytearray())
        assert echo == b"GET 0\n"
        _, whole = read_answer(slow, bytearray())
        assert whole == FILE_BYTES
