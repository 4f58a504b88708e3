"""The comparison: this server against Virtuoso, the bare handler and rdflib-endpoint, in one run.

For each scale (about N synthetic triples, benchmarks/synthetic.py, written once as N-Triples)
it starts, one after another on 127.0.0.1, each target below, measures its startup to the
first SPARQL answer, holds three request mixes on it with wrk (4 connections, keep-alive) and
samples the memory of its whole process tree, then stops it:

- ``paxsilica memory``: ``paxsilica serve --data FILE`` (the in-memory store, built at start);
- ``paxsilica disk``: ``paxsilica serve --store DIR`` over a store built by ``paxsilica load``;
- ``paxsilica virtuoso``: ``paxsilica serve --endpoint`` in front of Virtuoso 7, into which the
  same dataset was pushed with ``paxsilica load --endpoint``;
- ``virtuoso``: that Virtuoso queried directly;
- ``bare``: a Flask + pyoxigraph handler with no checks (bench_sparql.create_bare) over the same
  in-memory store, under the same gunicorn options as ``paxsilica serve``;
- ``rdflib-endpoint``: the Python peer (PyPI), under uvicorn with as many workers as gunicorn.

The mixes: ``small``, the small queries of bench_sparql's mix (entity lookup, star join,
property path, text filter, DESCRIBE) in rotation; ``full``, the same plus its aggregation over
every supply link; ``deref``, dereferencing: the Turtle document about a synthetic entity
(``/doc/...``) on the paxsilica targets, and on the others what answers it there,
``DESCRIBE <iri>`` as Turtle. It prints, per scale, throughput, median and 99th-percentile
latency, startup time and peak memory (summed RSS and PSS of the process tree), then the ratios
the goals are stated in, against references measured in the same run.

    .venv/bin/python benchmarks/compare.py --scales 10000,100000 --duration 5
    .venv/bin/python benchmarks/compare.py --scales 10000,100000,1000000 --duration 10
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))
from bench_sparql import create_bare, query_mix
from harness import free_port, serve_gthread, stop, tree_pids
from load_sparql import lua_script, memory_kib
from synthetic import Sizes, entity, generate

CONNECTIONS = 4
WORKERS = 2  # web worker processes of every Python target (the machine's cores)
STARTUP_TIMEOUT = 600.0
SMALL_CASES = ("entity lookup", "star join", "property path", "text filter", "DESCRIBE")
DEREF_ENTITIES = 60
ASK = "ASK { ?s ?p ?o }"
TARGETS = ("paxsilica memory", "paxsilica disk", "paxsilica virtuoso", "virtuoso", "bare", "rdflib")
STARTUP_GOAL_SECONDS = 2.0
MEMORY_GOAL_MIB = 1024


# --- the targets' own servers (run as children of this script) ------------------------------


def serve_bare(port: int, data: str) -> None:
    """Serve the bare Flask + pyoxigraph handler over the same store, as users deploy Flask
    (gunicorn gthread, keep-alive)."""
    from paxsilica.config import load_settings
    from paxsilica.rdf.store import build_store

    settings = load_settings(port=port, host="127.0.0.1")
    store = build_store([data], site=settings.site, progress=False)
    serve_gthread(create_bare(store), port, workers=WORKERS)


def rdflib_app():
    """Return rdflib-endpoint's application over the N-Quads file named by COMPARE_RDFLIB_DATA.

    The file is the dataset the paxsilica store holds (bundled, inferred and synthetic graphs),
    served with the union of its graphs as the default graph, as paxsilica does.
    """
    import rdflib
    from rdflib_endpoint import SparqlEndpoint

    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(os.environ["COMPARE_RDFLIB_DATA"], format="nquads")
    return SparqlEndpoint(graph=dataset, path="/sparql", cors_enabled=False)


def write_dataset(data: Path, out: Path) -> None:
    """Write the dataset paxsilica serves for a data file (bundled graphs too) as N-Quads."""
    import pyoxigraph as ox

    from paxsilica.rdf.store import build_store

    store = build_store([data], progress=False)
    with open(out, "wb") as output:
        store.dump(output, ox.RdfFormat.N_QUADS)


def serve_rdflib(port: int, data: str) -> None:
    """Serve rdflib-endpoint with uvicorn, as many worker processes as gunicorn has."""
    import uvicorn

    os.environ["COMPARE_RDFLIB_DATA"] = data
    uvicorn.run(
        "compare:rdflib_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=WORKERS,
        log_level="warning",
        access_log=False,
    )


# --- measuring ----------------------------------------------------------------------------------


class MemorySampler(threading.Thread):
    """Samples the summed RSS and PSS of a process tree every quarter second, keeping the peak."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.peak_rss = self.peak_pss = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.25):
            rss, pss = memory_kib(tree_pids(self.root))
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def finish(self) -> tuple[float, float]:
        """Stop sampling; return the peaks in MiB."""
        self.stopping.set()
        self.join()
        return self.peak_rss / 1024, self.peak_pss / 1024


