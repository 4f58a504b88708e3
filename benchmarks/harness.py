"""Shared pieces of the benchmark scripts: free ports, starting and stopping servers, polling."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def stop(process: subprocess.Popen) -> None:
    """Stop a server started in its own session: SIGTERM, then SIGKILL to its group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
