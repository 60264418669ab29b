"""Hide secrets before a request reaches the journal or a log line, and keep log lines honest.

A header or query parameter is a credential by its *name*, by rule rather than by list: any name
that, percent-decoded and case-folded, contains one of :data:`CREDENTIAL_WORDS`
(``Authorization``, ``X-Auth``, ``Authentication``, ``X-Amz-Security-Token``, ``api%5Fkey``,
``client_secret``, ``X-Hub-Signature``, ``Cookie``...). Its value is masked, kept recognisable
(its scheme and a short prefix such as ``SG.``) so a reader can tell which kind of key was sent,
never which key. ``contract/credentials.py`` masks report lines by the same rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

import orjson

from mockserver.lru import LruCache
from mockserver.spec.model import ApiSpec

#: Parts of a name that make it a credential's (compared after percent-decoding, NFKC and case
#: folding, anywhere in the name; ``x-`` variants included by construction).
CREDENTIAL_WORDS = (
    "auth",
    "token",
    "secret",
    "key",
    "passw",
    "passphrase",
    "pwd",
    "signature",
    "cookie",
    "session",
    "credential",
    "bearer",
)

MASK = "***"
#: A JSON member whose name holds a credential word, in text that no longer parses (a body cut
#: to --journal-entry-bytes): its string value (or what is left of it) is masked.
_JSON_SECRET = re.compile(
    r'("[^"]*(?:' + "|".join(CREDENTIAL_WORDS) + r')[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"?',
    re.IGNORECASE,
)
#: Characters of a long secret shown before the mask (``SG.`` for a SendGrid key).
VISIBLE_PREFIX = 3
#: Secrets shorter than this are masked completely.
MIN_PARTIAL = 12

_verdicts: LruCache[bool] = LruCache(4096)


def normalized_name(name: str) -> str:
    """How names are compared: percent-decoded (``+`` is a space), NFKC, case-folded."""
    return unicodedata.normalize("NFKC", unquote_plus(name)).casefold()


def is_credential_name(name: str) -> bool:
    """Does this header or query parameter name look like it carries a credential?"""
    verdict = _verdicts.get(name)
    if verdict is None:
        plain = normalized_name(name)
        verdict = _verdicts.put(name, any(word in plain for word in CREDENTIAL_WORDS))
    return verdict


def mask_secret(value: str) -> str:
    """``Bearer SG.abc...`` -> ``Bearer SG.***``: keep an auth scheme word and a short prefix."""
    scheme, sep, token = value.partition(" ")
    if not sep or not token.strip():
        scheme, token = "", value
    token = token.strip()
    shown = token[:VISIBLE_PREFIX] if len(token) >= MIN_PARTIAL else ""
    return f"{scheme} {shown}{MASK}" if scheme else f"{shown}{MASK}"


class Masker:
    """Masks the credentials of one server's requests: every name the rule recognises, plus
    the names the specs declare for their API keys (``extra_*``)."""

    def __init__(self, extra_headers: Iterable[str] = (), extra_params: Iterable[str] = ()) -> None:
        self.headers = frozenset(normalized_name(name) for name in extra_headers if name)
        self.params = frozenset(normalized_name(name) for name in extra_params if name)

    @classmethod
    def for_specs(cls, specs: Iterable[ApiSpec]) -> Masker:
        """The rule plus every API-key name the specs declare."""
        headers, params = [], []
        for spec in specs:
            for scheme in spec.security_schemes.values():
                if scheme.get("type") == "apiKey":
                    where = params if scheme.get("in") == "query" else headers
                    where.append(scheme.get("name", ""))
        return cls(headers, params)

    def secret_header(self, name: str) -> bool:
        return is_credential_name(name) or (
            bool(self.headers) and normalized_name(name) in self.headers
        )

    def secret_param(self, name: str) -> bool:
        return is_credential_name(name) or (
            bool(self.params) and normalized_name(name) in self.params
        )

    def header_items(self, raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
        """ASGI header pairs -> ``{name: value}`` with secret values masked (first value wins)."""
        out: dict[str, str] = {}
        for name_bytes, value_bytes in raw:
            name = name_bytes.decode("latin-1").lower()
            if name in out:
                continue
            value = value_bytes.decode("latin-1")
            out[name] = mask_secret(value) if self.secret_header(name) else value
        return out

    def query(self, raw: str) -> str:
        """Mask secret parameters of a query string; leave any other string byte-identical."""
        if not raw or not self._may_hold_secret(raw):
            return raw
        pairs = parse_qsl(raw, keep_blank_values=True)
        if not any(self.secret_param(name) for name, _ in pairs):
            return raw
        return urlencode(
            [(name, MASK if self.secret_param(name) else value) for name, value in pairs],
            safe="*,",
        )

    def body(self, text: str) -> str:
        """A request body with the values of credential-named JSON fields masked (at any
        depth; in a cut body, each such member's string as far as it goes)."""
        if not any(word in text.lower() for word in CREDENTIAL_WORDS):
            return text
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            return _JSON_SECRET.sub(rf'\1"{MASK}"', text)
        return orjson.dumps(self._masked(document)).decode()

    def _masked(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: MASK if is_credential_name(str(k)) else self._masked(v) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._masked(item) for item in value]
        return value

    def _may_hold_secret(self, raw: str) -> bool:
        """Cheap pre-check: an encoded name could hide anything; else look for the words."""
        if "%" in raw or not raw.isascii():
            return True
        lowered = raw.lower()
        return any(word in lowered for word in CREDENTIAL_WORDS) or any(
            name in lowered for name in self.params
        )


#: Control characters (C0, DEL, C1) and Unicode line breaks, as escapes in log lines: a ``%0a``
#: in a path must not start a forged log line, nor an escape sequence drive the terminal.
_LOG_ESCAPES = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, 0x85)
}
_LOG_ESCAPES[ord("\\")] = "\\\\"
#: A log line shows at most this many characters of a request target.
LOG_TARGET_CHARS = 2048


def log_safe(text: str, limit: int = LOG_TARGET_CHARS) -> str:
    """``text`` for a log line: control characters escaped, cut at ``limit`` (marked)."""
    shown = text[:limit].translate(_LOG_ESCAPES)
    return shown if len(text) <= limit else f"{shown}...({len(text) - limit} more)"
