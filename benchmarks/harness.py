"""Shared pieces of the benchmark scripts: free ports, starting and stopping servers, polling.

Ports and stopping come from the tests' helpers (tests/process_support.py), so that the
benchmarks and the tests manage server processes one way.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))
from process_support import free_port, stop

__all__ = ["first_answer", "free_port", "stop"]


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
