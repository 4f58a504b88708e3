"""The ``paxsilica`` command line: each command parses options and calls one library function."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from paxsilica import __version__

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2


def _bad_input_errors() -> tuple[type[Exception], ...]:
    """The errors that mean the input (a file, a store, a server, a setting) is unusable."""
    from paxsilica.config import SettingsError
    from paxsilica.rdf.directory import StoreDirectoryError
    from paxsilica.rdf.readable import StoreUnavailable
    from paxsilica.rdf.store import DataLoadError

    return (DataLoadError, StoreDirectoryError, StoreUnavailable, SettingsError)


def _validate(args: argparse.Namespace) -> int:
    from paxsilica import validation

    try:
        result = validation.validate(args.files or None, reasoner=not args.no_reasoner)
    except validation.ReasonerUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(validation.format_report(result))
    return EXIT_OK if result.conforms else EXIT_VIOLATIONS


def _load(args: argparse.Namespace) -> int:
    from paxsilica.config import load_settings
    from paxsilica.rdf import directory, remote

    settings = load_settings(base_iri=args.base_iri)
    if args.store is not None:
        manifest = directory.create_store_directory(
            args.store,
            args.files,
            site=settings.site,
            progress=not args.quiet,
            alongside=_publication_builder(settings, progress=not args.quiet),
        )
        print(f"{args.store}: {manifest.quads} quads for base {manifest.base_iri}")
        return EXIT_OK
    endpoint = remote.Endpoint(
        args.update_endpoint or args.endpoint,
        user=args.endpoint_user,
        password=os.environ.get("PAXSILICA_ENDPOINT_PASSWORD"),
    )
    sent = remote.push_dataset(
        endpoint, args.files, graph=args.graph, site=settings.site, progress=not args.quiet
    )
    for graph, triples in sent.items():
        print(f"<{graph}>: {triples} triples")
    return EXIT_OK


def _publication_builder(settings, progress: bool):
    """What 'load --store' writes beside the store: the dumps, the VoID, the indexes."""
    from paxsilica.publish import publication

    def build(store, building, quads: int) -> None:
        target = building / publication.PUBLICATION_DIR
        publication.build_with_progress(store, settings.site, target, quads, progress)

    return build


def _settings(args: argparse.Namespace, **extra):
    from paxsilica.config import load_settings

    # Options left unset are None, so that PAXSILICA_* environment variables keep their say.
    data = tuple(args.data) if args.data else None
    return load_settings(base_iri=args.base_iri, data_files=data, **extra)


def _serve(args: argparse.Namespace) -> int:
    from paxsilica.web import server

    settings = _settings(
        args,
        host=args.host,
        port=args.port,
        **{name: getattr(args, name) for name in SERVING_OPTIONS},
        store_path=args.store,
        endpoint=args.endpoint,
        endpoint_graph=args.endpoint_graph,
        endpoint_user=args.endpoint_user,
        query_timeout=args.query_timeout,
        max_rows=args.max_rows,
        service_allow=tuple(args.service_allow) if args.service_allow else None,
    )
    server.serve(settings)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from paxsilica.publish import publication

    for path in publication.export(_settings(args), args.out):
        print(path)
    return EXIT_OK


def _build_data(args: argparse.Namespace) -> int:
    from paxsilica.importers import build
    from paxsilica.importers.common import RowError

    try:
        written = build.build_data(args.source)
    except (RowError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in written:
        print(path)
    return EXIT_OK


def _add_data_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--base-iri",
        metavar="URL",
        help="publish under this base instead of https://w3id.org/pax-silica/",
    )
    command.add_argument(
        "--data",
        nargs="+",
        action="extend",
        metavar="FILE",
        help="RDF files to publish besides the bundled data (.ttl .nt .nq .trig .rdf .jsonld); "
        "repeatable, each file in its own graph. The store keeps numbers, booleans and dates by "
        'value, so it gives them back in canonical form ("1.0"^^xsd:decimal as "1"; a '
        "warning says how many literals of a file that concerns)",
    )


def _add_validate(commands) -> None:
    validate = commands.add_parser(
        "validate",
        help="check instance data against the ontology and shapes (SHACL and HermiT)",
        description="Validate the bundled instances, or the given files as the instance data, "
        "with pySHACL against the bundled shapes and ontology, then check consistency with "
        "HermiT. Exit 0 when everything conforms, 1 on violations, 2 on unreadable input.",
    )
    validate.add_argument("files", nargs="*", metavar="FILE", help="instance data files")
    validate.add_argument("--no-reasoner", action="store_true", help="skip the HermiT check")
    validate.set_defaults(handler=_validate)


def _add_load(commands) -> None:
    load = commands.add_parser(
        "load",
        help="build an on-disk store of the bundled data plus the given files",
        description="Build a persistent pyoxigraph store in DIR from the bundled ontology, "
        "instances and shapes plus the given RDF files (by extension: .ttl .nt .nq .trig .rdf "
        ".jsonld), for 'paxsilica serve --store DIR'. The store is built beside DIR and moved "
        "into place only when complete; an existing store in DIR is replaced. With --endpoint, "
        "push the same dataset into a SPARQL 1.1 server with SPARQL Update instead: each named "
        "graph replaces the server's graph of that name (or, with --graph, the merged dataset "
        "replaces that one graph), so pushing twice leaves the same data. The password for "
        "--endpoint-user is read from PAXSILICA_ENDPOINT_PASSWORD.",
    )
    load.add_argument("files", nargs="*", metavar="FILE", help="RDF files to add")
    target = load.add_mutually_exclusive_group(required=True)
    target.add_argument("--store", metavar="DIR", help="store directory")
    target.add_argument("--endpoint", metavar="URL", help="a SPARQL 1.1 server to push into")
    load.add_argument(
        "--update-endpoint",
        metavar="URL",
        help="where the server takes updates (default: --endpoint)",
    )
    load.add_argument("--graph", metavar="IRI", help="push the merged dataset into this graph")
    load.add_argument("--endpoint-user", metavar="NAME", help="user for HTTP digest auth")
    load.add_argument(
        "--base-iri", metavar="URL", help="the base IRI the store will be served under"
    )
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.set_defaults(handler=_load)


# The serving options: (setting, type, metavar, help); each is also PAXSILICA_<SETTING>.
SERVING_OPTIONS = {
    "query_slots": (int, "N", "processes that run SPARQL queries, one at a time each (4 x CPUs)"),
    "document_slots": (int, "N", "processes that serve documents, pages and dumps (CPUs, >= 2)"),
    "queries_per_client": (
        int,
        "N",
        "queries one client address may have running or waiting; more get 429 (4)",
    ),
    "query_queue": (int, "N", "queries that may wait for a busy slot (as many as slots)"),
    "queue_timeout": (float, "SECONDS", "longest wait for a slot, then 503 (0.5)"),
    "header_timeout": (float, "SECONDS", "time to send a request's headers, else 408 (10)"),
    "body_timeout": (
        float,
        "SECONDS",
        "time to send a request's body, else 408; a client that takes none of its answer "
        "for as long is dropped (30)",
    ),
    "keepalive_timeout": (float, "SECONDS", "how long an idle connection stays open (5)"),
    "query_memory_mib": (
        int,
        "MIB",
        "memory all running queries may add together; past it the largest is stopped with "
        "503 (40%% of the machine's memory)",
    ),
    "query_worker_recycle_mib": (
        int,
        "MIB",
        "replace an idle slot that has grown by this much (1024; 0: never)",
    ),
    "graceful_timeout": (
        float,
        "SECONDS",
        "on SIGTERM, time left to requests in flight before they get 503 (query timeout + 5)",
    ),
    "access_log": (str, "FILE", "log one line per answer to FILE, or '-' for stderr (none)"),
}


def _add_serve_limits(serve: argparse.ArgumentParser) -> None:
    for name, (kind, metavar, text) in SERVING_OPTIONS.items():
        serve.add_argument("--" + name.replace("_", "-"), type=kind, metavar=metavar, help=text)
    serve.add_argument(
        "--query-timeout",
        type=float,
        metavar="SECONDS",
        help="stop a SPARQL query after this long and answer 503 (30)",
    )
    serve.add_argument(
        "--max-rows",
        type=int,
        metavar="N",
        help="cut SPARQL results after N rows or triples (100000)",
    )
    serve.add_argument(
        "--service-allow",
        action="append",
        metavar="PREFIX",
        help="let SPARQL SERVICE call endpoints under this IRI prefix (repeatable; "
        "federation is off without it)",
    )


def _add_serve(commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the dataset: linked data, HTML pages, dumps and SPARQL",
        description="Serve the bundled data (plus --data files): entity IRIs "
        "answer 303 to their documents, documents negotiate Turtle, JSON-LD, RDF/XML, "
        "N-Triples and HTML, dumps under /dumps/, VoID at /.well-known/void, SPARQL at "
        "/sparql. Options override PAXSILICA_* environment variables. Exit 2 when a data "
        "file does not parse (nothing is served then).",
    )
    serve.add_argument("--host", metavar="HOST", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, metavar="PORT", help="port to listen on (5000)")
    serve.add_argument(
        "--store", metavar="DIR", help="serve a store built by 'paxsilica load' instead"
    )
    serve.add_argument(
        "--endpoint",
        metavar="URL",
        help="serve a remote SPARQL 1.1 server's data (pushed with 'paxsilica load --endpoint')",
    )
    serve.add_argument(
        "--endpoint-graph", metavar="IRI", help="with --endpoint: serve only this graph"
    )
    serve.add_argument(
        "--endpoint-user",
        metavar="NAME",
        help="with --endpoint: user for HTTP digest auth (password: PAXSILICA_ENDPOINT_PASSWORD)",
    )
    _add_serve_limits(serve)
    _add_data_options(serve)
    serve.set_defaults(handler=_serve)


def _add_export(commands) -> None:
    export = commands.add_parser(
        "export",
        help="write the dumps, their checksums and the VoID description to a directory",
        description="Write the files /dumps/ serves (N-Quads and TriG with the named graphs; "
        "Turtle, N-Triples, RDF/XML and JSON-LD of the merged graph), SHA256SUMS and void.ttl "
        "to DIR. Exit 2 when a data file does not parse (nothing is written then).",
    )
    export.add_argument("--out", required=True, metavar="DIR", help="output directory")
    _add_data_options(export)
    export.set_defaults(handler=_export)


def _add_build_data(commands) -> None:
    build_data = commands.add_parser(
        "build-data",
        help="regenerate instances/generated/ from the upstream files in instances/upstream/",
        description="Map the upstream datasets (ETO Chip Explorer, USGS Mineral Commodity "
        "Summaries 2026, the OWID country table) to Turtle in instances/generated/, one graph "
        "each. A row the mapping cannot place stops it with the file, the line and why, and "
        "nothing is written. Exit 2 then.",
    )
    build_data.add_argument(
        "source",
        nargs="?",
        default="all",
        choices=("all", "eto", "usgs", "countries"),
        help="which generated file to write (all by default)",
    )
    build_data.set_defaults(handler=_build_data)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``paxsilica`` command."""
    parser = argparse.ArgumentParser(
        prog="paxsilica", description="Pax Silica Linked Data: validate, serve and export."
    )
    parser.add_argument("--version", action="version", version=f"paxsilica {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_validate, _add_load, _add_serve, _add_export, _add_build_data):
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Unusable input (a file that does not parse, a missing store, a server that does not
    answer, a bad setting) is reported on standard error with exit status 2.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except _bad_input_errors() as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        if args.command != "export":
            raise
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
