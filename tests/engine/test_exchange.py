"""A request body is read whole up to its operation's limit (``params.body.receive_body``), and
a client that leaves before sending all of it gets no answer: a write is never answered, nor
forwarded by the proxy, with part of its body. Headers read as Starlette reads them."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import Headers

from mockserver.exchange import first_values
from mockserver.params.body import TOO_LARGE, receive_body


def receiving(*messages: dict[str, Any]):
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    return receive


def chunk(body: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


def test_a_body_in_chunks_is_read_whole():
    receive = receiving(chunk(b'{"na', more=True), chunk(b'me": "x"}'))
    assert asyncio.run(receive_body(receive, 100)) == b'{"name": "x"}'


def test_reading_stops_past_the_limit():
    receive = receiving(*(chunk(b"x" * 60, more=True) for _ in range(100)))
    assert asyncio.run(receive_body(receive, 100)) is TOO_LARGE


def test_a_client_gone_while_sending_is_no_body():
    receive = receiving(chunk(b"{", more=True), {"type": "http.disconnect"})
    assert asyncio.run(receive_body(receive, 100)) is None


def test_a_repeated_header_reads_as_its_first_value_as_starlette_reads_it():
    raw = [(b"x-tag", b"one"), (b"accept", b"*/*"), (b"x-tag", b"two"), (b"x-bin", b"\xe9")]
    values = first_values(raw)
    assert values == {"x-tag": "one", "accept": "*/*", "x-bin": "\xe9"}
    starlette = Headers(raw=raw)
    assert values == {name: starlette[name] for name in starlette}
