"""No credential appears unmasked in what the proxy writes: journal, log, cassette (grep)."""

from __future__ import annotations

import logging

import httpx

from tests.reality.conftest import running_proxy
from tests.reality.drift_app import SEGMENTS

KEY = "SG." + "q" * 22 + "." + "w" * 43
QUERY_SECRET = "querysecret-0123456789"
COOKIE_SECRET = "cookiesecret-0123456789"
#: Any of these in a file or a log line is a leak (a cut-off key included).
LEAKS = (KEY, KEY[3:25], KEY[-20:], QUERY_SECRET, COOKIE_SECRET)


def test_no_credential_in_journal_log_or_cassette(live_drifting, segments, tmp_path, caplog):
    cassette = tmp_path / "session.jsonl"
    headers = {"Authorization": f"Bearer {KEY}", "Cookie": f"session={COOKIE_SECRET}"}
    targets = [
        SEGMENTS,
        f"{SEGMENTS}?api_key={QUERY_SECRET}&no_parent_list_id=true",
        f"{SEGMENTS}/{segments.echo}",  # the key echoed in a violating field
        f"{SEGMENTS}/{segments.named}",  # the key echoed in a conforming field: recorded
        f"{SEGMENTS}/{segments.plain}?token={QUERY_SECRET}",
    ]
    with (
        caplog.at_level(logging.DEBUG),
        running_proxy("sendgrid", live_drifting.url, record=cassette) as proxy,
    ):
        answers = [httpx.get(proxy.url + target, headers=headers) for target in targets]
        journal = httpx.get(proxy.url + "/__mockserver/requests").text
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 200]
    assert KEY in answers[3].json()["name"]  # the client gets the upstream's answer, unchanged
    assert answers[2].headers["x-mockserver-violation"] == (
        'body /contacts_count: "***" is not of type "integer"'
    )
    # the proxy's log (the test's own client logs its URLs, secrets and all, under httpx)
    log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mockserver"))
    written = cassette.read_text()
    assert written.count("\n") == 4  # every exchange but the violating one
    assert "Bearer SG.***" in journal and "Bearer SG.***" in written
    assert '\\"name\\":\\"***\\"' in written
    assert "api_key=***" in journal and "api_key=***" in log and "api_key=***" in written
    assert "session=***" not in written  # cookies are not kept in a cassette at all
    for where, text in (("journal", journal), ("log", log), ("cassette", written)):
        for leak in LEAKS:
            assert leak not in text, f"{where} leaks {leak!r}"