def post(url: str, query: str, accept: str, timeout: float = 120.0) -> tuple[bytes, str]:
    """POST a query; return the answer's body and media type."""
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(url, data=data, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read(), response.headers.get_content_type()


def wait_for_answer(url: str, alive: Callable[[], bool], timeout: float) -> float:
    """Send ASK until the endpoint answers 2xx; return the monotonic time of that answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server behind {url} exited before answering")
        try:
            post(url, ASK, "application/sparql-results+json", timeout=10)
            return time.monotonic()
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")


@dataclass
class MixResult:
    """What wrk saw on one mix: throughput, latency percentiles (ms), failures."""

    rate: float
    p50: float
    p99: float
    total: int
    failed: int


def run_wrk(base: str, script: Path, seconds: float) -> MixResult:
    """Hold CONNECTIONS keep-alive clients on a mix for ``seconds``; parse the Lua summary."""
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", "--timeout", "30s", "-s", str(script)]
    output = subprocess.run(
        [*command, f"-d{max(1, round(seconds))}s", base],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 90,
    ).stdout
    failed = sum(int(n) for n in re.search(r"FAILED ([\d ]+)", output).group(1).split())
    p50, _p90, p99, _max = (
        int(n) / 1000 for n in re.search(r"LATENCY ([\d ]+)", output).group(1).split()
    )
    total = int(re.search(r"TOTAL (\d+)", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return MixResult(rate, p50, p99, total, failed)


@dataclass
class Measured:
    """Everything measured on one target at one scale."""

    startup: float
    rss: float = 0.0
    pss: float = 0.0
    mixes: dict[str, MixResult] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)


# --- the mixes ---------------------------------------------------------------------------------


def sparql_requests(path: str, cases) -> list[tuple[str, str, dict[str, str], str]]:
    """POST requests for the cases' queries, interleaved (variant i of every case in turn)."""
    requests = []
    for variant in range(max(len(case.queries) for case in cases)):
        for case in cases:
            body = urllib.parse.urlencode({"query": case.queries[variant % len(case.queries)]})
            headers = {"Accept": case.accept, "Content-Type": "application/x-www-form-urlencoded"}
            requests.append(("POST", path, headers, body))
    return requests


def deref_entities(sizes: Sizes) -> list[str]:
    kinds = (("company", sizes.companies), ("link", sizes.links), ("state", sizes.states))
    return [
        entity(kind, (n * 7919) % count).value
        for n in range(DEREF_ENTITIES)
        for kind, count in kinds[n % 3 : n % 3 + 1]
    ]


def deref_requests(sparql_path: str | None, sizes: Sizes):
    """GET the document about each entity (paxsilica), or DESCRIBE it (a bare SPARQL server)."""
    requests = []
    for iri in deref_entities(sizes):
        if sparql_path is None:
            path = "/doc/" + iri.split("/id/", 1)[1]
        else:
            path = sparql_path + "?" + urllib.parse.urlencode({"query": f"DESCRIBE <{iri}>"})
        requests.append(("GET", path, {"Accept": "text/turtle"}, ""))
    return requests


def count_answer(body: bytes, media_type: str) -> int:
    """Rows of a SPARQL JSON answer, or triples of an RDF one (whatever format it came in)."""
    import pyoxigraph as ox

    if "json" in media_type and "ld+json" not in media_type:
        return len(json.loads(body)["results"]["bindings"])
    rdf_format = ox.RdfFormat.from_media_type(media_type)
    if rdf_format is None and body.lstrip().startswith(b"<"):
        rdf_format = ox.RdfFormat.RDF_XML  # rdflib-endpoint's DESCRIBE, whatever was asked
    return len(list(ox.parse(body, rdf_format)))


# --- running one target ------------------------------------------------------------------------


@dataclass
class Running:
    """A started target: its SPARQL URL, its process-tree root, how to stop it, its startup."""

    sparql_url: str
    root: int
    stop: Callable[[], None]
    documents: bool  # whether it serves /doc/ (the paxsilica targets)
    startup: float


def start_process(command: list[str], port: int, path: str, log: Path, timeout: float) -> tuple:
    """Start a server in its own session (output to ``log``); time it to its first answer."""
    started = time.monotonic()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}{path}"
    try:
        answered = wait_for_answer(url, lambda: process.poll() is None, timeout)
    except BaseException:
        stop(process)
        raise
    return process, url, answered - started


