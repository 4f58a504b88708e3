"""Dereferencing throughput: documents against a bare response of the same size, in one run.

Starts the production server (gunicorn, the same options ``paxsilica serve`` uses) with two
benchmark-only references beside the application: /__bare/N, a tiny WSGI app answering N
bytes without Flask, and /__bare_view/N, a Flask view of the same application answering N
bytes. With wrk and 4 concurrent connections it measures requests per second for the
document about an entity negotiated as Turtle, JSON-LD and HTML (and for the 303 of its
IRI), and for both references at the same size, alternating them over several rounds (the
medians are printed: the figures on a small machine are noisy), then prints the ratios
(goal: documents at least half the bare figure).

    .venv/bin/python benchmarks/bench_dereference.py [--seconds 3] [--rounds 3] [--connections 4]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import first_answer, free_port, stop

BARE_PREFIX = "/__bare"
BARE_VIEW_PREFIX = "/__bare_view"
MAX_BARE_BYTES = 16 * 1024 * 1024
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36"
CASES = (
    ("Turtle", "/doc/state/JP", {"Accept": "text/turtle"}),
    ("JSON-LD", "/doc/state/JP", {"Accept": "application/ld+json"}),
    ("HTML", "/doc/state/JP", {"Accept": "text/html", "User-Agent": BROWSER}),
    ("303 See Other", "/id/state/JP", {"Accept": "text/turtle"}),
)


def bare_app(environ, start_response):
    """Answer N bytes for /N: the reference a document's throughput is compared with."""
    try:
        size = min(int(environ.get("PATH_INFO", "/0").strip("/") or 0), MAX_BARE_BYTES)
    except ValueError:
        size = 0
    body = b"x" * size
    start_response(
        "200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))]
    )
    return [body]


def serve_child(port: int) -> None:
    """Run the production server with the two references mounted beside the application."""
    from flask import Response
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from paxsilica.config import load_settings
    from paxsilica.web import server as serving

    def with_references(app):
        def bare_view(size: int) -> Response:
            return Response(b"x" * min(size, MAX_BARE_BYTES), mimetype="application/octet-stream")

        app.add_url_rule(f"{BARE_VIEW_PREFIX}/<int:size>", "bare_view", bare_view)
        return DispatcherMiddleware(app, {BARE_PREFIX: bare_app})

    settings = load_settings(port=port, host="127.0.0.1", base_iri=f"http://127.0.0.1:{port}/")
    serving.serve(settings, wrap=with_references)


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> float:
    """Return wrk's requests per second for a URL, failing on any non-2xx/3xx answer."""
    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    if "Non-2xx or 3xx responses" in output:
        raise RuntimeError(f"errors while measuring {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def size_of(url: str, headers: dict[str, str]) -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return len(response.read())
    except urllib.error.HTTPError as error:  # the 303 itself
        with error:
            return len(error.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="duration of each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each figure")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients")
    parser.add_argument("--serve-child", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_child:
        serve_child(args.serve_child)
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package wrk)", file=sys.stderr)
        return 2

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-child", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        first_answer(base + "/ontology.ttl", process)
        print(
            f"gunicorn with the options of 'paxsilica serve', {args.connections} connections, "
            f"median of {args.rounds} x {args.seconds} s\n"
        )
        print(
            f"{'answer':<14} {'bytes':>6} {'doc req/s':>10} {'bare WSGI':>10} {'ratio':>6}"
            f" {'bare Flask':>11} {'ratio':>6}"
        )
        lowest = []
        for label, path, headers in CASES:
            size = size_of(base + path, headers)
            targets = {
                "document": (base + path, headers),
                "wsgi": (f"{base}{BARE_PREFIX}/{size}", {}),
                "view": (f"{base}{BARE_VIEW_PREFIX}/{size}", {}),
            }
            for url, extra in targets.values():  # warm up: documents are cached at first use
                wrk(url, extra, 1, args.connections)
            figures: dict[str, list[float]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name, (url, extra) in targets.items():
                    figures[name].append(wrk(url, extra, args.seconds, args.connections))
            document, wsgi, view = (
                statistics.median(figures[n]) for n in ("document", "wsgi", "view")
            )
            lowest.append(document / wsgi)
            print(
                f"{label:<14} {size:>6} {document:>10.0f} {wsgi:>10.0f} {document / wsgi:>6.2f}"
                f" {view:>11.0f} {document / view:>6.2f}"
            )
        print(f"\nlowest ratio to the bare WSGI answer: {min(lowest):.2f} (goal: at least 0.50)")
    finally:
        stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
