"""ActionHub test helpers: the mock in process (ActionHub only) and a direct handler caller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from mockserver.vendors.interface import Call
from tests.harness import asgi_request, mock_app


class ActionHubApp:
    """One mock app serving ActionHub only, in process, with a synchronous request helper."""

    def __init__(self, **config: Any) -> None:
        self.app = mock_app(apis=("actionhub",), validate_responses=True, **config)
        self.runtime = self.app.runtimes["actionhub"]

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return asgi_request(self.app, "GET", url, base_url="http://mock", headers=headers)

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
def actionhub_app() -> ActionHubApp:
    return ActionHubApp()
