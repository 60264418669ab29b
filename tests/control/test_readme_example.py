"""The README's pytest example runs as written, through the installed plugin."""

from __future__ import annotations

import re
from pathlib import Path

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    block = re.search(
        r"<!-- pytest-example:start -->\s*```python\n(.*?)```\s*<!-- pytest-example:end -->",
        text,
        re.DOTALL,
    )
    assert block, "README lost its pytest example"
    return block.group(1)


def test_readme_example_passes(pytester):
    pytester.makeini("[pytest]\nmockserver_apis = sendgrid\n")
    pytester.makepyfile(test_segments=readme_example())
    pytester.runpytest_inprocess().assert_outcomes(passed=3)
