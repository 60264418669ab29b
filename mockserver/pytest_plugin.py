"""pytest plugin (``pytest11`` entry point): the session-scoped ``mockserver`` fixture, a live
mock for the tests of any project. It loads in every pytest run of a project that has
mockserver installed, so heavy imports wait until the fixture is used."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.config import ServeConfig
    from mockserver.control.actions import ControlTarget
    from mockserver.testing import LiveServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver", "mockserver fixture")
    group.addoption("--mockserver-seed", type=int, default=None, help="data seed of the mock")
    group.addoption("--mockserver-fixtures", default=None, help="fixtures directory of the mock")
    group.addoption(
        "--mockserver-journal",
        default=None,
        metavar="PATH",
        help="at the end of the session, write every request the mock answered (JSON, secrets "
        "masked) to PATH, for `mockserver verify --requests PATH`",
    )
    group.addoption(
        "--mockserver-banner",
        action="store_true",
        default=None,
        help="print what the mock serves (its operations, data, console URL) when it starts",
    )
    parser.addini(
        "mockserver_banner", "print the mock's start-up banner", type="bool", default=False
    )
    parser.addini("mockserver_seed", "data seed of the mockserver fixture", default="0")
    parser.addini("mockserver_fixtures", "fixtures directory (relative to the ini file)")
    parser.addini("mockserver_apis", "APIs to serve (default: all)", type="args", default=[])
    parser.addini(
        "mockserver_validate_responses",
        "validate every mock response against its spec",
        type="bool",
        default=False,
    )
    parser.addini(
        "mockserver_strict_params",
        "answer unknown query parameters 400/422 in the API's dialect (default: a warning)",
        type="bool",
        default=False,
    )


def config_from(pytest_config: pytest.Config) -> ServeConfig:
    """The mock's settings: command line first, then the ini file, then the defaults."""
    from mockserver.config import ServeConfig
    from mockserver.vendors import REGISTRY

    seed = pytest_config.getoption("mockserver_seed")
    if seed is None:
        raw = pytest_config.getini("mockserver_seed")
        try:
            seed = int(raw)
        except ValueError:
            raise pytest.UsageError(f"mockserver_seed must be an integer, got {raw!r}") from None
    fixtures = pytest_config.getoption("mockserver_fixtures")
    base = Path.cwd()
    if fixtures is None:
        fixtures = pytest_config.getini("mockserver_fixtures") or None
        base = pytest_config.inipath.parent if pytest_config.inipath else pytest_config.rootpath
    fixtures_dir = None
    if fixtures:
        fixtures_dir = (base / fixtures).resolve()
        if not fixtures_dir.is_dir():
            raise pytest.UsageError(f"mockserver fixtures directory not found: {fixtures_dir}")
    apis = tuple(pytest_config.getini("mockserver_apis")) or tuple(REGISTRY)
    unknown = [api for api in apis if api not in REGISTRY]
    if unknown:
        raise pytest.UsageError(f"mockserver_apis: unknown {unknown}; choose from {list(REGISTRY)}")
    return ServeConfig(
        apis=apis,
        seed=seed,
        fixtures_dir=fixtures_dir,
        validate_responses=pytest_config.getini("mockserver_validate_responses"),
        strict_params=pytest_config.getini("mockserver_strict_params"),
    )


