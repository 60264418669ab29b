"""The proxy's upstream calls (aiohttp) against scripted loopback servers: framing, reuse,
failures, trailers, idle expiry, ``HTTP_PROXY`` and ``SSL_CERT_FILE``."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from mockserver.journal.masking import shown_url
from mockserver.reality.forward import Upstream, UpstreamAnswer, UpstreamFailure

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


def with_server(
    script: Script,
    client: Callable[[Upstream], Awaitable[object]],
    tls: ssl.SSLContext | None = None,
    **options: float,
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

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
        port = server.sockets[0].getsockname()[1]
        upstream = Upstream(f"{'https' if tls else 'http'}://127.0.0.1:{port}", **options)
        try:
            return await client(upstream), accepted
        finally:
            await upstream.aclose()
            server.close()

    return asyncio.run(main())


def get(upstream: Upstream, method: str = "GET") -> Awaitable[UpstreamAnswer]:
    return upstream.send(method, b"/x", b"", [(b"x-a", b"1")], b"")


def answering(reply: bytes, times: int = 1, seen: list[bytes] | None = None) -> Script:
    """Answers ``times`` requests with ``reply``, each request's head appended to ``seen``."""

    async def script(reader, writer):
        for _ in range(times):
            head = await read_request(reader)
            if seen is not None:
                seen.append(head)
            writer.write(reply)
            await writer.drain()

    return script


async def failure(answer: Awaitable[UpstreamAnswer]) -> UpstreamFailure:
    with pytest.raises(UpstreamFailure) as failed:
        await answer
    return failed.value


def test_chunked_answers_are_deframed_and_the_connection_kept():
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )

    async def client(upstream):
        return [await get(upstream), await get(upstream)]

    (first, second), accepted = with_server(answering(reply, 2), client)
    assert first.status == 200 and first.body == b"hello world" and second.body == b"hello world"
    assert (b"x-a", b"1") in first.headers
    assert accepted == 1  # one kept-alive connection for both


def test_trailers_never_come_back_as_headers():
    reply = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Set-Cookie\r\n\r\n"
        b"2\r\nok\r\n0\r\nSet-Cookie: injected=1\r\nX-Late: 1\r\n\r\n"
    )
    answer, _ = with_server(answering(reply), get)
    names = {name for name, _ in answer.headers}
    assert answer.body == b"ok" and not names & {b"set-cookie", b"x-late"}


def test_a_body_delimited_by_the_close_of_the_connection():
    reply = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"
    answer, _ = with_server(answering(reply), get)
    assert answer.body == b"all of it"


def test_a_head_answer_has_no_body_whatever_its_length_says():
    async def script(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
        await writer.drain()
        await reader.read()  # hold the connection open: the answer is complete without a body

    answer, _ = with_server(script, lambda upstream: get(upstream, "HEAD"))
    assert answer.status == 200 and answer.body == b""
    assert (b"content-length", b"1234") in answer.headers


def test_an_interim_answer_is_skipped():
    reply = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
    answer, _ = with_server(answering(reply), get)
    assert (answer.status, answer.body) == (201, b"ok")


def test_an_idle_connection_expires():
    closed = asyncio.Event()

    async def script(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        await writer.drain()
        await reader.read()  # until the client closes its idle connection
        closed.set()

    async def client(upstream):
        await get(upstream)
        await asyncio.wait_for(closed.wait(), 10)
        return closed.is_set()

    expired, _ = with_server(script, client, idle_seconds=0.05)
    assert expired


def test_a_refused_connection_and_a_silent_server():
    async def refused():
        upstream = Upstream("http://127.0.0.1:9")
        try:
            return await failure(get(upstream))
        finally:
            await upstream.aclose()

    assert asyncio.run(refused()).kind == "unreachable"

    async def silent(reader, writer):
        await reader.read()

    error, _ = with_server(silent, lambda upstream: failure(get(upstream)), timeout=0.05)
    assert error.kind == "timeout" and "0.05 s" in error.detail


@pytest.mark.parametrize(
    "reply", [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"]
)
def test_garbage_and_truncated_answers_are_502s(reply):
    error, _ = with_server(answering(reply), lambda upstream: failure(get(upstream)))
    assert error.status == 502


def test_an_endless_answer_is_refused_past_the_answer_limit():
    async def endless(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:  # until the client hangs up
            writer.write(b"4000\r\n" + b"x" * 0x4000 + b"\r\n")
            await writer.drain()

    error, _ = with_server(
        endless, lambda upstream: failure(get(upstream)), max_answer=2**20, timeout=30
    )
    assert error.kind == "garbage" and "over 1048576 bytes" in error.detail


def test_the_target_goes_as_it_came_and_only_the_clients_headers():
    seen: list[bytes] = []

    async def client(upstream):
        return await upstream.send("GET", b'/a/../b"c', b"q=%ZZ&r=\xc3\xa9", [], b"")

    with_server(answering(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", seen=seen), client)
    line, *headers = seen[0].decode("latin-1").split("\r\n")
    assert line == 'GET /a/../b"c?q=%ZZ&r=%C3%A9 HTTP/1.1'
    assert [h.split(":")[0].lower() for h in headers if h] == ["host"]


def test_http_proxy_from_the_environment_is_used(monkeypatch):
    """The upstream is reached through ``HTTP_PROXY`` (absolute-form target to the proxy)."""
    seen: list[bytes] = []
    proxy = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied", seen=seen)

    async def main():
        server = await asyncio.start_server(proxy, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        for name in ("NO_PROXY", "no_proxy", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        upstream = Upstream("http://upstream.invalid/base")
        try:
            return await get(upstream)
        finally:
            await upstream.aclose()
            server.close()

    answer = asyncio.run(main())
    assert answer.body == b"proxied"
    assert seen[0].startswith(b"GET http://upstream.invalid/base/x HTTP/1.1\r\n")


def test_ssl_cert_file_is_the_trusted_ca_bundle(tmp_path: Path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    untrusted, _ = with_server(answering(reply), lambda up: failure(get(up)), tls=tls)
    assert untrusted.kind == "unreachable" and "certificate" in untrusted.detail.lower()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    answer, _ = with_server(answering(reply), get, tls=tls)
    assert answer.body == b"ok"


def test_a_password_in_the_upstream_url_is_never_shown():
    assert (
        shown_url("https://user:s3cret@api.example:8443/v3")
        == "https://user:***@api.example:8443/v3"
    )
    assert shown_url("http://api.example/") == "http://api.example/"
    assert Upstream("http://u:pw-123@127.0.0.1:9").base_url == "http://u:***@127.0.0.1:9"


def test_a_connection_the_server_closed_while_idle_is_replaced_for_a_get():
    """Noticed or not (then aiohttp sends an idempotent request once more, anew), the GET is
    answered on a new connection."""
    closed = asyncio.Event()

    async def script(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na")
        await writer.drain()
        writer.close()  # the upstream's keep-alive timeout, as the client is about to reuse it
        await writer.wait_closed()
        closed.set()

    async def client(upstream):
        await get(upstream)
        await closed.wait()
        try:
            return (await get(upstream)).body
        except UpstreamFailure as error:
            return error.kind

    second, accepted = with_server(script, client)
    assert (second, accepted) == (b"a", 2)
