"""SPARQL throughput: the endpoint against a bare Flask + pyoxigraph handler, in one run.

Generates a synthetic dataset (benchmarks/synthetic.py), starts the production server
(``paxsilica serve``: its event loop and slots, with their defaults) on it, with one reference
mounted beside the application: /__bare/sparql, a Flask view that runs the query on the same
store and serializes the answer, with no checks at all (no guard, no limits, no worker
process, no negotiation): the ceiling of this stack. With wrk and 4 concurrent connections it
measures requests per second for each query of a domain-shaped mix on both, back to back, over
several rounds that alternate which goes first. The ratio is taken within each round (the two
measurements of a pair see the same background load, which on a shared 2-core machine drifts
by a third between minutes) and its median printed per query (goal: at least 0.8 of the bare
handler), beside the median rates; then the CPU time per request of the server's processes,
split between the event loop and the query slots (the bare handler runs in the query slots
too, as the endpoint does).

    .venv/bin/python benchmarks/bench_sparql.py [--triples 200000] [--seconds 3] [--rounds 5]
        [--cases "entity lookup,DESCRIBE"]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import first_answer, free_port, process_stats, stop, tree_pids
from synthetic import Sizes, entity, generate

BARE_PREFIX = "/__bare"
PREFIXES = """PREFIX ps: <https://w3id.org/pax-silica/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
VARIANTS = 40


@dataclass(frozen=True)
class Case:
    """One query of the mix, in several variants (different entities), and what it accepts."""

    name: str
    queries: tuple[str, ...]
    accept: str


def query_mix(sizes: Sizes, seed: int = 7, variants: int = VARIANTS) -> list[Case]:
    """The benchmark's queries over a synthetic dataset of the given sizes.

    Each kind comes in ``variants`` variants: different entities where the kind has enough of
    them, and for every kind whose constant repeats (a year, a root, a word) a filter on a
    constant of its own that no row meets, so that no two variants are the same query and no
    cache of answers or plans can serve one from another.
    """
    rng = random.Random(seed)

    def some(kind: str, count: int) -> list[str]:
        return [entity(kind, rng.randrange(count)).value for _ in range(variants)]

    json_results = "application/sparql-results+json"
    return [
        Case(
            "entity lookup",
            tuple(
                f"SELECT ?p ?o WHERE {{ <{c}> ?p ?o }}" for c in some("company", sizes.companies)
            ),
            json_results,
        ),
        Case(
            "star join",
            tuple(
                PREFIXES + "SELECT ?link ?supplier ?share ?year ?source WHERE {\n"
                f"  ?link ps:technology <{t}> ; ps:supplier ?supplier ; ps:sharePercent ?share ;\n"
                f"    ps:referenceYear ?year ; ps:source ?source . FILTER(?share != -{n})\n}}"
                for n, t in enumerate(some("technology", sizes.technologies), 1)
            ),
            json_results,
        ),
        Case(
            "aggregation",
            tuple(
                PREFIXES + "SELECT ?supplier (COUNT(?link) AS ?links) (AVG(?share) AS ?average)\n"
                f"WHERE {{ ?link ps:supplier ?supplier ; ps:sharePercent ?share ;\n"
                f"  ps:referenceYear ?year FILTER(?year = {year} && ?share != -{n}) }}\n"
                "GROUP BY ?supplier HAVING (COUNT(?link) > 1) ORDER BY DESC(?links) LIMIT 20"
                for n, year in enumerate(
                    [
                        f'"{2015 + n % 11}"^^<http://www.w3.org/2001/XMLSchema#gYear>'
                        for n in range(variants)
                    ],
                    1,
                )
            ),
            json_results,
        ),
        Case(
            "property path",
            tuple(
                PREFIXES + f"SELECT ?narrower ?label WHERE {{ ?narrower skos:broader+ <{t}> ;\n"
                f'  skos:prefLabel ?label FILTER(?label != "variant {n}") }}'
                for n, t in enumerate(
                    [entity("technology", n % 4).value for n in range(variants)], 1
                )
            ),
            json_results,
        ),
        Case(
            "text filter",
            tuple(
                PREFIXES
                + "SELECT ?company ?label WHERE { ?company a ps:Company ; rdfs:label ?label\n"
                f'  FILTER(CONTAINS(LCASE(?label), "{word}") && ?label != "variant {n}") }} '
                "LIMIT 50"
                for n, word in enumerate(
                    [rng.choice(["silicon", "wafer", "quantum", "etch"]) for _ in range(variants)],
                    1,
                )
            ),
            json_results,
        ),
        Case(
            "DESCRIBE",
            tuple(f"DESCRIBE <{link}>" for link in some("link", sizes.links)),
            "text/turtle",
        ),
    ]


