"""The benchmark workload, driven by the specs: one valid example request per operation.

Every operation of every served API is benchmarked; the only hand-written part is
``EXAMPLES`` (query/path values per operationId) and ``HEADER_VALUES`` (required
header parameters). A value may be a :class:`Ref` to a field of another operation's
answer (an id that exists in the seeded world), resolved against the running mock.
Shared by bench/load.py, bench/soak.py and bench/memory.py.
"""

from __future__ import annotations

import itertools
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.spec.model import Operation
from mockserver.vendors import REGISTRY, vendor

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
KEY = "SG." + "a" * 22 + "." + "b" * 43
#: Credential per security scheme type/scheme.
CREDENTIALS = {("http", "bearer"): ("Authorization", f"Bearer {KEY}")}
#: Values of required header parameters, by name.
HEADER_VALUES = {"program-id": "demo"}
FALLBACK_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Ref:
    """A value taken from another operation's JSON answer: ``(operationId, key path)``."""

    operation_id: str
    keys: tuple[str | int, ...]
    fallback: str


@dataclass(frozen=True)
class Example:
    """A valid request of one operation; ``vary`` lists alternative values for the soak mix."""

    query: dict[str, str | Ref] = field(default_factory=dict)
    path: dict[str, str | Ref] = field(default_factory=dict)
    vary: dict[str, tuple[str, ...]] = field(default_factory=dict)


_WEIGHTS = ("0.5", "0.6", "0.7", "0.8", "0.9")
EXAMPLES: dict[str, Example] = {
    "get_segment_segment_get": Example(
        query={
            "labels": Ref("get_segments_segments_get", ("items", 0, "segment_basis_id"), "col-x")
        },
        vary={"min_weight": _WEIGHTS, "segment_type": ("growth", "base", "discovery")},
    ),
    "get_segments_segments_get": Example(
        query={"segment_basis": "labels", "size": "50"},
        vary={"page": tuple(map(str, range(1, 21))), "segment_basis": ("labels", "assets")},
    ),
    "ListSegment": Example(vary={"no_parent_list_id": ("false", "true")}),
    "GetSegment": Example(
        path={"segment_id": Ref("ListSegment", ("results", 0, "id"), FALLBACK_UUID)},
        vary={"query_json": ("false", "true")},
    ),
    "ListSegmentsV2": Example(vary={"no_parent_list_id": ("false", "true")}),
    "GetSegmentV2": Example(
        path={"segment_id": Ref("ListSegmentsV2", ("results", 0, "id"), FALLBACK_UUID)},
        vary={"contacts_sample": ("true", "false")},
    ),
    "ListLists": Example(vary={"page_size": ("100", "2")}),
    "GetList": Example(
        path={"id": Ref("ListLists", ("result", 0, "id"), FALLBACK_UUID)},
        vary={"contact_sample": ("false", "true")},
    ),
    "GetListContactCount": Example(
        path={"id": Ref("ListLists", ("result", 0, "id"), FALLBACK_UUID)}
    ),
    "GetContact": Example(path={"id": Ref("ListContacts", ("result", 0, "id"), FALLBACK_UUID)}),
}
#: Reads no fresh mock can answer 200 (their resource only exists after a write): left out of
#: the workload, whose every request must answer 200 (wrk, the soak, the baseline's bytes).
NOT_IN_WORKLOAD = {"GetImportStatus": "a contact import job exists only after a PUT"}


@dataclass(frozen=True)
class BenchRequest:
    """One concrete GET: what wrk sends and what the baseline must serve."""

    name: str
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


def operations() -> list[Operation]:
    """Every read (GET) of every registered API, in spec order: the workload is GETs (wrk, the
    baseline's prebuilt answers); writes have their own bench (bench/sendgrid_v2.py)."""
    found = []
    for api in REGISTRY:
        spec = load_spec(api, bundled_dir("specs") / vendor(api).spec_file)
        found += [
            op
            for op in spec.operations
            if op.method == "GET" and op.operation_id not in NOT_IN_WORKLOAD
        ]
    return found


