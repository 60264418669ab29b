"""Settings of a running mock, described as data (the CLI and the pytest plugin fill it)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4010
DEFAULT_SEED = 0
#: Carry the config (JSON) and log level to the worker processes of ``serve --workers N``.
CONFIG_ENV = "MOCKSERVER_CONFIG"
LOG_LEVEL_ENV = "MOCKSERVER_LOG_LEVEL"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class ServeConfig:
    apis: tuple[str, ...] = ("actionhub", "sendgrid")
    seed: int = DEFAULT_SEED
    fixtures_dir: Path | None = None
    specs_dir: Path | None = None
    validate_responses: bool = False
    #: Vendor-specific options, by API name (e.g. ``{"actionhub": {"users": 1000}}``).
    vendor_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Control plane (``/__mockserver``): on by default, loopback-only unless a token is set.
    control: bool = True
    control_token: str | None = None
    #: CORS allowed origins; ``("*",)`` allows any, ``()`` turns CORS off.
    cors_origins: tuple[str, ...] = ("*",)
    #: Faults on every operation: latency range in ms and the fraction answered 500/503.
    latency_ms: tuple[float, float] | None = None
    error_rate: float = 0.0
    journal_size: int = 1000


def config_to_json(config: ServeConfig) -> str:
    """The config as JSON: how ``serve --workers`` hands it to its worker processes."""
    return json.dumps(dataclasses.asdict(config), default=str)


def config_from_json(text: str) -> ServeConfig:
    """Inverse of :func:`config_to_json`: tuples and paths get their types back."""
    data = json.loads(text)
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(ServeConfig):
        if spec.name not in data:
            continue
        value = data[spec.name]
        if value is not None and str(spec.type).startswith("tuple"):
            value = tuple(value)
        elif value is not None and str(spec.type).startswith("Path"):
            value = Path(value)
        values[spec.name] = value
    return ServeConfig(**values)
