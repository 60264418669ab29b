"""Settings of a running mock, described as data (the CLI and the pytest plugin fill it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4010
DEFAULT_SEED = 0


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
