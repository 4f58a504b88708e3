"""The production server: its options, a real server on 127.0.0.1, startup failures."""

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


def fetch(url: str, accept: str | None = None, follow: bool = True, headers=None):
    """GET a URL; return (status, headers, body) without raising on 3xx/4xx."""
    sent = {**({"Accept": accept} if accept else {}), **(headers or {})}
    request = urllib.request.Request(url, headers=sent)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_server_options_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving.os, "cpu_count", lambda: 2)
    options = serving.server_options(load_settings({}, query_timeout=7, max_query_string_bytes=9))
    assert (options.query_slots, options.document_slots, options.query_queue) == (8, 2, 8)
    assert options.query_timeout == 7
    assert options.graceful_seconds == 12
    assert options.max_request_line == 9 + serving.REQUEST_LINE_SLACK
    assert 0 < options.memory_budget_bytes < serving.machine_memory_bytes()
    chosen = serving.server_options(
        load_settings({}, query_slots=3, query_queue=0, query_memory_mib=100, graceful_timeout=1)
    )
    assert (chosen.query_slots, chosen.query_queue, chosen.graceful_seconds) == (3, 0, 1)
    assert chosen.memory_budget_bytes == 100 * 1024 * 1024


def test_slots_run_without_a_network_unless_queries_need_one() -> None:
    """Each slot of a real server sits in a network namespace of its own, the event loop not."""
    with live_server(["--data", str(FIXTURE)]) as base:
        assert fetch(base + "sparql?query=ASK%7B%7D")[0] == 200
        master, workers = server_tree(base)
        namespaces = {pid: os.readlink(f"/proc/{pid}/ns/net") for pid in [master, *workers]}
        limits = {pid: address_space_limit(pid) for pid in [master, *workers]}
    if os.environ.get("CI") != "true" and len(set(namespaces.values())) == 1:
        pytest.skip("this machine allows no network namespace (needs root or user namespaces)")
    assert len(workers) == 4
    assert all(namespaces[w] != namespaces[master] for w in workers)
    # Each slot's address space is capped (the hard stop behind the budget), the loop's not.
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


def test_a_slot_past_its_memory_allowance_is_replaced_once_idle() -> None:
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
            if len(after) == len(before) and set(before) - set(after):
                break
            time.sleep(0.1)
        # The query slot that answered has grown by more than 1 MiB: it has been replaced.
        assert len(after) == len(before)
        assert set(before) - set(after)
    with live_server(["--data", str(FIXTURE)]) as base:
        _, before = server_tree(base)
        for _ in range(4):
            assert fetch(base + query)[0] == 200
        assert server_tree(base)[1] == before


def server_tree(base: str, workers: int = 4) -> tuple[int, list[int]]:
    """The event loop of the server live_server started for base, and its slots, once it has
    all of them (it forks replacements as it stops slots)."""
    deadline = time.monotonic() + 10
    while True:
        found = server_processes(base)
        stats = process_stats()
        # A slot being replaced may end between the two reads.
        pids = {pid for pid in found if pid in stats}
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
        assert headers["Server"] == "paxsilica"
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


def test_an_access_log_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "access.log"
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "paxsilica", "serve", "--port", str(port), "--access-log",
         str(missing)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "setting access_log" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_server_answers_before_its_dumps_are_built_and_then_serves_the_exported_bytes(
    tmp_path: Path,
) -> None:
    """The in-memory store's dumps and VoID are built in the background once the server
    listens: the pages answer at once, the dumps say 503 with Retry-After meanwhile, then
    serve the bytes ``paxsilica export`` writes."""
    with live_server(published=False) as base:
        assert fetch(base)[0] == 200
        status, headers, body = fetch(base + "dumps/", accept="text/plain")
        # Asked after the home page answered: the build was still running then.
        assert status == 503, "the dumps were ready before the first answers"
        assert int(headers["Retry-After"]) > 0
        assert b"being built" in body
        assert fetch(base + ".well-known/void", accept="text/turtle")[0] == 503
        assert fetch(base + "doc/state/JP", accept="text/turtle")[0] == 200
        deadline = time.monotonic() + 120
        while (status := fetch(base + "dumps/")[0]) == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status == 200
        assert fetch(base + ".well-known/void", accept="text/turtle")[0] == 200
        sums = fetch(base + "dumps/SHA256SUMS")[2].decode().splitlines()
        served = {name: fetch(base + "dumps/" + name)[2] for name in (s.split()[1] for s in sums)}
        # The event loop sends a dump from disk itself: a range of it, and a HEAD, are exact.
        name = sums[0].split()[1]
        status, headers, part = fetch(base + "dumps/" + name, headers={"Range": "bytes=100-1099"})
        assert (status, part) == (206, served[name][100:1100])
        assert headers["Content-Range"] == f"bytes 100-1099/{len(served[name])}"
        etag = fetch(base + "dumps/" + name)[1]["ETag"]
        assert fetch(base + "dumps/" + name, headers={"If-None-Match": etag})[:3:2] == (304, b"")
    out = tmp_path / "export"
    assert cli.main(["export", "--out", str(out), "--base-iri", base]) == 0
    assert len(served) > 24
    for name, body in served.items():
        assert (out / name).read_bytes() == body, name