def measure(running: Running, cases, sizes: Sizes, seconds: float, directory: Path) -> Measured:
    """Warm a started target up, then hold each mix on it, sampling its memory throughout."""
    result = Measured(startup=running.startup)
    sampler = MemorySampler(running.root)
    sampler.start()
    try:
        base = running.sparql_url.rsplit("/", 1)[0]
        path = "/" + running.sparql_url.split("/", 3)[3]
        for case in cases:
            try:
                body, media_type = post(running.sparql_url, case.queries[0], case.accept)
                result.answers[case.name] = count_answer(body, media_type)
            except (OSError, ValueError, SyntaxError) as error:
                print(f"    {case.name}: no answer ({error})", file=sys.stderr)
                result.answers[case.name] = -1
        small = [case for case in cases if case.name in SMALL_CASES]
        mixes = {
            "small": sparql_requests(path, small),
            "full": sparql_requests(path, cases),
            "deref": deref_requests(None if running.documents else path, sizes),
        }
        for name, requests in mixes.items():
            script = lua_script(requests, directory / f"{name}.lua")
            run_wrk(base, script, 1)  # warm-up: caches, workers forked on first use
            result.mixes[name] = run_wrk(base, script, seconds)
    finally:
        result.rss, result.pss = sampler.finish()
    return result


class VirtuosoTarget:
    """A Virtuoso 7 with a temporary database into which the dataset is pushed once per scale."""

    def __init__(self, directory: Path, data: Path):
        from virtuoso import VirtuosoServer

        self.server = VirtuosoServer(directory)
        self.server.start()
        env = dict(os.environ, PAXSILICA_ENDPOINT_PASSWORD=self.server.password)
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "paxsilica", "load", "--quiet", "--endpoint",
             self.server.sparql_url, "--update-endpoint", self.server.update_url,
             "--endpoint-user", self.server.user, str(data)],
            env=env, check=True, stdout=subprocess.DEVNULL, timeout=7200,
        )  # fmt: skip
        self.push_seconds = time.monotonic() - started
        # Startup is timed on a restart over the loaded database, as for the on-disk store.
        self.server.stop()
        started = time.monotonic()
        self.server.start(timeout=STARTUP_TIMEOUT)
        answered = wait_for_answer(self.server.sparql_url, lambda: True, 60)
        self.startup = answered - started

    def close(self) -> None:
        self.server.stop()


def start_target(
    name: str, data: Path, store_dir: Path, virtuoso: VirtuosoTarget | None, timeout: float
):
    """Start one target; return it Running (its startup measured to the first answer)."""
    serve = [sys.executable, "-m", "paxsilica", "serve"]
    port = free_port()
    if name == "paxsilica memory":
        command = [*serve, "--port", str(port), "--data", str(data)]
    elif name == "paxsilica disk":
        command = [*serve, "--port", str(port), "--store", str(store_dir)]
    elif name == "paxsilica virtuoso":
        command = [*serve, "--port", str(port), "--endpoint", virtuoso.server.sparql_url]
    elif name == "bare":
        command = [sys.executable, __file__, "--serve-bare", str(port), "--data", str(data)]
    elif name == "rdflib":
        nquads = data.with_suffix(".nq")
        if not nquads.exists():
            write_dataset(data, nquads)
        command = [sys.executable, __file__, "--serve-rdflib", str(port), "--data", str(nquads)]
    else:  # Virtuoso itself: started (and its startup timed) with its database
        pid = virtuoso.server.process.pid
        return Running(virtuoso.server.sparql_url, pid, lambda: None, False, virtuoso.startup)
    log = store_dir.parent / f"{name.replace(' ', '-')}.log"
    process, url, startup = start_process(command, port, "/sparql", log, timeout)
    return Running(url, process.pid, lambda: stop(process), name.startswith("paxsilica"), startup)


