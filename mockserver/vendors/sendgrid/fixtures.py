"""The SendGrid fixtures format: load, validate and resolve ``fixtures/sendgrid/*.yaml``.

The format is documented in docs/sendgrid-fixtures.md. Loading checks the shape with
JSON Schema, then the meaning: unique keys and names, known list references, and every
query parsed by the SQL engine. Any problem is a :class:`FixtureError` naming the item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from mockserver.vendors.sendgrid.sql import (
    RESERVED,
    QueryError,
    SegmentQuery,
    parse_query,
    predicate_query,
)
from mockserver.vendors.sendgrid.values import parse_instant, stable_uuid

WORLD_FILE = "world.yaml"
PLACES_FILE = "places.yaml"
_KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}
_UUID = {
    "type": "string",
    "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
_RULE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "values": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
        },
        "range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "within_days": {"type": "integer", "minimum": 0},
        "missing": _SHARE,
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["now", "contacts", "lists", "segments"],
    "additionalProperties": False,
    "properties": {
        "now": {"type": "string", "minLength": 10},
        "contacts": {
            "type": "object",
            "required": ["count"],
            "additionalProperties": False,
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "history_days": {"type": "integer", "minimum": 1},
                "custom_fields": {
                    "type": "object",
                    "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                    "additionalProperties": {
                        **_RULE,
                        "required": ["type"],
                        "properties": {
                            **_RULE["properties"],
                            "type": {"enum": ["text", "number", "date"]},
                            "by": {"type": "string"},
                            "cases": {"type": "object", "additionalProperties": _RULE},
                        },
                    },
                },
            },
        },
        "engagement": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "campaigns": {"type": "integer", "minimum": 0},
                "every_days": {"type": "integer", "minimum": 1},
                "open_rate": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "click_rate": _SHARE,
            },
        },
        "places": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["city", "state", "postal_codes"],
                "additionalProperties": False,
                "properties": {
                    "city": {"type": "string", "minLength": 1},
                    "state": {"type": "string", "minLength": 1},
                    "country": {"type": "string"},
                    "postal_codes": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "integer", "minimum": 1},
                    },
                    "area_codes": {"type": "array", "items": {"type": "integer"}},
                    "weight": {"type": "number", "exclusiveMinimum": 0},
                },
            },
        },
        "lists": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "name"],
                "additionalProperties": False,
                "properties": {
                    "key": _KEY,
                    "id": _UUID,
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "share": _SHARE,
                    "where": {"type": "string", "minLength": 1},
                },
            },
        },
        "segments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "query"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "id": _UUID,
                    "parent_list": _KEY,
                    "query": {"type": "string", "minLength": 1},
                },
            },
        },
        "keys": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key"],
                "additionalProperties": False,
                "properties": {
                    "key": {"type": "string", "pattern": r"^\S+$"},
                    "scopes": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)
_LIST_REF = re.compile(r"\{list:([^}]*)\}")
#: libyaml's loader when PyYAML was built with it: ten times faster on the default world.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FixtureError(ValueError):
    """The fixtures cannot be loaded; the message names the file and item at fault."""


@dataclass(frozen=True)
class Rule:
    """How one custom field's value is drawn (for one case of its ``by`` field)."""

    values: tuple[tuple[str, float], ...] = ()
    range: tuple[float, float] | None = None
    within_days: int | None = None
    missing: float = 0.0


@dataclass(frozen=True)
class CustomField:
    name: str
    type: str
    by: str | None
    #: The rule per value of ``by``; without ``by`` the single key is ``""``.
    cases: Mapping[str, Rule]


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    country: str
    postal_codes: tuple[int, ...]
    area_codes: tuple[int, ...]
    weight: float


@dataclass(frozen=True)
class Engagement:
    campaigns: int = 12
    every_days: int = 14
    open_rate: float = 0.3
    click_rate: float = 0.25


