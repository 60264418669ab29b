"""X-RateLimit-* headers on every answer; --rate-limit N answers 429 past N per minute."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockserver.config import ServeConfig
from mockserver.state.memory import MemoryWindows
from mockserver.testing import LiveServer
from mockserver.vendors.sendgrid.ratelimit import ADVERTISED_LIMIT, RateLimiter
from tests.harness import Clock, live_server
from tests.sendgrid.conftest import SEGMENTS, bearer, sg_key

HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def test_unlimited_advertises_an_untouched_budget(sg, catalog):
    for path in (SEGMENTS, f"{SEGMENTS}/{catalog.segments[0].id}"):
        response = sg.get(path)
        assert response.headers["x-ratelimit-limit"] == str(ADVERTISED_LIMIT)
        assert response.headers["x-ratelimit-remaining"] == str(ADVERTISED_LIMIT)
        assert int(response.headers["x-ratelimit-reset"]) % 60 == 0


def test_budget_counts_down_per_key_and_resets_with_the_window():
    clock = Clock(1_000_030.5)
    limiter = RateLimiter(3, MemoryWindows(), clock)
    for remaining in (2, 1, 0):
        assert limiter.refusal("k") is None
        assert dict(limiter.headers("k")) == {
            "X-RateLimit-Limit": "3",
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": "1000080",
        }
    refused = limiter.refusal("k")
    assert refused is not None and refused.status == 429
    assert dict(refused.headers)["X-RateLimit-Remaining"] == "0"
    assert limiter.refusal("other") is None
    clock.now = 1_000_080.0
    assert limiter.refusal("k") is None
    assert dict(limiter.headers("k"))["X-RateLimit-Remaining"] == "2"
    assert dict(limiter.headers("k"))["X-RateLimit-Reset"] == "1000140"


def test_cleared_windows_forget_the_counts():
    windows = MemoryWindows()
    limiter = RateLimiter(1, windows, Clock(0))
    assert limiter.refusal("k") is None and limiter.refusal("k") is not None
    windows.clear()
    assert limiter.refusal("k") is None


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        RateLimiter(0, MemoryWindows(), Clock(0))


@pytest.fixture(scope="module")
def live_limited() -> Iterator[LiveServer]:
    config = ServeConfig(
        apis=("sendgrid",), validate_responses=True, vendor_options={"sendgrid": {"rate_limit": 3}}
    )
    # A fixed clock: a minute boundary mid-test would otherwise reset the counts.
    with live_server(config, clock=Clock(1_700_000_000.0)) as server:
        yield server


def test_429_in_the_dialect_with_headers_past_the_limit(live_limited):
    key = bearer(sg_key("q"))
    with httpx.Client(base_url=live_limited.url, headers=key) as http:
        remaining = [http.get(SEGMENTS).headers["x-ratelimit-remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        refused = http.get(SEGMENTS)
        assert refused.status_code == 429
        assert refused.json() == {"errors": [{"field": None, "message": "too many requests"}]}
        assert [refused.headers[h] for h in HEADERS[:2]] == ["3", "0"]
        assert refused.headers["x-ratelimit-reset"] == "1700000040"
        assert http.get(f"{SEGMENTS}/00000000-0000-4000-8000-000000000000").status_code == 429
    other = httpx.get(live_limited.url + SEGMENTS, headers=bearer(sg_key("p")))
    assert other.status_code == 200 and other.headers["x-ratelimit-remaining"] == "2"


def test_refused_keys_are_not_counted(live_limited):
    for _ in range(5):
        assert httpx.get(live_limited.url + SEGMENTS, headers=bearer("bad")).status_code == 401
    assert httpx.get(live_limited.url + SEGMENTS).status_code == 401


FORCED = [
    ("Prefer", {"prefer": "code=429"}),
    ("Prefer, generated", {"prefer": "code=429, dynamic=true"}),
    ("Prefer, example", {"prefer": "code=429, example=default"}),
]


def forced_answers(server: LiveServer, key: str) -> Iterator[tuple[str, httpx.Response]]:
    """429s forced by ``Prefer`` (each way) and by a stored scenario, for ``key``."""
    with httpx.Client(base_url=server.url, headers=bearer(key), timeout=10) as http:
        for name, prefer in FORCED:
            yield name, http.get(SEGMENTS, headers=prefer)
        control = {"content-type": "application/json"}
        scenario = f"{server.url}/__mockserver/scenarios/sendgrid/ListSegment"
        httpx.put(scenario, json={"code": 429, "times": 1}, headers=control).raise_for_status()
        yield "scenario", http.get(SEGMENTS)


@pytest.mark.parametrize("limit", [None, 5])
def test_forced_429s_carry_the_rate_limit_models_headers(limit):
    """Not the schema generator's numbers: the limit in force, nothing remaining, a reset to
    come (backoff code computes its wait from it)."""
    now = 1_700_000_010.0
    options = {"sendgrid": {"rate_limit": limit}} if limit else {}
    config = ServeConfig(apis=("sendgrid",), validate_responses=True, vendor_options=options)
    with live_server(config, clock=Clock(now)) as server:
        for name, response in forced_answers(server, sg_key("f")):
            assert response.status_code == 429, name
            assert response.headers["x-ratelimit-limit"] == str(limit or ADVERTISED_LIMIT), name
            assert response.headers["x-ratelimit-remaining"] == "0", name
            assert int(response.headers["x-ratelimit-reset"]) == 1_700_000_040, name


def test_forced_200s_carry_the_models_current_values(live_limited):
    """A forced success counts like any request and says what is left of the window."""
    key = sg_key("g")
    with httpx.Client(base_url=live_limited.url, headers=bearer(key), timeout=10) as http:
        first = http.get(SEGMENTS, headers={"prefer": "code=200, dynamic=true"})
        second = http.get(SEGMENTS, headers={"prefer": "example=default"})
        # The behaviour answers 404, the preference overrules it with the spec's 200.
        unknown = f"{SEGMENTS}/00000000-0000-4000-8000-000000000000"
        third = http.get(unknown, headers={"prefer": "code=200"})
    for response, remaining in ((first, "2"), (second, "1"), (third, "0")):
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "3"
        assert response.headers["x-ratelimit-remaining"] == remaining
        assert response.headers["x-ratelimit-reset"] == "1700000040"