def run_scale(triples: int, targets: list[str], seconds: float, workdir: Path) -> dict:
    """Measure every target at one scale; return {target: Measured} and the load times."""
    directory = workdir / f"scale-{triples}"
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "synthetic.nt"
    written = generate(triples, data)
    sizes = Sizes.for_triples(triples)
    cases = query_mix(sizes)
    print(f"\n== {written} synthetic triples (plus the bundled data) ==", flush=True)
    loads: dict[str, float] = {}
    store_dir = directory / "store"
    if "paxsilica disk" in targets:
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "paxsilica", "load", "--quiet", "--store", str(store_dir),
             str(data)],
            check=True, stdout=subprocess.DEVNULL, timeout=7200,
        )  # fmt: skip
        loads["paxsilica load --store"] = time.monotonic() - started
    virtuoso = None
    if {"paxsilica virtuoso", "virtuoso"} & set(targets):
        virtuoso = VirtuosoTarget(directory / "virtuoso", data)
        loads["paxsilica load --endpoint (Virtuoso)"] = virtuoso.push_seconds
    results: dict[str, Measured] = {}
    startup_timeout = 60 + triples / 5000  # bounded, yet enough to parse 10 million triples
    try:
        for name in targets:
            print(f"  {name}: starting", flush=True)
            try:
                running = start_target(name, data, store_dir, virtuoso, startup_timeout)
            except (RuntimeError, OSError) as error:
                print(f"  {name}: FAILED to start: {error}", flush=True)
                continue
            try:
                results[name] = measure(running, cases, sizes, seconds, directory)
            finally:
                running.stop()
            summary = ", ".join(f"{m} {r.rate:.1f}/s" for m, r in results[name].mixes.items())
            print(f"  {name}: startup {running.startup:.2f} s, {summary}", flush=True)
    finally:
        if virtuoso is not None:
            virtuoso.close()
    return {"triples": written, "results": results, "loads": loads, "cases": cases}


# --- reporting -----------------------------------------------------------------------------------


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs > 0 else "inf"


