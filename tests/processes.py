"""Run a Python snippet in a fresh interpreter: determinism must hold across processes."""

from __future__ import annotations

import os
import subprocess
import sys


def run_snippet(script: str, *args: object, hash_seed: str) -> str:
    """stdout of ``python -c script args...`` with its own ``PYTHONHASHSEED``."""
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        check=True,
        timeout=120,
    )
    return result.stdout.strip()
