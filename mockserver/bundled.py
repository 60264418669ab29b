"""The documents shipped in the package - the specs and the default fixtures - and their
parsed forms kept ahead of time (``mockserver.precomputed``; ``make precompile``)."""

from __future__ import annotations

from pathlib import Path

from mockserver import precomputed
from mockserver.resources import bundled_dir
from mockserver.serialize import load_yaml


def documents() -> list[Path]:
    """Every bundled YAML document the serve path parses."""
    return sorted(
        path
        for folder in (bundled_dir("specs"), bundled_dir("fixtures"))
        for pattern in ("*.yaml", "*.yml")
        for path in folder.rglob(pattern)
    )


def write() -> None:
    precomputed.write_yaml_table(documents(), load_yaml)


def verified_digests() -> list[str]:
    """The digest of each API's prebuilt answers with the default data, each answer validated
    now (not from the table): what ``conformance/verified.py`` keeps."""
    from mockserver.app import build_app
    from mockserver.config import ServeConfig
    from mockserver.conformance.validator import ResponseValidator
    from mockserver.conformance.verified import digest

    judge = ResponseValidator()
    digests = []
    for runtime in build_app(ServeConfig()).runtimes.values():
        prebuilt = list(runtime.backend.prebuilt())
        for operation_id, reply in prebuilt:
            operation = runtime.spec.operation(operation_id)
            problems = judge.problems(operation, reply, headers=False)
            if problems:
                raise SystemExit(f"the default data violates its spec: {problems}")
        digests.append(digest(runtime.spec, prebuilt))
    return digests


def write_verified() -> None:
    from mockserver.conformance import verified

    verified.write(verified_digests())
