"""One ``mockserver proxy`` or ``mockserver verify`` run described as data (``cli.flags``
fills it from the command line)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mockserver.config import DEFAULT_HOST, DEFAULT_PORT
from mockserver.contract.options import ReportTarget

#: Seconds the upstream (proxy) or each side (verify) has for one answer.
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class ProxyOptions:
    api: str
    upstream: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    record: Path | None = None
    #: JSON properties (and query parameters) whose values a recording replaces with fakes.
    redact: tuple[str, ...] = ()
    #: Seed of those fakes: the same value gets the same fake in every run.
    seed: int = 0
    upstream_timeout: float = DEFAULT_TIMEOUT
    log_level: str = "info"
    control_token: str | None = None
    journal_size: int = 1000


@dataclass(frozen=True)
class VerifyOptions:
    api: str
    base_url: str
    #: A journal export (``GET /__mockserver/requests``, ``--mockserver-journal``) or a cassette.
    requests: Path | None = None
    #: A running mock's control URL (or its base URL) whose journal to take.
    from_journal: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    reports: tuple[ReportTarget, ...] = ()
    #: ``None``: the vendor's pace (as ``mockserver contract`` uses against a deployment).
    rate_limit: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    #: Send recorded writes (POST, PUT, PATCH, DELETE...) too; by default only GET and HEAD.
    allow_writes: bool = False
