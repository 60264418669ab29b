"""Served bytes never change by accident: every answer of many worlds against bench/golden.json
(SHA-256 per answer; `bench/golden.py record` rewrites it when a change is meant to)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: Slow (builds a dozen worlds): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_every_answer_is_the_recorded_one():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "golden.py"), "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "identical" in done.stdout
