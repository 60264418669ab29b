"""The wheel carries specs/ and fixtures/, so the CLI works from any directory after install."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--wheel-dir", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )
    return next(out.glob("mockserver-*.whl"))


def test_wheel_ships_every_spec_and_fixture(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("specs", "fixtures"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                relative = path.relative_to(ROOT).as_posix()
                assert f"mockserver/_bundled/{relative}" in names


def test_installed_package_serves_its_bundled_specs_from_any_directory(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import mockserver.resources as r, mockserver.cli as c; "
        "print(r.bundled_dir('specs')); raise SystemExit(c.main(['specs', 'list']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env={"PYTHONPATH": str(site), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(site / "mockserver" / "_bundled" / "specs")
    assert "get_segments_segments_get" in result.stdout and "GetSegment" in result.stdout