def create_bare(store: ox.Store):
    """The reference: Flask and pyoxigraph, and nothing else."""
    from flask import Flask, Response, request

    bare = Flask("bare")

    @bare.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        results = store.query(request.values["query"], use_default_graph_as_union=True)
        if isinstance(results, ox.QueryTriples):
            body = results.serialize(format=ox.RdfFormat.TURTLE)
            return Response(body, mimetype="text/turtle")
        body = results.serialize(format=ox.QueryResultsFormat.JSON)
        return Response(body, mimetype="application/sparql-results+json")

    return bare


def serve_child(port: int, data: str) -> None:
    """Run the production server with the bare reference mounted beside the application."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from paxsilica.config import load_settings
    from paxsilica.web import server as serving
    from paxsilica.web.state import published

    def with_bare(app):
        with app.app_context():
            store = published().store
        return DispatcherMiddleware(app, {BARE_PREFIX: create_bare(store)})

    settings = load_settings(port=port, host="127.0.0.1", data_files=(data,))
    # The bare handler runs in the query slots, as the endpoint does: same processes, same
    # priority, same admission, so that the ratio is the endpoint's own cost.
    serving.serve(settings, wrap=with_bare, query_paths=(BARE_PREFIX + "/sparql",))


LUA = """
local bodies = {%s}
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "%s"
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter %% #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("FAILED %%d %%d %%d\\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout))
end
"""


def lua_script(case: Case, directory: Path) -> Path:
    bodies = ", ".join("[==[" + urllib.parse.urlencode({"query": q}) + "]==]" for q in case.queries)
    path = directory / (re.sub(r"\W+", "-", case.name) + ".lua")
    path.write_text(LUA % (bodies, case.accept), encoding="utf-8")
    return path


def wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, int]:
    """Return wrk's requests per second and request count, failing on any error or non-2xx."""
    command = [
        "wrk",
        f"-t{min(connections, 2)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
    ]
    output = subprocess.run(
        [*command, "-s", str(script), url], capture_output=True, text=True, check=True,
        timeout=seconds + 60,
    ).stdout  # fmt: skip
    failed = re.search(r"FAILED (\d+) (\d+) (\d+)", output)
    if failed is None or any(int(n) for n in failed.groups()):
        raise RuntimeError(f"wrk saw failed requests on {url}:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rate, int(re.search(r"(\d+) requests in", output).group(1))


def cpu_by_role(root: int) -> dict[str, float]:
    """CPU seconds (user and system) the server's processes have used so far, by role.

    "loop" is the event loop (the server's own process), "slots" the slot processes forked
    from it, where both the endpoint and the bare handler run (reaped ones included: their
    time is added to the loop's children's).
    """
    tick = os.sysconf("SC_CLK_TCK")
    stats = process_stats()

    def seconds(pids: list[int], fields: slice) -> float:
        return sum(int(tick_count) for pid in pids for tick_count in stats[pid][fields]) / tick

    children = [pid for pid, fields in stats.items() if int(fields[1]) == root]
    # The loop's own time (fields 14-15), and its children's: live slots and reaped ones.
    return {
        "loop": seconds([root], slice(11, 13)),
        "slots": seconds([root], slice(13, 15))
        + sum(seconds(tree_pids(child, stats), slice(11, 15)) for child in children),
    }


def answer(url: str, query: str, accept: str) -> bytes:
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(url, data=data, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def same_answer(case: Case, ours: bytes, bare: bytes) -> bool:
    """Whether both endpoints answered the first variant alike (solutions or triples)."""
    if case.accept == "text/turtle":
        return set(ox.parse(ours, ox.RdfFormat.TURTLE)) == set(ox.parse(bare, ox.RdfFormat.TURTLE))

    def rows(body: bytes) -> list[str]:
        bindings = json.loads(body)["results"]["bindings"]
        return sorted(json.dumps(b, sort_keys=True) for b in bindings)

    return rows(ours) == rows(bare)


def _chosen_cases(parser: argparse.ArgumentParser, cases: list[Case], names: str | None):
    if not names:
        return cases
    wanted = {name.strip() for name in names.split(",")}
    unknown = wanted - {case.name for case in cases}
    if unknown:
        parser.error(f"unknown --cases {sorted(unknown)}; known: {[c.name for c in cases]}")
    return [case for case in cases if case.name in wanted]


def _measure(args, cases: list[Case], directory: Path, data: Path):
    """Start the server on the data, check both targets agree, then measure them in rounds."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-child", str(port), "--data", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    figures: dict[tuple[str, str], list[float]] = {}
    # CPU microseconds per request: (case, target, role) -> one figure per round.
    cpu: dict[tuple[str, str, str], list[float]] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        first_answer(base + "/sparql", process, timeout=600, headers={"Accept": "text/turtle"})
        targets = {"endpoint": base + "/sparql", "bare": base + BARE_PREFIX + "/sparql"}
        for case in cases:
            ours, bare = (answer(targets[t], case.queries[0], case.accept) for t in targets)
            if not same_answer(case, ours, bare):
                raise RuntimeError(f"{case.name}: the endpoint and the bare handler disagree")
        scripts = {case.name: lua_script(case, directory) for case in cases}
        for case in cases:  # warm up both
            for url in targets.values():
                wrk(url, scripts[case.name], 1, args.connections)
        for number in range(args.rounds):
            order = list(targets.items())
            if number % 2:
                order.reverse()
            for case in cases:
                for target, url in order:
                    before = cpu_by_role(process.pid)
                    rate, requests = wrk(url, scripts[case.name], args.seconds, args.connections)
                    after = cpu_by_role(process.pid)
                    figures.setdefault((case.name, target), []).append(rate)
                    for role in after:
                        spent = (after[role] - before[role]) * 1e6 / max(requests, 1)
                        cpu.setdefault((case.name, target, role), []).append(spent)
    finally:
        stop(process)
    return figures, cpu


def _report(args, written: int, cases: list[Case], figures, cpu) -> None:
    print(
        f"{written} synthetic triples (plus the bundled data), {args.connections} concurrent "
        f"clients, {args.rounds} x {args.seconds} s each: median requests per second, and the "
        "median (and range) of the ratio within each round:"
    )
    print(f"{'query':<15} {'endpoint':>10} {'bare':>10} {'ratio':>7} {'range':>11}  goal >= 0.8")
    worst = float("inf")
    for case in cases:
        ours, bare = figures[(case.name, "endpoint")], figures[(case.name, "bare")]
        ratios = [mine / theirs for mine, theirs in zip(ours, bare, strict=True)]
        ratio = statistics.median(ratios)
        worst = min(worst, ratio)
        verdict = "met" if ratio >= 0.8 else "MISSED"
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
        print(
            f"{case.name:<15} {statistics.median(ours):>10.1f} {statistics.median(bare):>10.1f} "
            f"{ratio:>7.2f} {spread:>11}  {verdict}"
        )
    print(f"lowest ratio: {worst:.2f}")
    print()
    print("CPU time per request, microseconds (medians; user and system, all server processes):")
    print(f"{'query':<15} {'endpoint loop':>13} {'+ slots':>10} {'= total':>8} {'bare':>8} "
          f"{'extra':>7}")  # fmt: skip
    for case in cases:
        loop, slots, bare_loop, bare_slots = (
            statistics.median(cpu[(case.name, target, role)])
            for target in ("endpoint", "bare")
            for role in ("loop", "slots")
        )
        bare = bare_loop + bare_slots
        print(f"{case.name:<15} {loop:>13.0f} {slots:>10.0f} {loop + slots:>8.0f} {bare:>8.0f} "
              f"{loop + slots - bare:>7.0f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=200_000, help="synthetic data size")
    parser.add_argument("--seconds", type=int, default=3, help="per measurement (3)")
    parser.add_argument("--rounds", type=int, default=5, help="alternations (5)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument(
        "--cases", help="comma-separated names of the queries to run (default: the whole mix)"
    )
    parser.add_argument("--serve-child", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_child:
        serve_child(args.serve_child, args.data)
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        data = directory / "synthetic.nt"
        written = generate(args.triples, data)
        cases = _chosen_cases(parser, query_mix(Sizes.for_triples(args.triples)), args.cases)
        figures, cpu = _measure(args, cases, directory, data)
    _report(args, written, cases, figures, cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
