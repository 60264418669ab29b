"""The JSON Schema of the SendGrid fixtures document (``fixtures/sendgrid/world.yaml``).

It checks the shape only; the meaning (references, queries) is checked by ``fixtures``.
The format is documented in docs/sendgrid-fixtures.md.
"""

from __future__ import annotations

from typing import Any

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
