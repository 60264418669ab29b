"""Everything the engine and a vendor package say to each other: each member has its default
here, so nothing is discovered with ``getattr``."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from mockserver.params.errors import ParamError
from mockserver.params.grammar import Grammar
from mockserver.progress import REPORTER, Reporter
from mockserver.spec.model import Operation
from mockserver.state.base import WindowStore
from mockserver.state.ledger import Ledger


class Reply(NamedTuple):
    """A response, fully serialized: the request path only ever sends bytes. A named tuple,
    not a frozen dataclass: one is made per request, and a frozen dataclass costs 3x as much."""

    status: int
    body: bytes = b""
    media_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()

    #: The ASGI header list, when built ahead (``serialize.reply.prepared``); not a field.
    wire = None

    def with_headers(self, *headers: tuple[str, str]) -> Reply:
        return Reply(self.status, self.body, self.media_type, (*self.headers, *headers))


class Call(NamedTuple):
    """One decoded request (``headers``: lower-cased names, first value of each; ``body``: the
    valid JSON body, ``None`` when the operation declares none or none was sent)."""

    operation: Operation
    params: Mapping[str, Any]
    headers: Mapping[str, str]
    credential: str | None = None
    body: Any = None


Handler = Callable[[Call], Reply]


class ErrorDialect(Protocol):
    """How an API words its errors. Every error the API emits goes through its dialect."""

    def invalid_parameters(self, operation: Operation, errors: Sequence[ParamError]) -> Reply: ...

    def not_found(self) -> Reply: ...

    def method_not_allowed(self, allowed: Sequence[str]) -> Reply: ...

    def error(self, status: int, message: str, field: str | None = None) -> Reply: ...

    # No credential of the kind the operation's security scheme asks for.
    def unauthenticated(self) -> Reply: ...


@dataclass(frozen=True, kw_only=True)
class VendorOptions:
    """What every vendor's ``build`` receives: settings (``extra``: the vendor's CLI options)
    and the collaborators of request time, shared when the state is (``windows``: rate-limit
    counts, in ``clock``'s time; ``writes``: the write log and the mock clock)."""

    windows: WindowStore
    writes: Ledger
    seed: int = 0
    fixtures_dir: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    #: The largest fixture file a vendor reads (``--max-load-bytes``); ``None``: no limit.
    max_file_bytes: int | None = None
    #: Where a long build reports its progress (default: the process's, set up by the CLI).
    progress: Reporter = field(default_factory=lambda: REPORTER)


class Backend:
    """One data version of a vendor, only read by requests: what they change lives in
    ``mockserver.state``, so going back to a data version is swapping its backend back in.
    ``handlers`` answer exactly the vendor's ``operations``; a subclass overrides the hooks it uses.
    """

    handlers: Mapping[str, Handler]

    def authorize(self, operation: Operation, credential: str) -> Reply | None:
        """An error reply if ``credential`` is refused for ``operation``, else ``None``."""
        return None

    def inventory(self) -> Mapping[str, Sequence[str]]:
        """The ids of each collection in service, for the console's index page (an entry: an id,
        then optionally a space and a label; ``created ...``: what the API's writes made)."""
        return {}

    def describe(self) -> str:
        """What this data version holds, in one line, for the start-up banner ("": nothing)."""
        return ""

    def prebuilt(self) -> Iterable[tuple[str, Reply]]:
        """``(operationId, reply)`` of every answer serialized at build time, validated once per
        data version, not per request."""
        return ()

    def check_later(self, check: Callable[[Iterable[tuple[str, Reply]]], None]) -> None:
        """Answers serialized after the build, when a request first needs them, go to
        ``check`` before any is served: it raises ConformanceError on a violation of the spec
        (the request answers 500). The engine calls this once per data version."""

    def memoizable(self, operation_id: str, params: Mapping[str, Any]) -> bool:
        """``True``: the answer depends on the decoded parameters (and body) alone while this data
        version serves, and ``authorize`` on the credential alone (counting nothing), so a
        repeat with the same credential may be answered from the engine's memo."""
        return False

    def reads_writes(self, operation_id: str) -> bool:
        """``True``: the handler reads the write log, so with a shared log the engine settles it
        first (``Ledger.settle``: one read per loop turn). Asked once per operation."""
        return False

    def memo_epoch(self) -> Hashable:
        """The memo is dropped when this changes (answers that follow a clock); ``None``: never."""
        return None

    def answer_headers(self, call: Call, status: int) -> Sequence[tuple[str, str]]:
        """The headers this backend's model governs (SendGrid: rate limits) for an answer of
        ``status`` to ``call``, so a forced answer carries them instead of generated ones."""
        return ()


@dataclass(frozen=True)
class CliOption:
    """A vendor-specific ``mockserver serve`` flag; its value lands in ``VendorOptions.extra``."""

    flag: str
    dest: str
    help: str
    type: Callable[[str], Any] = str
    default: Any = None
    action: str | None = None
    #: What to type, as ``--help`` shows it (``N``, ``N/min``); default: the flag's name.
    metavar: str | None = None


@dataclass(frozen=True)
class CredentialSource:
    """How a client identifies itself, for tools that call the API: read from ``env``, sent in
    ``header`` as ``template.format(value)``; ``sample``: a header value the bundled mock accepts.
    """

    env: str
    header: str
    template: str
    sample: str

    @property
    def sample_header(self) -> tuple[str, str]:
        return self.header, self.sample


class Vendor(Protocol):
    """One API's package: its spec, error dialect, scalar grammar, options and data."""

    name: str
    spec_file: str
    dialect: ErrorDialect
    grammar: Grammar
    cli_options: tuple[CliOption, ...]
    credential: CredentialSource
    #: Requests a contract run sends a real deployment at most (``"3/s"``), inside its limits.
    contract_pace: str
    #: The operationIds this vendor answers with behaviour; every other one answers generated
    #: data. Checked against the spec, and against each backend's ``handlers``, at build.
    operations: frozenset[str]

    def build(self, options: VendorOptions, data: Any | None = None) -> Backend:
        """Build the dataset: from ``data`` (a fixtures document) if given, else the fixtures."""
        ...
