"""The peer and scaling benches still plan every read against every target (--dry-run); writes
have their own bench (bench/sendgrid_v2.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.workload import NOT_IN_WORKLOAD
from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.vendors import REGISTRY, vendor

BENCH = Path(__file__).resolve().parent.parent / "bench"


def operation_ids() -> list[str]:
    return [
        op.operation_id
        for api in REGISTRY
        for op in load_spec(api, bundled_dir("specs") / vendor(api).spec_file).operations
        if op.method == "GET" and op.operation_id not in NOT_IN_WORKLOAD
    ]


def dry_run(script: str) -> str:
    argv = [sys.executable, str(BENCH / script), "--dry-run"]
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.mark.parametrize(
    ("script", "targets"),
    [
        ("peers.py", ["mock:", "baseline:", "prism-static:", "prism-dynamic:"]),
        (
            "scaling.py",
            ["1 worker:", "2 workers:", "4 workers:", "cors:", "faults:", "validate:", "all:"],
        ),
    ],
)
def test_plan_lists_every_operation_and_target(script, targets):
    plan = dry_run(script)
    listed = next(line for line in plan.splitlines() if line.startswith("operations: "))
    assert listed.removeprefix("operations: ").split(", ") == operation_ids()
    for target in targets:
        assert f"  {target} " in plan


def test_prism_serves_the_bundled_specs_in_both_modes():
    plan = dry_run("peers.py")
    for api in REGISTRY:
        spec = str(bundled_dir("specs") / vendor(api).spec_file)
        prism = [line for line in plan.splitlines() if line.endswith(spec) and "prism" in line]
        assert len(prism) == 2
        assert sum("--dynamic --seed 1" in line for line in prism) == 1
