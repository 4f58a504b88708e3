"""The production server: gunicorn configuration, a real server on 127.0.0.1, startup failures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import rdflib

from paxsilica import cli
from paxsilica.config import SettingsError, load_settings
from paxsilica.web import server as serving
from process_support import process_stats
from publication_support import FIXTURE, free_port, live_server, parse, server_processes


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, accept: str | None = None, follow: bool = True):
    """GET a URL; return (status, headers, body) without raising on 3xx/4xx."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_gunicorn_options_follow_the_settings() -> None:
    settings = load_settings({}, host="127.0.0.1", port=8123, workers=3)
    options = serving.gunicorn_options(settings)
    assert options["bind"] == ["127.0.0.1:8123"]
    assert options["workers"] == 3
    assert options["preload_app"] is True
    assert serving.bind_address(load_settings({}, host="::1", port=80)) == "[::1]:80"


def test_each_query_runner_gets_the_workers_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving.os, "cpu_count", lambda: 4)
    serving_options = serving.gunicorn_options(load_settings({}))
    # One request at a time per worker, so as many workers as gunicorn advises.
    assert serving_options["worker_class"] is serving.QueryServingWorker
    assert serving_options["workers"] == 9
    pool_options = serving.gunicorn_options(load_settings({"PAXSILICA_QUERY_RUNNER": "pool"}))
    assert pool_options["worker_class"] == "gthread"
    assert pool_options["threads"] == serving.THREADS_PER_WORKER
    assert pool_options["workers"] == serving.POOL_WORKERS
    assert serving.served_settings(load_settings({})).query_runner == "serving"


def test_serving_workers_run_without_a_network_unless_queries_need_one() -> None:
    """Each worker of a real server sits in a network namespace of its own, the master not."""
    with live_server(["--data", str(FIXTURE)]) as base:
        assert fetch(base + "sparql?query=ASK%7B%7D")[0] == 200
        master, workers = server_tree(base)
        namespaces = {pid: os.readlink(f"/proc/{pid}/ns/net") for pid in [master, *workers]}
        limits = {pid: address_space_limit(pid) for pid in [master, *workers]}
    if os.environ.get("CI") != "true" and len(set(namespaces.values())) == 1:
        pytest.skip("this machine allows no network namespace (needs root or user namespaces)")
    assert len(workers) == 2
    assert all(namespaces[w] != namespaces[master] for w in workers)
    # Each worker's address space is capped (the hard stop behind the guard), the master's not.
    assert limits[master] == "unlimited"
    assert all(limits[w] != "unlimited" for w in workers)
    with live_server(["--data", str(FIXTURE), "--service-allow", "http://example.org/"]) as base:
        master, workers = server_tree(base)
        master_namespace = os.readlink(f"/proc/{master}/ns/net")
        assert all(os.readlink(f"/proc/{w}/ns/net") == master_namespace for w in workers)


def address_space_limit(pid: int) -> str:
    """The soft RLIMIT_AS of a process, as /proc/PID/limits writes it."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return line.split()[3]
    raise AssertionError(f"no address-space line in /proc/{pid}/limits")


def test_a_worker_past_its_memory_allowance_is_replaced_after_its_answer() -> None:
    query = "sparql?query=" + urllib.parse.quote("SELECT * { ?s ?p ?o } LIMIT 5")
    with live_server(
        ["--data", str(FIXTURE)], env={"PAXSILICA_QUERY_WORKER_RECYCLE_MIB": "1"}
    ) as base:
        _, before = server_tree(base)
        for _ in range(4):
            assert fetch(base + query)[0] == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _, after = server_tree(base)
            if len(after) == len(before) and not set(after) & set(before):
                break
            time.sleep(0.1)
        # Every worker has made more than 1 MiB its own since its fork: none survives an answer.
        assert len(after) == len(before)
        assert not set(after) & set(before)
    with live_server(["--data", str(FIXTURE)]) as base:
        _, before = server_tree(base)
        for _ in range(4):
            assert fetch(base + query)[0] == 200
        assert server_tree(base)[1] == before


def server_tree(base: str, workers: int = 2) -> tuple[int, list[int]]:
    """The gunicorn master of the server live_server started for base, and its workers, once it
    has all of them (gunicorn forks them one after another, and forks replacements later)."""
    deadline = time.monotonic() + 10
    while True:
        pids = server_processes(base)
        stats = process_stats()
        master = next(pid for pid in pids if int(stats[pid][1]) not in pids)
        children = [pid for pid in pids if int(stats[pid][1]) == master]
        if len(children) == workers or time.monotonic() > deadline:
            return master, children
        time.sleep(0.05)


def test_store_directory_and_data_files_do_not_mix(tmp_path: Path) -> None:
    settings = load_settings({}, store_path=str(tmp_path), data_files=[str(FIXTURE)])
    with pytest.raises(SettingsError, match="paxsilica load"):
        serving.build_application(settings)


def test_real_server_dereferences_its_own_iris() -> None:
    # The port comes from the environment, the base from the command line: both count.
    port = free_port()
    with live_server(
        extra_args=["--data", str(FIXTURE)], env={"PAXSILICA_PORT": str(port)}
    ) as base:
        assert base == f"http://127.0.0.1:{port}/"
        status, headers, _ = fetch(base + "id/state/XT", follow=False)
        assert status == 303
        assert headers["Location"].endswith("/doc/state/XT")
        status, headers, body = fetch(base + "id/state/XT", accept="text/turtle")
        assert status == 200
        assert headers["Server"].startswith("gunicorn")
        graph = parse(body, headers["Content-Type"])
        topic = rdflib.URIRef(base + "id/state/XT")
        assert graph.value(topic, rdflib.RDFS.label, any=True) is not None
        # Every IRI the document mentions under the base dereferences on this server.
        local = {
            term
            for triple in graph
            for term in (triple[0], triple[2])
            if isinstance(term, rdflib.URIRef) and str(term).startswith(base)
        }
        assert len(local) > 5
        for term in sorted(local):
            status, _, _ = fetch(str(term).split("#")[0], accept="text/turtle")
            assert status == 200, term
        status, _, body = fetch(base + "nowhere", accept="text/turtle")
        assert status == 404
        assert b"Traceback" not in body


def test_bad_data_file_stops_startup(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\n\nex:a ex:p [ .\n")
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "paxsilica", "serve", "--port", str(port), "--data", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"{bad}:3" in result.stderr
    with socket.socket() as sock:
        sock.settimeout(1)
        with pytest.raises(ConnectionRefusedError):
            sock.connect(("127.0.0.1", port))


def test_serve_reports_bad_settings(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["serve", "--base-iri", "ftp://example.org/"]) == 2
    assert "base_iri" in capsys.readouterr().err
