"""Generate JSON values that are valid against a schema and plausible by property name.

Determinism: every top-level generation reseeds one Faker instance from a
string key, so the same (seed, key) gives the same value in any process.
"""

from __future__ import annotations

import hashlib
import string
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from mockserver.generate.hints import FORMAT_HINTS, hint_for
from mockserver.params.decode import primary_type

if TYPE_CHECKING:
    from faker import Faker
    from rstr import Rstr

    from mockserver.spec.model import ResponseSpec

#: Used where a schema sets no bound: plausible, not extreme.
DEFAULT_INT_RANGE = (0, 1000)
DEFAULT_MAX_ITEMS = 3


def seed_for(*parts: object) -> int:
    """A stable 64-bit seed from any printable parts (``hash()`` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class SchemaFaker:
    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._validators: dict[int, tuple[dict[str, Any], Any]] = {}

    def is_valid(self, schema: dict[str, Any], value: Any) -> bool:
        """Check a hinted value; validators are cached per schema (it lives as long as the spec)."""
        entry = self._validators.get(id(schema))
        if entry is None or entry[0] is not schema:
            entry = (schema, jsonschema_rs.validator_for(schema, validate_formats=True))
            self._validators[id(schema)] = entry
        return entry[1].is_valid(value)

    def generate(self, schema: dict[str, Any], *key: object, name: str | None = None) -> Any:
        """A value for ``schema``; ``key`` names the occasion so each one is reproducible."""
        self.fake.seed_instance(seed_for(self.seed, *key))
        return self.value(schema, name)

    def headers(self, response: ResponseSpec, *key: object) -> tuple[tuple[str, str], ...]:
        """A value for each header ``response`` requires, each its own occasion of ``key``."""
        return tuple(
            (h.name, str(self.generate(h.schema, *key, h.name)))
            for h in response.headers
            if h.required
        )

    @cached_property
    def fake(self) -> Faker:
        """Made (and Faker imported) on first use: most operations have behaviour and never
        generate, and importing Faker is a tenth of start-up."""
        from faker import Faker

        return Faker("en_US")

    @cached_property
    def xeger(self) -> Rstr:
        from rstr import Rstr

        return Rstr(self.fake.random)

    @property
    def random(self):
        return self.fake.random

    def value(self, schema: dict[str, Any], name: str | None = None) -> Any:
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self.random.choice(schema["enum"])
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(part)
            merged.update({k: v for k, v in schema.items() if k != "allOf"})
            return self.value(merged, name)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                branches = [b for b in schema[key] if primary_type(b) != "null"] or schema[key]
                return self.value(self.random.choice(branches), name)
        kind = primary_type(schema) or ("object" if "properties" in schema else "string")
        hint = hint_for(name, kind, schema)  # a first guess, kept only if the schema allows it
        if hint is not None and self.is_valid(schema, candidate := hint(self.fake)):
            return candidate
        return GENERATORS.get(kind, SchemaFaker._string)(self, schema, name)

    def _string(self, schema: dict[str, Any], name: str | None) -> str:
        low = schema.get("minLength", 0)
        high = schema.get("maxLength", max(low, 24))
        if "pattern" in schema:
            for _ in range(10):
                text = self.xeger.xeger(schema["pattern"])
                if low <= len(text) <= high:
                    return text
        fmt = FORMAT_HINTS.get(schema.get("format", ""))
        if fmt is not None:
            return fmt(self.fake)
        text = " ".join(self.fake.words(3)) if high >= 8 else ""
        if len(text) < low or len(text) > high:
            length = self.random.randint(low, min(high, max(low, 12)))
            text = "".join(self.random.choices(string.ascii_letters, k=length))
        return text

    def _integer(self, schema: dict[str, Any], name: str | None) -> int:
        low, high = _bounds(schema, *DEFAULT_INT_RANGE)
        low, high = int(-(-low // 1)), int(high // 1)
        step = schema.get("multipleOf")
        if step:
            first = -(-low // step) * step
            return int(first + step * self.random.randint(0, max(0, int((high - first) // step))))
        return self.random.randint(low, max(low, high))

    def _number(self, schema: dict[str, Any], name: str | None) -> float:
        low, high = _bounds(schema, 0.0, 1000.0)
        value = round(self.random.uniform(low, high), 4)
        return min(max(value, low), high)

    def _boolean(self, schema: dict[str, Any], name: str | None) -> bool:
        return self.random.random() < 0.5

    def _array(self, schema: dict[str, Any], name: str | None) -> list[Any]:
        items = schema.get("items", {})
        low = schema.get("minItems", 0)
        # A few items past the floor: maxItems is a bound, not a size to aim at
        # (ContactsUpsert allows 30,000 contacts, which drew up to a minute of values).
        high = min(schema.get("maxItems", low + DEFAULT_MAX_ITEMS), low + DEFAULT_MAX_ITEMS)
        count = self.random.randint(low, max(low, high))
        item_name = name[:-1] if name and name.endswith("s") else name
        values: list[Any] = []
        for _ in range(count * 5):
            if len(values) >= count:
                break
            value = self.value(items, item_name)
            if not schema.get("uniqueItems") or value not in values:
                values.append(value)
        return values

    def _object(self, schema: dict[str, Any], name: str | None) -> dict[str, Any]:
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return {
            prop: self.value(sub, prop)
            for prop, sub in properties.items()
            if prop in required or self.random.random() < 0.7
        }

    def _null(self, schema: dict[str, Any], name: str | None) -> None:
        return None


def _bounds(schema: dict[str, Any], low: float, high: float) -> tuple[float, float]:
    low = schema.get("minimum", low)
    high = schema.get("maximum", max(high, low))
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + (1 if primary_type(schema) == "integer" else 1e-6)
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - (1 if primary_type(schema) == "integer" else 1e-6)
    if "minimum" in schema and "maximum" not in schema and "exclusiveMaximum" not in schema:
        high = low + (high - DEFAULT_INT_RANGE[0])
    return low, high


GENERATORS = {
    "string": SchemaFaker._string,
    "integer": SchemaFaker._integer,
    "number": SchemaFaker._number,
    "boolean": SchemaFaker._boolean,
    "array": SchemaFaker._array,
    "object": SchemaFaker._object,
    "null": SchemaFaker._null,
}
