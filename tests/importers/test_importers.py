"""The importers: the committed generated Turtle is what the mapping makes of the upstream files.

A row the mapping cannot place stops the import with the file, the line and why, and nothing is
written, not even the files of the other sources.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import isomorphic

from paxsilica import cli
from paxsilica.importers import build, common, countries
from paxsilica.importers.common import RowError


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    build.build_data(out_dir=out)
    return out


@pytest.mark.parametrize("graph", common.GENERATED_GRAPHS, ids=lambda g: g.key)
def test_committed_turtle_is_what_the_importers_generate(regenerated: Path, graph) -> None:
    fresh = rdflib.Graph().parse(regenerated / graph.file_name, format="turtle")
    committed = rdflib.Graph().parse(graph.path, format="turtle")
    assert len(fresh) > 0
    assert isomorphic(fresh, committed), (
        f"regenerate with 'paxsilica build-data' ({graph.file_name})"
    )


def test_generation_is_deterministic(regenerated: Path, tmp_path: Path) -> None:
    build.build_data(out_dir=tmp_path)
    for graph in common.GENERATED_GRAPHS:
        assert (tmp_path / graph.file_name).read_bytes() == (
            regenerated / graph.file_name
        ).read_bytes()


def test_every_generated_graph_says_its_licence(regenerated: Path) -> None:
    dcterms = rdflib.Namespace(common.DCTERMS)
    for graph in common.GENERATED_GRAPHS:
        triples = rdflib.Graph().parse(regenerated / graph.file_name, format="turtle")
        node = rdflib.URIRef(graph.graph)
        assert triples.value(node, dcterms.license) == rdflib.URIRef(graph.licence)
        rights = {r.language: str(r) for r in triples.objects(node, dcterms.rights)}
        assert set(rights) == {"en", "fr"}
    eto_rights = rdflib.Graph().parse(regenerated / common.ETO.file_name, format="turtle")
    english = str(eto_rights.value(rdflib.URIRef(common.ETO.graph), dcterms.rights))
    assert "not for commercial use" in english
    assert "CSET" in english
    assert common.ETO.licence == common.CC_BY_NC


def test_french_state_names_come_from_pycountry() -> None:
    assert countries.names("KR") == ("South Korea", "Corée du Sud")
    assert countries.names("TW") == ("Taiwan", "Taïwan")
    assert countries.names("NL") == ("Netherlands", "Pays-Bas")


def copied_upstream(tmp_path: Path) -> Path:
    upstream = tmp_path / "upstream"
    shutil.copytree(common.UPSTREAM_DIR, upstream)
    return upstream


def break_line(path: Path, old: str, new: str) -> int:
    """Replace text on the first line holding it; return that line's number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if old in line)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")
    return number


@pytest.mark.parametrize(
    ("file", "old", "new", "reason"),
    [
        (
            "usgs-mcs-2026/world-production.csv",
            ",Burma,",
            ",Atlantis,",
            "unknown country name 'Atlantis'",
        ),
        (
            "usgs-mcs-2026/world-production.csv",
            "Data in metric tons, rare-earth",
            "Data in long tons, rare-earth",
            "unit not understood",
        ),
        (
            "eto-chip-explorer/providers.csv",
            "Microchip,,P19,organization,USA",
            "Microchip,,P19,organization,XYZ",
            "unknown country code 'XYZ'",
        ),
        (
            "eto-chip-explorer/provision.csv",
            "ASML,P88,EUV lithography tools,N20,100.0",
            "ASML,P88,EUV lithography tools,N20,140.0",
            "is not a percentage",
        ),
    ],
)
def test_an_unplaceable_row_stops_the_import_and_writes_nothing(
    tmp_path: Path, file: str, old: str, new: str, reason: str
) -> None:
    upstream = copied_upstream(tmp_path)
    line = break_line(upstream / file, old, new)
    out = tmp_path / "out"
    out.mkdir()
    (out / common.COUNTRIES.file_name).write_text("# the previous file\n")
    with pytest.raises(RowError) as raised:
        build.build_data(out_dir=out, upstream=upstream)
    assert raised.value.path == upstream / file
    assert raised.value.line == line
    assert reason in raised.value.reason
    assert str(raised.value).startswith(f"{upstream / file}:{line}: ")
    assert sorted(p.name for p in out.iterdir()) == [common.COUNTRIES.file_name]
    assert (out / common.COUNTRIES.file_name).read_text() == "# the previous file\n"


def test_build_data_command(tmp_path: Path, monkeypatch, capsys) -> None:
    written: list[tuple[str, Path | None]] = []

    def fake_build(which: str = "all", out_dir=None, upstream=None) -> list[Path]:
        written.append((which, out_dir))
        return [Path("instances/generated/eto-chip-explorer.ttl")]

    monkeypatch.setattr(build, "build_data", fake_build)
    assert cli.main(["build-data", "eto"]) == cli.EXIT_OK
    assert written == [("eto", None)]
    assert "eto-chip-explorer.ttl" in capsys.readouterr().out

    def failing(*args, **kwargs):
        raise RowError(Path("x.csv"), 7, "unknown country name 'Atlantis'")

    monkeypatch.setattr(build, "build_data", failing)
    assert cli.main(["build-data"]) == cli.EXIT_BAD_INPUT
    assert "x.csv:7: unknown country name 'Atlantis'" in capsys.readouterr().err
