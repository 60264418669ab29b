"""Several ``mockserver serve`` processes (or one with workers) sharing one Redis, driven over
HTTP: fresh connections (so workers take turns), polls with deadlines, never sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import JSON, PROGRAM

#: Any wait for the replicas to agree ends here (propagation takes milliseconds).
DEADLINE = 30.0
SEGMENTS = "/segments"
SG_SEGMENTS = "/v3/marketing/segments"


def sendgrid_auth(tag: object) -> dict[str, str]:
    """A well-formed SendGrid key of its own: rate-limit windows count per key."""
    return {"Authorization": f"Bearer SG.{str(tag).ljust(22, 'a')[:22]}.{'b' * 43}"}


def wait_until(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"never: {what}"


@dataclass
class Mock:
    """The mock as its users see it: ``urls[0]`` and ``urls[1]`` reach different processes
    (or the same port of a multi-worker server); ``replicas`` processes serve it in all."""

    urls: list[str]
    replicas: int

    def call(self, which: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
        limits = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=self.urls[which], timeout=10, limits=limits) as http:
            return http.request(method, path, **kwargs)

    def control(self, which: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A control call; one that changes something says its body is JSON (as it must)."""
        if method != "GET":
            kwargs.setdefault("headers", JSON)
        return self.call(which, method, "/__mockserver" + path, **kwargs)

    def segments(self, which: int, **params: Any) -> httpx.Response:
        return self.call(
            which, "GET", SEGMENTS, params={"segment_basis": "labels", **params}, headers=PROGRAM
        )

    def health(self, which: int = 0) -> dict[str, Any]:
        return self.control(which, "GET", "/health").json()

    def all_replicas_at(self, api: str, version: int) -> bool:
        """Every replica reports ``version`` of ``api`` in force (health lists them all)."""
        replicas = self.health()["state"]["replicas"]
        versions = [entry["data_versions"][api] for entry in replicas.values()]
        return len(versions) == self.replicas and all(v == version for v in versions)

    def steadily(self, probe: Callable[[], bool], what: str) -> None:
        """``probe()`` holds for 3 x replicas fresh requests in a row (every worker has it)."""
        streak = 0

        def held() -> bool:
            nonlocal streak
            streak = streak + 1 if probe() else 0
            return streak >= 3 * self.replicas

        wait_until(held, what)

    def reset(self) -> None:
        assert self.control(1, "POST", "/reset").status_code == 200
        versions = self.health(1)["data_versions"]
        for api, version in versions.items():
            wait_until(lambda api=api, v=version: self.all_replicas_at(api, v), f"{api} reset")
