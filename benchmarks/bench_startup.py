"""Startup time: from ``paxsilica serve`` to the first answer, against a bare gunicorn.

Launches ``python -m paxsilica serve`` on the bundled data and times how long it takes until
the document about an entity answers (the store is built once, before gunicorn forks its
workers). The reference, measured the same way in the same run, is the same gunicorn
configuration serving a WSGI app that answers at once: Python, gunicorn and the forks,
without the dataset. Prints the medians, their ratio, and the goal (well under 2 s).

    .venv/bin/python benchmarks/bench_startup.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import first_answer, free_port, stop

GOAL_SECONDS = 2.0
SERVE = [sys.executable, "-m", "paxsilica", "serve"]

BARE_SERVER = """
import sys
sys.path.insert(0, sys.argv[2])
from harness import serve_gthread

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]

serve_gthread(app, int(sys.argv[1]))
"""


def time_to_first_answer(command: list[str], url: str) -> float:
    """Start a server and return the seconds until the URL first answers 2xx."""
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        answered = first_answer(url, process, headers={"Accept": "text/turtle"})
    finally:
        stop(process)
    return answered - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="startups of each server")
    args = parser.parse_args()
    served, bare = [], []
    for _ in range(args.rounds):
        port = free_port()
        base = f"http://127.0.0.1:{port}/"
        served.append(
            time_to_first_answer(
                [*SERVE, "--port", str(port), "--base-iri", base],
                base + "id/state/JP",
            )
        )
        port = free_port()
        bare.append(
            time_to_first_answer(
                [sys.executable, "-c", BARE_SERVER, str(port), str(Path(__file__).parent)],
                f"http://127.0.0.1:{port}/",
            )
        )
    served_median, bare_median = statistics.median(served), statistics.median(bare)
    print(f"startup to the first answer, median of {args.rounds}:")
    print(f"  paxsilica serve (bundled data, 303 then document) {served_median:6.3f} s")
    print(f"  same gunicorn, bare WSGI app (reference)          {bare_median:6.3f} s")
    print(f"  ratio {served_median / bare_median:.2f}; goal: well under {GOAL_SECONDS:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
