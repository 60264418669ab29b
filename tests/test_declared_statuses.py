"""At least one request per declared status code of every operation, each through its real cause.

Statuses with no cause in a request (a crash, an outage) are asked for with Prism's ``Prefer``
header. The table must cover exactly what the specs declare: a status added to a spec without a
row here fails the first test.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockserver.config import ServeConfig
from mockserver.resources import bundled_dir
from mockserver.spec import load_spec
from mockserver.testing import LiveServer
from mockserver.vendors import REGISTRY, vendor

KEY = "SG." + "k" * 22 + "." + "K" * 43
SCOPED = "SG." + "s" * 22 + "." + "S" * 43  # may send mail, may not read marketing data
READER = "SG." + "r" * 22 + "." + "R" * 43  # may read marketing data, may not change it
THROTTLED = "SG." + "t" * 22 + "." + "T" * 43
AUTH = {"Authorization": f"Bearer {KEY}"}
PROGRAM = {"program-id": "demo"}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
SEGMENTS = "/v3/marketing/segments"
ONE = "/v3/marketing/segments/{id}"
MANY_LISTS = ",".join(f"00000000-0000-4000-8000-{n:012d}" for n in range(51))
V2 = "/v3/marketing/segments/2.0"
V2_ONE = V2 + "/{v2}"  # a v2 segment the module creates
REFRESH = V2 + "/refresh/{segment}"
FRESH = "{fresh}"  # a v2 segment created for this request alone (it is deleted or refreshed)
QUERY = "SELECT contact_id, updated_at FROM contact_data"
TOO_LARGE = {"name": "Too large", "query_dsl": QUERY + " " * 300_000}
NO_KEY = {"Authorization": "Bearer SG.not-a-key"}
READ_ONLY = {"Authorization": f"Bearer {READER}"}
MAIL_ONLY = {"Authorization": f"Bearer {SCOPED}"}
THROTTLE = {"Authorization": f"Bearer {THROTTLED}"}

#: The method and JSON body each operation that is not a GET sends; a row of CASES may give
#: another body as its third item. ``{name}`` in a body is a name no segment has yet.
WRITES: dict[str, tuple[str, Any]] = {
    "DeleteSegment": ("DELETE", None),
    "CreateSegmentV2": ("POST", {"name": "{name}", "query_dsl": QUERY}),
    "UpdateSegmentV2": ("PATCH", {"name": "{name}"}),
    "DeleteSegmentV2": ("DELETE", None),
    "RefreshSegmentV2": ("POST", {"user_time_zone": "America/Chicago"}),
}

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
    ("DeleteSegment", 202): (SEGMENTS + "/{last}", AUTH),
    ("DeleteSegment", 400): (f"{SEGMENTS}/not-a-uuid", AUTH),
    ("DeleteSegment", 401): (ONE, {}),
    ("DeleteSegment", 403): (ONE, READ_ONLY),
    ("DeleteSegment", 404): (f"{SEGMENTS}/{UNKNOWN_ID}", AUTH),
    ("DeleteSegment", 429): (f"{SEGMENTS}/{UNKNOWN_ID}", THROTTLE),
    ("DeleteSegment", 500): (ONE, {**AUTH, "Prefer": "code=500"}),
    ("DeleteSegment", 503): (ONE, {**AUTH, "Prefer": "code=503"}),
    ("CreateSegmentV2", 201): (V2, AUTH),
    ("CreateSegmentV2", 400): (V2, AUTH, {"name": "No query"}),
    ("CreateSegmentV2", 401): (V2, NO_KEY),
    ("CreateSegmentV2", 403): (V2, READ_ONLY),
    ("CreateSegmentV2", 404): (V2, {**AUTH, "Prefer": "code=404"}),
    ("CreateSegmentV2", 413): (V2, AUTH, TOO_LARGE),
    ("CreateSegmentV2", 429): (V2, THROTTLE),
    ("CreateSegmentV2", 500): (V2, {**AUTH, "Prefer": "code=500"}),
    ("CreateSegmentV2", 503): (V2, {**AUTH, "Prefer": "code=503"}),
    ("ListSegmentsV2", 200): (V2, AUTH),
    ("ListSegmentsV2", 400): (f"{V2}?parent_list_ids={MANY_LISTS}", AUTH),
    ("ListSegmentsV2", 401): (V2, NO_KEY),
    ("ListSegmentsV2", 403): (V2, MAIL_ONLY),
    ("ListSegmentsV2", 404): (V2, {**AUTH, "Prefer": "code=404"}),
    ("ListSegmentsV2", 429): (V2, THROTTLE),
    ("ListSegmentsV2", 500): (V2, {**AUTH, "Prefer": "code=500"}),
    ("ListSegmentsV2", 503): (V2, {**AUTH, "Prefer": "code=503"}),
    ("GetSegmentV2", 200): (V2_ONE, AUTH),
    ("GetSegmentV2", 400): (f"{V2}/not-a-uuid", AUTH),
    ("GetSegmentV2", 401): (V2_ONE, {}),
    ("GetSegmentV2", 403): (V2_ONE, MAIL_ONLY),
    ("GetSegmentV2", 404): (f"{V2}/{UNKNOWN_ID}", AUTH),
    ("GetSegmentV2", 429): (f"{V2}/{UNKNOWN_ID}", THROTTLE),
    ("GetSegmentV2", 500): (V2_ONE, {**AUTH, "Prefer": "code=500"}),
    ("GetSegmentV2", 503): (V2_ONE, {**AUTH, "Prefer": "code=503"}),
    ("UpdateSegmentV2", 200): (V2_ONE, AUTH),
    ("UpdateSegmentV2", 400): (V2_ONE, AUTH, {"name": ""}),
    ("UpdateSegmentV2", 401): (V2_ONE, NO_KEY),
    ("UpdateSegmentV2", 403): (V2_ONE, READ_ONLY),
    ("UpdateSegmentV2", 404): (f"{V2}/{UNKNOWN_ID}", AUTH),
    ("UpdateSegmentV2", 413): (V2_ONE, AUTH, TOO_LARGE),
    ("UpdateSegmentV2", 429): (f"{V2}/{UNKNOWN_ID}", THROTTLE),
    ("UpdateSegmentV2", 500): (V2_ONE, {**AUTH, "Prefer": "code=500"}),
    ("UpdateSegmentV2", 503): (V2_ONE, {**AUTH, "Prefer": "code=503"}),
    ("DeleteSegmentV2", 202): (f"{V2}/{FRESH}", AUTH),
    ("DeleteSegmentV2", 400): (f"{V2}/not-a-uuid", AUTH),
    ("DeleteSegmentV2", 401): (V2_ONE, NO_KEY),
    ("DeleteSegmentV2", 403): (V2_ONE, READ_ONLY),
    ("DeleteSegmentV2", 404): (f"{V2}/{UNKNOWN_ID}", AUTH),
    ("DeleteSegmentV2", 429): (f"{V2}/{UNKNOWN_ID}", THROTTLE),
    ("DeleteSegmentV2", 500): (V2_ONE, {**AUTH, "Prefer": "code=500"}),
    ("DeleteSegmentV2", 503): (V2_ONE, {**AUTH, "Prefer": "code=503"}),
    ("RefreshSegmentV2", 202): (REFRESH.format(segment=FRESH), AUTH),
    ("RefreshSegmentV2", 400): (
        REFRESH.format(segment="{v2}"),
        AUTH,
        {"user_time_zone": "Nowhere"},
    ),
    ("RefreshSegmentV2", 401): (REFRESH.format(segment="{v2}"), NO_KEY),
    ("RefreshSegmentV2", 403): (REFRESH.format(segment="{v2}"), READ_ONLY),
    ("RefreshSegmentV2", 404): (REFRESH.format(segment=UNKNOWN_ID), AUTH),
    ("RefreshSegmentV2", 413): (REFRESH.format(segment="{v2}"), AUTH, TOO_LARGE),
    ("RefreshSegmentV2", 429): (REFRESH.format(segment=UNKNOWN_ID), THROTTLE),
    ("RefreshSegmentV2", 500): (REFRESH.format(segment="{v2}"), {**AUTH, "Prefer": "code=500"}),
    ("RefreshSegmentV2", 503): (REFRESH.format(segment="{v2}"), {**AUTH, "Prefer": "code=503"}),
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
    keys = [KEY, f"{SCOPED}:mail.send", f"{READER}:marketing.read", THROTTLED]
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


NAMES = (f"Declared {n}" for n in itertools.count())


def create(http: httpx.Client) -> str:
    response = http.post(V2, headers=AUTH, json={"name": next(NAMES), "query_dsl": QUERY})
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture(scope="module")
def ids(servers: dict[str, httpx.Client]) -> dict[str, str]:
    """What ``{name}`` stands for in a path: v1 segments of the world, a v2 segment."""
    listed = servers["free"].get(SEGMENTS, headers=AUTH).json()["results"]
    return {"id": listed[0]["id"], "last": listed[-1]["id"], "v2": create(servers["free"])}


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    return value.format(**ids, name=next(NAMES)) if isinstance(value, str) else value


@pytest.mark.parametrize(("operation_id", "status"), sorted(CASES))
def test_each_declared_status_is_reachable(servers, ids, operation_id, status):
    path, headers, *body = CASES[operation_id, status]
    method, default_body = WRITES.get(operation_id, ("GET", None))
    http = servers["free"]
    if FRESH in path:
        path = path.replace(FRESH, create(http))
    path = fill(path, ids)
    body = fill(body[0] if body else default_body, ids)
    if status == 429:
        http = servers["limited"]
        for _ in range(RATE_LIMIT):  # spend the key's budget (shared by every operation)
            http.get(SEGMENTS, headers=headers)
    response = http.request(method, path, headers=headers, json=body)
    assert response.status_code == status, response.text
    assert response.headers.get("x-mockserver-violation") is None
