"""A bug answers 500 and is logged with its traceback (before answering, so a client that has its
500 finds it); it never escapes to the server. Starlette answers an exception with its
``Exception`` handler (:func:`crash_handler`), then re-raises it, and uvicorn would drop the
connection: :class:`ContainCrashes` stops the re-raise."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.journal.masking import log_safe
from mockserver.serialize.reply import as_response, send_reply
from mockserver.vendors.interface import Reply

log = logging.getLogger("mockserver")


def crash_handler(reply_for: Callable[[Scope], Reply]):
    """A Starlette ``Exception`` handler answering ``reply_for``."""

    async def handler(request: Request, exc: Exception) -> Response:
        _log(request.scope, exc)
        return as_response(reply_for(request.scope))

    return handler


class ContainCrashes:
    """``reply_for(scope)`` is the 500 to answer when ``app`` raises before answering."""

    def __init__(self, app: ASGIApp, reply_for: Callable[[Scope], Reply]) -> None:
        self.app = app
        self.reply_for = reply_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if not started:  # else the app's crash_handler has logged it and answered
                _log(scope, exc)
                await send_reply(send, self.reply_for(scope))


def _log(scope: Scope, exc: Exception) -> None:
    method, path = log_safe(scope["method"], 32), log_safe(scope["path"])
    log.error("unexpected error answering %s %s", method, path, exc_info=exc)
