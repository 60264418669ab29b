"""The JSON Schema of the SendGrid fixtures document's shape (docs/sendgrid-fixtures.md); the
meaning (references, queries) is checked by ``fixtures``."""

from __future__ import annotations

from typing import Any

# World-size limits: a document is small text, the world it asks for is not. Each bound is
# marked "x-limit" (conformance.documents.LIMIT_MARK); a document past one is refused whole.
MAX_CONTACTS = 500_000
#: contacts x campaigns: the opens and clicks generated grow with both.
MAX_CONTACT_CAMPAIGNS = 20_000_000
MAX_CAMPAIGNS = 1_000
MAX_LISTS = 1_000
MAX_SEGMENTS = 1_000
MAX_KEYS = 1_000
MAX_CUSTOM_FIELDS = 120  # SendGrid's own limit
MAX_VALUES = 1_000
MAX_PLACES = 10_000
MAX_CODES = 1_000
MAX_QUERY_CHARS = 10_000
MAX_TEXT = 1_000


def _limited(kind: str, size: str, maximum: int, minimum: int = 0, **more: Any) -> dict[str, Any]:
    """A string (``size`` "Length") or array ("Items") bounded by a documented limit."""
    low = {f"min{size}": minimum} if minimum else {}
    return {"type": kind, **low, **more, f"max{size}": maximum, "x-limit": True}


def _text(maximum: int, minimum: int = 0, **more: Any) -> dict[str, Any]:
    return _limited("string", "Length", maximum, minimum, **more)


def _array(items: Any, maximum: int, minimum: int = 0) -> dict[str, Any]:
    return {**_limited("array", "Items", maximum, minimum), "items": items}


def _count(maximum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "maximum": maximum, "x-limit": True}


def _record(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    """An object of these properties only."""
    needs = {"required": list(required)} if required else {}
    return {"type": "object", **needs, "additionalProperties": False, "properties": properties}


_KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$", "maxLength": 100}
_UUID = {
    "type": "string",
    "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
}
_SHARE = {"type": "number", "minimum": 0, "maximum": 1}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_RULE = _record(
    {
        "values": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": MAX_VALUES,
            "x-limit": True,
            "propertyNames": {"maxLength": MAX_TEXT, "x-limit": True},
            "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
        },
        "range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "within_days": {"type": "integer", "minimum": 0, "maximum": 36_500},
        "missing": _SHARE,
    }
)
_CUSTOM_FIELD = {
    **_RULE,
    "required": ["type"],
    "properties": {
        **_RULE["properties"],
        "type": {"enum": ["text", "number", "date"]},
        "by": {"type": "string", "maxLength": 100},
        "cases": {
            "type": "object",
            "maxProperties": MAX_VALUES,
            "x-limit": True,
            "additionalProperties": _RULE,
        },
    },
}
_CONTACTS = {
    "count": _count(MAX_CONTACTS),
    "history_days": {"type": "integer", "minimum": 1, "maximum": 36_500},
    "custom_fields": {
        "type": "object",
        "maxProperties": MAX_CUSTOM_FIELDS,
        "x-limit": True,
        "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$", "maxLength": 100},
        "additionalProperties": _CUSTOM_FIELD,
    },
}
_ENGAGEMENT = {
    "campaigns": _count(MAX_CAMPAIGNS),
    "every_days": {"type": "integer", "minimum": 1, "maximum": 3_650},
    "open_rate": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "click_rate": _SHARE,
}
_PLACE = {
    "city": _text(MAX_TEXT, 1),
    "state": _text(MAX_TEXT, 1),
    "country": _text(MAX_TEXT),
    "postal_codes": _array({"type": "integer", "minimum": 1, "maximum": 99_999_999}, MAX_CODES, 1),
    "area_codes": _array({"type": "integer", "minimum": 0, "maximum": 99_999}, MAX_CODES),
    "weight": {"type": "number", "exclusiveMinimum": 0},
}
_LIST = {
    "key": _KEY,
    "id": _UUID,
    "name": _NAME,
    "share": _SHARE,
    "where": _text(MAX_QUERY_CHARS, 1),
}
_SEGMENT = {"name": _NAME, "id": _UUID, "parent_list": _KEY, "query": _text(MAX_QUERY_CHARS, 1)}
_KEYS = {
    "key": _text(MAX_TEXT, pattern=r"^\S+$"),
    "scopes": _array({"type": "string", "maxLength": 100}, 100),
}
SCHEMA: dict[str, Any] = _record(
    {
        "now": {"type": "string", "minLength": 10, "maxLength": 40},
        "contacts": _record(_CONTACTS, "count"),
        "engagement": _record(_ENGAGEMENT),
        "places": _array(_record(_PLACE, "city", "state", "postal_codes"), MAX_PLACES, 1),
        "lists": _array(_record(_LIST, "key", "name"), MAX_LISTS),
        "segments": _array(_record(_SEGMENT, "name", "query"), MAX_SEGMENTS),
        "keys": _array(_record(_KEYS, "key"), MAX_KEYS),
    },
    "now",
    "contacts",
    "lists",
    "segments",
)
