"""Shared pieces of the benchmark scripts: free ports, starting and stopping servers, polling,
the server's processes.

Ports, stopping and reading /proc come from the tests' helpers (tests/process_support.py), so
that the benchmarks and the tests manage server processes one way.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))
from process_support import free_port, process_stats, stop

__all__ = ["first_answer", "free_port", "process_stats", "stop", "tree_pids"]


def first_answer(url: str, process: subprocess.Popen, timeout: float = 60.0, headers=None) -> float:
    """Poll a URL every few milliseconds; return the monotonic time of its first 2xx answer."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers=headers or {})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
                return time.monotonic()
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.005)
    raise RuntimeError(f"no answer from {url} within {timeout} s")


def tree_pids(root: int, stats: dict[int, list[str]] | None = None) -> list[int]:
    """The process and all its descendants (gunicorn workers, query zygote and workers, ...)."""
    stats = process_stats() if stats is None else stats
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, ()))
    return found


def serve_gthread(application, port: int, workers: int = 2, threads: int = 4) -> None:
    """Serve a WSGI application as users deploy Flask: gunicorn's gthread workers, keep-alive.

    The bare references of the benchmarks run this way (gunicorn is in the 'bench' extra).
    """
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"127.0.0.1:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "keepalive": 5,
        "preload_app": True,
        "accesslog": None,
        "control_socket_disable": True,
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                if name in self.cfg.settings:
                    self.cfg.set(name, value)

        def load(self):
            return application

    Server().run()
