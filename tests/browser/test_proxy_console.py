"""The console of ``mockserver proxy``: proxied requests with their violations, replayed ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from mockserver.testing import ThreadedServer
from tests.browser.conftest import Console, console_of, control_api
from tests.browser.test_console import send
from tests.conftest import AUTH
from tests.harness import live_asgi, mock_app
from tests.reality.conftest import running_proxy
from tests.reality.drift_app import SEGMENTS, DriftingApp, sendgrid_drifts

#: Slow (a real browser and three servers): left out of `make test-fast`, run by `make test`.
pytestmark = pytest.mark.slow


class RecordingProxy(NamedTuple):
    """A live proxy recording to ``cassette``; ``segment_ids`` of its drifting upstream."""

    proxy: ThreadedServer
    segment_ids: list[str]
    cassette: Path


@pytest.fixture(scope="module")
def live_recording_proxy(tmp_path_factory) -> Iterator[RecordingProxy]:
    """A SendGrid proxy recording to a cassette, in front of a deployment that drifts (seed 0,
    like the proxy's own plane, so the Data section's ids exist upstream): GetSegment of the
    first segment loses its required ``query_dsl``, the second echoes the key in a count."""
    upstream_app = mock_app(cors_origins=())
    ids = [str(i) for i in upstream_app.runtimes["sendgrid"].backend.inventory()["segments"]]
    drifting = DriftingApp(upstream_app, sendgrid_drifts(ids[0], ids[1], ids[2], ids[3]))
    cassette = tmp_path_factory.mktemp("console-cassette") / "sendgrid.jsonl"
    with (
        live_asgi(drifting) as upstream,
        running_proxy("sendgrid", upstream.url, record=cassette) as proxy,
    ):
        yield RecordingProxy(proxy, ids, cassette)


@pytest.fixture()
def proxy_page(browser, live_recording_proxy) -> Iterator[Console]:
    with console_of(browser, live_recording_proxy.proxy) as console:
        yield console


def journal_row(page: Console, needle: str, nth: int = 0) -> Any:
    """The ``nth`` newest journal row whose text holds ``needle``, once the page shows it."""
    return page.wait(
        lambda d: (
            (rows := [r for r in page.find_all("#entries > li") if needle in r.text])[nth:]
            and rows[nth]
        )
    )


def test_try_it_goes_through_the_proxy_and_the_journal_shows_its_violations(
    proxy_page, live_recording_proxy
):
    proxy, ids, _ = live_recording_proxy
    assert page_apis(proxy_page) == ["sendgrid"]  # the proxied API alone
    block = proxy_page.operation("sendgrid", "GetSegment")
    field = proxy_page.field(block, "segment_id")
    field.clear()
    field.send_keys(ids[0])
    status, body = send(proxy_page, block)
    assert status.startswith("200") and "query_dsl" not in body  # the upstream's drifted answer
    headers = proxy_page.find(".answer dl.headers", block).get_attribute("textContent")
    assert "x-mockserver-violation" in headers

    with httpx.Client(base_url=proxy.url, headers=AUTH) as client:  # another client, same proxy
        client.get(f"{SEGMENTS}/{ids[4]}")  # conforming
    plain = journal_row(proxy_page, ids[4])
    drifted = journal_row(proxy_page, ids[0])
    assert proxy_page.find(".source", drifted).text == "proxied"
    assert proxy_page.find(".source", plain).text == "proxied"
    violations = [v.text for v in proxy_page.find_all(".note.violation", drifted)]
    assert violations == ['spec violation in body: "query_dsl" is a required property']
    assert proxy_page.find_all(".note", plain) == []

    proxy_page.find("#journal-filter input[name=noted]").click()  # with warnings/violations only
    assert drifted.is_displayed() and not plain.is_displayed()
    entries = control_api(proxy, "GET", "requests")["requests"]
    assert [e["source"] for e in entries] == ["proxy", "proxy"]  # both went upstream


def test_an_answer_from_a_loaded_cassette_is_marked_replayed(proxy_page, live_recording_proxy):
    proxy, ids, cassette = live_recording_proxy
    block = proxy_page.operation("sendgrid", "GetSegment")
    field = proxy_page.field(block, "segment_id")
    field.clear()
    field.send_keys(ids[4])
    _, first = send(proxy_page, block)  # forwarded and, conforming, recorded
    loaded = httpx.put(
        f"{proxy.url}/__mockserver/cassettes",
        headers={"content-type": "application/x-ndjson"},
        content=cassette.read_bytes(),
    )
    assert loaded.status_code == 200, loaded.text
    assert send(proxy_page, block)[1] == first  # the recorded answer
    forwarded = journal_row(proxy_page, ids[4], 1)  # both rows shown: newest first
    replayed = journal_row(proxy_page, ids[4])
    assert proxy_page.find(".source", replayed).text == "replayed"
    assert proxy_page.find(".source", forwarded).text == "proxied"
    entries = control_api(proxy, "GET", "requests")["requests"]
    assert [e["source"] for e in entries] == ["proxy", "replay"]


def page_apis(page: Console) -> list[str]:
    return sorted({f.get_attribute("data-api") for f in page.find_all("form.try")})
