"""Each limit is declared once, in ``limits.TABLE``: the ``serve`` flags are made from it, and
docs/SECURITY.md's table states the same flag and default."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver import limits
from mockserver.cli import parser

SECURITY = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"
FLAGGED = [limit for limit in limits.TABLE if limit.flag is not None]


def limits_section() -> str:
    return SECURITY.read_text(encoding="utf-8").split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]


def documented_defaults() -> dict[str, str]:
    """flag -> its default cell, for each row of the Limits table that names a flag."""
    found = {}
    for line in limits_section().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[1].startswith("`--"):
            found[cells[1].strip("`")] = cells[2]
    return found


@pytest.mark.parametrize("limit", FLAGGED, ids=lambda limit: limit.flag)
def test_each_flagged_limit_is_a_serve_flag_with_its_default(limit):
    args = parser().parse_args(["serve"])
    assert getattr(args, limit.flag.lstrip("-").replace("-", "_")) == limit.default


@pytest.mark.parametrize("limit", FLAGGED, ids=lambda limit: limit.flag)
def test_security_md_states_each_flag_and_default_as_declared(limit):
    documented = documented_defaults()
    assert limit.flag in documented, f"docs/SECURITY.md has no row for {limit.flag}"
    if limit.default is not None:
        assert documented[limit.flag] == limit.shown


@pytest.mark.parametrize("limit", [limit for limit in limits.TABLE if limit.flag is None])
def test_security_md_states_each_fixed_limit(limit):
    assert limit.shown in limits_section()


def test_defaults_are_shown_in_their_units():
    shown = {limit.name: limit.shown for limit in limits.TABLE}
    assert shown["load body"] == "4 MiB" and shown["request headers"] == "32 KiB"
    assert shown["shutdown grace"] == "2.5 s" and shown["open connections"] == "-"
