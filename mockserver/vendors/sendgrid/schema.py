"""The JSON Schema of the SendGrid fixtures document (``fixtures/sendgrid/world.yaml``).

It checks the shape only; the meaning (references, queries) is checked by ``fixtures``.
The format is documented in docs/sendgrid-fixtures.md.
"""

from __future__ import annotations

from typing import Any

# World-size limits: a document is small text, the world it asks for is not. Each bound is
# marked "x-limit" (conformance.documents.LIMIT_MARK) and documented in
# docs/sendgrid-fixtures.md ("Limits"); a document past one is refused whole (a 413 from the
# control API, exit 2 at start-up).
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

_KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$", "maxLength": 100}
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
            "maxProperties": MAX_VALUES,
            "x-limit": True,
            "propertyNames": {"maxLength": MAX_TEXT, "x-limit": True},
            "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
        },
        "range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "within_days": {"type": "integer", "minimum": 0, "maximum": 36_500},
        "missing": _SHARE,
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["now", "contacts", "lists", "segments"],
    "additionalProperties": False,
    "properties": {
        "now": {"type": "string", "minLength": 10, "maxLength": 40},
        "contacts": {
            "type": "object",
            "required": ["count"],
            "additionalProperties": False,
            "properties": {
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_CONTACTS,
                    "x-limit": True,
                },
                "history_days": {"type": "integer", "minimum": 1, "maximum": 36_500},
                "custom_fields": {
                    "type": "object",
                    "maxProperties": MAX_CUSTOM_FIELDS,
                    "x-limit": True,
                    "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$", "maxLength": 100},
                    "additionalProperties": {
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
                    },
                },
            },
        },
        "engagement": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "campaigns": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_CAMPAIGNS,
                    "x-limit": True,
                },
                "every_days": {"type": "integer", "minimum": 1, "maximum": 3_650},
                "open_rate": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "click_rate": _SHARE,
            },
        },
        "places": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_PLACES,
            "x-limit": True,
            "items": {
                "type": "object",
                "required": ["city", "state", "postal_codes"],
                "additionalProperties": False,
                "properties": {
                    "city": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_TEXT,
                        "x-limit": True,
                    },
                    "state": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_TEXT,
                        "x-limit": True,
                    },
                    "country": {"type": "string", "maxLength": MAX_TEXT, "x-limit": True},
                    "postal_codes": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_CODES,
                        "x-limit": True,
                        "items": {"type": "integer", "minimum": 1, "maximum": 99_999_999},
                    },
                    "area_codes": {
                        "type": "array",
                        "maxItems": MAX_CODES,
                        "x-limit": True,
                        "items": {"type": "integer", "minimum": 0, "maximum": 99_999},
                    },
                    "weight": {"type": "number", "exclusiveMinimum": 0},
                },
            },
        },
        "lists": {
            "type": "array",
            "maxItems": MAX_LISTS,
            "x-limit": True,
            "items": {
                "type": "object",
                "required": ["key", "name"],
                "additionalProperties": False,
                "properties": {
                    "key": _KEY,
                    "id": _UUID,
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "share": _SHARE,
                    "where": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_QUERY_CHARS,
                        "x-limit": True,
                    },
                },
            },
        },
        "segments": {
            "type": "array",
            "maxItems": MAX_SEGMENTS,
            "x-limit": True,
            "items": {
                "type": "object",
                "required": ["name", "query"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "id": _UUID,
                    "parent_list": _KEY,
                    "query": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_QUERY_CHARS,
                        "x-limit": True,
                    },
                },
            },
        },
        "keys": {
            "type": "array",
            "maxItems": MAX_KEYS,
            "x-limit": True,
            "items": {
                "type": "object",
                "required": ["key"],
                "additionalProperties": False,
                "properties": {
                    "key": {
                        "type": "string",
                        "pattern": r"^\S+$",
                        "maxLength": MAX_TEXT,
                        "x-limit": True,
                    },
                    "scopes": {
                        "type": "array",
                        "maxItems": 100,
                        "x-limit": True,
                        "items": {"type": "string", "maxLength": 100},
                    },
                },
            },
        },
    },
}
