"""Page speed: each kind of page for people against the plain entity document, in one run.

Starts the real server (``paxsilica serve``: its event loop and slots, with their defaults)
on the bundled data, with the whole supply chain the importers generate, waits until the
publication is built (so that its building process does not compete for the CPU), then asks
for every page of tests/page_kinds.py (the kinds the browser test opens), Japan's page (a
hub: thousands of links point at it), the home page in French, and the reference: Japan's
document as Turtle (``/doc/state/JP``), the cheapest answer about an entity. The first request
of each page is timed apart (it builds what later requests find cached); then ``--rounds``
rounds ask for each page once in turn, so that every page and the reference see the same
background load, and each page's median and 95th percentile are printed in milliseconds and
as ratios to the reference's median; then the server's CPU time per request of each page
(from /proc, over a block of requests for that page alone: on a shared machine the wall
times move with the other load, the CPU time much less), and the first request of up to
``--cold`` other pages of the same kind. The goal (issue 11): every page under 300 ms.

    .venv/bin/python benchmarks/bench_pages.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import first_answer, free_port, process_stats, stop, tree_pids

from page_kinds import PAGE_KINDS  # from tests/, which harness puts on the path
from paxsilica import iris
from paxsilica.publish.tables import SPECS

GOAL_MS = 300.0
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36"
HTML = {"Accept": "text/html,application/xhtml+xml", "User-Agent": BROWSER}
REFERENCE = "document (Turtle)"
# The class of each kind of entity page, whose other entities are asked for once each (cold:
# nothing about them is cached yet).
CLASS_OF_KIND = {
    "state": "State",
    "technology": "Technology",
    "supply-link": "SupplyLink",
    "export-control": "ExportControl",
    "company": "Company",
    "source": "Source",
}


@dataclass
class Case:
    """One answer to time: its path (under the site's root), its headers and its timings."""

    name: str
    path: str
    headers: dict[str, str]
    status: int = 0
    size: int = 0
    first_ms: float = 0.0
    times_ms: list[float] = field(default_factory=list)
    # Other addresses of the same kind, each asked for once (their first request).
    others: list[str] = field(default_factory=list)
    cold_ms: list[float] = field(default_factory=list)
    cold_failures: list[str] = field(default_factory=list)
    # The server's CPU time per request, over a block of requests for this page alone.
    cpu_ms: float = 0.0

    def median(self) -> float:
        return statistics.median(self.times_ms)

    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def cases() -> list[Case]:
    """The reference, then every kind of page (entity pages at their documents' addresses:
    the 303 from /id/ is the reference's cost as much as the page's)."""
    found = [Case(REFERENCE, "/doc/state/JP", {"Accept": "text/turtle"})]
    for kind in PAGE_KINDS:
        path = "/doc/" + kind.path[3:] if kind.path.startswith("id/") else "/" + kind.path
        found.append(Case(kind.name, path, HTML))
    found.append(Case("state, a hub (Japan)", "/doc/state/JP", HTML))
    found.append(Case("home (French)", "/", {**HTML, "Cookie": "lang=fr"}))
    found.append(Case("index table, 50 rows", "/tables/supply-links", HTML))
    return found


def timed_get(port: int, path: str, headers: dict[str, str]) -> tuple[float, int, int]:
    """Ask once on a fresh connection; return the milliseconds to the body's last byte, the
    status and the body's size."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000, response.status, len(body)


def ask(port: int, case: Case) -> float:
    """Ask for a case's page once; keep its status and size; return the milliseconds."""
    elapsed, case.status, case.size = timed_get(port, case.path, case.headers)
    return elapsed


def ask_cold(port: int, case: Case, path: str) -> float:
    """Ask once for another page of the case's kind; a failed answer counts as a failure."""
    elapsed, status, _ = timed_get(port, path, case.headers)
    if status != 200:
        case.cold_failures.append(f"{path}: {status}")
    return elapsed


def others_of_kind(port: int, name: str, path: str, count: int) -> list[str]:
    """Up to ``count`` other addresses of a kind of page: entities of the same class (spread
    over the class's instances in IRI order), or the other index tables."""
    if name.startswith("index-table"):
        return [f"/tables/{key}" for key in SPECS if f"/tables/{key}" not in path][:count]
    if name not in CLASS_OF_KIND:
        return []
    of_class = iris.ONTOLOGY_NS + CLASS_OF_KIND[name]
    query = urlencode({"query": f"SELECT ?s WHERE {{ ?s a <{of_class}> }} ORDER BY ?s"})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", f"/sparql?{query}", headers={"Accept": "text/csv"})
        rows = connection.getresponse().read().decode().split()[1:]
    finally:
        connection.close()
    base = iris.ENTITY_BASE
    paths = [f"/doc/{row[len(base) :]}" for row in rows if row.startswith(base)]
    paths = [p for p in paths if p != path]
    step = max(1, len(paths) // count)
    return paths[::step][:count]


def server_cpu_seconds(root: int) -> float:
    """CPU seconds (user and system) the server's processes have used so far: the event loop,
    its live slots, and the slots it reaped."""
    stats = process_stats()
    ticks = sum(int(t) for pid in tree_pids(root, stats) for t in stats[pid][11:13])
    ticks += sum(int(t) for t in stats[root][13:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_until_published(port: int, process: subprocess.Popen, timeout: float = 300.0) -> None:
    """Wait until the VoID answers 200 (503 while the publication is being built)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        if timed_get(port, "/.well-known/void.nt", {})[1] == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the publication was not built within {timeout} s")


def measure(rounds: int, cold: int) -> list[Case]:
    """Start the server, time every case's first request, then ``rounds`` rounds of all, then
    the first request of ``cold`` other addresses of each kind."""
    port = free_port()
    command = [sys.executable, "-m", "paxsilica", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--base-iri", iris.CANONICAL_BASE]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        ready = first_answer(f"http://127.0.0.1:{port}/context.jsonld", process, timeout=300)
        wait_until_published(port, process)
        print(
            f"serve: first answer {ready - started:.1f} s after start, "
            f"publication built {time.monotonic() - started:.1f} s after start"
        )
        found = cases()
        for case in found:
            case.first_ms = ask(port, case)
        for _ in range(rounds):
            for case in found:
                case.times_ms.append(ask(port, case))
        # CPU time does not depend on the machine's other load: one block per page.
        for case in found:
            before = server_cpu_seconds(process.pid)
            for _ in range(rounds):
                ask(port, case)
            case.cpu_ms = (server_cpu_seconds(process.pid) - before) * 1000 / rounds
        for case in found[1:]:
            case.others = others_of_kind(port, case.name, case.path, cold)
            case.cold_ms = [ask_cold(port, case, other) for other in case.others]
    finally:
        stop(process)
    return found


def report(found: list[Case]) -> bool:
    """Print the table (Markdown, for benchmarks/RESULTS.md); True if every page met the goal."""
    reference = found[0].median()
    print(f"\ngoal: every page under {GOAL_MS:.0f} ms (95th percentile and first request)\n")
    print(
        "| page | status | bytes | first ms | median ms | p95 ms | median / reference "
        "| server CPU ms / request | others of its kind, first request: median / max ms | goal |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    met = True
    for case in found:
        slowest = max(case.first_ms, case.p95(), *case.cold_ms)
        ok = case.status == 200 and not case.cold_failures and slowest < GOAL_MS
        if case.name != REFERENCE:
            met = met and ok
        verdict = "reference" if case.name == REFERENCE else "met" if ok else "MISSED"
        cold = (
            f"{statistics.median(case.cold_ms):.1f} / {max(case.cold_ms):.1f} ({len(case.cold_ms)})"
            if case.cold_ms
            else "–"
        )
        print(
            f"| {case.name} | {case.status} | {case.size:,} | {case.first_ms:.1f} | "
            f"{case.median():.1f} | {case.p95():.1f} | {case.median() / reference:.1f} | "
            f"{case.cpu_ms:.1f} | {cold} | {verdict} |"
        )
    for case in found:
        for failure in case.cold_failures:
            print(f"{case.name}: {failure}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="requests per page (30)")
    parser.add_argument(
        "--cold", type=int, default=10, help="other addresses of each kind, asked once (10)"
    )
    args = parser.parse_args()
    found = measure(args.rounds, args.cold)
    print(f"\n{args.rounds} requests per page after the first, one at a time")
    return 0 if report(found) else 1


if __name__ == "__main__":
    sys.exit(main())
