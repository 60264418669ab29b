"""Settings of a running mock, described as data (the CLI and the pytest plugin fill it)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver import limits
from mockserver.vendors import REGISTRY

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4010
DEFAULT_SEED = 0
#: Carries the config (JSON) to the worker processes of ``serve --workers N``.
CONFIG_ENV = "MOCKSERVER_CONFIG"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
#: ``--log-format``: lines for people, or one JSON object a line for log collectors.
LOG_FORMATS = ("text", "json")


def _optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def _json(convert: Callable[[Any], Any]) -> dict[str, Any]:
    """Field metadata: how a JSON value of this field becomes its Python value again."""
    return {"from_json": convert}


@dataclass(frozen=True)
class ServeConfig:
    #: Served APIs, by vendor name (default: every registered vendor).
    apis: tuple[str, ...] = field(default_factory=lambda: tuple(REGISTRY), metadata=_json(tuple))
    seed: int = DEFAULT_SEED
    fixtures_dir: Path | None = field(default=None, metadata=_json(_optional(Path)))
    specs_dir: Path | None = field(default=None, metadata=_json(_optional(Path)))
    validate_responses: bool = False
    #: Vendor-specific options, by API name (e.g. ``{"actionhub": {"users": 1000}}``).
    vendor_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Control plane (``/__mockserver``): on by default, loopback-only unless a token is set.
    control: bool = True
    control_token: str | None = None
    #: CORS allowed origins; ``("*",)`` allows any, ``()`` turns CORS off.
    cors_origins: tuple[str, ...] = field(default=("*",), metadata=_json(tuple))
    #: Faults on every operation: latency range in ms and the fraction answered 500/503.
    latency_ms: tuple[float, float] | None = field(default=None, metadata=_json(_optional(tuple)))
    error_rate: float = 0.0
    journal_size: int = 1000
    #: Shared state (``redis://HOST:PORT/DB``): every process and replica with the same URL and
    #: prefix is one mock. ``None``: this process's own state.
    state_url: str | None = None
    state_prefix: str = "mockserver"
    #: A query parameter an operation does not declare: a 400/422 in the API's dialect instead
    #: of the vendor's behaviour (ignored, with an ``x-mockserver-warning`` header).
    strict_params: bool = False
    #: Cassettes answered byte for byte before any behaviour (``serve --replay``, in order).
    replay: tuple[Path, ...] = field(default=(), metadata=_json(lambda v: tuple(map(Path, v))))
    # -- hardening: each bound is its flag's, declared (with what it bounds) in limits.TABLE ---
    max_load_bytes: int = limits.MAX_LOAD_BYTES
    load_timeout: float = limits.LOAD_TIMEOUT
    #: Browser origins allowed to call the control plane (``--control-origin``); none by default.
    control_origins: tuple[str, ...] = field(default=(), metadata=_json(tuple))
    #: Proxies (CIDRs) whose ``X-Forwarded-*`` headers are believed (``--trust-proxy``).
    trust_proxy: tuple[str, ...] = field(default=(), metadata=_json(tuple))
    max_header_bytes: int = limits.MAX_HEADER_BYTES
    journal_entry_bytes: int = limits.JOURNAL_ENTRY_BYTES
    timeout_keep_alive: float = limits.TIMEOUT_KEEP_ALIVE
    header_timeout: float = limits.HEADER_TIMEOUT
    #: ``None``: the descriptor limit less a reserve.
    max_connections: int | None = None
    #: The upstream ``mockserver proxy`` forwards to, as its console names it (a password
    #: masked); ``None`` for a mock.
    proxy_upstream: str | None = None


def config_to_json(config: ServeConfig) -> str:
    """The config as JSON: how ``serve --workers`` hands it to its worker processes."""
    return json.dumps(dataclasses.asdict(config), default=str)


def config_from_json(text: str) -> ServeConfig:
    """Inverse of :func:`config_to_json`: each field's ``from_json`` metadata restores its type."""
    data = json.loads(text)
    values = {
        spec.name: spec.metadata.get("from_json", lambda value: value)(data[spec.name])
        for spec in dataclasses.fields(ServeConfig)
        if spec.name in data
    }
    return ServeConfig(**values)
