"""The ``paxsilica`` command line: each command parses options and calls one library function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from paxsilica import __version__

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2


def _validate(args: argparse.Namespace) -> int:
    from paxsilica import validation
    from paxsilica.store import DataLoadError

    try:
        result = validation.validate(args.files or None, reasoner=not args.no_reasoner)
    except DataLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except validation.ReasonerUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(validation.format_report(result))
    return EXIT_OK if result.conforms else EXIT_VIOLATIONS


def _load(args: argparse.Namespace) -> int:
    from paxsilica import store
    from paxsilica.config import SettingsError, load_settings

    try:
        settings = load_settings(base_iri=args.base_iri)
        manifest = store.create_store_directory(
            args.store, args.files, rewriter=settings.rewriter, progress=not args.quiet
        )
    except (store.DataLoadError, store.StoreDirectoryError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.store}: {manifest.quads} quads for base {manifest.base_iri}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``paxsilica`` command."""
    parser = argparse.ArgumentParser(
        prog="paxsilica", description="Pax Silica Linked Data: validate, serve and export."
    )
    parser.add_argument("--version", action="version", version=f"paxsilica {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    load = commands.add_parser(
        "load",
        help="build an on-disk store of the bundled data plus the given files",
        description="Build a persistent pyoxigraph store in DIR from the bundled ontology, "
        "instances and shapes plus the given RDF files (by extension: .ttl .nt .nq .trig .rdf "
        ".jsonld), for 'paxsilica serve --store DIR'. The store is built beside DIR and moved "
        "into place only when complete; an existing store in DIR is replaced.",
    )
    load.add_argument("files", nargs="*", metavar="FILE", help="RDF files to add")
    load.add_argument("--store", required=True, metavar="DIR", help="store directory")
    load.add_argument(
        "--base-iri", metavar="URL", help="the base IRI the store will be served under"
    )
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.set_defaults(handler=_load)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
