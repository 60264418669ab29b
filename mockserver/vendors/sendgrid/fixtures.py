"""The SendGrid fixtures format (docs/sendgrid-fixtures.md): load, validate and resolve
``fixtures/sendgrid/*.yaml``; the shape by JSON Schema, then the meaning (unique keys and
names, known list references, every query parsed), every problem named in a FixtureError.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from mockserver.budget import checkpoint
from mockserver.conformance.documents import DocumentSchema, field_path, raise_if_too_large
from mockserver.errors import DataError, InvalidDocument, LimitError
from mockserver.serialize import read_yaml_file
from mockserver.vendors.sendgrid.compiled import LIST_REF, compile_query, compile_with_lists
from mockserver.vendors.sendgrid.query import QueryError, SegmentQuery, predicate_text
from mockserver.vendors.sendgrid.schema import MAX_CONTACT_CAMPAIGNS, SCHEMA
from mockserver.vendors.sendgrid.store import RESERVED
from mockserver.vendors.sendgrid.values import parse_instant, stable_uuid

WORLD_FILE = "world.yaml"
PLACES_FILE = "places.yaml"
_VALIDATOR = DocumentSchema(SCHEMA)


#: Shape problems reported at most (a wrong top-level type can cascade into many).
MAX_SHAPE_PROBLEMS = 20


class FixtureError(DataError):
    """The fixtures cannot be loaded. ``reasons`` lists every problem found, each naming
    the file and the item at fault (the control plane shows them all)."""


class Rule(NamedTuple):
    """How one custom field's value is drawn (for one case of its ``by`` field)."""

    values: tuple[tuple[str, float], ...] = ()
    range: tuple[float, float] | None = None
    within_days: int | None = None
    missing: float = 0.0


class CustomField(NamedTuple):
    name: str
    type: str
    by: str | None
    #: The rule per value of ``by``; without ``by`` the single key is ``""``.
    cases: Mapping[str, Rule]


class Place(NamedTuple):
    city: str
    state: str
    country: str
    postal_codes: tuple[int, ...]
    area_codes: tuple[int, ...]
    weight: float


class Engagement(NamedTuple):
    campaigns: int = 12
    every_days: int = 14
    open_rate: float = 0.3
    click_rate: float = 0.25


class ListSpec(NamedTuple):
    key: str
    id: str
    name: str
    share: float
    where: SegmentQuery | None


class SegmentSpec(NamedTuple):
    key: str
    id: str
    name: str
    parent_list_id: str | None
    query: SegmentQuery


class KeySpec(NamedTuple):
    key: str
    #: ``None``: full access (every scope).
    scopes: frozenset[str] | None


class WorldSpec(NamedTuple):
    now: int
    contacts: int
    history_days: int
    custom_fields: tuple[CustomField, ...]
    engagement: Engagement
    places: tuple[Place, ...]
    lists: tuple[ListSpec, ...]
    segments: tuple[SegmentSpec, ...]
    keys: tuple[KeySpec, ...]


def read_yaml(path: Path, max_bytes: int | None = None) -> Any:
    try:
        return read_yaml_file(path, max_bytes)
    except (OSError, InvalidDocument) as error:
        raise FixtureError(f"{path}: {error}") from None


def fixture_document(directory: Path, max_bytes: int | None = None) -> dict[str, Any]:
    """``world.yaml`` of ``directory``, as a mapping."""
    document = read_yaml(directory / WORLD_FILE, max_bytes)
    if not isinstance(document, dict):
        raise FixtureError(f"{directory / WORLD_FILE}: expected a mapping at the top level")
    return document


def with_places(
    document: Mapping[str, Any], *directories: Path | None, max_bytes: int | None = None
) -> dict[str, Any]:
    """The document with its places: its own, else the first ``places.yaml`` found."""
    document = dict(document)
    if "places" not in document:
        for directory in directories:
            if directory is not None and (directory / PLACES_FILE).is_file():
                document["places"] = read_yaml(directory / PLACES_FILE, max_bytes)
                break
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


