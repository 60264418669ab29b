"""The interface between the engine and a vendor package, in one module.

The engine routes, decodes and validates from the spec; a vendor supplies its error dialect,
its authorization rule and the behaviour of its operations over a dataset built once per data
version (a :class:`Backend`). Everything the engine may ask of a vendor is a member here, with
its default: nothing is discovered with ``getattr``.
"""

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
    """One decoded request, as a behaviour sees it (``headers``: the request's, lower-cased
    names, first value of each; ``body``: the JSON body decoded and valid by the operation's
    request schema, ``None`` when it declares none or none was sent)."""

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
    """What every vendor's ``build`` receives: settings, and the collaborators of request time.

    ``extra`` carries the vendor-specific CLI options; ``windows`` (the rate-limit window
    store, ``state.windows``: shared when the state is) and ``clock`` are where rate-limit
    counts live and the time they count in (a fixed clock in tests); ``writes`` is the write log
    requests append to and the mock clock (``state.writes``: shared when the state is).
    """

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
    """One data version of a vendor: built once, then only read by requests.

    A backend holds data only (and caches derived from it); what requests change lives in
    ``mockserver.state``, so going back to a data version is swapping its backend back in.
    ``handlers`` must answer exactly the vendor's ``operations`` (checked at every build).
    A vendor's backend overrides the hooks it has a use for.
    """

    handlers: Mapping[str, Handler]

    def authorize(self, operation: Operation, credential: str) -> Reply | None:
        """An error reply if ``credential`` is refused for ``operation``, else ``None``."""
        return None

    def inventory(self) -> Mapping[str, Sequence[str]]:
        """The ids of each collection in service, for the console's index page. An entry is an
        id, optionally followed by a space and a label (a created segment's name); a collection
        named ``created ...`` holds what the API's writes made."""
        return {}

    def describe(self) -> str:
        """What this data version holds, in one line, for the start-up banner ("": nothing)."""
        return ""

    def prebuilt(self) -> Iterable[tuple[str, Reply]]:
        """``(operationId, reply)`` of every answer serialized at build time: the engine
        validates them against the spec once per data version, not per request."""
        return ()

    def check_later(self, check: Callable[[Iterable[tuple[str, Reply]]], None]) -> None:
        """Answers serialized after the build, when a request first needs them, go to
        ``check`` before any is served: it raises ConformanceError on a violation of the spec
        (the request answers 500). The engine calls this once per data version."""

    def memoizable(self, operation_id: str, params: Mapping[str, Any]) -> bool:
        """``True``: the answer to these decoded parameters (and body) depends on nothing else (no
        credential, clock or counter) while this data version serves, and ``authorize`` judges
        the call by its credential alone (counting nothing); the engine may then answer a repeat
        of the request, same credential included, from its memo without calling ``authorize``
        or the handler."""
        return False

    def reads_writes(self, operation_id: str) -> bool:
        """``True``: the handler of ``operation_id`` syncs the write log (``VendorOptions.writes``)
        to see every write acknowledged before the request arrived, through any process. With a
        shared log the engine settles it first (``Ledger.settle``: one read for the requests of
        a loop turn) and runs the handler under ``Ledger.answering``. Asked once per operation,
        of the start-up data version."""
        return False

    def memo_epoch(self) -> Hashable:
        """The period memoizable answers hold for, when they also follow a clock: the engine
        drops its memo when the epoch changes. ``None``: the whole data version."""
        return None

    def answer_headers(self, call: Call, status: int) -> Sequence[tuple[str, str]]:
        """Values of the headers this backend's model governs (SendGrid: rate limits) for an
        answer of ``status`` to ``call``, so a forced answer carries them instead of generated
        ones. Empty: the backend governs no header."""
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
    """How a client of the API identifies itself, for tools that call it (contract, console).

    ``env`` names the variable a contract run reads it from, ``header`` carries it as
    ``template.format(value)``; ``sample`` is a full header value the bundled mock accepts.
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
