"""The schema-driven generator: valid against every schema of both specs, plausible, seeded."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from mockserver.generate.schema_faker import DEFAULT_MAX_ITEMS, SchemaFaker
from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.spec.loader import read_document, resolve
from mockserver.vendors import REGISTRY, vendor

SEEDS = range(40)


def _schemas():
    for api in REGISTRY:
        path = bundled_dir("specs") / vendor(api).spec_file
        document = read_document(path)
        for name, schema in resolve(document.get("components", {}), document)["schemas"].items():
            yield pytest.param(schema, id=f"{api}:components/{name}")
        for op in load_spec(api, path).operations:
            for status, response in op.responses.items():
                for media, content in response.content.items():
                    if content.schema is not None:
                        yield pytest.param(
                            content.schema, id=f"{api}:{op.operation_id}:{status}:{media}"
                        )


@pytest.mark.parametrize("schema", list(_schemas()))
def test_every_generated_value_is_valid(schema):
    faker = SchemaFaker(seed=7)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for seed in SEEDS:
        value = faker.generate(schema, "case", seed)
        errors = [e.message for e in validator.iter_errors(value)]
        assert not errors, (value, errors)


def test_same_seed_same_value_other_seed_other_value():
    schema = {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}
    schema["required"] = ["email"]
    assert SchemaFaker(1).generate(schema, "k") == SchemaFaker(1).generate(schema, "k")
    assert SchemaFaker(1).generate(schema, "k") != SchemaFaker(2).generate(schema, "k")


def test_values_are_plausible_by_property_name():
    schema = {
        "type": "object",
        "required": ["email", "first_name", "city", "postal_code", "country", "created_at", "id"],
        "properties": {
            "email": {"type": "string"},
            "first_name": {"type": "string"},
            "city": {"type": "string"},
            "postal_code": {"type": "integer"},
            "country": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "id": {"type": "string", "format": "uuid"},
        },
    }
    value = SchemaFaker(3).generate(schema, "person")
    assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", value["email"])
    assert value["first_name"].isalpha() and value["first_name"][0].isupper()
    assert re.fullmatch(r"[A-Za-z .'-]+", value["city"])
    assert 0 < value["postal_code"] < 100_000
    assert re.fullmatch(r"[A-Z]{2}", value["country"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", value["created_at"])
    assert re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", value["id"])


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"},
        {"type": "string", "minLength": 36, "maxLength": 36},
        {"type": "integer", "minimum": 10, "maximum": 12},
        {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 5},
        {"type": "number", "minimum": 0, "maximum": 1},
        {"type": "array", "minItems": 4, "uniqueItems": True, "items": {"enum": [1, 2, 3, 4, 5]}},
        {"type": ["string", "null"], "minLength": 2},
        {"anyOf": [{"type": "integer"}, {"type": "string", "format": "uuid"}]},
        {"allOf": [{"type": "object", "required": ["a"]}, {"properties": {"a": {"const": 1}}}]},
    ],
)
def test_constraints_are_honoured(schema):
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    faker = SchemaFaker(0)
    for seed in SEEDS:
        value = faker.generate(schema, seed)
        assert validator.is_valid(value), value


def test_a_large_max_items_is_a_bound_not_a_size():
    """ContactsUpsert allows 30,000 contacts: drawing up to that many took a minute a value."""
    schema = {"type": "array", "minItems": 2, "maxItems": 30_000, "items": {"type": "integer"}}
    sizes = {len(SchemaFaker(1).generate(schema, "c", seed)) for seed in range(50)}
    assert sizes <= set(range(2, 2 + DEFAULT_MAX_ITEMS + 1)) and len(sizes) > 1
