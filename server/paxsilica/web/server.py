"""The production server: one event loop for the connections, slot processes for the work.

``paxsilica serve`` builds the application (and so the store) once, then becomes the event
loop of paxsilica.web.event_loop: it reads every connection itself and hands complete
requests to slot processes forked from it (paxsilica.sparql.slots), which share the store's
memory and each run the Flask application for one request at a time — query slots for
/sparql, document slots for the rest. A data file that does not parse therefore stops
startup before anything listens.

This is the one place queries are bounded: the application itself (``create_app``) runs a
query in the process that serves the request and forks nothing, so under the Flask test
client or another WSGI server a query runs unbounded in time and memory.
"""

from __future__ import annotations

import logging
import marshal
import os
import socket
import sys
import traceback
from collections.abc import Callable
from io import BytesIO
from urllib.parse import unquote_to_bytes

from flask import Flask

from paxsilica.config import Settings, SettingsError
from paxsilica.publish.publication import start_in_background, stop_background
from paxsilica.rdf.directory import open_store_directory
from paxsilica.rdf.remote import RemoteStore
from paxsilica.web.app import create_app
from paxsilica.web.event_loop import Server, ServerOptions
from paxsilica.web.state import EXTENSION_KEY

log = logging.getLogger(__name__)

# Room for the method, the path and the version around the longest query string allowed.
REQUEST_LINE_SLACK = 1024
LISTEN_BACKLOG = 1024


def machine_memory_bytes() -> int:
    """The machine's physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def server_options(settings: Settings, query_paths: tuple[str, ...] = ()) -> ServerOptions:
    """Return how the event loop reads requests and runs them, from the settings.

    ``query_paths`` are served in the query lane besides /sparql and /sparql/ (a benchmark's
    reference handler, so that it runs where the endpoint runs).
    """
    cpus = os.cpu_count() or 1
    query_slots = settings.query_slots or 4 * cpus
    budget = settings.query_memory_mib * 1024 * 1024 if settings.query_memory_mib else None
    budget = budget or int(machine_memory_bytes() * 0.4)
    return ServerOptions(
        query_slots=query_slots,
        document_slots=settings.document_slots or max(2, cpus),
        queries_per_client=settings.queries_per_client,
        query_queue=settings.query_queue if settings.query_queue is not None else query_slots,
        queue_seconds=settings.queue_timeout,
        query_timeout=settings.query_timeout,
        document_timeout=settings.query_timeout + 30,
        header_seconds=settings.header_timeout,
        body_seconds=settings.body_timeout,
        keepalive_seconds=settings.keepalive_timeout,
        write_seconds=settings.body_timeout,
        max_body_bytes=settings.max_body_bytes,
        max_request_line=settings.max_query_string_bytes + REQUEST_LINE_SLACK,
        memory_budget_bytes=budget,
        slot_memory_bytes=budget + 1024**3,
        recycle_bytes=settings.query_worker_recycle_mib * 1024 * 1024,
        isolate=not settings.queries_may_connect,
        graceful_seconds=(
            settings.graceful_timeout
            if settings.graceful_timeout is not None
            else settings.query_timeout + 5
        ),
        access_log=settings.access_log is not None,
        query_paths=ServerOptions.query_paths | {path.encode() for path in query_paths},
    )


def open_access_log(settings: Settings) -> None:
    """Send the event loop's access log where the settings say (a file, or '-': stderr)."""
    if settings.access_log is None:
        return
    if settings.access_log == "-":
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
    else:
        try:
            handler = logging.FileHandler(settings.access_log, encoding="utf-8")
        except OSError as error:
            raise SettingsError(f"setting access_log: cannot open it ({error})") from None
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("paxsilica.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def build_application(settings: Settings) -> Flask:
    """Return the application for the settings, over the store they choose.

    A remote SPARQL server when ``endpoint`` is set, a store built by ``paxsilica load`` when
    ``store_path`` is, else a fresh in-memory store of the bundled and --data files.
    """
    if settings.endpoint is not None:
        return create_app(settings, store=open_remote_store(settings))
    if settings.store_path is None:
        return create_app(settings)
    if settings.data_files:
        raise SettingsError(
            "setting data_files: a store directory holds its data already; give the files to "
            "'paxsilica load' instead"
        )
    return create_app(settings, store=open_store_directory(settings.store_path, settings.site))


def open_remote_store(settings: Settings) -> RemoteStore:
    """Return the remote store the settings name, checked to answer before anything listens.

    The password for ``endpoint_user`` comes from PAXSILICA_ENDPOINT_PASSWORD only, so that it
    never shows in a process list or a settings dump.
    """
    if settings.store_path is not None or settings.data_files:
        raise SettingsError(
            "setting endpoint: a remote server holds its data already; push files into it with "
            "'paxsilica load --endpoint' instead of --data or --store"
        )
    store = RemoteStore(
        settings.endpoint,
        graphs=[settings.endpoint_graph] if settings.endpoint_graph else None,
        graph_base=settings.site.graph_base,
        timeout=settings.query_timeout,
        user=settings.endpoint_user,
        password=os.environ.get("PAXSILICA_ENDPOINT_PASSWORD"),
    )
    if not store.graphs:
        raise SettingsError(
            f"setting endpoint: {settings.endpoint} holds no graph under "
            f"{settings.site.graph_base}; push the dataset with "
            f"'paxsilica load --endpoint {settings.endpoint}' first"
        )
    return store


class FileBody:
    """A WSGI file wrapper that lets the event loop send the file from disk itself.

    Flask's ``send_file`` hands the open file to ``wsgi.file_wrapper``; a slot answers with
    where the file is instead of its bytes, so that a dump of gigabytes is never read into a
    slot's memory nor copied through the loop: the loop sends it with sendfile(2).
    """

    def __init__(self, file, block_size: int = 8192):
        self.file = file
        self.block_size = block_size

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        data = self.file.read(self.block_size)
        if not data:
            raise StopIteration
        return data

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int) -> None:
        self.file.seek(offset)

    def tell(self) -> int:
        return self.file.tell()

    def close(self) -> None:
        self.file.close()

    def where(self, status: str, headers) -> tuple | None:
        """Where the loop finds the answer's body: (path, offset, length, identity) or None."""
        name = getattr(self.file, "name", None)
        if not isinstance(name, str) or status[:3] not in ("200", "206"):
            return None
        fields = {key.lower(): value for key, value in headers}
        offset = 0
        if status.startswith("206"):
            # "bytes START-END/SIZE": the one range werkzeug answers.
            offset = int(fields["content-range"].split()[1].split("-")[0])
        length = int(fields["content-length"])
        found = os.fstat(self.file.fileno())
        return (os.path.abspath(name), offset, length, (found.st_ino, found.st_size))


