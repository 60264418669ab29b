"""Every mask in one place. A header or query parameter is a credential by its *name*, by rule
rather than by list: any name that, percent-decoded and case-folded, contains one of
:data:`CREDENTIAL_WORDS`. Its value is masked but kept recognisable (scheme and a short prefix
such as ``SG.``): which kind of key was sent, never which key."""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import (
    parse_qsl,
    quote,
    quote_plus,
    unquote_plus,
    urlencode,
    urlsplit,
)

import orjson

from mockserver.lru import LruCache
from mockserver.serialize import decode_json
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
#: Characters of a long secret shown before the mask (``SG.`` for a SendGrid key).
VISIBLE_PREFIX = 3
#: Secrets shorter than this are masked completely.
MIN_PARTIAL = 12

_verdicts: LruCache[bool] = LruCache(4096)


def normalized_name(name: str) -> str:
    """How names are compared: percent-decoded (``+`` is a space), NFKC, case-folded."""
    return unicodedata.normalize("NFKC", unquote_plus(name)).casefold()


def is_credential_name(name: str, declared: frozenset[str] = frozenset()) -> bool:
    """Does this header or query parameter name carry a credential: by the rule, or as one of
    the ``declared`` (normalized) names?"""
    verdict = _verdicts.get(name)
    if verdict is None:
        plain = normalized_name(name)
        verdict = _verdicts.put(name, any(word in plain for word in CREDENTIAL_WORDS))
    return verdict or (bool(declared) and normalized_name(name) in declared)


def mask_secret(value: str) -> str:
    """``Bearer SG.abc...`` -> ``Bearer SG.***``: keep an auth scheme word and a short prefix."""
    scheme, sep, token = value.partition(" ")
    if not sep or not token.strip():
        scheme, token = "", value
    token = token.strip()
    shown = token[:VISIBLE_PREFIX] if len(token) >= MIN_PARTIAL else ""
    return f"{scheme} {shown}{MASK}" if scheme else f"{shown}{MASK}"


