"""The wheel carries specs/ and fixtures/, so the CLI works from any directory after install."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

#: Slow (builds and installs wheels): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

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


@pytest.fixture(scope="module")
def plain_install(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel and nothing else: no extras, pinned by the lock."""
    venv = tmp_path_factory.mktemp("plain") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(
        [*pip, "-c", str(ROOT / "requirements.lock"), str(wheel)], check=True, timeout=600
    )
    return venv / "bin"


def run_in(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "mockserver"), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_a_plain_install_is_consistent_and_light(plain_install, tmp_path):
    check = subprocess.run(
        [str(plain_install / "python"), "-m", "pip", "check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    heavy = ("schemathesis", "hypothesis", "pytest", "werkzeug")
    probe = f"import importlib.util as u; print([m for m in {heavy!r} if u.find_spec(m)])"
    present = subprocess.run(
        [str(plain_install / "python"), "-c", probe], capture_output=True, text=True, check=True
    )
    assert present.stdout.strip() == "[]"


def test_a_plain_install_validates_its_specs(plain_install, tmp_path):
    done = run_in(plain_install, "specs", "validate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("valid OpenAPI document") == 2


def test_a_plain_install_hints_at_the_contract_extra(plain_install, tmp_path):
    done = run_in(plain_install, "contract", "--api", "sendgrid", "--dry-run", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "mockserver: error: the contract command needs the contract extra: "
        "pip install 'mockserver[contract]'"
    )


def test_a_plain_install_serves_both_apis(plain_install, tmp_path):
    import httpx

    from bench.workload import free_port

    port = free_port()
    process = subprocess.Popen(
        [str(plain_install / "mockserver"), "serve", "--port", str(port), "--log-level", "info"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if "Application startup complete" in line:
                break
        base = f"http://127.0.0.1:{port}"
        key = {"Authorization": "Bearer SG." + "a" * 22 + "." + "b" * 43}
        assert httpx.get(f"{base}/v3/marketing/segments", headers=key).status_code == 200
        assert httpx.get(f"{base}/segments", headers={"program-id": "demo"}).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
