"""Spectral (pinned in tools/npm) with its ``spectral:oas`` ruleset finds nothing in either
bundled spec: no error, warning, info or hint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.clients.conftest import NPM_DIR, SPECS, npm_bin, run

SPEC_FILES = ("actionhub.openapi.yaml", "sendgrid-segments.openapi.yaml")


def canary(directory: Path) -> Path:
    """A copy of the ActionHub spec with the findings this test once reported put back: an
    example in ``examples`` that contradicts its schema, and no ``info.contact``."""
    document = yaml.safe_load((SPECS / SPEC_FILES[0]).read_text())
    del document["info"]["contact"]
    media = document["paths"]["/segments"]["get"]["responses"]["200"]["content"]
    json_media = media["application/json"]
    json_media["examples"]["documented"] = json_media.pop("x-documented-examples")["documented"]
    path = directory / "canary.openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Spectral's findings per file name, from one run over both specs and the canary."""
    spectral = npm_bin("@stoplight/spectral-cli", "spectral")
    planted = canary(tmp_path_factory.mktemp("spectral"))
    result = run(
        [
            spectral,
            "lint",
            "--ruleset",
            NPM_DIR / ".spectral.yaml",
            "--format",
            "json",
            "--fail-severity",
            "hint",
            "--quiet",
            *(SPECS / name for name in SPEC_FILES),
            planted,
        ],
        cwd=NPM_DIR,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: findings at or above hint
    by_file: dict[str, list[dict[str, Any]]] = {name: [] for name in (*SPEC_FILES, planted.name)}
    for finding in json.loads(result.stdout or "[]"):
        by_file.setdefault(Path(finding["source"]).name, []).append(finding)
    return by_file


def show(found: list[dict[str, Any]]) -> str:
    severities = ("error", "warning", "info", "hint")
    return "\n".join(
        f"  {f['range']['start']['line'] + 1}: {severities[f['severity']]} {f['code']}: "
        f"{f['message']} ({'.'.join(map(str, f['path']))})"
        for f in found
    )


@pytest.mark.parametrize("name", SPEC_FILES)
def test_spec_lints_clean(findings: dict[str, list[dict[str, Any]]], name: str) -> None:
    found = findings[name]
    assert not found, f"Spectral spectral:oas on specs/{name}:\n{show(found)}"


def test_the_linter_really_lints(findings: dict[str, list[dict[str, Any]]]) -> None:
    codes = {finding["code"] for finding in findings["canary.openapi.yaml"]}
    assert {"oas3-valid-media-example", "info-contact"} <= codes, codes
