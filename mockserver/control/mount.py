"""Where the control plane lives in the mock's app: ``/__mockserver``, behind its guard (the
app sends it past the API requests' path and its CORS step: ``app.MockApp``)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from mockserver.control import PREFIX
from mockserver.control.actions import ControlTarget
from mockserver.control.api import ControlAPI, control_app
from mockserver.control.guard import SECURITY_HEADERS, ControlGuard, NoFraming
from mockserver.control.index import CONTROL_OFF_PAGE
from mockserver.cors import control_cors

#: The security headers as a response's ``headers=`` argument (the routes outside the mount).
_HEADERS = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


def control_routes(
    target: ControlTarget, token: str | None, origins: Sequence[str] = ()
) -> list[BaseRoute]:
    """The ``/__mockserver`` mount (and its bare path redirecting to the index page); browser
    pages of ``origins`` (``--control-origin``) may call it, with CORS; no page may frame it."""

    async def to_index(request: Request) -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=308, headers=_HEADERS)

    api = ControlAPI(target, token_required=token is not None)
    guard = ControlGuard(control_app(api), token, origins, refused_page=api.index)
    guarded = control_cors(guard, origins)
    return [
        Route(PREFIX, to_index, methods=["GET", "HEAD"]),
        Mount(PREFIX, app=NoFraming(guarded)),
    ]


def control_off_routes() -> list[BaseRoute]:
    """With ``--no-control``: only a 404 page at the console's address that says it is off."""

    async def control_off(request: Request) -> HTMLResponse:
        return HTMLResponse(CONTROL_OFF_PAGE, status_code=404, headers=_HEADERS)

    return [Route(path, control_off, methods=["GET", "HEAD"]) for path in (PREFIX, PREFIX + "/")]
