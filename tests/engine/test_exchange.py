"""The request body of a write operation: read whole up to its limit, decoded into
``Exchange.body``, refused in the API's dialect when too large or not JSON."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mockserver.app import decode_body
from mockserver.exchange import Exchange, read_body
from mockserver.limits import MAX_REQUEST_BODY
from mockserver.vendors import vendor


def receiving(*messages: dict[str, Any]):
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    return receive


def chunk(body: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


def test_a_body_in_chunks_is_read_whole():
    receive = receiving(chunk(b'{"na', more=True), chunk(b'me": "x"}'))
    assert asyncio.run(read_body(receive, 100)) == b'{"name": "x"}'


def test_reading_stops_past_the_limit():
    receive = receiving(*(chunk(b"x" * 60, more=True) for _ in range(100)))
    body = asyncio.run(read_body(receive, 100))
    assert body is not None and 100 < len(body) <= 160


def test_a_client_gone_while_sending_is_no_body():
    receive = receiving(chunk(b"{", more=True), {"type": "http.disconnect"})
    assert asyncio.run(read_body(receive, 100)) is None


@pytest.mark.parametrize(
    ("body", "status", "decoded"),
    [
        (b'{"name": "x", "ids": [1]}', None, {"name": "x", "ids": [1]}),
        (b"", None, None),
        (b'{"name": ', 400, None),
        (b"\xff\xfe", 400, None),
        (b"[" * 100_000, 400, None),
        (b" " * (MAX_REQUEST_BODY + 1), 413, None),
    ],
    ids=["json", "empty", "cut", "not utf-8", "too deep", "too large"],
)
def test_a_body_is_decoded_or_refused_in_the_dialect(body, status, decoded):
    exchange = Exchange({"type": "http", "method": "POST", "headers": []}, 0.0)
    dialect = vendor("sendgrid").dialect
    refusal = decode_body(exchange, body, dialect)
    assert (refusal.status if refusal is not None else None) == status
    assert exchange.body == decoded
    if refusal is not None:  # in the API's own error shape
        assert refusal.media_type == dialect.error(status, "any").media_type
