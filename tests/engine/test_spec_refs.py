"""Local ``$ref``s resolved once per document: each target resolved once and shared, a sibling
keyword still overriding it, a recursive one still refused."""

from __future__ import annotations

import pytest

from mockserver.errors import SpecError
from mockserver.resources import bundled_dir
from mockserver.spec.loader import read_document, resolve

DOCUMENT = {
    "components": {
        "schemas": {
            "Id": {"type": "string", "format": "uuid"},
            "Error": {"type": "object", "properties": {"id": {"$ref": "#/components/schemas/Id"}}},
            "Loop": {"items": {"$ref": "#/components/schemas/Loop"}},
        }
    }
}


def test_a_target_is_resolved_once_and_siblings_override_it():
    targets: dict = {}
    first = resolve({"$ref": "#/components/schemas/Error"}, DOCUMENT, targets=targets)
    second = resolve(
        {"$ref": "#/components/schemas/Error", "description": "mine"}, DOCUMENT, targets=targets
    )
    expected = {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}}
    assert first == expected
    assert second == {**expected, "description": "mine"}
    assert set(targets) == {"#/components/schemas/Error", "#/components/schemas/Id"}
    assert "description" not in targets["#/components/schemas/Error"]  # the shared copy kept


@pytest.mark.parametrize("targets", [None, {}])
def test_a_recursive_reference_is_refused(targets):
    with pytest.raises(SpecError, match="recursive"):
        resolve({"$ref": "#/components/schemas/Loop"}, DOCUMENT, targets=targets)


@pytest.mark.parametrize("spec_file", ["actionhub.openapi.yaml", "sendgrid-segments.openapi.yaml"])
def test_the_bundled_specs_resolve_the_same_with_shared_targets(spec_file):
    document = read_document(bundled_dir("specs") / spec_file)
    shared: dict = {}
    for item in document["paths"].values():
        assert resolve(item, document, targets=shared) == resolve(item, document)
