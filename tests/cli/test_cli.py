"""The command line: options as documented."""

from __future__ import annotations

from paxsilica.cli import build_parser


def test_data_options_add_up() -> None:
    # `--data A --data B` keeps both, as `--data A B` does.
    for command in ("serve", "export"):
        extra = ["--out", "x"] if command == "export" else []
        args = build_parser().parse_args(
            [command, *extra, "--data", "a.ttl", "--data", "b.nt", "c.nq"]
        )
        assert args.data == ["a.ttl", "b.nt", "c.nq"], command
