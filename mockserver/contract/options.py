"""One ``mockserver contract`` run described as data (``cli.flags`` fills it from flags)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mockserver.resources import bundled_dir
from mockserver.vendors import vendor

#: Schemathesis test phases, in the order they run.
PHASES = ("examples", "coverage", "fuzzing", "stateful")

#: Every check that applies to these APIs (each operation has a security scheme).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
)

#: Methods the ``unsupported_method`` check probes spec paths with: every method against the
#: bundled mock; against a real deployment only one without side effects (RFC 9110 9.2.1).
MOCK_PROBE_METHODS = ("delete", "options", "patch", "post", "put", "query", "trace")
SAFE_PROBE_METHODS = ("trace",)

REPORT_FORMATS = ("junit",)
DEFAULT_MAX_EXAMPLES = 100
#: Seconds one request may take in total (connect, send, headers and body), and a whole run.
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_MAX_TIME = 1800


def spec_path(api: str) -> Path:
    """The bundled spec that is ``api``'s contract."""
    return bundled_dir("specs") / vendor(api).spec_file


@dataclass(frozen=True)
class ReportTarget:
    format: str
    path: Path


@dataclass(frozen=True)
class ContractOptions:
    api: str
    base_url: str | None = None
    #: ``-H`` headers in the order given: (name, value).
    headers: tuple[tuple[str, str], ...] = ()
    max_examples: int = DEFAULT_MAX_EXAMPLES
    phases: tuple[str, ...] = PHASES
    checks: tuple[str, ...] = CHECKS
    reports: tuple[ReportTarget, ...] = ()
    #: ``None`` means the default: the vendor's pace against a real deployment, none for the mock.
    rate_limit: str | None = None
    dry_run: bool = False
    seed: int | None = None
    workers: int = 1
    #: Fail additive response changes too (a real deployment is otherwise judged like a
    #: consumer would: an undeclared property or enum value is a warning).
    strict: bool = False
    #: Bounds (``mockserver.contract.bounds``): a total per request, and per run.
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_time: int = DEFAULT_MAX_TIME
    #: Against ``--base-url``: run write operations too (``contract/writes.py``).
    allow_writes: bool = False

    @property
    def bundled(self) -> bool:
        """No ``--base-url``: the run checks the bundled mock on a loopback port."""
        return self.base_url is None

    @property
    def effective_rate_limit(self) -> str | None:
        if self.rate_limit == "off":
            return None
        if self.rate_limit is not None:
            return self.rate_limit
        # against a real deployment, the vendor's own pace (well inside its limits)
        return None if self.bundled else vendor(self.api).contract_pace

    @property
    def probe_methods(self) -> tuple[str, ...]:
        return MOCK_PROBE_METHODS if self.bundled else SAFE_PROBE_METHODS
