"""Precomputed start-up data: used only for the library version (or code) that wrote it, and
current."""

from __future__ import annotations

import hashlib

import orjson

from mockserver import bundled, precomputed
from mockserver.conformance import verified
from mockserver.serialize import load_yaml
from mockserver.vendors.interface import Reply
from tests.harness import mock_app


def test_the_bundled_yaml_table_is_current_and_faithful():
    stored = orjson.loads(precomputed.YAML_TABLE.read_bytes())
    assert stored["witness"] == precomputed.PYYAML.fingerprint(), "stale: run `make precompile`"
    for path in bundled.documents():
        data = path.read_bytes()
        text = stored["data"].get(hashlib.sha256(data).hexdigest())
        assert text is not None, f"{path} is not in the table: run `make precompile`"
        assert orjson.loads(text) == load_yaml(data)


def test_another_version_or_another_file_is_parsed_again(tmp_path):
    table = tmp_path / "table.json"
    precomputed.dump(table, precomputed.PYYAML, {"x": 1})
    assert precomputed.load(table, precomputed.PYYAML) == {"x": 1}
    table.write_bytes(orjson.dumps({"witness": "another version", "data": {"x": 1}}))
    assert precomputed.load(table, precomputed.PYYAML) is None
    assert precomputed.load(tmp_path / "missing.json", precomputed.PYYAML) is None
    assert precomputed.Witness("no_such_package_here", "x.py").fingerprint() is None
    own = tmp_path / "own.yaml"
    own.write_text("a: [1, 2]\n")
    assert precomputed.yaml_file(own, load_yaml) == {"a": [1, 2]}


def test_the_verified_table_is_current():
    stored = orjson.loads(verified.TABLE.read_bytes())
    fresh = {"witness": verified.JUDGES.fingerprint(), "data": sorted(bundled.verified_digests())}
    assert stored == fresh, "stale: run `make precompile`"


def test_only_the_very_answers_validated_ahead_of_time_skip_validation():
    runtime = mock_app(apis=("sendgrid",)).runtimes["sendgrid"]
    prebuilt = list(runtime.backend.prebuilt())
    assert verified.known_valid(verified.digest(runtime.spec, prebuilt))
    operation_id, reply = prebuilt[0]
    changed = [(operation_id, Reply(reply.status, reply.body + b" ", reply.media_type))]
    assert not verified.known_valid(verified.digest(runtime.spec, changed + prebuilt[1:]))
    assert not verified.known_valid(verified.digest(runtime.spec, prebuilt[1:]))


def test_the_default_world_is_validated_ahead_of_time_where_its_memberships_are_not(monkeypatch):
    """Another NumPy or SQLite (another Python's lock, the lowest versions) computes the default
    world instead of reading its table: the same answers, all built, so its digest is still the
    one validated ahead of time and no validator is built."""
    from mockserver.vendors.sendgrid import memberships

    monkeypatch.setattr(memberships, "known", lambda *args: None)
    runtime = mock_app(apis=("sendgrid",)).runtimes["sendgrid"]
    assert runtime.backend.catalog.fulls.done
    assert verified.known_valid(verified.digest(runtime.spec, runtime.backend.prebuilt()))
    assert "checker" not in vars(runtime)  # the validator (a cached property) never built
