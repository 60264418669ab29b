"""Credentials for a contract run, and the masker that keeps them out of every line it prints.

Keys come from the environment (out of shell history) or ``-H``; every value that could be a
secret is registered with a :class:`Masker`, which the report applies to all output it writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from mockserver.vendors import vendor

MASK = "***"

#: ``-H`` headers whose values are never secret; every other ``-H`` value is masked.
PUBLIC_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "content-type", "user-agent"}
)


@dataclass(frozen=True)
class Credentials:
    #: Headers sent with every request.
    headers: dict[str, str]
    #: Values to mask in every line of output.
    secrets: tuple[str, ...]
    #: Where the API's credential came from: ``env``, ``-H``, ``mock default`` or ``None``.
    source: str | None


def _secret(value: str) -> str:
    """For ``Scheme token`` the token (so ``Bearer ***`` stays readable), else the whole value."""
    scheme, _, token = value.partition(" ")
    return token.strip() if token.strip() and scheme.isalpha() else value


def resolve(
    api: str,
    cli_headers: Iterable[tuple[str, str]],
    env: Mapping[str, str],
    *,
    bundled: bool,
) -> Credentials:
    """Headers for the run: ``-H`` wins over the environment, which wins over the mock default."""
    headers: dict[str, str] = {}
    secrets: list[str] = []
    source: str | None = None
    wanted = vendor(api).credential
    for name, value in cli_headers:
        headers[name] = value
        if name.lower() not in PUBLIC_HEADERS:
            secrets.append(_secret(value))
        if name.lower() == wanted.header.lower():
            source = "-H"
    if source is None:
        value = env.get(wanted.env, "").strip()
        if value:
            headers[wanted.header] = wanted.template.format(value)
            secrets.append(value)
            source = f"${wanted.env}"
        elif bundled:
            headers[wanted.header] = wanted.sample
            source = "mock default"
    return Credentials(headers, tuple(dict.fromkeys(s for s in secrets if s)), source)


#: A cut-off secret still leaks: any prefix or suffix this long is masked too.
MIN_FRAGMENT = 8


def _fragments(secret: str) -> str:
    """A pattern for ``secret`` and for any prefix or suffix of it of MIN_FRAGMENT or more."""
    if len(secret) <= MIN_FRAGMENT:
        return re.escape(secret)
    rest = ""
    for char in reversed(secret[MIN_FRAGMENT:]):
        rest = f"(?:{re.escape(char)}{rest})?"
    lead = ""
    for char in secret[:-MIN_FRAGMENT]:
        lead = f"(?:{lead}{re.escape(char)})?"
    prefix = re.escape(secret[:MIN_FRAGMENT]) + rest
    suffix = lead + re.escape(secret[-MIN_FRAGMENT:])
    return f"{prefix}|{suffix}"


class Masker:
    """Replace every registered secret with ``***``: also URL-encoded or JSON-escaped, and also
    cut off (a response excerpt or a server may truncate it)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            forms |= {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
        ordered = sorted((form for form in forms if form), key=len, reverse=True)
        pattern = "|".join(_fragments(form) for form in ordered)
        self._pattern = re.compile(pattern) if pattern else None

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        return mask_by_name(text)


#: ``-H 'Name: value'`` in a curl line, and ``name=value`` in a URL's query.
_CURL_HEADER = re.compile(r"(-H '([^':]+):\s*)([^']*)(')")
_QUERY_PAIR = re.compile(r"([?&])([^=&#\s']+)=([^&#\s']*)")


def mask_by_name(text: str) -> str:
    """Values whose header or parameter name looks like a credential's (the journal's rule,
    ``journal.masking.is_credential_name``), masked even when no secret was registered."""
    from mockserver.journal.masking import is_credential_name

    def header(match: re.Match[str]) -> str:
        if not is_credential_name(match.group(2)) or match.group(3) in (MASK, "[Filtered]"):
            return match.group(0)
        return f"{match.group(1)}{MASK}{match.group(4)}"

    def pair(match: re.Match[str]) -> str:
        if not is_credential_name(match.group(2)):
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}={MASK}"

    return _QUERY_PAIR.sub(pair, _CURL_HEADER.sub(header, text))