def report(scale: dict, seconds: float) -> str:
    """The table of one scale, in Markdown, then its ratios and goals."""
    results: dict[str, Measured] = scale["results"]
    lines = [
        f"**{scale['triples']:,} synthetic triples** (plus the bundled data), {CONNECTIONS} "
        f"clients, {seconds:g} s per mix",
        "",
        "| target | startup s | small req/s | p50 ms | p99 ms | full req/s | p50 ms | p99 ms "
        "| deref req/s | p50 ms | p99 ms | peak RSS MiB | peak PSS MiB | failed |",
        "|---|" + "---:|" * 13,
    ]
    for name, measured in results.items():
        cells = [f"{measured.startup:.2f}"]
        failed = 0
        for mix in ("small", "full", "deref"):
            found = measured.mixes[mix]
            cells += [f"{found.rate:.1f}", f"{found.p50:.1f}", f"{found.p99:.1f}"]
            failed += found.failed
        cells += [f"{measured.rss:.0f}", f"{measured.pss:.0f}", str(failed)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    answers = {name: m.answers for name, m in results.items()}
    disagree = [
        case.name
        for case in scale["cases"]
        if len({a.get(case.name) for a in answers.values()}) > 1
    ]
    if disagree:
        lines.append("")
        lines.append("Answers to the first query of each kind (rows or triples) differ on: "
                     + "; ".join(f"{c}: " + ", ".join(f"{n} {a[c]}" for n, a in answers.items())
                                 for c in disagree))  # fmt: skip
    if scale["loads"]:
        lines.append("")
        lines.append("Loading: " + ", ".join(f"{k} {v:.1f} s" for k, v in scale["loads"].items()))
    lines.append("")
    lines += goals(results, scale["triples"])
    return "\n".join(lines)


def goals(results: dict[str, Measured], triples: int) -> list[str]:
    """The issue's goals, as ratios against references measured in the same run."""
    lines = []
    ours = results.get("paxsilica memory")
    if ours is None:
        return lines
    small = ours.mixes["small"].rate

    def goal(text: str, met: bool) -> None:
        lines.append(f"- {text}: {'met' if met else 'MISSED'}")

    if "virtuoso" in results:
        theirs = results["virtuoso"].mixes["small"].rate
        goal(f"small mix, paxsilica memory / Virtuoso direct = {ratio(small, theirs)} (>= 1)",
             small >= theirs)  # fmt: skip
    if "rdflib" in results:
        theirs = results["rdflib"].mixes["small"].rate
        goal(f"small mix, paxsilica memory / rdflib-endpoint = {ratio(small, theirs)} (>= 20)",
             small >= 20 * theirs)  # fmt: skip
    if "bare" in results:
        theirs = results["bare"].mixes["small"].rate
        goal(f"small mix, paxsilica memory / bare handler = {ratio(small, theirs)} (>= 0.8)",
             small >= 0.8 * theirs)  # fmt: skip
    if triples >= 900_000:
        goal(
            f"memory of paxsilica memory at {triples:,} triples: PSS {ours.pss:.0f} MiB, "
            f"RSS sum {ours.rss:.0f} MiB (< {MEMORY_GOAL_MIB} MiB)",
            ours.pss < MEMORY_GOAL_MIB,
        )
    if "paxsilica disk" in results and triples >= 9_000_000:
        startup = results["paxsilica disk"].startup
        goal(f"first answer of serve --store at {triples:,} triples: {startup:.2f} s "
             f"(< {STARTUP_GOAL_SECONDS:g} s)", startup < STARTUP_GOAL_SECONDS)  # fmt: skip
    lines += ceilings(results, triples)
    return lines


def ceilings(results: dict[str, Measured], triples: int) -> list[str]:
    """What the bare handler, the ceiling of this stack, reaches on the goals measured against it.

    A goal the bare Flask + pyoxigraph handler misses in the same run is out of reach for any
    server built on that stack, whatever it adds.
    """
    bare = results.get("bare")
    if bare is None:
        return []
    lines = []
    if "rdflib" in results:
        theirs = results["rdflib"].mixes["small"].rate
        lines.append(f"- ceiling: small mix, bare handler / rdflib-endpoint = "
                     f"{ratio(bare.mixes['small'].rate, theirs)} (the goal asks 20)")  # fmt: skip
    if triples >= 900_000:
        lines.append(f"- ceiling: memory of the bare handler at {triples:,} triples: PSS "
                     f"{bare.pss:.0f} MiB (the goal asks < {MEMORY_GOAL_MIB} MiB)")  # fmt: skip
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="10000,100000", help="triples, comma-separated")
    parser.add_argument("--duration", type=float, default=5, help="seconds per mix (5)")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated subset")
    parser.add_argument("--workdir", type=Path, help="keep data and stores here (else a temp dir)")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-rdflib", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.data)
        return 0
    if args.serve_rdflib:
        serve_rdflib(args.serve_rdflib, args.data)
        return 0
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; known: {', '.join(TARGETS)}")
    needed = {"wrk": "wrk"}
    if {"virtuoso", "paxsilica virtuoso"} & set(targets):
        needed["virtuoso-t"] = "virtuoso-opensource"
    for tool, package in needed.items():
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian package {package})", file=sys.stderr)
            return 2
    scales = [int(s) for s in args.scales.split(",")]
    with tempfile.TemporaryDirectory(prefix="compare-") as temporary:
        workdir = args.workdir or Path(temporary)
        measured = [run_scale(n, targets, args.duration, workdir) for n in scales]
    print(f"\ncommand: python benchmarks/compare.py {' '.join(sys.argv[1:])}\n")
    for scale in measured:
        print(report(scale, args.duration) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
