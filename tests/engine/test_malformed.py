"""Malformed input of every parameter of every operation: a 4xx in the dialect, never a 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.vendors import REGISTRY, vendor
from tests.conftest import AUTH, PROGRAM

#: Values no schema of ours accepts for a typed parameter, and odd ones any string takes.
HOSTILE = ["", "x", "-1", "1e999", "NaN", "9" * 400, "\u00e9\u0000\ufffd", "%ZZ", "a,b,,c", " "]
UUID = "3b049926-0a54-4a91-83f0-086ace63c530"


def _cases():
    for api in REGISTRY:
        spec = load_spec(api, bundled_dir("specs") / vendor(api).spec_file)
        for op in spec.operations:
            for param in op.parameters:
                for value in HOSTILE:
                    case_id = f"{op.operation_id}-{param.name}-{value[:8]!r}"
                    yield pytest.param(op, param, value, id=case_id)


def _speaks_dialect(api: str, body: dict) -> bool:
    if api == "actionhub":
        return set(body) == {"detail"}
    return isinstance(body.get("errors"), list) and all("message" in e for e in body["errors"])


@pytest.mark.parametrize(("op", "param", "value"), list(_cases()))
def test_malformed_parameter_never_5xx(client, op, param, value):
    headers = {**AUTH, **PROGRAM}
    path = op.path.replace("{segment_id}", UUID)
    query = ""
    if param.location == "query":
        query = f"?{param.name}={quote(value, safe='%,')}"
    elif param.location == "header":
        headers[param.name] = value.replace("\u0000", "").strip().encode()
    elif param.location == "path":
        path = op.path.replace("{" + param.name + "}", quote(value, safe="%") or "%20")
    response = client.request(op.method, path + query, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert _speaks_dialect(op.api, response.json()), response.text
