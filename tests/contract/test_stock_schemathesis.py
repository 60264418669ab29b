"""Issue 22 item 17: a stock ``schemathesis run`` on our ActionHub spec passes against the mock
with the command docs/CONTRACT.md ships. OpenAPI cannot say "asset_ids or labels" for query
parameters (the rule lives in ``x-dependencies``, which stock Schemathesis does not read), so
that command excludes ``positive_data_acceptance``; ``mockserver contract`` keeps it on."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.config import ServeConfig
from mockserver.testing import LiveServer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def documented_command() -> list[str]:
    """The stock command of docs/CONTRACT.md, as shipped there."""
    text = (ROOT / "docs" / "CONTRACT.md").read_text(encoding="utf-8")
    line = re.search(r"^(schemathesis run specs/actionhub\.openapi\.yaml .*)$", text, re.M)
    assert line, "docs/CONTRACT.md ships no stock schemathesis command for ActionHub"
    return shlex.split(line.group(1))


def run(command: list[str], url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``command`` from ``cwd`` (where Schemathesis leaves its cache), the spec from this tree."""
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("schemathesis is not installed (the contract extra)")
    command = [executable, *command[1:], "--seed", "1", "-n", "20"]
    command = [part.replace("http://127.0.0.1:4010", url) for part in command]
    command = [str(ROOT / part) if part.startswith("specs/") else part for part in command]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_documented_stock_command_passes_against_the_mock(tmp_path):
    with LiveServer(ServeConfig(), log_level="error") as live:
        done = run(documented_command(), live.url, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]


def test_without_the_exclusion_the_dependency_rule_is_what_fails(tmp_path):
    """Why the check is excluded: its only failure is the x-dependencies rule's 422."""
    command = [part for part in documented_command() if part != "positive_data_acceptance"]
    command = [part for part in command if part != "--exclude-checks"]
    with LiveServer(ServeConfig(), log_level="error") as live:
        done = run(command, live.url, tmp_path)
    assert done.returncode != 0
    assert "1 unique failure" in done.stdout, done.stdout[-3000:]
    assert "Schema-valid request rejected" in done.stdout
    assert "Either asset_ids or labels must be provided" in done.stdout