def _environ(base: dict, message: bytes) -> dict:
    """The WSGI environ of one request as the event loop handed it to a slot."""
    method, target, version, headers, body, host, port = marshal.loads(message)  # noqa: S302
    path, _, query = target.partition(b"?")
    environ = dict(base)
    environ["REQUEST_METHOD"] = method
    environ["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")
    environ["QUERY_STRING"] = query.decode("latin-1")
    environ["RAW_URI"] = environ["REQUEST_URI"] = target.decode("latin-1")
    environ["SERVER_PROTOCOL"] = "HTTP/" + version
    environ["REMOTE_ADDR"] = host
    environ["REMOTE_PORT"] = str(port)
    environ["wsgi.input"] = BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers:
        key = name.decode("latin-1").upper().replace("-", "_")
        if "_" in name.decode("latin-1"):
            continue  # names with underscores would pass for others once mapped
        text = value.decode("latin-1")
        if key == "CONTENT_TYPE":
            environ[key] = text
        elif key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the event loop has read the body whole (and de-chunked it)
        else:
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{text}" if key in environ else text
    return environ


def _respond(app: Callable, environ: dict) -> tuple:
    """Run one request through the application: (status, headers, body, file or None)."""
    started: list = []
    wrappers: list[FileBody] = []

    def start_response(status, response_headers, exc_info=None):
        started[:] = [status, response_headers]
        return lambda _data: None

    def file_wrapper(file, block_size: int = 8192) -> FileBody:
        wrappers.append(FileBody(file, block_size))
        return wrappers[-1]

    environ["wsgi.file_wrapper"] = file_wrapper
    result = app(environ, start_response)
    try:
        # The body is a file when the answer is the wrapper itself, or werkzeug's range of it.
        body = getattr(result, "iterable", result)
        if len(wrappers) == 1 and body is wrappers[0]:
            file = wrappers[0].where(*started)
            if file is not None:
                return (*started, b"", file)
        return (*started, b"".join(result), None)
    finally:
        if hasattr(result, "close"):
            result.close()


def wsgi_handler(app: Callable, settings: Settings) -> Callable[[bytes], bytes]:
    """Return the slot handler that runs one request through a WSGI application."""
    base = {
        "SCRIPT_NAME": "",
        "SERVER_NAME": settings.host,
        "SERVER_PORT": str(settings.port),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }

    def handle(message: bytes) -> bytes:
        try:
            answer = _respond(app, _environ(base, message))
        except Exception:
            traceback.print_exc(file=sys.stderr)
            answer = (
                "500 Internal Server Error",
                [("Content-Type", "text/plain; charset=utf-8")],
                b"500 Internal Server Error\n",
                None,
            )
        return marshal.dumps(answer)

    return handle


def listen(settings: Settings) -> socket.socket:
    """Return the listening socket for the settings' host and port."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((settings.host, settings.port))
    listener.listen(LISTEN_BACKLOG)
    return listener


def serve(
    settings: Settings,
    wrap: Callable[[Callable], Callable] | None = None,
    query_paths: tuple[str, ...] = (),
) -> None:
    """Build the application and serve it until SIGTERM or SIGINT.

    Raises store.DataLoadError (or StoreDirectoryError, SettingsError) before anything
    listens when the data cannot be loaded. ``wrap`` lets a benchmark mount extra WSGI
    routes around the application, and ``query_paths`` serve some of them as queries.
    """
    application = build_application(settings)
    # Made here, before the slots fork, so that every slot shares one copy; the dumps and the
    # VoID of a store without a publication are written once the server listens.
    build = application.extensions[EXTENSION_KEY].prepare_to_serve()
    handler = wsgi_handler(wrap(application) if wrap else application, settings)
    open_access_log(settings)
    listener = listen(settings)
    log.warning("paxsilica serving on http://%s:%d/", settings.host, listener.getsockname()[1])
    builder = None if build is None else start_in_background(build, listener.close)
    try:
        Server([listener], handler, server_options(settings, query_paths)).run()
    finally:
        if builder is not None:
            stop_background(builder)
