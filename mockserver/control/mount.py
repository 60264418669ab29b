"""Where the control plane lives in the mock's app: ``/__mockserver``, behind its guard."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from mockserver.control.actions import ControlTarget
from mockserver.control.api import control_app
from mockserver.control.guard import ControlGuard

PREFIX = "/__mockserver"


def control_routes(target: ControlTarget, token: str | None) -> list[BaseRoute]:
    """The ``/__mockserver`` mount (and its bare path redirecting to the index page)."""

    async def to_index(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    return [
        Route(PREFIX, to_index, methods=["GET", "HEAD"]),
        Mount(PREFIX, app=ControlGuard(control_app(target), token)),
    ]
