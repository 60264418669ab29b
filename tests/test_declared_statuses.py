"""At least one request per declared status code of every operation, each through its real cause.

Statuses with no cause in a request (a crash, an outage) are asked for with Prism's ``Prefer``
header. The table must cover exactly what the specs declare: a status added to a spec without a
row here fails the first test.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.config import ServeConfig
from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.testing import LiveServer
from mockserver.vendors import REGISTRY, vendor

KEY = "SG." + "k" * 22 + "." + "K" * 43
SCOPED = "SG." + "s" * 22 + "." + "S" * 43  # may send mail, may not read marketing data
THROTTLED = "SG." + "t" * 22 + "." + "T" * 43
AUTH = {"Authorization": f"Bearer {KEY}"}
PROGRAM = {"program-id": "demo"}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
SEGMENTS = "/v3/marketing/segments"
ONE = "/v3/marketing/segments/{id}"
MANY_LISTS = ",".join(f"00000000-0000-4000-8000-{n:012d}" for n in range(51))

#: (operationId, status) -> (path, headers); ``{id}`` is an existing segment's id.
CASES: dict[tuple[str, int], tuple[str, dict[str, str]]] = {
    ("get_segment_segment_get", 200): ("/segment?labels=x", PROGRAM),
    ("get_segment_segment_get", 422): ("/segment?labels=x", {}),
    ("get_segment_segment_get", 500): ("/segment?labels=x", {**PROGRAM, "Prefer": "code=500"}),
    ("get_segment_segment_get", 503): ("/segment?labels=x", {**PROGRAM, "Prefer": "code=503"}),
    ("get_segments_segments_get", 200): ("/segments", PROGRAM),
    ("get_segments_segments_get", 422): ("/segments?page=0", PROGRAM),
    ("get_segments_segments_get", 500): ("/segments", {**PROGRAM, "Prefer": "code=500"}),
    ("get_segments_segments_get", 503): ("/segments", {**PROGRAM, "Prefer": "code=503"}),
    ("ListSegment", 200): (SEGMENTS, AUTH),
    ("ListSegment", 400): (f"{SEGMENTS}?parent_list_ids={MANY_LISTS}", AUTH),
    ("ListSegment", 401): (SEGMENTS, {"Authorization": "Bearer SG.not-a-key"}),
    ("ListSegment", 403): (SEGMENTS, {"Authorization": f"Bearer {SCOPED}"}),
    ("ListSegment", 404): (SEGMENTS, {**AUTH, "Prefer": "code=404"}),
    ("ListSegment", 429): (SEGMENTS, {"Authorization": f"Bearer {THROTTLED}"}),
    ("ListSegment", 500): (SEGMENTS, {**AUTH, "Prefer": "code=500"}),
    ("ListSegment", 503): (SEGMENTS, {**AUTH, "Prefer": "code=503"}),
    ("GetSegment", 200): (ONE, AUTH),
    ("GetSegment", 400): (f"{SEGMENTS}/not-a-uuid", AUTH),
    ("GetSegment", 401): (ONE, {}),
    ("GetSegment", 403): (ONE, {"Authorization": f"Bearer {SCOPED}"}),
    ("GetSegment", 404): (f"{SEGMENTS}/{UNKNOWN_ID}", AUTH),
    ("GetSegment", 429): (ONE, {"Authorization": f"Bearer {THROTTLED}"}),
    ("GetSegment", 500): (ONE, {**AUTH, "Prefer": "code=500"}),
    ("GetSegment", 503): (ONE, {**AUTH, "Prefer": "code=503"}),
}

#: The throttled key may send this many requests a minute; the suite sends one more.
RATE_LIMIT = 2


def declared() -> set[tuple[str, int]]:
    found = set()
    for api in REGISTRY:
        for op in load_spec(api, bundled_dir("specs") / vendor(api).spec_file).operations:
            found |= {(op.operation_id, int(code)) for code in op.responses if code.isdigit()}
    return found


def test_the_table_covers_every_declared_status():
    assert set(CASES) == declared()


def serve(**sendgrid_options: object) -> LiveServer:
    keys = [KEY, f"{SCOPED}:mail.send", THROTTLED]
    options = {"sendgrid": {"keys": keys, **sendgrid_options}}
    config = ServeConfig(validate_responses=True, vendor_options=options)
    # A fixed clock: a minute boundary between spending the budget and the 429 would reset it.
    return LiveServer(config, clock=lambda: 1_700_000_000.0)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, httpx.Client]]:
    """One server without a rate limit, and one whose every key may send RATE_LIMIT a minute."""
    with (
        serve() as free,
        serve(rate_limit=RATE_LIMIT) as limited,
        httpx.Client(base_url=free.url) as a,
        httpx.Client(base_url=limited.url) as b,
    ):
        yield {"free": a, "limited": b}


@pytest.fixture(scope="module")
def segment_id(servers: dict[str, httpx.Client]) -> str:
    return servers["free"].get(SEGMENTS, headers=AUTH).json()["results"][0]["id"]


@pytest.mark.parametrize(("operation_id", "status"), sorted(CASES))
def test_each_declared_status_is_reachable(servers, segment_id, operation_id, status):
    path, headers = CASES[operation_id, status]
    path = path.format(id=segment_id)
    http = servers["free"]
    if status == 429:
        http = servers["limited"]
        for _ in range(RATE_LIMIT):  # spend the key's budget (shared by both operations)
            http.get(path, headers=headers)
    response = http.get(path, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers.get("x-mockserver-violation") is None
