"""Which headers belong to one hop and which travel end to end (RFC 9110, 7.6.1)."""

from __future__ import annotations

from collections.abc import Iterable

RawHeaders = list[tuple[bytes, bytes]]

#: Headers meaningful only for a single connection; a proxy never forwards them.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)


def end_to_end(headers: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """``headers`` without the hop-by-hop ones, including those ``Connection`` names."""
    pairs = list(headers)
    dropped = set(HOP_BY_HOP)
    for name, value in pairs:
        if name.lower() == b"connection":
            dropped |= {token.strip().lower() for token in value.split(b",") if token.strip()}
    return [(name, value) for name, value in pairs if name.lower() not in dropped]


def as_text(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in headers]


def content_encoding(headers: Iterable[tuple[str, str]]) -> str | None:
    """The ``Content-Encoding`` of an answer, ``None`` for identity."""
    for name, value in headers:
        if name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity"):
            return value.strip().lower()
    return None


def decoded_body(headers: list[tuple[str, str]], body: bytes) -> bytes | None:
    """The body with its ``Content-Encoding`` undone (httpx's decoders); ``None`` if it cannot
    be (an unknown encoding, corrupt bytes)."""
    if content_encoding(headers) is None:
        return body
    import httpx

    try:
        return httpx.Response(200, headers=headers, content=body).read()
    except httpx.DecodingError:
        return None
