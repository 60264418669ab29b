"""Third-party tools pointed at the bundled specs and a live mock: where they live, and a
loud skip (the reason shows in pytest's summary) when one cannot run here."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.testing import LiveServer
from tests.harness import live_server

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
NPM_DIR = ROOT / "tools" / "npm"
NODE_MODULES = NPM_DIR / "node_modules"
SENDGRID_KEY = "SG." + "k" * 22 + "." + "m" * 43


def node() -> str:
    """The ``node`` executable, or a loud skip."""
    found = shutil.which("node")
    if found is None:
        pytest.skip("NOT TESTED: node is not installed (install node and npm, then `make test`)")
    return found


def npm_package_dir(package: str) -> Path:
    """An installed package of tools/npm, at the version package.json pins, or a loud skip."""
    node()
    directory = NODE_MODULES / package
    if not (directory / "package.json").is_file():
        pytest.skip(f"NOT TESTED: {package} is not installed in {NPM_DIR} (run `make npm-tools`)")
    pinned = json.loads((NPM_DIR / "package.json").read_text())["dependencies"].get(package)
    installed = json.loads((directory / "package.json").read_text())["version"]
    assert pinned in (None, installed), (
        f"{package} {installed} installed, {pinned} pinned: rerun make"
    )
    return directory


def npm_bin(package: str, command: str) -> Path:
    npm_package_dir(package)
    return NODE_MODULES / ".bin" / command


def run(command: list[str | Path], **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=120, **options
    )


@pytest.fixture(scope="session")
def live_for_clients() -> Iterator[LiveServer]:
    """Both APIs, default seed and data, responses validated against the specs."""
    with live_server(validate_responses=True) as server:
        yield server