def resolve(document: Mapping[str, Any], seed: int, source: str = "fixtures") -> WorldSpec:
    """Validate a fixtures document and resolve it for ``seed`` (ids, parsed queries)."""
    document = _plain(dict(document))
    shape = _VALIDATOR.problems(document)
    raise_if_too_large(shape, source, "docs/sendgrid-fixtures.md")
    if shape:
        shown = shape[:MAX_SHAPE_PROBLEMS]
        raise FixtureError(
            [f"{source}: {field_path(e.path) or '<top>'}: {e.message}" for e in shown]
        )
    problems: list[str] = []
    try:
        now = parse_instant(document["now"])
    except ValueError:
        raise FixtureError(f"{source}: now: not an ISO 8601 timestamp") from None
    contacts = document["contacts"]
    _check_size(contacts["count"], document.get("engagement", {}), source)
    custom = _custom_fields(contacts.get("custom_fields", {}), source, problems)
    lists = _lists(document["lists"], seed, now, source, problems)
    segments = _segments(document["segments"], lists, seed, now, source, problems)
    if not document.get("places"):
        problems.append(f"{source}: places: none given (and no {PLACES_FILE} beside it)")
    for kind, items in (("list", lists), ("segment", segments)):
        counts = Counter(item.id for item in items)
        repeated = sorted(i for i, seen in counts.items() if seen > 1)
        if repeated:
            problems.append(f"{source}: {kind} id {', '.join(repeated)} is used twice")
    if problems:
        raise FixtureError(problems)
    return WorldSpec(
        now=now,
        contacts=contacts["count"],
        history_days=contacts.get("history_days", 1095),
        custom_fields=custom,
        engagement=Engagement(**document.get("engagement", {})),
        places=tuple(_place(p) for p in document["places"]),
        lists=lists,
        segments=segments,
        keys=tuple(
            KeySpec(k["key"], frozenset(k["scopes"]) if "scopes" in k else None)
            for k in document.get("keys", ())
        ),
    )


def _check_size(contacts: int, engagement: Mapping[str, Any], source: str) -> None:
    """The events a world generates grow with contacts x campaigns: bounded together."""
    campaigns = engagement.get("campaigns", Engagement().campaigns)
    if contacts * campaigns > MAX_CONTACT_CAMPAIGNS:
        raise LimitError(
            f"{source}: contacts.count x engagement.campaigns = {contacts * campaigns:,}, more "
            f"than {MAX_CONTACT_CAMPAIGNS:,} (docs/sendgrid-fixtures.md, Limits)",
            limit="contacts.count x engagement.campaigns",
        )


def _rule(raw: Mapping[str, Any]) -> Rule:
    rng = raw.get("range")
    return Rule(
        values=tuple((str(k), float(v)) for k, v in raw.get("values", {}).items()),
        range=(rng[0], rng[1]) if rng else None,
        within_days=raw.get("within_days"),
        missing=raw.get("missing", 0.0),
    )


def _dependency_order(raw: Mapping[str, Any]) -> list[str]:
    """Field names, each after the field its ``by`` names (documents may sort their keys)."""
    ordered: list[str] = []
    pending = list(raw)
    while pending:
        ready = [n for n in pending if raw[n].get("by") in (None, *ordered)]
        if not ready:  # a cycle or an unknown field: report them in document order
            return ordered + pending
        ordered += ready
        pending = [n for n in pending if n not in ready]
    return ordered