class MockServerFixture:
    """What a test sees: the mock's URL, its journal, and the control actions - the HTTP control
    API's own functions, so both validate alike (refused input raises ``ControlError``)."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.url: str = live.url

    @property
    def config(self) -> ServeConfig:
        """The settings the mock runs with (seed, fixtures, APIs)."""
        return self.live.config

    @property
    def target(self) -> ControlTarget:
        return self.live.app.control

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal, oldest first: method, path, query, params, status, ms, masked headers,
        warnings (e.g. an unknown query parameter)."""
        return self.requests_to()

    @property
    def actions(self) -> Any:
        """``mockserver.control.actions``, imported once the fixture is used."""
        from mockserver.control import actions

        return actions

    def requests_to(self, path: str | None = None, method: str | None = None) -> list[dict]:
        """The journal filtered by path (``*`` wildcards) and method."""
        from mockserver.journal.record import Filter

        journal = self.actions.journal(self.target, Filter(path, method))
        return [entry.as_dict() for entry in journal]

    def reset(self) -> None:
        """Journal cleared, data back to the seed state, scenarios and faults cleared."""
        self.actions.reset(self.target)

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> dict[str, Any]:
        """Move the mock clock forward (a segment's hourly refresh comes without waiting an
        hour); returns the clock (``now``, ``frozen``, ``offset_seconds``)."""
        total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
        sign = "-" if total < 0 else ""
        return self.actions.set_clock(self.target, {"advance": f"{sign}PT{abs(total):.6f}S"})

    def set_now(self, when: str) -> dict[str, Any]:
        """Freeze the mock clock at ``when`` (ISO-8601 with an offset)."""
        return self.actions.set_clock(self.target, {"now": when})

    def load(self, api: str, data: Any) -> None:
        """Replace an API's data (a document, JSON/YAML text or a file path); invalid data
        raises ``ControlError`` and the data in service stays as it was."""
        if isinstance(data, Path):
            data = data.read_bytes()
        if isinstance(data, str | bytes):
            data = self.actions.parse_document(data.encode() if isinstance(data, str) else data)
        self.actions.load_data(self.target, api, data)

    def scenario(
        self,
        api: str,
        operation_id: str,
        *,
        code: int | None = None,
        example: str | None = None,
        dynamic: bool = False,
        times: int | None = None,
    ) -> None:
        """Force an operation's answer for the next ``times`` requests (``None``: until reset)."""
        body = {"code": code, "example": example, "dynamic": dynamic, "times": times}
        self.actions.set_scenario(self.target, api, operation_id, body)

    def fault(
        self,
        api: str | None = None,
        operation_id: str | None = None,
        *,
        latency: Any = None,
        error_rate: float | None = None,
    ) -> None:
        """Latency (``MS``, ``"MIN-MAX"``) and/or error rate, globally or for one operation."""
        body = {"latency": latency, "error_rate": error_rate}
        self.actions.set_fault(self.target, body, api, operation_id)


#: Requests ``--mockserver-journal`` keeps at most (the newest).
JOURNAL_FILE_LIMIT = 100_000
_JOURNAL_WRITTEN = pytest.StashKey[bool]()


def journal_path(pytest_config: pytest.Config) -> Path | None:
    chosen = pytest_config.getoption("mockserver_journal")
    return None if not chosen else pytest_config.invocation_params.dir / chosen


@pytest.fixture(scope="session")
def mockserver(pytestconfig: pytest.Config) -> Iterator[MockServerFixture]:
    """A live mock of every API on a free loopback port, shared by the whole session."""
    from mockserver.testing import LiveServer

    path = journal_path(pytestconfig)
    with LiveServer(config_from(pytestconfig)) as live:
        show_banner(pytestconfig, live)
        kept: deque[Any] = deque(maxlen=JOURNAL_FILE_LIMIT)
        if path is not None:
            live.app.recorder.taps.append(kept.append)
        yield MockServerFixture(live)
        if path is not None:
            from mockserver.reality.sources import write_journal

            write_journal(path, list(kept), live.app.control.masker)
            pytestconfig.stash[_JOURNAL_WRITTEN] = True


def show_banner(pytest_config: pytest.Config, live: LiveServer) -> None:
    """The start-up banner on the terminal, if asked for (``--mockserver-banner``)."""
    asked = pytest_config.getoption("mockserver_banner")
    if not (pytest_config.getini("mockserver_banner") if asked is None else asked):
        return
    from mockserver.banner import banner

    plugins = pytest_config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None:
        return
    text = banner(live.app.runtimes, live.app.control.replays, live.config, live.url)
    shown = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
    with shown:  # on the terminal, not in the output captured for the first test
        reporter.write_line("")
        for line in text.splitlines():
            reporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """``--mockserver-journal`` without a test using the fixture: an empty journal, so a CI
    step reading the file finds it."""
    path = journal_path(session.config)
    if path is not None and not session.config.stash.get(_JOURNAL_WRITTEN, False):
        from mockserver.journal.masking import Masker
        from mockserver.reality.sources import write_journal

        write_journal(path, [], Masker.for_specs([]))
