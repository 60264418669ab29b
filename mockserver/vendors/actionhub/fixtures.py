"""Load and validate fixture programs (``<fixtures>/actionhub/*.yaml``).

The shape is checked with a JSON Schema, the references (labels, assets, action types,
duplicates) by hand; either way an error names the file and the field, e.g.
``fixtures/actionhub/demo.yaml: assets[3].labels[0]: unknown label 'cat-x'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from mockserver.budget import checkpoint
from mockserver.conformance.documents import DocumentSchema, field_path, raise_if_too_large
from mockserver.errors import DataError, InvalidDocument, LimitError
from mockserver.serialize import read_yaml_file
from mockserver.vendors.actionhub.model import (
    MAX_USERS,
    Catalog,
    ExplicitRecommendation,
    Volume,
    quantize,
)

# World-size limits (docs/actionhub-fixtures.md, "Limits"): the schema bounds each list (marked
# "x-limit": past one a document is too large, 413), and ``check_volume`` the recommendations
# the programs of one document generate together.
MAX_ACTION_TYPES = 100
MAX_LABELS = 10_000
MAX_ASSETS = 100_000
MAX_LABELS_PER_ASSET = 32
MAX_EXPLICIT = 1_000_000
MAX_PER_USER = 1_000
#: Recommendations (users x recommendations_per_user + explicit rows), all programs together.
MAX_ROWS = 5_000_000
#: Label postings: each recommendation counts once per label of its asset.
MAX_LABEL_ROWS = 20_000_000
MAX_ID = 200
#: Programs in one data document (a mapping of program-id -> program).
MAX_PROGRAMS = 100


def _bounded(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` marked as a size bound: past it a document is too large (413)."""
    return {**schema, "x-limit": True}


def _array(items: dict[str, Any], most: int, **bounds: int) -> dict[str, Any]:
    return _bounded({"type": "array", **bounds, "maxItems": most, "items": items})