def _headers(operation: Operation, schemes: dict) -> tuple[tuple[str, str], ...]:
    headers = []
    for param in operation.parameters:
        if param.location == "header" and param.required:
            headers.append((param.name, HEADER_VALUES[param.name]))
    for requirement in operation.security[:1]:
        for name in requirement:
            scheme = schemes[name]
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                headers.append((scheme["name"], KEY))
            else:
                headers.append(CREDENTIALS[(scheme["type"], scheme.get("scheme", "").lower())])
    return tuple(headers)


def _schemes() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for api in REGISTRY:
        found |= load_spec(api, bundled_dir("specs") / vendor(api).spec_file).security_schemes
    return found


class Workload:
    """The example request of every operation, refs resolved against a running mock."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.ops = {op.operation_id: op for op in operations()}
        self.schemes = _schemes()
        missing = [op for op in self.ops if op not in EXAMPLES]
        for op in missing:
            if any(p.location == "path" for p in self.ops[op].parameters):
                raise SystemExit(f"bench/workload.py: add an example for {op} (path parameters)")
        self._answers: dict[str, object] = {}

    def _resolve(self, value: str | Ref) -> str:
        if isinstance(value, str):
            return value
        try:
            found = self._answer(value.operation_id)
            for key in value.keys:
                found = found[key]  # type: ignore[index]
            return str(found)
        except (LookupError, TypeError, ValueError):
            print(f"workload: no {value.keys} in {value.operation_id}'s answer", file=sys.stderr)
            return value.fallback

    def _answer(self, operation_id: str) -> object:
        if operation_id not in self._answers:
            request = self.request(operation_id)
            with httpx.Client(base_url=self.base_url, timeout=10) as http:
                reply = http.get(request.target, headers=dict(request.headers))
            self._answers[operation_id] = reply.json()
        return self._answers[operation_id]

    def request(self, operation_id: str, overrides: dict[str, str] | None = None) -> BenchRequest:
        op = self.ops[operation_id]
        example = EXAMPLES.get(operation_id, Example())
        path = op.path
        for name, value in example.path.items():
            path = path.replace("{" + name + "}", self._resolve(value))
        query = {name: self._resolve(value) for name, value in example.query.items()}
        query |= overrides or {}
        return BenchRequest(
            operation_id, op.method, path, urlencode(query), _headers(op, self.schemes)
        )

    def requests(self) -> list[BenchRequest]:
        return [self.request(op) for op in self.ops]

    def mix(self, per_operation: int = 200) -> list[BenchRequest]:
        """A deterministic mixed workload: every operation with its ``vary`` combinations."""
        per_op: list[list[BenchRequest]] = []
        for op in self.ops:
            vary = EXAMPLES.get(op, Example()).vary
            combos = [
                dict(zip(vary, values, strict=True)) for values in itertools.product(*vary.values())
            ]
            per_op.append([self.request(op, combo) for combo in combos[:per_operation]])
        return [r for group in itertools.zip_longest(*per_op) for r in group if r is not None]


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A server subprocess on a loopback port."""

    name: str
    argv: Sequence[str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe: BenchRequest | None = None, timeout: float = 30) -> Server:
        self.spawn()
        self.wait_ready(probe, timeout)
        return self

    def spawn(self) -> None:
        """Start the process without waiting: several servers can then boot side by side."""
        self.process = subprocess.Popen([*self.argv, "--port", str(self.port)], cwd=ROOT)

    def wait_ready(self, probe: BenchRequest | None = None, timeout: float = 30) -> int:
        """Poll until the server answers ``probe`` (any status); returns that status."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5) as http:
            while True:
                if self.process.poll() is not None:
                    raise SystemExit(f"{self.name} exited with {self.process.returncode}")
                try:
                    target = probe.target if probe else "/"
                    reply = http.get(target, headers=dict(probe.headers) if probe else {})
                    return reply.status_code
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)  # polling for readiness of another process

    def stop(self) -> int | None:
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def rss_mb(self) -> float:
        """Resident memory of the server and all its child processes (workers), in MB."""
        assert self.process is not None
        return sum(rss_kb(pid) for pid in process_tree(self.process.pid)) / 1024

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def process_tree(pid: int) -> Iterator[int]:
    yield pid
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            yield from process_tree(int(child))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def mock_argv(*extra: str) -> list[str]:
    return [sys.executable, "-m", "mockserver", "serve", "--log-level", "warning", *extra]


def save(name: str, text: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(text, encoding="utf-8")
    return path


def dump_json(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True)
