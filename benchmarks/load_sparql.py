"""Load test of the SPARQL endpoint: 64 concurrent clients on a mixed workload for a minute.

Starts ``paxsilica serve`` (gunicorn, its production options) on the bundled data plus a
synthetic dataset, warms it up, then holds ``--connections`` concurrent clients (wrk, one
connection each, keep-alive) for ``--duration`` seconds on a mix of GET and POST requests:
entity lookups, star joins, aggregations, property paths, text filters, DESCRIBE, CONSTRUCT,
ASK and the competency questions, in every results format. Meanwhile it samples the memory
of every process of the server (gunicorn's master and workers; with the query pool, also the
zygote and its workers: RSS and PSS, which counts shared pages once). It reports what it
held and fails (exit 1) on any failed request (non-2xx, socket error or timeout) or when
memory grew by more than --max-growth after the warm-up.

    .venv/bin/python benchmarks/load_sparql.py [--duration 60] [--connections 64]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sparql import query_mix
from harness import first_answer, free_port, process_stats, stop
from synthetic import Sizes, generate

COMPETENCY = Path(__file__).resolve().parent.parent / "tests" / "competency"
ACCEPTS = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)

LUA = """
local requests = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local r = requests[(counter %% #requests) + 1]
  return wrk.format(r[1], r[2], r[3], r[4])
end
done = function(summary, latency, requests)
  io.write(string.format("FAILED %%d %%d %%d %%d %%d\\n", summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write(string.format("LATENCY %%d %%d %%d %%d\\n", latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max))
  io.write(string.format("TOTAL %%d\\n", summary.requests))
end
"""


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def workload(sizes: Sizes) -> list[tuple[str, str, dict[str, str], str]]:
    """The mix: (method, path, headers, body) for each request in the rotation."""
    requests = []
    queries: list[tuple[str, str]] = []
    for case in query_mix(sizes):
        queries += [(q, case.accept) for q in case.queries[:8]]
    state = "<https://w3id.org/pax-silica/ontology#State>"
    link = "<https://w3id.org/pax-silica/ontology#SupplyLink>"
    queries.append((f"CONSTRUCT WHERE {{ ?s a {state} }}", "application/n-triples"))
    queries.append((f"ASK {{ ?s a {link} }}", "application/sparql-results+json"))
    for path in sorted(COMPETENCY.glob("*.rq")):
        queries.append((path.read_text(encoding="utf-8"), "text/csv"))
    for number, (query, accept) in enumerate(queries):
        if accept == "application/sparql-results+json":
            accept = ACCEPTS[number % len(ACCEPTS)]
        if number % 2:
            path = "/sparql?" + urllib.parse.urlencode({"query": query})
            requests.append(("GET", path, {"Accept": accept}, ""))
        else:
            body = urllib.parse.urlencode({"query": query})
            form = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
            requests.append(("POST", "/sparql", form, body))
    return requests


def lua_script(requests, path: Path) -> Path:
    entries = []
    for method, target, headers, body in requests:
        header_table = ", ".join(
            f"[ {lua_string(k)} ] = {lua_string(v)}" for k, v in headers.items()
        )
        entries.append(
            f"{{{lua_string(method)}, {lua_string(target)}, {{{header_table}}}, "
            f"{lua_string(body) if body else 'nil'}}}"
        )
    path.write_text(LUA % ",\n".join(entries), encoding="utf-8")
    return path


def session_processes(session: int) -> list[int]:
    """The processes of the server's session: master, workers, zygote, query workers."""
    return [pid for pid, fields in process_stats().items() if int(fields[3]) == session]


def memory_kib(pids: list[int]) -> tuple[int, int]:
    """The summed RSS and PSS of some processes, in KiB."""
    rss = pss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss


class MemorySampler(threading.Thread):
    """Samples the memory of a process session once a second until stopped."""

    def __init__(self, session: int):
        super().__init__(daemon=True)
        self.session = session
        self.samples: list[tuple[float, int, int, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.stopping.wait(1.0):
            pids = session_processes(self.session)
            rss, pss = memory_kib(pids)
            self.samples.append((time.monotonic() - started, len(pids), rss, pss))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds under load (60)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent clients (64)")
    parser.add_argument("--triples", type=int, default=50_000, help="synthetic data (50000)")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of warm-up load (10)")
    parser.add_argument(
        "--max-growth", type=float, default=0.25, help="allowed PSS growth after warm-up (0.25)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        data = directory / "synthetic.nt"
        generate(args.triples, data)
        requests = workload(Sizes.for_triples(args.triples))
        script = lua_script(requests, directory / "mix.lua")
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "paxsilica", "serve", "--port", str(port), "--data", str(data)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            first_answer(base + "/sparql", process, timeout=600, headers={"Accept": "text/turtle"})
            command = ["wrk", "-t2", f"-c{args.connections}", "--timeout", "30s", "-s", str(script)]
            subprocess.run([*command, f"-d{args.warmup}s", base], capture_output=True, check=True)
            sampler = MemorySampler(process.pid)
            sampler.start()
            finished = subprocess.run(
                [*command, f"-d{args.duration}s", base],
                capture_output=True,
                text=True,
                check=True,
                timeout=args.duration + 120,
            )
            output = finished.stdout
            if "FAILED" not in output:  # wrk runs on, without the script, when it fails
                raise RuntimeError(f"wrk's script failed:\n{finished.stderr}")
            sampler.stopping.set()
            sampler.join()
        finally:
            stop(process)
    failed = [int(n) for n in re.search(r"FAILED ([\d ]+)", output).group(1).split()]
    p50, p90, p99, worst = (
        int(n) / 1000 for n in re.search(r"LATENCY ([\d ]+)", output).group(1).split()
    )
    total = int(re.search(r"TOTAL (\d+)", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    first, last = sampler.samples[0], sampler.samples[-1]
    peak = max(sampler.samples, key=lambda sample: sample[3])
    growth = (last[3] - first[3]) / first[3]
    print(
        f"{args.connections} concurrent clients for {args.duration} s on a mix of "
        f"{len(requests)} requests (GET and POST; bundled data plus "
        f"{args.triples} synthetic triples)"
    )
    print(
        f"requests: {total} ({rate:.1f}/s); latency ms p50 {p50:.1f} p90 {p90:.1f} "
        f"p99 {p99:.1f} max {worst:.1f}"
    )
    print(
        f"failed: non-2xx {failed[0]}, connect {failed[1]}, read {failed[2]}, write {failed[3]}, "
        f"timeout {failed[4]}"
    )
    print(
        f"server memory ({first[1]}-{peak[1]} processes), MiB: PSS {first[3] / 1024:.0f} after "
        f"warm-up, peak {peak[3] / 1024:.0f}, end {last[3] / 1024:.0f} ({growth:+.1%}); "
        f"RSS sum {first[2] / 1024:.0f} -> {last[2] / 1024:.0f}"
    )
    ok = not any(failed) and growth <= args.max_growth
    print("held" if ok else "NOT held")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
