"""ActionHub test helpers: an in-process app per data version and a direct handler caller."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from mockserver.app import build_app
from mockserver.config import ServeConfig
from mockserver.vendors.interface import Call


class Served:
    """One mock app serving ActionHub only, with a synchronous request helper."""

    def __init__(self, **config: Any) -> None:
        self.app = build_app(ServeConfig(apis=("actionhub",), validate_responses=True, **config))
        self.runtime = self.app.runtimes["actionhub"]

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        async def fetch() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
                return await client.get(url, headers=headers)

        return asyncio.run(fetch())

    def call(self, operation_id: str, program: str = "demo", **params: Any) -> bytes:
        """Run a handler directly with decoded parameters (defaults from the spec)."""
        operation = self.runtime.spec.operation(operation_id)
        values = {p.name: p.default for p in operation.parameters}
        values.update({"program-id": program, **params})
        call = Call(
            operation, {k: (None if repr(v) == "MISSING" else v) for k, v in values.items()}, {}
        )
        reply = self.runtime.backend.handlers[operation_id](call)
        assert reply.status == 200, reply.body
        return reply.body

    def segment(self, **params: Any) -> list[str]:
        return self.call("get_segment_segment_get", **params).decode().splitlines()

    def segments(self, **params: Any) -> dict[str, Any]:
        import orjson

        return orjson.loads(self.call("get_segments_segments_get", **params))


@pytest.fixture(scope="session")
def served() -> Served:
    return Served()
