"""The comparison: this server against Oxigraph's, Virtuoso, the bare handler and rdflib-endpoint.

For each scale (about N synthetic triples, benchmarks/synthetic.py, written once as N-Triples)
it starts, one after another on 127.0.0.1, each target below, measures its startup to the
first SPARQL answer, holds each query kind on it with wrk (4 connections, keep-alive) and
samples the memory of its whole process tree, then stops it:

- ``paxsilica memory``: ``paxsilica serve --data FILE`` (the in-memory store, built at start);
- ``paxsilica disk``: ``paxsilica serve --store DIR`` over a store built by ``paxsilica load``;
- ``paxsilica virtuoso``: ``paxsilica serve --endpoint`` in front of Virtuoso 7, into which the
  same dataset was pushed with ``paxsilica load --endpoint``;
- ``virtuoso``: that Virtuoso queried directly, given memory for the data (NumberOfBuffers
  sized to hold the whole database, VIRTUOSO_BUFFERS);
- ``oxigraph``: Oxigraph's own Rust server (``oxigraph serve-read-only --union-default-graph``,
  PyPI package ``oxigraph``) over a store built with ``oxigraph load`` from the same dataset;
- ``bare``: a Flask + pyoxigraph handler with no checks (bench_sparql.create_bare) over the same
  in-memory store, deployed as users deploy Flask (gunicorn gthread, keep-alive);
- ``rdflib``: rdflib-endpoint, the Python peer (PyPI), under uvicorn with two workers.

The query kinds are bench_sparql's mix (entity lookup, star join, aggregation, property path,
text filter, DESCRIBE), each held alone, every request with a constant of its own (a wrk Lua
script rotating over VARIANTS variants of the kind, bench_sparql.query_mix), so that no cache
of answers or plans helps; then ``deref``, dereferencing: the Turtle document about a synthetic
entity (``/doc/...``) on the paxsilica targets, and on the others what answers it there,
``DESCRIBE <iri>`` as Turtle. It prints, per scale, throughput, median and 99th-percentile
latency per kind, startup time and peak memory (summed RSS and PSS of the process tree), then
the goals' ratios (geometric mean over the query kinds, and per kind) against the references
measured in the same run.

    .venv/bin/python benchmarks/compare.py --scales 10000,100000 --duration 5
    .venv/bin/python benchmarks/compare.py --scales 10000,100000,1000000 --duration 10
        [--targets "paxsilica memory,bare,virtuoso,oxigraph"]
"""

from __future__ import annotations

import argparse
import json
import math
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
DEREF_ENTITIES = 60
# Variants of each query kind that a wrk script rotates over: more than the requests a kind
# gets at the smaller scales' rates in a few seconds, so that most requests are each other's
# strangers, and no cache holds them all.
VARIANTS = 2000
ASK = "ASK { ?s ?p ?o }"
TARGETS = (
    "paxsilica memory",
    "paxsilica disk",
    "paxsilica virtuoso",
    "virtuoso",
    "oxigraph",
    "bare",
    "rdflib",
)
DEFAULT_TARGETS = ("paxsilica memory", "bare", "virtuoso", "oxigraph")
# The goals of issue 12, against references measured in the same run: (reference, ratio).
GOALS = (("bare", 0.9), ("virtuoso", 1.0), ("oxigraph", 0.6))
# Virtuoso's buffers: 8 KiB pages, at least its sizing table's figure for 2 GB of memory, and
# for larger data one per 4 triples, so that the database is held whole in memory.
VIRTUOSO_MIN_BUFFERS = 170_000
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
    """Warm a started target up, then hold each query kind on it, sampling its memory."""
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
        kinds = {case.name: sparql_requests(path, [case]) for case in cases}
        kinds["deref"] = deref_requests(None if running.documents else path, sizes)
        for name, requests in kinds.items():
            script = lua_script(requests, directory / (re.sub(r"\W+", "-", name) + ".lua"))
            run_wrk(base, script, 1)  # warm-up: caches, workers forked on first use
            result.mixes[name] = run_wrk(base, script, seconds)
    finally:
        result.rss, result.pss = sampler.finish()
    return result


