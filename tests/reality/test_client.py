"""The proxy's HTTP/1.1 client against scripted loopback servers: framing, reuse, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from mockserver.reality.client import ClientError, ConnectionPool

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def with_server(
    script: Script, client: Callable[[ConnectionPool], Awaitable[object]], **pool_options: int
):
    """Run ``client`` against a server answering each connection with ``script``; return
    ``(client's result, connections accepted)``."""

    async def main():
        accepted = 0

        async def handle(reader, writer):
            nonlocal accepted
            accepted += 1
            try:
                await script(reader, writer)
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = ConnectionPool("127.0.0.1", port, tls=False, **pool_options)
        try:
            return await client(pool), accepted
        finally:
            pool.close()
            server.close()

    return asyncio.run(main())


def get(pool: ConnectionPool, method: str = "GET", timeout: float = 5):
    return pool.request(method, b"/x", [(b"host", b"t")], b"", timeout)


def test_chunked_answers_are_deframed_and_the_connection_kept():
    async def script(reader, writer):
        for _ in range(2):
            await read_request(reader)
            writer.write(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            )
            await writer.drain()

    async def client(pool):
        return [await get(pool), await get(pool)]

    (first, second), accepted = with_server(script, client)
    assert first.status == 200 and first.body == b"hello world" and second.body == b"hello world"
    assert (b"x-a", b"1") in first.headers
    assert accepted == 1  # one kept-alive connection for both


def test_a_body_delimited_by_the_close_of_the_connection():
    async def script(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
        await writer.drain()

    answer, _ = with_server(script, get)
    assert answer.body == b"all of it" and not answer.keep_alive


def test_a_head_answer_has_no_body_whatever_its_length_says():
    async def script(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
        await writer.drain()
        await reader.read()  # hold the connection open: the answer is complete without a body

    answer, _ = with_server(script, lambda pool: get(pool, "HEAD"))
    assert answer.status == 200 and answer.body == b""


def test_an_interim_answer_is_skipped():
    async def script(reader, writer):
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
        )
        await writer.drain()

    answer, _ = with_server(script, get)
    assert (answer.status, answer.body) == (201, b"ok")


def test_an_idle_connection_the_server_closed_is_replaced_for_a_get():
    async def script(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        await writer.drain()
        # then the server drops the kept-alive connection (its keep-alive timeout)

    async def client(pool):
        first = await get(pool)
        connection = pool._idle[0]
        while not connection.closed:  # wait for the close to arrive, not for a fixed time
            await asyncio.sleep(0.001)
        connection.closed = False  # a close the pool has not noticed yet: a stale connection
        return first, await get(pool)

    (first, second), accepted = with_server(script, client)
    assert first.body == second.body == b"a"
    assert accepted == 2


def test_a_post_on_a_stale_connection_is_not_sent_twice():
    async def script(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        await writer.drain()

    async def client(pool):
        await get(pool)
        connection = pool._idle[0]
        while not connection.closed:
            await asyncio.sleep(0.001)
        connection.closed = False
        with pytest.raises(ClientError) as failed:
            await get(pool, "POST")
        return failed.value.kind

    kind, accepted = with_server(script, client)
    assert kind == "closed" and accepted == 1


def test_a_refused_connection_and_a_silent_server():
    async def refused():
        pool = ConnectionPool("127.0.0.1", 9, tls=False)
        with pytest.raises(ClientError) as failed:
            await get(pool)
        return failed.value.kind

    assert asyncio.run(refused()) == "connect"

    async def silent(reader, writer):
        await reader.read()

    async def client(pool):
        with pytest.raises(ClientError) as failed:
            await get(pool, timeout=0.05)
        return failed.value

    error, _ = with_server(silent, client)
    assert error.kind == "timeout" and "0.05 s" in error.detail


@pytest.mark.parametrize(
    "reply", [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"]
)
def test_garbage_and_truncated_answers_are_protocol_errors(reply):
    async def script(reader, writer):
        await read_request(reader)
        writer.write(reply)
        await writer.drain()

    async def client(pool):
        with pytest.raises(ClientError) as failed:
            await get(pool)
        return failed.value.kind

    kind, _ = with_server(script, client)
    assert kind == "protocol"


def test_an_endless_answer_is_refused_past_the_answer_limit():
    async def endless(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:  # until the client hangs up
            writer.write(b"4000\r\n" + b"x" * 0x4000 + b"\r\n")
            await writer.drain()

    async def client(pool):
        with pytest.raises(ClientError) as failed:
            await get(pool, timeout=30)
        return failed.value

    error, _ = with_server(endless, client, max_answer=2**20)
    assert error.kind == "protocol" and "over 1048576 bytes" in error.detail