def _custom_fields(
    raw: Mapping[str, Any], source: str, problems: list[str]
) -> tuple[CustomField, ...]:
    fields: list[CustomField] = []
    for name in _dependency_order(raw):
        spec = raw[name]
        where = f"{source}: contacts.custom_fields.{name}"
        if name in RESERVED:
            problems.append(f"{where}: {name!r} is a reserved field of contact_data")
            continue
        by = spec.get("by")
        if by is None:
            cases = {"": _rule(spec)}
        else:
            parent = next((f for f in fields if f.name == by and f.type == "text"), None)
            if parent is None:
                problems.append(f"{where}: by: {by!r} is not a text field (or depends on this one)")
                continue
            known = {value for rule in parent.cases.values() for value, _ in rule.values}
            given = spec.get("cases", {})
            missing, unknown = sorted(known - set(given)), sorted(set(given) - known)
            if missing:
                problems.append(f"{where}: cases: no case for {', '.join(missing)}")
            if unknown:
                problems.append(f"{where}: cases: {', '.join(unknown)} never occur in {by}")
            cases = {value: _rule({**spec, **case}) for value, case in given.items()}
        problems += [
            f"{where}: {problem}"
            for rule in cases.values()
            for problem in _rule_problems(spec["type"], rule)
        ]
        fields.append(CustomField(name, spec["type"], by, cases))
    return tuple(fields)


def _rule_problems(kind: str, rule: Rule) -> list[str]:
    wanted = {"text": "values", "number": "range", "date": "within_days"}[kind]
    found = []
    if rule.missing < 1 and getattr(rule, wanted) in (None, ()):
        found.append(f"a {kind} field needs {wanted!r} (or missing: 1)")
    if rule.range and rule.range[0] > rule.range[1]:
        found.append("range: the low end is above the high end")
    return found


def _place(raw: Mapping[str, Any]) -> Place:
    return Place(
        city=raw["city"],
        state=raw["state"],
        country=raw.get("country", "United States"),
        postal_codes=tuple(raw["postal_codes"]),
        area_codes=tuple(raw.get("area_codes", ())),
        weight=raw.get("weight", 1.0),
    )


def _lists(
    raw: list[Any], seed: int, now: int, source: str, problems: list[str]
) -> tuple[ListSpec, ...]:
    seen: set[str] = set()
    lists = []
    for index, item in enumerate(raw):
        checkpoint()
        where = f"{source}: list {item['name']!r} (lists[{index}])"
        if item["key"] in seen:
            problems.append(f"{where}: key {item['key']!r} is used twice")
        seen.add(item["key"])
        rule = None
        if "where" in item:
            try:
                rule = compile_query(predicate_text(item["where"]), now)
            except QueryError as error:
                problems.append(f"{where}: where: {error}")
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
    raw: list[Any],
    lists: tuple[ListSpec, ...],
    seed: int,
    now: int,
    source: str,
    problems: list[str],
) -> tuple[SegmentSpec, ...]:
    by_key = {item.key: item for item in lists}
    names: set[str] = set()
    segments = []
    for index, item in enumerate(raw):
        checkpoint()
        name = item["name"]
        where = f"{source}: segment {name!r} (segments[{index}])"
        if name in names:
            problems.append(f"{where}: the name is used twice")
        names.add(name)
        parent = item.get("parent_list")
        if parent is not None and parent not in by_key:
            problems.append(f"{where}: parent_list: unknown list {parent!r}")
            continue
        unknown = [key for key in LIST_REF.findall(item["query"]) if key not in by_key]
        if unknown:
            problems.append(f"{where}: query: unknown list {', '.join(map(repr, unknown))}")
            continue
        list_ids = {key: spec.id for key, spec in by_key.items()}
        try:
            query = compile_with_lists(item["query"].strip(), list_ids, now)
        except QueryError as error:
            problems.append(f"{where}: query {error}")
            continue
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


def load(
    directory: Path | None,
    data: Mapping[str, Any] | None,
    seed: int,
    bundled: Path | None = None,
    max_bytes: int | None = None,
) -> WorldSpec:
    """The world of ``data`` if given, else of the fixtures in ``directory``; places default
    to ``places.yaml`` beside the world, then the bundled one; files past ``max_bytes``
    (``--max-load-bytes``) are refused before they are read."""
    if data is None:
        if directory is None:
            raise FixtureError("no fixtures directory for sendgrid")
        data, source = fixture_document(directory, max_bytes), str(directory / WORLD_FILE)
    elif isinstance(data, Mapping):
        source = "fixtures document"
    else:
        raise FixtureError("fixtures document: expected a mapping at the top level")
    return resolve(with_places(data, directory, bundled, max_bytes=max_bytes), seed, source)