class VirtuosoTarget:
    """A Virtuoso 7 with a temporary database into which the dataset is pushed once per scale."""

    def __init__(self, directory: Path, data: Path, triples: int):
        from virtuoso import VirtuosoServer

        self.server = VirtuosoServer(directory, buffers=max(VIRTUOSO_MIN_BUFFERS, triples // 4))
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
        command = [sys.executable, __file__, "--serve-rdflib", str(port), "--data",
                   str(dataset_file(data))]  # fmt: skip
    elif name == "oxigraph":
        command = [oxigraph_command(), "serve-read-only", "--location",
                   str(oxigraph_store(data)), "--union-default-graph", "--bind",
                   f"127.0.0.1:{port}"]  # fmt: skip
        log = store_dir.parent / "oxigraph.log"
        process, url, startup = start_process(command, port, "/query", log, timeout)
        return Running(url, process.pid, lambda: stop(process), False, startup)
    else:  # Virtuoso itself: started (and its startup timed) with its database
        pid = virtuoso.server.process.pid
        return Running(virtuoso.server.sparql_url, pid, lambda: None, False, virtuoso.startup)
    log = store_dir.parent / f"{name.replace(' ', '-')}.log"
    process, url, startup = start_process(command, port, "/sparql", log, timeout)
    return Running(url, process.pid, lambda: stop(process), name.startswith("paxsilica"), startup)


def dataset_file(data: Path) -> Path:
    """The N-Quads file of the dataset paxsilica serves for a data file, written once."""
    nquads = data.with_suffix(".nq")
    if not nquads.exists():
        write_dataset(data, nquads)
    return nquads


def oxigraph_command() -> str:
    """Oxigraph's server, from the PyPI package oxigraph (the bench extra), beside Python."""
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.exists() else "oxigraph"


def oxigraph_store(data: Path) -> Path:
    """An Oxigraph store of the same dataset (bundled graphs too), built once with its CLI."""
    location = data.parent / "oxigraph-store"
    if not location.exists():
        subprocess.run(
            [oxigraph_command(), "load", "--location", str(location), "--file",
             str(dataset_file(data))],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=7200,
        )  # fmt: skip
    return location


def run_scale(triples: int, targets: list[str], seconds: float, workdir: Path) -> dict:
    """Measure every target at one scale; return {target: Measured} and the load times."""
    directory = workdir / f"scale-{triples}"
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "synthetic.nt"
    written = generate(triples, data)
    sizes = Sizes.for_triples(triples)
    cases = query_mix(sizes, variants=VARIANTS)
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
        virtuoso = VirtuosoTarget(directory / "virtuoso", data, triples)
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


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else 0.0


def report(scale: dict, seconds: float) -> str:
    """The table of one scale, in Markdown, then its ratios and goals."""
    results: dict[str, Measured] = scale["results"]
    kinds = [case.name for case in scale["cases"]] + ["deref"]
    lines = [
        f"**{scale['triples']:,} synthetic triples** (plus the bundled data), {CONNECTIONS} "
        f"clients, {seconds:g} s per kind, every request a variant of its own; req/s "
        "(p99 ms)",
        "",
        "| target | startup s | " + " | ".join(kinds) + " | peak RSS MiB | peak PSS MiB | failed |",
        "|---|" + "---:|" * (len(kinds) + 4),
    ]
    for name, measured in results.items():
        cells = [f"{measured.startup:.2f}"]
        cells += [f"{measured.mixes[k].rate:.0f} ({measured.mixes[k].p99:.0f})" for k in kinds]
        failed = sum(found.failed for found in measured.mixes.values())
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
    lines += goals(results, [case.name for case in scale["cases"]], scale["triples"])
    return "\n".join(lines)


def goals(results: dict[str, Measured], kinds: list[str], triples: int) -> list[str]:
    """The issue's goals: paxsilica memory's throughput over each reference's, per query kind
    and as their geometric mean, all measured in the same run."""
    lines = []
    ours = results.get("paxsilica memory")
    if ours is None:
        return lines
    for reference, wanted in GOALS:
        theirs = results.get(reference)
        if theirs is None:
            continue
        ratios = {k: ours.mixes[k].rate / theirs.mixes[k].rate for k in kinds}
        mean = geometric_mean(list(ratios.values()))
        per_kind = ", ".join(f"{k} {r:.2f}" for k, r in ratios.items())
        verdict = "met" if mean >= wanted else "MISSED"
        lines.append(f"- paxsilica memory / {reference}: geometric mean {mean:.2f} "
                     f"(goal >= {wanted:g}: {verdict}); per kind: {per_kind}")  # fmt: skip
    if "rdflib" in results:
        theirs = results["rdflib"]
        mean = geometric_mean([ours.mixes[k].rate / theirs.mixes[k].rate for k in kinds])
        lines.append(f"- paxsilica memory / rdflib-endpoint: geometric mean {mean:.2f}")
    if triples >= 900_000:
        lines.append(
            f"- memory of paxsilica memory at {triples:,} triples: PSS {ours.pss:.0f} MiB, "
            f"RSS sum {ours.rss:.0f} MiB (goal < {MEMORY_GOAL_MIB} MiB: "
            f"{'met' if ours.pss < MEMORY_GOAL_MIB else 'MISSED'})"
        )
    if "paxsilica disk" in results and triples >= 9_000_000:
        startup = results["paxsilica disk"].startup
        lines.append(f"- first answer of serve --store at {triples:,} triples: {startup:.2f} s "
                     f"(goal < {STARTUP_GOAL_SECONDS:g} s)")  # fmt: skip
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="10000,100000", help="triples, comma-separated")
    parser.add_argument("--duration", type=float, default=5, help="seconds per mix (5)")
    parser.add_argument(
        "--targets",
        default=",".join(DEFAULT_TARGETS),
        help=f"comma-separated, of: {', '.join(TARGETS)} (default: {', '.join(DEFAULT_TARGETS)})",
    )
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
    if "oxigraph" in targets:
        needed[oxigraph_command()] = "PyPI oxigraph, in the bench extra"
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