@dataclass(frozen=True)
class ListSpec:
    key: str
    id: str
    name: str
    share: float
    where: SegmentQuery | None


@dataclass(frozen=True)
class SegmentSpec:
    key: str
    id: str
    name: str
    parent_list_id: str | None
    query: SegmentQuery


@dataclass(frozen=True)
class KeySpec:
    key: str
    #: ``None``: full access (every scope).
    scopes: frozenset[str] | None


@dataclass(frozen=True)
class WorldSpec:
    now: int
    contacts: int
    history_days: int
    custom_fields: tuple[CustomField, ...]
    engagement: Engagement
    places: tuple[Place, ...]
    lists: tuple[ListSpec, ...]
    segments: tuple[SegmentSpec, ...]
    keys: tuple[KeySpec, ...]


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise FixtureError(f"{path}: {error}") from None


def fixture_document(directory: Path) -> dict[str, Any]:
    """``world.yaml`` with ``places.yaml`` beside it (unless the world lists its own places)."""
    document = read_yaml(directory / WORLD_FILE)
    if not isinstance(document, dict):
        raise FixtureError(f"{directory / WORLD_FILE}: expected a mapping at the top level")
    if "places" not in document and (directory / PLACES_FILE).is_file():
        document = {**document, "places": read_yaml(directory / PLACES_FILE)}
    return document


