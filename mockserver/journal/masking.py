"""Hide secrets before a request reaches the journal or a log line.

A credential is kept recognisable (its scheme and a short prefix such as
``SG.``) so a reader can tell which kind of key was sent, never which key.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

from mockserver.spec.model import ApiSpec

#: Header names whose values are credentials, lower-cased.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-mockserver-token",
    }
)

#: Query parameter names (lower-cased) that carry credentials in the wild.
SECRET_PARAMS = frozenset(
    {"api_key", "apikey", "api-key", "key", "token", "access_token", "secret", "password"}
)

MASK = "***"
#: Characters of a long secret shown before the mask (``SG.`` for a SendGrid key).
VISIBLE_PREFIX = 3
#: Secrets shorter than this are masked completely.
MIN_PARTIAL = 12


def mask_secret(value: str) -> str:
    """``Bearer SG.abc...`` -> ``Bearer SG.***``: keep an auth scheme word and a short prefix."""
    scheme, sep, token = value.partition(" ")
    if not sep or not token.strip():
        scheme, token = "", value
    token = token.strip()
    shown = token[:VISIBLE_PREFIX] if len(token) >= MIN_PARTIAL else ""
    return f"{scheme} {shown}{MASK}" if scheme else f"{shown}{MASK}"


class Masker:
    """Masks the secret headers and query parameters of one server's requests."""

    def __init__(self, extra_headers: Iterable[str] = (), extra_params: Iterable[str] = ()) -> None:
        self.headers = SECRET_HEADERS | {name.lower() for name in extra_headers}
        self.params = SECRET_PARAMS | {name.lower() for name in extra_params}

    @classmethod
    def for_specs(cls, specs: Iterable[ApiSpec]) -> Masker:
        """The standard secret names plus every API-key name the specs declare."""
        headers, params = [], []
        for spec in specs:
            for scheme in spec.security_schemes.values():
                if scheme.get("type") == "apiKey":
                    where = params if scheme.get("in") == "query" else headers
                    where.append(scheme.get("name", ""))
        return cls(headers, params)

    def header_items(self, raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
        """ASGI header pairs -> ``{name: value}`` with secret values masked (first value wins)."""
        out: dict[str, str] = {}
        for name_bytes, value_bytes in raw:
            name = name_bytes.decode("latin-1").lower()
            if name in out:
                continue
            value = value_bytes.decode("latin-1")
            out[name] = mask_secret(value) if name in self.headers else value
        return out

    def query(self, raw: str) -> str:
        """Mask secret parameters of a query string; leave any other string byte-identical."""
        if not raw or not any(name in raw.lower() for name in self.params):
            return raw
        pairs = parse_qsl(raw, keep_blank_values=True)
        if not any(name.lower() in self.params for name, _ in pairs):
            return raw
        return urlencode(
            [(name, MASK if name.lower() in self.params else value) for name, value in pairs],
            safe="*,",
        )