def _record(*required: str, **properties: dict[str, Any]) -> dict[str, Any]:
    """An object of these properties only, ``required`` among them."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return {**schema, "properties": properties}


#: Ids are used in comma-delimited query parameters: no commas, no whitespace.
_ID = _bounded({"type": "string", "pattern": r"^[^,\s]+$", "maxLength": MAX_ID})
_NAME = _bounded({"type": "string", "minLength": 1, "maxLength": 1_000})

SCHEMA: dict[str, Any] = _record(
    "action_types",
    "labels",
    "assets",
    program=_ID,
    description=_bounded({"type": "string", "maxLength": 10_000}),
    action_types=_array(_ID, MAX_ACTION_TYPES, minItems=1),
    labels=_array(_record("id", "name", id=_ID, name=_NAME), MAX_LABELS),
    assets=_array(
        _record("id", "name", id=_ID, name=_NAME, labels=_array(_ID, MAX_LABELS_PER_ASSET)),
        MAX_ASSETS,
    ),
    users=_record(
        count=_bounded({"type": "integer", "minimum": 0, "maximum": MAX_USERS}),
        recommendations_per_user=_bounded(
            {"type": "integer", "minimum": 0, "maximum": MAX_PER_USER}
        ),
    ),
    recommendations=_array(
        _record(
            "user",
            "asset",
            "action_type",
            "weight",
            user=_bounded({"type": "string", "pattern": r"^\S+$", "maxLength": MAX_ID}),
            asset=_ID,
            action_type=_ID,
            weight={"type": "number", "minimum": 0, "maximum": 1},
            history={"type": "boolean"},
        ),
        MAX_EXPLICIT,
    ),
)
_VALIDATOR = DocumentSchema(SCHEMA)


class FixtureError(DataError):
    """A fixture file is invalid; the message names the file and the field."""

    def __init__(self, source: str, field: str | None, message: str) -> None:
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {message}")


class ProgramFixture(NamedTuple):
    """One program as a fixture file defines it."""

    source: str
    catalog: Catalog
    volume: Volume
    explicit: tuple[ExplicitRecommendation, ...]


def _index_ids(source: str, items: list[dict[str, Any]], kind: str) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, item in enumerate(items):
        if item["id"] in positions:
            raise FixtureError(source, f"{kind}[{i}].id", f"duplicate id {item['id']!r}")
        positions[item["id"]] = i
    return positions


def _lookup(source: str, table: Mapping[str, int], value: str, field: str, what: str) -> int:
    try:
        return table[value]
    except KeyError:
        raise FixtureError(source, field, f"unknown {what} {value!r}") from None


def parse_program(document: Any, source: str, default_program: str) -> ProgramFixture:
    """Validate one fixture document and turn it into a catalog and generation volume."""
    problems = _VALIDATOR.problems(document)
    raise_if_too_large(problems, source, "docs/actionhub-fixtures.md")
    if problems:
        raise FixtureError(source, field_path(problems[0].path) or None, problems[0].message)
    actions = {name: i for i, name in enumerate(document["action_types"])}
    if len(actions) != len(document["action_types"]):
        raise FixtureError(source, "action_types", "duplicate action type")
    labels = _index_ids(source, document["labels"], "labels")
    assets = _index_ids(source, document["assets"], "assets")
    asset_labels = []
    for i, asset in enumerate(document["assets"]):
        own = [
            _lookup(source, labels, label, f"assets[{i}].labels[{j}]", "label")
            for j, label in enumerate(asset.get("labels", []))
        ]
        asset_labels.append(tuple(dict.fromkeys(own)))
    explicit, seen = [], set()
    for i, rec in enumerate(document.get("recommendations", [])):
        if not i % 4096:
            checkpoint()
        row = ExplicitRecommendation(
            user=rec["user"],
            asset=_lookup(source, assets, rec["asset"], f"recommendations[{i}].asset", "asset"),
            action=_lookup(
                source, actions, rec["action_type"], f"recommendations[{i}].action_type", "action"
            ),
            weight=quantize(rec["weight"]),
            history=rec.get("history", False),
        )
        if (row.user, row.asset, row.action) in seen:
            raise FixtureError(
                source, f"recommendations[{i}]", "duplicate (user, asset, action_type)"
            )
        seen.add((row.user, row.asset, row.action))
        explicit.append(row)
    users = document.get("users", {})
    program = document.get("program", default_program)
    catalog = Catalog(
        program=program,
        action_types=tuple(actions),
        label_ids=tuple(label["id"] for label in document["labels"]),
        label_names=tuple(label["name"] for label in document["labels"]),
        asset_ids=tuple(asset["id"] for asset in document["assets"]),
        asset_names=tuple(asset["name"] for asset in document["assets"]),
        asset_labels=tuple(asset_labels),
    )
    per_user = users.get("recommendations_per_user", Volume().recommendations_per_user)
    volume = Volume(users.get("count", 0), per_user)
    return ProgramFixture(source, catalog, volume, tuple(explicit))


def by_program(fixtures: Iterable[ProgramFixture]) -> dict[str, ProgramFixture]:
    """The fixtures by program-id (a program defined twice is an error), within the limits."""
    programs: dict[str, ProgramFixture] = {}
    for fixture in fixtures:
        checkpoint()
        name = fixture.catalog.program
        if name in programs:
            raise FixtureError(
                fixture.source, "program", f"{name!r} is already defined by {programs[name].source}"
            )
        programs[name] = fixture
    check_volume(programs)
    return programs


def check_volume(fixtures: Mapping[str, ProgramFixture]) -> None:
    """The programs of one document (or fixtures directory) together stay within the row
    limits: a few lines of YAML must not ask for billions of rows."""
    total = labelled = 0
    for fixture in fixtures.values():
        count = fixture.volume.users * fixture.volume.recommendations_per_user
        count += len(fixture.explicit)
        total += count
        labelled += count * max(map(len, fixture.catalog.asset_labels), default=0)
    if total > MAX_ROWS:
        raise LimitError(
            f"the programs ask for {total:,} recommendations (users.count x "
            f"recommendations_per_user + explicit rows), more than {MAX_ROWS:,} "
            "(docs/actionhub-fixtures.md, Limits)",
            limit="recommendations",
        )
    if labelled > MAX_LABEL_ROWS:
        raise LimitError(
            f"the programs ask for {labelled:,} label postings (recommendations x the most "
            f"labels of an asset), more than {MAX_LABEL_ROWS:,} (docs/actionhub-fixtures.md, "
            "Limits)",
            limit="label postings",
        )


def programs_from_data(data: Any) -> dict[str, ProgramFixture]:
    """``data``: one fixture document, or a mapping of program-id -> fixture document."""
    if isinstance(data, Mapping) and "assets" in data:
        data = {data.get("program", "demo"): data}
    if not isinstance(data, Mapping):
        raise FixtureError("<data>", None, "expected a fixture document or program-id -> document")
    if len(data) > MAX_PROGRAMS:
        raise LimitError(
            f"{len(data):,} programs in one document, more than {MAX_PROGRAMS:,}",
            limit="programs",
        )
    return by_program(parse_program(doc, f"<data:{name}>", str(name)) for name, doc in data.items())


def load_file(path: Path, max_bytes: int | None = None) -> ProgramFixture:
    source = str(path)
    try:
        document = read_yaml_file(path, max_bytes)
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(source, None, f"cannot read: {exc}") from None
    except InvalidDocument as exc:
        where = f" (line {exc.line}, column {exc.column})" if exc.line else ""
        problem = exc.problem or str(exc)
        raise FixtureError(source, None, f"invalid YAML{where}: {problem}") from None
    return parse_program(document, source, path.stem)


def load_programs(
    directory: Path | None, max_bytes: int | None = None
) -> dict[str, ProgramFixture]:
    """Every ``*.yaml`` / ``*.yml`` program under ``directory`` (absent directory: none);
    files past ``max_bytes`` (``--max-load-bytes``) are refused before they are read."""
    if directory is None or not directory.is_dir():
        return {}
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return by_program(load_file(path, max_bytes) for path in files)
