"""Templated paths give their parameters by name, whatever the names (named regex groups when
the names are identifiers, paired with plain groups otherwise)."""

from __future__ import annotations

import pytest

from mockserver.routing.table import PathTable


@pytest.mark.parametrize("name", ["segment_id", "segment-id", "2nd"])
def test_a_templated_path_gives_its_parameters_by_name(name):
    table = PathTable({"/lists": "all", f"/lists/{{{name}}}/contacts/{{id}}": "one"})
    assert table.match("/lists/a1/contacts/b2") == ("one", {name: "a1", "id": "b2"})
    assert table.match("/lists") == ("all", {})
    assert table.match("/lists/a1/contacts/b2/c") is None
