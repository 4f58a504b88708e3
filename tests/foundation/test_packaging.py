"""The wheel carries the data: an installed paxsilica validates from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from paxsilica import paths
from sparql_results import TESTS_DIR

REPOSITORY = TESTS_DIR.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), "."],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("paxsilica-*.whl")
    return built


def test_wheel_contains_every_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for directory, files in (
        ("ontology", paths.ontology_files()),
        ("instances", paths.instance_files()),
        ("shapes", paths.shape_files()),
    ):
        assert files, f"no bundled {directory} files"
        for path in files:
            assert f"paxsilica/data/{directory}/{path.name}" in names


def test_installed_package_validates_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(target)}
    located = subprocess.run(
        [sys.executable, "-c", "from paxsilica import paths; print(paths.DATA_ROOT)"],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(target)
    result = subprocess.run(
        [sys.executable, "-m", "paxsilica", "validate", "--no-reasoner"],
        cwd=elsewhere,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