def _plain(value: Any) -> Any:
    """YAML turns unquoted timestamps into datetimes; the schema speaks JSON."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _where(path: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def resolve(document: Mapping[str, Any], seed: int, source: str = "fixtures") -> WorldSpec:
    """Validate a fixtures document and resolve it for ``seed`` (ids, parsed queries)."""
    document = _plain(dict(document))
    error = best_match(_VALIDATOR.iter_errors(document))
    if error is not None:
        raise FixtureError(f"{source}: {_where(error.absolute_path) or '<top>'}: {error.message}")
    try:
        now = parse_instant(document["now"])
    except ValueError:
        raise FixtureError(f"{source}: now: not an ISO 8601 timestamp") from None
    contacts = document["contacts"]
    custom = _custom_fields(contacts.get("custom_fields", {}), source)
    lists = _lists(document["lists"], seed, now, source)
    return WorldSpec(
        now=now,
        contacts=contacts["count"],
        history_days=contacts.get("history_days", 1095),
        custom_fields=custom,
        engagement=Engagement(**document.get("engagement", {})),
        places=tuple(_place(p) for p in document.get("places") or _default_places(source)),
        lists=lists,
        segments=_segments(document["segments"], lists, seed, now, source),
        keys=tuple(
            KeySpec(k["key"], frozenset(k["scopes"]) if "scopes" in k else None)
            for k in document.get("keys", ())
        ),
    )


def _default_places(source: str) -> list[Any]:
    raise FixtureError(f"{source}: places: no places given (and no {PLACES_FILE} beside it)")


def _rule(raw: Mapping[str, Any]) -> Rule:
    rng = raw.get("range")
    return Rule(
        values=tuple((str(k), float(v)) for k, v in raw.get("values", {}).items()),
        range=(rng[0], rng[1]) if rng else None,
        within_days=raw.get("within_days"),
        missing=raw.get("missing", 0.0),
    )


def _custom_fields(raw: Mapping[str, Any], source: str) -> tuple[CustomField, ...]:
    fields: list[CustomField] = []
    for name, spec in raw.items():
        where = f"{source}: contacts.custom_fields.{name}"
        if name in RESERVED:
            raise FixtureError(f"{where}: {name!r} is a reserved field of contact_data")
        by = spec.get("by")
        if by is None:
            cases = {"": _rule(spec)}
        else:
            parent = next((f for f in fields if f.name == by and f.type == "text"), None)
            if parent is None:
                raise FixtureError(f"{where}: by: {by!r} is not a text field defined before it")
            known = {value for rule in parent.cases.values() for value, _ in rule.values}
            given = spec.get("cases", {})
            missing = sorted(known - set(given))
            if missing:
                raise FixtureError(f"{where}: cases: no case for {', '.join(missing)}")
            cases = {value: _rule({**spec, **case}) for value, case in given.items()}
        for rule in cases.values():
            _check_rule(spec["type"], rule, where)
        fields.append(CustomField(name, spec["type"], by, cases))
    return tuple(fields)


def _check_rule(kind: str, rule: Rule, where: str) -> None:
    needs = {"text": rule.values, "number": rule.range, "date": rule.within_days is not None}
    if rule.missing < 1 and not needs[kind]:
        wanted = {"text": "values", "number": "range", "date": "within_days"}[kind]
        raise FixtureError(f"{where}: a {kind} field needs {wanted!r} (or missing: 1)")
    if rule.range and rule.range[0] > rule.range[1]:
        raise FixtureError(f"{where}: range: low end is above the high end")


def _place(raw: Mapping[str, Any]) -> Place:
    return Place(
        city=raw["city"],
        state=raw["state"],
        country=raw.get("country", "United States"),
        postal_codes=tuple(raw["postal_codes"]),
        area_codes=tuple(raw.get("area_codes", ())),
        weight=raw.get("weight", 1.0),
    )


def _lists(raw: list[Any], seed: int, now: int, source: str) -> tuple[ListSpec, ...]:
    seen: set[str] = set()
    lists = []
    for index, item in enumerate(raw):
        where = f"{source}: lists[{index}] ({item['name']!r})"
        if item["key"] in seen:
            raise FixtureError(f"{where}: key {item['key']!r} is used twice")
        seen.add(item["key"])
        rule = None
        if "where" in item:
            try:
                rule = predicate_query(item["where"], now)
            except QueryError as error:
                raise FixtureError(f"{where}: where: {error}") from None
        lists.append(
            ListSpec(
                key=item["key"],
                id=item.get("id") or stable_uuid(seed, "list", item["key"]),
                name=item["name"],
                share=item.get("share", 1.0),
                where=rule,
            )
        )
    return tuple(lists)


def _segments(
    raw: list[Any], lists: tuple[ListSpec, ...], seed: int, now: int, source: str
) -> tuple[SegmentSpec, ...]:
    by_key = {item.key: item for item in lists}
    names: set[str] = set()
    segments = []
    for index, item in enumerate(raw):
        name = item["name"]
        where = f"{source}: segment {name!r} (segments[{index}])"
        if name in names:
            raise FixtureError(f"{where}: the name is used twice")
        names.add(name)

        def list_id(match: re.Match[str], where: str = where) -> str:
            if match.group(1) not in by_key:
                raise FixtureError(f"{where}: query: unknown list {match.group(1)!r}")
            return by_key[match.group(1)].id

        parent = item.get("parent_list")
        if parent is not None and parent not in by_key:
            raise FixtureError(f"{where}: parent_list: unknown list {parent!r}")
        try:
            query = parse_query(_LIST_REF.sub(list_id, item["query"].strip()), now)
        except QueryError as error:
            raise FixtureError(f"{where}: query {error}") from None
        segments.append(
            SegmentSpec(
                key=name,
                id=item.get("id") or stable_uuid(seed, "segment", name),
                name=name,
                parent_list_id=by_key[parent].id if parent else None,
                query=query,
            )
        )
    return tuple(segments)


def load(directory: Path | None, data: Mapping[str, Any] | None, seed: int) -> WorldSpec:
    """The world of ``data`` if given, else of the fixtures in ``directory``."""
    if data is not None:
        document = dict(data)
        if "places" not in document and directory is not None:
            places = directory / PLACES_FILE
            if places.is_file():
                document["places"] = read_yaml(places)
        return resolve(document, seed, "fixtures document")
    if directory is None:
        raise FixtureError("no fixtures directory for sendgrid")
    return resolve(fixture_document(directory), seed, str(directory / WORLD_FILE))
