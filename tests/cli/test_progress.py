"""Progress of long work: silent under the threshold, log lines or a bar past it, one closing
line with the figures. Driven by a small threshold, not by a slow build."""

from __future__ import annotations

import logging

import httpx
import pytest

from mockserver import progress
from mockserver.progress import Reporter
from mockserver.resources import bundled_dir
from mockserver.state.ledger import Ledger, MemoryWriteLog
from mockserver.state.memory import MemoryWindows
from mockserver.vendors import vendor
from mockserver.vendors.interface import VendorOptions
from tests.harness import live_server


@pytest.fixture()
def lines(caplog):
    caplog.set_level(logging.INFO, logger="mockserver.progress")

    def read() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "mockserver.progress"]

    return read


def build(api: str, reporter: Reporter, **extra):
    options = VendorOptions(
        windows=MemoryWindows(),
        writes=Ledger(MemoryWriteLog()),
        fixtures_dir=bundled_dir("fixtures"),
        progress=reporter,
        extra=extra,
    )
    return vendor(api).build(options)


def test_a_world_under_the_threshold_says_nothing(lines):
    build("sendgrid", Reporter())  # 2,000 contacts: far below a second
    assert lines() == []


def test_a_sendgrid_world_over_the_threshold_starts_and_ends_with_its_figures(lines):
    build("sendgrid", Reporter(threshold=0.001, interval=0), contacts=3000)
    said = lines()
    assert said[0] == "SendGrid world: building (this takes a while)"
    assert said[-1].startswith("SendGrid world: 3,000 contacts, 25 segments, 10 lists built in ")
    assert said[-1].endswith(" s")


def test_a_generated_actionhub_program_reports_on_its_first_request(lines):
    backend = build("actionhub", Reporter(threshold=0.001, interval=0), users=3000)
    before = len(lines())
    backend.programs.get("acme")
    said = lines()[before:]
    assert said[0] == "ActionHub program 'acme': building (this takes a while)"
    assert said[-1].startswith(
        "ActionHub program 'acme': 3,000 users, 219 assets, 20 recommendations per user built in "
    )
    backend.programs.get("acme")  # built once: the second request is silent
    assert len(lines()) == before + len(said)


def test_log_lines_say_how_far_the_work_is(lines):
    task = Reporter(threshold=0, interval=0).task("Big job", 5)
    task.step(0.42, "counting")
    task.report()
    assert lines()[-1].startswith("Big job: 42% (counting), ")
    consumed = list(task.through(range(progress.CHUNK * 2), progress.CHUNK * 2, 0.5, 1.0))
    assert len(consumed) == progress.CHUNK * 2 and task.done == 1.0


class FakeDisplay:
    """rich's ``Progress`` API, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def add_task(self, description: str, total: float) -> int:
        self.calls.append(("add", description, total))
        return 1

    def start(self) -> None:
        self.calls.append(("start",))

    def update(self, bar: int, completed: float, description: str) -> None:
        self.calls.append(("update", round(completed), description))

    def stop(self) -> None:
        self.calls.append(("stop",))


def test_on_a_terminal_a_bar_moves_then_the_figures_are_logged(lines):
    display = FakeDisplay()
    reporter = Reporter(threshold=0.001, live=True, display=lambda: display)
    build("sendgrid", reporter, contacts=3000)
    kinds = [call[0] for call in display.calls]
    assert kinds[:2] == ["add", "start"] and kinds[-1] == "stop"
    updates = [call[1] for call in display.calls if call[0] == "update"]
    assert updates == sorted(updates) and updates[-1] >= 95
    assert ("update", 75, "SendGrid world: running segment queries") in display.calls
    assert lines()[-1].startswith("SendGrid world: 3,000 contacts")
    # the bar is free again: the next long task gets one too
    again = FakeDisplay()
    Reporter(threshold=0, live=True, display=lambda: again).task("next", 1).finish("done")
    assert again.calls[-1] == ("stop",)


def test_without_rich_a_terminal_gets_log_lines(lines):
    task = Reporter(threshold=0, live=True, interval=0, display=lambda: None).task("Job", 1)
    task.finish("3 things")
    assert lines()[0] == "Job: building (this takes a while)"
    assert lines()[-1].startswith("Job: 3 things built in ")


def test_a_data_load_through_the_control_plane_reports_parse_and_build(lines, monkeypatch):
    monkeypatch.setattr(progress.REPORTER, "threshold", 0.0)
    monkeypatch.setattr(progress.REPORTER, "interval", 0.0)
    world = (bundled_dir("fixtures") / "sendgrid" / "world.yaml").read_bytes()
    with live_server(apis=("sendgrid",)) as live:
        loaded = httpx.put(
            live.url + "/__mockserver/data/sendgrid",
            content=world,
            headers={"content-type": "application/yaml"},
            timeout=60,
        )
    assert loaded.status_code == 200, loaded.text
    said = lines()
    assert any(line.startswith(f"sendgrid data load: {len(world):,} bytes of YAML parsed in ")
               for line in said), said  # fmt: skip
    assert any(line.startswith("SendGrid world: 2,000 contacts") for line in said), said


def test_a_cassette_load_reports_what_it_checked(lines, monkeypatch, tmp_path):
    from tests.cli.test_banner import recorded_cassette

    monkeypatch.setattr(progress.REPORTER, "threshold", 0.0)
    monkeypatch.setattr(progress.REPORTER, "interval", 0.0)
    cassette = recorded_cassette(tmp_path, copies=3)
    with live_server(apis=("actionhub",)) as live:
        loaded = httpx.put(
            live.url + "/__mockserver/cassettes",
            content=cassette.read_bytes(),
            headers={"content-type": "application/x-ndjson"},
        )
    assert loaded.status_code == 200, loaded.text
    assert lines()[-1].startswith("cassette load: 3 exchanges checked in ")


def test_the_store_a_first_v2_query_waits_for_reports_too(lines):
    from mockserver.vendors.sendgrid.population import query_store

    catalog = build("sendgrid", Reporter(), contacts=3000).catalog
    reporter = Reporter(threshold=0.001, interval=0)
    query_store(catalog.spec, catalog.seed, catalog.contacts, reporter).close()
    assert lines()[-1].startswith("SendGrid query store: 3,000 contacts and their events stored ")