#: Separators of query pairs: ``&``, and ``;`` which some servers also split at.
_PAIRS = re.compile(r"([&;])")
#: Shorter secret values are masked in headers and queries but not searched for in text:
#: masking every ``x`` of a body because a key was ``x`` would destroy it and protect nothing.
MIN_TEXT_SECRET = 6


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

    def header_items(self, raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
        """ASGI header pairs -> ``{name: value}`` with secret values masked (first value wins)."""
        out: dict[str, str] = {}
        for name_bytes, value_bytes in raw:
            name = name_bytes.decode("latin-1").lower()
            if name not in out:
                out[name] = self.header(name, value_bytes.decode("latin-1"))
        return out

    def header(self, name: str, value: str) -> str:
        """A header's value as shown: masked when ``name`` is a credential's."""
        return mask_secret(value) if is_credential_name(name, self.headers) else value

    def query(self, raw: str) -> str:
        """Mask secret parameters of a query string; every other byte stays as it came."""
        if not raw or not self._may_hold_secret(raw):
            return raw
        parts = _PAIRS.split(raw)  # pairs at even indices, separators between
        for index in range(0, len(parts), 2):
            name, equals, _ = parts[index].partition("=")
            if equals and is_credential_name(name, self.params):
                parts[index] = f"{name}={MASK}"
        return "".join(parts)

    def target(self, scope: Mapping[str, Any]) -> str:
        """An ASGI request's target for a log line: secrets masked, control characters escaped."""
        query = self.query(scope["query_string"].decode("latin-1"))
        return log_safe(scope["path"] + (f"?{query}" if query else ""))

    def secrets(self, headers: Iterable[tuple[bytes, bytes]], query: str) -> tuple[str, ...]:
        """The values of ``headers`` and ``query`` this masker hides (and a header's token
        after its scheme), long enough to be searched for in text."""
        found: list[str] = []
        for name, value in headers:
            if is_credential_name(name.decode("latin-1"), self.headers):
                text = value.decode("latin-1")
                found += [text, text.partition(" ")[2].strip()]
        for pair in _PAIRS.split(query)[::2]:
            name, equals, value = pair.partition("=")
            if equals and is_credential_name(name, self.params):
                found += [value, unquote_plus(value)]
        return tuple(dict.fromkeys(s for s in found if len(s) >= MIN_TEXT_SECRET))

    def body(self, body: bytes, headers: Iterable[tuple[bytes, bytes]], query: str) -> str:
        """A request body as the journal shows it: :func:`mask_body` with the request's own
        secrets; a body cut to ``--journal-entry-bytes`` no longer parses, so its
        credential-named JSON members are also masked by name, as far as each goes."""
        masked = mask_body(body, self.secrets(headers, query)).decode("utf-8", "replace")
        try:
            decode_json(masked.encode())
        except ValueError:
            return _JSON_SECRET.sub(rf'\1"{MASK}"', masked)
        return masked

    def _may_hold_secret(self, raw: str) -> bool:
        """Cheap pre-check: an encoded name could hide anything; else look for the words."""
        if "%" in raw or not raw.isascii():
            return True
        lowered = raw.lower()
        return any(word in lowered for word in CREDENTIAL_WORDS) or any(
            name in lowered for name in self.params
        )


#: A JSON member whose name holds a credential word, in text that no longer parses (a body cut
#: short): its string value, or what is left of it.
_JSON_SECRET = re.compile(
    r'("[^"]*(?:' + "|".join(CREDENTIAL_WORDS) + r')[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"?',
    re.IGNORECASE,
)


# -- registered secret values -------------------------------------------------------------------
#: A cut-off secret still leaks: any prefix or suffix this long is masked too.
MIN_FRAGMENT = 8


def _fragments(secret: str) -> str:
    """A pattern for ``secret`` and for any prefix or suffix of it of MIN_FRAGMENT or more."""
    if len(secret) <= MIN_FRAGMENT:
        return re.escape(secret)
    head, tail = secret[:-MIN_FRAGMENT], secret[MIN_FRAGMENT:]
    rest = "".join(f"(?:{re.escape(char)}" for char in tail) + ")?" * len(tail)
    lead = "(?:" * len(head) + "".join(f"{re.escape(char)})?" for char in head)
    return f"{re.escape(secret[:MIN_FRAGMENT])}{rest}|{lead}{re.escape(secret[-MIN_FRAGMENT:])}"


class SecretText:
    """Replace every registered secret with ``***``: also URL-encoded or JSON-escaped, and also
    cut off (a response excerpt or a server may truncate it). Called on a report line it also
    masks values whose header or parameter name is a credential's (:func:`mask_by_name`)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            forms |= {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
        ordered = sorted((form for form in forms if form), key=len, reverse=True)
        pattern = "|".join(_fragments(form) for form in ordered)
        self._pattern = re.compile(pattern) if pattern else None

    def values(self, text: str) -> str:
        """``text`` with the registered secrets masked, nothing else touched."""
        return self._pattern.sub(MASK, text) if self._pattern is not None and text else text

    def __call__(self, text: str) -> str:
        return mask_by_name(self.values(text)) if text else text


_secret_texts: LruCache[SecretText] = LruCache(256)


def secret_text(secrets: tuple[str, ...]) -> SecretText:
    """A (cached) :class:`SecretText` for ``secrets``."""
    found = _secret_texts.get(secrets)
    return found if found is not None else _secret_texts.put(secrets, SecretText(secrets))


def mask_text(text: str, secrets: tuple[str, ...]) -> str:
    """A line (a violation, a log message) with ``secrets`` and credential-named values masked."""
    return secret_text(secrets)(text) if secrets and text else text


#: ``-H 'Name: value'`` in a curl line, and ``name=value`` in a URL's query.
_CURL_HEADER = re.compile(r"(-H '([^':]+):\s*)([^']*)(')")
_QUERY_PAIR = re.compile(r"([?&;])([^=&;#\s']+)=([^&;#\s']*)")


def mask_by_name(text: str) -> str:
    """Values whose header or parameter name looks like a credential's, masked in a line of
    text even when no secret was registered (never run over a body: see :func:`mask_body`)."""

    def header(match: re.Match[str]) -> str:
        if not is_credential_name(match.group(2)) or match.group(3) in (MASK, "[Filtered]"):
            return match.group(0)
        return f"{match.group(1)}{MASK}{match.group(4)}"

    def pair(match: re.Match[str]) -> str:
        if not is_credential_name(match.group(2)):
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}={MASK}"

    return _QUERY_PAIR.sub(pair, _CURL_HEADER.sub(header, text))


# -- bodies ---------------------------------------------------------------------------------------
def mask_body(body: bytes, secrets: tuple[str, ...]) -> bytes:
    """A body with its secrets masked, never cut: JSON structurally (credential-named members
    too), other UTF-8 text by ``secrets``; binary bodies as they are (they cannot echo a header)."""
    if not body:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    try:
        document = decode_json(body)
    except ValueError:
        masked = secret_text(secrets).values(text) if secrets else text
        return body if masked == text else masked.encode("utf-8")
    found, changed = _masked_json(document, secret_text(secrets))
    return orjson.dumps(found) if changed else body


def _masked_json(node: Any, values: SecretText, credential: bool = False) -> tuple[Any, bool]:
    if isinstance(node, dict):
        pairs = {k: _masked_json(v, values, is_credential_name(k)) for k, v in node.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(hit for _, hit in pairs.values())
    if isinstance(node, list):
        items = [_masked_json(item, values, credential) for item in node]
        return [item for item, _ in items], any(hit for _, hit in items)
    if not isinstance(node, str) or node in ("", MASK):
        return node, False
    masked = MASK if credential else values.values(node)
    return masked, masked != node


# -- personal values ----------------------------------------------------------------------------
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:(?P<sep>[T ])\d{2}:\d{2}:\d{2}(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Redactor:
    """Replaces the values of ``fields`` (JSON properties, query parameters; ``email`` covers
    ``emails`` and ``alternate_emails``) by fakes of the same format drawn from SHA-256 of
    ``(seed, field, value)``: the same in every run, telling nothing of the original."""

    def __init__(self, fields: Iterable[str], seed: int = 0) -> None:
        self.fields = frozenset(name.strip() for name in fields if name.strip())
        self.seed = seed
        self._longest_first = sorted(self.fields, key=lambda f: (-len(f), f))

    def field_of(self, name: str) -> str | None:
        """The field ``name`` falls under, or ``None``."""
        if name in self.fields:
            return name
        if name.endswith("s") and name[:-1] in self.fields:
            return name[:-1]
        return next((f for f in self._longest_first if name.endswith((f"_{f}", f"_{f}s"))), None)

    def body(self, body: bytes, media_type: str | None) -> bytes:
        """A JSON body with the fields' values faked (compact JSON); anything else unchanged."""
        if not self.fields or not body or "json" not in (media_type or ""):
            return body
        try:
            document = decode_json(body)
        except ValueError:
            return body
        redacted, changed = self._walk(document)
        return orjson.dumps(redacted) if changed else body

    def query(self, query: str) -> str:
        pairs = parse_qsl(query, keep_blank_values=True)
        fields = [self.field_of(name) for name, _ in pairs]
        if not any(fields):
            return query
        faked = [(n, self.fake(f, v) if f else v) for (n, v), f in zip(pairs, fields, strict=True)]
        return urlencode(faked, safe=",*")

    def _walk(self, node: Any, field: str | None = None) -> tuple[Any, bool]:
        if isinstance(node, dict):
            pairs = {k: self._walk(v, self.field_of(k) or field) for k, v in node.items()}
            return {k: v for k, (v, _) in pairs.items()}, any(hit for _, hit in pairs.values())
        if isinstance(node, list):
            items = [self._walk(item, field) for item in node]
            return [item for item, _ in items], any(hit for _, hit in items)
        if field is None or node is None or isinstance(node, bool):
            return node, False
        return self.fake(field, node), True

    def fake(self, field: str, value: Any) -> Any:
        """A stand-in for ``value`` of the same JSON type and format."""
        digest = hashlib.sha256(f"{self.seed}\0{field}\0{value!r}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:16], "big"))
        if isinstance(value, int):
            digits = len(str(abs(value)))
            fake = rng.randint(0 if digits == 1 else 10 ** (digits - 1), 10**digits - 1)
            return -fake if value < 0 else fake
        if isinstance(value, float):
            return round(rng.uniform(0, abs(value) * 2 or 1), 6)
        return _fake_text(value, rng) if isinstance(value, str) else value


def _fake_text(value: str, rng: random.Random) -> str:
    if _UUID.match(value):
        fake = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return fake.upper() if value.isupper() else fake
    date = _DATE.match(value)
    if date:
        fake = f"{rng.randint(1950, 2030):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if date.group("sep"):
            fake += f"{date.group('sep')}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
            fake += f":{rng.randint(0, 59):02d}"
            if date.group("fraction"):
                fake += "." + "".join(rng.choice(string.digits) for _ in date.group("fraction"))
        return fake + (date.group("zone") or "")
    if _EMAIL.match(value):
        local = value.rpartition("@")[0]
        return f"{_same_shape(local, rng)}@example.com"
    return _same_shape(value, rng)


def _same_shape(text: str, rng: random.Random) -> str:
    """Each letter another letter of the same case, each digit another digit; the rest kept."""

    def swap(char: str) -> str:
        if char.isdigit() and char.isascii():
            return rng.choice(string.digits)
        if not char.isalpha():
            return char
        return rng.choice(string.ascii_uppercase if char.isupper() else string.ascii_lowercase)

    return "".join(map(swap, text))


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


def shown_url(url: str) -> str:
    """``url`` for a console or a log line: a password in it replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()
