"""A :class:`Reply` onto the wire: its header list and the two ASGI messages that send it."""

from __future__ import annotations

import functools

from starlette.responses import Response
from starlette.types import Message, Send

from mockserver.vendors.interface import Reply

Headers = list[tuple[bytes, bytes]]


@functools.lru_cache(maxsize=64)
def content_type(media_type: str) -> tuple[bytes, bytes]:
    """The ``content-type`` header of a media type, encoded once per media type."""
    if media_type.startswith("text/") and "charset" not in media_type:
        media_type += "; charset=utf-8"
    return (b"content-type", media_type.encode())


@functools.lru_cache(maxsize=1024)
def encoded(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    """A reply's own headers as ASGI wants them; a vendor's headers repeat (a rate-limit
    window's, an error's), so each distinct tuple is encoded once."""
    return tuple((name.lower().encode(), value.encode("latin-1")) for name, value in headers)


def reply_headers(reply: Reply) -> Headers:
    headers = [(b"content-length", str(len(reply.body)).encode())]
    if reply.media_type:
        headers.append(content_type(reply.media_type))
    if reply.headers:
        headers += encoded(reply.headers)
    return headers


class Prepared(Reply):
    """A reply sent many times over (a memoized answer): its header list is built once."""

    wire: Headers


def prepared(reply: Reply) -> Reply:
    """``reply``, equal to it, with its ASGI header list built ahead."""
    ready = Prepared(*reply)
    ready.wire = reply_headers(reply)
    return ready


def as_response(reply: Reply) -> Response:
    """The reply as a Starlette response, for Starlette's exception handlers."""
    return Response(
        reply.body,
        status_code=reply.status,
        media_type=reply.media_type,
        headers=dict(reply.headers),
    )


def start_of(reply: Reply) -> Message:
    """The ``http.response.start`` message of ``reply``; its header list is the message's own
    (a step such as CORS may add to it)."""
    wire = reply.wire
    headers = reply_headers(reply) if wire is None else [*wire]
    return {"type": "http.response.start", "status": reply.status, "headers": headers}


async def send_reply(send: Send, reply: Reply, *, head: bool = False) -> None:
    """Send ``reply`` (``head``: without its body)."""
    await send(start_of(reply))
    await send({"type": "http.response.body", "body": b"" if head else reply.body})
