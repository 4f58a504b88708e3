"""Publishing at scale: every kind of answer, its first request and its steady throughput.

Writes the synthetic dataset (benchmarks/synthetic.py) of about N triples, builds an on-disk
store of it with ``paxsilica load --store`` (timed, with its peak memory: the load builds the
dumps, the VoID description and the class indexes too), starts ``paxsilica serve --store``
with its defaults, and then, for each kind of answer — the home page (today, and on a day), a
state chart, a class index page, a hub's document (Turtle and HTML), an ordinary document,
the VoID description, a dump's first byte, a SPARQL query —

- times its first request (the first the server ever answers for it: nothing cached), and
  the slowest of the next few (each worker answers its own first: its caches are its own);
- holds wrk on it (4 connections) for the steady throughput; for "hub documents, rotating",
  over the documents of every synthetic state in turn, so that most are built, not cached;

then prints the memory of each server process and of all of them (RSS and PSS: the workers
share the pages they were forked with), and whether gunicorn killed a worker for a timeout.
The goals of issue 15 are printed against what was measured. With ``--triples 0`` it measures
the bundled data alone.

    .venv/bin/python benchmarks/bench_scale.py --triples 1000000
    .venv/bin/python benchmarks/bench_scale.py --triples 10000000 --work /var/tmp/scale  # not in CI
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic
from bench_dereference import wrk
from compare import run_wrk
from harness import first_answer, free_port, stop, tree_pids
from load_sparql import lua_script, memory_kib
from synthetic import Sizes, generate

from paxsilica import iris

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "Accept": "text/html"}
TURTLE = {"Accept": "text/turtle"}
COLD_REQUESTS = 12  # after the first: enough for each of 5 workers to answer its own first
FIRST_GOAL_S = 1.0
HUB_GOAL_PER_S = 100.0
MEMORY_GOAL_MIB = 1024
PS = iris.ONTOLOGY_NS


@dataclass
class Case:
    """One kind of answer: a name, a path, the request headers, whether only its first byte
    counts (a dump's), the goal of its throughput (requests per second), if any, and the
    paths wrk goes round (each once in turn) instead of the one."""

    name: str
    path: str
    headers: dict[str, str]
    first_byte: bool = False
    throughput_goal: float | None = None
    rotation: tuple[str, ...] = ()


@dataclass
class Measured:
    case: Case
    status: int
    size: int
    first: float
    cold: float
    per_second: float


def most_pointed_at(data: Path | None) -> str:
    """The entity under /id/ that the most statements of a data file point at (its hub)."""
    if data is None:
        return iris.entity_iri("initiative", "pax-silica")
    counts: collections.Counter[bytes] = collections.Counter()
    prefix = f"<{iris.ENTITY_BASE}".encode()
    with open(data, "rb") as lines:
        for line in lines:
            obj = line.rstrip()[:-2].rpartition(b" ")[2]
            if obj.startswith(prefix):
                counts[obj] += 1
    return counts.most_common(1)[0][0][1:-1].decode()


def document_path(entity: str) -> str:
    return "/" + iris.Site().document_for(entity)[len(iris.CANONICAL_BASE) :]


def hubs_of(triples: int) -> tuple[str, ...]:
    """The synthetic states (each a hub at a million triples), or the bundled initiative."""
    if not triples:
        return (iris.entity_iri("initiative", "pax-silica"),)
    return tuple(
        synthetic.entity("state", n).value for n in range(Sizes.for_triples(triples).states)
    )


def cases(
    hub: str, ordinary: str, index_class: str, index_pages: int, hubs: tuple[str, ...]
) -> list[Case]:
    """The kinds of answer, with where each is asked."""
    hub_path, ordinary_path = document_path(hub), document_path(ordinary)
    rotation = tuple(document_path(h) for h in hubs)
    curie = iris.Site().curie(index_class)
    query = urllib.parse.quote(f"SELECT ?p ?o WHERE {{ <{hub}> ?p ?o }} LIMIT 100")
    middle = max(1, index_pages // 2)
    # The second page of the hub's document (a synthetic state's has several).
    paged = [
        Case("hub page 2 (Turtle)", hub_path + "?page=2", TURTLE, throughput_goal=HUB_GOAL_PER_S)
    ]
    return [
        Case("home page", "/", BROWSER),
        Case("home page on a day", "/?date=2026-03-01", BROWSER),
        Case("state chart", "/charts/state/JP", BROWSER),
        Case("class index page", f"/index/{curie}?page={middle}", BROWSER),
        Case("hub document (Turtle)", hub_path, TURTLE, throughput_goal=HUB_GOAL_PER_S),
        Case("hub document (HTML)", hub_path, BROWSER, throughput_goal=HUB_GOAL_PER_S),
        *(paged if len(hubs) > 1 else []),
        Case(
            f"hubs, {len(rotation)} rotating",
            rotation[-1],
            TURTLE,
            throughput_goal=HUB_GOAL_PER_S,
            rotation=rotation,
        ),
        Case("ordinary document", ordinary_path, TURTLE),
        Case("VoID", "/.well-known/void", TURTLE),
        Case("dump, first byte", "/dumps/pax-silica.nt", {}, first_byte=True),
        Case(
            "SPARQL query", f"/sparql?query={query}", {"Accept": "application/sparql-results+json"}
        ),
    ]


def request(url: str, headers: dict[str, str], first_byte: bool) -> tuple[float, int, int]:
    """One request: its time (to the first byte of the body, for a dump), status and size."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120) as r:
            body = r.read(1) if first_byte else r.read()
            elapsed = time.perf_counter() - started
            size = int(r.headers.get("Content-Length") or len(body))
            return elapsed, r.status, size
    except urllib.error.HTTPError as error:
        return time.perf_counter() - started, error.code, 0


def measure(base: str, case: Case, seconds: int, work: Path) -> Measured:
    url = base + case.path
    first, status, size = request(url, case.headers, case.first_byte)
    # The next requests: the same answer, or (rotating) each a new one, built in its worker.
    others = case.rotation[:COLD_REQUESTS] or (case.path,) * COLD_REQUESTS
    cold = max(request(base + path, case.headers, case.first_byte)[0] for path in others)
    # A dump's steady figure: its first 64 KiB, as a download resuming or a client sniffing.
    headers = {**case.headers, "Range": "bytes=0-65535"} if case.first_byte else case.headers
    if status != 200:
        per_second = 0.0
    elif case.rotation:
        requests = [("GET", path, case.headers, "") for path in case.rotation]
        result = run_wrk(base, lua_script(requests, work / "rotation.lua"), seconds)
        per_second = result.rate if not result.failed else 0.0
    else:
        per_second = wrk(url, headers, seconds, 4)
    return Measured(case, status, size, first, cold, per_second)


def load(data: Path | None, store: Path) -> tuple[float, float]:
    """Build the store (and its publication); return the time and the peak RSS in MiB."""
    command = [sys.executable, "-m", "paxsilica", "load", "--quiet", "--store", str(store)]
    started = time.monotonic()
    subprocess.run([*command, *([str(data)] if data else [])], check=True)
    elapsed = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kib / 1024


def processes_memory(root: int) -> list[tuple[int, int, int]]:
    """(pid, RSS KiB, PSS KiB) of each process of the server."""
    return [(pid, *memory_kib([pid])) for pid in tree_pids(root)]


def report(results: list[Measured], memory: list[tuple[int, int, int]], timeouts: int) -> int:
    print(
        f"{'answer':<24} {'status':>6} {'bytes':>9} {'first s':>8} {'cold max s':>10} {'req/s':>8}"
    )
    for m in results:
        print(
            f"{m.case.name:<24} {m.status:>6} {m.size:>9} {m.first:>8.3f} {m.cold:>10.3f}"
            f" {m.per_second:>8.1f}"
        )
    total_rss = sum(rss for _, rss, _ in memory) / 1024
    total_pss = sum(pss for _, _, pss in memory) / 1024
    print("\nserver processes (RSS / PSS MiB): " + ", ".join(
        f"{pid}: {rss / 1024:.0f} / {pss / 1024:.0f}" for pid, rss, pss in memory
    ) + f"\ntotal: RSS {total_rss:.0f} MiB, PSS {total_pss:.0f} MiB")  # fmt: skip
    missed = 0

    def goal(text: str, met: bool) -> None:
        nonlocal missed
        missed += not met
        print(f"- {text}: {'met' if met else 'MISSED'}")

    print("\ngoals (issue 15):")
    slowest = max(results, key=lambda m: max(m.first, m.cold))
    goal(
        f"every first request < {FIRST_GOAL_S} s (slowest: {slowest.case.name}, "
        f"{max(slowest.first, slowest.cold):.3f} s)",
        all(max(m.first, m.cold) < FIRST_GOAL_S for m in results),
    )
    for m in results:
        if m.case.throughput_goal:
            goal(f"{m.case.name} {m.per_second:.0f}/s >= {m.case.throughput_goal:.0f}/s",
                 m.per_second >= m.case.throughput_goal)  # fmt: skip
    goal(f"every answer 200 ({[m.case.name for m in results if m.status != 200]} not)",
         all(m.status == 200 for m in results))  # fmt: skip
    goal(f"no worker or slot stopped by a timeout ({timeouts})", timeouts == 0)
    goal(f"total memory (PSS) {total_pss:.0f} MiB < {MEMORY_GOAL_MIB} MiB",
         total_pss < MEMORY_GOAL_MIB)  # fmt: skip
    return missed


def run(args: argparse.Namespace, work: Path) -> int:
    data = None
    if args.triples:
        data = work / f"synthetic-{args.triples}.nt"
        if not data.exists():
            generate(args.triples, data)
    store = work / f"store-{args.triples}"
    if args.reuse_store and store.exists():
        print(f"paxsilica load --store: skipped, {store} kept from an earlier run")
    else:
        elapsed, peak = load(data, store)
        print(f"paxsilica load --store: {elapsed:.1f} s, peak RSS {peak:.0f} MiB")
    built = store / "publication" / "publication.json"
    classes = {}
    if built.exists():  # a server before issue 15 (measured for comparison) builds none
        statistics = json.loads(built.read_text())["statistics"]
        classes = statistics["classes"]
        print(f"{statistics['quads']:,} quads, {statistics['entities']:,} entities\n")
    index_class = PS + ("SupplyLink" if args.triples else "State")
    hub = most_pointed_at(data)
    ordinary = (
        iris.entity_iri("synth-link", "L0000042")
        if args.triples
        else iris.entity_iri("state", "JP")
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = work / "serve.log"
    command = [sys.executable, "-m", "paxsilica", "serve", "--store", str(store), "--port",
               str(port), "--base-iri", iris.CANONICAL_BASE]  # fmt: skip
    started = time.monotonic()
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    try:
        ready = first_answer(base + "/context.jsonld", process, timeout=600)
        print(f"serve --store: first answer {ready - started:.2f} s after start")
        pages = -(-classes.get(index_class, 1) // 100)
        kinds = cases(hub, ordinary, index_class, pages, hubs_of(args.triples))
        results = [measure(base, case, args.seconds, work) for case in kinds]
        memory = processes_memory(process.pid)
    finally:
        stop(process)
    # gunicorn (before issue 12) logged its kills; the event loop stops a slot past its time
    # limit and answers 503, which the first requests' statuses show.
    timeouts = len(re.findall(rb"WORKER TIMEOUT", log.read_bytes()))
    timeouts += sum(m.status == 503 for m in results)
    print(f"hub: {hub}\n")
    return report(results, memory, timeouts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--triples", type=int, default=1_000_000, help="synthetic triples (0: none)"
    )
    parser.add_argument("--seconds", type=int, default=5, help="wrk's time on each answer (5)")
    parser.add_argument("--work", type=Path, help="where to keep the data and store (kept)")
    parser.add_argument(
        "--reuse-store", action="store_true", help="with --work: keep a store built before"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package wrk)", file=sys.stderr)
        return 2
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        return 1 if run(args, args.work) else 0
    with tempfile.TemporaryDirectory() as temporary:
        return 1 if run(args, Path(temporary)) else 0


if __name__ == "__main__":
    sys.exit(main())
